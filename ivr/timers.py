"""The IVR's timers: prompt safety, digit timeout, inter-digit timeout.

A call has one live timer at a time. Setting a new one bumps the call's
token, so an older timer still in the heap is recognised as stale when it
comes due and dropped, as in :mod:`routing.timers`: nothing is ever
cancelled, every state change stays O(log n).
"""

from __future__ import annotations

import heapq
from enum import Enum


class TimerKind(Enum):
    PROMPT = 1
    """The prompt playing should have finished by now (its seconds + grace): go on as if it had."""
    DIGIT = 2
    """No key within ``digit_timeout_s`` after the prompt finished: no input."""
    INTER_DIGIT = 3
    """No key within ``inter_digit_timeout_s`` after the last one: the code is complete."""


Timer = tuple[float, int, TimerKind, str, int]  # (due, seq, kind, call id, call token)


class Timers:
    """A min-heap of timers; ties are broken by the order they were set."""

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._seq = 0

    def set(self, due: float, kind: TimerKind, subject: str, token: int) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, kind, subject, token))

    def peek(self) -> Timer | None:
        return self._heap[0] if self._heap else None

    def pop(self) -> Timer:
        return heapq.heappop(self._heap)

    def __len__(self) -> int:
        return len(self._heap)
