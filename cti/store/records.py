"""The rows the store keeps, and the SQL that writes them.

* :class:`CallRecord`: one row of ``calls`` (the server keeps the live ones in memory);
* :class:`Journal`: the verbs of the append-only call journal ``call_events``;
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


class Outcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    NO_AGENT = "no-agent"
    INTERRUPTED = "interrupted"


@dataclass(slots=True)
class CallRecord:
    """One row of ``calls``; the server keeps the live ones in memory."""

    call_id: str
    run_id: int
    channel: str
    caller: str
    dialled: str
    system: str
    agency: str
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
