"""After a demo run: screen pops on every offer, a case per call, and the commands that chase and export them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import msgspec
import pytest

from cti.casework.people import phone_key
from cti.casework.privacy import mask_phone
from cti.cli import main
from cti.clock import ScaledClock
from cti.config import load_default
from cti.live import messages as m
from cti.live.bus import LocalBus, Subscription
from cti.live.demo import DemoResult, DemoSettings, default_start, run_demo
from cti.store import Store

CENTRE = load_default().centre
DAY = 86_400.0


class Demo:
    def __init__(self, db: Path, log: Path, result: DemoResult, offers: list[m.Offer]) -> None:
        self.db, self.log, self.result, self.offers = db, log, result, offers

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as con:
            return con.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("cases")
    db, log = folder / "centre.db", folder / "centre.log"
    subs: list[Subscription] = []

    def watch(bus: LocalBus) -> None:
        subs.append(bus.subscribe(f"{m.PREFIX}/agents/+/offer"))

    with log.open("w", encoding="utf-8") as stream:
        settings = DemoSettings(
            CENTRE, db, minutes=45, speed=None, seed=4, start=default_start("Asia/Taipei"), log=stream, on_bus=watch
        )
        result = run_demo(settings)
    offers = [d.message for d in subs[0].drain() if isinstance(d.message, m.Offer)]
    return Demo(db, log, result, offers)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_offer_in_a_demo_run_carries_a_screen_pop_whose_profile_matches_the_directory(demo: Demo) -> None:
    people = {
        row[0]: row
        for row in demo.rows("SELECT person_id, name, agency, title, office_phone, mobile, email FROM people")
    }
    phones = dict(demo.rows("SELECT phone_key, person_id FROM people_phones"))
    known = unknown = 0
    assert len(demo.offers) >= demo.result.summary.total.answered > 50
    for offer in demo.offers:
        assert offer.pop is not None
        assert offer.pop.case_id == offer.case_id is not None
        person_id = phones.get(phone_key(offer.caller))
        if person_id is None:
            assert offer.pop.profile is None
            unknown += 1
            continue
        p = offer.pop.profile
        assert p is not None
        assert (p.person_id, p.name, p.agency, p.title, p.office_phone, p.mobile, p.email) == people[person_id]
        assert offer.agency == p.agency  # callers call about their own agency
        known += 1
    assert known > 5 * unknown > 0


def test_every_call_has_exactly_one_case_created_when_it_entered_the_queue(demo: Demo) -> None:
    calls = demo.rows("SELECT call_id, case_id, offered_at FROM calls")
    cases = dict(demo.rows("SELECT call_id, case_id FROM cases"))
    created = dict(demo.rows("SELECT case_id, created_at FROM cases"))
    assert len(calls) == demo.result.summary.total.offered == len(cases)
    for call_id, case_id, offered_at in calls:
        assert cases[call_id] == case_id
        assert created[case_id] == offered_at


def test_answered_calls_are_closed_or_escalated_by_their_agent_and_abandoned_ones_wait_for_a_call_back(
    demo: Demo,
) -> None:
    rows = demo.rows(
        "SELECT c.outcome, k.status, k.tier, k.owner, c.agent FROM calls c JOIN cases k ON k.case_id = c.case_id"
    )
    for outcome, status, tier, owner, agent in rows:
        if outcome == "answered":
            assert (status, tier) == ("closed", "first-line") or (status == "open" and tier != "first-line")
            if status == "closed":
                assert owner == agent
        else:
            assert (status, tier, owner) == ("call-back", "first-line", None)
    assert {r[2] for r in rows} >= {"first-line", "second-line"}


def test_cases_list_overdue_shows_only_open_cases_past_due(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    at = demo.result.started_at + 8 * DAY
    code, out, _ = cli(capsys, "cases", "list", "--db", str(demo.db), "--overdue", "--at", _iso(at), "--json")
    assert code == 0
    listed = {c["case_id"] for c in json.loads(out)}
    expected = {r[0] for r in demo.rows("SELECT case_id FROM cases WHERE status != 'closed' AND due_at < ?", (at,))}
    assert listed == expected
    assert listed
    code, out, _ = cli(capsys, "cases", "list", "--db", str(demo.db), "--overdue", "--json")  # today: none yet
    assert json.loads(out) == []


def test_the_chasing_list_groups_overdue_cases_by_tier_and_owner(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    at = demo.result.started_at + 8 * DAY
    code, out, _ = cli(capsys, "cases", "chase", "--db", str(demo.db), "--at", _iso(at), "--json")
    assert code == 0
    doc = json.loads(out)
    groups = {(g["tier"], g["owner"]): sorted(c["case_id"] for c in g["cases"]) for g in doc["groups"]}
    expected: dict[tuple[str, str | None], list[str]] = {}
    for case_id, tier, owner in demo.rows(
        "SELECT case_id, tier, owner FROM cases WHERE status != 'closed' AND due_at < ?",
        (at,),
    ):
        expected.setdefault((tier, owner), []).append(case_id)
    assert groups == {key: sorted(ids) for key, ids in expected.items()}
    assert doc["overdue_cases"] == sum(len(ids) for ids in expected.values())


def test_escalate_and_close_from_the_command_line_are_journalled_with_who_and_when(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    [(case_id,)] = demo.rows("SELECT case_id FROM cases WHERE status = 'call-back' ORDER BY case_id LIMIT 1")
    db = str(demo.db)
    assert cli(capsys, "cases", "escalate", case_id, "--to", "second-line", "--db", db, "--by", "S01")[0] == 0
    code, _, err = cli(capsys, "cases", "escalate", case_id, "--to", "second-line", "--db", db, "--by", "S01")
    assert code == 1
    assert "escalation goes up" in err
    assert cli(capsys, "cases", "close", case_id, "--note", "rang back, solved", "--db", db, "--by", "tech1")[0] == 0
    steps = demo.rows("SELECT action, actor, tier, status FROM case_events WHERE case_id = ? ORDER BY seq", (case_id,))
    assert steps[-2:] == [("escalated", "S01", "second-line", "open"), ("closed", "tech1", "second-line", "closed")]
    code, out, _ = cli(capsys, "cases", "show", case_id, "--db", db, "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["notes"], [s["action"] for s in shown["journal"]][-2:]) == (
        "closed",
        "rang back, solved",
        ["escalated", "closed"],
    )
    assert shown["screen_pop"]["case_id"] == case_id


def test_export_cases_writes_one_masked_row_per_case(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "export", "cases", "--db", str(demo.db))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    required = (
        "case_id call_id caller_number system agency status tier priority created_at due_at closed_at disposition"
    )
    assert set(required.split()) <= set(rows[0])
    assert len(rows) == demo.rows("SELECT COUNT(*) FROM cases")[0][0]
    callers = dict(demo.rows("SELECT case_id, caller FROM cases"))
    assert all(r["caller_number"] == mask_phone(callers[r["case_id"]]) != callers[r["case_id"]] for r in rows)


def test_unmasked_exports_need_a_supervisor_and_each_one_is_audited(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(demo.db)
    before = demo.rows("SELECT COUNT(*) FROM audit")[0][0]
    code, out, err = cli(capsys, "export", "calls", "--db", db, "--unmasked")
    assert (code, out) == (2, "")
    assert "--by" in err
    code, out, err = cli(capsys, "export", "calls", "--db", db, "--unmasked", "--by", "Q01")  # QA, not supervisor
    assert (code, out) == (1, "")
    assert "only a supervisor" in err
    assert demo.rows("SELECT COUNT(*) FROM audit")[0][0] == before
    code, out, _ = cli(capsys, "export", "calls", "--db", db, "--unmasked", "--by", "S01")
    assert code == 0
    callers = {r["call_id"]: r["caller"] for r in csv.DictReader(io.StringIO(out))}
    assert callers == dict(demo.rows("SELECT call_id, caller FROM calls"))
    code, out, _ = cli(capsys, "audit", "--db", db, "--json")
    audit = [(a["actor"], a["role"], a["action"]) for a in json.loads(out)]
    assert audit[before:] == [("S01", "supervisor", "export-calls-unmasked")]


def test_the_log_never_holds_a_directory_phone_number_or_national_id_in_clear(demo: Demo) -> None:
    text = demo.log.read_text(encoding="utf-8")
    assert '"event":"call_arrived"' in text.replace(" ", "")
    people = demo.rows("SELECT office_phone, mobile, national_id FROM people")
    digits = re.sub(r"\D", "", text)  # catches numbers however they were formatted
    for office, mobile, national_id in people:
        assert national_id not in text
        for phone in (office, mobile):
            assert phone not in text
            assert phone_key(phone) not in digits or len(phone_key(phone)) < 9


def test_directory_show_pops_a_known_number_and_masks_it_unless_a_supervisor_asks(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    [(pid, name, mobile, national_id)] = demo.rows(
        "SELECT p.person_id, p.name, p.mobile, p.national_id FROM people p JOIN calls c ON c.person_id = p.person_id "
        "ORDER BY c.arrived_at LIMIT 1"
    )
    code, out, _ = cli(capsys, "directory", "show", mobile, "--db", str(demo.db), "--json")
    doc = json.loads(out)
    assert (code, doc["profile"]["person_id"], doc["profile"]["name"]) == (0, pid, name)
    assert doc["profile"]["national_id"] != national_id
    assert doc["profile"]["mobile"] == mask_phone(mobile)
    assert doc["history"]  # at least the demo's call
    code, out, _ = cli(capsys, "directory", "show", mobile, "--db", str(demo.db), "--json", "--unmasked", "--by", "S02")
    doc = json.loads(out)
    assert (doc["profile"]["national_id"], doc["profile"]["mobile"]) == (national_id, mobile)
    code, out, _ = cli(capsys, "directory", "show", "089-123-456", "--db", str(demo.db))
    assert code == 0
    assert "unknown caller" in out


def _iso(t: float, timespec: str = "auto") -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(t, ZoneInfo("Asia/Taipei")).isoformat(timespec=timespec)


def _iso_s(t: float) -> str:
    """``t`` as the JSON writes times: ISO 8601 to the second with the centre's offset."""
    return _iso(t, "seconds")


