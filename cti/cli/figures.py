"""Figures as text: a live run's as tables (total, by site, agent and system), simulated ones with their intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console

from cti.cli.tables import Column, print_table
from routing.centre import Centre
from routing.figures import AgentFigures, Figures, SiteFigures, Summary
from simulator.results import Estimate


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _secs(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


_FIGURE_COLUMNS = (
    Column("offered", justify="right"),
    Column("answered", justify="right", priority=2),
    Column("abandoned", justify="right", priority=2),
    Column("answer rate", justify="right", priority=1, wrap=True),
    Column("service level", justify="right", wrap=True),
    Column("ASA s", justify="right", priority=1),
    Column("AHT s", justify="right", priority=3),
    Column("occupancy", justify="right", priority=3),
)
_HINT = "widen the terminal or use --json"


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
    print_table(console, title, (Column(""), *_FIGURE_COLUMNS), [["total", *_figure_row(summary.total)]], hint=_HINT)
    if summary.interrupted:
        console.print(f"[yellow]{summary.interrupted} call(s) interrupted by a server stop[/]")

    names = {s.id: s.name for s in centre.sites}
    site_columns = (
        Column("site", wrap=True),
        Column("answered", justify="right"),
        Column("ASA s", justify="right"),
        Column("AHT s", justify="right"),
        Column("occupancy", justify="right"),
    )
    site_rows = [[f"{site} {names[site]}", *_site_row(f)] for site, f in summary.by_site.items()]
    print_table(console, "By site (calls answered there)", site_columns, site_rows, hint=_HINT)
    print_agents(console, summary.by_agent, centre)

    system_rows = [[system, *_figure_row(figs)] for system, figs in summary.by_system.items() if figs.offered]
    print_table(console, "By system", (Column("system"), *_FIGURE_COLUMNS), system_rows, hint=_HINT)
    console.print(
        f"service level = answered within {threshold:g} s ÷ offered; ASA = mean wait of answered calls; "
        "AHT = talk + hold + wrap-up; occupancy = on calls and wrap-up ÷ logged in and not in not-ready.",
        style="dim",
    )


def _site_row(f: SiteFigures) -> list[str]:
    return [str(f.answered), _secs(f.asa_s), _secs(f.aht_s), _pct(f.occupancy)]


def _mins(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


_AGENT_COLUMNS = (
    Column("agent"),
    Column("site", priority=2),
    Column("offers", justify="right", priority=1),
    Column("answered", justify="right"),
    Column("missed", justify="right", priority=1),
    Column("as backup", justify="right", wrap=True),
    Column("talk", justify="right", priority=3),
    Column("wrap-up", justify="right", priority=3),
    Column("not ready", justify="right", wrap=True, priority=2),
    Column("logged in", justify="right", wrap=True, priority=3),
    Column("occupancy", justify="right"),
)


def print_agents(console: Console, agents: Sequence[AgentFigures], centre: Centre) -> None:
    """Per agent: offers, answers, missed offers, time by state and occupancy; the backup seat marked."""
    if not agents:
        return
    rows = [
        [
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
        ]
        for a in agents
    ]
    print_table(console, "By agent (times in minutes)", _AGENT_COLUMNS, rows, hint=_HINT)
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

LABELS = {
    "offered": "offered",
    "answered": "answered",
    "abandoned": "abandoned",
    "answer_rate": "answer rate",
    "service_level": "service level",
    "asa_s": "ASA s",
    "aht_s": "AHT s",
    "wait_p90_s": "p90 wait s",
    "occupancy": "occupancy",
    "queue_length": "waiting",
    "p_abandon": "P(abandon)",
    "p_wait": "P(wait)",
}
"""A figure's name in tables, in words (JSON and CSV keep the key)."""


def label(metric: str) -> str:
    """``service_level`` → ``service level``: a figure's label in a table."""
    return LABELS.get(metric, metric.replace("_", " "))


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
