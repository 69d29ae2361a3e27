"""``cti config default`` and ``cti config check``: the centre file, written out or checked and summarised.

The summary is readable tables: sites and seats, agencies, routing rules and
the skills matrix.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from cti.cli.output import console as output_console
from cti.cli.output import emit_json
from cti.cli.tables import Cell, Column, print_table
from cti.config import as_mapping, default_centre_text, load_centre
from routing import Centre


def print_summary(centre: Centre, source: str, console: Console | None = None) -> None:
    """The centre: sites and seats, languages and who speaks them, agencies, routing rules, the skills matrix."""
    console = console or output_console()
    info = centre.info
    console.print(f"[bold]{escape(info.name)}[/]  ({escape(source)}: valid)")
    console.print(
        f"time zone {escape(info.timezone)}; service level = answered within {info.service_level_seconds:g} s ÷ offered"
    )

    site_columns = (
        Column("site"),
        Column("name", priority=2, wrap=True),
        Column("voice seats", justify="right", wrap=True),
        Column("of which backup", justify="right", wrap=True),
        Column("e-mail seats", justify="right", priority=1, wrap=True),
        Column("agents", wrap=True),
    )
    rows: list[list[Cell]] = []
    for site in centre.sites:
        here = [a for a in centre.agents if a.site == site.id]
        rows.append(
            [
                site.id,
                Text(site.name),  # display text from the file: never read as markup
                str(sum(a.voice for a in here)),
                str(sum(a.voice and a.backup for a in here)),
                str(sum("email" in a.channels for a in here)),
                " ".join(a.id for a in here),
            ]
        )
    print_table(console, "Sites and seats", site_columns, rows)

    language_columns = (
        Column("language"),
        Column("name", priority=2, wrap=True),
        Column("voice", priority=1),
        Column("prompts", priority=1),
        Column("voice agents", justify="right", wrap=True),
        Column("who", priority=3, wrap=True),
    )
    rows = []
    for i, lang in enumerate(centre.languages):
        speakers = [a.id for a in centre.agents if a.voice and lang.id in a.languages]
        rows.append(
            [
                lang.id + (" (default)" if i == 0 else ""),
                Text(lang.name),
                lang.voice or "-",
                lang.prompts or "own",
                str(len(speakers)) if speakers else Text("0", style="red"),
                " ".join(speakers),
            ]
        )
    print_table(console, "Languages", language_columns, rows)

    groups = Counter(str(a.group) for a in centre.agencies)
    prefer = Counter(a.prefer_site for a in centre.agencies if a.prefer_site)
    prioritised = sum(1 for a in centre.agencies if a.priority)
    coded = sum(1 for a in centre.agencies if a.code is not None)
    console.print(
        f"Agencies: {len(centre.agencies)} ("
        + ", ".join(f"{g} {n}" for g, n in groups.most_common())
        + "); prefer a site: "
        + (", ".join(f"{s} {n}" for s, n in sorted(prefer.items())) or "none")
        + f"; with a priority: {prioritised}; with a code: {coded}"
    )
    r = centre.routing
    console.print(
        f"Routing: {r.strategy}; ring {r.ring_timeout_s:g} s, wrap-up {r.wrap_up_s:g} s, "
        f"reject delay {r.reject_delay_s:g} s, not-ready after {r.max_no_answer} misses, "
        f"overflow after {r.overflow_after_s:g} s,\n         backup seat at {r.backup_seat_when_waiting} waiting, "
        f"general queue after {r.max_wait_no_agent_s:g} s"
    )

    columns = [Column("system"), Column("name", wrap=True)]
    for agent in centre.agents:
        columns.append(Column(agent.id + ("*" if agent.backup else "") + ("@" if not agent.voice else ""),
                              justify="center"))  # fmt: skip
    columns.append(Column("voice agents", justify="right", wrap=True))
    rows = []
    for system in centre.systems:
        levels = [str(a.skills[system.id]) if system.id in a.skills else "·" for a in centre.agents]
        served = sum(1 for a in centre.agents if a.voice and system.id in a.skills)
        rows.append([system.id, Text(system.name), *levels, str(served) if served else Text("0", style="red")])
    title = f"Skills matrix: {len(centre.systems)} systems (level 1-5; · none)"
    print_table(console, title, columns, rows, split=True, keys=1)
    console.print("* backup seat   @ e-mail seat (takes no calls)")


def default_command(args: argparse.Namespace) -> int:
    """``cti config default``: the shipped centre file on standard output."""
    sys.stdout.write(default_centre_text())
    return 0


def check_command(args: argparse.Namespace) -> int:
    """``cti config check``: validate a centre file; print its summary (or JSON) and any warnings."""
    loaded = load_centre(args.file)
    warnings = loaded.centre.warnings()
    if args.json is not None and emit_json(args, {"file": loaded.source, "valid": True, **as_mapping(loaded.centre)}):
        return 0
    for warning in warnings:
        print(f"warning: {loaded.source}: {warning}", file=sys.stderr)
    if not args.quiet:
        print_summary(loaded.centre, loaded.source)
    return 0
