"""``cti calls list`` and ``cti calls show`` on a seeded demo database, and ``cti cases list --ids``."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cti.casework.privacy import mask_phone
from cti.cli import main

TZ = ZoneInfo("Asia/Taipei")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calls") / "demo.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cti",
            "demo",
            "-q",
            "--speed",
            "max",
            "--minutes",
            "20",
            "--seed",
            "3",
            "--db",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return path


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute(sql, params).fetchall()


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def ids(capsys: pytest.CaptureFixture[str], db: Path, *filters: str) -> list[str]:
    code, out, err = cli(capsys, "calls", "list", "--db", str(db), "--ids", *filters)
    assert code == 0, err
    return out.splitlines()


# ----------------------------------------------------------------------
# cti calls list
# ----------------------------------------------------------------------


def test_calls_list_ids_prints_every_call_id_one_per_line_oldest_first(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = [r[0] for r in rows(db, "SELECT call_id FROM calls ORDER BY arrived_at, call_id")]
    assert len(expected) > 20
    assert ids(capsys, db) == expected


def test_calls_list_last_n_keeps_the_n_most_recent_calls(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    every = ids(capsys, db)
    assert ids(capsys, db, "--last", "3") == every[-3:]
    assert ids(capsys, db, "--last", "1") == every[-1:]


def test_the_id_of_the_last_call_can_be_handed_to_calls_show(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [last] = ids(capsys, db, "--last", "1")
    code, out, _ = cli(capsys, "calls", "show", last, "--db", str(db))
    assert code == 0
    assert f"Call {last}" in out


@pytest.mark.parametrize(
    ("option", "column"),
    [("--system", "system"), ("--agency", "agency"), ("--site", "site"), ("--agent", "agent")],
)
def test_each_filter_keeps_only_the_calls_that_match_it(
    db: Path, capsys: pytest.CaptureFixture[str], option: str, column: str
) -> None:
    [(value,)] = rows(
        db, f"SELECT {column} FROM calls WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"
    )
    expected = [r[0] for r in rows(db, f"SELECT call_id FROM calls WHERE {column} = ? ORDER BY arrived_at", (value,))]
    assert ids(capsys, db, option, value) == expected


def test_outcome_filters_by_outcome_and_in_progress_means_no_outcome_yet(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    abandoned = [r[0] for r in rows(db, "SELECT call_id FROM calls WHERE outcome = 'abandoned' ORDER BY arrived_at")]
    assert abandoned
    assert ids(capsys, db, "--outcome", "abandoned") == abandoned
    copy = tmp_path / "live.db"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
        dst.execute("UPDATE calls SET outcome = NULL WHERE call_id = ?", (abandoned[0],))
    assert ids(capsys, copy, "--outcome", "in-progress") == [abandoned[0]]


def test_filters_combine(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [(site, agent)] = rows(db, "SELECT site, agent FROM calls WHERE agent IS NOT NULL LIMIT 1")
    by_site = set(ids(capsys, db, "--site", site))
    by_both = ids(capsys, db, "--site", site, "--agent", agent, "--outcome", "answered")
    assert by_both
    assert set(by_both) < by_site


def test_date_keeps_the_calls_that_arrived_that_day_in_the_centre_s_time_zone(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [(first,)] = rows(db, "SELECT MIN(arrived_at) FROM calls")
    day = datetime.fromtimestamp(first, TZ).date()
    assert ids(capsys, db, "--date", day.isoformat()) == ids(capsys, db)
    assert ids(capsys, db, "--date", (day + timedelta(days=1)).isoformat()) == []


@pytest.mark.parametrize(
    ("option", "value", "known"),
    [
        ("--system", "webhrr", "webhr"),
        ("--agency", "nowhere", "moda"),
        ("--site", "kaohsiung", "nantou"),
        ("--agent", "X99", "T06"),
        ("--outcome", "lost", "no-agent"),
    ],
)
def test_a_value_the_centre_does_not_know_is_refused_on_one_line_with_exit_2(
    db: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, known: str
) -> None:
    code, out, err = cli(capsys, "calls", "list", "--db", str(db), option, value)
    assert code == 2
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith(f"cti: {option}: {value!r}")
    assert known in line


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "20261122", "9999-12-31"])
def test_a_date_that_is_not_a_day_is_refused_with_exit_2(
    db: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code, _, err = cli(capsys, "calls", "list", "--db", str(db), "--date", value)
    assert code == 2
    assert err.startswith("cti: --date:")


def test_the_table_lists_the_calls_with_masked_numbers_and_the_time_zone_in_its_title(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [(call_id, caller)] = rows(db, "SELECT call_id, caller FROM calls ORDER BY arrived_at DESC LIMIT 1")
    code, out, _ = cli(capsys, "calls", "list", "--db", str(db), "--last", "1")
    assert code == 0
    assert "Asia/Taipei" in out
    assert call_id in out
    assert mask_phone(caller) in out
    assert caller not in out


def test_json_rows_use_the_contract_s_names_masked_numbers_and_iso_times(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "calls", "list", "--db", str(db), "--outcome", "answered", "--json")
    assert code == 0
    listed = json.loads(out)
    callers = dict(rows(db, "SELECT call_id, caller FROM calls"))
    assert {"call_id", "agent_id", "site_id", "caller_number", "case_id", "wait_s", "talk_s"} <= set(listed[0])
    for row in listed:
        assert row["caller_number"] == mask_phone(callers[row["call_id"]])
        assert ISO.match(row["answered_at"])
        assert row["outcome"] == "answered"


def test_csv_alone_writes_the_json_rows_as_csv_to_standard_output(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = cli(capsys, "calls", "list", "--db", str(db), "--last", "4", "--json")
    listed = json.loads(out)
    code, out, _ = cli(capsys, "calls", "list", "--db", str(db), "--last", "4", "--csv")
    assert code == 0
    written = list(csv.DictReader(io.StringIO(out)))
    assert [r["call_id"] for r in written] == [r["call_id"] for r in listed]
    assert list(written[0]) == list(listed[0])


def test_csv_to_a_file_keeps_the_table_on_standard_output(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "calls", "list", "--db", str(db), "--last", "2", "--csv", str(tmp_path / "c.csv"))
    assert code == 0
    assert "oldest first" in out
    assert len(list(csv.DictReader((tmp_path / "c.csv").open(encoding="utf-8")))) == 2


def test_two_outputs_on_standard_output_are_refused_with_exit_2(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "calls", "list", "--db", str(db), "--json", "--csv")
    assert code == 2
    assert "--json and --csv" in err


def test_unmasked_listing_needs_a_supervisor_and_is_audited(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "audit.db"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    [(caller,)] = rows(copy, "SELECT caller FROM calls ORDER BY arrived_at DESC LIMIT 1")
    code, out, _ = cli(capsys, "calls", "list", "--db", str(copy), "--last", "1", "--json", "--unmasked", "--by", "S01")
    assert code == 0
    assert json.loads(out)[0]["caller_number"] == caller
    assert rows(copy, "SELECT actor, action FROM audit WHERE action LIKE '%-unmasked'") == [
        ("S01", "list-calls-unmasked")
    ]


# ----------------------------------------------------------------------
# cti calls show
# ----------------------------------------------------------------------


def _answered(db: Path) -> str:
    [(call_id,)] = rows(
        db, "SELECT call_id FROM calls WHERE outcome = 'answered' AND case_id IS NOT NULL ORDER BY call_id LIMIT 1"
    )
    return str(call_id)


def test_calls_show_json_journal_is_a_list_of_objects_with_each_verb_s_data_named(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "calls", "show", _answered(db), "--db", str(db), "--json")
    assert code == 0
    journal = {e["event"]: e for e in json.loads(out)["journal"]}
    # The default centre has an IVR: the call went through the menus first.
    menus, queue = ["IVRSTART", "IVRSTEP", "IVREND"], ["ENTERQUEUE", "RINGING", "CONNECT", "COMPLETEAGENT", "WRAPUPEND"]
    assert list(journal) == menus + queue
    assert journal["IVREND"]["ivr_outcome"] == "routed"
    ringing = journal["RINGING"]
    assert ISO.match(ringing["at"])
    assert ISO.match(ringing["ring_until"])
    assert (ringing["overflow"], ringing["backup_seat"]) == (False, False)
    assert isinstance(journal["ENTERQUEUE"]["position"], int)
    assert set(journal["CONNECT"]) == {"at", "event", "queue", "agent_id", "rule", "wait_s", "ring_s"}
    assert journal["COMPLETEAGENT"]["wait_s"] == journal["CONNECT"]["wait_s"] >= 0
    assert journal["COMPLETEAGENT"]["talk_s"] > 0


def test_calls_show_json_is_the_calls_list_row_with_its_case_journal_and_screen_pop(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_id = _answered(db)
    _, out, _ = cli(capsys, "calls", "list", "--db", str(db), "--json")
    [row] = [r for r in json.loads(out) if r["call_id"] == call_id]
    _, out, _ = cli(capsys, "calls", "show", call_id, "--db", str(db), "--json")
    shown = json.loads(out)
    assert {k: shown[k] for k in row} == row
    assert set(shown) - set(row) == {"case", "journal", "screen_pop"}


def test_calls_show_tells_the_case_s_status_disposition_and_notes(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_id = _answered(db)
    [(case_id, status, disposition, notes)] = rows(
        db, "SELECT case_id, status, disposition, notes FROM cases WHERE call_id = ?", (call_id,)
    )
    code, out, _ = cli(capsys, "calls", "show", call_id, "--db", str(db), "--json")
    assert code == 0
    case = json.loads(out)["case"]
    assert (case["case_id"], case["status"], case["disposition"], case["notes"]) == (
        case_id,
        status,
        disposition,
        notes,
    )
    _, out, _ = cli(capsys, "calls", "show", call_id, "--db", str(db))
    line = next(line for line in out.splitlines() if line.startswith(f"case {case_id}"))
    assert status in line
    assert f"disposition {disposition}" in line
    assert f"notes: {notes}" in line


def test_calls_show_labels_each_journal_datum_in_words(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "calls", "show", _answered(db), "--db", str(db))
    assert code == 0
    assert re.search(r"rings until \d\d:\d\d:\d\d, overflow no, backup seat no", out)
    assert re.search(r"waited \d+\.\d s, rang \d+\.\d s", out)
    assert re.search(r"waited \d+\.\d s, talked \d+\.\d s", out)
    assert re.search(r"position \d+", out)


def test_an_abandoned_call_s_journal_says_where_the_caller_stood(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [(call_id,)] = rows(db, "SELECT call_id FROM calls WHERE outcome = 'abandoned' ORDER BY call_id LIMIT 1")
    code, out, _ = cli(capsys, "calls", "show", call_id, "--db", str(db), "--json")
    assert code == 0
    [abandon] = [e for e in json.loads(out)["journal"] if e["event"] == "ABANDON"]
    assert {"position", "entry_position", "wait_s"} <= set(abandon)


# ----------------------------------------------------------------------
# cti cases list --ids
# ----------------------------------------------------------------------


def test_cases_list_ids_prints_only_the_ids_of_the_cases_that_match(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = [r[0] for r in rows(db, "SELECT case_id FROM cases WHERE status != 'closed' ORDER BY created_at")]
    assert expected
    code, out, _ = cli(capsys, "cases", "list", "--db", str(db), "--open", "--ids")
    assert code == 0
    assert out.splitlines() == expected
