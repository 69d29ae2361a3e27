"""The server's case desk: who is calling, their history, their cases, the screen pop.

For every call the desk looks the caller up in the directory when the call
arrives, and when the call enters the queue it creates the call's case and
builds the screen pop the agents will see: the caller's profile (or "unknown
caller"), their last five contacts, their open cases and the call's IVR
choices. It then follows the call: the agent who answers owns the case, an
unanswered call leaves it waiting for a call-back, and the agent's wrap-up
form closes or escalates it.

Memory stays bounded however long the server runs. A call's own state (its
row, the person, the IVR choices, its case) is kept from its arrival until
its wrap-up ends (an unanswered call: until it ends), then released. A
caller's history for later pops comes from the store, through a cache of
the callers seen most recently (:mod:`cti.live.server.history`, at most
:data:`~cti.live.server.history.CALLERS`): a caller not kept is read back
from the committed rows plus the rows the store has not committed yet, so a
screen pop never depends on whether the store has committed the last batch.
The KPI counts of open and overdue cases are counted in the store the same
way. Case changes made with ``cti cases`` while a server runs are seen by
that server for callers it does not keep at that moment (and always in the
counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import msgspec

from cti.casework import cases as k
from cti.casework.people import Person, caller_key, is_phone_key
from cti.live import messages as m
from cti.live.screenpop import HISTORY, make_profile, screen_pop
from cti.live.server.history import CALLERS, CallerHistory, RecentCallers
from cti.store import CallRecord, Store
from cti.store.directory import ALL_RUNS, Directory
from routing.centre import GENERAL_QUEUE, Centre

_PRIORITIES = frozenset(p.value for p in k.Priority)
_ESCALATE_TO = {t.value: t for t in k.Tier if t is not k.Tier.FIRST_LINE}
_encode = msgspec.json.Encoder().encode
T = TypeVar("T")


@dataclass(slots=True)
class _DeskCall:
    """What the desk holds for one call until its wrap-up ends."""

    record: CallRecord
    person: Person | None
    ivr: dict[str, str]
    case: k.CaseRecord | None = None


#: The owner of "dissatisfied — call back" cases: the supervisors' queue (docs/cases.md).
SUPERVISORS = "supervisors"


class CaseDesk:
    def __init__(
        self,
        centre: Centre,
        store: Store,
        directory: Directory,
        *,
        run_id: int,
        actor: str,
        callers: int = CALLERS,
    ) -> None:
        self.centre = centre
        self.rules = centre.cases
        self.store = store
        self.directory = directory
        self.run_id = run_id
        self.actor = actor  # who the server journals automatic steps as
        self.tz = ZoneInfo(centre.info.timezone)
        #: The calls between arrival and the end of their wrap-up (unanswered: their end).
        self.calls: dict[str, _DeskCall] = {}
        #: The histories of the callers seen most recently.
        self.callers = RecentCallers(callers)
        self._seq: tuple[str, int] = ("", 0)  # the centre-local day (YYYYMMDD) and its last case number
        self._day: tuple[float, float, str] = (0.0, 0.0, "")  # the centre-local day: start, end, YYYYMMDD

    def close(self) -> None:
        self.directory.close()

    # ------------------------------------------------------------------
    # A call's life
    # ------------------------------------------------------------------

    def arrive(self, rec: CallRecord, ivr: Mapping[str, str], *, menus: bool = False) -> Person | None:
        """Look the caller up; the call row gets the caller's key, person and IVR choices.

        ``menus``: the call goes through the IVR; its row is stored from now, so it is
        one of its caller's contacts from now (not only from its queue entry).
        """
        key = caller_key(rec.caller)
        rec.caller_key = key if is_phone_key(key) else None  # a withheld number pools nobody's history
        person = self.directory.lookup(rec.caller, key=key) if rec.caller_key is not None else None
        rec.person_id = person.person_id if person is not None else None
        choices = dict(sorted(ivr.items()))
        rec.ivr = _encode(choices).decode() if choices else None
        self.calls[rec.call_id] = _DeskCall(rec, person, choices)
        if menus:
            history = self.callers.peek(_who(rec))
            if history is not None:
                history.contacts.append(rec)
        return person

    def person(self, call_id: str) -> Person | None:
        """The directory entry of a call's caller, as looked up when it arrived."""
        return self.calls[call_id].person

    def ivr_choice(self, call_id: str, choice: str, value: str) -> None:
        """A choice the caller made in the menus (``language``, ``agency``, a menu's key): the pop shows it.

        A call holds at most :data:`~cti.live.messages.MAX_IVR_CHOICES` choices; the latest of each is kept.
        """
        call = self.calls[call_id]
        if choice not in call.ivr and len(call.ivr) >= m.MAX_IVR_CHOICES:
            return
        call.ivr[choice] = value
        choices = dict(sorted(call.ivr.items()))
        call.record.ivr = _encode(choices).decode()

    def after_hours(self, rec: CallRecord, number: str, due_at: float, now: float) -> k.CaseRecord:
        """A caller who rang when the centre was closed left ``number``: a call-back case, due at ``due_at``.

        The number is in the case's note (masked on every output, as every phone number).
        """
        call = self.calls[rec.call_id]
        case, step = k.open_case(
            self.rules,
            self._next_case_id(now),
            call_id=rec.call_id,
            person_id=rec.person_id,
            caller=rec.caller,
            system=rec.system or GENERAL_QUEUE,  # after hours nobody chose a system
            agency=rec.agency or "",
            channel=rec.channel,
            at=now,
            actor=self.actor,
            due_at=due_at,
        )
        rec.case_id = case.case_id
        call.case = case
        case.notes = note = f"after hours: call back on {number}"
        callback = k.call_back(case, now, self.actor, note)
        history = self.callers.peek(_who(rec))
        if history is not None:
            history.add_open_cases([case])
        self.store.case(case)
        self.store.case_step(step)
        self.store.case_step(callback)
        return case

    def dissatisfied(self, rec: CallRecord, question: str, score: int, now: float) -> k.CaseRecord:
        """The caller scored the call at or below the survey's threshold: a "dissatisfied — call back" case.

        It waits for a call-back (status ``call-back``) at the first line, owned by the supervisors
        (:data:`SUPERVISORS`): their queue. It keeps the call's caller, system and agency and names the call
        and its agent in its note; its ``call_id`` stays empty, so the call's own case remains the one case
        of that call (a call has one case: the screen pop, the wrap-up and recovery find it by the call).
        """
        case, step = k.open_case(
            self.rules,
            self._next_case_id(now),
            call_id=None,
            person_id=rec.person_id,
            caller=rec.caller,
            system=rec.system or GENERAL_QUEUE,
            agency=rec.agency or "",
            channel=rec.channel,
            at=now,
            actor=self.actor,
        )
        case.owner = SUPERVISORS
        case.notes = note = f"dissatisfied — call back: {question} {score} after call {rec.call_id} (agent {rec.agent})"
        callback = k.call_back(case, now, self.actor, note)
        history = self.callers.peek(_who(rec))
        if history is not None:
            history.add_open_cases([case])
        self.store.case(case)
        self.store.case_step(step)
        self.store.case_step(callback)
        return case

    def enter_queue(self, rec: CallRecord, now: float, *, unknown: tuple[str, ...] = ()) -> m.ScreenPop:
        """Create the call's case and build its screen pop (history as it stood when the call came in).

        ``unknown`` names what the centre does not know of the call (``system``, ``agency``): the pop says so.
        """
        call = self.calls[rec.call_id]
        case, step = k.open_case(
            self.rules,
            self._next_case_id(now),
            call_id=rec.call_id,
            person_id=rec.person_id,
            caller=rec.caller,
            system=rec.system or GENERAL_QUEUE,  # a caller who chose no system: a general enquiry
            agency=rec.agency or "",  # neither the directory nor the caller gave one
            channel=rec.channel,
            at=now,
            actor=self.actor,
        )
        rec.case_id = case.case_id
        call.case = case
        history = self._history(rec, call.person)
        pop = screen_pop(
            rec.caller,
            call.person,
            [c for c in history.contacts if c.call_id != rec.call_id],  # in the IVR it was one from its arrival
            history.open_cases.values(),  # this call's case joins them only after its pop
            ivr=call.ivr,
            case_id=case.case_id,
            profile=history.profile,
            open_total=history.open_total,
            unknown=unknown,
            language=rec.language,
        )
        call.ivr = {}
        if all(c.call_id != rec.call_id for c in history.contacts):
            history.contacts.append(rec)
        history.add_open_cases([case])
        self.store.case(case)
        self.store.case_step(step)
        self.store.screen_pop(rec.call_id, now, _encode(pop).decode())
        return pop

    def answered(self, rec: CallRecord, now: float) -> None:
        case = self._case(rec.call_id)
        if case is not None and rec.agent is not None:
            self.store.case_step(k.take(case, rec.agent, now))
            self.store.case(case)

    def unanswered(self, rec: CallRecord, now: float, why: str) -> None:
        case = self._case(rec.call_id)
        if case is not None and case.is_open:
            self.store.case_step(k.call_back(case, now, self.actor, why))
            self.store.case(case)

    def refused(self, rec: CallRecord) -> None:
        """A call the router could not take: a contact all the same (as in the store), and done."""
        history = self.callers.peek(_who(rec))
        if history is not None:
            history.contacts.append(rec)
        self.release(rec.call_id)

    def release(self, call_id: str) -> None:
        """The call is done (its wrap-up over, or it ended unanswered): the desk lets go of it."""
        self.calls.pop(call_id, None)

    def wrap_up(self, msg: m.WrapUp, now: float) -> k.CaseRecord:
        """The agent's case form: set the disposition and notes, then close or escalate.

        Raises :class:`cti.casework.cases.CaseError` (changing nothing) if the call is
        not one this agent answered, the form was already sent, or a field is
        not allowed.
        """
        rec = self._record(msg.call_id)
        if rec is None or rec.case_id is None:
            raise k.CaseError("unknown-call", f"call {msg.call_id} has no case in this run")
        if rec.agent != msg.agent_id or rec.answered_at is None:
            raise k.CaseError("not-your-call", f"agent {msg.agent_id} did not answer call {msg.call_id}")
        call = self.calls.get(msg.call_id)
        if rec.state not in {"talking", "wrap-up"} or call is None or call.case is None:
            raise k.CaseError(
                "wrap-up-over", f"call {msg.call_id} is past its wrap-up; change its case with `cti cases`"
            )
        case = call.case
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
            history = self.callers.peek(_who(rec))
            if history is not None and not history.closed(case):
                self.callers.forget(_who(rec))  # older open cases come back from the store when next needed
        else:
            step = k.escalate(
                self.centre, case, to, now, msg.agent_id, priority=msg.priority, note=notes, disposition=msg.disposition
            )
        rec.disposition, rec.notes = msg.disposition, notes
        self.store.call(rec)
        self.store.case(case)
        self.store.case_step(step)
        return case

    def link(self, msg: m.LinkCaller, now: float) -> Person:
        """An agent says who an unknown caller is: the call, its case and the number follow.

        Any call of this run the agent answered may be linked, also one whose
        wrap-up is over (its row and case are then read back from the store).
        """
        rec = self._record(msg.call_id)
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
        case = self._case(rec.call_id)
        old = _who(rec)
        rec.person_id = person.person_id
        call = self.calls.get(rec.call_id)
        if call is not None:
            call.person = person
        # Everything this number did is the person's now: both histories are read again when next needed.
        self.callers.forget(old)
        self.callers.forget(_who(rec))
        if case is not None:
            self.store.case_step(k.link(case, person.person_id, now, msg.agent_id))
            self.store.case(case)
        self.directory.link(rec.caller, person.person_id)
        self.store.link_phone(rec.caller_key, person.person_id)
        self.store.call(rec)
        return person

    def counts(self, now: float) -> tuple[int, int]:
        """Open cases, and how many of them are past due (counted in the store, rows not committed yet included)."""
        unsaved = {case.case_id: case for case in self.store.unsaved_cases()}
        open_cases, overdue = self.directory.open_case_counts(now, leaving_out=unsaved)
        for case in unsaved.values():
            if case.is_open:
                open_cases += 1
                overdue += case.due_at < now
        return open_cases, overdue

    # ------------------------------------------------------------------

    def _record(self, call_id: str) -> CallRecord | None:
        """A call of this run: in progress or in wrap-up (kept here), else as the store has it."""
        call = self.calls.get(call_id)
        if call is not None:
            return call.record
        rec = _last(c for c in self.store.unsaved_calls() if c.call_id == call_id) or self.directory.call(call_id)
        return rec if rec is not None and rec.run_id == self.run_id else None

    def _case(self, call_id: str) -> k.CaseRecord | None:
        """A call's case: kept here while the call is, else as the store has it."""
        call = self.calls.get(call_id)
        if call is not None:
            return call.case
        unsaved = _last(c for c in self.store.unsaved_cases() if c.call_id == call_id)
        return unsaved or self.directory.case_of_call(call_id)

    def _next_case_id(self, now: float) -> str:
        start, end, day = self._day
        if not start <= now < end:
            local = datetime.fromtimestamp(now, self.tz)
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            day = local.strftime("%Y%m%d")
            self._day = (midnight.timestamp(), (midnight + timedelta(days=1)).timestamp(), day)
        last_day, seq = self._seq
        if last_day != day:
            # Committed cases of that day; this run's are all counted here from then on (days only go forward).
            seq = self.directory.last_case_number(day)
        self._seq = (day, seq + 1)
        return k.case_id(day, seq + 1)

    def _history(self, rec: CallRecord, person: Person | None) -> CallerHistory:
        """The caller's contacts and open cases before this call: kept, or read back from the store."""
        who = _who(rec)
        history = self.callers.get(who)
        if history is not None:
            return history
        history = CallerHistory(profile=make_profile(person) if person is not None else None)
        pid, key = rec.person_id, rec.caller_key
        if key is None:
            return history  # a number that identifies nobody: no history, and nothing worth keeping
        keys = self.directory.phone_keys(pid, key) if pid is not None else [key]
        # Committed rows, then the rows not committed yet (newer), then the calls kept here (newest).
        calls = {
            c.call_id: c
            for c in self.directory.earlier_contacts(
                person_id=pid, key=key, before_run=ALL_RUNS, limit=HISTORY, keys=keys
            )
        }
        cases = {
            c.case_id: c
            for c in self.directory.earlier_open_cases(person_id=pid, key=key, before_run=ALL_RUNS, keys=keys)
        }
        numbers = set(keys)
        unsaved = {
            c.call_id: c
            for c in self.store.unsaved_calls()
            if (c.person_id == pid and pid is not None) or (c.person_id is None and c.caller_key in numbers)
        }
        calls.update(unsaved)
        # A case's row is always queued with its call's (same person, same number): the call tells whose it is.
        cases.update((c.case_id, c) for c in self.store.unsaved_cases() if c.call_id in unsaved)
        for call_id in calls:  # a committed row of a call still kept here is a copy: take the call itself
            kept = self.calls.get(call_id)
            if kept is not None:
                calls[call_id] = kept.record
        for case_id, case in cases.items():
            kept = self.calls.get(case.call_id or "")
            if kept is not None and kept.case is not None:
                cases[case_id] = kept.case
        calls.pop(rec.call_id, None)
        history.contacts.extend(sorted(calls.values(), key=lambda c: (c.arrived_at, c.call_id))[-HISTORY:])
        cases.pop(rec.case_id or "", None)
        history.add_open_cases(case for case in cases.values() if case.is_open)
        self.callers.put(who, history)
        return history


def _last(rows: Iterable[T]) -> T | None:
    """The last of ``rows`` (the store lists rows not committed yet oldest first), if any."""
    found = None
    for found in rows:  # noqa: B007 - the last one is wanted
        pass
    return found


def _who(rec: CallRecord) -> str:
    """Whose contacts a call counts among: a person's, a number's, or (no usable number) its own."""
    if rec.person_id is not None:
        return f"p:{rec.person_id}"
    return f"t:{rec.caller_key}" if rec.caller_key is not None else f"c:{rec.call_id}"
