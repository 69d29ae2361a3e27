"""``cti demo --scenario``: a scenario's first day live; and without one, the typical day as it always ran."""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cti.cli import main
from cti.cli.demo import closed_note, demo_day, expected_calls, no_calls_warning
from cti.cli.scenario import example_text
from cti.clock import VirtualClock, run
from cti.config import load_default
from cti.live import messages as m
from cti.live.bots import AgentBots, BotBehaviour, OnDuty, draw, rota_from_scenario
from cti.live.bus import LocalBus
from cti.live.traffic import TrafficGenerator, TrafficProfile
from simulator.behaviour import AgentBehaviour, CallerBehaviour
from simulator.profile import DEFAULT_HOURLY
from simulator.scenario import Distribution, Scenario, scenario_from_mapping

CENTRE = load_default().centre
TZ = ZoneInfo("Asia/Taipei")
MIDNIGHT = 1_799_942_400.0  # 2027-01-15 00:00 Asia/Taipei
START = MIDNIGHT + 10 * 3600


def example() -> Scenario:
    return scenario_from_mapping(tomllib.loads(example_text()), CENTRE)


def _args(**given: object) -> argparse.Namespace:
    options = {"scenario": None, "start": None, "minutes": None, "seed": None, "busy_hour_calls": None}
    return argparse.Namespace(**(options | given))


# ----------------------------------------------------------------------
# Without a scenario: the demo as it always ran
# ----------------------------------------------------------------------


def test_without_a_scenario_the_demo_runs_the_typical_day_from_10_for_an_hour_with_seed_1() -> None:
    day = demo_day(_args(), CENTRE)
    assert (day.minutes, day.seed, day.rota, day.scenario) == (60.0, 1, None, None)
    assert day.profile == TrafficProfile()
    assert (day.behaviour, day.callers) == (BotBehaviour(), CallerBehaviour())
    assert datetime.fromtimestamp(day.start, TZ).strftime("%H:%M:%S") == "10:00:00"


def test_a_scenario_file_s_defaults_are_the_demo_s_people() -> None:
    """An empty [callers], [agents], [talk_time] and [patience] behave as the demo without a scenario."""
    bare = scenario_from_mapping({"arrivals": {"daily_calls": 100}}, CENTRE)
    built = BotBehaviour.from_scenario(bare)
    assert built.agents == BotBehaviour().agents == AgentBehaviour()
    assert bare.callers == CallerBehaviour()
    assert TrafficProfile.from_scenario(bare).patience == TrafficProfile().patience
    for system in ("webhr", "pics"):
        same = [draw(random.Random(7), b.talk_for(system)) for b in (built, BotBehaviour())]
        assert same[0] == same[1]


def test_busy_hour_calls_scales_the_typical_day() -> None:
    assert demo_day(_args(busy_hour_calls=140.0), CENTRE).profile.busy_hour_calls == 140.0


# ----------------------------------------------------------------------
# A scenario as live traffic
# ----------------------------------------------------------------------


def test_while_open_each_system_rings_at_the_scenario_s_interval_rates() -> None:
    sc = example()
    day = TrafficProfile.from_scenario(sc).day
    assert day is not None
    k = sc.interval_labels().index("10:00")
    assert day.per_hour("webhr", 10 * 3600 + 900) == pytest.approx(sc.calls["webhr"][k] * 2)  # 30-minute intervals


def test_the_scenario_s_opening_hours_bring_its_daily_volume() -> None:
    sc = example()
    profile = TrafficProfile.from_scenario(sc)
    open_at = MIDNIGHT + sc.open_s
    assert expected_calls(profile, open_at, sc.close_s - sc.open_s, TZ) == pytest.approx(sc.daily_calls)


def test_around_its_opening_hours_a_scenario_gets_the_typical_day_s_night_scaled_to_its_busy_hour() -> None:
    sc = example()
    profile = TrafficProfile.from_scenario(sc)
    busiest = max(sum(calls[k] for calls in sc.calls.values()) * 2 for k in range(sc.intervals_per_day))
    assert profile.busy_hour_calls == pytest.approx(busiest)
    assert profile.calls_per_hour(3 * 3600) == pytest.approx(busiest * DEFAULT_HOURLY[3])
    assert profile.calls_per_hour(20 * 3600 + 60) == pytest.approx(busiest * DEFAULT_HOURLY[20])
    night = TrafficProfile.from_scenario(sc).day
    assert night is not None
    assert night.per_hour("webhr", 3 * 3600) / night.per_hour("pics", 3 * 3600) == pytest.approx(120 / 20)


def test_busy_hour_calls_scales_a_scenario_s_whole_day() -> None:
    profile = TrafficProfile.from_scenario(example())
    scaled = profile.with_busy_hour(2 * profile.busy_hour_calls)
    for seconds in (3 * 3600, 10 * 3600, 12 * 3600 + 1800, 22 * 3600):
        assert scaled.calls_per_hour(seconds) == pytest.approx(2 * profile.calls_per_hour(seconds))


