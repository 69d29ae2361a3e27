"""Tables fit the terminal, piped output is never cut, figures have labels in words, and dates have one format.

Every command with a table is run on a seeded database (``cti demo --seed 3``)
and small simulations: on a terminal 80 and 60 columns wide (``TTY_COMPATIBLE=1``
and ``COLUMNS``, which the console reads), and piped (standard output
captured, not a terminal, with ``COLUMNS=80`` left in the environment).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len

from cti.cli import main
from cti.cli.scenario import example_text
from cti.config import default_centre_text, load_default

CENTRE = load_default().centre
TIMEZONE = CENTRE.info.timezone
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
KEY_NAMES = ("service_level", "answer_rate", "asa_s", "aht_s", "p_wait", "p_abandon", "wait_p90_s", "queue_length")


class Centre:
    """A seeded demo database with an escalated case and an audit entry, and the files the commands read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "centre.db"
        self.centre_file = folder / "centre.toml"
        self.centre_file.write_text(default_centre_text(), encoding="utf-8")
        assert main(["demo", "--speed", "max", "--minutes", "20", "--seed", "3", "--db", str(self.db),
                     "--start", "2026-11-22T10:00", "--quiet"]) == 0  # fmt: skip
        with sqlite3.connect(self.db) as con:
            self.case_id = con.execute("SELECT case_id FROM cases WHERE tier != 'first-line' LIMIT 1").fetchone()[0]
            self.call_id = con.execute("SELECT call_id FROM cases WHERE case_id = ?", (self.case_id,)).fetchone()[0]
            self.phone = con.execute(
                "SELECT c.caller FROM calls c JOIN people_phones p ON p.phone_key = c.caller_key LIMIT 1"
            ).fetchone()[0]
        assert main(["cases", "show", self.case_id, "--db", str(self.db), "--unmasked", "--by", "S01"]) == 0
        text = example_text()
        self.scenario = folder / "a.toml"
        self.scenario.write_text(text, encoding="utf-8")
        self.other = folder / "b.toml"
        self.other.write_text(re.sub(r'(?m)^name = ".*"$', 'name = "B"', text, count=1), encoding="utf-8")


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Centre:
    folder = tmp_path_factory.mktemp("tables")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TTY_COMPATIBLE", "0")
        return Centre(folder)


# Each command with a table, as the argument list for ``cti``.
RUNS = ["--replications", "3", "--workers", "1"]
QUEUE = ["--calls", "100", "--interval", "1800", "--aht", "180", "--agents", "13"]
DEMO = ["demo", "--speed", "max", "--minutes", "20", "--seed", "3", "--start", "2026-11-22T10:00"]
COMMANDS: dict[str, Callable[[Centre], list[str]]] = {
    "config check": lambda c: ["config", "check", str(c.centre_file)],
    "demo": lambda c: [*DEMO, "--db", str(c.folder / f"demo-{len(list(c.folder.glob('demo-*.db')))}.db")],
    "erlang": lambda c: ["erlang", *QUEUE],
    "simulate": lambda c: ["simulate", str(c.scenario), "--days", "1", *RUNS],
    "simulate --compare": lambda c: ["simulate", "--compare", str(c.scenario), str(c.other), "--days", "1", *RUNS],
    "simulate --single-queue": lambda c: ["simulate", "--single-queue", *QUEUE, *RUNS],
    "simulate --replay": lambda c: [
        *("simulate", "--replay", "--db", str(c.db), "--date", "2026-11-22", "--remove-agent", "N01"),
        *RUNS,
    ],
    "staff": lambda c: ["staff", str(c.scenario), "--replications", "2", "--max-per-site", "8", "--workers", "1"],
    "directory show": lambda c: ["directory", "show", c.phone, "--db", str(c.db)],
    "cases list": lambda c: ["cases", "list", "--db", str(c.db), "--at", "2026-12-01T09:00"],
    "cases chase": lambda c: ["cases", "chase", "--db", str(c.db), "--at", "2026-12-01T09:00"],
    "cases show": lambda c: ["cases", "show", c.case_id, "--db", str(c.db)],
    "audit": lambda c: ["audit", "--db", str(c.db)],
    "calls list": lambda c: ["calls", "list", "--db", str(c.db)],
    "calls show": lambda c: ["calls", "show", c.call_id, "--db", str(c.db)],
}
TABLE_COMMANDS = sorted(COMMANDS)


def run(centre: Centre, name: str, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch,
        width: int | None) -> str:  # fmt: skip
    """The command's standard output on a terminal ``width`` columns wide, or piped (``None``)."""
    mp.setenv("COLUMNS", str(width or 80))
    mp.setenv("TTY_COMPATIBLE", "0" if width is None else "1")
    mp.delenv("NO_COLOR", raising=False)
    capsys.readouterr()
    assert main(COMMANDS[name](centre)) == 0
    return capsys.readouterr().out


_piped: dict[str, str] = {}


def piped(centre: Centre, name: str, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch) -> str:
    if name not in _piped:
        _piped[name] = run(centre, name, capsys, mp, None)
    return _piped[name]


