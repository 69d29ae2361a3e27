"""One queue, simulated: the M/M/n (Erlang C) or M/M/n+M (Erlang A) model run through the real router.

The same flags as ``cti erlang`` describe it: calls per interval, interval
length, AHT (exponential talk time), agents, threshold and, optionally, mean
patience (exponential). There is no ring delay, no wrap-up and no ringing
timeout, so the simulated queue is the analytic model's; any analytic figure
can be checked against it.
"""

from __future__ import annotations

from routing.centre import AgentProfile, Centre, CentreInfo, RoutingRules, Site, System
from simulator.model import Duty
from simulator.runner import Job
from simulator.scenario import DAY_S, Distribution, Scenario

QUEUE = "queue"
#: Expected arrivals per replication at most: about 50 s and 100 MB a replication at 10,000 calls a second;
#: a queue with too few agents and no patience holds every caller (500,000 took 100 s and 550 MB; 1,000,000
#: took 6 minutes and 1 GB).
MAX_ARRIVALS = 500_000
#: Agents at most: each is a router agent with its own duty, so setup grows with them (20,000 took 2.8 s).
MAX_AGENTS = 5_000
#: Agents stay this long after the last arrival so every caller is answered or gives up.
DRAIN_S = 6 * 3600.0


def single_queue_centre(agents: int) -> Centre:
    return Centre(
        CentreInfo("Single queue"),
        (Site("site", "Site"),),
        (System(QUEUE, "Queue"),),
        (),
        tuple(AgentProfile(f"A{i:04d}", f"Agent {i}", "site", skills={QUEUE: 3}) for i in range(1, agents + 1)),
        RoutingRules(
            ring_timeout_s=3600,
            wrap_up_s=0,
            reject_delay_s=0,
            overflow_after_s=0,
            backup_seat_when_waiting=0,
            max_wait_no_agent_s=DAY_S,
        ),
    )


def single_queue_job(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    agents: int,
    threshold_s: float,
    patience_s: float | None,
    hours: float,
    replications: int,
    seed: int,
    warmup_min: float = 30.0,
) -> Job:
    """The job for ``cti simulate --single-queue``: ``hours`` of arrivals at a constant rate, per replication."""
    if not 0 < hours <= 24:
        raise ValueError("--hours must be above 0 and at most 24 (use more --replications for longer runs)")
    if warmup_min * 60 >= hours * 3600:
        raise ValueError("the warm-up (30 min) must be shorter than --hours")
    centre = single_queue_centre(agents)
    close = hours * 3600.0
    # 15-minute "intervals" of the day are not meaningful here; one interval covers the run.
    scenario = Scenario(
        name=f"single queue: {calls:g} calls / {interval_s:g} s, AHT {aht_s:g} s, {agents} agents",
        days=1,
        open_s=0.0,
        close_s=close,
        interval_s=close,
        warmup_s=warmup_min * 60,
        replications=replications,
        seed=seed,
        threshold_s=threshold_s,
        target_service_level=None,
        target_answer_rate=None,
        ring_delay_s=0.0,
        calls={QUEUE: (calls * close / interval_s,)},
        agency_weights={},
        talk={QUEUE: Distribution("exponential", mean=aht_s)},
        patience=Distribution("exponential", mean=patience_s) if patience_s else Distribution("none"),
        redial_probability=0.0,
        redial_delay_s=300.0,
        shifts=(),
    )
    duty = Duty({a.id: [(0.0, close + DRAIN_S)] for a in centre.agents}, {})
    return Job(centre, scenario, duty, by_interval=False)