def test_the_generator_dials_a_scenario_s_hour_at_its_rate() -> None:
    profile = TrafficProfile.from_scenario(example())
    clock = VirtualClock(START)

    async def dials() -> int:
        bus = LocalBus()
        trunk = bus.subscribe(m.TRUNK_IN)
        gen = TrafficGenerator(
            bus,
            clock,
            systems=[s.id for s in CENTRE.systems],
            agencies=["moi"],
            timezone="Asia/Taipei",
            seed=5,
            call_prefix="t-",
            profile=profile,
        )
        gen.start(START + 3600)
        await clock.sleep(3600)
        return sum(isinstance(d.message, m.Dial) for d in trunk.drain())

    expected = expected_calls(profile, START, 3600, TZ)
    assert 60 < expected < 120
    assert abs(run(dials(), clock) - expected) < 4 * expected**0.5  # Poisson: within four standard deviations


def test_a_scenario_without_shifts_puts_every_voice_agent_on_from_open_to_close() -> None:
    bare = scenario_from_mapping({"arrivals": {"daily_calls": 100}}, CENTRE)
    rota = rota_from_scenario(bare, ["N01", "T01"], MIDNIGHT)
    assert rota == {a: OnDuty(MIDNIGHT + 8.5 * 3600, MIDNIGHT + 18.5 * 3600) for a in ("N01", "T01")}


def test_a_scenario_s_shifts_become_the_bots_rota() -> None:
    rota = rota_from_scenario(example(), ["N01", "T01", "T06"], MIDNIGHT)
    lunch = (MIDNIGHT + 12 * 3600, MIDNIGHT + 13 * 3600)
    assert rota["N01"] == OnDuty(MIDNIGHT + 8.5 * 3600, MIDNIGHT + 17.5 * 3600, (lunch,))
    assert rota["T01"].start == MIDNIGHT + 9.5 * 3600
    assert set(rota) == {"N01", "T01", "T06"}


# ----------------------------------------------------------------------
# Bots on a rota, and talk times by system
# ----------------------------------------------------------------------


def _state(status: str, now: float, reason: str | None = None, call_id: str | None = None) -> m.AgentState:
    return m.AgentState(
        agent_id="N1", site="nantou", status=status, since=now, rule="test", reason=reason, call_id=call_id
    )


def test_a_bot_on_a_rota_logs_in_takes_its_break_and_logs_out_at_the_times_of_its_shift() -> None:
    clock = VirtualClock(START)
    duty = OnDuty(START + 100, START + 1000, ((START + 300, START + 400),))
    quiet = BotBehaviour(AgentBehaviour(miss_probability=0, break_probability=0))

    async def main() -> list[tuple[float, str]]:
        bus = LocalBus()
        cmds = bus.subscribe(f"{m.PREFIX}/agents/+/cmd")
        bots = AgentBots(bus, clock, ["N1", "N2"], seed=1, behaviour=quiet, rota={"N1": duty})
        task = asyncio.create_task(bots.run())
        await asyncio.sleep(0)
        bots.login()
        seen: list[tuple[float, str]] = []
        while clock.now() < START + 1100:
            for d in cmds.drain():
                seen.append((clock.now() - START, type(d.message).__name__))
                now = clock.now()
                # the server's answer to each command
                if isinstance(d.message, (m.Login, m.Ready)):
                    bus.publish(m.agent_state("N1"), _state("ready", now))
                elif isinstance(d.message, m.NotReady):
                    bus.publish(m.agent_state("N1"), _state("not-ready", now, reason=d.message.reason))
                elif isinstance(d.message, m.Logout):
                    bus.publish(m.agent_state("N1"), _state("logged-out", now))
            await clock.sleep(1.0)
        task.cancel()
        return seen

    seen = run(main(), clock)
    assert [name for _, name in seen] == ["Login", "NotReady", "Ready", "Logout"]  # N2 has no shift: never logs in
    assert [round(at) for at, _ in seen] == [100, 300, 400, 1000]


def test_a_bot_talks_for_the_call_s_system_s_talk_time() -> None:
    clock = VirtualClock(START)
    fixed = BotBehaviour(
        AgentBehaviour(answer_delay_s=0, miss_probability=0, wrap_up_form=False),
        talk=Distribution("empirical", values=(500.0,)),
        talk_by_system={"webhr": Distribution("empirical", values=(42.0,))},
    )

    async def main() -> dict[str, float]:
        bus = LocalBus()
        cmds = bus.subscribe(f"{m.PREFIX}/agents/+/cmd")
        bots = AgentBots(bus, clock, ["N1"], seed=1, behaviour=fixed)
        task = asyncio.create_task(bots.run())
        await asyncio.sleep(0)
        talked: dict[str, float] = {}
        for call_id, system in (("c1", "webhr"), ("c2", "ecpa")):
            offer = m.Offer(
                call_id=call_id,
                agent_id="N1",
                caller="0912",
                system=system,
                agency="a",
                queue=system,
                ring_until=clock.now() + 15,
                overflow=False,
                backup=False,
                epoch=1,
            )
            bus.publish(m.agent_offer("N1"), offer)
            await clock.sleep(1.0)
            started = clock.now()
            bus.publish(m.agent_state("N1"), _state("talking", started, call_id=call_id))
            while not talked.get(call_id):
                for d in cmds.drain():
                    if isinstance(d.message, m.HangUp):
                        talked[call_id] = clock.now() - started
                await clock.sleep(1.0)
            bus.publish(m.agent_state("N1"), _state("ready", clock.now()))
        task.cancel()
        return talked

    talked = run(main(), clock)
    assert talked["c1"] == pytest.approx(42.0, abs=1.0)
    assert talked["c2"] == pytest.approx(500.0, abs=1.0)  # a system the scenario does not name


