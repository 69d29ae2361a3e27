"""How long a queued call will still wait: its place in line and the expected wait.

The estimate reads the router's own view of the centre, so it sees the queue
the way the router serves it:

* **position**: the calls an agent serving this call would take before it —
  in its queue, under the language requirements those agents meet, of higher
  priority or earlier entry (each bucket is counted with one binary search);
  the general queue's calls ahead, which every voice agent also serves, count
  by the share of the general queue's agents that serve this call;
* **agents**: the logged-in voice agents who may take the call (its queue and
  its language requirement), not on a break;
* **wait**: when the agents free up in turn (a ready agent now, a talking one
  after the rest of a recent handle time, one in wrap-up when wrap-up ends),
  each freed agent taking the next call ahead and coming back one handle time
  later, the call is answered when the ``position``-th agent frees up.

Handle times (talk plus wrap-up) come from :class:`HandleTimes`, a moving window
per system fed by the shell as calls finish. The naive estimate
``position × AHT ÷ agents`` is kept beside it (:func:`naive_wait`), so the two
can be compared on the same calls (:func:`estimate_errors`).

No clock: time comes in as ``now``. Cost per estimate: the buckets of one
queue (and of the general queue) and ``position`` steps on a heap of agents.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING

from routing.agent import AgentState, AgentStatus
from routing.call import CallState, CallStatus
from routing.centre import GENERAL_QUEUE
from routing.queue import BucketKey

if TYPE_CHECKING:
    from routing.router import Router

#: Handle time assumed for a system before any of its calls has finished (seconds).
DEFAULT_AHT_S = 180.0
#: Calls kept in each system's moving window of handle times.
DEFAULT_WINDOW = 50
#: A system's own window is used once it holds this many calls (before: every system's).
MIN_SAMPLES = 10
#: Each further call ahead adds this share of AHT ÷ agents: the median of an exponential gap (ln 2), not its mean.
LATER_SHARE = 0.69
#: How long a break is assumed to last before any has ended (seconds).
DEFAULT_BREAK_S = 300.0
#: The window of break lengths (not a system id: ids start with a letter or digit).
BREAKS = "~breaks"
#: The window of ring times before an answer.
RINGS = "~rings"
#: A talking agent is expected to need at least this share of a handle time more.
MIN_REMAINING_SHARE = 0.1

_SERVING = frozenset({AgentStatus.READY, AgentStatus.RINGING, AgentStatus.TALKING, AgentStatus.WRAP_UP})
_SERVING = _SERVING | {AgentStatus.REJECT_DELAY}
_LOGGED_IN = _SERVING | {AgentStatus.NOT_READY}
_entry = attrgetter("entered_at", "seq")


class HandleTimes:
    """Recent handle times (talk plus wrap-up, seconds) per system: a moving window of ``window`` calls."""

    __slots__ = ("_all", "_by_system", "default_s", "window")

    def __init__(self, window: int = DEFAULT_WINDOW, default_s: float = DEFAULT_AHT_S) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1 call, got {window}")
        if not default_s > 0:
            raise ValueError(f"default_s must be positive, got {default_s}")
        self.window = window
        self.default_s = default_s
        self._by_system: dict[str, tuple[deque[float], list[float]]] = {}
        self._all: tuple[deque[float], list[float]] = (deque(maxlen=window), [0.0])

    def add(self, system: str, seconds: float) -> None:
        """One call of ``system`` finished after ``seconds`` of talk and wrap-up."""
        if not seconds >= 0:
            raise ValueError(f"a handle time is never negative, got {seconds}")
        entry = self._by_system.get(system)
        if entry is None:
            entry = self._by_system[system] = (deque(maxlen=self.window), [0.0])
        for times, total in (entry,) if system in (BREAKS, RINGS) else (entry, self._all):
            if len(times) == times.maxlen:
                total[0] -= times[0]
            times.append(seconds)
            total[0] += seconds

    def add_answer(self, seconds: float) -> None:
        """An agent answered after the phone rang ``seconds``."""
        if not seconds >= 0:
            raise ValueError(f"a ring is never negative, got {seconds}")
        self.add(RINGS, seconds)

    def answer_s(self) -> float:
        """How long the phone rings before an agent answers, on average over the window (0 before any answer)."""
        entry = self._by_system.get(RINGS)
        return entry[1][0] / len(entry[0]) if entry is not None and entry[0] else 0.0

    def add_break(self, seconds: float) -> None:
        """An agent came back after ``seconds`` not ready (a break, or a rest after missed calls)."""
        if not seconds >= 0:
            raise ValueError(f"a break is never negative, got {seconds}")
        self.add(BREAKS, seconds)

    def break_left(self, elapsed: float) -> float:
        """Expected time left of a break ``elapsed`` seconds in (the default break before any has ended)."""
        entry = self._by_system.get(BREAKS)
        times = entry[0] if entry is not None else ()
        longer = [h - elapsed for h in times if h > elapsed]
        if longer:
            return sum(longer) / len(longer)
        return max(DEFAULT_BREAK_S - elapsed, DEFAULT_BREAK_S * MIN_REMAINING_SHARE)

    def left(self, system: str, elapsed: float) -> tuple[float, ...]:
        """What is left of a call (or, for :data:`BREAKS`, a break) ``elapsed`` seconds in, by the window: ``h −
        elapsed`` for each handle time ``h`` longer; when none is, a tenth of the AHT (of the default break)."""
        if system == BREAKS:
            entry = self._by_system.get(BREAKS)
            times: Iterable[float] = entry[0] if entry is not None else ()
            fallback = max(DEFAULT_BREAK_S - elapsed, DEFAULT_BREAK_S * MIN_REMAINING_SHARE)
        else:
            times = self._window(system)[0]
            fallback = self.aht(system) * MIN_REMAINING_SHARE
        return tuple(h - elapsed for h in times if h > elapsed) or (fallback,)

    def residual(self, system: str, elapsed: float) -> float:
        """Expected handle time left for a call of ``system`` already ``elapsed`` seconds in.

        The mean of ``h − elapsed`` over the window's handle times ``h`` longer
        than ``elapsed``; a tenth of the AHT when none is.
        """
        longer = [h - elapsed for h in self._window(system)[0] if h > elapsed]
        if longer:
            return sum(longer) / len(longer)
        return self.aht(system) * MIN_REMAINING_SHARE

    def _window(self, system: str) -> tuple[deque[float], list[float]]:
        """The system's window once it holds ``MIN_SAMPLES`` calls, else every system's."""
        entry = self._by_system.get(system)
        return entry if entry is not None and len(entry[0]) >= MIN_SAMPLES else self._all

    def aht(self, system: str) -> float:
        """The system's average handle time over its window; the centre's if it has none yet, else the default."""
        times, total = self._window(system)
        return max(total[0] / len(times), 1.0) if times else self.default_s


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """What a queued caller is told, and the naive figure beside it (seconds)."""

    position: int
    agents: int
    wait_s: float
    naive_s: float


def naive_wait(position: int, aht_s: float, agents: int) -> float:
    """``position × AHT ÷ agents`` (no agent: the position's handle times one after another)."""
    return position * aht_s / max(agents, 1)


def _ahead_in(buckets: Iterable[tuple[BucketKey, list[CallState]]], priority: int, key: tuple[float, int]) -> int:
    """Calls of these buckets served before a call of ``priority`` that entered at ``key``."""
    n = 0
    for (_, prio), bucket in buckets:
        if prio > priority:
            n += len(bucket)
        elif prio == priority:
            n += bisect_left(bucket, key, key=_entry)
    return n


def estimate(router: Router, call_id: str, now: float, handle: HandleTimes) -> WaitEstimate | None:
    """The estimate for a call waiting in ``router`` at ``now``; ``None`` if it is not queued."""
    call = router.calls.get(call_id)
    if call is None or call.status is not CallStatus.QUEUED:
        return None
    queue, need = call.queue, call.need
    key = (call.entered_at, call.seq)
    threshold = router.rules.backup_seat_when_waiting
    present = [a for a in router.agents.values() if a.voice and a.status in _LOGGED_IN]
    serving = [
        a
        for a in present
        if queue in a.queues and need in a.needs and (not a.backup or router.waiting_for(a.id) >= threshold)
    ]
    working = sum(1 for a in serving if a.status is not AgentStatus.NOT_READY)
    waiting = router.waiting
    position = 1 + sum(_ahead_in(waiting.buckets_of(queue, n), call.priority, key) for n in {None, need})
    if serving:
        position += _ahead_elsewhere(router, call.priority, key, queue, serving, present)
    aht = handle.aht(call.system)
    naive = naive_wait(position, aht, working or len(serving))
    start = now
    if not serving and queue != GENERAL_QUEUE:
        # Nobody logged in may take it: the no-agent rule moves it to the general queue, where any voice
        # agent logged in may (the router's ``max_wait_no_agent_s`` from its entry to this queue).
        start = max(now, call.queue_entered_at + router.rules.max_wait_no_agent_s)
        serving = [a for a in present if not a.backup]
        position += _ahead_in(waiting.buckets(GENERAL_QUEUE), call.priority, key)
    if not serving:
        return WaitEstimate(position, 0, naive, naive)
    wrap = router.rules.wrap_up_s
    window_end = call.window_end if call.prefer_site is not None else start
    freeing = [
        _Freeing(
            max(window_end if a.site != call.prefer_site else start, start) - now,
            *_left(a.status, a.since, now, handle, _system_of(router, a, call.system), wrap),
        )
        for a in serving
    ]
    first = _median_first(freeing)
    wait = first + (position - 1) * aht * LATER_SHARE / len(serving) + handle.answer_s()
    return WaitEstimate(position, working, wait, naive)


@dataclass(frozen=True, slots=True)
class _Freeing:
    """When one agent may take the call, from now: not before ``floor``, then after ``fixed`` plus one of ``spread``
    (equally likely; empty: exactly ``fixed``)."""

    floor: float
    fixed: float
    spread: tuple[float, ...]

    def still_busy(self, t: float) -> float:
        """The chance the agent is not yet free ``t`` seconds from now."""
        if t < self.floor:
            return 1.0
        if not self.spread:
            return 1.0 if t < self.fixed else 0.0
        return sum(1 for x in self.spread if self.fixed + x > t) / len(self.spread)

    def latest(self) -> float:
        return max(self.floor, self.fixed + max(self.spread, default=0.0))


def _median_first(freeing: list[_Freeing]) -> float:
    """The median of when the first of these agents frees up (the agents independent of one another).

    The median, not the mean: what minimises the absolute error of a skewed wait.
    """
    lo, hi = 0.0, max(f.latest() for f in freeing)

    def busy(t: float) -> float:
        p = 1.0
        for f in freeing:
            p *= f.still_busy(t)
            if p == 0.0:
                break
        return p

    if busy(0.0) <= 0.5:
        return 0.0
    for _ in range(30):  # to well under a second
        mid = (lo + hi) / 2
        if busy(mid) > 0.5:
            lo = mid
        else:
            hi = mid
    return hi


def _system_of(router: Router, agent: AgentState, default: str) -> str:
    """The system of the call an agent is on (``default`` if none)."""
    on = router.calls.get(agent.call) if agent.call is not None else None
    return on.system if on is not None else default


def _ahead_elsewhere(
    router: Router,
    priority: int,
    key: tuple[float, int],
    queue: str,
    serving: list[AgentState],
    present: list[AgentState],
) -> int:
    """Calls of the serving agents' other queues they would take first, each queue's by the serving agents' share."""
    others = {q for a in serving for q in a.queues if q != queue}
    ahead = 0.0
    for other in others:
        staff = sum(1 for a in present if other in a.queues)
        mine = sum(1 for a in serving if other in a.queues)
        if staff:
            n = _ahead_in(router.waiting.buckets(other), priority, key)
            ahead += n * mine / staff
    return round(ahead)


def _left(
    status: AgentStatus, since: float, now: float, handle: HandleTimes, system: str, wrap: float
) -> tuple[float, tuple[float, ...]]:
    """How long until an agent is free: a fixed part and the spread of what follows it (see :class:`_Freeing`)."""
    if status is AgentStatus.READY:
        return 0.0, ()
    if status is AgentStatus.WRAP_UP:
        return max(since + wrap - now, 0.0), ()
    if status is AgentStatus.TALKING:
        return 0.0, handle.left(system, now - since)
    if status is AgentStatus.RINGING:
        return 0.0, handle.left(system, 0.0)  # about to take another call
    if status is AgentStatus.NOT_READY:
        return 0.0, handle.left(BREAKS, now - since)
    return wrap, ()  # resting after a missed ring: back shortly


@dataclass(frozen=True, slots=True)
class EstimateRow:
    """One estimate given to a caller who was then answered: what was said, and the wait that followed."""

    estimate_s: float
    naive_s: float
    actual_s: float


@dataclass(frozen=True, slots=True)
class EstimateErrors:
    """Mean absolute errors of the estimate and of the naive one, on the same estimates (seconds)."""

    estimates: int
    mean_wait_s: float
    mae_s: float
    naive_mae_s: float

    @property
    def mae_share(self) -> float:
        """The estimate's mean absolute error as a share of the mean wait (0 when nothing was estimated)."""
        return self.mae_s / self.mean_wait_s if self.mean_wait_s > 0 else 0.0

    @property
    def naive_share(self) -> float:
        """The naive estimate's mean absolute error as a share of the mean wait."""
        return self.naive_mae_s / self.mean_wait_s if self.mean_wait_s > 0 else 0.0

    def as_dict(self) -> dict[str, int | float | None]:
        """For ``--json``: seconds to 0.1 s, shares to 0.001; null figures when nothing was estimated."""

        def some(value: float, digits: int) -> float | None:
            return round(value, digits) if self.estimates else None

        return {
            "estimates": self.estimates,
            "mean_wait_s": some(self.mean_wait_s, 1),
            "mae_s": some(self.mae_s, 1),
            "mae_share": some(self.mae_share, 3),
            "naive_mae_s": some(self.naive_mae_s, 1),
            "naive_share": some(self.naive_share, 3),
        }


def estimate_errors(rows: Iterable[EstimateRow]) -> EstimateErrors:
    """The error of every estimate given against the actual wait that followed it."""
    n = 0
    wait = err = naive = 0.0
    for row in rows:
        n += 1
        wait += row.actual_s
        err += abs(row.estimate_s - row.actual_s)
        naive += abs(row.naive_s - row.actual_s)
    if n == 0:
        return EstimateErrors(0, 0.0, 0.0, 0.0)
    return EstimateErrors(n, wait / n, err / n, naive / n)


def rows_from(announced: Iterable[tuple[str, float, float, float]], answered: Mapping[str, float]) -> list[EstimateRow]:
    """Estimate rows from announcements ``(call id, at, estimate s, naive s)`` and answer times by call.

    A call not answered (abandoned, or still waiting) has no actual wait and gives no row.
    """
    rows: list[EstimateRow] = []
    for call_id, at, est, naive in announced:
        answered_at = answered.get(call_id)
        if answered_at is not None and answered_at >= at:
            rows.append(EstimateRow(est, naive, answered_at - at))
    return rows
