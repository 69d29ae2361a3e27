"""Per-agent figures of a run, from the call journal and the agents' states: checked by hand, and in the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from cti.config import load_default
from cti.live import messages as m
from cti.store.figures import run_summary
from routing.testing import agency, agent, centre
from tests.cti.live import START, Live, live

CENTRE = load_default().centre


def _centre() -> Any:
    return centre(
        [agent("N1", "nantou", {"webhr": 3}), agent("N2", "nantou", {"webhr": 3})],
        agencies=[agency("a1")],
        wrap_up_s=30,
        ring_timeout_s=15,
    )


@pytest.fixture(scope="module")
def by_hand(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """A small run whose every figure is worked out below, agent by agent.

    N1 (logged in 0..200): c1 rings at 1, answered at 4, hung up at 104 (talk 100), wrap-up to 134;
    c3 rings at 140 and rings out at 155 (a missed offer); reject delay; no not-ready time.
    N2 (logged in 2..200): c2 rings at 5, N2 goes not-ready at 8 while it rings (declined: missed), ready
    at 58 (50 s not ready), c2 rings again and is answered at 60, hung up at 120 (talk 60), wrap-up to 150;
    c3 rings N2 at 155 and the caller hangs up at 160 (withdrawn: an offer, not missed).
    """
    result: dict[str, Any] = {}

    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1")
        await c.at(2)
        c.agent(m.Login(agent_id="N2"))
        await c.at(4)
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        await c.at(5)
        c.dial("c2")
        await c.at(8)
        c.agent(m.NotReady(agent_id="N2"))
        await c.at(58)
        c.agent(m.Ready(agent_id="N2"))
        await c.at(60)
        c.agent(m.Answer(agent_id="N2", call_id="c2"))
        await c.at(104)
        c.agent(m.HangUp(agent_id="N1", call_id="c1"))
        await c.at(120)
        c.agent(m.HangUp(agent_id="N2", call_id="c2"))
        await c.at(140)
        c.dial("c3")
        await c.at(160)
        c.caller_hangs_up("c3")
        await c.at(200)
        summary = await run_summary(c.store, c.centre, c.run_id, START + 200)
        result.update(summary.as_dict())

    live(_centre(), tmp_path_factory.mktemp("agents") / "c.db", script)
    return {a["agent_id"]: a for a in result["by_agent"]} | {"total": result}


def test_offers_count_every_ring_including_a_second_ring_of_the_same_call(by_hand: dict[str, Any]) -> None:
    assert (by_hand["N1"]["offers"], by_hand["N2"]["offers"]) == (2, 3)


def test_the_per_agent_answered_calls_add_up_to_the_run_s_answered_calls(by_hand: dict[str, Any]) -> None:
    assert (by_hand["N1"]["answered"], by_hand["N2"]["answered"]) == (1, 1)
    assert by_hand["total"]["answered"] == 2


def test_a_ring_out_and_a_declined_offer_are_missed_but_a_caller_hanging_up_is_not(by_hand: dict[str, Any]) -> None:
    assert (by_hand["N1"]["missed_offers"], by_hand["N2"]["missed_offers"]) == (1, 1)


def test_talk_and_wrap_up_time_are_the_agent_s_time_in_those_states(by_hand: dict[str, Any]) -> None:
    assert (by_hand["N1"]["talk_s"], by_hand["N1"]["wrap_up_s"]) == pytest.approx((100.0, 30.0))
    assert (by_hand["N2"]["talk_s"], by_hand["N2"]["wrap_up_s"]) == pytest.approx((60.0, 30.0))


def test_an_agent_who_went_not_ready_has_that_time_as_not_ready_time(by_hand: dict[str, Any]) -> None:
    assert (by_hand["N1"]["not_ready_s"], by_hand["N2"]["not_ready_s"]) == pytest.approx((0.0, 50.0))
    assert (by_hand["N1"]["logged_in_s"], by_hand["N2"]["logged_in_s"]) == pytest.approx((200.0, 198.0))


def test_occupancy_is_talk_and_wrap_up_over_logged_in_time_that_was_not_not_ready(by_hand: dict[str, Any]) -> None:
    assert by_hand["N1"]["occupancy"] == pytest.approx(130 / 200)
    assert by_hand["N2"]["occupancy"] == pytest.approx(90 / 148)
    assert by_hand["total"]["occupancy"] == pytest.approx((130 + 90) / (200 + 148))


def test_each_agent_carries_its_site_and_whether_it_is_the_backup_seat(by_hand: dict[str, Any]) -> None:
    assert [(a["site_id"], a["backup_seat"], a["backup_seat_calls"]) for a in (by_hand["N1"], by_hand["N2"])] == [
        ("nantou", False, 0),
        ("nantou", False, 0),
    ]


# ----------------------------------------------------------------------
# cti demo: the JSON and the tables
# ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """A heavy hour (``--busy-hour-calls 140``), seeded: its JSON and its tables."""
    folder = tmp_path_factory.mktemp("busy")
    run = ["demo", "--speed", "max", "--minutes", "60", "--seed", "3", "--busy-hour-calls", "140"]
    done = subprocess.run(
        [sys.executable, "-m", "cti", *run, "--db", str(folder / "c.db"), "--json", str(folder / "f.json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads((folder / "f.json").read_text(encoding="utf-8")), done.stdout


def test_the_demo_json_has_one_entry_per_agent_with_named_figures(busy: tuple[dict[str, Any], str]) -> None:
    figures, _ = busy
    voice = sorted(a.id for a in CENTRE.agents if a.voice)
    assert [a["agent_id"] for a in figures["by_agent"]] == voice
    assert set(figures["by_agent"][0]) == {
        "agent_id",
        "site_id",
        "backup_seat",
        "offers",
        "answered",
        "missed_offers",
        "backup_seat_calls",
        "logged_in_s",
        "not_ready_s",
        "talk_s",
        "wrap_up_s",
        "occupancy",
    }


def test_in_the_demo_the_per_agent_answered_calls_add_up_to_the_total(busy: tuple[dict[str, Any], str]) -> None:
    figures, _ = busy
    assert sum(a["answered"] for a in figures["by_agent"]) == figures["answered"]
    assert sum(a["offers"] for a in figures["by_agent"]) >= figures["answered"]


def test_a_site_s_occupancy_is_its_agents_pooled(busy: tuple[dict[str, Any], str]) -> None:
    figures, _ = busy
    for site, f in figures["by_site"].items():
        team = [a for a in figures["by_agent"] if a["site_id"] == site]
        busy_s = sum(a["talk_s"] + a["wrap_up_s"] for a in team)
        available = sum(a["logged_in_s"] - a["not_ready_s"] for a in team)
        assert f["occupancy"] == pytest.approx(busy_s / available)


def test_on_a_heavy_day_the_backup_seat_takes_calls_and_the_json_says_so(busy: tuple[dict[str, Any], str]) -> None:
    figures, _ = busy
    [seat] = [a for a in figures["by_agent"] if a["backup_seat"]]
    assert seat["agent_id"] == next(a.id for a in CENTRE.agents if a.backup)
    assert seat["backup_seat_calls"] == seat["answered"] > 0
    assert all(a["backup_seat_calls"] == 0 for a in figures["by_agent"] if not a["backup_seat"])


def test_the_demo_tables_show_each_agent_and_mark_the_backup_seat_with_its_calls(
    busy: tuple[dict[str, Any], str],
) -> None:
    figures, tables = busy
    assert "By agent" in tables
    [seat] = [a for a in figures["by_agent"] if a["backup_seat"]]
    row = next(line for line in tables.splitlines() if f"{seat['agent_id']} backup" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[2:6] == [str(seat["offers"]), str(seat["answered"]), str(seat["missed_offers"]), str(seat["answered"])]
    assert f"it answered {seat['answered']} call(s)" in tables
