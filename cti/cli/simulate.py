"""``cti simulate``: one scenario, a paired compare, one queue against Erlang, or a replay.

A replay is :mod:`cti.cli.replay`; the scenario and centre are loaded by :mod:`cti.cli.scenario`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from cti.cli.figures import RATIOS, estimate_num, fmt, format_delta, format_value, label
from cti.cli.output import check_writable, report_console, write_csv, write_json
from cti.cli.scenario import load_centre_arg, load_scenario_arg, make_job, run_job, with_cli_changes
from cti.cli.tables import Column, print_table
from cti.errors import CommandLineError, UsageError
from simulator.results import TOTAL, SimulationResult, paired_difference
from simulator.scenario import hhmm

EXIT_OK = 0


# ----------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------


def render_result(result: SimulationResult, console: Console) -> None:
    sc = result.scenario
    console.print(
        f"[bold]{sc.name}[/bold]: {sc.days} day(s) × {result.replications} replications, seed {sc.seed}; "
        f"{result.calls_simulated:,} calls simulated in {result.seconds:.1f} s. "
        f"Means with 95% confidence intervals; service level = answered within {sc.threshold_s:g} s ÷ offered."
    )
    per_day = f" per {sc.days} days" if sc.days > 1 else " per day"
    totals = (
        Column(""),
        Column("offered", justify="right"),
        Column("answered", justify="right", priority=2),
        Column("abandoned", justify="right", priority=2),
        Column("answer rate", justify="right", priority=1, wrap=True),
        Column("service level", justify="right", wrap=True),
        Column("ASA s", justify="right", priority=1),
        Column("p90 wait s", justify="right", priority=3, wrap=True),
        Column("AHT s", justify="right", priority=3),
    )
    rows: list[tuple[str, tuple[int, str, str]]] = [("centre", (TOTAL, "all", ""))]
    rows += [
        (s, (TOTAL, "system", s))
        for s in result.systems
        if (result.estimate((TOTAL, "system", s), "offered").mean or 0) > 0
    ]
    cells = []
    for name, key in rows:
        g = result.group(key)
        cells.append(
            [
                Text(name, style="bold") if name == "centre" else name,
                fmt("offered", g["offered"], ci=name == "centre"),
                fmt("answered", g["answered"], ci=False),
                fmt("abandoned", g["abandoned"], ci=False),
                fmt("answer_rate", g["answer_rate"], ci=name == "centre"),
                fmt("service_level", g["service_level"], ci=name == "centre"),
                fmt("asa_s", g["asa_s"], ci=name == "centre"),
                fmt("wait_p90_s", g["wait_p90_s"], ci=False),
                fmt("aht_s", g["aht_s"], ci=False),
            ]
        )
    print_table(console, f"Totals{per_day}, by system", totals, cells, hint=_HINT)
    sites = (
        Column("site"),
        Column("answered", justify="right", priority=1),
        Column("ASA s", justify="right"),
        Column("p90 wait s", justify="right", priority=2, wrap=True),
        Column("AHT s", justify="right", priority=2),
        Column("occupancy", justify="right"),
    )
    cells = []
    for s in result.sites:
        g = result.group((TOTAL, "site", s))
        cells.append(
            [
                s,
                fmt("answered", g["answered"], ci=False),
                fmt("asa_s", g["asa_s"]),
                fmt("wait_p90_s", g["wait_p90_s"], ci=False),
                fmt("aht_s", g["aht_s"], ci=False),
                fmt("occupancy", g["occupancy"]),
            ]
        )
    print_table(console, "By site (calls answered there)", sites, cells, hint=_HINT)
    if result.intervals():
        render_intervals(result, console)


def render_intervals(result: SimulationResult, console: Console) -> None:
    sc = result.scenario
    labels = sc.interval_labels()
    columns = [
        Column("start"),
        Column("offered", justify="right", priority=1),
        Column("service level", justify="right", wrap=True),
        Column("answer rate", justify="right", priority=1, wrap=True),
        Column("ASA s", justify="right", priority=2),
        Column("p90 wait s", justify="right", priority=3, wrap=True),
        Column("occupancy", justify="right", priority=2),
        Column("waiting", justify="right", priority=3),
    ]
    columns += [Column(f"occ. {s}", justify="right", priority=4, wrap=True) for s in result.sites]
    rows = []
    for k in result.intervals():
        g = result.group((k, "all", ""))
        sl, ar = g["service_level"], g["answer_rate"]
        sl_low = sc.target_service_level is not None and sl.mean is not None and sl.mean < sc.target_service_level
        ar_low = sc.target_answer_rate is not None and ar.mean is not None and ar.mean < sc.target_answer_rate
        sl_text = Text(fmt("service_level", sl), style="red" if sl_low else "")
        ar_text = Text(fmt("answer_rate", ar), style="red" if ar_low else "")
        row: list[str | Text] = [
            labels[k],
            fmt("offered", g["offered"], ci=False),
            sl_text,
            ar_text,
            fmt("asa_s", g["asa_s"], ci=False),
            fmt("wait_p90_s", g["wait_p90_s"], ci=False),
            fmt("occupancy", g["occupancy"], ci=False),
            estimate_num(g["queue_length"], 2),
        ]
        row += [fmt("occupancy", result.estimate((k, "site", s), "occupancy"), ci=False) for s in result.sites]
        rows.append(row)
    print_table(console, "Per interval (red: below target)", columns, rows, hint=_HINT)


_HINT = "widen the terminal or use --json or --csv"


def write_outputs(result: SimulationResult, args: argparse.Namespace, console: Console, doc: dict[str, Any]) -> None:
    if args.json is not None:
        write_json(args.json, doc)
        if str(args.json) != "-":
            console.print(f"JSON: {args.json}")
    if getattr(args, "csv", None) is not None:
        rows = result.csv_rows()
        write_csv(args.csv, rows, raw=args.raw_csv)
        if str(args.csv) != "-":
            console.print(f"CSV: {args.csv} ({len(rows)} rows)")


def _plot(result: SimulationResult, path: Path | None, console: Console, other: SimulationResult | None = None) -> None:
    if path is None:
        return
    from simulator.plots import plot_result

    plot_result(result, check_writable(path), other=other)
    console.print(f"Plot: {path}")


# ----------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------


def simulate_command(args: argparse.Namespace) -> int:
    if args.single_queue:
        return _single_queue(args)
    _refuse_single_queue_flags(args)
    if not args.replay:
        given = [f"--{f}" for f in ("db", "date") if getattr(args, f, None) is not None]
        if given:
            raise CommandLineError(f"{', '.join(given)}: only with --replay")
    if args.compare:
        return _compare(args)
    if args.replay:
        from cti.cli.replay import replay_command

        return replay_command(args)
    if len(args.scenarios) > 1:
        raise CommandLineError("give one scenario file (two only with --compare)")
    centre = load_centre_arg(args)
    scenario = with_cli_changes(
        args, load_scenario_arg(args.scenarios[0] if args.scenarios else None, centre, args.set or ())
    )
    console = report_console(args)
    result = run_job(make_job(args, centre, scenario), args, "simulating")
    render_result(result, console)
    write_outputs(result, args, console, result.as_dict())
    _plot(result, args.plot, console)
    return EXIT_OK


_SINGLE_QUEUE_ONLY = ("calls", "aht", "agents", "patience", "hours", "interval", "threshold")


def _refuse(args: argparse.Namespace, mode: str, flags: Sequence[str]) -> None:
    given = [f"--{f.replace('_', '-')}" for f in flags if getattr(args, f, None) not in (None, [], ())]
    if given:
        raise CommandLineError(f"{', '.join(given)}: not with {mode}")


def _refuse_single_queue_flags(args: argparse.Namespace) -> None:
    given = [f"--{name}" for name in _SINGLE_QUEUE_ONLY if getattr(args, name, None) is not None]
    if given:
        raise CommandLineError(f"{', '.join(given)}: only with --single-queue")


def _single_queue(args: argparse.Namespace) -> int:
    from simulator.erlang import TooLarge, check_load, erlang_a, erlang_c, offered_load
    from simulator.singlequeue import MAX_AGENTS, MAX_ARRIVALS, single_queue_job

    missing = [f"--{n}" for n in ("calls", "aht", "agents") if getattr(args, n) is None]
    if missing:
        raise CommandLineError(f"--single-queue needs {', '.join(missing)}")
    if args.scenarios:
        raise CommandLineError("--single-queue takes no scenario file")
    _refuse(args, "--single-queue", ("csv", "plot", "set", "remove_agent", "add_agent", "strategy", "config", "days",
                                     "db", "date"))  # fmt: skip
    args.interval = 1800.0 if args.interval is None else args.interval
    args.threshold = 20.0 if args.threshold is None else args.threshold
    hours = args.hours if args.hours is not None else 24.0
    arrivals = args.calls / args.interval * hours * 3600
    if arrivals > MAX_ARRIVALS:
        raise CommandLineError(
            f"--calls, --interval, --hours: {arrivals:,.0f} expected arrivals per replication "
            f"(calls ÷ interval × hours) are too many; at most {MAX_ARRIVALS:,}"
        )
    if args.agents > MAX_AGENTS:
        raise CommandLineError(f"--agents: at most {MAX_AGENTS:,} with --single-queue, got {args.agents:,}")
    load = offered_load(args.calls, args.interval, args.aht)
    analytic: dict[str, float | None]
    try:
        check_load(load)
        if args.patience is not None:
            a = erlang_a(args.agents, load, args.aht, args.threshold, args.patience)
            model = "Erlang A (M/M/n+M)"
            analytic = {"p_wait": a.p_wait, "service_level": a.service_level, "asa_s": a.asa_s,
                        "occupancy": a.occupancy, "p_abandon": a.p_abandon}  # fmt: skip
        else:
            c = erlang_c(args.agents, load, args.aht, args.threshold)
            model = "Erlang C (M/M/n)"
            analytic = {"p_wait": c.p_wait, "service_level": c.service_level, "asa_s": c.asa_s,
                        "occupancy": c.occupancy, "p_abandon": 0.0 if c.stable else None}  # fmt: skip
    except TooLarge as err:
        raise CommandLineError(str(err)) from None
    try:
        job = single_queue_job(
            calls=args.calls,
            interval_s=args.interval,
            aht_s=args.aht,
            agents=args.agents,
            threshold_s=args.threshold,
            patience_s=args.patience,
            hours=hours,
            replications=args.replications if args.replications is not None else 20,
            seed=args.seed if args.seed is not None else 1,
        )
    except ValueError as err:
        raise UsageError(str(err)) from None
    console = report_console(args)
    result = run_job(job, args, "simulating")
    g = result.group((TOTAL, "all", ""))
    keys = [
        "p_wait",
        "service_level",
        "asa_s",
        "occupancy",
        "p_abandon",
        "answer_rate",
        "wait_p90_s",
        "aht_s",
        "offered",
    ]
    doc: dict[str, Any] = {
        "model": model,
        "load_erlangs": load,
        "agents": args.agents,
        "duration_s": job.scenario.close_s,
        "warmup_s": job.scenario.warmup_s,
        "replications": result.replications,
        "seed": job.scenario.seed,
        "calls_simulated": result.calls_simulated,
        "simulated": {k: g[k].as_dict() for k in keys},
        "analytic": analytic,
    }
    rows = []
    for key in ("p_wait", "service_level", "asa_s", "occupancy", "p_abandon"):
        value = analytic.get(key)
        shown = "unstable" if value is None else (f"{value * 100:.1f}%" if key in RATIOS else f"{value:.1f}")
        rows.append([label(key), fmt(key, g[key]), shown])
    columns = (
        Column("figure", wrap=True),
        Column("simulated (95% CI)", justify="right", wrap=True),
        Column("analytic", justify="right"),
    )
    print_table(console, f"One queue: {job.scenario.name}; simulated vs {model}", columns, rows, hint=_HINT)
    console.print(
        f"{result.calls_simulated:,} calls in {result.seconds:.1f} s; {result.replications} replications of "
        f"{job.scenario.close_s / 3600:g} h after a {job.scenario.warmup_s / 60:g}-minute warm-up."
    )
    if args.json is not None:
        write_json(args.json, doc)
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) != 2:
        raise CommandLineError("--compare needs two scenario files: cti simulate --compare A.toml B.toml")
    centre = load_centre_arg(args)
    a = with_cli_changes(args, load_scenario_arg(args.scenarios[0], centre, args.set or ()))
    b = with_cli_changes(args, load_scenario_arg(args.scenarios[1], centre, args.set or ()))
    if (a.open_s, a.close_s, a.interval_s, a.days) != (b.open_s, b.close_s, b.interval_s, b.days):
        raise UsageError(
            "--compare: A and B must have the same days, opening hours and interval length "
            f"(A: {a.days} day(s) {hhmm(a.open_s)}-{hhmm(a.close_s)} by {a.interval_s / 60:g} min; "
            f"B: {b.days} day(s) {hhmm(b.open_s)}-{hhmm(b.close_s)} by {b.interval_s / 60:g} min)"
        )
    # Paired replications: B meets A's callers (same seed, same number of replications).
    b = b.with_changes(seed=a.seed, replications=a.replications)
    if a.replications < 2:
        raise UsageError("--compare needs at least 2 replications for confidence intervals")
    console = report_console(args)
    ra = run_job(make_job(args, centre, a), args, "simulating A")
    rb = run_job(make_job(args, centre, b), args, "simulating B")
    doc = compare_doc(ra, rb, args.scenarios)
    render_compare(ra, rb, doc, console, args.scenarios)
    if args.json is not None:
        write_json(args.json, doc)
    if args.csv is not None:
        write_csv(args.csv, compare_rows(doc), raw=args.raw_csv)
    if args.plot is not None:
        _plot(ra, args.plot, console, other=rb)
    return EXIT_OK


_COMPARED = ("offered", "answered", "abandoned", "answer_rate", "service_level", "asa_s", "wait_p90_s", "occupancy",
             "queue_length", "p_abandon")  # fmt: skip


def _diff_block(a: SimulationResult, b: SimulationResult, k: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in _COMPARED:
        d = paired_difference(a, b, (k, "all", ""), m)
        out[m] = {
            "a": a.estimate((k, "all", ""), m).mean,
            "b": b.estimate((k, "all", ""), m).mean,
            "difference": d.as_dict(),
            "significant": d.significant,
        }
    return out


def compare_doc(a: SimulationResult, b: SimulationResult, names: Sequence[str]) -> dict[str, Any]:
    labels = a.scenario.interval_labels()
    intervals = [k for k in a.intervals() if k in b.intervals()]
    return {
        "a": {"file": names[0], "scenario": a.scenario.name},
        "b": {"file": names[1], "scenario": b.scenario.name},
        "replications": a.replications,
        "seed": a.scenario.seed,
        "paired": "common random numbers: B runs with A's seed and replications",
        "total": _diff_block(a, b, TOTAL),
        "intervals": [{"start": labels[k], **_diff_block(a, b, k)} for k in intervals],
        "results": {"a": a.as_dict(), "b": b.as_dict()},
    }


def compare_rows(doc: dict[str, Any]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for start, block in [("total", doc["total"]), *((iv["start"], iv) for iv in doc["intervals"])]:
        for m in _COMPARED:
            d, diff = block[m], block[m]["difference"]
            rows.append({"interval": start, "figure": m, "a": d["a"], "b": d["b"], "difference": diff["mean"],
                         "ci95": diff["ci95"], "significant": d["significant"]})  # fmt: skip
    return rows


def render_compare(a: SimulationResult, b: SimulationResult, doc: dict[str, Any], console: Console,
                   names: Sequence[str]) -> None:  # fmt: skip
    console.print(
        f"A = {names[0]} ({a.scenario.name}); B = {names[1]} ({b.scenario.name}). {a.replications} paired "
        f"replications with common random numbers (seed {a.scenario.seed}); B − A with its 95% confidence interval."
    )
    columns = (
        Column("figure", wrap=True),
        Column("A", justify="right"),
        Column("B", justify="right"),
        Column("B − A (95% CI)", justify="right", wrap=True),
        Column("significant", justify="right", priority=1),
    )
    rows = []
    for m in _COMPARED:
        d = doc["total"][m]
        rows.append(
            [label(m), format_value(m, d["a"]), format_value(m, d["b"]), format_delta(m, d), _yes(d["significant"])]
        )
    print_table(console, "Totals", columns, rows, hint=_HINT)
    rows = []
    for iv in doc["intervals"]:
        d = iv["service_level"]
        rows.append([iv["start"], format_value("service_level", d["a"]), format_value("service_level", d["b"]),
                     format_delta("service_level", d), _yes(d["significant"])])  # fmt: skip
    print_table(console, "Service level per interval", (Column("start"), *columns[1:]), rows, hint=_HINT)


def _yes(significant: bool) -> str:
    return "yes" if significant else "no"
