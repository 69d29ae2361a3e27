"""``cti erlang``: the analytic answer for one interval (Erlang C, or Erlang A with patience)."""

from __future__ import annotations

import argparse
import math

from cti.cli.output import console, emit_json
from cti.cli.tables import Column, print_table
from cti.errors import CommandLineError
from simulator.erlang import TooLarge, agents_for_service_level, check_load, erlang_a, erlang_c, offered_load

EXIT_OK = 0


def erlang_command(args: argparse.Namespace) -> int:
    load = offered_load(args.calls, args.interval, args.aht)
    try:
        check_load(load)
    except TooLarge as exc:
        raise CommandLineError(str(exc)) from None
    model = "Erlang A (M/M/n+M)" if args.patience is not None else "Erlang C (M/M/n)"
    if args.target_sl is not None:
        try:
            agents = agents_for_service_level(load, args.aht, args.threshold, args.target_sl, args.patience)
        except ValueError as exc:
            raise CommandLineError(f"--target-sl: {exc}") from None
    else:
        agents = args.agents
    doc: dict[str, object] = {"model": model, "load_erlangs": load, "agents": agents}
    if args.patience is not None:
        try:
            a = erlang_a(agents, load, args.aht, args.threshold, args.patience)
        except TooLarge as exc:
            raise CommandLineError(str(exc)) from None
        doc |= {
            "stable": True,
            "p_wait": a.p_wait,
            "service_level": a.service_level,
            "asa_s": a.asa_s,
            "occupancy": a.occupancy,
            "p_abandon": a.p_abandon,
        }
    else:
        c = erlang_c(agents, load, args.aht, args.threshold)
        doc |= {
            "stable": c.stable,
            "p_wait": c.p_wait,
            "service_level": c.service_level,
            "asa_s": c.asa_s,
            "occupancy": c.occupancy,
        }
    if emit_json(args, doc):
        return EXIT_OK
    out = console()
    title = (
        f"{model}: {args.calls:g} calls in {args.interval:g} s, AHT {args.aht:g} s = {load:.2f} erlangs; "
        f"{agents} agents" + (f" (fewest for {args.target_sl:.0%} in {args.threshold:g} s)" if args.target_sl else "")
    )
    if not doc["stable"]:
        out.print(
            f"{title}\n[bold red]unstable[/]: {agents} agents cannot keep up with {load:.2f} erlangs; "
            "the queue grows without end (add agents, or give callers a patience with --patience)"
        )
        return EXIT_OK
    out.print(title)
    rows = [
        ["P(wait)", _pct(doc["p_wait"])],
        [f"service level ({args.threshold:g} s)", _pct(doc["service_level"])],
        ["ASA s", f"{doc['asa_s']:.1f}"],
        ["occupancy", _pct(doc["occupancy"])],
    ]
    if "p_abandon" in doc:
        rows.append(["P(abandon)", _pct(doc["p_abandon"])])
    print_table(out, None, (Column("figure", wrap=True), Column("value", justify="right")), rows)
    return EXIT_OK


def _pct(value: object) -> str:
    assert isinstance(value, float)
    return f"{value:.2%}" if math.isfinite(value) else "–"