async def _empty_store(db: Path) -> None:
    """A database as the store makes it, with no run in it yet."""
    store = await Store.open(db, ScaledClock(0.0))
    await store.close()


def test_a_bad_directory_file_is_refused_with_its_line_and_nothing_is_added(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "d.db"
    assert cli(capsys, "directory", "generate", "--db", str(db), "--per-agency", "1")[0] == 1  # no database yet
    sqlite3.connect(db).close()  # an empty file is not a database either
    assert cli(capsys, "directory", "generate", "--db", str(db), "--per-agency", "1")[0] == 1
    asyncio.run(_empty_store(db))
    assert cli(capsys, "directory", "generate", "--db", str(db), "--per-agency", "2")[0] == 0
    good = (
        "name,agency,title,office_phone,mobile,email,national_id\n"
        "王小明,moi,科員,02-2356-0001,0911-000-001,w@moi.gov.tw,A123456789\n"
    )
    bad = good + "李大華,nowhere,科員,02-2356-0002,0911-000-002,l@moi.gov.tw,A223456788\n"
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    code, _, err = cli(capsys, "directory", "import", str(tmp_path / "bad.csv"), "--db", str(db))
    assert code == 1
    assert "bad.csv:3" in err
    assert "agency" in err
    assert demo_count(db) == 2 * len(CENTRE.agencies)
    (tmp_path / "good.csv").write_text(good, encoding="utf-8")
    assert cli(capsys, "directory", "import", str(tmp_path / "good.csv"), "--db", str(db))[0] == 0
    code, _, err = cli(capsys, "directory", "import", str(tmp_path / "good.csv"), "--db", str(db))  # again
    assert code == 1
    assert "good.csv:2: national_id: already in the directory" in err
    assert demo_count(db) == 2 * len(CENTRE.agencies) + 1
    code, out, _ = cli(capsys, "directory", "show", "(02) 2356 0001", "--db", str(db), "--json")
    assert json.loads(out)["profile"]["name"] == "王小明"
    assert json.loads(out)["profile"]["synthetic"] is False


def demo_count(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT COUNT(*) FROM people").fetchone()[0])


def test_calls_show_prints_the_screen_pop_the_agent_saw_with_phone_numbers_masked(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    offer = next(o for o in reversed(demo.offers) if o.pop is not None and o.pop.profile and o.pop.history)
    assert offer.pop is not None
    code, out, _ = cli(capsys, "calls", "show", offer.call_id, "--db", str(demo.db), "--json")
    shown = json.loads(out)
    assert code == 0
    assert shown["case_id"] == offer.case_id
    assert [e["event"] for e in shown["journal"]][:2] == ["ENTERQUEUE", "RINGING"]
    pop = shown["screen_pop"]
    sent = msgspec.to_builtins(offer.pop)
    assert pop["history"] == [dict(c, at=_iso_s(c["at"])) for c in sent["history"]]
    assert pop["open_cases"] == [
        dict(c, created_at=_iso_s(c["created_at"]), due_at=_iso_s(c["due_at"])) for c in sent["open_cases"]
    ]
    assert pop["profile"]["name"] == sent["profile"]["name"]
    assert pop["profile"]["mobile"] == mask_phone(sent["profile"]["mobile"])
    assert pop["caller_number"] == mask_phone(offer.caller)
    code, out, _ = cli(capsys, "calls", "show", offer.call_id, "--db", str(demo.db))  # the tables
    assert code == 0
    assert sent["profile"]["name"] in out
    assert "Last contacts" in out


def test_a_case_whose_call_is_still_live_cannot_be_changed_from_the_command_line(
    demo: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "live.db"
    with sqlite3.connect(demo.db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
        [(case_id, call_id, run_id)] = dst.execute(
            "SELECT k.case_id, k.call_id, c.run_id FROM cases k JOIN calls c USING (call_id) "
            "WHERE k.status = 'call-back' ORDER BY k.case_id LIMIT 1"
        ).fetchall()
        # as if the server were still routing it: the call waits, the run goes on
        dst.execute("UPDATE calls SET outcome = NULL, state = 'queued' WHERE call_id = ?", (call_id,))
        dst.execute("UPDATE runs SET ended_at = NULL WHERE run_id = ?", (run_id,))
    code, _, err = cli(capsys, "cases", "close", case_id, "--note", "done", "--db", str(db))
    assert code == 1
    assert "still in progress" in err
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT status FROM cases WHERE case_id = ?", (case_id,)).fetchone() == ("call-back",)


def test_a_change_dated_before_the_cases_last_step_is_refused(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    [(case_id, created)] = demo.rows("SELECT case_id, created_at FROM cases WHERE status = 'open' LIMIT 1")
    code, _, err = cli(
        capsys, "cases", "assign", case_id, "--owner", "x", "--at", _iso(created - 3600), "--db", str(demo.db)
    )
    assert code == 1
    assert "before the case's last step" in err
    code, _, err = cli(capsys, "cases", "list", "--db", str(demo.db), "--at", "25:00")
    assert code == 2
    assert "--at: '25:00'" in err


def test_numbers_and_ids_written_in_notes_are_masked_in_exports_and_views(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    [(case_id,)] = demo.rows(
        "SELECT case_id FROM cases WHERE status = 'open' AND tier != 'first-line' AND person_id IS NOT NULL "
        "ORDER BY case_id DESC LIMIT 1"
    )
    db = str(demo.db)
    note = "回電 0912-345-678，身分證 A123456789"
    assert cli(capsys, "cases", "close", case_id, "--note", note, "--db", db)[0] == 0
    _, out, _ = cli(capsys, "export", "cases", "--db", db)
    row = next(r for r in csv.DictReader(io.StringIO(out)) if r["case_id"] == case_id)
    assert row["notes"] == "回電 ****-***-678，身分證 A******789"
    _, out, _ = cli(capsys, "cases", "show", case_id, "--db", db, "--json")
    assert "0912-345-678" not in out
    assert "A123456789" not in out
    _, out, _ = cli(capsys, "cases", "show", case_id, "--db", db, "--json", "--unmasked", "--by", "S01")
    shown = json.loads(out)
    assert shown["notes"] == note
    national_ids = dict(demo.rows("SELECT person_id, national_id FROM people"))
    profile = shown["screen_pop"]["profile"]
    assert profile["national_id"] == national_ids[profile["person_id"]]
