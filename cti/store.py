"""The store: SQLite (through aiosqlite, in WAL mode) with numbered migrations.

Tables:

* ``runs`` — one row per start of the centre on this database.
* ``calls`` — one row per call, written from the same events as the journal
  and in the same transaction; ``outcome`` is NULL while the call is in
  progress and ``state`` is its last known state.
* ``call_events`` — the append-only call journal, a superset of Asterisk's
  ``queue_log`` (see :class:`Journal`).
* ``agent_sessions`` and ``agent_states`` — logins and every state change,
  with the reason and the routing rule behind it.

Writes are *group-committed*: components append rows without waiting, and a
writer task commits everything gathered since the last commit every
``flush_every_s`` of centre time, in order, one transaction per batch. Any
reader (statistics, export, the summary) flushes first. A process killed
mid-traffic loses at most the last batch; :meth:`Store.recover`, run at the
next start, closes every call left in progress as ``interrupted`` with its
last known state, and every open agent session.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from operator import attrgetter
from pathlib import Path
from typing import Any

import aiosqlite

from cti.cases import CASE_COLUMNS, CaseRecord, CaseStatus, CaseStep
from cti.clock import Clock
from cti.errors import CtiError
from cti.people import Person, caller_key, is_phone_key, phone_key

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE runs (
        run_id      INTEGER PRIMARY KEY,
        started_at  REAL NOT NULL,
        ended_at    REAL,
        clean       INTEGER,
        centre      TEXT NOT NULL,
        timezone    TEXT NOT NULL,
        seed        INTEGER,
        speed       TEXT
    );
    CREATE TABLE calls (
        call_id         TEXT PRIMARY KEY,
        run_id          INTEGER NOT NULL REFERENCES runs(run_id),
        channel         TEXT NOT NULL,
        caller          TEXT NOT NULL,
        dialled         TEXT NOT NULL,
        system          TEXT NOT NULL,
        agency          TEXT NOT NULL,
        queue           TEXT,
        site            TEXT,
        agent           TEXT,
        arrived_at      REAL NOT NULL,
        offered_at      REAL,
        rang_at         REAL,
        answered_at     REAL,
        ended_at        REAL,
        wrap_up_end_at  REAL,
        outcome         TEXT,
        state           TEXT NOT NULL,
        ended_by        TEXT,
        entry_position  INTEGER,
        offers          INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX calls_run ON calls(run_id);
    CREATE INDEX calls_open ON calls(outcome) WHERE outcome IS NULL;
    CREATE INDEX calls_offered ON calls(offered_at);
    CREATE TABLE call_events (
        seq      INTEGER PRIMARY KEY,
        at       REAL NOT NULL,
        call_id  TEXT NOT NULL,
        queue    TEXT,
        agent    TEXT,
        event    TEXT NOT NULL,
        rule     TEXT,
        data1    TEXT,
        data2    TEXT,
        data3    TEXT
    );
    CREATE INDEX call_events_call ON call_events(call_id);
    CREATE TABLE agent_sessions (
        session_id  INTEGER PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES runs(run_id),
        agent_id    TEXT NOT NULL,
        site        TEXT NOT NULL,
        login_at    REAL NOT NULL,
        logout_at   REAL,
        end_reason  TEXT
    );
    CREATE INDEX agent_sessions_open ON agent_sessions(agent_id) WHERE logout_at IS NULL;
    CREATE TABLE agent_states (
        seq       INTEGER PRIMARY KEY,
        run_id    INTEGER NOT NULL REFERENCES runs(run_id),
        at        REAL NOT NULL,
        agent_id  TEXT NOT NULL,
        site      TEXT NOT NULL,
        status    TEXT NOT NULL,
        reason    TEXT,
        rule      TEXT,
        call_id   TEXT
    );
    CREATE INDEX agent_states_run ON agent_states(run_id, agent_id, seq);
    """,
    # 2: the caller directory, contact history, screen pops, cases and the audit trail
    """
    CREATE TABLE people (
        person_id     TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        agency        TEXT NOT NULL,
        title         TEXT NOT NULL,
        office_phone  TEXT NOT NULL,
        mobile        TEXT NOT NULL,
        email         TEXT NOT NULL,
        national_id   TEXT NOT NULL UNIQUE,
        synthetic     INTEGER NOT NULL,
        source        TEXT NOT NULL
    );
    CREATE TABLE people_phones (
        phone_key  TEXT PRIMARY KEY,
        person_id  TEXT NOT NULL REFERENCES people(person_id),
        kind       TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX people_phones_person ON people_phones(person_id);
    ALTER TABLE calls ADD COLUMN caller_key TEXT;
    ALTER TABLE calls ADD COLUMN person_id TEXT;
    ALTER TABLE calls ADD COLUMN case_id TEXT;
    ALTER TABLE calls ADD COLUMN ivr TEXT;
    ALTER TABLE calls ADD COLUMN disposition TEXT;
    ALTER TABLE calls ADD COLUMN notes TEXT;
    CREATE INDEX calls_person ON calls(person_id, arrived_at) WHERE person_id IS NOT NULL;
    CREATE INDEX calls_caller_key ON calls(caller_key, arrived_at);
    CREATE TABLE screen_pops (
        call_id  TEXT PRIMARY KEY,
        at       REAL NOT NULL,
        pop      TEXT NOT NULL
    );
    CREATE TABLE cases (
        case_id      TEXT PRIMARY KEY,
        call_id      TEXT,
        person_id    TEXT,
        caller       TEXT NOT NULL,
        system       TEXT NOT NULL,
        agency       TEXT NOT NULL,
        channel      TEXT NOT NULL,
        status       TEXT NOT NULL,
        tier         TEXT NOT NULL,
        owner        TEXT,
        priority     TEXT NOT NULL,
        created_at   REAL NOT NULL,
        due_at       REAL NOT NULL,
        closed_at    REAL,
        disposition  TEXT,
        notes        TEXT
    );
    CREATE INDEX cases_open_due ON cases(due_at) WHERE status != 'closed';
    CREATE INDEX cases_person ON cases(person_id) WHERE person_id IS NOT NULL;
    CREATE INDEX cases_call ON cases(call_id);
    CREATE TABLE case_events (
        seq      INTEGER PRIMARY KEY,
        case_id  TEXT NOT NULL,
        at       REAL NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        status   TEXT NOT NULL,
        tier     TEXT NOT NULL,
        owner    TEXT,
        due_at   REAL NOT NULL,
        note     TEXT
    );
    CREATE INDEX case_events_case ON case_events(case_id, seq);
    CREATE TABLE audit (
        seq     INTEGER PRIMARY KEY,
        at      REAL NOT NULL,
        actor   TEXT NOT NULL,
        role    TEXT,
        action  TEXT NOT NULL,
        target  TEXT NOT NULL,
        detail  TEXT
    );
    """,
)


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
_call_row = attrgetter(*CALL_COLUMNS)
_UPSERT_CALL = (
    f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({', '.join('?' * len(CALL_COLUMNS))}) "
    f"ON CONFLICT(call_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in CALL_COLUMNS if c != "call_id")
)
_case_row = attrgetter(*CASE_COLUMNS)
_UPSERT_CASE = (
    f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({', '.join('?' * len(CASE_COLUMNS))}) "
    f"ON CONFLICT(case_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in CASE_COLUMNS if c != "case_id")
)
_step_row = attrgetter(*(f.name for f in fields(CaseStep)))
_INSERT_STEP = (
    "INSERT INTO case_events (case_id, at, actor, action, status, tier, owner, due_at, note) VALUES (?,?,?,?,?,?,?,?,?)"
)
PERSON_COLUMNS = ("person_id", "name", "agency", "title", "office_phone", "mobile", "email", "national_id", "synthetic")
_INSERT_EVENT = (
    "INSERT INTO call_events (at, call_id, queue, agent, event, rule, data1, data2, data3) VALUES (?,?,?,?,?,?,?,?,?)"
)
_INSERT_STATE = (
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


_state_row = attrgetter(*(f.name for f in fields(AgentStateRow)))


@dataclass(frozen=True, slots=True)
class Recovery:
    """What :meth:`Store.recover` closed."""

    interrupted_calls: tuple[str, ...]
    closed_sessions: int
    unfinished_runs: tuple[int, ...]


class StoreError(CtiError):
    """The database cannot be used (newer schema, not a store, ...)."""


class Store:
    """The embedded store. Open with :meth:`open`; use as an async context manager."""

    def __init__(self, db: aiosqlite.Connection, clock: Clock, path: Path, flush_every_s: float) -> None:
        self._db = db
        self._clock = clock
        self.path = path
        self.flush_every_s = flush_every_s
        self._calls: dict[str, CallRecord] = {}
        self._events: list[EventRow] = []
        self._states: list[StateRow] = []
        self._misc: list[tuple[str, tuple[Any, ...]]] = []
        self._cases: dict[str, CaseRecord] = {}
        self._steps: list[tuple[Any, ...]] = []
        self._pops: list[tuple[str, float, str]] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self.commits = 0

    @classmethod
    async def open(cls, path: str | Path, clock: Clock, *, flush_every_s: float = 0.05) -> Store:
        path = Path(path)
        with clock.io():
            db = await aiosqlite.connect(path)
            try:
                await db.execute("PRAGMA journal_mode=WAL")
                await db.execute("PRAGMA synchronous=NORMAL")
                await db.execute("PRAGMA foreign_keys=ON")
                await _migrate(db, path)
            except BaseException:
                await db.close()
                raise
        return cls(db, clock, path, flush_every_s)

    @classmethod
    async def open_existing(cls, path: Path, clock: Clock) -> Store:
        """Open a database a run already wrote (for the commands that read or change it)."""
        if not path.is_file():
            raise StoreError(f"--db: no database at {path}")
        try:
            return await cls.open(path, clock)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"--db: {path} is not a usable database ({exc})") from None

    async def close(self) -> None:
        await self.flush()
        with self._clock.io():
            await self._db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------
    # Writing (never waits; committed by the writer or flush())
    # ------------------------------------------------------------------

    def call(self, record: CallRecord) -> None:
        """Queue the current state of a call's row for the next commit."""
        self._calls[record.call_id] = record
        self._wake.set()

    def event(
        self,
        at: float,
        call_id: str,
        event: Journal,
        *,
        queue: str | None = None,
        agent: str | None = None,
        rule: str | None = None,
        data1: Any = None,
        data2: Any = None,
        data3: Any = None,
    ) -> None:
        self._events.append((at, call_id, queue, agent, event.value, rule, data1, data2, data3))
        self._wake.set()

    def agent_state(self, row: AgentStateRow) -> None:
        self._states.append(_state_row(row))
        self._wake.set()

    def session_start(self, run_id: int, agent_id: str, site: str, at: float) -> None:
        self._misc.append(
            (
                "INSERT INTO agent_sessions (run_id, agent_id, site, login_at) VALUES (?,?,?,?)",
                (run_id, agent_id, site, at),
            )
        )
        self._wake.set()

    def session_end(self, agent_id: str, at: float, reason: str) -> None:
        self._misc.append(
            (
                "UPDATE agent_sessions SET logout_at = ?, end_reason = ? WHERE agent_id = ? AND logout_at IS NULL",
                (at, reason, agent_id),
            )
        )
        self._wake.set()

    def case(self, record: CaseRecord) -> None:
        """Queue the current state of a case's row for the next commit."""
        self._cases[record.case_id] = record
        self._wake.set()

    def case_step(self, step: CaseStep) -> None:
        self._steps.append(_step_row(step))
        self._wake.set()

    def screen_pop(self, call_id: str, at: float, pop: str) -> None:
        self._pops.append((call_id, at, pop))
        self._wake.set()

    def link_phone(self, phone_key: str, person_id: str) -> None:
        """Remember that this number belongs to this person (an agent linked an unknown caller)."""
        self._misc.append(
            (
                "INSERT INTO people_phones (phone_key, person_id, kind) VALUES (?,?,'linked') "
                "ON CONFLICT(phone_key) DO UPDATE SET person_id = excluded.person_id, kind = 'linked'",
                (phone_key, person_id),
            )
        )
        self._wake.set()

    def audit(self, at: float, actor: str, role: str | None, action: str, target: str, detail: str | None) -> None:
        self._misc.append(
            (
                "INSERT INTO audit (at, actor, role, action, target, detail) VALUES (?,?,?,?,?,?)",
                (at, actor, role, action, target, detail),
            )
        )
        self._wake.set()

    async def flush(self) -> None:
        """Commit everything queued so far (in order, one transaction)."""
        async with self._lock:
            calls, events, states, misc = self._calls, self._events, self._states, self._misc
            cases, steps, pops = self._cases, self._steps, self._pops
            if not (calls or events or states or misc or cases or steps or pops):
                return
            self._calls, self._events, self._states, self._misc = {}, [], [], []
            self._cases, self._steps, self._pops = {}, [], []
            self._wake.clear()
            rows = [_call_row(r) for r in calls.values()]
            case_rows = [_case_row(r) for r in cases.values()]
            with self._clock.io():
                if misc:
                    for sql, params in misc:
                        await self._db.execute(sql, params)
                if rows:
                    await self._db.executemany(_UPSERT_CALL, rows)
                if events:
                    await self._db.executemany(_INSERT_EVENT, events)
                if states:
                    await self._db.executemany(_INSERT_STATE, states)
                if case_rows:
                    await self._db.executemany(_UPSERT_CASE, case_rows)
                if steps:
                    await self._db.executemany(_INSERT_STEP, steps)
                if pops:
                    await self._db.executemany(
                        "INSERT OR REPLACE INTO screen_pops (call_id, at, pop) VALUES (?,?,?)", pops
                    )
                await self._db.commit()
            self.commits += 1

    async def writer(self) -> None:
        """Commit batches until cancelled: whenever rows wait, at most every ``flush_every_s``."""
        while True:
            await self._wake.wait()
            await self._clock.sleep(self.flush_every_s)
            await self.flush()

    # ------------------------------------------------------------------
    # Runs and recovery
    # ------------------------------------------------------------------

    async def start_run(self, started_at: float, centre: str, timezone: str, seed: int | None, speed: str) -> int:
        await self.flush()
        with self._clock.io():
            cur = await self._db.execute(
                "INSERT INTO runs (started_at, centre, timezone, seed, speed) VALUES (?,?,?,?,?)",
                (started_at, centre, timezone, seed, speed),
            )
            await self._db.commit()
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def end_run(self, run_id: int, ended_at: float) -> None:
        await self.flush()
        with self._clock.io():
            await self._db.execute("UPDATE runs SET ended_at = ?, clean = 1 WHERE run_id = ?", (ended_at, run_id))
            await self._db.commit()

    async def recover(self) -> Recovery:
        """Close what a killed process left open: calls as ``interrupted``, sessions, runs.

        Each interrupted call keeps its last known ``state``; it ends at the
        time of its last journal event, and the journal gets an INTERRUPTED
        entry. Agents get a ``logged-out`` state at their last known time.
        """
        await self.flush()
        with self._clock.io():
            open_calls = await self._fetch(
                "SELECT c.call_id, c.state, c.queue, c.agent, "
                "COALESCE((SELECT MAX(at) FROM call_events e WHERE e.call_id = c.call_id), c.arrived_at) "
                "FROM calls c WHERE c.outcome IS NULL ORDER BY c.arrived_at, c.call_id"
            )
            for call_id, state, queue, agent, last_at in open_calls:
                await self._db.execute(
                    "UPDATE calls SET outcome = ?, ended_at = ? WHERE call_id = ?",
                    (Outcome.INTERRUPTED.value, last_at, call_id),
                )
                await self._db.execute(
                    _INSERT_EVENT,
                    (last_at, call_id, queue, agent, Journal.INTERRUPTED.value, "restart", state, None, None),
                )
                if state in {"new", "queued", "ringing"}:
                    cur = await self._db.execute(
                        "UPDATE cases SET status = ? WHERE call_id = ? AND status = ? "
                        "RETURNING case_id, tier, owner, due_at",
                        (CaseStatus.CALL_BACK.value, call_id, CaseStatus.OPEN.value),
                    )
                    for case_id, tier, owner, due_at in await cur.fetchall():
                        await self._db.execute(
                            _INSERT_STEP,
                            (
                                case_id,
                                last_at,
                                "centre",
                                "call-back",
                                CaseStatus.CALL_BACK.value,
                                tier,
                                owner,
                                due_at,
                                "interrupted",
                            ),
                        )
                    await cur.close()
            last_states = await self._fetch(
                "SELECT s.run_id, s.agent_id, s.site, s.at, s.status FROM agent_states s "
                "WHERE s.seq = (SELECT MAX(seq) FROM agent_states t WHERE t.agent_id = s.agent_id)"
                " ORDER BY s.agent_id"
            )
            for run_id, agent_id, site, at, status in last_states:
                if status != "logged-out":
                    await self._db.execute(
                        _INSERT_STATE, (run_id, at, agent_id, site, "logged-out", "interrupted", "restart", None)
                    )
            cur = await self._db.execute(
                "UPDATE agent_sessions SET logout_at = COALESCE((SELECT MAX(at) FROM agent_states s "
                "WHERE s.agent_id = agent_sessions.agent_id), login_at), end_reason = 'interrupted' "
                "WHERE logout_at IS NULL"
            )
            sessions = cur.rowcount
            runs = await self._fetch("SELECT run_id FROM runs WHERE ended_at IS NULL ORDER BY run_id")
            await self._db.execute(
                "UPDATE runs SET clean = 0, ended_at = COALESCE((SELECT MAX(at) FROM call_events), started_at) "
                "WHERE ended_at IS NULL"
            )
            await self._db.commit()
        return Recovery(tuple(r[0] for r in open_calls), sessions, tuple(r[0] for r in runs))

    # ------------------------------------------------------------------
    # Reading (flushes first)
    # ------------------------------------------------------------------

    async def calls(self, run_id: int | None = None) -> list[CallRecord]:
        await self.flush()
        where, params = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
        rows = await self._fetch(
            f"SELECT {', '.join(CALL_COLUMNS)} FROM calls {where} ORDER BY arrived_at, call_id",
            params,
        )
        return [CallRecord(*row) for row in rows]

    async def call_by_id(self, call_id: str) -> CallRecord | None:
        await self.flush()
        rows = await self._fetch(f"SELECT {', '.join(CALL_COLUMNS)} FROM calls WHERE call_id = ?", (call_id,))
        return CallRecord(*rows[0]) if rows else None

    async def agent_states(self, run_id: int | None = None) -> list[AgentStateRow]:
        await self.flush()
        where, params = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
        rows = await self._fetch(
            f"SELECT run_id, at, agent_id, site, status, reason, rule, call_id FROM agent_states {where} ORDER BY seq",
            params,
        )
        return [AgentStateRow(*row) for row in rows]

    async def events(self, call_id: str | None = None) -> list[tuple[Any, ...]]:
        await self.flush()
        if call_id is None:
            return await self._fetch("SELECT * FROM call_events ORDER BY seq")
        return await self._fetch("SELECT * FROM call_events WHERE call_id = ? ORDER BY seq", (call_id,))

    async def runs(self) -> list[tuple[Any, ...]]:
        await self.flush()
        return await self._fetch(
            "SELECT run_id, started_at, ended_at, clean, centre, timezone, seed, speed FROM runs ORDER BY run_id"
        )

    async def counts_since(self, since: float, threshold: float) -> dict[str, int]:
        """Calls offered since ``since`` by outcome (``open`` = still in progress), and
        ``in_threshold``: answered within ``threshold`` seconds. The KPI baseline at start."""
        await self.flush()
        rows = await self._fetch(
            "SELECT COALESCE(outcome, 'open'), COUNT(*) FROM calls WHERE offered_at >= ? GROUP BY 1", (since,)
        )
        counts: dict[str, int] = dict(rows)
        fast = await self._fetch(
            "SELECT COUNT(*) FROM calls WHERE offered_at >= ? AND outcome = 'answered' "
            "AND answered_at - offered_at <= ?",
            (since, threshold),
        )
        counts["in_threshold"] = fast[0][0]
        return counts

    # ------------------------------------------------------------------
    # Cases, screen pops, the directory, the audit trail
    # ------------------------------------------------------------------

    async def cases(
        self,
        *,
        status: Sequence[str] = (),
        tier: str | None = None,
        owner: str | None = None,
        due_before: float | None = None,
        open_only: bool = False,
        case_ids: Sequence[str] = (),
    ) -> list[CaseRecord]:
        """Cases matching every filter given, oldest first."""
        await self.flush()
        where: list[str] = []
        params: list[Any] = []
        if status:
            where.append(f"status IN ({', '.join('?' * len(status))})")
            params += status
        if open_only:
            where.append("status != 'closed'")
        if tier is not None:
            where.append("tier = ?")
            params.append(tier)
        if owner is not None:
            where.append("owner = ?")
            params.append(owner)
        if due_before is not None:
            where.append("due_at < ?")
            params.append(due_before)
        if case_ids:
            where.append(f"case_id IN ({', '.join('?' * len(case_ids))})")
            params += case_ids
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._fetch(
            f"SELECT {', '.join(CASE_COLUMNS)} FROM cases {clause} ORDER BY created_at, case_id", params
        )
        return [CaseRecord(*row) for row in rows]

    async def get_case(self, case_id: str) -> CaseRecord | None:
        found = await self.cases(case_ids=(case_id,))
        return found[0] if found else None

    async def case_counts(self, run_id: int) -> dict[str, int]:
        """A run's cases by where they stand: ``closed``, ``call-back``, ``open`` (first line) or the tier."""
        await self.flush()
        rows = await self._fetch(
            "SELECT CASE WHEN k.status != 'open' THEN k.status WHEN k.tier = 'first-line' THEN 'open' "
            "ELSE k.tier END, COUNT(*) FROM cases k JOIN calls c ON c.call_id = k.call_id WHERE c.run_id = ? "
            "GROUP BY 1",
            (run_id,),
        )
        return {str(where): int(n) for where, n in rows}

    async def case_steps(self, case_id: str) -> list[CaseStep]:
        await self.flush()
        rows = await self._fetch(
            "SELECT case_id, at, actor, action, status, tier, owner, due_at, note FROM case_events "
            "WHERE case_id = ? ORDER BY seq",
            (case_id,),
        )
        return [CaseStep(*row) for row in rows]

    async def update_case(self, case: CaseRecord, step: CaseStep) -> None:
        """Write one change made outside the server (``cti cases ...``) and commit it."""
        self.case(case)
        self.case_step(step)
        await self.flush()

    async def screen_pops(self, call_id: str) -> str | None:
        await self.flush()
        rows = await self._fetch("SELECT pop FROM screen_pops WHERE call_id = ?", (call_id,))
        return str(rows[0][0]) if rows else None

    async def people_count(self) -> int:
        rows = await self._fetch("SELECT COUNT(*) FROM people")
        return int(rows[0][0])

    async def add_people(self, people: Sequence[Person], source: str) -> int:
        """Add directory entries in one transaction: all of them, or none if any is already there.

        Raises :class:`StoreError` naming the first entry whose id, national
        ID or phone number the directory already holds.
        """
        await self.flush()
        rows = [(*(getattr(p, c) for c in PERSON_COLUMNS), source) for p in people]
        phones = [
            (key, p.person_id, kind)
            for p in people
            for key, kind in ((phone_key(p.office_phone), "office"), (phone_key(p.mobile), "mobile"))
        ]
        clash = await self.directory_clashes(people)
        if clash is not None:
            index, column, clashes = clash
            p = people[index]
            raise StoreError(
                f"{source}: {p.person_id} ({p.name}): {column} already in the directory in {self.path}; "
                f"nothing was added ({clashes} value(s) clash in all)"
            )
        with self._clock.io():
            await self._db.execute("BEGIN")
            try:
                await self._db.executemany(
                    f"INSERT INTO people ({', '.join(PERSON_COLUMNS)}, source) VALUES ({', '.join('?' * 10)})", rows
                )
                await self._db.executemany("INSERT INTO people_phones VALUES (?,?,?)", phones)
            except BaseException:
                await self._db.rollback()
                raise
            await self._db.commit()
        return len(rows)

    async def directory_clashes(self, people: Sequence[Person]) -> tuple[int, str, int] | None:
        """The first of ``people`` the directory already holds: (its index, the field, how many values clash)."""
        if not people or not await self.people_count():
            return None
        ids = await self._existing("people", "person_id", [p.person_id for p in people])
        national_ids = await self._existing("people", "national_id", [p.national_id for p in people])
        keys = await self._existing(
            "people_phones", "phone_key", [phone_key(n) for p in people for n in (p.office_phone, p.mobile)]
        )
        clashes = len(ids) + len(national_ids) + len(keys)
        for index, p in enumerate(people):
            if p.person_id in ids:
                return index, "person_id", clashes
            if p.national_id in national_ids:
                return index, "national_id", clashes
            if phone_key(p.office_phone) in keys:
                return index, "office_phone", clashes
            if phone_key(p.mobile) in keys:
                return index, "mobile", clashes
        return None

    async def _existing(self, table: str, column: str, values: Sequence[str]) -> set[str]:
        """Which of ``values`` the column already holds."""
        found: set[str] = set()
        for i in range(0, len(values), 500):
            chunk = values[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            found.update(
                r[0] for r in await self._fetch(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", chunk)
            )
        return found

    async def person(self, person_id: str) -> Person | None:
        rows = await self._fetch(f"SELECT {', '.join(PERSON_COLUMNS)} FROM people WHERE person_id = ?", (person_id,))
        return person_from_row(rows[0]) if rows else None

    async def people(self, *, limit: int | None = None) -> list[Person]:
        """Directory entries in id order (the first ``limit``)."""
        await self.flush()
        rows = await self._fetch(
            f"SELECT {', '.join(PERSON_COLUMNS)} FROM people ORDER BY person_id"
            + (" LIMIT ?" if limit is not None else ""),
            (limit,) if limit is not None else (),
        )
        return [person_from_row(row) for row in rows]

    async def audit_rows(self) -> list[tuple[Any, ...]]:
        await self.flush()
        return await self._fetch("SELECT seq, at, actor, role, action, target, detail FROM audit ORDER BY seq")

    async def _fetch(self, sql: str, params: Sequence[Any] | Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._clock.io():
            cur = await self._db.execute(sql, tuple(params))
            rows = await cur.fetchall()
            await cur.close()
        return [tuple(r) for r in rows]


def person_from_row(row: Sequence[Any]) -> Person:
    """A directory entry from a row of :data:`PERSON_COLUMNS`."""
    pid, name, agency, title, office, mobile, email, national_id, synthetic = row[:9]
    return Person(pid, name, agency, title, office, mobile, email, national_id, bool(synthetic))


async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
    cur = await db.execute("PRAGMA user_version")
    row = await cur.fetchone()
    version = int(row[0]) if row else 0
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{path}: database schema version {version} is newer than this program knows ({len(MIGRATIONS)})"
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        await db.executescript(f"BEGIN; {MIGRATIONS[number - 1]}")
        after = _AFTER_MIGRATION.get(number)
        if after is not None:
            await after(db)
        await db.execute(f"PRAGMA user_version = {number}")
        await db.commit()


async def _key_earlier_calls(db: aiosqlite.Connection) -> None:
    """Migration 2: calls recorded before it get their caller key, so they count in contact history."""
    cur = await db.execute("SELECT call_id, caller FROM calls")
    rows = await cur.fetchall()
    await cur.close()
    keyed = [(key, call_id) for call_id, caller in rows if is_phone_key(key := caller_key(caller))]
    await db.executemany("UPDATE calls SET caller_key = ? WHERE call_id = ?", keyed)


_AFTER_MIGRATION: dict[int, Callable[[aiosqlite.Connection], Awaitable[None]]] = {2: _key_earlier_calls}
