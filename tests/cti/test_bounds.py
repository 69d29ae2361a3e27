"""Inputs each within its own bound but too large together are refused before any work; a replay refuses
a database whose times cannot be replayed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cti.cli import main

DAY = "2026-11-20"


class WorkStarted(Exception):
    """Raised by a stand-in for the simulation or the formulas: the command began work it should have refused."""


def _no_work(*_args: object, **_kwargs: object) -> None:
    raise WorkStarted


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("simulator.singlequeue.single_queue_job", _no_work)


@pytest.fixture
def no_formulas(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("erlang_a", "erlang_c", "agents_for_service_level"):
        monkeypatch.setattr(f"cti.cli.erlang.{name}", _no_work)


@pytest.mark.usefixtures("no_simulation")
@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--calls", "10000000", "--interval", "1", "--aht", "180", "--agents", "100000", "--replications", "1"],
         "expected arrivals per replication"),
        (["--calls", "10000", "--interval", "1", "--aht", "180", "--agents", "1000"], "at most 500,000"),
        (["--calls", "10", "--interval", "1800", "--aht", "180", "--agents", "5001"], "--agents: at most 5,000"),
        (["--calls", "1", "--interval", "1", "--aht", "604800", "--agents", "10", "--hours", "1"], "offered load"),
    ],
)  # fmt: skip
def test_a_single_queue_too_large_together_is_a_command_line_fault(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--single-queue", *flags, "-q"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.usefixtures("no_formulas")
@pytest.mark.parametrize(
    "flags",
    [
        ["--calls", "100000", "--interval", "60", "--aht", "600", "--agents", "100", "--patience", "60"],
        ["--calls", "10000000", "--interval", "1", "--aht", "604800", "--agents", "10", "--patience", "1"],
        ["--calls", "10000000", "--interval", "1", "--aht", "180", "--target-sl", "0.8"],
    ],
)
def test_erlang_refuses_an_offered_load_above_10000_erlangs(
    flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["erlang", *flags]) == 2
    assert "erlangs (calls × AHT ÷ interval) is too large; at most 10,000" in capsys.readouterr().err


def test_erlang_a_too_long_to_compute_is_refused_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    # 10,000 erlangs, 9,000 agents and callers who wait up to a week: the queue never settles within reach.
    from simulator.erlang import MAX_QUEUE, TooLarge, erlang_a

    with pytest.raises(TooLarge, match=f"more than {MAX_QUEUE:,} callers waiting"):
        erlang_a(9000, 10_000.0, 180, 20, 604_800)
    flags = ["--calls", "100000", "--interval", "1800", "--aht", "180", "--agents", "9000", "--patience", "604800"]
    assert main(["erlang", *flags]) == 2
    assert "callers waiting at once" in capsys.readouterr().err


def test_erlang_a_service_level_with_too_many_steps_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.erlang import TooLarge, erlang_a

    with pytest.raises(TooLarge, match="steps over"):
        erlang_a(10, 10.0, 1, 604_800, 60)


def test_target_sl_search_with_patience_still_answers_at_10000_erlangs() -> None:
    from simulator.erlang import agents_for_service_level, erlang_a

    n = agents_for_service_level(10_000.0, 180, 20, 0.8, 180)
    assert (
        erlang_a(n, 10_000.0, 180, 20, 180).service_level >= 0.8 > erlang_a(n - 1, 10_000.0, 180, 20, 180).service_level
    )


# ----------------------------------------------------------------------
# Replay
# ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("bounds") / "centre.db"
    args = ["demo", "--speed", "max", "--minutes", "20", "--seed", "3", "--start", f"{DAY}T09:30"]
    assert main([*args, "--db", str(db), "-q"]) == 0
    return db


@pytest.fixture
def damaged(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "damaged.db"
    copy.write_bytes(demo_db.read_bytes())
    return copy


def _update(db: Path, sql: str) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute(sql + " WHERE call_id = 'r1-000012'").rowcount == 1
    conn.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("SET answered_at = 253402300000", "call r1-000012: answered out of range (253402300000 s since 1970)"),
        ("SET answered_at = offered_at - 50, rang_at = NULL", "call r1-000012: answered before it was offered"),
        ("SET rang_at = answered_at + 50", "call r1-000012: answered before it rang"),
        ("SET ended_at = answered_at - 50", "call r1-000012: ended before it was answered"),
        ("SET ended_at = 1e999", "call r1-000012: ended out of range"),
    ],
)
def test_a_replay_refuses_a_call_whose_times_cannot_be_replayed(
    damaged: Path, change: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _update(damaged, f"UPDATE calls {change}")
    code = main(["simulate", "--replay", "--db", str(damaged), "--date", DAY, "--replications", "2", "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err
    assert "the database is inconsistent" in err


def test_a_replay_of_a_consistent_day_still_runs(demo_db: Path) -> None:
    assert main(["simulate", "--replay", "--db", str(demo_db), "--date", DAY, "--replications", "2", "-q"]) == 0


def test_replay_refuses_days(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--replay", "--db", str(demo_db), "--date", DAY, "--days", "3", "--replications", "2", "-q"]
    assert main(args) == 2
    assert "--days: not with --replay (a replay is one real day)" in capsys.readouterr().err
