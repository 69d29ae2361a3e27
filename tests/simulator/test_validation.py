"""The simulated single queue agrees with Erlang C and Erlang A.

Each case runs enough 24-hour replications (fixed seed, 30-minute warm-up)
that its tolerance is at least four standard errors of the simulated
estimate, measured from the per-replication spread; so a failure means a
real disagreement, not bad luck. The simulation drives the real router, so
these tests check the model and the router's queueing together.
"""

from __future__ import annotations

import statistics

import pytest

from simulator.erlang import erlang_a, erlang_c
from simulator.results import TOTAL, SimulationResult
from simulator.runner import simulate
from simulator.singlequeue import single_queue_job

pytestmark = pytest.mark.slow
AHT = 180.0
THRESHOLD = 20.0
KEY = (TOTAL, "all", "")


def run(agents: int, load: float, replications: int, patience: float | None, seed: int) -> SimulationResult:
    job = single_queue_job(
        calls=load * 1800 / AHT,
        interval_s=1800,
        aht_s=AHT,
        agents=agents,
        threshold_s=THRESHOLD,
        patience_s=patience,
        hours=24,
        replications=replications,
        seed=seed,
    )
    return simulate(job, workers=2)


def check(result: SimulationResult, metric: str, expected: float, tolerance: float) -> None:
    values = [v for v in result.values(KEY, metric) if v is not None]
    mean = statistics.fmean(values)
    stderr = statistics.stdev(values) / len(values) ** 0.5
    assert tolerance >= 4 * stderr, f"{metric}: too few replications for the tolerance (stderr {stderr:.4g})"
    assert abs(mean - expected) <= tolerance, f"{metric}: simulated {mean:.4f}, analytic {expected:.4f}, ±{tolerance}"


@pytest.mark.parametrize(
    ("agents", "load", "replications"),
    [(3, 1.8, 300), (5, 3.0, 260), (13, 10.0, 230)],
    ids=["3 agents at 60%", "5 agents at 60%", "13 agents at 77% (published example)"],
)
def test_single_queue_matches_erlang_c(agents: int, load: float, replications: int) -> None:
    result = run(agents, load, replications, None, seed=11)
    c = erlang_c(agents, load, AHT, THRESHOLD)
    check(result, "p_wait", c.p_wait, 0.015)
    check(result, "service_level", c.service_level, 0.015)
    check(result, "asa_s", c.asa_s, 0.08 * c.asa_s)
    check(result, "occupancy", c.occupancy, 0.01)


@pytest.mark.parametrize(
    ("agents", "load", "patience", "replications"),
    [(11, 10.0, 120.0, 60), (8, 10.0, 180.0, 50)],
    ids=["11 agents, load 10, patience 120 s", "8 agents overloaded, patience 180 s"],
)
def test_single_queue_matches_erlang_a(agents: int, load: float, patience: float, replications: int) -> None:
    result = run(agents, load, replications, patience, seed=12)
    a = erlang_a(agents, load, AHT, THRESHOLD, patience)
    check(result, "p_abandon", a.p_abandon, 0.01)
    check(result, "p_wait", a.p_wait, 0.015)
    check(result, "service_level", a.service_level, 0.015)
