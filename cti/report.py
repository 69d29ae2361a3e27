"""Figures from the store, and their tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cti.store import CallRecord, Store
from routing.centre import Centre
from routing.figures import CallFacts, Figures, SiteFigures, Summary, agent_time, summarize


def facts(record: CallRecord) -> CallFacts:
    return CallFacts(
        system=record.system,
        outcome=record.outcome,
        offered_at=record.offered_at,
        answered_at=record.answered_at,
        ended_at=record.ended_at,
        wrap_up_end_at=record.wrap_up_end_at,
        site=record.site,
    )


async def run_summary(store: Store, centre: Centre, run_id: int, end: float) -> Summary:
    """The figures of one run, computed from its calls and agent states in the store."""
    calls = await store.calls(run_id)
    states = await store.agent_states(run_id)
    skills = {a.id: frozenset(a.skills) for a in centre.agents}
    times = agent_time(((s.agent_id, s.site, s.at, s.status) for s in states), skills, end)
    return summarize(
        (facts(c) for c in calls),
        times,
        centre.info.service_level_seconds,
        systems=[s.id for s in centre.systems],
        sites=[s.id for s in centre.sites],
    )


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _secs(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


_FIGURE_COLUMNS = ("offered", "answered", "abandoned", "answer rate", "service level", "ASA s", "AHT s", "occupancy")


def _figure_row(f: Figures) -> list[str]:
    return [
        str(f.offered),
        str(f.answered),
        str(f.abandoned),
        _pct(f.answer_rate),
        _pct(f.service_level),
        _secs(f.asa_s),
        _secs(f.aht_s),
        _pct(f.occupancy),
    ]


def print_summary(console: Console, summary: Summary, centre: Centre, title: str) -> None:
    threshold = centre.info.service_level_seconds
    total = Table(title=title, title_justify="left")
    total.add_column("")
    for col in _FIGURE_COLUMNS:
        total.add_column(col, justify="right")
    total.add_row("total", *_figure_row(summary.total))
    console.print(total)
    if summary.interrupted:
        console.print(f"[yellow]{summary.interrupted} call(s) interrupted by a server stop[/]")

    sites = Table(title="By site (calls answered there)", title_justify="left")
    for col in ("site", "answered", "ASA s", "AHT s", "occupancy"):
        sites.add_column(col, justify="left" if col == "site" else "right")
    names = {s.id: s.name for s in centre.sites}
    for site, f in summary.by_site.items():
        sites.add_row(f"{site} {names[site]}", *_site_row(f))
    console.print(sites)

    systems = Table(title="By system", title_justify="left")
    systems.add_column("system")
    for col in _FIGURE_COLUMNS:
        systems.add_column(col, justify="right")
    for system, figs in summary.by_system.items():
        if figs.offered:
            systems.add_row(system, *_figure_row(figs))
    console.print(systems)
    console.print(
        f"service level = answered within {threshold:g} s ÷ offered; ASA = mean wait of answered calls; "
        "AHT = talk + hold + wrap-up; occupancy = on calls and wrap-up ÷ logged in and not in not-ready.",
        style="dim",
    )


def _site_row(f: SiteFigures) -> list[str]:
    return [str(f.answered), _secs(f.asa_s), _secs(f.aht_s), _pct(f.occupancy)]
