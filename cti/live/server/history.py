"""Callers' recent contacts and open cases, as their next screen pop needs them: a bounded cache.

The case desk keeps, for the callers seen most recently, what a pop shows
besides the profile: the last :data:`~cti.live.screenpop.HISTORY` contacts
and the open cases. At most :data:`CALLERS` are kept; the one used least
recently leaves first. A caller who is not (or no longer) kept is read back
from the store (committed rows and the rows not committed yet), so leaving
the cache changes memory, never what a pop shows.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from cti.casework.cases import CaseRecord
from cti.live import messages as m
from cti.live.screenpop import HISTORY
from cti.store import CallRecord

#: Callers whose history is kept in memory (least recently used leaves first).
CALLERS = 4_096


@dataclass(slots=True)
class CallerHistory:
    """One caller's last contacts (oldest first) and open cases, with the profile their pops show."""

    contacts: deque[CallRecord] = field(default_factory=lambda: deque(maxlen=HISTORY))
    open_cases: dict[str, CaseRecord] = field(default_factory=dict)  # case id -> case
    profile: m.Profile | None = None


class RecentCallers:
    """At most ``size`` callers' histories, keyed by whose contacts they are; least recently used leaves first."""

    def __init__(self, size: int = CALLERS) -> None:
        if size < 1:
            raise ValueError(f"the caller cache needs room for at least one caller, got {size}")
        self.size = size
        self._kept: OrderedDict[str, CallerHistory] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def histories(self) -> list[CallerHistory]:
        """Every history kept, least recently used first."""
        return list(self._kept.values())

    def get(self, who: str) -> CallerHistory | None:
        """The caller's history if kept (it becomes the most recently used)."""
        history = self._kept.get(who)
        if history is not None:
            self._kept.move_to_end(who)
        return history

    def peek(self, who: str) -> CallerHistory | None:
        """The caller's history if kept, leaving the order alone."""
        return self._kept.get(who)

    def put(self, who: str, history: CallerHistory) -> None:
        self._kept[who] = history
        self._kept.move_to_end(who)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def forget(self, who: str) -> None:
        self._kept.pop(who, None)
