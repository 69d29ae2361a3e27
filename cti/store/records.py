"""The rows the store keeps, and the SQL that writes them.

* :class:`CallRecord`: one row of ``calls`` (the server keeps the live ones in memory);
* :class:`Journal`: the verbs of the append-only call journal ``call_events``, and what each
  verb's data fields hold (:data:`JOURNAL_DATA`, read as :class:`JournalEntry`);
* :class:`AgentStateRow`: one row of ``agent_states``;
* a directory entry (:class:`cti.casework.people.Person`) as a row of ``people``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from operator import attrgetter
from typing import Any

from cti.casework.cases import CASE_COLUMNS, CaseStep
from cti.casework.people import Person


class Journal(StrEnum):
    """Call-journal event names: Asterisk's ``queue_log`` verbs and a few more.

    data1..data3 follow ``queue_log`` where the verb exists there.
    """

    ENTERQUEUE = "ENTERQUEUE"  # data1 position at entry
    REQUEUE = "REQUEUE"  # back at its original place; data1 position
    QUEUECHANGE = "QUEUECHANGE"  # moved to the general queue; data1 new queue
    RINGING = "RINGING"  # offered to agent; data1 ring_until, data2 overflow, data3 backup
    RINGNOANSWER = "RINGNOANSWER"  # data1 ring time in ms
    RINGCANCELED = "RINGCANCELED"  # data1 ring time in ms, data2 why
    CONNECT = "CONNECT"  # data1 wait (hold) s, data2 ring s
    COMPLETECALLER = "COMPLETECALLER"  # data1 wait s, data2 talk s
    COMPLETEAGENT = "COMPLETEAGENT"  # data1 wait s, data2 talk s
    ABANDON = "ABANDON"  # data1 position (0 = was ringing), data2 position at entry, data3 wait s
    EXITEMPTY = "EXITEMPTY"  # no voice agent logged in: given up; data1..3 as ABANDON
    WRAPUPEND = "WRAPUPEND"  # the answering agent finished wrap-up
    INTERRUPTED = "INTERRUPTED"  # closed at restart; data1 last known state
    IVRSTART = "IVRSTART"  # the call entered the IVR; data1 language (once chosen, else the default)
    IVRSTEP = "IVRSTEP"  # one step in the IVR; data1 step kind, data2 menu, data3 value (``ivr.Step``)
    IVREND = "IVREND"  # left the IVR; data1 IVR outcome, data2 system or queue (the menu, if abandoned), data3 ivr s
    AFTERHOURS = "AFTERHOURS"  # arrived while the centre was closed; data1 the next opening (Unix time)
    CALLBACKOFFER = "CALLBACKOFFER"  # the queued caller was offered a call-back; data1 seconds in the queue
    CALLBACKREQUEST = "CALLBACKREQUEST"  # the caller asked for a call-back, keeping the place; data1 position
    CALLBACKDIAL = "CALLBACKDIAL"  # an agent accepted the call-back: the PBX dials; data1 the try (1, 2, ...)
    CALLBACKNOANSWER = "CALLBACKNOANSWER"  # a dial went unanswered; data1 the try, data2 why, data3 retry time
    CALLBACKFAILED = "CALLBACKFAILED"  # the last dial went unanswered: ended, a call-back case left; data1 dials
    ANNOUNCE = "ANNOUNCE"  # queued caller told place and wait; data1 position, data2 estimate s, data3 naive s


#: What data1..data3 hold for each verb: (name, kind) or None. Kinds: ``time`` (Unix seconds), ``flag``
#: (0/1), ``count``, ``seconds``, ``ms`` (milliseconds; read as seconds), ``text``.
JOURNAL_DATA: dict[str, tuple[tuple[str, str] | None, ...]] = {
    Journal.ENTERQUEUE: (("position", "count"),),
    Journal.REQUEUE: (("position", "count"),),
    Journal.QUEUECHANGE: (("position", "count"),),
    Journal.RINGING: (("ring_until", "time"), ("overflow", "flag"), ("backup_seat", "flag")),
    Journal.RINGNOANSWER: (("ring_s", "ms"), ("reason", "text")),
    Journal.RINGCANCELED: (("ring_s", "ms"), ("reason", "text")),
    Journal.CONNECT: (("wait_s", "seconds"), ("ring_s", "seconds")),
    Journal.COMPLETECALLER: (("wait_s", "seconds"), ("talk_s", "seconds")),
    Journal.COMPLETEAGENT: (("wait_s", "seconds"), ("talk_s", "seconds")),
    Journal.ABANDON: (("position", "count"), ("entry_position", "count"), ("wait_s", "seconds")),
    Journal.EXITEMPTY: (("position", "count"), ("entry_position", "count"), ("wait_s", "seconds")),
    Journal.WRAPUPEND: (),
    Journal.ANNOUNCE: (("position", "count"), ("estimate_s", "seconds"), ("naive_s", "seconds")),
    Journal.INTERRUPTED: (("last_state", "text"),),
    Journal.IVRSTART: (("language", "text"),),
    Journal.IVRSTEP: (("step", "text"), ("menu", "text"), ("value", "text")),
    Journal.IVREND: (("ivr_outcome", "text"), ("where", "text"), ("ivr_s", "seconds")),
    Journal.AFTERHOURS: (("opens_at", "time"),),
    Journal.CALLBACKOFFER: (("queued_s", "seconds"),),
    Journal.CALLBACKREQUEST: (("position", "count"),),
    Journal.CALLBACKDIAL: (("dial", "count"),),
    Journal.CALLBACKNOANSWER: (("dial", "count"), ("reason", "text"), ("retry_at", "time")),
    Journal.CALLBACKFAILED: (("dials", "count"),),
}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One row of the call journal with its data named (:data:`JOURNAL_DATA`): ``data`` holds only what is set.

    Values are typed: times and durations as floats in seconds, flags as
    booleans, positions as integers, the rest as text. A verb this version
    does not know keeps its data as ``data1``..``data3``.
    """

    seq: int
    at: float
    call_id: str
    queue: str | None
    agent_id: str | None
    event: str
    rule: str | None
    data: dict[str, float | int | bool | str]
    kinds: dict[str, str]


