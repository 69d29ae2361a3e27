"""``cti staff``: the staffing plan per site and interval, as a table, JSON, CSV and a shift-coverage chart."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.text import Text

from cti.cli.output import check_writable, progress_bar, report_console, write_csv, write_json
from cti.cli.scenario import load_centre_arg, load_scenario_arg, what_if_centre, with_cli_changes
from cti.cli.tables import Column, print_table
from cti.errors import UsageError
from simulator.staffing import StaffingResult, StaffSearch

EXIT_OK = 0


def staff_command(args: argparse.Namespace) -> int:
    centre = load_centre_arg(args)
    scenario = with_cli_changes(args, load_scenario_arg(args.scenario, centre, args.set or ()))
    centre = what_if_centre(args, centre)
    console = report_console(args)
    try:
        with progress_bar(not args.quiet, "searching (simulations run)") as update:
            search = StaffSearch(
                centre, scenario, max_per_site=args.max_per_site, workers=args.workers, progress=update
            )
            found = search.run()
    except ValueError as err:
        raise UsageError(str(err)) from None
    doc = staffing_doc(found)
    render_staffing(found, doc, console)
    if args.json is not None:
        write_json(args.json, doc)
    if args.csv is not None:
        write_csv(args.csv, [_flat(iv) for iv in doc["intervals"]], raw=args.raw_csv)
    if args.plot is not None:
        from simulator.plots import plot_staffing

        sc = found.scenario
        plot_staffing(
            sc.interval_labels(),
            found.plan,
            found.erlang_start,
            [iv["service_level"]["mean"] for iv in doc["intervals"]],
            sc.target_service_level,
            check_writable(args.plot),
            f"{sc.name}: agents on duty per site (stacked) against the Erlang A start",
        )
        console.print(f"Plot: {args.plot}")
    return EXIT_OK


def _flat(iv: dict[str, Any]) -> dict[str, object]:
    """One interval of the plan as a CSV row: a column per site, each figure's mean and CI half-width side by side."""
    sl, ar = iv["service_level"], iv["answer_rate"]
    row: dict[str, object] = {"start": iv["start"], "offered": iv["offered"]["mean"], "erlang_a": iv["erlang_a_agents"]}
    row["total"] = iv["agents"]
    row |= {"service_level": sl["mean"], "service_level_ci95": sl["ci95"]}
    row |= {"answer_rate": ar["mean"], "answer_rate_ci95": ar["ci95"], "occupancy": iv["occupancy"]["mean"]}
    row.update({f"agents_{site}": n for site, n in iv["agents_by_site"].items()})
    return row


def staffing_doc(found: StaffingResult) -> dict[str, Any]:
    sc = found.scenario
    labels = sc.interval_labels()
    intervals = []
    for k, label in enumerate(labels):
        g = found.result.group((k, "all", ""))
        intervals.append(
            {
                "start": label,
                "offered": g["offered"].as_dict(),
                "erlang_a_agents": found.erlang_start[k],
                "erlang_a_agents_by_system": {s: n[k] for s, n in found.erlang_by_system.items()},
                "agents_by_site": {s: found.plan[s][k] for s in found.sites},
                "agents": sum(found.plan[s][k] for s in found.sites),
                "service_level": g["service_level"].as_dict(),
                "answer_rate": g["answer_rate"].as_dict(),
                "occupancy": g["occupancy"].as_dict(),
            }
        )
    total = found.result.group((-1, "all", ""))
    return {
        "scenario": sc.name,
        "replications": sc.replications,
        "seed": sc.seed,
        "target_service_level": sc.target_service_level,
        "target_answer_rate": sc.target_answer_rate,
        "simulations": found.simulations,
        "agent_hours": found.agent_hours(),
        "erlang_a_agent_hours": found.erlang_agent_hours(),
        "met": not found.unmet,
        "unmet": [sc.interval_labels()[k] for k in found.unmet],
        "not_judged": [sc.interval_labels()[k] for k in found.unjudged],
        "service_level": total["service_level"].as_dict(),
        "answer_rate": total["answer_rate"].as_dict(),
        "intervals": intervals,
    }


def render_staffing(found: StaffingResult, doc: dict[str, Any], console: Console) -> None:
    sc = found.scenario
    targets = []
    if sc.target_service_level is not None:
        targets.append(f"service level ≥ {sc.target_service_level * 100:.0f}% within {sc.threshold_s:g} s")
    if sc.target_answer_rate is not None:
        targets.append(f"answer rate ≥ {sc.target_answer_rate * 100:.0f}%")
    columns = [
        Column("start"),
        Column("offered", justify="right", priority=2),
        Column("Erlang A", justify="right", priority=1, wrap=True),
        *(Column(site, justify="right", wrap=True) for site in found.sites),
        Column("total", justify="right"),
        Column("service level", justify="right", wrap=True),
        Column("answer rate", justify="right", priority=1, wrap=True),
        Column("occupancy", justify="right", priority=2),
    ]
    unmet = set(doc["unmet"])
    rows = []
    for iv in doc["intervals"]:
        start = Text(iv["start"], style="red") if iv["start"] in unmet else iv["start"]
        rows.append(
            [
                start,
                _f(iv["offered"]["mean"], "{:.1f}"),
                str(iv["erlang_a_agents"]),
                *(str(iv["agents_by_site"][s]) for s in found.sites),
                Text(str(iv["agents"]), style="bold"),
                _pct(iv["service_level"]["mean"], iv["service_level"]["ci95"]),
                _pct(iv["answer_rate"]["mean"], iv["answer_rate"]["ci95"]),
                _pct(iv["occupancy"]["mean"], None),
            ]
        )
    title = f"Staffing plan: {sc.name} ({' and '.join(targets)})"
    print_table(console, title, columns, rows, hint="widen the terminal or use --json or --csv")
    console.print(
        f"{doc['agent_hours']:.1f} agent-hours (Erlang A start: {doc['erlang_a_agent_hours']:.1f}); day's service "
        f"level {_pct(doc['service_level']['mean'], None)}, answer rate {_pct(doc['answer_rate']['mean'], None)}. "
        f"{found.simulations} simulations of {sc.replications} replications each, same callers every time "
        f"(seed {sc.seed})."
    )
    if doc["not_judged"]:
        console.print(f"Inside the warm-up, not judged (kept at the Erlang A start): {', '.join(doc['not_judged'])}.")
    if doc["unmet"]:
        console.print(
            f"[red]Targets missed even with every site at --max-per-site: {', '.join(doc['unmet'])}.[/red] "
            "More agents would not help there within the cap; check skills and templates, or raise --max-per-site.",
        )


def _f(v: float | None, spec: str) -> str:
    return "-" if v is None else spec.format(v)


def _pct(v: float | None, ci: float | None) -> str:
    if v is None:
        return "-"
    return f"{v * 100:.1f}%" + (f" ±{ci * 100:.1f}" if ci is not None else "")
