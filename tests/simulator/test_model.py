"""The SimPy model: the router decides, shifts and breaks hold, callers behave as the scenario says,
and the figures follow the live centre's definitions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cti.cli.scenario import load_scenario_arg
from cti.config import load_default
from routing.centre import Centre
from routing.figures import CallFacts, summarize
from simulator.arrivals import draw_arrivals
from simulator.model import ABANDONED, ANSWERED, NO_AGENT, Duty, RunRecord, run_replication
from simulator.results import TOTAL, paired_difference, replication_figures
from simulator.runner import Job, simulate
from simulator.scenario import Scenario

H = 3600.0


@pytest.fixture(scope="module")
def centre() -> Centre:
    return load_default().centre


@pytest.fixture(scope="module")
def example(centre: Centre) -> Scenario:
    return load_scenario_arg(None, centre)


def systems(centre: Centre) -> list[str]:
    return [s.id for s in centre.systems]


def one_run(centre: Centre, sc: Scenario, replication: int = 0, duty: Duty | None = None) -> RunRecord:
    arrivals = draw_arrivals(sc, systems(centre), [a.id for a in centre.agencies], replication)
    return run_replication(centre, sc, arrivals, duty or Duty.from_scenario(sc, centre), replication)


@pytest.fixture(scope="module")
def example_run(centre: Centre, example: Scenario) -> RunRecord:
    return one_run(centre, example)


def answered_at_site(centre: Centre, rec: RunRecord, site: str) -> np.ndarray:
    index = [s.id for s in centre.sites].index(site)
    return rec.answered_at[(rec.outcome == ANSWERED) & (rec.site == index)]


def test_figures_follow_the_live_centres_definitions(centre: Centre, example: Scenario, example_run: RunRecord) -> None:
    rec = example_run
    names = {ANSWERED: "answered", ABANDONED: "abandoned", NO_AGENT: "no-agent", 0: None}
    wrap = centre.routing.wrap_up_s
    sites = [s.id for s in centre.sites]
    facts = []
    for i in range(len(rec.arrived)):
        answered = rec.outcome[i] == ANSWERED
        talk = rec.handle[i] - wrap if answered else None
        facts.append(
            CallFacts(
                system=systems(centre)[rec.system[i]],
                outcome=names[int(rec.outcome[i])],
                offered_at=float(rec.arrived[i]),
                answered_at=float(rec.answered_at[i]) if answered else None,
                ended_at=float(rec.answered_at[i] + talk) if talk is not None else None,
                wrap_up_end_at=float(rec.answered_at[i] + talk + wrap) if talk is not None else None,
                site=sites[rec.site[i]] if answered else None,
            )
        )
    live = summarize(facts, [], example.threshold_s, systems=systems(centre), sites=sites)
    ours = replication_figures(rec, example, systems(centre), sites)
    for key, figs in [
        ((TOTAL, "all", ""), live.total),
        *(((TOTAL, "system", s), f) for s, f in live.by_system.items()),
    ]:
        mine = ours[key]
        assert mine["offered"] == figs.offered
        assert mine["answered"] == figs.answered
        assert mine["abandoned"] == figs.abandoned
        for metric in ("answer_rate", "service_level", "asa_s", "aht_s"):
            assert mine[metric] == pytest.approx(getattr(figs, metric)), (key, metric)
    for site, figs in live.by_site.items():
        assert ours[(TOTAL, "site", site)]["answered"] == figs.answered
        assert ours[(TOTAL, "site", site)]["asa_s"] == pytest.approx(figs.asa_s)


def test_calls_go_only_to_agents_skilled_for_their_system(centre: Centre, example: Scenario) -> None:
    # lifelong is served by Taipei alone; without shifts Taipei is there all day, so no fallback
    sc = replace(example, shifts=())
    rec = one_run(centre, sc)
    lifelong = systems(centre).index("lifelong")
    taipei = [s.id for s in centre.sites].index("taipei")
    mine = (rec.system == lifelong) & (rec.outcome == ANSWERED)
    assert mine.sum() > 5
    assert set(rec.site[mine].tolist()) == {taipei}


def test_nobody_answers_off_shift_or_on_a_break(centre: Centre, example_run: RunRecord) -> None:
    # the example: Taipei works 09:30-18:30 with lunch 12:30-13:30 for all; Nantou ends at 17:30
    taipei = answered_at_site(centre, example_run, "taipei")
    nantou = answered_at_site(centre, example_run, "nantou")
    assert len(taipei) > 50
    assert len(nantou) > 50
    assert taipei.min() >= 9.5 * H
    assert not ((taipei >= 12.5 * H) & (taipei < 13.5 * H)).any()
    assert nantou.max() < 17.5 * H


def test_agents_who_were_talking_at_the_end_of_a_shift_finish_the_call(centre: Centre, example: Scenario) -> None:
    # occupancy of a site after its agents' shift ends counts only calls still in progress
    result = simulate(Job(centre, replace(example, replications=3), Duty.from_scenario(example, centre)), workers=1)
    k_1730 = example.interval_labels().index("17:30")
    k_1800 = example.interval_labels().index("18:00")
    assert result.estimate((k_1730, "site", "nantou"), "occupancy").mean == pytest.approx(1.0)
    assert result.estimate((k_1800, "site", "nantou"), "occupancy").mean is None


def test_callers_without_patience_never_hang_up(centre: Centre, example: Scenario) -> None:
    from simulator.scenario import Distribution

    rec = one_run(centre, replace(example, patience=Distribution("none")))
    assert (rec.outcome == ABANDONED).sum() == 0


def test_callers_who_give_up_ring_again_as_often_as_the_scenario_says(centre: Centre, example: Scenario) -> None:
    never = one_run(centre, replace(example, redial_probability=0.0))
    always = one_run(centre, replace(example, redial_probability=1.0))
    assert never.redial.sum() == 0
    gave_up = (always.outcome == ABANDONED).sum()
    # each caller who gave up rings again (apart from those whose redial falls after the day ends)
    assert always.redial.sum() >= 0.9 * gave_up > 0
    first_redial = int(np.argmax(always.redial))
    assert always.arrived[first_redial] > always.arrived[:first_redial].min()


def test_warm_up_leaves_out_the_first_callers(centre: Centre, example: Scenario) -> None:
    warm = replace(example, warmup_s=3600.0, shifts=())
    rec = one_run(centre, warm)
    figures = replication_figures(rec, warm, systems(centre), [s.id for s in centre.sites])
    counted = (rec.arrived >= 9.5 * H).sum()
    assert figures[(TOTAL, "all", "")]["offered"] == counted
    assert figures[(0, "all", "")]["offered"] == 0


def test_arrivals_follow_the_volume_and_the_intraday_profile(centre: Centre, example: Scenario) -> None:
    sc = replace(example, days=1)
    draws = [draw_arrivals(sc, systems(centre), [a.id for a in centre.agencies], r) for r in range(200)]
    counts = np.array([len(d) for d in draws])
    # Poisson: mean 640, standard error sqrt(640/200) ~ 1.8
    assert abs(counts.mean() - sc.daily_calls) < 4 * (sc.daily_calls / 200) ** 0.5
    per_interval = np.zeros(sc.intervals_per_day)
    for d in draws:
        per_interval += np.bincount(((d.times - sc.open_s) // sc.interval_s).astype(int), minlength=20)
    expected = np.array([sum(sc.calls[s][k] for s in sc.calls) for k in range(20)]) * 200
    assert np.all(np.abs(per_interval - expected) < 4 * np.sqrt(expected) + 1)
    assert all(np.all(np.diff(d.times) >= 0) for d in draws[:5])


def test_same_seed_same_figures_on_any_number_of_workers(centre: Centre, example: Scenario) -> None:
    sc = replace(example, days=9, replications=2)  # two blocks of days per replication
    job = Job(centre, sc, Duty.from_scenario(sc, centre))
    assert simulate(job, workers=1).as_dict() == simulate(job, workers=2).as_dict()


def test_candidates_meet_the_same_callers(centre: Centre, example: Scenario) -> None:
    fewer = replace(centre, agents=tuple(a for a in centre.agents if a.id not in {"N02", "T03"}))
    key = (TOTAL, "all", "")
    # without redials (which depend on who answers) both meet exactly the same callers
    same = replace(example, replications=4, redial_probability=0.0)
    a = simulate(Job(centre, same, Duty.from_scenario(same, centre)), workers=1)
    b = simulate(Job(fewer, same, Duty.from_scenario(same, fewer)), workers=1)
    assert a.values(key, "offered") == b.values(key, "offered")
    drop = paired_difference(a, b, key, "service_level")
    assert drop.mean is not None
    assert drop.mean < 0
    assert drop.significant


def test_identical_scenarios_differ_by_exactly_nothing(centre: Centre, example: Scenario) -> None:
    sc = replace(example, replications=3)
    a = simulate(Job(centre, sc, Duty.from_scenario(sc, centre)), workers=1)
    b = simulate(Job(centre, sc, Duty.from_scenario(sc, centre)), workers=1)
    d = paired_difference(a, b, (TOTAL, "all", ""), "service_level")
    assert (d.mean, d.ci95, d.significant) == (0.0, 0.0, False)


def test_the_routing_strategy_is_the_routers(centre: Centre, example: Scenario) -> None:
    best = replace(centre, routing=replace(centre.routing, strategy="best-skill"))
    a = one_run(centre, example)
    b = one_run(best, example)
    assert np.array_equal(a.arrived[: len(a.arrived) // 2], b.arrived[: len(a.arrived) // 2])
    assert not np.array_equal(a.site, b.site)


def test_a_break_running_to_the_end_of_the_shift_ends_the_day(centre: Centre, example: Scenario) -> None:
    from simulator.scenario import Break, Shift

    nantou = tuple(a.id for a in centre.agents if a.site == "nantou" and a.voice)
    sc = replace(example, days=2, shifts=(Shift(nantou, 8.5 * H, 12 * H, (Break(11.5 * H, 60),)),))
    rec = one_run(centre, sc)
    answered = rec.answered_at[rec.outcome == ANSWERED]
    tod = answered % 86_400
    assert len(answered) > 50
    assert (tod < 11.5 * H).all()
    assert (answered > 86_400).any()  # the second day starts again at 08:30


def test_without_ring_delay_agents_still_take_their_breaks(centre: Centre, example: Scenario) -> None:
    from simulator.scenario import Break, Shift

    nantou = tuple(a.id for a in centre.agents if a.site == "nantou" and a.voice)
    shift = Shift(nantou, 8.5 * H, 14 * H, (Break(11 * H, 30),))
    sc = replace(
        example, ring_delay_s=0.0, shifts=(shift,), calls={s: tuple(3 * v for v in c) for s, c in example.calls.items()}
    )
    answered = one_run(centre, sc).answered_at
    assert not ((answered >= 11 * H) & (answered < 11.5 * H)).any()
    assert ((answered >= 11.5 * H) & (answered < 12 * H)).any()


def test_callers_ring_again_only_while_the_centre_is_open(centre: Centre, example: Scenario) -> None:
    sc = replace(example, days=2, redial_probability=1.0, redial_delay_s=3600.0)
    rec = one_run(centre, sc)
    tod = rec.arrived % 86_400
    assert rec.redial.sum() > 10
    assert ((tod >= sc.open_s) & (tod < sc.close_s)).all()
    assert (rec.arrived < 2 * 86_400).all()


def test_queue_time_counts_the_wait_before_a_no_agent_fallback(centre: Centre, example: Scenario) -> None:
    from simulator.scenario import Distribution, Shift

    taipei = tuple(a.id for a in centre.agents if a.site == "taipei" and a.voice)
    # Taipei alone: hrdb calls (a Nantou skill) wait 60 s, then go to the general queue. No ring delay and
    # no hanging up, so every second a call waits is queue time.
    shift = Shift(taipei, example.open_s, example.close_s + 4 * H)
    sc = replace(example, ring_delay_s=0.0, patience=Distribution("none"), redial_probability=0.0, shifts=(shift,))
    rec = one_run(centre, sc)
    hrdb = systems(centre).index("hrdb")
    assert (rec.outcome == ANSWERED).all()
    assert (rec.answered_at - rec.arrived)[rec.system == hrdb].min() >= 60
    waits = (rec.answered_at - rec.arrived).sum()
    counted_before_close = rec.queue_area.sum()
    # queue time after close is outside the intervals: compare only calls answered before close
    late = rec.answered_at >= example.close_s
    assert counted_before_close == pytest.approx(
        waits - (rec.answered_at - np.maximum(rec.arrived, example.close_s))[late].sum()
    )


def test_each_week_of_a_long_run_meets_its_own_callers(centre: Centre, example: Scenario) -> None:
    from simulator.runner import _run_block

    sc = replace(example, days=14, replications=1)
    job = Job(centre, sc, Duty.from_scenario(sc, centre))
    first, second = _run_block(job, 0, 0, 7), _run_block(job, 0, 1, 7)
    assert not np.array_equal(first.arrived[:50], second.arrived[:50])
