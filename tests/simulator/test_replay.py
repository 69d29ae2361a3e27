"""Replaying a real day from the live centre's database."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from cti.cli import main
from cti.cli.replay import read_day
from cti.config import load_default
from simulator.replay import replay_arrivals

DAY = "2026-11-20"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("replay") / "centre.db"
    assert main(["demo", "--speed", "max", "--minutes", "120", "--start", f"{DAY}T09:30", "--db", str(db), "-q"]) == 0
    return db


@pytest.fixture(scope="module")
def replayed(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("replay-out") / "replay.json"
    args = ["simulate", "--replay", "--db", str(demo_db), "--date", DAY, "--replications", "6", "-q"]
    args += ["--remove-agent", "N01", "--remove-agent", "N02", "--remove-agent", "T01", "--json", str(out)]
    assert main(args) == 0
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_the_replay_takes_every_call_offered_that_day(demo_db: Path, replayed: dict) -> None:  # type: ignore[type-arg]
    with sqlite3.connect(demo_db) as db:
        (offered,) = db.execute("SELECT count(*) FROM calls WHERE offered_at IS NOT NULL").fetchone()
    assert replayed["calls"] == offered
    assert replayed["total"]["offered"]["as_was"] == offered
    assert replayed["total"]["offered"]["real"] == offered


def test_known_talk_times_and_patience_are_kept(demo_db: Path) -> None:
    centre = load_default().centre
    real = read_day(demo_db, date.fromisoformat(DAY))
    arrivals = replay_arrivals(real, centre, seed=1, replication=0)
    for i, outcome in enumerate(real.outcomes):
        if outcome == "answered" and real.talk[i] is not None:
            assert arrivals.talk[i] == pytest.approx(real.talk[i])
            assert arrivals.patience[i] > (real.waits[i] or 0)  # they did not give up while waiting
        if outcome == "abandoned":
            assert arrivals.patience[i] == pytest.approx(real.waits[i])


def test_replayed_as_it_was_the_day_looks_like_the_real_one(replayed: dict) -> None:  # type: ignore[type-arg]
    total = replayed["total"]
    assert abs(total["service_level"]["as_was"] - total["service_level"]["real"]) < 0.1
    assert abs(total["answer_rate"]["as_was"] - total["answer_rate"]["real"]) < 0.05
    assert abs(total["occupancy"]["as_was"] - total["occupancy"]["real"]) < 0.1


def test_three_agents_fewer_would_have_answered_fewer_calls_in_time(replayed: dict) -> None:  # type: ignore[type-arg]
    sl = replayed["total"]["service_level"]
    assert sl["difference"]["mean"] < 0
    assert sl["significant"]
    assert replayed["changes"] == "--remove-agent N01, --remove-agent N02, --remove-agent T01"


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--date", "2026-11-21"], 1, "no calls offered on 2026-11-21"),
        (["--date", "yesterday"], 2, "--date: not a date"),
        (["--date", DAY, "--remove-agent", "ZZ9"], 1, "unknown agent"),
    ],
)
def test_replay_errors_are_named(
    demo_db: Path, extra: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--replay", "--db", str(demo_db), "-q", *extra]) == code
    assert message in capsys.readouterr().err


def test_replay_of_a_missing_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--replay", "--db", str(tmp_path / "none.db"), "--date", DAY]) == 1
    assert "no such database" in capsys.readouterr().err
