"""The JSON-lines log survives a kill: every line logged is in the file, and the log is never the database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cti.cli import main


def _calls(db: Path) -> set[str]:
    try:
        with sqlite3.connect(db) as con:
            return {row[0] for row in con.execute("SELECT call_id FROM calls")}
    except sqlite3.Error:
        return set()


def _start_and_kill(db: Path, log: Path, seed: int, calls_before: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cti", "demo", "--speed", "30", "--seed", str(seed), "--db", str(db), "--log", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_calls(db)) < calls_before + 3:
            assert time.monotonic() < deadline, "no calls arrived"
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_every_line_logged_before_a_kill_is_in_the_log(tmp_path: Path) -> None:
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    for seed in (1, 2, 3):
        _start_and_kill(db, log, seed, len(_calls(db)))
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]  # every line whole
    logged_calls = {line["call_id"] for line in lines if line["event"] == "call_arrived"}
    assert _calls(db) <= logged_calls  # the journal commits in batches; the log is never behind it
    recovered = [line for line in lines if line["event"] == "recovered"]
    assert len(recovered) == 2  # the second and third starts each closed what the kill before left open


def test_the_database_cannot_also_be_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--speed", "max", "--minutes", "5", "--db", "x.log", "-q"]) == 2
    assert "would also be the log" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
