"""``cti simulate --replay``: one real day from a live centre's database, re-run under a changed setup.

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

import argparse
import math
import sqlite3
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from rich.console import Console
from rich.table import Table

from cti.errors import UsageError
from routing.centre import Centre
from routing.figures import CallFacts, Figures, agent_time, figures
from simulator.arrivals import Arrivals, replication_rng
from simulator.model import Duty
from simulator.results import TOTAL, SimulationResult, paired_difference
from simulator.runner import Job
from simulator.scenario import DEFAULT_PATIENCE, DEFAULT_TALK, Distribution, Scenario, ScenarioError, hhmm
from simulator.whatif import add_agents


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


def read_day(path: Path, day: date) -> RealDay:
    """The calls offered on ``day`` (centre time zone of the runs that took them) and that day's sessions."""
    if not path.exists():
        raise UsageError(f"{path}: no such database")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise UsageError(f"{path}: cannot open: {err}") from None
    try:
        zones = {tz for (tz,) in db.execute("SELECT DISTINCT timezone FROM runs")}
        if not zones:
            raise UsageError(f"{path}: no runs recorded")
        if len(zones) > 1:
            raise UsageError(f"{path}: runs in several time zones ({', '.join(sorted(zones))})")
        tz_name = zones.pop()
        tz = ZoneInfo(tz_name)
        midnight = datetime.combine(day, time(0), tz).timestamp()
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), tz).timestamp()
        rows = db.execute(
            "SELECT offered_at, system, agency, outcome, answered_at, ended_at, wrap_up_end_at, rang_at, site "
            "FROM calls WHERE channel = 'voice' AND offered_at >= ? AND offered_at < ? ORDER BY offered_at, call_id",
            (midnight, next_midnight),
        ).fetchall()
        states = db.execute(
            "SELECT agent_id, site, at, status FROM agent_states WHERE at >= ? AND at < ? ORDER BY seq",
            (midnight, next_midnight),
        ).fetchall()
        sessions = db.execute(
            "SELECT agent_id, login_at, COALESCE(logout_at, ?) FROM agent_sessions WHERE login_at < ? "
            "AND COALESCE(logout_at, ?) > ? ORDER BY login_at",
            (next_midnight, next_midnight, next_midnight, midnight),
        ).fetchall()
    except sqlite3.DatabaseError as err:
        raise UsageError(f"{path}: not a centre database ({err})") from None
    finally:
        db.close()
    if not rows:
        raise UsageError(f"{path}: no calls offered on {day.isoformat()} ({tz_name})")
    arrived, systems, agencies, outcomes, waits, talk, rings = [], [], [], [], [], [], []
    facts: list[CallFacts] = []
    for offered, system, agency, outcome, answered, ended, wrap_end, rang, site in rows:
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


def _occupancy(states: list[tuple[str, str, float, str]]) -> float | None:
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
        systems=np.array([system_index[s] for s in real.systems], dtype=np.int64),
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


def replay_command(args: argparse.Namespace) -> int:
    from cti.config import load_centre, load_default
    from cti.simulate import _console, load_scenario_arg, run_job
    from simulator.scenario import change_centre

    if args.db is None or args.date is None:
        raise UsageError("--replay needs --db PATH and --date YYYY-MM-DD")
    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise UsageError(f"--date: not a date: {args.date!r} (expected YYYY-MM-DD)") from None
    if len(args.scenarios) > 1:
        raise UsageError("--replay takes at most one scenario file (for its templates and targets)")
    if args.set and not args.scenarios:
        raise UsageError("--set with --replay changes the scenario file given for templates and targets; give one")
    base_centre = load_centre(args.config).centre if args.config else load_default().centre
    real = read_day(args.db, day)
    unknown = sorted(set(real.systems) - {s.id for s in base_centre.systems})
    if unknown:
        raise UsageError(f"{args.db}: calls for systems the centre file does not have: {', '.join(unknown)}")
    base = load_scenario_arg(args.scenarios[0], base_centre, args.set or ()) if args.scenarios else None
    replications = args.replications or 10
    seed = args.seed if args.seed is not None else 1
    scenario = replay_scenario(real, base_centre, base, replications, seed)
    known_agents = {a.id for a in base_centre.agents}
    spans: dict[str, list[tuple[float, float]]] = {}
    for agent, start, end in real.sessions:
        if agent in known_agents:
            spans.setdefault(agent, []).append((start, end))
    duty = Duty(spans, {})
    fixed = tuple(replay_arrivals(real, base_centre, seed, r) for r in range(replications))
    try:
        changed_centre = change_centre(base_centre, remove_agents=args.remove_agent or (), strategy=args.strategy)
        changed_centre, changed_duty = add_agents(changed_centre, scenario, duty, args.add_agent or ())
    except ScenarioError as err:
        raise UsageError(str(err)) from None
    changed_duty = Duty({a: s for a, s in changed_duty.spans.items() if a in {x.id for x in changed_centre.agents}}, {})
    console = _console(args)
    as_was = run_job(Job(base_centre, scenario, duty, fixed), args, "replaying as it was")
    changed = run_job(Job(changed_centre, scenario, changed_duty, fixed), args, "replaying with the changes")
    actual = figures(real.facts, scenario.threshold_s, None)
    doc = _replay_doc(real, actual, as_was, changed, args)
    _report(real, doc, as_was, changed, args, console)
    return 0