# ----------------------------------------------------------------------
# The command line
# ----------------------------------------------------------------------


def test_demo_scenario_runs_the_scenario_s_day_with_its_shifts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = tmp_path / "day.toml"
    scenario.write_text(example_text(), encoding="utf-8")
    db = tmp_path / "d.db"
    argv = [
        "demo",
        "--scenario",
        str(scenario),
        "--start",
        "09:00",
        "--minutes",
        "5",
        "--speed",
        "max",
        "--db",
        str(db),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "scenario 'A busy weekday'" in out
    with sqlite3.connect(db) as con:
        answered_by = {row[0] for row in con.execute("SELECT agent FROM calls WHERE agent IS NOT NULL")}
        logged_in = {row[0] for row in con.execute("SELECT agent_id FROM agent_sessions")}
    assert answered_by
    assert logged_in == {"N01", "N02", "N03", "N04", "N05"}  # Taipei's shift starts at 09:30


def test_demo_scenario_names_a_bad_field_with_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scenario = tmp_path / "day.toml"
    scenario.write_text("[arrivals]\ndaily_calls = 100\n\n[agents]\nmiss_probability = 2\n", encoding="utf-8")
    assert main(["demo", "--scenario", str(scenario), "--minutes", "5", "--speed", "max", "-q"]) == 1
    err = capsys.readouterr().err
    assert f"{scenario}: line 5: agents.miss_probability: out of range (found 2)" in err


def test_in_the_middle_of_the_night_callers_still_ring_and_nothing_warns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "d.db"
    argv = ["demo", "--start", "03:00", "--minutes", "60", "--seed", "2", "--speed", "max", "--db", str(db), "-q"]
    assert main(argv) == 0
    assert "no calls will arrive" not in capsys.readouterr().err
    with sqlite3.connect(db) as con:
        (calls,) = con.execute("SELECT count(*) FROM calls").fetchone()
    assert calls > 0


def test_a_profile_with_nobody_ringing_in_the_run_s_hours_says_so_and_when_to_start() -> None:
    daytime = TrafficProfile(hourly=(0.0,) * 8 + (1.0,) * 12 + (0.0,) * 4)
    warning = no_calls_warning(daytime, MIDNIGHT + 3 * 3600, 30, TZ)
    assert warning is not None
    assert "no calls will arrive from 03:00 to 03:30" in warning
    assert "--start 10:00" in warning
    assert no_calls_warning(daytime, MIDNIGHT + 7.5 * 3600, 31, TZ) is None  # reaches 08:00
    assert no_calls_warning(TrafficProfile(), MIDNIGHT + 3 * 3600, 30, TZ) is None


def test_a_run_while_the_centre_is_closed_is_noted_with_its_hours() -> None:
    plan = load_default().ivr
    note = closed_note(plan, MIDNIGHT + 3 * 3600, 60, TZ)
    assert note is not None
    assert "the centre is closed from 03:00 to 04:00 (08:30-18:30 every day" in note
    assert "call-back" in note
    assert closed_note(plan, MIDNIGHT + 8 * 3600, 60, TZ) is None  # it opens at 08:30, within the run
    assert closed_note(None, MIDNIGHT + 3 * 3600, 60, TZ) is None  # no IVR: no hours


def test_demo_scenario_refuses_callers_keying_slower_than_the_menus_wait(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = tmp_path / "slow.toml"
    scenario.write_text("[arrivals]\ndaily_calls = 100\n\n[callers]\ninter_digit_s = 5\n", encoding="utf-8")
    assert main(["demo", "--scenario", str(scenario), "--minutes", "5", "--speed", "max", "-q"]) == 1
    err = capsys.readouterr().err
    assert f"{scenario}: line 5: callers.inter_digit_s: not shorter than the centre's ivr.inter_digit_timeout_s" in err


def test_a_scenario_may_weigh_any_language_id_the_centre_may_list() -> None:
    from simulator.scenario import scenario_from_mapping

    centre = load_default().centre
    doc = {"arrivals": {"daily_calls": 100}, "callers": {"languages": {"zh": 1.0, "nan_TW": 0.5}}}
    scenario = scenario_from_mapping(doc, centre)
    assert scenario.callers.languages["nan_TW"] == 0.5
