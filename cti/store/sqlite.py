"""The store on SQLite (through aiosqlite, in WAL mode).

Tables (the schema and its migrations are in :mod:`cti.store.schema`):

* ``runs`` — one row per start of the centre on this database.
* ``calls`` — one row per call, written from the same events as the journal
  and in the same transaction; ``outcome`` is NULL while the call is in
  progress and ``state`` is its last known state.
* ``call_events`` — the append-only call journal, a superset of Asterisk's
  ``queue_log`` (see :class:`cti.store.records.Journal`).
* ``agent_sessions`` and ``agent_states`` — logins and every state change,
  with the reason and the routing rule behind it.
* ``people`` and ``people_phones`` (the caller directory), ``screen_pops``,
  ``cases`` and ``case_events``, ``audit``, and ``staff`` (:mod:`cti.store.staff`).

Writes are *group-committed*: components append rows without waiting, and a
writer task commits everything gathered since the last commit every
``flush_every_s`` of centre time, in order, one transaction per batch. Any
reader (statistics, export, the summary) flushes first. A process killed
mid-traffic loses at most the last batch; :meth:`Store.recover`, run at the
next start, closes every call left in progress as ``interrupted`` with its
last known state, and every open agent session (:mod:`cti.store.recovery`).

Every write transaction begins with ``BEGIN IMMEDIATE`` and every connection
waits up to :data:`~cti.store.schema.BUSY_TIMEOUT_S` for another's write
lock. A server's store holds the database's lease (:meth:`Store.take_lease`,
:mod:`cti.store.lease`): each of its transactions first checks that the
lease is still its own (fenced). The stores of the other commands (cases,
imports, audit rows) are not fenced and write in short transactions beside
a live server.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from cti.casework.access import StaffEntry
from cti.casework.cases import CASE_COLUMNS, CaseRecord, CaseStep
from cti.casework.people import Person, phone_key
from cti.clock import Clock
from cti.store import lease as leases
from cti.store.errors import StoreError
from cti.store.lease import Heartbeat, Lease, LeaseLost, Wall
from cti.store.records import (
    CALL_COLUMNS,
    INSERT_EVENT,
    INSERT_STATE,
    INSERT_STEP,
    PERSON_COLUMNS,
    UPSERT_CALL,
    UPSERT_CASE,
    AgentStateRow,
    CallRecord,
    EventRow,
    Journal,
    JournalEntry,
    Recovery,
    StateRow,
    call_row,
    case_row,
    journal_entry,
    person_from_row,
    state_row,
    step_row,
)
from cti.store.recovery import recover
from cti.store.schema import BUSY_TIMEOUT_S, check_ours, migrate
from cti.store.staff import INSERT_AUDIT, AuditRow, read_staff, replace_staff
from routing.centre import StaffMember

#: The driver's error for a file that is not a usable database, for callers that must not import the driver.
DatabaseError = sqlite3.DatabaseError

#: Directory entries added per transaction: a long import leaves the write lock to a live server between them.
ADD_BATCH = 5_000


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
        # The call and case rows of the batch being committed: readers of unsaved rows see them meanwhile.
        self._saving: tuple[dict[str, CallRecord], dict[str, CaseRecord]] = ({}, {})
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self.commits = 0
        self._lease: Lease | None = None
        self._wall: Wall = time.time
        self._heartbeat: Heartbeat | None = None
        self._lost: asyncio.Future[LeaseLost] | None = None

    @classmethod
    async def open(cls, path: str | Path, clock: Clock, *, flush_every_s: float = 0.05) -> Store:
        path = Path(path)
        if path.is_file():
            check_ours(path, empty_ok=True)
        with clock.io():
            # Writes begin their transactions themselves (BEGIN IMMEDIATE); "IMMEDIATE" covers any implicit one.
            db = await aiosqlite.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level="IMMEDIATE")
            try:
                await _write_ahead_log(db)
                await db.execute("PRAGMA synchronous=NORMAL")
                await db.execute("PRAGMA foreign_keys=ON")
                await migrate(db, path)
            except BaseException:
                await db.close()
                raise
        return cls(db, clock, path, flush_every_s)

    @classmethod
    async def open_existing(cls, path: Path, clock: Clock) -> Store:
        """Open a database a run already wrote (for the commands that read or change it)."""
        if not path.is_file():
            if path.is_dir():
                raise StoreError(f"--db: {path} is a folder; give the database file in it")
            raise StoreError(f"--db: no database at {path}: the file does not exist (`cti demo --db {path}` makes one)")
        check_ours(path)
        try:
            return await cls.open(path, clock)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"--db: {path} is not a usable database ({exc})") from None

    async def close(self) -> None:
        """Commit what is queued, release the lease if this store holds one, and close."""
        try:
            await self.flush()
            if self._lease is not None:
                self._stop_heartbeat()
                with self._clock.io():
                    await leases.release(self._db, self._lease, self._wall)
                self._lease = None
        finally:
            self._stop_heartbeat()
            with self._clock.io():
                await self._db.close()

    # ------------------------------------------------------------------
    # The lease (a server's store): one server per database
    # ------------------------------------------------------------------

    async def take_lease(self, server_id: str, *, wall: Wall = time.time) -> Lease:
        """Take the database's lease for this process, or raise :class:`~cti.store.lease.LeaseHeld`.

        From then on every write transaction of this store is fenced by the
        lease's epoch, a thread keeps its heartbeat fresh, and :meth:`close`
        releases it. ``wall`` is the wall clock (``time.time``; tests move it).
        """
        if self._lease is not None:
            raise StoreError(f"{self.path}: this store holds the lease already")
        await self.flush()
        with self._clock.io():
            lease = await leases.take(self._db, self.path, server_id, wall)
        self._lease, self._wall = lease, wall
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        lost = self._lost

        def on_lost(error: LeaseLost) -> None:  # called from the heartbeat's thread
            def mark() -> None:
                if not lost.done():
                    lost.set_result(error)

            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is left to tell
                loop.call_soon_threadsafe(mark)

        self._heartbeat = Heartbeat(lease, on_lost, wall)
        self._heartbeat.start()
        return lease

    @property
    def lease(self) -> Lease | None:
        """The lease this store holds (a server's), or None."""
        return self._lease

    async def hold_lease(self) -> None:
        """Wait until the heartbeat finds the lease taken over, then raise :class:`LeaseLost` (run it as a task)."""
        if self._lost is None:
            raise StoreError(f"{self.path}: this store holds no lease")
        raise await self._lost

    def _stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None

    async def _begin(self) -> None:
        """Begin a write transaction; in a server's store, check first that the lease is still its own."""
        await self._db.execute("BEGIN IMMEDIATE")
        if self._lease is not None:
            await leases.fence(self._db, self._lease, self._wall)

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

    def holds_call(self, call_id: str) -> bool:
        """Whether a row for this call is waiting to be committed (gathered, or in the batch being committed)."""
        return call_id in self._calls or call_id in self._saving[0]

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
        self._states.append(state_row(row))
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
        self._steps.append(step_row(step))
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

    def audit(self, row: AuditRow) -> None:
        self._misc.append((INSERT_AUDIT, row.params()))
        self._wake.set()

    # ------------------------------------------------------------------
    # The post-call survey
    # ------------------------------------------------------------------

    def survey_offered(self, run_id: int, call_id: str, at: float, language: str) -> None:
        self._misc.append(
            (
                "INSERT INTO surveys (call_id, run_id, language, offered_at) VALUES (?,?,?,?)",
                (call_id, run_id, language, at),
            )
        )
        self._wake.set()

    def survey_answer(self, call_id: str, question: str, answer: int, at: float) -> None:
        """One answer, stored as it is keyed (the survey's row says it was taken)."""
        self._misc.append(("UPDATE surveys SET consented = 1 WHERE call_id = ?", (call_id,)))
        self._misc.append(
            (
                "INSERT OR REPLACE INTO survey_answers (call_id, question, answer, at) VALUES (?,?,?,?)",
                (call_id, question, answer, at),
            )
        )
        self._wake.set()

    def survey_ended(self, call_id: str, at: float, outcome: str, consented: bool) -> None:
        self._misc.append(
            (
                "UPDATE surveys SET ended_at = ?, outcome = ?, consented = ? WHERE call_id = ?",
                (at, outcome, int(consented), call_id),
            )
        )
        self._wake.set()

    async def surveys(self, run_id: int | None = None) -> list[tuple[Any, ...]]:
        """Surveys (of one run, or all): call, consented, outcome, agent, system, agency, case, then answers.

        Each row: ``(call_id, consented, outcome, agent, system, agency, case_id, question, answer)``;
        a survey with no answer has one row with ``question`` and ``answer`` NULL.
        """
        await self.flush()
        where = "WHERE s.run_id = ?" if run_id is not None else ""
        return await self._fetch(
            "SELECT s.call_id, s.consented, s.outcome, c.agent, c.system, c.agency, c.case_id, a.question, a.answer "
            "FROM surveys s LEFT JOIN calls c ON c.call_id = s.call_id "
            f"LEFT JOIN survey_answers a ON a.call_id = s.call_id {where} ORDER BY s.call_id, a.question",
            (run_id,) if run_id is not None else (),
        )

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
            rows = [call_row(r) for r in calls.values()]
            case_rows = [case_row(r) for r in cases.values()]
            self._saving = (calls, cases)  # until committed (a failed commit leaves them unsaved)
            with self._clock.io():
                await self._begin()
                try:
                    for sql, params in misc:
                        await self._db.execute(sql, params)
                    if rows:
                        await self._db.executemany(UPSERT_CALL, rows)
                    if events:
                        await self._db.executemany(INSERT_EVENT, events)
                    if states:
                        await self._db.executemany(INSERT_STATE, states)
                    if case_rows:
                        await self._db.executemany(UPSERT_CASE, case_rows)
                    if steps:
                        await self._db.executemany(INSERT_STEP, steps)
                    if pops:
                        await self._db.executemany(
                            "INSERT OR REPLACE INTO screen_pops (call_id, at, pop) VALUES (?,?,?)", pops
                        )
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        await self._db.rollback()
                    raise
                await self._db.commit()
            self._saving = ({}, {})
            self.commits += 1

    def unsaved_calls(self) -> list[CallRecord]:
        """Call rows not committed yet: the batch being committed, then the rows queued (a call's newest last)."""
        return [*self._saving[0].values(), *self._calls.values()]

    def unsaved_cases(self) -> list[CaseRecord]:
        """Case rows not committed yet: the batch being committed, then the rows queued (a case's newest last)."""
        return [*self._saving[1].values(), *self._cases.values()]

    def queued(self) -> int:
        """Rows not committed yet (0 once everything is)."""
        rows = (self._calls, self._events, self._states, self._misc, self._cases, self._steps, self._pops)
        return sum(len(r) for r in (*rows, *self._saving))

    async def writer(self) -> None:
        """Commit batches until cancelled: whenever rows wait, at most every ``flush_every_s``.

        A batch being committed when the writer is cancelled is committed all the same (shielded).
        """
        while True:
            await self._wake.wait()
            await self._clock.sleep(self.flush_every_s)
            batch = asyncio.ensure_future(self.flush())
            # Cancelled meanwhile, nobody awaits the batch: its error (a lost lease) is the lease task's to report.
            batch.add_done_callback(lambda done: done.cancelled() or done.exception())
            await asyncio.shield(batch)

    # ------------------------------------------------------------------
    # Runs and recovery
    # ------------------------------------------------------------------

    async def start_run(self, started_at: float, centre: str, timezone: str, seed: int | None, speed: str) -> int:
        await self.flush()
        with self._clock.io():
            await self._begin()
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
            await self._begin()
            await self._db.execute("UPDATE runs SET ended_at = ?, clean = 1 WHERE run_id = ?", (ended_at, run_id))
            await self._db.commit()

    async def recover(
        self, reason: str = "restart", *, before_commit: Callable[[Recovery], None] | None = None
    ) -> Recovery:
        """Close what a killed (or stopped) process left open: calls as ``interrupted``, sessions, runs.

        See :mod:`cti.store.recovery` for what each becomes.
        """
        await self.flush()
        with self._clock.io():
            await self._begin()
            try:
                return await recover(self._db, reason, before_commit)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    await self._db.rollback()
                raise

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

    async def find_calls(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        system: str | None = None,
        agency: str | None = None,
        site: str | None = None,
        agent: str | None = None,
        outcome: str | None = None,
        last: int | None = None,
    ) -> list[CallRecord]:
        """Calls matching every filter given, oldest first; with ``last``, only the ``last`` most recent of them.

        ``since``/``until`` bound the arrival time (``since`` <= arrived < ``until``);
        ``outcome`` ``in-progress`` matches calls with no outcome yet.
        """
        await self.flush()
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("system", system), ("agency", agency), ("site", site), ("agent", agent)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("arrived_at >= ?")
            params.append(since)
        if until is not None:
            where.append("arrived_at < ?")
            params.append(until)
        if outcome == "in-progress":
            where.append("outcome IS NULL")
        elif outcome is not None:
            where.append("outcome = ?")
            params.append(outcome)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        columns = ", ".join(CALL_COLUMNS)
        sql = f"SELECT {columns} FROM calls {clause} ORDER BY arrived_at DESC, call_id DESC"
        if last is not None:
            sql += " LIMIT ?"
            params.append(last)
        rows = await self._fetch(f"SELECT * FROM ({sql}) ORDER BY arrived_at, call_id", params)
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

    async def journal(self, call_id: str) -> list[JournalEntry]:
        """One call's journal, in order, with each verb's data named and typed."""
        return [journal_entry(row) for row in await self.events(call_id)]

    async def run_journal(self, run_id: int) -> list[JournalEntry]:
        """The journal of every call of a run, in the order it was written."""
        await self.flush()
        rows = await self._fetch(
            "SELECT e.* FROM call_events e JOIN calls c ON c.call_id = e.call_id WHERE c.run_id = ? ORDER BY e.seq",
            (run_id,),
        )
        return [journal_entry(row) for row in rows]

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

    async def ivr_counts_since(self, since: float) -> dict[str, int]:
        """Calls that arrived since ``since`` and left the IVR, by IVR outcome (``ivr_outcome``).

        An IVR abandon or an after-hours call never entered a queue, so :meth:`counts_since` (calls offered)
        does not count it: these are its counts, the KPI baseline of the IVR at start.
        """
        await self.flush()
        rows = await self._fetch(
            "SELECT ivr_outcome, COUNT(*) FROM calls WHERE arrived_at >= ? AND ivr_outcome IS NOT NULL GROUP BY 1",
            (since,),
        )
        return {str(outcome): int(n) for outcome, n in rows}

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

    async def add_people(self, people: Sequence[Person], source: str, *, checked: bool = False) -> int:
        """Add directory entries: all of them, or none if any is already there.

        Raises :class:`StoreError` naming the first entry whose id, national
        ID or phone number the directory already holds (``checked``: the
        caller has just asked :meth:`directory_clashes`). The entries go in in
        transactions of :data:`ADD_BATCH`, so a live server's commits go on
        between them; if one fails (an entry added by another process
        meanwhile, say), the batches already added are removed again and the
        error says that nothing was added.
        """
        await self.flush()
        clash = None if checked else await self.directory_clashes(people)
        if clash is not None:
            index, column, clashes = clash
            p = people[index]
            raise StoreError(
                f"{source}: {p.person_id} ({p.name}): {column} already in the directory in {self.path}; "
                f"nothing was added ({clashes} value(s) clash in all)"
            )
        insert = f"INSERT INTO people ({', '.join(PERSON_COLUMNS)}, source) VALUES ({', '.join('?' * 10)})"
        added: list[Sequence[Person]] = []
        try:
            for start in range(0, len(people), ADD_BATCH):
                batch = people[start : start + ADD_BATCH]
                rows = [(*(getattr(p, c) for c in PERSON_COLUMNS), source) for p in batch]
                phones = [
                    (key, p.person_id, kind)
                    for p in batch
                    for key, kind in ((phone_key(p.office_phone), "office"), (phone_key(p.mobile), "mobile"))
                ]
                await self._write([(insert, rows), ("INSERT INTO people_phones VALUES (?,?,?)", phones)])
                added.append(batch)
        except BaseException as exc:
            await asyncio.shield(self._remove_people(added))
            if isinstance(exc, sqlite3.IntegrityError):
                raise StoreError(
                    f"{source}: an entry clashes with one added to the directory in {self.path} meanwhile "
                    f"({exc}); nothing was added"
                ) from None
            if isinstance(exc, sqlite3.Error):
                raise StoreError(
                    f"{source}: the directory in {self.path} refused the entries ({exc}); nothing was added"
                ) from None
            raise
        return len(people)

    async def _remove_people(self, batches: Sequence[Sequence[Person]]) -> None:
        """Take out entries this store added (an import that failed half-way), batch by batch, the last first."""
        for batch in reversed(batches):
            ids = [(p.person_id,) for p in batch]
            await self._write(
                [
                    ("DELETE FROM people_phones WHERE person_id = ?", ids),
                    ("DELETE FROM people WHERE person_id = ?", ids),
                ]
            )

    async def _write(self, statements: Sequence[tuple[str, Sequence[tuple[Any, ...]]]]) -> None:
        """One short write transaction: each statement run for each of its rows; committed, or rolled back."""
        with self._clock.io():
            await self._begin()
            try:
                for sql, rows in statements:
                    await self._db.executemany(sql, rows)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    await self._db.rollback()
                raise
            await self._db.commit()

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
        return await self._fetch(
            "SELECT seq, at, actor, role, action, target, detail, os_account FROM audit ORDER BY seq"
        )

    async def staff(self) -> list[StaffEntry]:
        """The staff table (:mod:`cti.store.staff`), by id."""
        await self.flush()
        with self._clock.io():
            return await read_staff(self._db)

    async def replace_staff(
        self,
        expected: Sequence[StaffMember],
        members: Sequence[StaffMember],
        at: float,
        source: str,
        audit: Sequence[AuditRow],
    ) -> None:
        """Make the staff table hold exactly ``members``, with the audit rows, if it still holds ``expected``."""
        await self.flush()
        async with self._lock:
            with self._clock.io():
                await replace_staff(self._db, expected, members, at, source, audit)

    async def _fetch(self, sql: str, params: Sequence[Any] | Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._clock.io():
            cur = await self._db.execute(sql, tuple(params))
            rows = await cur.fetchall()
            await cur.close()
        return [tuple(r) for r in rows]


async def _write_ahead_log(db: aiosqlite.Connection) -> None:
    """Put the database in WAL mode, waiting (up to the busy timeout) while another process has it locked.

    SQLite does not call its busy handler for a journal-mode change, so several
    processes opening a new database at once would otherwise fail at once
    with "database is locked".
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        await asyncio.to_thread(time.sleep, 0.02)
