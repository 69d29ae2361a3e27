"""Cases (案件): the ticket every contact creates, and how it moves until closed.

Every call creates a case when it enters the queue (自動列案). The agent who
answers owns it at the **first line**; at wrap-up they set a disposition code
and notes and either close it or escalate it to the **second line**
(technical staff), the **third line** (the system's owner) or the **vendor**.
A caller who hangs up before being answered leaves the case in
**call-back**: someone owes them a call. Each case is due a number of days
after it is created or escalated (normal 7, urgent 3: ``[cases]`` in the
centre file); open cases past due are *overdue* and are chased.

Every step is a :class:`CaseStep`, journalled with who and when. The
functions here change a :class:`CaseRecord` in place and return the step, or
raise :class:`CaseError` changing nothing; the server (at wrap-up) and the
``cti cases`` commands both use them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from cti.errors import CtiError
from routing.centre import CaseRules, Centre

DAY_S = 86_400.0


class Tier(StrEnum):
    """Who works the case, in escalation order."""

    FIRST_LINE = "first-line"  # the agent who took the contact
    SECOND_LINE = "second-line"  # technical staff
    THIRD_LINE = "third-line"  # the system's owner
    VENDOR = "vendor"  # the outsourced vendor


TIER_ORDER: dict[Tier, int] = {t: i for i, t in enumerate(Tier)}


class CaseStatus(StrEnum):
    OPEN = "open"
    CALL_BACK = "call-back"  # the caller hung up before anyone answered
    CLOSED = "closed"


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class CaseError(CtiError):
    """A case change that is not allowed (closing a closed case, escalating downwards, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(slots=True)
class CaseRecord:
    """One row of ``cases``."""

    case_id: str
    call_id: str | None
    person_id: str | None
    caller: str
    system: str
    agency: str
    channel: str
    status: str
    tier: str
    owner: str | None
    priority: str
    created_at: float
    due_at: float
    closed_at: float | None = None
    disposition: str | None = None
    notes: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    def overdue(self, at: float) -> bool:
        return self.is_open and self.due_at < at


CASE_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(CaseRecord))


@dataclass(frozen=True, slots=True)
class CaseStep:
    """One journalled step of a case: who did what, when, and where it left the case."""

    case_id: str
    at: float
    actor: str
    action: str  # created, answered, call-back, closed, escalated, reopened, reassigned, linked
    status: str
    tier: str
    owner: str | None
    due_at: float
    note: str | None = None


def case_id(day: str, seq: int) -> str:
    """``C`` + the centre-local date (``YYYYMMDD``) + a per-day sequence: ``C20261122-00012``."""
    return f"C{day}-{seq:05d}"


def case_id_for(created_at: float, timezone: str, seq: int) -> str:
    """The id of the ``seq``-th case of the centre-local day of ``created_at``."""
    return case_id(datetime.fromtimestamp(created_at, ZoneInfo(timezone)).strftime("%Y%m%d"), seq)


def due(rules: CaseRules, priority: str, at: float) -> float:
    days = rules.urgent_due_days if priority == Priority.URGENT else rules.normal_due_days
    return at + days * DAY_S


def owner_for(centre: Centre, tier: Tier, system: str) -> str | None:
    """The default owner of a tier: the second-line team, the system's owner, the vendor."""
    if tier is Tier.SECOND_LINE:
        return centre.cases.second_line
    if tier is Tier.THIRD_LINE:
        for s in centre.systems:
            if s.id == system:
                return s.third_line
        return f"{system}-owner"
    if tier is Tier.VENDOR:
        return centre.cases.vendor
    return None


def _step(case: CaseRecord, at: float, actor: str, action: str, note: str | None = None) -> CaseStep:
    return CaseStep(case.case_id, at, actor, action, case.status, case.tier, case.owner, case.due_at, note)