_UNKNOWN_VERB = (("data1", "text"), ("data2", "text"), ("data3", "text"))


def journal_entry(row: Sequence[Any]) -> JournalEntry:
    """A row of ``call_events`` (``SELECT *``) as a :class:`JournalEntry`."""
    seq, at, call_id, queue, agent, event, rule, *raw = row
    names = JOURNAL_DATA.get(event, _UNKNOWN_VERB)
    data: dict[str, float | int | bool | str] = {}
    kinds: dict[str, str] = {}
    for spec, value in zip(names, raw, strict=False):
        if spec is None or value is None or value == "":
            continue
        name, kind = spec
        data[name] = _typed(value, kind)
        kinds[name] = kind
    return JournalEntry(int(seq), float(at), call_id, queue, agent, event, rule, data, kinds)


def _typed(value: Any, kind: str) -> float | int | bool | str:
    """A stored datum (SQLite keeps them as text) as its kind's Python type; text if it does not parse."""
    try:
        if kind in ("time", "seconds"):
            return float(value)
        if kind == "ms":
            return float(value) / 1000.0
        if kind == "flag":
            return bool(int(float(value)))
        if kind == "count":
            return int(float(value))
    except (TypeError, ValueError):
        pass
    return str(value)


class Outcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    NO_AGENT = "no-agent"
    INTERRUPTED = "interrupted"
    IVR_ABANDONED = "ivr-abandoned"  # hung up in the IVR: never entered a queue (offered_at NULL)
    AFTER_HOURS = "after-hours"  # arrived while the centre was closed: never entered a queue (offered_at NULL)
    CALLBACK_FAILED = "callback-failed"  # a call-back whose last dial went unanswered (a call-back case is left)


