"""The server's case desk: who is calling, their history, their cases, the screen pop.

For every call the desk looks the caller up in the directory when the call
arrives, and when the call enters the queue it creates the call's case and
builds the screen pop the agents will see: the caller's profile (or "unknown
caller"), their last five contacts, their open cases and the call's IVR
choices. It then follows the call: the agent who answers owns the case, an
unanswered call leaves it waiting for a call-back, and the agent's wrap-up
form closes or escalates it.

This run's calls and cases are kept in memory (they are small), so a screen
pop never depends on whether the store has committed the last batch yet;
contacts and open cases from earlier runs are read from the database the
first time a caller is seen. Case changes made with ``cti cases`` while a
server runs are seen by that server only for callers it has not seen yet.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from cti.casework import cases as k
from cti.casework.people import Person, caller_key, is_phone_key
from cti.live import messages as m
from cti.live.screenpop import HISTORY, make_profile, screen_pop
from cti.store import CallRecord, Store
from cti.store.directory import Directory
from routing.centre import Centre

_PRIORITIES = frozenset(p.value for p in k.Priority)
_ESCALATE_TO = {t.value: t for t in k.Tier if t is not k.Tier.FIRST_LINE}
_encode = msgspec.json.Encoder().encode


class CaseDesk:
    def __init__(self, centre: Centre, store: Store, directory: Directory, *, run_id: int, actor: str) -> None:
        self.centre = centre
        self.rules = centre.cases
        self.store = store
        self.directory = directory
        self.run_id = run_id
        self.actor = actor  # who the server journals automatic steps as
        self.tz = ZoneInfo(centre.info.timezone)
        self._seqs: dict[str, int] = {}
        self._persons: dict[str, Person | None] = {}  # call id -> directory entry, for this run's calls
        self._profiles: dict[Person, m.Profile] = {}
        self._ivr: dict[str, dict[str, str]] = {}  # call id -> IVR choices
        self._calls: dict[str, CallRecord] = {}
        self._cases: dict[str, k.CaseRecord] = {}  # call id -> case
        self._contacts: dict[str, deque[CallRecord]] = {}  # caller -> this run's last calls, in arrival order
        self._earlier: dict[str, tuple[list[CallRecord], list[k.CaseRecord]]] = {}
        self._open: dict[str, dict[str, k.CaseRecord]] = {}  # caller -> this run's cases not closed
        self._dues: dict[str, float] = directory.open_case_dues()
        # With no earlier contacts or cases at all, first sight of a caller needs no query.
        self._has_earlier = directory.has_history_before(run_id)
        self._day: tuple[float, float, str] = (0.0, 0.0, "")  # the centre-local day: start, end, YYYYMMDD

    def close(self) -> None:
        self.directory.close()

    # ------------------------------------------------------------------
    # A call's life
    # ------------------------------------------------------------------

    def arrive(self, rec: CallRecord, ivr: Mapping[str, str]) -> Person | None:
        """Look the caller up; the call row gets the caller's key, person and IVR choices."""
        key = caller_key(rec.caller)
        rec.caller_key = key if is_phone_key(key) else None  # a withheld number pools nobody's history
        person = self.directory.lookup(rec.caller, key=key) if rec.caller_key is not None else None
        rec.person_id = person.person_id if person is not None else None
        choices = dict(sorted(ivr.items()))
        rec.ivr = _encode(choices).decode() if choices else None
        self._ivr[rec.call_id] = choices
        self._persons[rec.call_id] = person
        self._calls[rec.call_id] = rec
        return person

    def enter_queue(self, rec: CallRecord, now: float, *, unknown: tuple[str, ...] = ()) -> m.ScreenPop:
        """Create the call's case and build its screen pop (history as it stood when the call came in).

        ``unknown`` names what the centre does not know of the call (``system``, ``agency``): the pop says so.
        """
        case, step = k.open_case(
            self.rules,
            self._next_case_id(now),
            call_id=rec.call_id,
            person_id=rec.person_id,
            caller=rec.caller,
            system=rec.system,
            agency=rec.agency,
            channel=rec.channel,
            at=now,
            actor=self.actor,
        )
        rec.case_id = case.case_id
        who = _who(rec)
        pop = self._pop(rec, who, case.case_id, unknown)
        self._contacts.setdefault(who, deque(maxlen=HISTORY)).append(rec)
        self._open.setdefault(who, {})[case.case_id] = case
        self._cases[rec.call_id] = case
        self._dues[case.case_id] = case.due_at
        self.store.case(case)
        self.store.case_step(step)
        self.store.screen_pop(rec.call_id, now, _encode(pop).decode())
        return pop

    def answered(self, rec: CallRecord, now: float) -> None:
        case = self._cases.get(rec.call_id)
        if case is not None and rec.agent is not None:
            self.store.case_step(k.take(case, rec.agent, now))
            self.store.case(case)

    def unanswered(self, rec: CallRecord, now: float, why: str) -> None:
        case = self._cases.get(rec.call_id)
        if case is not None and case.is_open:
            self.store.case_step(k.call_back(case, now, self.actor, why))
            self.store.case(case)

    def wrap_up(self, msg: m.WrapUp, now: float) -> k.CaseRecord:
        """The agent's case form: set the disposition and notes, then close or escalate.

        Raises :class:`cti.casework.cases.CaseError` (changing nothing) if the call is
        not one this agent answered, the form was already sent, or a field is
        not allowed.
        """
        rec = self._calls.get(msg.call_id)
        case = self._cases.get(msg.call_id)
        if rec is None or case is None:
            raise k.CaseError("unknown-call", f"call {msg.call_id} has no case in this run")
        if rec.agent != msg.agent_id or rec.answered_at is None:
            raise k.CaseError("not-your-call", f"agent {msg.agent_id} did not answer call {msg.call_id}")
        if rec.state not in {"talking", "wrap-up"}:
            raise k.CaseError(
                "wrap-up-over", f"call {msg.call_id} is past its wrap-up; change its case with `cti cases`"
            )
        if rec.disposition is not None:
            raise k.CaseError("already-wrapped-up", f"call {msg.call_id} already has its wrap-up ({rec.disposition})")
        if msg.disposition not in self.rules.dispositions:
            raise k.CaseError(
                "unknown-disposition",
                f"disposition {msg.disposition!r} is not one of: {', '.join(self.rules.dispositions)}",
            )
        if msg.priority not in _PRIORITIES:
            raise k.CaseError("bad-priority", f"priority {msg.priority!r} is not one of: normal, urgent")
        if msg.action == "close":
            to = None
        elif msg.action == "escalate":
            to = _ESCALATE_TO.get(msg.escalate_to or "")
            if to is None:
                tiers = ", ".join(_ESCALATE_TO)
                raise k.CaseError("bad-tier", f"escalate_to {msg.escalate_to!r} is not one of: {tiers}")
        else:
            raise k.CaseError("bad-action", f"action {msg.action!r} is not one of: close, escalate")
        notes = msg.notes or None
        if to is None:
            case.priority = msg.priority
            step = k.close(case, now, msg.agent_id, note=notes, disposition=msg.disposition)
            self._dues.pop(case.case_id, None)
            self._open.get(_who(rec), {}).pop(case.case_id, None)
        else:
            step = k.escalate(
                self.centre, case, to, now, msg.agent_id, priority=msg.priority, note=notes, disposition=msg.disposition
            )
            self._dues[case.case_id] = case.due_at
        rec.disposition, rec.notes = msg.disposition, notes
        self.store.call(rec)
        self.store.case(case)
        self.store.case_step(step)
        return case

    def link(self, msg: m.LinkCaller, now: float) -> Person:
        """An agent says who an unknown caller is: the call, its case and the number follow."""
        rec = self._calls.get(msg.call_id)
        if rec is None:
            raise k.CaseError("unknown-call", f"call {msg.call_id} is not a call of this run")
        if rec.agent != msg.agent_id:
            raise k.CaseError("not-your-call", f"agent {msg.agent_id} did not answer call {msg.call_id}")
        if rec.person_id is not None:
            raise k.CaseError("already-known", f"call {msg.call_id} is already linked to {rec.person_id}")
        if rec.caller_key is None:
            raise k.CaseError(
                "not-a-phone-number", f"call {msg.call_id} comes from {rec.caller!r}, which identifies nobody"
            )
        person = self.directory.person(msg.person_id)
        if person is None:
            raise k.CaseError("unknown-person", f"{msg.person_id} is not in the directory")
        old = _who(rec)
        rec.person_id = person.person_id
        new = _who(rec)
        self._persons[rec.call_id] = person
        # Everything this number did in this run is the person's now, as it is for earlier runs.
        merged = sorted(
            [*self._contacts.pop(old, ()), *self._contacts.get(new, ())], key=lambda c: (c.arrived_at, c.call_id)
        )
        self._contacts[new] = deque(merged, maxlen=HISTORY)
        self._open.setdefault(new, {}).update(self._open.pop(old, {}))
        case = self._cases.get(rec.call_id)
        if case is not None:
            self.store.case_step(k.link(case, person.person_id, now, msg.agent_id))
            self.store.case(case)
        self.directory.link(rec.caller, person.person_id)
        self.store.link_phone(rec.caller_key, person.person_id)
        self.store.call(rec)
        return person

    def counts(self, now: float) -> tuple[int, int]:
        """Open cases, and how many of them are past due."""
        return len(self._dues), sum(1 for due in self._dues.values() if due < now)

    # ------------------------------------------------------------------

    def _next_case_id(self, now: float) -> str:
        start, end, day = self._day
        if not start <= now < end:
            local = datetime.fromtimestamp(now, self.tz)
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            day = local.strftime("%Y%m%d")
            self._day = (midnight.timestamp(), (midnight + timedelta(days=1)).timestamp(), day)
        seq = self._seqs.get(day)
        if seq is None:
            # Committed cases of that day; this run's are all counted in memory from here on.
            seq = self.directory.last_case_number(day)
        self._seqs[day] = seq + 1
        return k.case_id(day, seq + 1)

    def _profile(self, person: Person) -> m.Profile:
        profile = self._profiles.get(person)
        if profile is None:
            profile = self._profiles[person] = make_profile(person)
        return profile

    def _pop(self, rec: CallRecord, who: str, case_id: str, unknown: tuple[str, ...] = ()) -> m.ScreenPop:
        earlier = self._earlier.get(who)
        if earlier is None and not self._has_earlier:
            earlier = ([], [])
        elif earlier is None:
            earlier = self._earlier[who] = (
                self.directory.earlier_contacts(
                    person_id=rec.person_id, key=rec.caller_key, before_run=self.run_id, limit=HISTORY
                ),
                self.directory.earlier_open_cases(person_id=rec.person_id, key=rec.caller_key, before_run=self.run_id),
            )
        earlier_calls, earlier_cases = earlier
        this_run = self._open.get(who, {})
        cases = [*earlier_cases, *this_run.values()]  # this call's case joins them only after its pop
        person = self._persons.get(rec.call_id)
        return screen_pop(
            rec.caller,
            person,
            [*earlier_calls, *self._contacts.get(who, ())],
            cases,
            ivr=self._ivr.pop(rec.call_id, {}),
            case_id=case_id,
            profile=self._profile(person) if person is not None else None,
            unknown=unknown,
        )


def _who(rec: CallRecord) -> str:
    """Whose contacts a call counts among: a person's, a number's, or (no usable number) its own."""
    if rec.person_id is not None:
        return f"p:{rec.person_id}"
    return f"t:{rec.caller_key}" if rec.caller_key is not None else f"c:{rec.call_id}"
