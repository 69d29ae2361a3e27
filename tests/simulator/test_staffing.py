"""The staffing search meets the targets with the fewest agents it can show are needed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cti.cli.scenario import load_scenario_arg
from cti.config import load_default
from routing.centre import Centre
from simulator.erlang import agents_for_service_level
from simulator.scenario import Scenario
from simulator.staffing import StaffSearch, erlang_start, mean_handle_s


@pytest.fixture(scope="module")
def centre() -> Centre:
    return load_default().centre


@pytest.fixture(scope="module")
def morning(centre: Centre) -> Scenario:
    """09:00-11:00 in four 30-minute intervals, volume rising then falling."""
    return load_scenario_arg(
        None,
        centre,
        [
            "scenario.open='09:00'",
            "scenario.close='11:00'",
            "scenario.replications=4",
            "scenario.target_answer_rate=0.9",
            "arrivals.profile=[1.0, 3.0, 3.0, 1.0]",
        ],
    )


def test_the_start_is_erlang_a_on_the_interval_load(centre: Centre, morning: Scenario) -> None:
    start, by_system = erlang_start(morning, centre)
    k = 1
    calls = sum(morning.calls[s][k] for s in morning.calls)
    load = sum(morning.calls[s][k] * mean_handle_s(morning, centre, s) for s in morning.calls) / morning.interval_s
    aht = load * morning.interval_s / calls
    assert morning.target_service_level is not None
    expected = agents_for_service_level(
        load, aht, morning.threshold_s, morning.target_service_level, morning.patience.expected
    )
    assert start[k] == expected
    assert start[1] > start[0]
    assert set(by_system) == {s.id for s in centre.systems}


@pytest.fixture(scope="module")
def found(centre: Centre, morning: Scenario):  # type: ignore[no-untyped-def]
    return StaffSearch(centre, morning, workers=2).run()


def test_every_interval_of_the_plan_meets_the_targets(found, morning: Scenario) -> None:  # type: ignore[no-untyped-def]
    for k in range(morning.intervals_per_day):
        g = found.result.group((k, "all", ""))
        assert g["service_level"].mean >= morning.target_service_level
        assert g["answer_rate"].mean >= morning.target_answer_rate


def test_the_plan_follows_the_volume(found) -> None:  # type: ignore[no-untyped-def]
    totals = found.totals()
    assert totals[1] > totals[0]
    assert totals[2] > totals[3]


def test_one_agent_fewer_in_a_busy_interval_misses_the_target(centre: Centre, morning: Scenario, found) -> None:  # type: ignore[no-untyped-def]
    search = StaffSearch(centre, morning, workers=2)
    k = 1
    plan = {s: list(v) for s, v in found.plan.items()}
    site = max(plan, key=lambda s: plan[s][k])
    plan[site][k] -= 1
    fewer = search.evaluate(plan)
    assert not search.meets(fewer, k)


def test_the_search_is_reproducible(centre: Centre, morning: Scenario, found) -> None:  # type: ignore[no-untyped-def]
    again = StaffSearch(centre, morning, workers=1).run()
    assert again.plan == found.plan


def test_a_scenario_without_targets_is_refused(centre: Centre, morning: Scenario) -> None:
    with pytest.raises(ValueError, match="no target"):
        StaffSearch(centre, replace(morning, target_service_level=None, target_answer_rate=None))
