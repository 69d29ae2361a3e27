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

Bounds: an offered load above :data:`MAX_LOAD_ERLANGS` is refused by the
command line (:func:`check_load`), which keeps Erlang B's recursion and the
search for a number of agents short. Erlang A's work grows with the length of
its queue and the number of uniformization steps within the threshold; beyond
:data:`MAX_QUEUE` or :data:`MAX_WORK` it raises :class:`TooLarge` instead of
running for minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: The largest offered load the formulas are asked for: a very large centre's interval, answered in milliseconds.
MAX_LOAD_ERLANGS = 10_000.0
#: Erlang A follows at most this many queue positions (callers waiting at once) beyond the agents.
MAX_QUEUE = 100_000
#: Erlang A's service level: at most this many queue positions × uniformization steps (about 0.1 s).
MAX_WORK = 20_000_000


class TooLarge(ValueError):
    """The inputs are valid but the figures would take far too long to compute; the message says what is too large."""


def check_load(load: float) -> None:
    """Raise :class:`TooLarge` when ``load`` erlangs is above :data:`MAX_LOAD_ERLANGS`."""
    if load > MAX_LOAD_ERLANGS:
        raise TooLarge(
            f"offered load {load:,.6g} erlangs (calls × AHT ÷ interval) is too large; at most {MAX_LOAD_ERLANGS:,.0f}"
        )


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


def agents_for_service_level(
    load: float, aht_s: float, threshold_s: float, target: float, patience_s: float | None = None
) -> int:
    """The fewest agents whose service level reaches ``target`` (a share, e.g. 0.8).

    Erlang C without ``patience_s``; Erlang A with it (where a target the
    abandonments already make impossible raises :class:`ValueError`).
    """
    if not 0 < target < 1:
        raise ValueError("the target service level must be between 0 and 1")

    def level(n: int) -> float:
        if patience_s is None:
            sl = erlang_c(n, load, aht_s, threshold_s).service_level
            return -1.0 if sl is None else sl
        return erlang_a(n, load, aht_s, threshold_s, patience_s).service_level

    # Fewer agents than target × load cannot answer that share (they serve at most agents ÷ load of the
    # calls), so the search starts there: level(low) < target, and the deeply overloaded counts, whose
    # Erlang A queues are the longest to compute, are never tried.
    low = max(0, math.ceil(target * load) - 1)
    high = max(low + 1, math.ceil(load))
    while level(high) < target:
        low, high = high, high * 2
        if high > 1_000_000:
            raise ValueError(f"no number of agents reaches a service level of {target:g}")
    while high - low > 1:  # the service level never falls as agents are added
        mid = (low + high) // 2
        if level(mid) >= target:
            high = mid
        else:
            low = mid
    return high


@dataclass(frozen=True, slots=True)
class ErlangA:
    """Erlang A (M/M/n+M) figures for one interval: always stable, because callers give up.

    ``service_level`` is answered within the threshold ÷ offered; ``asa_s`` the
    mean wait of answered calls (zero waits included); ``p_abandon`` the share
    of callers who hang up before being answered.
    """

    agents: int
    load: float
    p_wait: float
    p_abandon: float
    service_level: float
    asa_s: float
    occupancy: float


def erlang_a(agents: int, load: float, aht_s: float, threshold_s: float, patience_s: float) -> ErlangA:
    """Erlang A: Erlang C's queue where each waiting caller hangs up at rate ``1 / patience_s``.

    The number of callers in the system is a birth-death chain: arrivals at
    rate λ, completions at ``min(k, n)·μ`` and abandonments at ``(k − n)·θ``.
    Its stationary distribution (summed in logs, so it holds for thousands of
    agents) is what an arriving caller sees. A caller who finds ``j − 1``
    ahead moves up at rate ``n·μ + (j − 1)·θ`` and gives up at rate θ, so the
    chance of being served is ``Π q_i`` with ``q_i = ρ_i / (ρ_i + θ)``; the
    wait of served callers and the service level follow from the same chain
    (the latter by uniformization).
    """
    if agents < 1 or load < 0 or aht_s <= 0 or patience_s <= 0 or threshold_s < 0:
        raise ValueError("agents ≥ 1, load ≥ 0, and handle time and patience > 0 are needed")
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    lam = load * mu
    if lam == 0:
        return ErlangA(agents, load, 0.0, 0.0, 1.0, 0.0, 0.0)
    # log of the unnormalised stationary probabilities, k = 0, 1, ... until negligible
    logs = [0.0]
    top = 0.0  # the largest so far, kept as we go (the list's max each step made this quadratic)
    k = 0
    while True:
        k += 1
        out = min(k, agents) * mu + max(k - agents, 0) * theta
        logs.append(logs[-1] + math.log(lam / out))
        top = max(top, logs[-1])
        if k > agents and logs[-1] < top - 60:  # e^-60: beyond double precision of the total
            break
        if k > agents + MAX_QUEUE:
            raise TooLarge(
                f"Erlang A would follow more than {MAX_QUEUE:,} callers waiting at once "
                f"({load:,.6g} erlangs, {agents:,} agents, patience {patience_s:g} s, AHT {aht_s:g} s); "
                "fewer calls, more agents or a shorter patience would do"
            )
    weights = np.exp(np.array(logs) - top)
    pi = weights / weights.sum()
    p_wait = float(pi[agents:].sum())
    queued = pi[agents:]  # an arrival finding k = n + j - 1 is j-th in the queue
    j = np.arange(1, len(queued) + 1)
    rho = agents * mu + (j - 1) * theta  # moving up from position j
    served_if = np.cumprod(rho / (rho + theta))  # served before giving up, from position j
    mean_wait_if = np.cumsum(1.0 / (rho + theta))
    p_served_queued = float((queued * served_if).sum())
    p_served = float(pi[:agents].sum()) + p_served_queued
    wait_served = float((queued * served_if * mean_wait_if).sum())
    served_by_t = _served_within(queued, rho, theta, threshold_s)
    busy = float((np.minimum(np.arange(len(pi)), agents) * pi).sum())
    return ErlangA(
        agents=agents,
        load=load,
        p_wait=p_wait,
        p_abandon=1.0 - p_served,
        service_level=float(pi[:agents].sum()) + served_by_t,
        asa_s=wait_served / p_served if p_served > 0 else 0.0,
        occupancy=busy / agents,
    )


#: One uniformization step's fixed cost, in queue positions (measured: about 5 µs a step, 2 ns a position).
_STEP_COST = 2500


def _served_within(start: np.ndarray, rho: np.ndarray, theta: float, t: float) -> float:
    """Mass served within ``t``: callers at positions 1.. (``start``) move up at ``rho`` and leave at ``theta``."""
    if t == 0:
        return 0.0
    rate = float(rho.max()) + theta  # uniformization: steps at this rate, some of them "stay"
    move, leave = rho / rate, theta / rate
    x = rate * t
    steps = int(x + 12 * math.sqrt(x) + 30)
    if steps * (len(start) + _STEP_COST) > MAX_WORK:
        raise TooLarge(
            f"Erlang A's service level within {t:g} s would take {steps:,} steps over {len(start):,} queue positions "
            f"(at most {MAX_WORK:,} of their product); a shorter threshold, or fewer calls or agents, would do"
        )
    p = start.astype(float).copy()
    served = 0.0
    total = 0.0
    log_x = math.log(x)
    for m in range(steps + 1):
        weight = math.exp(m * log_x - x - math.lgamma(m + 1))  # Poisson(m; x)
        total += weight * served
        moved = p * move
        served += float(moved[0])
        p = p * (1 - move - leave)
        p[:-1] += moved[1:]
    return total
