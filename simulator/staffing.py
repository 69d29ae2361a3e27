"""The staffing search: the fewest agents per site and interval that meet the targets.

1. **Start from Erlang A.** For every interval the centre's offered load
   (calls × mean handle time ÷ interval) gives, by Erlang A with the
   scenario's mean patience (Erlang C without patience), the fewest agents
   meeting the service-level target. Erlang A per system is reported beside
   it: with skills split over many systems the pooled figure is the floor.
   The start is split over the sites in proportion to their voice agents.
2. **Then simulate.** Every candidate plan is simulated with the same seed
   (common random numbers), so two plans meet exactly the same callers.
   * While an interval misses a target, add an agent there, at the site whose
     agents were busiest in that interval.
   * When all meet them, try one agent fewer in every interval that met them,
     at the site whose agents were least busy; keep each removal unless its
     interval then misses, and stop trying an interval once a removal failed.
   The search ends when a round of removals keeps none.

Agents come from the centre file first (backup seats are not planned), then
from the site's template in the scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from routing.centre import AgentProfile, Centre
from simulator.erlang import agents_for_service_level
from simulator.model import Duty
from simulator.results import SimulationResult
from simulator.runner import Job, simulate
from simulator.scenario import Scenario, template_agents

Plan = dict[str, list[int]]  # site -> agents per interval


@dataclass
class StaffingResult:
    scenario: Scenario
    sites: tuple[str, ...]
    erlang_start: list[int]
    erlang_by_system: dict[str, list[int]]
    plan: Plan
    result: SimulationResult
    simulations: int
    history: list[int] = field(default_factory=list)  # agents in total after each simulation
    #: Intervals whose figures miss a target even so (every site at --max-per-site).
    unmet: list[int] = field(default_factory=list)
    #: Intervals wholly inside the warm-up: not judged, kept at the Erlang A start.
    unjudged: list[int] = field(default_factory=list)

    def totals(self) -> list[int]:
        return [sum(self.plan[s][k] for s in self.sites) for k in range(len(self.erlang_start))]

    def agent_hours(self) -> float:
        return sum(n * length for n, length in zip(self.totals(), interval_lengths(self.scenario), strict=True)) / 3600

    def erlang_agent_hours(self) -> float:
        lengths = interval_lengths(self.scenario)
        return sum(n * length for n, length in zip(self.erlang_start, lengths, strict=True)) / 3600


def interval_lengths(scenario: Scenario) -> list[float]:
    """Seconds in each interval of the day (the last may be cut short by ``close``)."""
    return [min(s + scenario.interval_s, scenario.close_s) - s for s in scenario.interval_starts]


def mean_handle_s(scenario: Scenario, centre: Centre, system: str) -> float:
    return scenario.talk[system].expected + centre.routing.wrap_up_s


def erlang_start(scenario: Scenario, centre: Centre) -> tuple[list[int], dict[str, list[int]]]:
    """Fewest agents per interval by Erlang A (C without patience) on the total load, and per system."""
    target = scenario.target_service_level if scenario.target_service_level is not None else 0.8
    target = min(target, 0.999)
    patience = scenario.patience.expected
    patience_s = None if math.isinf(patience) else patience
    systems = [s.id for s in centre.systems]
    total: list[int] = []
    by_system: dict[str, list[int]] = {s: [] for s in systems}
    for k, length in enumerate(interval_lengths(scenario)):
        load_k = 0.0
        calls_k = 0.0
        for s in systems:
            calls = scenario.calls[s][k]
            aht = mean_handle_s(scenario, centre, s)
            load = calls * aht / length
            load_k += load
            calls_k += calls
            by_system[s].append(_agents(load, aht, scenario.threshold_s, target, patience_s))
        aht_k = load_k * length / calls_k if calls_k else 1.0
        total.append(_agents(load_k, aht_k, scenario.threshold_s, target, patience_s))
    return total, by_system


def _agents(load: float, aht: float, threshold: float, target: float, patience: float | None) -> int:
    if load <= 0:
        return 0
    return agents_for_service_level(load, aht, threshold, target, patience)


def _pool(centre: Centre, site: str) -> list[AgentProfile]:
    return [a for a in centre.agents if a.site == site and a.voice and not a.backup]


class StaffSearch:
    def __init__(
        self,
        centre: Centre,
        scenario: Scenario,
        *,
        max_per_site: int = 60,
        workers: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.centre = centre
        self.scenario = replace(scenario, shifts=())
        self.sites = tuple(s.id for s in centre.sites if _pool(centre, s.id) or s.id in scenario.templates)
        self.max_per_site = max_per_site
        self.workers = workers
        self.progress = progress
        self.simulations = 0
        self.history: list[int] = []
        self.k = scenario.intervals_per_day
        warm_until = scenario.open_s + scenario.warmup_s
        self.judged = [
            k
            for k, s in enumerate(scenario.interval_starts)
            if min(s + scenario.interval_s, scenario.close_s) > warm_until
        ]
        sl, ar = scenario.target_service_level, scenario.target_answer_rate
        if sl is None and ar is None:
            raise ValueError("the scenario sets no target: target_service_level and/or target_answer_rate")
        self.target_sl, self.target_ar = sl, ar

    # ------------------------------------------------------------------

    def _centre_for(self, plan: Plan) -> tuple[Centre, dict[str, list[list[str]]]]:
        # Agents not in the plan (backup seats, e-mail seats) stay in the centre but never log in.
        agents = list(self.centre.agents)
        staff: dict[str, list[list[str]]] = {}
        for site in self.sites:
            pool = _pool(self.centre, site)
            need = max(plan[site], default=0)
            if need > len(pool):
                pool = pool + template_agents(self.centre, self.scenario, site, need - len(pool))
            chosen = pool[:need]
            agents.extend(a for a in chosen if a not in self.centre.agents)
            staff[site] = [[a.id for a in chosen[: plan[site][k]]] for k in range(self.k)]
        return replace(self.centre, agents=tuple(agents)), staff

    def evaluate(self, plan: Plan) -> SimulationResult:
        centre, staff = self._centre_for(plan)
        duty = Duty.from_plan(self.scenario, staff)
        result = simulate(Job(centre, self.scenario, duty), workers=self.workers)
        self.simulations += 1
        self.history.append(sum(sum(v) for v in plan.values()))
        if self.progress:
            self.progress(self.simulations, self.simulations + 1)
        return result

    def meets(self, result: SimulationResult, k: int) -> bool:
        g = result.group((k, "all", ""))
        if g["offered"].mean in (None, 0.0):
            return True
        sl, ar = g["service_level"].mean, g["answer_rate"].mean
        ok = True
        if self.target_sl is not None:
            ok = ok and sl is not None and sl >= self.target_sl
        if self.target_ar is not None:
            ok = ok and ar is not None and ar >= self.target_ar
        return ok

    def _occupancy(self, result: SimulationResult, site: str, k: int) -> float:
        occ = result.estimate((k, "site", site), "occupancy").mean
        return -1.0 if occ is None else occ

    def start_plan(self, start: list[int]) -> Plan:
        weights = {s: max(1, len(_pool(self.centre, s))) for s in self.sites}
        total_w = sum(weights.values())
        plan: Plan = {s: [] for s in self.sites}
        for n in start:
            shares = {s: n * w / total_w for s, w in weights.items()}
            counts = {s: math.floor(v) for s, v in shares.items()}
            left = n - sum(counts.values())
            for s in sorted(self.sites, key=lambda s: shares[s] - counts[s], reverse=True)[:left]:
                counts[s] += 1
            for s in self.sites:
                plan[s].append(min(counts[s], self.max_per_site))
        return plan

    def run(self) -> StaffingResult:
        start, by_system = erlang_start(self.scenario, self.centre)
        plan = self.start_plan(start)
        tight: set[int] = set()
        result = self.evaluate(plan)
        for _ in range(200):  # a safety net; the search ends far sooner
            failing = [k for k in self.judged if not self.meets(result, k)]
            if failing:
                grew = False
                for k in failing:
                    open_sites = [s for s in self.sites if plan[s][k] < self.max_per_site]
                    if not open_sites:
                        continue
                    site = max(open_sites, key=lambda s: (self._occupancy(result, s, k), -plan[s][k]))
                    plan[site][k] += 1
                    grew = True
                if not grew:
                    break  # every failing interval is at the cap
                result = self.evaluate(plan)
                continue
            trial = {s: list(v) for s, v in plan.items()}
            removed: dict[int, str] = {}
            for k in self.judged:
                if k in tight:
                    continue
                staffed = [s for s in self.sites if trial[s][k] > 0]
                if not staffed:
                    continue
                site = min(staffed, key=lambda s: (self._occupancy(result, s, k), plan[s][k]))
                trial[site][k] -= 1
                removed[k] = site
            if not removed:
                break
            trial_result = self.evaluate(trial)
            kept = 0
            for k, site in removed.items():
                if self.meets(trial_result, k):
                    plan[site][k] -= 1
                    kept += 1
                else:
                    tight.add(k)
            if kept == 0:
                break
            result = self.evaluate(plan) if kept != len(removed) else trial_result
        return StaffingResult(
            self.scenario,
            self.sites,
            start,
            by_system,
            plan,
            result,
            self.simulations,
            self.history,
            unmet=[k for k in self.judged if not self.meets(result, k)],
            unjudged=[k for k in range(self.k) if k not in self.judged],
        )
