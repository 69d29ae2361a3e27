"""Figures as text: a live run's as tables (total, by site, agent and system), simulated ones with their intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from routing.centre import Centre
from routing.figures import AgentFigures, Figures, SiteFigures, Summary
from simulator.results import Estimate


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
    print_agents(console, summary.by_agent, centre)

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


def _mins(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def print_agents(console: Console, agents: Sequence[AgentFigures], centre: Centre) -> None:
    """Per agent: offers, answers, missed offers, time by state and occupancy; the backup seat marked."""
    if not agents:
        return
    table = Table(title="By agent (times in minutes)", title_justify="left")
    columns = ("agent", "site", "offers", "answered", "missed", "as backup", "talk", "wrap-up", "not ready")
    for col in (*columns, "logged in", "occupancy"):
        table.add_column(col, justify="left" if col in {"agent", "site"} else "right")
    for a in agents:
        table.add_row(
            f"{a.agent_id} backup" if a.backup_seat else a.agent_id,
            a.site_id,
            str(a.offers),
            str(a.answered),
            str(a.missed_offers),
            str(a.backup_seat_calls) if a.backup_seat else "–",
            _mins(a.talk_s),
            _mins(a.wrap_up_s),
            _mins(a.not_ready_s),
            _mins(a.logged_in_s),
            _pct(a.occupancy),
        )
    console.print(table)
    waiting = centre.routing.backup_seat_when_waiting
    for a in agents:
        if a.backup_seat:
            console.print(
                f"{a.agent_id} is the backup seat: it takes calls only while {waiting} or more calls it could "
                f"serve wait; it answered {a.backup_seat_calls} call(s) (as backup). Missed = offers that rang "
                "out or that the agent declined (went not-ready while ringing).",
                style="dim",
            )


# ----------------------------------------------------------------------
# Simulated figures: means with 95% intervals, and differences
# ----------------------------------------------------------------------


def _estimate_pct(e: Estimate, *, ci: bool = True) -> str:
    if e.mean is None:
        return "-"
    text = f"{e.mean * 100:.1f}%"
    if ci and e.ci95 is not None:
        text += f" ±{e.ci95 * 100:.1f}"
    return text


def estimate_num(e: Estimate, digits: int = 1, *, ci: bool = False) -> str:
    if e.mean is None:
        return "-"
    text = f"{e.mean:,.{digits}f}"
    if ci and e.ci95 is not None:
        text += f" ±{e.ci95:,.{digits}f}"
    return text


RATIOS = {"answer_rate", "p_abandon", "p_wait", "service_level", "occupancy"}


def fmt(metric: str, e: Estimate, *, ci: bool = True) -> str:
    if metric in RATIOS:
        return _estimate_pct(e, ci=ci)
    return estimate_num(e, 1, ci=ci)


def format_value(metric: str, v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v * 100:.1f}%" if metric in RATIOS else f"{v:,.1f}"


def format_delta(metric: str, d: dict[str, Any]) -> str:
    """A paired difference ``{"difference": {"mean", "ci95"}}`` as ``+1.2 pt ±0.4``."""
    diff = d["difference"]
    if diff["mean"] is None:
        return "-"
    scale, unit = (100.0, " pt") if metric in RATIOS else (1.0, "")
    text = f"{diff['mean'] * scale:+,.1f}{unit}"
    if diff["ci95"] is not None:
        text += f" ±{diff['ci95'] * scale:,.1f}"
    return text
