"""Callers of one replication: when they ring, about what, from where, how long they talk and wait.

Everything a caller brings is drawn up front from one seeded generator per
replication, so two configurations run with the same seed meet exactly the
same callers (common random numbers): a difference in the figures is the
configuration's, not the dice's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.scenario import DAY_S, Distribution, Scenario


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Callers in time order. ``patience`` is ``inf`` for a caller who never hangs up."""

    times: np.ndarray
    systems: np.ndarray  # index into the centre's systems
    agencies: np.ndarray  # index into the agency list, -1 for none
    talk: np.ndarray
    patience: np.ndarray

    def __len__(self) -> int:
        return len(self.times)


def sample(dist: Distribution, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of a scenario distribution (seconds)."""
    if dist.kind == "none":
        return np.full(n, math.inf)
    if dist.kind == "exponential":
        return rng.exponential(dist.mean, n)
    if dist.kind == "lognormal":
        if dist.cv == 0:
            return np.full(n, dist.mean)
        sigma2 = math.log1p(dist.cv * dist.cv)
        return rng.lognormal(math.log(dist.mean) - sigma2 / 2, math.sqrt(sigma2), n)
    if dist.kind == "empirical":
        return rng.choice(np.asarray(dist.values, dtype=float), n)
    raise ValueError(f"unknown distribution {dist.kind!r}")


def replication_rng(seed: int, replication: int, stream: int = 0) -> np.random.Generator:
    """The generator of one replication (and stream): independent of how replications are spread over cores."""
    return np.random.default_rng(np.random.SeedSequence([seed, replication, stream]))


def draw_arrivals(scenario: Scenario, systems: Sequence[str], agencies: Sequence[str], replication: int) -> Arrivals:
    """The callers of one replication of ``scenario`` (non-homogeneous Poisson, piecewise constant per interval)."""
    rng = replication_rng(scenario.seed, replication)
    k = scenario.intervals_per_day
    means = np.array([scenario.calls[s] for s in systems], dtype=float).T  # (k, systems)
    means = np.broadcast_to(means, (scenario.days, k, len(systems)))
    counts = rng.poisson(means)
    day_idx, int_idx, sys_idx = np.nonzero(counts)
    reps = counts[day_idx, int_idx, sys_idx]
    starts = day_idx * DAY_S + scenario.open_s + int_idx * scenario.interval_s
    ends = np.minimum(starts + scenario.interval_s, day_idx * DAY_S + scenario.close_s)
    start_rep = np.repeat(starts, reps)
    length_rep = np.repeat(ends - starts, reps)
    sys_rep = np.repeat(sys_idx, reps)
    times = start_rep + rng.random(len(start_rep)) * length_rep
    order = np.argsort(times, kind="stable")
    times = times[order]
    sys_rep = sys_rep[order]
    n = len(times)
    weights = np.array([scenario.agency_weights.get(a, 0.0) for a in agencies], dtype=float)
    if n and weights.sum() > 0:
        agency_idx = rng.choice(len(agencies), size=n, p=weights / weights.sum())
    else:
        agency_idx = np.full(n, -1)
    talk = np.empty(n)
    for i, system in enumerate(systems):
        mask = sys_rep == i
        talk[mask] = sample(scenario.talk[system], int(mask.sum()), rng)
    patience = sample(scenario.patience, n, rng)
    return Arrivals(times, sys_rep, agency_idx, talk, patience)