#: Every outcome a call row can show: :class:`Outcome`, ``rejected`` (a system the centre does not serve) and
#: ``in-progress`` (``outcome`` still NULL). Only a call that entered a queue (``offered_at`` set) is offered:
#: ``ivr-abandoned`` and ``after-hours`` calls never are.
CALL_OUTCOMES: tuple[str, ...] = (*(o.value for o in Outcome), "rejected", "in-progress")


@dataclass(slots=True)
class CallRecord:
    """One row of ``calls``; the server keeps the live ones in memory."""

    call_id: str
    run_id: int
    channel: str
    caller: str
    dialled: str
    system: str | None  # None while the call is in the IVR, and for a call that never left it
    agency: str | None  # None unless the directory or a keyed agency code gave it
    arrived_at: float
    queue: str | None = None
    site: str | None = None
    agent: str | None = None
    offered_at: float | None = None
    rang_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    wrap_up_end_at: float | None = None
    outcome: str | None = None
    state: str = "new"
    ended_by: str | None = None
    entry_position: int | None = None
    offers: int = 0
    caller_key: str | None = None
    person_id: str | None = None
    case_id: str | None = None
    ivr: str | None = None  # the caller's IVR choices, as JSON
    disposition: str | None = None
    notes: str | None = None
    language: str | None = None  # the caller's language (chosen in the IVR, or the centre's default)
    ivr_outcome: str | None = None  # ``ivr.Outcome``: how the call left the IVR; None without an IVR
    ivr_s: float | None = None  # seconds from arrival to leaving the IVR
    callback_at: float | None = None  # when the caller asked to be called back, keeping the place (None: never)
    callback_accepted_at: float | None = None  # when an agent last accepted its call-back (the dial that was answered)
    callback_dials: int = 0  # call-back dials made


CALL_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(CallRecord))
call_row = attrgetter(*CALL_COLUMNS)
UPSERT_CALL = (
    f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({', '.join('?' * len(CALL_COLUMNS))}) "
    f"ON CONFLICT(call_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in CALL_COLUMNS if c != "call_id")
)
case_row = attrgetter(*CASE_COLUMNS)
UPSERT_CASE = (
    f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({', '.join('?' * len(CASE_COLUMNS))}) "
    f"ON CONFLICT(case_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in CASE_COLUMNS if c != "case_id")
)
step_row = attrgetter(*(f.name for f in fields(CaseStep)))
INSERT_STEP = (
    "INSERT INTO case_events (case_id, at, actor, action, status, tier, owner, due_at, note) VALUES (?,?,?,?,?,?,?,?,?)"
)
PERSON_COLUMNS = ("person_id", "name", "agency", "title", "office_phone", "mobile", "email", "national_id", "synthetic")
INSERT_EVENT = (
    "INSERT INTO call_events (at, call_id, queue, agent, event, rule, data1, data2, data3) VALUES (?,?,?,?,?,?,?,?,?)"
)
INSERT_STATE = (
    "INSERT INTO agent_states (run_id, at, agent_id, site, status, reason, rule, call_id) VALUES (?,?,?,?,?,?,?,?)"
)

EventRow = tuple[float, str, str | None, str | None, str, str | None, Any, Any, Any]
StateRow = tuple[int, float, str, str, str, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class AgentStateRow:
    run_id: int
    at: float
    agent_id: str
    site: str
    status: str
    reason: str | None
    rule: str | None
    call_id: str | None


state_row = attrgetter(*(f.name for f in fields(AgentStateRow)))


@dataclass(frozen=True, slots=True)
class Recovery:
    """What :meth:`cti.store.sqlite.Store.recover` closed."""

    interrupted_calls: tuple[str, ...]
    closed_sessions: int
    unfinished_runs: tuple[int, ...]


def person_from_row(row: Sequence[Any]) -> Person:
    """A directory entry from a row of :data:`PERSON_COLUMNS`."""
    pid, name, agency, title, office, mobile, email, national_id, synthetic = row[:9]
    return Person(pid, name, agency, title, office, mobile, email, national_id, bool(synthetic))
