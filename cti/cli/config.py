"""``cti config default`` and ``cti config check``: the centre file, written out or checked and summarised.

The summary is readable tables: sites and seats, agencies, routing rules and
the skills matrix; then, when the file has an ``[ivr]`` table, the IVR: its
languages, timeouts, service hours, menus and prompts.
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
from cti.config import as_mapping, default_centre_text, ivr_mapping, load_centre
from ivr import GENERAL_QUEUE, IvrPlan
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


def print_ivr(plan: IvrPlan | None, centre: Centre, console: Console | None = None) -> None:
    """The IVR: languages and timeouts, service hours, the menus as a table, the prompts."""
    console = console or output_console()
    if plan is None:
        console.print("IVR: none (no [ivr] table): callers reach the queues with their system and agency attached")
        return
    keys = {language: key for key, language in plan.language_menu.items()}
    languages = ", ".join(
        f"{keys[lang.id]} {lang.id}" if lang.id in keys else lang.id for lang in plan.languages
    ) + "".join(f"; {lang.id} hears the {lang.prompts} prompts" for lang in plan.languages if lang.prompts)
    t = plan.timeouts
    console.print(
        f"IVR: languages {escape(languages)}; digit timeout {t.digit_timeout_s:g} s, "
        f"inter-digit {t.inter_digit_timeout_s:g} s, {t.retries} retries then the general queue; "
        f"{len(plan.agency_codes)} agency codes (up to {t.agency_code_max_digits} digits)"
    )
    hours = plan.hours.as_mapping()
    holidays = hours["holidays"]
    assert isinstance(holidays, list)
    span = f" ({holidays[0]} to {holidays[-1]})" if len(holidays) > 1 else (f" ({holidays[0]})" if holidays else "")
    console.print(f"Hours: {plan.hours.describe()}{span}")
    names = {s.id: s.name for s in centre.systems}
    rows: list[list[Cell]] = []
    for menu in plan.menus.values():
        for key, target in menu.options.items():
            if target in plan.menus:
                rows.append([menu.id, key, target, Text("(menu)", style="dim")])
            else:
                rows.append([menu.id, key, target, Text(names.get(target, "any agent"))])
        rows.append([menu.id, "0", GENERAL_QUEUE, Text("any agent", style="dim")])
    columns = (Column("menu"), Column("key", justify="center"), Column("leads to"), Column("name", wrap=True))
    print_table(console, f"Menus: from {plan.main!r}; * repeats a menu", columns, rows)
    survey = plan.survey
    if survey is None:
        console.print("Survey: none (no [survey] table, or enabled = false)")
    else:
        questions = ", ".join(f"{q.id} {q.low}-{q.high}" for q in survey.questions)
        console.print(
            f"Survey after the agent hangs up (press 1 to take it): {escape(questions)}; "
            f"{survey.score} ≤ {survey.dissatisfied_at_most} opens a call-back case for the supervisors; "
            f"satisfied ≥ {survey.satisfied_at_least}, target {survey.target:.0%}"
        )
    said = plan.announcements
    if said is not None:
        what = " and ".join(w for w, on in (("place", said.position), ("wait", said.wait)) if on)
        console.print(
            f"Queue announcements: the {what}, first after {said.after_s:g} s in the queue, then every "
            f"{said.interval_s:g} s" + (f"; the wait rounded up to {said.round_min} min" if said.wait else "")
        )
    texts = [text for texts in plan.prompts.values() for text in texts.values()]
    estimated = sum(1 for text in texts if text.estimated)
    console.print(
        f"Prompts: {len(plan.prompts)} in {', '.join(plan.prompt_languages)}; "
        + (f"{estimated} of {len(texts)} durations estimated from the text" if estimated else "durations measured")
    )


def default_command(args: argparse.Namespace) -> int:
    """``cti config default``: the shipped centre file on standard output."""
    sys.stdout.write(default_centre_text())
    return 0


def check_command(args: argparse.Namespace) -> int:
    """``cti config check``: validate a centre file; print its summary (or JSON) and any warnings."""
    loaded = load_centre(args.file)
    warnings = loaded.centre.warnings()
    doc = {"file": loaded.source, "valid": True, **as_mapping(loaded.centre), "ivr": ivr_mapping(loaded.ivr)}
    if args.json is not None and emit_json(args, doc):
        return 0
    for warning in warnings:
        print(f"warning: {loaded.source}: {warning}", file=sys.stderr)
    if not args.quiet:
        print_summary(loaded.centre, loaded.source)
        print_ivr(loaded.ivr, loaded.centre)
    return 0
