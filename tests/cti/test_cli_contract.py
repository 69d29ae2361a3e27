"""The command-line contract (docs/cli.md): exit statuses, Ctrl-C and SIGTERM, bounded input, output paths, messages.

Each test holds one promise of the contract against a real database written by ``cti demo`` and, for signals,
a real ``cti`` process stopped with a real signal.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cti.cli import main

DAY_9999 = 253402214400.0  # 9999-12-30T00:00:00Z


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of ``cti ARGV`` (argparse's refusals included)."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(str(exit_.code))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("contract") / "demo.db"
    assert main(["demo", "--speed", "max", "--minutes", "20", "--seed", "3", "--db", str(db), "-q"]) == 0
    return db


@pytest.fixture
def db_copy(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(demo_db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return copy


def rows(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute(sql, params).fetchall()


def open_case(db: Path) -> str:
    [(case_id,)] = rows(db, "SELECT case_id FROM cases WHERE status != 'closed' ORDER BY case_id LIMIT 1")
    return str(case_id)


# ----------------------------------------------------------------------
# Exit statuses: 2 when the command line alone is wrong
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--calls", "100"],
        ["simulate", "--replay", "--db", "x.db"],
        ["simulate", "--compare", "a.toml"],
        ["simulate", "--strategy", "fastest"],
        ["export", "calls", "--db", "x.db", "--unmasked"],
        ["demo", "--seed", "99999999999999999999999"],
        ["demo", "--start", "9999-12-31T23:00"],
        ["demo", "--minutes", "1e9"],
        ["cases", "list", "--db", "x.db", "--at", "0001-01-01"],
    ],
)
def test_a_fault_in_the_command_line_alone_exits_2_in_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, *argv, "-q") if argv[0] in ("simulate", "demo") else cli(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_an_unknown_flag_shows_the_usage_of_its_own_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--frob"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith("usage: cti demo ")
    assert "cti demo: error: unrecognized arguments: --frob" in err


# ----------------------------------------------------------------------
# Dates: bounded going in, and readers survive whatever is stored
# ----------------------------------------------------------------------


def test_a_step_dated_in_year_9999_is_refused_and_nothing_is_stored(
    db_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = open_case(db_copy)
    before = rows(db_copy, "SELECT COUNT(*) FROM case_events")
    code, _, err = cli(
        capsys, "cases", "escalate", case_id, "--to", "third-line", "--at", "9999-12-30", "--db", str(db_copy)
    )
    assert code == 2
    assert "--at: '9999-12-30' is out of range" in err
    assert rows(db_copy, "SELECT COUNT(*) FROM case_events") == before


@pytest.fixture
def far_future_db(db_copy: Path) -> tuple[Path, str]:
    """A database an older version left with a step in year 9999 and a due date in year 10000."""
    case_id = open_case(db_copy)
    with sqlite3.connect(db_copy) as con:
        con.execute(
            "UPDATE cases SET tier = 'third-line', status = 'open', due_at = ? WHERE case_id = ?",
            (DAY_9999 + 7 * 86400, case_id),
        )
        con.execute(
            "INSERT INTO case_events (case_id, at, actor, action, status, tier, owner, due_at, note) "
            "VALUES (?, ?, 'old', 'escalated', 'open', 'third-line', 'x', ?, 'far')",
            (case_id, DAY_9999, DAY_9999 + 7 * 86400),
        )
    return db_copy, case_id


@pytest.mark.parametrize(
    "argv",
    [
        ["cases", "list"],
        ["cases", "list", "--json"],
        ["cases", "chase"],
        ["cases", "show", "CASE"],
        ["cases", "show", "CASE", "--json"],
        ["export", "cases"],
    ],
)
def test_a_stored_year_9999_step_still_lists_shows_and_exports(
    far_future_db: tuple[Path, str], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, case_id = far_future_db
    code, out, err = cli(capsys, *[case_id if a == "CASE" else a for a in argv], "--db", str(db))
    assert (code, err) == (0, "")
    if "list" in argv or "show" in argv or "export" in argv:
        assert "out of range" in out


def test_a_stored_year_9999_step_does_not_block_later_steps(
    far_future_db: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, case_id = far_future_db
    code, _, err = cli(capsys, "cases", "close", case_id, "--note", "repaired", "--db", str(db))
    assert (code, err) == (0, "")
    assert rows(db, "SELECT status FROM cases WHERE case_id = ?", (case_id,)) == [("closed",)]


# ----------------------------------------------------------------------
# Output paths: checked before the work, each the same way
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--json", "no/dir/f.json", "--json: no/dir/f.json: the folder no/dir does not exist"),
        ("--json", ".", "--json: . is a folder; give a file name to write"),
        ("--log", ".", "--log: . is a folder; give a file name to write"),
        ("--log", "a/b/c.log", "--log: a/b/c.log: the folder a/b does not exist"),
        ("--db", "no/dir/d.db", "--db: no/dir/d.db: the folder no/dir does not exist"),
    ],
)
def test_demo_refuses_an_unusable_output_path_before_running(
    flag: str,
    value: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "demo", "--speed", "max", "--minutes", "5", "--db", "d.db", flag, value)
    assert code == 1
    assert err.strip() == f"cti: {message}"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no database, no log, no folders
    assert out == ""


def test_json_alone_writes_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "erlang", "--calls", "100", "--aht", "180", "--agents", "13", "--json")
    assert code == 0
    assert out.lstrip().startswith("{")


def test_demo_json_dash_is_standard_output_not_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "demo", "--speed", "max", "--minutes", "5", "--db", "d.db", "--json", "-", "-q")
    assert code == 0
    assert out.lstrip().startswith("{")
    assert not (tmp_path / "-").exists()


# ----------------------------------------------------------------------
# Messages
# ----------------------------------------------------------------------


def test_escalating_sideways_names_the_assign_command(db_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case_id = open_case(db_copy)
    assert cli(capsys, "cases", "escalate", case_id, "--to", "vendor", "--db", str(db_copy))[0] == 0
    code, _, err = cli(capsys, "cases", "escalate", case_id, "--to", "second-line", "--db", str(db_copy))
    assert code == 1
    assert "cti cases assign" in err
    assert "reassign" not in err


def test_people_who_would_clash_with_the_directory_are_refused_with_advice_that_works(
    db_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "directory", "generate", "--db", str(db_copy), "--seed", "5", "--per-agency", "2")[0] == 0
    with sqlite3.connect(db_copy) as con:  # one person fewer: the next batch would start on the last one's id
        [(first,)] = con.execute("SELECT MIN(person_id) FROM people").fetchall()
        con.execute("DELETE FROM people_phones WHERE person_id = ?", (first,))
        con.execute("DELETE FROM people WHERE person_id = ?", (first,))
    before = rows(db_copy, "SELECT COUNT(*) FROM people")
    code, _, err = cli(capsys, "directory", "generate", "--db", str(db_copy), "--seed", "5", "--per-agency", "2")
    assert code == 1
    assert "nothing was added; try another --seed" in err
    assert "the seed used before" not in err
    assert rows(db_copy, "SELECT COUNT(*) FROM people") == before


def test_a_missing_database_says_how_to_make_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "cases", "list", "--db", str(tmp_path / "new.db"))
    assert code == 1
    assert "does not exist" in err
    assert "cti demo --db" in err
    assert not (tmp_path / "new.db").exists()


def test_an_empty_file_is_refused_and_left_empty(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    code, _, err = cli(capsys, "calls", "show", "r1-000001", "--db", str(empty))
    assert code == 1
    assert "empty" in err
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_a_foreign_sqlite_file_is_refused_and_not_switched_to_wal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as con:
        con.execute("CREATE TABLE notes (text TEXT)")
    code, _, err = cli(capsys, "cases", "list", "--db", str(foreign))
    assert code == 1
    assert "another program" in err
    assert rows(foreign, "PRAGMA journal_mode") == [("delete",)]
    assert [r[0] for r in rows(foreign, "SELECT name FROM sqlite_master")] == ["notes"]


def test_a_run_without_callers_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["demo", "--speed", "max", "--minutes", "30", "--busy-hour-calls", "0", "--db", "d.db", "-q"]
    code, _, err = cli(capsys, *argv)
    assert code == 0
    assert "no calls will arrive: the busy hour has 0 calls (--busy-hour-calls)" in err


# ----------------------------------------------------------------------
# Ctrl-C and SIGTERM, on real processes
# ----------------------------------------------------------------------


def _cti(argv: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(cwd), "COLUMNS": "120"}
    return subprocess.Popen(
        [sys.executable, "-m", "cti", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def _wait_for(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _calls_in(db: Path) -> int:
    try:
        [(count,)] = rows(db, "SELECT COUNT(*) FROM calls")
    except sqlite3.Error:
        return 0
    return count if isinstance(count, int) else 0


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_ctrl_c_stops_the_demo_in_one_line_closing_its_calls_and_naming_the_database(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    proc = _cti(["demo", "--speed", "30", "--seed", "2"], tmp_path)
    processes.append(proc)
    _wait_for(lambda: any(_calls_in(db) > 0 for db in tmp_path.glob("cti-demo-*/centre.db")))
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "cti: interrupted"
    [db] = tmp_path.glob("cti-demo-*/centre.db")
    assert f"database: {db}" in out + err
    assert rows(db, "SELECT COUNT(*) FROM calls WHERE outcome IS NULL") == [(0,)]
    assert rows(db, "SELECT clean FROM runs") == [(0,)]
    stopped = rows(db, "SELECT COUNT(*) FROM call_events WHERE event = 'INTERRUPTED' AND rule = 'stopped'")
    assert stopped == rows(db, "SELECT COUNT(*) FROM calls WHERE outcome = 'interrupted'")


def test_sigterm_stops_the_demo_cleanly_with_exit_0(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    db = tmp_path / "d.db"
    proc = _cti(["demo", "--speed", "30", "--seed", "2", "--db", str(db), "-q"], tmp_path)
    processes.append(proc)
    _wait_for(lambda: _calls_in(db) > 0)
    proc.send_signal(signal.SIGTERM)  # a service manager signals the process, not the group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "cti: terminated"
    assert rows(db, "SELECT COUNT(*) FROM calls WHERE outcome IS NULL") == [(0,)]


@pytest.mark.parametrize("presses", [1, 2])
@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--replications", "400", "--workers", "2", "-q"],
        ["staff", "--replications", "20", "--workers", "2", "-q"],
    ],
)
def test_ctrl_c_stops_a_capacity_run_with_no_worker_left_behind(
    argv: list[str], presses: int, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    proc = _cti(argv, tmp_path)
    processes.append(proc)
    _wait_for(lambda: len(_descendants(proc.pid)) >= 2)
    workers = _descendants(proc.pid)
    for _ in range(presses):
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.05)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert err.strip() == "cti: interrupted"
    _wait_for(lambda: not _alive(workers), timeout=10)


# ----------------------------------------------------------------------
# An output never overwrites what the command reads, nor another output
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--speed", "max", "--minutes", "5", "--db", "keep.db", "--json", "keep.db", "-q"],
        ["demo", "--speed", "max", "--minutes", "5", "--db", "keep.db", "--log", "keep.db", "-q"],
        ["calls", "list", "--db", "keep", "--csv", "keep"],
        ["config", "check", "centre.conf", "--json", "centre.conf"],
        ["simulate", "--json", "scenario.toml", "-q"],
        ["simulate", "--json", "out.json", "--csv", "out.json", "-q"],
        ["staff", "--json", "-", "--csv", "-", "-q"],
        ["cases", "list", "--db", "-"],
    ],
)
def test_an_output_that_would_overwrite_an_input_or_another_output_is_refused(
    argv: list[str], demo_db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("keep.db", "keep"):
        (tmp_path / name).write_bytes(demo_db.read_bytes())
    (tmp_path / "centre.conf").write_text("# a centre file\n", encoding="utf-8")
    (tmp_path / "scenario.toml").write_text("# a scenario\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, out, err = cli(capsys, *argv)
    assert code == 2
    assert err.startswith("cti: ")
    assert out == ""
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "--set", "foo", "-q"], "--set: not an override"),
        (["simulate", "--set", "arrivals.webhr*=nan", "-q"], "a finite number"),
        (["calls", "list", "--db", "x.db", "--date", "0001-01-01"], "--date: '0001-01-01' is out of range"),
        (["demo", "--speed", "1e-300", "-q"], "--speed"),
    ],
)
def test_more_command_line_faults_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, *argv)
    assert code == 2
    assert message in err


def test_the_first_accepted_day_is_accepted(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "cases", "list", "--db", str(demo_db), "--at", "1970-01-02")
    assert (code, err) == (0, "")


def test_a_step_dated_far_in_the_future_is_refused_so_it_cannot_lock_the_case(
    db_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = open_case(db_copy)
    before = rows(db_copy, "SELECT COUNT(*) FROM case_events")
    code, _, err = cli(
        capsys, "cases", "escalate", case_id, "--to", "third-line", "--at", "2999-12-31", "--db", str(db_copy)
    )
    assert code == 2
    assert "in the future" in err
    assert rows(db_copy, "SELECT COUNT(*) FROM case_events") == before


def test_an_empty_owner_is_refused(db_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case_id = open_case(db_copy)
    code, _, err = cli(capsys, "cases", "assign", case_id, "--owner", " ", "--db", str(db_copy))
    assert code == 2
    assert "--owner: empty" in err


def test_a_closed_case_names_the_assign_command(db_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case_id = open_case(db_copy)
    assert cli(capsys, "cases", "close", case_id, "--note", "done", "--db", str(db_copy))[0] == 0
    code, _, err = cli(capsys, "cases", "assign", case_id, "--owner", "x", "--db", str(db_copy))
    assert code == 1
    assert "before you assign it" in err


def test_a_stored_out_of_range_time_keeps_to_the_json_schema(
    far_future_db: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cti.test_json import validator

    db, case_id = far_future_db
    code, out, _ = cli(capsys, "cases", "show", case_id, "--db", str(db), "--json")
    assert code == 0
    doc = json.loads(out)
    assert "out of range" in doc["due_at"]
    assert list(validator("cases-show").iter_errors(doc)) == []


# ----------------------------------------------------------------------
# --start HH:MM: a run lies in the past, whatever the time of day
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now_local", "minutes", "day"),
    [
        ("2026-12-08T08:24", 60, "2026-12-07"),  # before 10:00: yesterday's 10:00
        ("2026-12-08T10:30", 60, "2026-12-07"),  # the run (and its drain) would still be going on
        ("2026-12-08T12:00", 60, "2026-12-08"),  # 10:00 + 60 min + an hour of draining is over: today
        ("2026-12-08T23:59", 600, "2026-12-08"),
    ],
)
def test_start_hh_mm_is_the_latest_day_on_which_the_run_is_over(now_local: str, minutes: int, day: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cti.cli.options import parse_start

    tz = ZoneInfo("Asia/Taipei")
    now = datetime.fromisoformat(now_local).replace(tzinfo=tz).timestamp()
    start = parse_start("10:00", "Asia/Taipei", lasting_s=minutes * 60.0, now=now)
    assert datetime.fromtimestamp(start, tz).isoformat() == f"{day}T10:00:00+08:00"
