"""The store: schema migrations, WAL, batched commits, and recovery of what a killed process left open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cti.clock import ScaledClock, run
from cti.store import MIGRATIONS, AgentStateRow, CallRecord, Journal, Store, StoreError

CLOCK = ScaledClock(0.0)


def call(call_id: str, **fields: object) -> CallRecord:
    return CallRecord(call_id, 1, "voice", "0912345678", "1999", "webhr", "moi", arrived_at=10.0, **fields)  # type: ignore[arg-type]


def test_a_new_database_is_migrated_to_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    async def main() -> None:
        async with await Store.open(tmp_path / "s.db", CLOCK):
            pass

    run(main(), CLOCK)
    with sqlite3.connect(tmp_path / "s.db") as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with sqlite3.connect(db) as con:
        con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")

    async def main() -> None:
        await Store.open(db, CLOCK)

    newer = len(MIGRATIONS) + 1
    with pytest.raises(StoreError, match=rf"s\.db: database schema version {newer} is newer"):
        run(main(), CLOCK)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0


def test_rows_are_committed_in_batches_and_readers_see_them_after_a_flush(tmp_path: Path) -> None:
    db = tmp_path / "s.db"

    async def main() -> tuple[int, int]:
        async with await Store.open(db, CLOCK) as store:
            await store.start_run(0.0, "test", "UTC", 1, "1")
            store.call(call("c1", state="queued", offered_at=10.0))
            store.event(10.0, "c1", Journal.ENTERQUEUE, queue="webhr", data1=1)
            with sqlite3.connect(db) as con:
                before = con.execute("SELECT COUNT(*) FROM call_events").fetchone()[0]
            rows = len(await store.events())  # a reader flushes first
            return before, rows

    assert run(main(), CLOCK) == (0, 1)


def test_recovery_closes_open_calls_as_interrupted_with_their_last_state_and_sessions(tmp_path: Path) -> None:
    db = tmp_path / "s.db"

    async def crash() -> None:
        store = await Store.open(db, CLOCK)
        run_id = await store.start_run(0.0, "test", "UTC", 1, "1")
        store.session_start(run_id, "N1", "nantou", 5.0)
        store.agent_state(AgentStateRow(run_id, 5.0, "N1", "nantou", "ready", None, "login", None))
        store.call(call("c1", state="talking", offered_at=10.0, answered_at=12.0, agent="N1"))
        store.event(12.0, "c1", Journal.CONNECT, agent="N1")
        store.call(call("c2", state="done", offered_at=10.0, outcome="abandoned", ended_at=11.0))
        await store.close()  # everything written; then the process dies: no end of run, calls left open

    async def restart() -> tuple[object, ...]:
        async with await Store.open(db, CLOCK) as store:
            recovery = await store.recover()
            calls = {c.call_id: c for c in await store.calls()}
            states = await store.agent_states()
            return recovery, calls, states

    run(crash(), CLOCK)
    recovery, calls, states = run(restart(), CLOCK)
    assert recovery.interrupted_calls == ("c1",)
    assert (calls["c1"].outcome, calls["c1"].state, calls["c1"].ended_at) == ("interrupted", "talking", 12.0)
    assert calls["c2"].outcome == "abandoned"
    assert recovery.closed_sessions == 1
    assert recovery.unfinished_runs == (1,)
    assert (states[-1].status, states[-1].reason) == ("logged-out", "interrupted")


def test_calls_from_before_the_directory_get_their_caller_key_when_the_schema_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as con:  # a database written by the first schema
        con.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
        con.execute("INSERT INTO runs (run_id, started_at, centre, timezone) VALUES (1, 0, 'c', 'UTC')")
        for call_id, caller in (("c1", "049-2345-678"), ("c2", "+886 2 2397 5123"), ("c3", "0")):
            con.execute(
                "INSERT INTO calls (call_id, run_id, channel, caller, dialled, system, agency, arrived_at, state) "
                "VALUES (?, 1, 'voice', ?, '1999', 'webhr', 'moi', 0, 'done')",
                (call_id, caller),
            )

    async def main() -> None:
        async with await Store.open(db, CLOCK):
            pass

    run(main(), CLOCK)
    with sqlite3.connect(db) as con:
        keys = dict(con.execute("SELECT call_id, caller_key FROM calls").fetchall())
        version = con.execute("PRAGMA user_version").fetchone()[0]
    assert keys == {"c1": "0492345678", "c2": "0223975123", "c3": None}  # "0" identifies nobody
    assert version == len(MIGRATIONS)
