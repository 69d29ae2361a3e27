"""Replay: one real day of a live centre, re-run under a changed setup.

The day's callers come from the store exactly as they rang: arrival times,
systems, agencies, talk times of answered calls, and the patience of callers
who hung up (their wait). What the store cannot know is drawn, seeded:

* the talk time of a caller who was never answered, from the day's answered
  calls of the same system (or of the whole day);
* the patience of a caller who did not hang up (answered, or given up on by
  the centre). Patience is fitted to the day as an exponential distribution
  with censoring (such callers tell only that their patience was longer than
  their wait): the mean is total waiting time ÷ callers who hung up. Being
  memoryless, such a caller's patience is their wait plus a draw from it.

Agents are on duty as they were logged in (``agent_sessions``; their breaks
and other not-ready time are not replayed), and answer after the day's
median ring time. The day is replayed as it was (a check on the model) and
with the changes (--remove-agent, --add-agent, --strategy), both with the
same draws; the difference is the change's.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np

from routing.centre import Centre
from routing.figures import CallFacts, agent_time
from simulator.arrivals import Arrivals, replication_rng
from simulator.scenario import DEFAULT_PATIENCE, DEFAULT_TALK, Distribution, Scenario

#: A call offered that day: offered_at, system, agency, outcome, answered_at, ended_at, wrap_up_end_at, rang_at,
#: site, call_id.
OfferedCall = tuple[
    float, str, str, str | None, float | None, float | None, float | None, float | None, str | None, str
]

#: A call offered on the day must have ended by the end of the next day.
LATEST_END_S = 86_400.0


class InconsistentCall(ValueError):
    """A stored call whose times cannot be replayed; the message names the call and what is wrong."""


def check_call(row: OfferedCall, midnight: float, next_midnight: float) -> None:
    """Raise :class:`InconsistentCall` unless the call's times are finite, in order and near its day.

    In order: offered, rang, answered, ended, wrap-up ended (each when recorded); every time from the
    day's midnight to a day after its end (:data:`LATEST_END_S`).
    """
    offered, _system, _agency, _outcome, answered, ended, wrap_end, rang, _site, call_id = row
    named = (("offered", "it was offered", offered), ("rang", "it rang", rang),
             ("answered", "it was answered", answered), ("ended", "the call ended", ended),
             ("wrap-up ended", "", wrap_end))  # fmt: skip
    recorded = [(name, clause, t) for name, clause, t in named if t is not None]
    for name, _clause, t in recorded:
        if not math.isfinite(t) or not midnight <= t < next_midnight + LATEST_END_S:
            raise InconsistentCall(
                f"call {call_id}: {name} out of range ({t:.0f} s since 1970), not on its day or the next"
            )
    for (_first, clause, t0), (then, _then_clause, t1) in itertools.pairwise(recorded):
        if t1 < t0:
            raise InconsistentCall(f"call {call_id}: {then} before {clause}")


class DayRecords(Protocol):
    """The narrow reader a replay reads a live centre's records through; the command line hands one over.

    Times are centre time (Unix seconds); a window is ``[start, end)``.
    """

    def timezone(self) -> str:
        """The centre's time zone, as its runs recorded it."""
        ...

    def calls_offered(self, start: float, end: float) -> Sequence[OfferedCall]:
        """Voice calls offered in the window, in order of offer."""
        ...

    def agent_states(self, start: float, end: float) -> Sequence[tuple[str, str, float, str]]:
        """Agents' state changes in the window, in order: agent, site, at, status."""
        ...

    def sessions(self, start: float, end: float) -> Sequence[tuple[str, float, float]]:
        """Logins overlapping the window, in order of login: agent, login, logout (``end`` if still open)."""
        ...


@dataclass(frozen=True, slots=True)
class RealDay:
    """One day's calls and sessions, in seconds since that day's midnight (centre time)."""

    day: date
    timezone: str
    arrived: list[float]
    systems: list[str]
    agencies: list[str]
    outcomes: list[str]
    waits: list[float | None]  # queue entry to answer, or to hanging up
    talk: list[float | None]
    sessions: list[tuple[str, float, float]]  # agent, login, logout
    ring_delay_s: float
    facts: list[CallFacts]
    occupancy: float | None = None

    @property
    def patience_mean_s(self) -> float | None:
        """Exponential patience fitted with censoring: total wait ÷ callers who gave up (``None``: nobody did)."""
        gave_up = sum(1 for o in self.outcomes if o == "abandoned")
        exposure = sum(w for w in self.waits if w is not None)
        return exposure / gave_up if gave_up else None


