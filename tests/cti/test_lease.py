"""One server per database: the lease, its epoch, fencing, and writers beside a live server.

Real SQLite files throughout; where the behaviour is between processes, real
``cti demo`` processes and real signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cti.casework.people_csv import write_people_csv
from cti.casework.synthetic import generate_people
from cti.clock import ScaledClock, run
from cti.config import load_default
from cti.store import MIGRATIONS, CallRecord, Journal, Store, StoreError
from cti.store import lease as leases
from cti.store.days import DayReader
from cti.store.directory import Directory
from cti.store.lease import LEASE_TIMEOUT_S, LeaseHeld, LeaseLost
from cti.store.schema import BUSY_TIMEOUT_S

CLOCK = ScaledClock(0.0)
HOST = socket.gethostname()
AGENCIES = [a.id for a in load_default().centre.agencies]
#: The people `cti demo` gives an empty database (20 per agency).
DEMO_PEOPLE = 20 * len(AGENCIES)


def _lease(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        return dict(con.execute("SELECT * FROM lease").fetchone())


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db) as con:
            return int(con.execute(sql).fetchone()[0] or 0)
    except sqlite3.Error:
        return 0


def _new_db(db: Path) -> None:
    async def main() -> None:
        async with await Store.open(db, CLOCK):
            pass

    run(main(), CLOCK)


def _hold(db: Path, *, held: int, pid: int | None, host: str, heartbeat_at: float, epoch: int = 5) -> None:
    """Write the lease row as a holder would have left it."""
    with sqlite3.connect(db) as con:
        con.execute(
            "UPDATE lease SET epoch = ?, held = ?, pid = ?, host = ?, server_id = 'cti-old', started_at = ?, "
            "heartbeat_at = ?",
            (epoch, held, pid, host, heartbeat_at - 60.0, heartbeat_at),
        )


def _dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return list(con.iterdump())


def _take(db: Path, server_id: str, wall: float) -> int:
    """Take the lease as a server would at wall time ``wall``, then exit cleanly; returns the epoch taken."""

    async def main() -> int:
        async with await Store.open(db, CLOCK) as store:
            lease = await store.take_lease(server_id, wall=lambda: wall)
            return lease.epoch

    return run(main(), CLOCK)


@pytest.fixture(scope="module")
def pids() -> Iterator[dict[str, int]]:
    """The id of a live process of this host, and of one that has ended."""
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    try:
        yield {"alive": alive.pid, "dead": ended.pid}
    finally:
        alive.kill()
        alive.wait()


# ----------------------------------------------------------------------
# Taking the lease: every kind of holder, every age of heartbeat
# ----------------------------------------------------------------------

AGES = (0.0, 1.0, LEASE_TIMEOUT_S - 0.5, LEASE_TIMEOUT_S + 0.5, 3600.0, -5.0)


@pytest.mark.parametrize(
    ("held", "where", "process", "age"),
    list(itertools.product((1, 0), ("this host", "another host"), ("alive", "dead"), AGES)),
)
def test_the_lease_is_refused_only_to_a_live_holder_s_fresh_heartbeat(
    tmp_path: Path, pids: dict[str, int], held: int, where: str, process: str, age: float
) -> None:
    db = tmp_path / "c.db"
    _new_db(db)
    now = time.time()
    host = HOST if where == "this host" else "elsewhere.example"
    _hold(db, held=held, pid=pids[process], host=host, heartbeat_at=now - age)
    known_dead = where == "this host" and process == "dead"
    running_here = where == "this host" and process == "alive"  # asked directly: running, so live at any age
    live = held and not known_dead and (running_here or age <= LEASE_TIMEOUT_S)
    before = _dump(db)
    if live:
        with pytest.raises(LeaseHeld) as refused:
            _take(db, "cti-new", now)
        message = str(refused.value)
        for part in (f"{db} is in use by server cti-old", f"process {pids[process]} on host {host}", "since", "UTC"):
            assert part in message
        assert _dump(db) == before  # refused: nothing changed
    else:
        assert _take(db, "cti-new", now) == 6  # taken: the epoch grew by one
        row = _lease(db)
        assert (row["epoch"], row["held"], row["server_id"], row["pid"]) == (6, 0, "cti-new", os.getpid())


# ----------------------------------------------------------------------
# Fencing and the epoch
# ----------------------------------------------------------------------


def test_a_store_whose_lease_was_taken_over_cannot_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leases, "process_running", lambda pid: False)  # this process stands for a stopped holder
    db = tmp_path / "c.db"

    async def main() -> tuple[str, str, int]:
        old = await Store.open(db, CLOCK)
        await old.take_lease("cti-a")
        run_id = await old.start_run(0.0, "test", "UTC", 1, "1")
        # The old holder stops beating (paused, say); past the timeout another server takes over.
        new = await Store.open(db, CLOCK)
        await new.take_lease("cti-b", wall=lambda: time.time() + LEASE_TIMEOUT_S + 1.0)
        old.call(CallRecord("late", run_id, "voice", "0912345678", "1999", "webhr", "moi", arrived_at=1.0))
        old.event(1.0, "late", Journal.ENTERQUEUE, queue="webhr", data1=1)
        with pytest.raises(LeaseLost) as flushed:
            await old.flush()
        with pytest.raises(LeaseLost) as beat:  # the old holder's heartbeat finds out by itself too
            await asyncio.wait_for(old.hold_lease(), timeout=30.0)
        await old.close()
        await new.start_run(2.0, "test", "UTC", 1, "1")  # the new holder writes
        await new.close()
        return str(flushed.value), str(beat.value), _count(db, "SELECT COUNT(*) FROM runs")

    flushed, beat, runs = run(main(), CLOCK)
    assert "was taken over by server cti-b" in flushed
    assert "epoch 2" in flushed
    assert "was taken over by server cti-b" in beat
    assert _count(db, "SELECT COUNT(*) FROM calls") == 0  # the old holder wrote nothing
    assert _count(db, "SELECT COUNT(*) FROM call_events") == 0
    assert runs == 2


def test_the_epoch_only_grows_across_takeovers_and_clean_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leases, "process_running", lambda pid: False)  # this process stands for a stopped holder
    db = tmp_path / "c.db"
    rng = random.Random(13)

    async def main() -> list[int]:
        epochs: list[int] = []
        for step in range(40):
            first = await Store.open(db, CLOCK)
            lease = await first.take_lease(f"s{step}")
            epochs.append(lease.epoch)
            if rng.random() < 0.5:  # a takeover of a holder that stopped beating
                second = await Store.open(db, CLOCK)
                taken = await second.take_lease(f"t{step}", wall=lambda: time.time() + LEASE_TIMEOUT_S + 1.0)
                epochs.append(taken.epoch)
                await first.close()
                await second.close()
            else:  # a clean restart
                await first.close()
            assert _lease(db)["epoch"] == epochs[-1]  # a release keeps the epoch
        return epochs

    epochs = run(main(), CLOCK)
    assert epochs == list(range(1, len(epochs) + 1))
    with sqlite3.connect(db) as con, pytest.raises(sqlite3.IntegrityError, match="only grows"):
        con.execute("UPDATE lease SET epoch = epoch - 1")
    with sqlite3.connect(db) as con, pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        con.execute("DELETE FROM lease")
    with sqlite3.connect(db) as con, pytest.raises(sqlite3.IntegrityError, match="never replaced"):
        con.execute("INSERT OR REPLACE INTO lease (id, epoch, held) VALUES (1, 0, 0)")
    assert _lease(db)["epoch"] == epochs[-1]


def test_a_running_holder_of_this_host_keeps_its_lease_though_its_heartbeat_is_late(
    tmp_path: Path, pids: dict[str, int]
) -> None:
    """Another connection holding the write lock for seconds delays the heartbeat; the holder still lives."""
    db = tmp_path / "c.db"
    _new_db(db)
    now = time.time()
    _hold(db, held=1, pid=pids["alive"], host=HOST, heartbeat_at=now - 3600.0)
    before = _dump(db)
    with pytest.raises(LeaseHeld):
        _take(db, "cti-new", now)
    assert _dump(db) == before
    os.kill(pids["alive"], signal.SIGSTOP)  # stopped: judged by its heartbeat, an hour old
    try:
        assert _take(db, "cti-new", now) == 6
    finally:
        os.kill(pids["alive"], signal.SIGCONT)


# ----------------------------------------------------------------------
# Busy timeouts, and migrations when processes open a new database at once
# ----------------------------------------------------------------------


def test_every_connection_waits_for_another_s_write_lock(tmp_path: Path) -> None:
    db = tmp_path / "c.db"

    async def main() -> list[int]:
        async with await Store.open(db, CLOCK) as store:
            await store.start_run(0.0, "test", "UTC", 1, "1")
            cur = await store._db.execute("PRAGMA busy_timeout")
            row = await cur.fetchone()
            assert row is not None
            directory = Directory(db)
            try:
                waits = [int(row[0]), directory._db.execute("PRAGMA busy_timeout").fetchone()[0]]
            finally:
                directory.close()
            with DayReader.open(db) as day:
                waits.append(day._db.execute("PRAGMA busy_timeout").fetchone()[0])
            return waits

    assert run(main(), CLOCK) == [int(BUSY_TIMEOUT_S * 1000)] * 3


def test_processes_opening_a_new_database_at_once_apply_each_migration_once(tmp_path: Path) -> None:
    db, go = tmp_path / "c.db", tmp_path / "go"
    opener = (
        "import os, sys, time; from pathlib import Path\n"
        "from cti.clock import ScaledClock, run; from cti.store import Store\n"
        "async def main():\n"
        "    async with await Store.open(sys.argv[1], ScaledClock(0.0)): pass\n"
        "Path(sys.argv[3]).touch()\n"
        "while not os.path.exists(sys.argv[2]): time.sleep(0.001)\n"
        "run(main(), ScaledClock(0.0))\n"
    )
    ready = [tmp_path / f"ready{i}" for i in range(6)]
    procs = [
        subprocess.Popen([sys.executable, "-c", opener, str(db), str(go), str(r)], stderr=subprocess.PIPE)
        for r in ready
    ]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all at once
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    assert _lease(db)["epoch"] == 0
    assert _count(db, "PRAGMA user_version") == len(MIGRATIONS)


# ----------------------------------------------------------------------
# Between processes: real demos, real signals
# ----------------------------------------------------------------------


def _cti(*args: str) -> list[str]:
    return [sys.executable, "-m", "cti", *args]


def _start_demo(db: Path, *extra: str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """A demo as a real server: an hour at 60 times real time (about 100 calls a minute)."""
    return subprocess.Popen(
        _cti("demo", "--speed", "60", "--minutes", "60", "--seed", "1", "--db", str(db), "-q", *extra),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
    )


def _wait_for_calls(db: Path, proc: subprocess.Popen[bytes], calls: int) -> None:
    deadline = time.monotonic() + 120
    while _count(db, "SELECT COUNT(*) FROM calls") < calls:
        assert proc.poll() is None, "the demo ended early"
        assert time.monotonic() < deadline, "no calls arrived"
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes], sig: signal.Signals) -> int:
    os.killpg(proc.pid, sig)
    return proc.wait(timeout=120)


def _assert_consistent(db: Path) -> None:
    """No call open; every call journalled, and its case the case of that call (no case id issued twice)."""
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT COUNT(*) FROM calls WHERE outcome IS NULL").fetchone()[0] == 0
        assert con.execute(
            "SELECT COUNT(*) FROM calls c WHERE NOT EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.call_id)"
        ).fetchone() == (0,)
        assert (
            con.execute("SELECT COUNT(DISTINCT call_id) FROM call_events").fetchone()
            == con.execute("SELECT COUNT(*) FROM calls").fetchone()
        )
        mismatched = con.execute(
            "SELECT COUNT(*) FROM cases k JOIN calls c ON c.call_id = k.call_id WHERE c.case_id IS NOT k.case_id"
        ).fetchone()[0]
        assert mismatched == 0
        assert con.execute(
            "SELECT COUNT(*) FROM calls c WHERE c.case_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM cases k WHERE k.case_id = c.case_id AND k.call_id = c.call_id)"
        ).fetchone() == (0,)


def test_a_second_demo_on_a_database_in_use_is_refused_naming_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "centre.db"
    holder = _start_demo(db)
    try:
        _wait_for_calls(db, holder, 5)
        second = subprocess.run(
            _cti("demo", "--speed", "max", "--minutes", "5", "--seed", "2", "--db", str(db), "-q"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        lease = _lease(db)
        assert holder.poll() is None
    finally:
        status = _stop(holder, signal.SIGTERM)
    assert second.returncode == 1
    assert second.stderr.startswith(f"cti: --db: {db} is in use by server cti-a (process {holder.pid} on host {HOST}")
    assert second.stdout == ""
    assert (lease["epoch"], lease["pid"], lease["held"]) == (1, holder.pid, 1)
    assert status == 0  # the holder ran on and stopped cleanly
    assert _count(db, "SELECT COUNT(*) FROM runs") == 1  # the second never started a run
    assert _count(db, "SELECT COUNT(*) FROM call_events WHERE event = 'INTERRUPTED' AND rule != 'stopped'") == 0
    _assert_consistent(db)


def test_after_the_holder_is_killed_a_new_demo_takes_over_at_once_and_recovers(tmp_path: Path) -> None:
    db = tmp_path / "centre.db"
    holder = _start_demo(db)
    try:
        _wait_for_calls(db, holder, 5)
    finally:
        _stop(holder, signal.SIGKILL)
    killed_at = time.monotonic()
    open_calls = _count(db, "SELECT COUNT(*) FROM calls WHERE outcome IS NULL")
    assert _lease(db)["held"] == 1  # the killed holder never released it
    taker = subprocess.Popen(
        _cti("demo", "--speed", "max", "--minutes", "5", "--seed", "2", "--db", str(db), "-q"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    while _lease(db)["epoch"] == 1 and taker.poll() is None:
        time.sleep(0.005)
    took = time.monotonic() - killed_at
    _, err = taker.communicate(timeout=300)
    print(f"lease taken over {took:.3f} s after the SIGKILL (a new process's start included)")
    assert taker.returncode == 0, err
    lease = _lease(db)
    assert (lease["epoch"], lease["held"], lease["pid"]) == (2, 0, taker.pid)  # epoch + 1; released at exit
    restarted = _count(db, "SELECT COUNT(*) FROM call_events WHERE event = 'INTERRUPTED' AND rule = 'restart'")
    assert open_calls > 0
    assert restarted == open_calls
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT run_id, clean FROM runs ORDER BY run_id").fetchall() == [(1, 0), (2, 1)]
    _assert_consistent(db)


def test_a_paused_holder_loses_the_lease_after_the_timeout_and_resumed_stops_writing_nothing(tmp_path: Path) -> None:
    db = tmp_path / "centre.db"
    paused = _start_demo(db, stderr=subprocess.PIPE)
    taker: subprocess.Popen[bytes] | None = None
    try:
        _wait_for_calls(db, paused, 3)
        os.killpg(paused.pid, signal.SIGSTOP)
        stopped_beat = float(_lease(db)["heartbeat_at"])  # type: ignore[arg-type]
        while time.time() < stopped_beat + LEASE_TIMEOUT_S + 0.5:
            time.sleep(0.1)
        taker = _start_demo(db, "--seed", "2")
        while _lease(db)["epoch"] == 1:
            assert taker.poll() is None, "the second demo did not take the stale lease"
            time.sleep(0.02)
        os.killpg(paused.pid, signal.SIGCONT)
        _, err = paused.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(paused.pid, signal.SIGKILL)
        paused.wait()
        if taker is not None:
            taker_status = _stop(taker, signal.SIGTERM)
    assert paused.returncode == 1
    assert b"this server's lease (server cti-a, epoch 1) was taken over by server cti-a" in err
    assert f"process {taker.pid} on host {HOST}, epoch 2".encode() in err
    assert taker_status == 0
    with sqlite3.connect(db) as con:  # nothing of the paused server's after the taker closed its calls
        late = con.execute(
            "SELECT COUNT(*) FROM call_events e JOIN call_events i ON i.call_id = e.call_id "
            "AND i.event = 'INTERRUPTED' AND i.rule = 'restart' WHERE e.seq > i.seq"
        ).fetchone()[0]
        restarted = con.execute("SELECT COUNT(*) FROM call_events WHERE rule = 'restart'").fetchone()[0]
    assert restarted > 0
    assert late == 0
    _assert_consistent(db)


def test_a_dead_holder_s_lease_is_taken_at_once_though_its_heartbeat_is_fresh(tmp_path: Path) -> None:
    db = tmp_path / "centre.db"
    holder = _start_demo(db)
    try:
        _wait_for_calls(db, holder, 1)
    finally:
        _stop(holder, signal.SIGKILL)
    beat = float(_lease(db)["heartbeat_at"])  # type: ignore[arg-type]
    started = time.perf_counter()
    epoch = _take(db, "cti-b", beat + 0.1)  # wall time just after the holder's last heartbeat
    print(f"a dead holder's lease taken in {1000 * (time.perf_counter() - started):.1f} ms (open, take, release)")
    assert epoch == 2


# ----------------------------------------------------------------------
# A long import beside a live server
# ----------------------------------------------------------------------

#: People per agency in the import (52,000 in all with 52 agencies). By hand, a million:
#: CTI_TEST_IMPORT_PER_AGENCY=19231 pytest tests/cti/test_lease.py -k long_import
IMPORT_PER_AGENCY = int(os.environ.get("CTI_TEST_IMPORT_PER_AGENCY", "1000"))


def test_a_long_import_beside_a_running_demo_finishes_and_the_demo_loses_nothing(tmp_path: Path) -> None:
    db, csv = tmp_path / "centre.db", tmp_path / "people.csv"
    people = generate_people(AGENCIES, IMPORT_PER_AGENCY, 1, start=DEMO_PEOPLE + 1)
    with csv.open("w", encoding="utf-8") as fh:
        write_people_csv(fh, people)
    holder = _start_demo(db, "--busy-hour-calls", "300", "--minutes", "1440")  # outlasts any import; stopped below
    try:
        _wait_for_calls(db, holder, 5)
        importer = subprocess.Popen(
            _cti("directory", "import", str(csv), "--db", str(db)), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        # (people, journal rows) while the import runs: the demo must commit while the import is half-way.
        samples: list[tuple[int, int]] = []
        while importer.poll() is None:
            samples.append((_count(db, "SELECT COUNT(*) FROM people"), _count(db, "SELECT COUNT(*) FROM call_events")))
            time.sleep(0.01)
        out, err = importer.communicate()
        running = holder.poll() is None
    finally:
        status = _stop(holder, signal.SIGTERM)
    assert importer.returncode == 0, err
    assert f"imported {len(people)} people" in out.decode()
    assert running  # the demo was still running when the import finished
    half_way = {events for people_now, events in samples if DEMO_PEOPLE < people_now < DEMO_PEOPLE + len(people)}
    print(f"import: {len(samples)} samples, demo commits seen half-way: {len(half_way) - 1}")
    assert len(half_way) > 1  # the demo committed between the import's batches
    assert status == 0  # and it stopped cleanly, with nothing lost
    assert _count(db, "SELECT COUNT(*) FROM people") == DEMO_PEOPLE + len(people)
    assert _count(db, "SELECT COUNT(*) FROM people_phones") >= 2 * (DEMO_PEOPLE + len(people))
    _assert_consistent(db)


def test_an_import_that_fails_half_way_removes_what_it_added(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    people = generate_people(AGENCIES[:2], 6_000, 3)  # 12,000: three batches
    other = generate_people(AGENCIES[:1], 1, 3, start=12_001)[0]  # nothing in common with them
    # Another process adds a person with the national ID of one of the last batch, after the check.
    late = people[-1]
    clash = replace(other, national_id=late.national_id)

    async def main() -> str:
        async with await Store.open(db, CLOCK) as store:
            await store.add_people([clash], "other")
            with pytest.raises(StoreError) as failed:
                await store.add_people(people, "big.csv", checked=True)  # as if checked before the other came
            return str(failed.value)

    message = run(main(), CLOCK)
    assert "nothing was added" in message
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT person_id FROM people").fetchall() == [(clash.person_id,)]
        assert con.execute("SELECT COUNT(*) FROM people_phones").fetchone() == (2,)
