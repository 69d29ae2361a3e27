"""The router's own timers, kept in simulated or real time supplied by the caller.

Timers are never cancelled; a timer that no longer applies (its agent has
changed state since, its call has gone) is recognised as stale when it comes
due and skipped. That keeps every state change O(1) in timers.
"""

from __future__ import annotations

import heapq
from enum import Enum


class TimerKind(Enum):
    RING_TIMEOUT = 1
    """Agent timer: ringing reached ``ring_timeout_s``."""
    REJECT_DELAY_END = 2
    """Agent timer: the rest after a ring-no-answer is over."""
    WRAP_UP_END = 3
    """Agent timer: wrap-up is over."""
    WINDOW_END = 4
    """Call timer: the agency's site-preference window is over."""
    NO_AGENT = 5
    """Call timer: the call's queue has had nobody logged in for ``max_wait_no_agent_s``."""
    CALLBACK_RETRY = 6
    """Call timer: an unanswered call-back's retry delay is over; it goes back to its place."""


Timer = tuple[float, int, TimerKind, str, int]  # (due, seq, kind, agent or call id, agent token)


class Timers:
    """A min-heap of timers; ties are broken by the order they were set."""

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._seq = 0

    def set(self, due: float, kind: TimerKind, subject: str, token: int = 0) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, kind, subject, token))

    def peek(self) -> Timer | None:
        return self._heap[0] if self._heap else None

    def pop(self) -> Timer:
        return heapq.heappop(self._heap)