def read_day(records: DayRecords, day: date) -> RealDay:
    """The calls offered on ``day`` (in the centre's time zone) and that day's sessions; no calls, no arrivals.

    A call whose times cannot be replayed (:func:`check_call`) raises :class:`InconsistentCall`.
    """
    tz_name = records.timezone()
    tz = ZoneInfo(tz_name)
    midnight = datetime.combine(day, time(0), tz).timestamp()
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tz).timestamp()
    rows = records.calls_offered(midnight, next_midnight)
    states = records.agent_states(midnight, next_midnight)
    sessions = records.sessions(midnight, next_midnight)
    arrived: list[float] = []
    systems: list[str] = []
    agencies: list[str] = []
    outcomes: list[str] = []
    waits: list[float | None] = []
    talk: list[float | None] = []
    rings: list[float] = []
    facts: list[CallFacts] = []
    for row in rows:
        check_call(row, midnight, next_midnight)
    for offered, system, agency, outcome, answered, ended, wrap_end, rang, site, _call_id in rows:
        arrived.append(offered - midnight)
        systems.append(system)
        agencies.append(agency)
        outcomes.append(outcome or "in-progress")
        if answered is not None:
            waits.append(answered - offered)
            talk.append(ended - answered if ended is not None else None)
            if rang is not None:
                rings.append(answered - rang)
        elif ended is not None:
            waits.append(ended - offered)
            talk.append(None)
        else:
            waits.append(None)
            talk.append(None)
        facts.append(CallFacts(system, outcome, offered, answered, ended, wrap_end, site))
    return RealDay(
        day=day,
        timezone=tz_name,
        arrived=arrived,
        systems=systems,
        agencies=agencies,
        outcomes=outcomes,
        waits=waits,
        talk=talk,
        sessions=[(a, max(lo, midnight) - midnight, min(hi, next_midnight) - midnight) for a, lo, hi in sessions],
        ring_delay_s=statistics.median(rings) if rings else 3.0,
        facts=facts,
        occupancy=_occupancy(states),
    )


def _occupancy(states: Sequence[tuple[str, str, float, str]]) -> float | None:
    """The day's occupancy from the agents' state changes, by the live centre's definition."""
    if not states:
        return None
    times = agent_time(states, {}, max(at for _, _, at, _ in states))
    available = sum(t.available_s for t in times)
    return sum(t.busy_s for t in times) / available if available else None


def replay_arrivals(real: RealDay, centre: Centre, seed: int, replication: int) -> Arrivals:
    """The day's callers for one replication: known values as recorded, unknown ones drawn."""
    rng = replication_rng(seed, replication, 2)
    system_index = {s.id: i for i, s in enumerate(centre.systems)}
    agency_index = {a.id: i for i, a in enumerate(centre.agencies)}
    by_system: dict[str, list[float]] = {}
    for system, t in zip(real.systems, real.talk, strict=True):
        if t is not None:
            by_system.setdefault(system, []).append(t)
    everyone = [t for t in real.talk if t is not None] or [DEFAULT_TALK.mean]
    mean_patience = real.patience_mean_s
    n = len(real.arrived)
    talk = np.empty(n)
    patience = np.empty(n)
    for i in range(n):
        known = real.talk[i]
        if known is not None:
            talk[i] = known
        else:
            pool = by_system.get(real.systems[i]) or everyone
            talk[i] = pool[int(rng.integers(len(pool)))]
        wait = real.waits[i]
        if real.outcomes[i] == "abandoned" and wait is not None:
            patience[i] = wait  # they hung up: their patience, exactly
        elif mean_patience is None:
            patience[i] = math.inf
        else:
            patience[i] = (wait or 0.0) + rng.exponential(mean_patience)
    return Arrivals(
        times=np.array(real.arrived),
        systems=np.array([system_index.get(s, -1) for s in real.systems], dtype=np.int64),  # -1: the general queue
        agencies=np.array([agency_index.get(a, -1) for a in real.agencies], dtype=np.int64),
        talk=talk,
        patience=patience,
    )


def replay_scenario(real: RealDay, centre: Centre, base: Scenario | None, replications: int, seed: int) -> Scenario:
    """A scenario covering the real day: its hours, 30-minute intervals (or the base scenario's), its ring time."""
    interval = base.interval_s if base else 1800.0
    first = min(real.arrived)
    last = max(real.arrived)
    open_s = math.floor(first / interval) * interval
    close_s = min(86_400.0, (math.floor(last / interval) + 1) * interval)
    return Scenario(
        name=f"replay of {real.day.isoformat()}",
        days=1,
        open_s=open_s,
        close_s=close_s,
        interval_s=interval,
        warmup_s=0.0,
        replications=replications,
        seed=seed,
        threshold_s=base.threshold_s if base else float(centre.info.service_level_seconds),
        target_service_level=base.target_service_level if base else 0.8,
        target_answer_rate=base.target_answer_rate if base else None,
        ring_delay_s=real.ring_delay_s,
        calls={s.id: (0.0,) for s in centre.systems},
        agency_weights={},
        talk={s.id: DEFAULT_TALK for s in centre.systems},
        patience=Distribution("exponential", mean=real.patience_mean_s) if real.patience_mean_s else DEFAULT_PATIENCE,
        redial_probability=0.0,
        redial_delay_s=300.0,
        shifts=(),
        templates=base.templates if base else {},
    )
