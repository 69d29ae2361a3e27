"""Whole-centre runs with the default centre's IVR: callers answer the menus; after hours they leave numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cti.cli import main
from cti.clock import ScaledClock, run
from cti.config import load_default
from cti.live.demo import DemoSettings, _example_call, default_start, run_demo
from cti.live.traffic import MenuMap, TrafficProfile
from cti.store import CallRecord, Store
from cti.store.directory import Directory
from routing.centre import GENERAL_QUEUE
from simulator.behaviour import CallerBehaviour

LOADED = load_default()
TZ = ZoneInfo(LOADED.centre.info.timezone)
DEMO = [sys.executable, "-m", "cti", "demo", "-q", "--speed", "max"]
ROUTED = {"routed", "general-chosen", "general-after-failures"}


async def _rows(db: Path) -> tuple[list[CallRecord], list[tuple[object, ...]]]:
    async with await Store.open(db, ScaledClock(0.0)) as store:
        return await store.calls(), await store.events()


def rows(db: Path) -> tuple[list[CallRecord], list[tuple[object, ...]]]:
    return run(_rows(db), ScaledClock(0.0))


def test_cti_demo_runs_its_callers_through_the_menus_and_reports_the_ivr_figures(tmp_path: Path) -> None:
    db, out = tmp_path / "c.db", tmp_path / "figures.json"
    done = subprocess.run(
        [*DEMO, "--minutes", "10", "--db", str(db), "--json", str(out), "--busy-hour-calls", "300"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())
    calls, events = rows(db)
    started = {e[2] for e in events if e[5] == "IVRSTART"}
    assert started == {c.call_id for c in calls}  # every call went through the menus
    assert figures["ivr"]["reached"] == len(calls) > 0
    assert all(c.ivr_outcome is not None for c in calls)  # drained: every call left the menus
    queued = [c for c in calls if c.ivr_outcome in ROUTED]
    assert figures["offered"] == len(queued) == sum(c.offered_at is not None for c in calls)
    assert figures["ivr"]["routed"] == len(queued)
    for c in queued:
        assert c.offered_at is not None
        assert c.ivr_s is not None
        assert c.offered_at == c.arrived_at + c.ivr_s  # the queue's wait starts as the call leaves the menus
        assert (c.system is None) == (c.queue == GENERAL_QUEUE and c.ivr_outcome != "routed")


def test_a_night_run_gives_after_hours_calls_and_call_back_cases_due_at_the_next_opening(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    night = tuple(1.0 if h < 8 else 0.0 for h in range(24))  # callers ring from midnight to 08:00
    start = default_start(LOADED.centre.info.timezone, hour=3)
    result = run_demo(
        DemoSettings(
            LOADED.centre,
            db,
            minutes=60,
            seed=4,
            start=start,
            profile=TrafficProfile(busy_hour_calls=60, hourly=night),
            ivr=LOADED.ivr,
        )
    )
    calls, events = rows(db)
    assert result.summary.total.offered == 0  # nobody reached a queue
    assert result.example_call is None  # so no call has a screen pop to show
    assert result.ivr.after_hours > 0
    assert 0 < result.ivr.after_hours_callback <= result.ivr.after_hours
    assert {c.outcome for c in calls} <= {"after-hours", "ivr-abandoned"}
    left = [c for c in calls if c.ivr_outcome == "after-hours-callback"]
    assert len(left) == result.ivr.after_hours_callback == result.cases.get("call-back", 0)
    opening = datetime.fromtimestamp(start, TZ).replace(hour=8, minute=30).timestamp()
    directory = Directory(db)
    try:
        for c in left:
            assert c.case_id is not None
            case = directory.case_of_call(c.call_id)
            assert case is not None
            assert (case.status, case.due_at) == ("call-back", opening)
            assert case.notes is not None
            assert "call back on 0" in case.notes
    finally:
        directory.close()
    afterhours = {e[2]: e for e in events if e[5] == "AFTERHOURS"}
    assert set(afterhours) == {c.call_id for c in calls if c.outcome == "after-hours"}
    assert {float(str(e[7])) for e in afterhours.values()} == {opening}


def test_a_night_demo_suggests_no_screen_pop_when_no_call_entered_a_queue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.db"
    assert main(["demo", "--start", "03:00", "--minutes", "30", "--seed", "2", "--speed", "max", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    calls, _ = rows(db)
    assert any(c.case_id is not None for c in calls)  # a caller left a number: a case, but no queue and no pop
    assert all(c.offered_at is None for c in calls)
    assert "a screen pop" not in out
    assert "open cases:" in out


def test_the_screen_pop_to_show_is_of_a_call_that_entered_a_queue(tmp_path: Path) -> None:
    def call(call_id: str, person: str | None, **fields: object) -> CallRecord:
        return CallRecord(call_id, 1, "voice", "0912345678", "1999", None, None, arrived_at=1.0, person_id=person,
                          **fields)  # type: ignore[arg-type]  # fmt: skip

    async def main_() -> str | None:
        async with await Store.open(tmp_path / "c.db", ScaledClock(0.0)) as store:
            run_id = await store.start_run(0.0, "test", "Asia/Taipei", 1, "max")
            store.call(call("queued", None, offered_at=2.0, queue=GENERAL_QUEUE, case_id="C1"))
            store.call(call("night-1", "P1", outcome="after-hours", case_id="C2"))  # a number left: a case, no pop
            store.call(call("night-2", "P1", outcome="after-hours", case_id="C3"))
            return await _example_call(store, run_id)

    assert run(main_(), ScaledClock(0.0)) == "queued"


def test_callers_know_the_key_towards_every_system_through_the_sub_menus() -> None:
    plan = LOADED.ivr
    assert plan is not None
    menus = MenuMap(plan)
    for system in LOADED.centre.systems:
        menu, keys = plan.main, ""
        while menu in plan.menus:
            key = menus.key_for(system.id, menu)
            keys += key
            menu = plan.menus[menu].options[key]
        assert menu == system.id, f"{keys} leads to {menu}, not {system.id}"
    assert menus.key_for("nosuch", plan.main) == "0"  # a system no menu offers: the general queue


def test_callers_who_always_press_the_right_key_all_reach_a_system_s_queue(tmp_path: Path) -> None:
    sure = CallerBehaviour(menu_right=1.0, menu_invalid=0.0, ivr_hangup=0.0, agency_code_known=1.0, think_s=0.5)
    result = run_demo(
        DemoSettings(
            LOADED.centre,
            tmp_path / "c.db",
            minutes=20,
            seed=6,
            start=default_start(LOADED.centre.info.timezone),
            profile=TrafficProfile(busy_hour_calls=200),
            ivr=LOADED.ivr,
            callers=sure,
        )
    )
    figures = result.ivr
    assert figures.reached == figures.routed == result.calls_dialled > 0
    assert (figures.invalid, figures.no_input, figures.general_chosen, figures.general_after_failures) == (0, 0, 0, 0)
    assert figures.agencies.get("unknown", 0) == 0
    assert figures.agencies.get("code", 0) > 0  # callers the directory does not know keyed their agency's code