def _report(real: RealDay, doc: dict[str, Any], as_was: SimulationResult, changed: SimulationResult,
            args: argparse.Namespace, console: Console) -> None:  # fmt: skip
    """The replay's table and note, and its JSON, CSV and plot."""
    from cti.simulate import _delta, _value, _write_csv, _write_json

    table = Table(
        title=f"Replay of {real.day.isoformat()} ({real.timezone}): {len(real.arrived)} calls, "
        f"{as_was.replications} replications; changes: {doc['changes'] or 'none'}",
        title_justify="left",
    )
    for col in ("figure", "real day", "replayed as it was", "with the changes", "change (95% CI)", "significant"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for m, row in doc["total"].items():
        table.add_row(
            m,
            _value(m, row["real"]),
            _value(m, row["as_was"]),
            _value(m, row["changed"]),
            _delta(m, row),
            "yes" if row["significant"] else "no",
        )
    console.print(table)
    console.print(
        f"Ring time {real.ring_delay_s:.1f} s (median of the day); patience fitted with censoring: "
        + (
            f"mean {real.patience_mean_s:.0f} s."
            if real.patience_mean_s
            else "nobody gave up, so callers wait for ever."
        )
    )
    if args.json is not None:
        _write_json(args.json, doc)
    if args.csv is not None:
        _write_csv(args.csv, [{"figure": m, **row} for m, row in doc["total"].items()])
    if args.plot is not None:
        from simulator.plots import plot_result

        plot_result(as_was, args.plot, other=changed, other_tag=" (changed)")
        console.print(f"Plot: {args.plot} (as it was; with the changes dashed)")


_REPLAYED = ("offered", "answered", "abandoned", "answer_rate", "service_level", "asa_s", "occupancy")


def _replay_doc(real: RealDay, actual: Figures, as_was: SimulationResult, changed: SimulationResult,
                args: argparse.Namespace) -> dict[str, Any]:  # fmt: skip
    changes = []
    changes += [f"--remove-agent {a}" for a in args.remove_agent or ()]
    changes += [f"--add-agent {s}" for s in args.add_agent or ()]
    if args.strategy:
        changes.append(f"--strategy {args.strategy}")
    total: dict[str, Any] = {}
    key = (TOTAL, "all", "")
    for m in _REPLAYED:
        d = paired_difference(as_was, changed, key, m)
        real_value = getattr(actual, m) if m != "occupancy" else real.occupancy
        total[m] = {
            "real": float(real_value) if real_value is not None else None,
            "as_was": as_was.estimate(key, m).mean,
            "changed": changed.estimate(key, m).mean,
            "difference": d.mean,
            "ci95": d.ci95,
            "significant": d.significant,
        }
    return {
        "date": real.day.isoformat(),
        "timezone": real.timezone,
        "calls": len(real.arrived),
        "replications": as_was.replications,
        "changes": ", ".join(changes),
        "ring_delay_s": real.ring_delay_s,
        "patience_mean_s": real.patience_mean_s,
        "open": hhmm(as_was.scenario.open_s),
        "close": hhmm(as_was.scenario.close_s),
        "total": total,
        "as_was": as_was.as_dict(),
        "changed": changed.as_dict(),
    }
