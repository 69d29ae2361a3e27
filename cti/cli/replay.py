"""``cti simulate --replay``: one real day from a live centre's database, re-run under a changed setup.

The day is read from the store (:class:`cti.store.days.DayReader`) and
replayed by :mod:`simulator.replay`, which says what is kept as it was and
what is drawn.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console

from cti.cli import times
from cti.cli.figures import format_delta, format_value, label
from cti.cli.output import report_console, write_csv, write_json
from cti.cli.scenario import load_scenario_arg, run_job
from cti.cli.tables import Column, print_table
from cti.config import load_centre, load_default
from cti.errors import CommandLineError, UsageError
from cti.store.days import DayReader
from routing.centre import GENERAL_QUEUE
from routing.figures import Figures, figures
from simulator.model import Duty
from simulator.replay import InconsistentCall, RealDay, replay_arrivals, replay_scenario
from simulator.replay import read_day as read_records
from simulator.results import TOTAL, SimulationResult, paired_difference
from simulator.runner import Job
from simulator.scenario import ScenarioError, change_centre, hhmm
from simulator.whatif import add_agents


def read_day(path: Path, day: date) -> RealDay:
    """The calls offered on ``day`` in the database at ``path``, and that day's sessions."""
    with DayReader.open(path) as records:
        try:
            real = read_records(records, day)
        except InconsistentCall as err:
            raise UsageError(f"{path}: {err}; the database is inconsistent") from None
        if not real.arrived:
            raise UsageError(f"{path}: no calls offered on {day.isoformat()} ({real.timezone})")
    return real


def replay_command(args: argparse.Namespace) -> int:

    if args.db is None or args.date is None:
        raise CommandLineError("--replay needs --db PATH and --date YYYY-MM-DD")
    if args.days is not None:
        raise CommandLineError("--days: not with --replay (a replay is one real day)")
    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise CommandLineError(f"--date: not a date: {args.date!r} (expected YYYY-MM-DD)") from None
    if not times.day_in_range(day):
        raise CommandLineError(f"--date: {args.date} is out of range; give a date {times.RANGE_TEXT}")
    if len(args.scenarios) > 1:
        raise CommandLineError("--replay takes at most one scenario file (for its templates and targets)")
    if args.set and not args.scenarios:
        raise CommandLineError(
            "--set with --replay changes the scenario file given for templates and targets; give one"
        )
    base_centre = load_centre(args.config).centre if args.config else load_default().centre
    real = read_day(args.db, day)
    unknown = sorted(set(real.systems) - {s.id for s in base_centre.systems} - {GENERAL_QUEUE})
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
    console = report_console(args)
    as_was = run_job(Job(base_centre, scenario, duty, fixed), args, "replaying as it was")
    changed = run_job(Job(changed_centre, scenario, changed_duty, fixed), args, "replaying with the changes")
    actual = figures(real.facts, scenario.threshold_s, None)
    doc = _replay_doc(real, actual, as_was, changed, args)
    _report(real, doc, as_was, changed, args, console)
    return 0


def _report(real: RealDay, doc: dict[str, Any], as_was: SimulationResult, changed: SimulationResult,
            args: argparse.Namespace, console: Console) -> None:  # fmt: skip
    """The replay's table and note, and its JSON, CSV and plot."""
    title = (
        f"Replay of {real.day.isoformat()} ({real.timezone}): {len(real.arrived)} calls, "
        f"{as_was.replications} replications; changes: {doc['changes'] or 'none'}"
    )
    columns = (
        Column("figure", wrap=True),
        Column("real day", justify="right", wrap=True),
        Column("replayed as it was", justify="right", wrap=True),
        Column("with the changes", justify="right", wrap=True),
        Column("change (95% CI)", justify="right", wrap=True),
        Column("significant", justify="right", priority=1),
    )
    rows = [
        [
            label(m),
            format_value(m, row["real"]),
            format_value(m, row["as_was"]),
            format_value(m, row["changed"]),
            format_delta(m, row),
            "yes" if row["significant"] else "no",
        ]
        for m, row in doc["total"].items()
    ]
    print_table(console, title, columns, rows, hint="widen the terminal or use --json or --csv")
    console.print(
        f"Ring time {real.ring_delay_s:.1f} s (median of the day); patience fitted with censoring: "
        + (
            f"mean {real.patience_mean_s:.0f} s."
            if real.patience_mean_s
            else "nobody gave up, so callers wait for ever."
        )
    )
    if args.json is not None:
        write_json(args.json, doc)
    if args.csv is not None:
        write_csv(args.csv, [_csv_row(m, row) for m, row in doc["total"].items()], raw=args.raw_csv)
    if args.plot is not None:
        from simulator.plots import plot_result

        plot_result(as_was, args.plot, other=changed, other_tag=" (changed)")
        console.print(f"Plot: {args.plot} (as it was; with the changes dashed)")


def _csv_row(metric: str, row: dict[str, Any]) -> dict[str, object]:
    """One figure of the replay as a CSV row: the difference's mean and half-width in columns of their own."""
    diff = row["difference"]
    return {"figure": metric, **{k: row[k] for k in ("real", "as_was", "changed")}, "difference": diff["mean"],
            "ci95": diff["ci95"], "significant": row["significant"]}  # fmt: skip


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
            "difference": d.as_dict(),
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
