"""The store: schema migrations, WAL, batched commits, and recovery of what a killed process left open."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
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


# ----------------------------------------------------------------------
# Migration 4: calls.system and calls.agency nullable (the table rebuilt), the IVR's columns
# ----------------------------------------------------------------------


def _version_3_database(db: Path) -> None:
    """A database written by schema version 3, with a run, calls, their journal, a case and a pop."""
    with closing(sqlite3.connect(db)) as con:
        con.executescript("".join(MIGRATIONS[:3]) + "PRAGMA user_version = 3;")
        con.execute("INSERT INTO runs (run_id, started_at, centre, timezone) VALUES (1, 0, 'c', 'UTC')")
        for call_id, outcome, offered in (("c1", "answered", 1.0), ("c2", "abandoned", 2.0), ("c3", None, 3.0)):
            con.execute(
                "INSERT INTO calls (call_id, run_id, channel, caller, dialled, system, agency, arrived_at, "
                "offered_at, outcome, state, offers, caller_key, person_id, case_id, notes) "
                "VALUES (?, 1, 'voice', '0912345678', '1999', 'webhr', 'moi', 0, ?, ?, 'done', 2, '0912345678', "
                "'P1', 'K1', 'a note')",
                (call_id, offered, outcome),
            )
        con.execute("INSERT INTO call_events (at, call_id, event, data1) VALUES (1.0, 'c1', 'ENTERQUEUE', '1')")
        con.execute(
            "INSERT INTO cases (case_id, call_id, caller, system, agency, channel, status, tier, priority, "
            "created_at, due_at) VALUES ('K1', 'c1', '0912345678', 'webhr', 'moi', 'voice', 'open', 'first-line', "
            "'normal', 1, 2)"
        )
        con.commit()


def _schema_of(db: Path, table: str) -> set[tuple[str, str, str | None]]:
    """The indexes and triggers on a table, and its foreign keys: what a rebuild must keep."""
    with closing(sqlite3.connect(db)) as con:
        found: set[tuple[str, str, str | None]] = {
            (kind, name, sql)
            for kind, name, sql in con.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger')",
                (table,),
            )
        }
        found |= {("foreign key", str(row[2:5]), None) for row in con.execute(f"PRAGMA foreign_key_list({table})")}
    return found


def test_a_version_3_database_migrates_to_nullable_system_and_agency_keeping_rows_indexes_and_keys(
    tmp_path: Path,
) -> None:
    db = tmp_path / "v3.db"
    _version_3_database(db)
    with closing(sqlite3.connect(db)) as con:
        before = con.execute("SELECT * FROM calls ORDER BY call_id").fetchall()
        other = [con.execute(f"SELECT * FROM {t}").fetchall() for t in ("runs", "call_events", "cases")]
    kept = _schema_of(db, "calls")

    async def main() -> list[CallRecord]:
        async with await Store.open(db, CLOCK) as store:
            store.call(CallRecord("c4", 1, "voice", "0912345678", "1999", None, None, arrived_at=4.0, state="ivr"))
            return await store.calls(1)

    calls = run(main(), CLOCK)
    with closing(sqlite3.connect(db)) as con:
        after = con.execute("SELECT * FROM calls WHERE call_id != 'c4' ORDER BY call_id").fetchall()
        assert [con.execute(f"SELECT * FROM {t}").fetchall() for t in ("runs", "call_events", "cases")] == other
        assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 6
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        columns = {row[1]: row for row in con.execute("PRAGMA table_info(calls)")}
    assert [row[: len(before[0])] for row in after] == before  # every old column, in its place, unchanged
    # migration 4's language, ivr_outcome, ivr_s; then migration 6's callback_at, callback_accepted_at, callback_dials
    assert [row[len(before[0]) :] for row in after] == [(None, None, None, None, None, 0)] * 3
    assert (columns["system"][3], columns["agency"][3]) == (0, 0)  # notnull: no more
    assert (columns["language"][2], columns["ivr_outcome"][2], columns["ivr_s"][2]) == ("TEXT", "TEXT", "REAL")
    assert _schema_of(db, "calls") == kept
    assert [(c.call_id, c.system, c.agency) for c in calls][-1] == ("c4", None, None)


_CRASH_MID_MIGRATION = """
import asyncio, os, sys
from pathlib import Path
from cti.clock import ScaledClock
from cti.store import Store, schema

real = schema.statements

def statements(script):
    for statement in real(script):
        yield statement
        if statement.startswith("DROP TABLE calls"):
            os._exit(3)  # the process dies with the old table dropped and nothing committed

schema.statements = statements
asyncio.run(Store.open(Path(sys.argv[1]), ScaledClock(0.0)))
"""


def test_a_process_killed_in_the_middle_of_migration_4_leaves_the_version_3_database_as_it_was(
    tmp_path: Path,
) -> None:
    db = tmp_path / "v3.db"
    _version_3_database(db)
    with closing(sqlite3.connect(db)) as con:
        before = con.execute("SELECT * FROM calls ORDER BY call_id").fetchall()
    kept = _schema_of(db, "calls")
    done = subprocess.run([sys.executable, "-c", _CRASH_MID_MIGRATION, str(db)], capture_output=True, check=False)
    assert done.returncode == 3, done.stderr
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 3
        assert con.execute("SELECT * FROM calls ORDER BY call_id").fetchall() == before
        assert con.execute("SELECT name FROM sqlite_master WHERE name = 'calls_4'").fetchall() == []
    assert _schema_of(db, "calls") == kept

    async def reopen() -> int:  # the next start applies the migration whole
        async with await Store.open(db, CLOCK) as store:
            return len(await store.calls(1))

    assert run(reopen(), CLOCK) == 3


def test_migration_6_adds_the_call_back_columns_to_a_version_5_database_keeping_every_row(tmp_path: Path) -> None:
    """A database at version 5 gains callback_at, callback_accepted_at and callback_dials; old rows read as never."""
    db = tmp_path / "v5.db"
    with closing(sqlite3.connect(db)) as con:
        con.executescript("".join(MIGRATIONS[:5]) + "PRAGMA user_version = 5;")
        con.execute("INSERT INTO runs (run_id, started_at, centre, timezone) VALUES (1, 0, 'c', 'Asia/Taipei')")
        con.execute(
            "INSERT INTO calls (call_id, run_id, channel, caller, dialled, arrived_at, state) "
            "VALUES ('c1', 1, 'voice', '0912345678', '1999', 1.0, 'done')"
        )
        con.commit()

    async def main() -> list[CallRecord]:
        async with await Store.open(db, CLOCK) as store:
            return await store.calls(1)

    (call,) = run(main(), CLOCK)
    assert (call.call_id, call.callback_at, call.callback_accepted_at, call.callback_dials) == ("c1", None, None, 0)
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 6
