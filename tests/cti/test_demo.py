"""Whole-centre runs: the invariants every demo run must keep, reproducibility, and recovery after a kill."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cti.cli.export import write_calls
from cti.clock import ScaledClock, run
from cti.config import load_default
from cti.live.demo import DemoResult, DemoSettings, default_start, run_demo
from cti.store import CallRecord, Store

CENTRE = load_default().centre
THRESHOLD = CENTRE.info.service_level_seconds


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, list[CallRecord], list[tuple[object, ...]]]:
    db = tmp_path_factory.mktemp("demo") / "centre.db"
    result = run_demo(DemoSettings(CENTRE, db, minutes=60, speed=None, seed=3, start=default_start("Asia/Taipei")))

    async def read() -> tuple[list[CallRecord], list[tuple[object, ...]]]:
        async with await Store.open(db, ScaledClock(0.0)) as store:
            return await store.calls(), await store.events()

    calls, events = run(read(), ScaledClock(0.0))
    return result, calls, events


def test_every_offered_call_is_answered_abandoned_or_interrupted_and_none_interrupted(demo) -> None:
    result, calls, _ = demo
    total = result.summary.total
    offered = [c for c in calls if c.offered_at is not None]
    assert total.offered == len(offered) > 50
    assert total.offered == total.answered + total.abandoned + result.summary.interrupted
    assert result.summary.interrupted == 0
    assert all(c.outcome in {"answered", "abandoned"} for c in calls)


def test_no_agent_rings_or_talks_before_the_previous_call_s_wrap_up_ended(demo) -> None:
    _, calls, events = demo
    busy: dict[str, list[tuple[float, float]]] = {}
    for c in calls:
        if c.outcome == "answered":
            busy.setdefault(c.agent, []).append((c.answered_at, c.wrap_up_end_at))
    rings = [(e[4], e[1]) for e in events if e[5] == "RINGING"]
    assert rings
    for agent_id, at in rings:
        for start, end in busy.get(agent_id, []):
            assert not (start <= at < end), f"{agent_id} rang at {at} while busy {start}..{end}"


def test_every_answered_call_was_answered_by_a_voice_agent_with_the_skill(demo) -> None:
    _, calls, _ = demo
    agents = {a.id: a for a in CENTRE.agents}
    answered = [c for c in calls if c.outcome == "answered"]
    for c in answered:
        a = agents[c.agent]
        assert a.voice
        assert c.queue == "general" or c.system in a.skills, (c.call_id, c.system, a.id)
        assert c.site == a.site


def test_both_sites_take_calls_and_the_backup_seat_only_at_peaks(demo) -> None:
    result, calls, _ = demo
    assert all(site.answered > 0 for site in result.summary.by_site.values())
    backup = {a.id for a in CENTRE.agents if a.backup}
    assert sum(1 for c in calls if c.agent in backup) < 0.1 * result.summary.total.answered


def test_the_json_service_level_equals_the_share_computed_from_the_export(demo) -> None:
    result, calls, _ = demo
    out = io.StringIO()
    write_calls(out, calls, {result.run_id: "Asia/Taipei"})
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    offered = [r for r in rows if r["offered_at"]]
    fast = [r for r in offered if r["outcome"] == "answered" and float(r["wait_s"]) <= THRESHOLD]
    assert result.summary.as_dict()["service_level"] == len(fast) / len(offered)


def _demo_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cti", "demo", "-q", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=300,
    )


def test_the_same_seed_gives_the_same_json_in_separate_processes(tmp_path: Path) -> None:
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"figures-{hash_seed}.json"
        done = _demo_cli(
            "--speed",
            "max",
            "--minutes",
            "30",
            "--seed",
            "5",
            "--db",
            str(tmp_path / f"{hash_seed}.db"),
            "--json",
            str(out),
            env={"PYTHONHASHSEED": hash_seed},
        )
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    figures = json.loads(outputs[0])
    assert list(figures)[:8] == [
        "offered",
        "answered",
        "abandoned",
        "answer_rate",
        "service_level",
        "asa_s",
        "aht_s",
        "occupancy",
    ]
    assert set(figures["by_site"]["nantou"]) == {"answered", "asa_s", "aht_s", "occupancy"}


def test_after_a_kill_the_next_start_closes_every_call_in_progress_as_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "centre.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cti", "demo", "-q", "--speed", "30", "--busy-hour-calls", "400", "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if db.exists():
                with sqlite3.connect(db) as con:
                    try:
                        open_calls = con.execute("SELECT COUNT(*) FROM calls WHERE outcome IS NULL").fetchone()[0]
                        talking = con.execute("SELECT COUNT(*) FROM calls WHERE state = 'talking'").fetchone()[0]
                        waiting = con.execute(
                            "SELECT COUNT(*) FROM calls WHERE state IN ('queued', 'ringing') AND outcome IS NULL"
                        ).fetchone()[0]
                    except sqlite3.OperationalError:
                        continue  # schema not there yet
                if open_calls >= 3 and talking >= 1 and waiting >= 1:
                    break
        else:
            pytest.fail("the demo never had calls in progress")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as con:
        before = dict(con.execute("SELECT call_id, state FROM calls WHERE outcome IS NULL").fetchall())
    assert before

    done = _demo_cli("--speed", "max", "--minutes", "1", "--db", str(db))
    assert done.returncode == 0, done.stderr

    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM calls WHERE outcome IS NULL").fetchone()[0] == 0
        after = dict(con.execute("SELECT call_id, state FROM calls WHERE outcome = 'interrupted'").fetchall())
        journal = dict(con.execute("SELECT call_id, data1 FROM call_events WHERE event = 'INTERRUPTED'").fetchall())
        open_sessions = con.execute("SELECT COUNT(*) FROM agent_sessions WHERE logout_at IS NULL").fetchone()[0]
        first_run = con.execute("SELECT clean FROM runs WHERE run_id = 1").fetchone()[0]
        waiting_cases = dict(
            con.execute(
                "SELECT k.call_id, k.status FROM cases k JOIN calls c ON c.call_id = k.call_id "
                "WHERE c.outcome = 'interrupted' AND c.state IN ('queued', 'ringing')"
            ).fetchall()
        )
        call_back_steps = {
            r[0]
            for r in con.execute(
                "SELECT k.call_id FROM case_events e JOIN cases k ON k.case_id = e.case_id "
                "WHERE e.action = 'call-back' AND e.note = 'interrupted'"
            )
        }
    assert after == before  # every call in progress, each with its last known state
    # a caller cut off while waiting is owed a call-back, and the case journal says why
    assert waiting_cases
    assert set(waiting_cases.values()) == {"call-back"}
    assert call_back_steps == set(waiting_cases)
    assert journal == before
    assert open_sessions == 0
    assert first_run == 0