def headers(text: str) -> list[str]:
    """Every column header of every table in ``text``, each put together from the lines it wraps over."""
    found: list[str] = []
    block: list[list[str]] | None = None
    for line in ANSI.sub("", text).splitlines():
        if line.startswith("┏"):
            block = []
        elif line.startswith("┡") and block is not None:
            found += [" ".join(part for part in parts if part) for parts in zip(*block, strict=True)]
            block = None
        elif block is not None and line.startswith("┃"):
            block.append([cell.strip() for cell in line.split("┃")[1:-1]])
    return found


def dropped(text: str) -> list[str]:
    """The columns the notes under the tables say were dropped."""
    notes = re.findall(r"\(columns dropped to fit \d+ columns: (.*?); widen", " ".join(text.split()))
    return [name for note in notes for name in note.split(", ")]


# ----------------------------------------------------------------------
# On a terminal: tables fit, nothing is cut, dropped columns are named
# ----------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("name", TABLE_COMMANDS)
def test_tables_fit_the_terminal_with_no_cell_cut_and_every_kept_header_whole(
    centre: Centre, name: str, width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    full = headers(piped(centre, name, capsys, monkeypatch))
    out = ANSI.sub("", run(centre, name, capsys, monkeypatch, width))
    assert full, "the command printed no table"
    assert "…" not in out
    assert max(cell_len(line) for line in out.splitlines()) <= width
    shown = headers(out)
    assert shown
    assert set(shown) <= set(full), f"headers cut or changed: {sorted(set(shown) - set(full))}"
    assert set(full) <= set(shown) | set(dropped(out)), "a column vanished without a note"


def test_cases_list_at_80_columns_keeps_system_status_and_due_and_says_which_columns_dropped(
    centre: Centre, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = ANSI.sub("", run(centre, "cases list", capsys, monkeypatch, 80))
    assert {"case", "system", "status", "due"} <= set(headers(out))
    assert "(columns dropped to fit 80 columns: " in out
    assert "widen the terminal or use --json)" in " ".join(out.split())
    systems = {s.id for s in CENTRE.systems}
    rows = [line.split("│") for line in out.splitlines() if line.startswith("│ C2026")]
    assert rows
    assert all(cells[2].strip() in systems for cells in rows)


# ----------------------------------------------------------------------
# Piped: never cut, no colour
# ----------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLE_COMMANDS)
def test_piped_output_is_never_cut_or_coloured_whatever_columns_says(
    centre: Centre, name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = piped(centre, name, capsys, monkeypatch)
    assert "…" not in out
    assert "\x1b[" not in out
    assert "columns dropped" not in out


def test_piped_simulate_shows_every_system_in_full_with_every_figure(
    centre: Centre, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = piped(centre, "simulate", capsys, monkeypatch)
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│")}
    offered = {s.id for s in CENTRE.systems} & set(rows)
    assert len(offered) >= 10
    assert "centre" in rows
    assert re.search(r"│ +\d+\.\d% ±\d+\.\d │", rows["centre"])  # a share with its whole interval
    assert {"offered", "answer rate", "service level", "ASA s", "p90 wait s", "AHT s"} <= set(headers(out))


def test_piped_staff_and_replay_show_every_column(
    centre: Centre, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = headers(piped(centre, "staff", capsys, monkeypatch))
    assert {"start", "offered", "Erlang A", "nantou", "taipei", "total", "service level", "answer rate",
            "occupancy"} <= set(staff)  # fmt: skip
    replay = headers(piped(centre, "simulate --replay", capsys, monkeypatch))
    assert {"figure", "real day", "replayed as it was", "with the changes", "change (95% CI)",
            "significant"} <= set(replay)  # fmt: skip


# ----------------------------------------------------------------------
# Labels in words; one date format
# ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["simulate --compare", "simulate --replay", "simulate --single-queue", "erlang"])
def test_figure_tables_name_figures_in_words_not_key_names(
    centre: Centre, name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = piped(centre, name, capsys, monkeypatch)
    assert not [key for key in KEY_NAMES if key in out]
    assert "service level" in out


@pytest.mark.parametrize("name", ["cases list", "cases chase", "cases show", "audit", "directory show", "demo"])
def test_tables_show_dates_and_times_in_one_format_in_the_centre_s_time_zone_named_in_the_title(
    centre: Centre, name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = piped(centre, name, capsys, monkeypatch)
    tables = [line for line in out.splitlines() if line.startswith("│")]
    stamps = re.findall(r"\d{4}-\d\d-\d\d[T ]?[\d:]*(?:[+-]\d\d:\d\d)?", "\n".join(tables))
    assert stamps or name in {"demo", "cases chase"}  # their rows hold no date
    assert [s for s in stamps if not re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?", s.strip())] == []
    titles = [line for line in out.splitlines() if re.match(r"\w", line) and re.search(r"\d{4}-\d\d-\d\d", line)]
    dated = [t for t in titles if not t.startswith(("created", "database", "what if", "Case", "call "))]
    assert all(TIMEZONE in t for t in dated), dated
    if name in {"cases show", "audit", "directory show"}:
        assert f"({TIMEZONE})" in out  # the journal, audit and contacts tables name the zone their times are in


def test_the_audit_trail_shows_its_entry_as_a_date_and_a_time_to_the_minute(
    centre: Centre, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = piped(centre, "audit", capsys, monkeypatch)
    row = next(line for line in out.splitlines() if "show-case-unmasked" in line)
    assert re.search(r"│ \d{4}-\d\d-\d\d \d\d:\d\d +│ S01", row)
