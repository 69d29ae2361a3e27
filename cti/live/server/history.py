"""Callers' recent contacts and open cases, as their next screen pop needs them: a bounded cache.

The case desk keeps, for the callers seen most recently, what a pop shows
besides the profile: the last :data:`~cti.live.screenpop.HISTORY` contacts
and the :data:`~cti.live.screenpop.OPEN_CASES` newest open cases with their
total. At most :data:`CALLERS` are kept; the one used least
recently leaves first. A caller who is not (or no longer) kept is read back
from the store (committed rows and the rows not committed yet), so leaving
the cache changes memory, never what a pop shows.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from cti.casework.cases import CaseRecord
from cti.live import messages as m
from cti.live.screenpop import HISTORY, OPEN_CASES
from cti.store import CallRecord

#: Callers whose history is kept in memory (least recently used leaves first).
CALLERS = 4_096


@dataclass(slots=True)
class CallerHistory:
    """One caller's last contacts (oldest first) and newest open cases, with the profile their pops show.

    Of the open cases only the :data:`~cti.live.screenpop.OPEN_CASES` newest
    are kept (a pop shows no more), with how many there are in all.
    """

    #: One more than a pop shows: a call in the IVR is among its caller's contacts from its arrival, and its own
    #: pop leaves it out.
    contacts: deque[CallRecord] = field(default_factory=lambda: deque(maxlen=HISTORY + 1))
    open_cases: dict[str, CaseRecord] = field(default_factory=dict)  # case id -> case, the newest
    open_total: int = 0
    profile: m.Profile | None = None

    def add_open_cases(self, cases: Iterable[CaseRecord]) -> None:
        for case in cases:
            self.open_cases[case.case_id] = case
            self.open_total += 1
        if len(self.open_cases) > OPEN_CASES:
            newest = sorted(self.open_cases.values(), key=_newest_first)[:OPEN_CASES]
            self.open_cases = {case.case_id: case for case in newest}

    def closed(self, case: CaseRecord) -> bool:
        """One of the caller's open cases is closed; False if the newest open cases are no longer all here."""
        self.open_total -= 1
        if self.open_cases.pop(case.case_id, None) is None:
            return True
        return len(self.open_cases) == min(self.open_total, OPEN_CASES)


def _newest_first(case: CaseRecord) -> tuple[float, str]:
    return (-case.created_at, case.case_id)


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
