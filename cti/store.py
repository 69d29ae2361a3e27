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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from operator import attrgetter
from pathlib import Path
from typing import Any

import aiosqlite

from cti.clock import Clock
from cti.errors import CtiError

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


CALL_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(CallRecord))
_call_row = attrgetter(*CALL_COLUMNS)
_UPSERT_CALL = (
    f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({', '.join('?' * len(CALL_COLUMNS))}) "
    f"ON CONFLICT(call_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in CALL_COLUMNS if c != "call_id")
)
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

    async def flush(self) -> None:
        """Commit everything queued so far (in order, one transaction)."""
        async with self._lock:
            calls, events, states, misc = self._calls, self._events, self._states, self._misc
            if not (calls or events or states or misc):
                return
            self._calls, self._events, self._states, self._misc = {}, [], [], []
            self._wake.clear()
            rows = [_call_row(r) for r in calls.values()]
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

    async def _fetch(self, sql: str, params: Sequence[Any] | Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._clock.io():
            cur = await self._db.execute(sql, tuple(params))
            rows = await cur.fetchall()
            await cur.close()
        return [tuple(r) for r in rows]


async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
    cur = await db.execute("PRAGMA user_version")
    row = await cur.fetchone()
    version = int(row[0]) if row else 0
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{path}: database schema version {version} is newer than this program knows ({len(MIGRATIONS)})"
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        await db.executescript(f"BEGIN; {MIGRATIONS[number - 1]} PRAGMA user_version = {number}; COMMIT;")
