"""Erlang B and Erlang C: the classic queueing formulas for a call centre.

*Offered load* ``a`` (in erlangs) is arrivals per second × average handle
time: the number of agents that would be busy if nobody ever waited. With
``n`` agents:

* **Erlang B** is the probability that all ``n`` are busy when a call comes
  and there is no queue (blocked calls are lost). It is computed with the
  recursion ``B(0) = 1``, ``B(k) = a·B(k−1) / (k + a·B(k−1))``, whose terms stay
  between 0 and 1, so it is exact to floating point for thousands of agents
  (the textbook factorial form overflows near 170).
* **Erlang C** (M/M/n: Poisson arrivals, exponential handle times, infinite
  patience) is the probability that a call has to wait:
  ``C = n·B / (n − a·(1 − B))``, defined only when ``a < n``. At ``a ≥ n`` the
  queue grows without bound; :func:`erlang_c` then says ``stable = False``
  instead of returning figures (some tools return a "probability" above 1).

The service level is the share of calls answered within ``threshold_s``:
``1 − C·exp(−(n − a)·threshold_s / aht_s)``; ASA, the mean wait of all
calls (zero waits included), is ``C·aht_s / (n − a)``; occupancy is ``a / n``.
Pure functions of their arguments: no clock, no randomness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def offered_load(calls: float, interval_s: float, aht_s: float) -> float:
    """Erlangs offered by ``calls`` arriving over ``interval_s`` seconds, each needing ``aht_s`` seconds."""
    if interval_s <= 0 or calls < 0 or aht_s <= 0:
        raise ValueError("calls must be ≥ 0, and interval and handle time > 0")
    return calls * aht_s / interval_s


def erlang_b(agents: int, load: float) -> float:
    """Probability that every one of ``agents`` is busy (blocking, with no queue)."""
    if agents < 0 or load < 0:
        raise ValueError("agents and load must not be negative")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


@dataclass(frozen=True, slots=True)
class ErlangC:
    """Erlang C figures for one interval. All ``None`` except the inputs when not ``stable``."""

    agents: int
    load: float
    stable: bool
    p_wait: float | None
    service_level: float | None
    asa_s: float | None
    occupancy: float | None


def erlang_c(agents: int, load: float, aht_s: float, threshold_s: float) -> ErlangC:
    """Erlang C: ``agents`` agents, ``load`` erlangs offered, handle time ``aht_s``, SL threshold ``threshold_s``."""
    if aht_s <= 0 or threshold_s < 0:
        raise ValueError("handle time must be > 0 and the threshold ≥ 0")
    if agents <= load:
        return ErlangC(agents, load, False, None, None, None, None)
    b = erlang_b(agents, load)
    p_wait = agents * b / (agents - load * (1 - b))
    spare = agents - load
    return ErlangC(
        agents=agents,
        load=load,
        stable=True,
        p_wait=p_wait,
        service_level=1 - p_wait * math.exp(-spare * threshold_s / aht_s),
        asa_s=p_wait * aht_s / spare,
        occupancy=load / agents,
    )


def agents_for_service_level(load: float, aht_s: float, threshold_s: float, target: float) -> int:
    """The fewest agents whose Erlang C service level reaches ``target`` (a share, e.g. 0.8)."""
    if not 0 < target < 1:
        raise ValueError("the target service level must be between 0 and 1")
    n = max(1, math.floor(load) + 1)
    while True:
        sl = erlang_c(n, load, aht_s, threshold_s).service_level
        if sl is not None and sl >= target:
            return n
        n += 1