def open_case(
    rules: CaseRules,
    case_id: str,
    *,
    call_id: str | None,
    person_id: str | None,
    caller: str,
    system: str,
    agency: str,
    channel: str,
    at: float,
    actor: str,
    priority: str = Priority.NORMAL,
    due_at: float | None = None,
) -> tuple[CaseRecord, CaseStep]:
    """A new case at the first line, due by the rules for its priority (or at ``due_at``), and its first step."""
    case = CaseRecord(
        case_id=case_id,
        call_id=call_id,
        person_id=person_id,
        caller=caller,
        system=system,
        agency=agency,
        channel=channel,
        status=CaseStatus.OPEN,
        tier=Tier.FIRST_LINE,
        owner=None,
        priority=priority,
        created_at=at,
        due_at=due(rules, priority, at) if due_at is None else due_at,
    )
    return case, _step(case, at, actor, "created")


def _require_open(case: CaseRecord, doing: str) -> None:
    if not case.is_open:
        raise CaseError("case-closed", f"case {case.case_id} is closed; reopen it before you {doing} it")


def take(case: CaseRecord, agent_id: str, at: float) -> CaseStep:
    """The agent who answered owns the case at the first line."""
    case.owner = agent_id
    case.status = CaseStatus.OPEN
    return _step(case, at, agent_id, "answered")


def call_back(case: CaseRecord, at: float, actor: str, why: str) -> CaseStep:
    """The caller left before anyone answered: the case waits for a call-back."""
    case.status = CaseStatus.CALL_BACK
    return _step(case, at, actor, "call-back", why)


def close(case: CaseRecord, at: float, actor: str, *, note: str | None, disposition: str | None = None) -> CaseStep:
    _require_open(case, "close")
    case.status, case.closed_at = CaseStatus.CLOSED, at
    if disposition is not None:
        case.disposition = disposition
    if note:
        case.notes = note
    return _step(case, at, actor, "closed", note)


def escalate(
    centre: Centre,
    case: CaseRecord,
    to: Tier,
    at: float,
    actor: str,
    *,
    owner: str | None = None,
    priority: str | None = None,
    note: str | None = None,
    disposition: str | None = None,
) -> CaseStep:
    """Move the case up to ``to`` (second line, third line or vendor) with a new due date."""
    _require_open(case, "escalate")
    if TIER_ORDER[to] <= TIER_ORDER[Tier(case.tier)]:
        higher = [t.value for t in Tier if TIER_ORDER[t] > TIER_ORDER[Tier(case.tier)]]
        where = f"escalation goes up: {', '.join(higher)}" if higher else "that is the top tier"
        raise CaseError(
            "not-upwards",
            f"case {case.case_id} is at {case.tier}; {where} (use `cti cases assign --tier TIER` to move it elsewhere)",
        )
    if priority is not None:
        case.priority = priority
    case.tier, case.status = to, CaseStatus.OPEN
    case.owner = owner or owner_for(centre, to, case.system)
    case.due_at = due(centre.cases, case.priority, at)
    if disposition is not None:
        case.disposition = disposition
    if note:
        case.notes = note
    return _step(case, at, actor, "escalated", note)


def reopen(rules: CaseRules, case: CaseRecord, at: float, actor: str, *, note: str | None) -> CaseStep:
    if case.is_open:
        raise CaseError("case-open", f"case {case.case_id} is not closed ({case.status})")
    case.status, case.closed_at = CaseStatus.OPEN, None
    case.due_at = due(rules, case.priority, at)
    return _step(case, at, actor, "reopened", note)


def reassign(
    rules: CaseRules, case: CaseRecord, at: float, actor: str, *, owner: str, tier: Tier | None, note: str | None
) -> CaseStep:
    _require_open(case, "assign")
    case.owner = owner
    if tier is not None and tier != case.tier:
        case.tier = tier
        case.due_at = due(rules, case.priority, at)
    return _step(case, at, actor, "reassigned", note)


def link(case: CaseRecord, person_id: str, at: float, actor: str) -> CaseStep:
    case.person_id = person_id
    return _step(case, at, actor, "linked", person_id)
