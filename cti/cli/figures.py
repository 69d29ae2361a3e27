"""Figures as text: a live run's as tables (total, by site, agent and system), simulated ones with their intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console

from cti.cli.tables import Column, print_table
from ivr import GENERAL_QUEUE, IvrPlan
from ivr.figures import IvrFigures
from ivr.plan import GENERAL_KEY
from ivr.survey_figures import SurveyFigures
from routing.centre import Centre
from routing.figures import AgentFigures, CallbackFigures, Figures, SiteFigures, Summary
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


def print_summary(
    console: Console,
    summary: Summary,
    centre: Centre,
    title: str,
    *,
    ivr: IvrFigures | None = None,
    plan: IvrPlan | None = None,
    callbacks: CallbackFigures | None = None,
    survey: SurveyFigures | None = None,
) -> None:
    """The queue figures (total, by site, agent and system), then the IVR's if a call reached the IVR (its
    menu choices named after what each key leads to in ``plan``, the centre's IVR), then the call-backs
    keeping their place if any was asked for."""
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
    if ivr is not None and ivr.reached:
        print_ivr(console, ivr, menu_targets(plan) if plan is not None else {})
    if callbacks is not None and callbacks.requested:
        print_callbacks(console, callbacks)
    if survey is not None:
        print_survey(console, survey)


_CALLBACK_COLUMNS = (
    Column("requested", justify="right"),
    Column("completed", justify="right"),
    Column("failed", justify="right"),
    Column("other", justify="right", priority=2),
    Column("dials", justify="right", priority=1),
    Column("mean wait s", justify="right", wrap=True),
    Column("max wait s", justify="right", wrap=True, priority=1),
)


def print_callbacks(console: Console, figures: CallbackFigures) -> None:
    """Call-backs that keep their place: requested, completed, failed, and their waits from the request."""
    row = [
        str(figures.requested),
        str(figures.completed),
        str(figures.failed),
        str(figures.other),
        str(figures.dials),
        _secs(figures.mean_wait_s),
        _secs(figures.max_wait_s),
    ]
    print_table(console, "Call-backs keeping their place", _CALLBACK_COLUMNS, [row], hint=_HINT)
    console.print(
        "A call-back is offered once, when it entered the queue; completed ones count as answered (their wait for "
        "service level and ASA runs from queue entry to the caller's answer), failed ones as abandoned; the wait "
        "here runs from the request to the agent's answer.",
        style="dim",
    )


_SURVEY_COLUMNS = (
    Column("offered", justify="right"),
    Column("taken", justify="right"),
    Column("completed", justify="right"),
    Column("average score", justify="right", wrap=True),
    Column("satisfied", justify="right"),
    Column("target", justify="right"),
    Column("dissatisfied (call back)", justify="right", wrap=True),
)


def print_survey(console: Console, survey: SurveyFigures) -> None:
    """The post-call survey's figures (docs/live-centre.md, "The post-call survey")."""
    met = {None: "", True: " ✓", False: " ✗"}[survey.meets_target]
    row = [
        str(survey.offered),
        str(survey.taken),
        str(survey.completed),
        "-" if survey.average_score is None else f"{survey.average_score:.2f}",
        _pct(survey.satisfied_share) + met,
        _pct(survey.target),
        str(survey.dissatisfied),
    ]
    print_table(console, "Post-call survey", _SURVEY_COLUMNS, [row], hint=_HINT)
    console.print(
        "offered = answered calls the agent ended with the caller on the line; taken = pressed 1; "
        f"completed = every question answered; satisfied = score ≥ {survey.satisfied_at_least} ÷ scores; "
        f"dissatisfied = score ≤ {survey.dissatisfied_at_most}: a call-back case for the supervisors.",
        style="dim",
    )


_IVR_COLUMNS = (
    Column("reached", justify="right"),
    Column("to a queue", justify="right", wrap=True, priority=2),
    Column("abandoned in it", justify="right", wrap=True),
    Column("after hours", justify="right", wrap=True),
    Column("call-back left", justify="right", wrap=True, priority=1),
    Column("to general after failed choices", justify="right", wrap=True),
    Column("general chosen", justify="right", wrap=True, priority=2),
    Column("mean s in it", justify="right", wrap=True, priority=1),
)
_IVR_PARTS = (
    Column("", wrap=True),
    Column("value", wrap=True),
    Column("calls", justify="right"),
    Column("share", justify="right", priority=1),
)
#: How many menu choices the summary lists (the most chosen first); ``--json`` has them all.
TOP_CHOICES = 8


def menu_targets(plan: IvrPlan) -> dict[str, dict[str, str]]:
    """What each key of each menu leads to (a system, ``general`` or another menu), by menu id."""
    return {menu.id: {**menu.options, GENERAL_KEY: GENERAL_QUEUE} for menu in plan.menus.values()}


def print_ivr(console: Console, ivr: IvrFigures, targets: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """The IVR's figures: what became of the calls that reached it, then where callers hung up, the language
    mix, how agencies were identified and the most chosen menu choices (none of it counts as offered).

    A choice is the key pressed; ``targets`` (menu → key → target) adds what it leads to: ``1 → webhr``.
    """
    targets = targets or {}
    row = [
        str(ivr.reached),
        str(ivr.routed),
        str(ivr.abandoned),
        str(ivr.after_hours),
        str(ivr.after_hours_callback),
        str(ivr.general_after_failures),
        str(ivr.general_chosen),
        _secs(ivr.mean_ivr_s),
    ]
    print_table(console, "IVR (calls that reached it)", _IVR_COLUMNS, [row], hint=_HINT)
    rows: list[list[str]] = []

    def part(label: str, counts: Mapping[str, int], of: int | None = None) -> None:
        total = sum(counts.values()) if of is None else of
        for value, n in counts.items():
            rows.append([label, value, str(n), _pct(n / total if total else None)])

    part("hung up in menu", ivr.abandoned_by_menu, ivr.abandoned)
    part("language", ivr.languages)
    part("agency identified by", ivr.agencies)
    chosen = sorted(
        ((menu, value, n) for menu, values in ivr.choices.items() for value, n in values.items()),
        key=lambda c: (-c[2], c[0], c[1]),
    )
    for menu, value, n in chosen[:TOP_CHOICES]:
        in_menu = sum(ivr.choices[menu].values())
        target = targets.get(menu, {}).get(value)
        rows.append(
            [f"chosen in {menu}", value if target is None else f"{value} → {target}", str(n), _pct(n / in_menu)]
        )
    if rows:
        print_table(console, "IVR breakdown", _IVR_PARTS, rows)
    console.print(
        "IVR calls are not offered until they enter a queue: an IVR abandon or an after-hours call is counted "
        "here only, outside offered, service level and ASA, and a queue's wait starts when the call enters it; "
        f"invalid choices {ivr.invalid}, no input {ivr.no_input}"
        + (f", still in the IVR or cut off there {ivr.unfinished}" if ivr.unfinished else "")
        + ".",
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
