"""``cti calls list`` and ``cti calls show``: the calls a run kept, filtered, and one call in full.

Both give a call the same shape in JSON (:func:`call_dict`): ids, the
caller's number (masked unless a supervisor asks), ISO-8601 times with the
centre's offset and the durations in seconds. ``show`` adds the call's
journal, with each verb's data named, its case and the screen pop its agents
saw.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cti.casework.cases import CaseRecord
from cti.casework.privacy import mask_phone, mask_record, mask_text
from cti.cli import times
from cti.cli.audit import audit_unmasked
from cti.cli.options import centre_for, with_store
from cti.cli.output import check_writable, console, emit_json, write_csv
from cti.cli.roles import supervisor
from cti.cli.screenpop import pop_for_view, pop_json, print_pop
from cti.cli.tables import Column, clock_text, print_table, time_text
from cti.cli.terminal import markup
from cti.errors import CommandLineError, UsageError
from cti.store import CALL_OUTCOMES, CallRecord, JournalEntry, Store
from routing.centre import Centre

EXIT_OK = 0


# ----------------------------------------------------------------------
# A call as data
# ----------------------------------------------------------------------


def _iso(t: float | None, tz: ZoneInfo) -> str | None:
    return None if t is None else times.iso(t, tz)


def _short(t: float | None, tz: ZoneInfo) -> str:
    return "–" if t is None else times.strf(t, tz, "%Y-%m-%d %H:%M")


def wait_s(c: CallRecord) -> float | None:
    """Queue entry to answer (answered calls) or to the end (unanswered ones), as ``cti export calls`` has it."""
    if c.offered_at is None:
        return None
    end = c.answered_at if c.answered_at is not None else c.ended_at
    return None if end is None else end - c.offered_at


def talk_s(c: CallRecord) -> float | None:
    return None if c.answered_at is None or c.ended_at is None else c.ended_at - c.answered_at


def wrap_up_s(c: CallRecord) -> float | None:
    return None if c.ended_at is None or c.wrap_up_end_at is None else c.wrap_up_end_at - c.ended_at


def call_dict(c: CallRecord, tz: ZoneInfo, *, unmasked: bool) -> dict[str, Any]:
    """A call as JSON: the row of ``calls list --json`` and the top of ``calls show --json``.

    The shape is ``$defs/call`` in ``cti/cli/schemas/common.json``. Masked, the caller's number keeps its
    last three digits and numbers and IDs in free text (notes, IVR values, channel) are masked.
    """
    doc = {
        "call_id": c.call_id,
        "run_id": c.run_id,
        "channel": c.channel,
        "caller_number": c.caller,
        "dialled": c.dialled,
        "system": c.system,
        "agency": c.agency,
        "queue": c.queue,
        "site_id": c.site,
        "agent_id": c.agent,
        "arrived_at": _iso(c.arrived_at, tz),
        "offered_at": _iso(c.offered_at, tz),
        "rang_at": _iso(c.rang_at, tz),
        "answered_at": _iso(c.answered_at, tz),
        "ended_at": _iso(c.ended_at, tz),
        "wrap_up_end_at": _iso(c.wrap_up_end_at, tz),
        "outcome": c.outcome or "in-progress",
        "state": c.state,
        "ended_by": c.ended_by,
        "wait_s": wait_s(c),
        "talk_s": talk_s(c),
        "wrap_up_s": wrap_up_s(c),
        "offers": c.offers,
        "entry_position": c.entry_position,
        "person_id": c.person_id,
        "case_id": c.case_id,
        "ivr": json.loads(c.ivr) if c.ivr else {},
        "language": c.language,
        "ivr_outcome": c.ivr_outcome,
        "ivr_s": c.ivr_s,
        "disposition": c.disposition,
        "notes": c.notes,
    }
    return doc if unmasked else mask_record(doc)


def _csv_row(row: dict[str, Any]) -> dict[str, object]:
    """A :func:`call_dict` as a CSV row: the IVR choices as JSON text (empty when the caller made none)."""
    return {**row, "ivr": json.dumps(row["ivr"], ensure_ascii=False) if row["ivr"] else None}


# ----------------------------------------------------------------------
# cti calls list
# ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallFilter:
    """The filters of ``cti calls list``, checked against the centre file."""

    since: float | None = None
    until: float | None = None
    system: str | None = None
    agency: str | None = None
    site: str | None = None
    agent: str | None = None
    outcome: str | None = None
    last: int | None = None


def call_filter(args: argparse.Namespace, centre: Centre) -> CallFilter:
    """The filters given, or a :class:`CommandLineError` naming a value the centre does not know."""
    known = {
        "system": [s.id for s in centre.systems],
        "agency": [a.id for a in centre.agencies],
        "site": [s.id for s in centre.sites],
        "agent": [a.id for a in centre.agents],
        "outcome": list(CALL_OUTCOMES),
    }
    plural = {"system": "systems", "agency": "agencies", "site": "sites", "agent": "agents", "outcome": "outcomes"}
    for option, values in known.items():
        value = getattr(args, option)
        if value is not None and value not in values:
            raise CommandLineError(
                f"--{option}: {value!r} is not one of the centre's {plural[option]}: {', '.join(values)}"
            )
    since = until = None
    if args.date is not None:
        since, until = day_bounds(args.date, centre.info.timezone)
    return CallFilter(since, until, args.system, args.agency, args.site, args.agent, args.outcome, args.last)


def day_bounds(text: str, timezone: str) -> tuple[float, float]:
    """``YYYY-MM-DD`` as the Unix times of that day's start and of the next day's, in the centre's time zone."""
    tz = ZoneInfo(timezone)
    try:
        day = date.fromisoformat(text)
        if len(text) != 10:
            raise ValueError(text)
        if not times.day_in_range(day):
            raise CommandLineError(f"--date: {text!r} is out of range; give a date {times.RANGE_TEXT}")
        start = datetime.combine(day, time(), tz)
        return start.timestamp(), datetime.combine(day + timedelta(days=1), time(), tz).timestamp()
    except ValueError:
        raise CommandLineError(f"--date: {text!r} is not a date (expected YYYY-MM-DD)") from None
    except OverflowError:
        raise CommandLineError(f"--date: {text!r} is out of range") from None


def _stdout_outputs(args: argparse.Namespace) -> list[str]:
    return [f"--{name}" for name in ("json", "csv") if str(getattr(args, name)) == "-"]


def list_command(args: argparse.Namespace) -> int:
    """Calls matching the filters, oldest first: a table, ids only, JSON or CSV."""
    centre = centre_for(args)
    tz = ZoneInfo(centre.info.timezone)
    found_filter = call_filter(args, centre)
    to_stdout = _stdout_outputs(args)
    if len(to_stdout) + args.ids > 1:
        given = to_stdout + (["--ids"] if args.ids else [])
        raise CommandLineError(f"{' and '.join(given)}: only one of them can write to standard output")
    for name in ("json", "csv"):
        path: Path | None = getattr(args, name)
        if path is not None and str(path) != "-":
            check_writable(path)
    member = supervisor(args.db, args.by) if args.unmasked else None

    async def work(store: Store) -> int:
        if member is not None:
            await audit_unmasked(store, member, "list-calls-unmasked", str(args.db))
        f = found_filter
        calls = await store.find_calls(
            since=f.since,
            until=f.until,
            system=f.system,
            agency=f.agency,
            site=f.site,
            agent=f.agent,
            outcome=f.outcome,
            last=f.last,
        )
        rows = [call_dict(c, tz, unmasked=member is not None) for c in calls]
        if args.csv is not None:
            write_csv(args.csv, [_csv_row(r) for r in rows], raw=args.raw_csv)
        if args.json is not None:
            emit_json(args, rows)
        if args.ids:
            for c in calls:
                print(c.call_id)
        elif not to_stdout:
            print_calls(calls, tz, centre.info.timezone, unmasked=member is not None)
        return EXIT_OK

    return with_store(args.db, work)


_CALL_COLUMNS = (
    Column("call"),
    Column("arrived"),
    Column("caller", priority=3),
    Column("system"),
    Column("agency", priority=2),
    Column("site", priority=2),
    Column("agent", priority=1),
    Column("outcome"),
    Column("wait s", justify="right", wrap=True, priority=1),
    Column("talk s", justify="right", wrap=True, priority=2),
    Column("case", priority=3),
)
_JOURNAL_COLUMNS = (
    Column("when"),
    Column("event"),
    Column("queue", priority=2),
    Column("agent", priority=1),
    Column("rule", priority=3),
    Column("data", wrap=True, min_width=16),
)


def print_calls(calls: list[CallRecord], tz: ZoneInfo, timezone: str, *, unmasked: bool) -> None:
    """The calls as a table, oldest first."""
    out = console()
    rows = []
    for c in calls:
        wait, talk = wait_s(c), talk_s(c)
        rows.append(
            [
                c.call_id,
                time_text(c.arrived_at, tz),
                c.caller if unmasked else mask_phone(c.caller),
                c.system or "–",
                c.agency or "–",
                c.site or "–",
                c.agent or "–",
                c.outcome or "in progress",
                "–" if wait is None else f"{wait:.1f}",
                "–" if talk is None else f"{talk:.1f}",
                c.case_id or "–",
            ]
        )
    print_table(out, f"{len(calls)} call(s), oldest first; times in {timezone}", _CALL_COLUMNS, rows)


# ----------------------------------------------------------------------
# cti calls show
# ----------------------------------------------------------------------


def journal_dict(e: JournalEntry, tz: ZoneInfo) -> dict[str, Any]:
    """A journal entry as JSON: its named data fields beside its time, verb, queue, agent and rule.

    The shape is ``$defs/journal_entry`` in ``cti/cli/schemas/common.json``.
    """
    data = {name: _iso(v, tz) if isinstance(v, float) and e.kinds[name] == "time" else v for name, v in e.data.items()}
    return {"at": _iso(e.at, tz), "event": e.event, "queue": e.queue, "agent_id": e.agent_id, "rule": e.rule, **data}


#: How each named journal datum reads in a table.
_LABELS = {
    "position": "position {}",
    "entry_position": "position at entry {}",
    "ring_until": "rings until {}",
    "overflow": "overflow {}",
    "backup_seat": "backup seat {}",
    "ring_s": "rang {} s",
    "reason": "why: {}",
    "wait_s": "waited {} s",
    "talk_s": "talked {} s",
    "estimate_s": "estimate {} s",
    "naive_s": "naive {} s",
    "last_state": "last known state {}",
    "language": "language {}",
    "step": "{}",
    "menu": "in menu {}",
    "value": "value {}",
    "ivr_outcome": "{}",
    "where": "to {}",
    "ivr_s": "{} s in the IVR",
    "opens_at": "opens {}",
}
#: Journal times that need not fall on the call's day (the next opening, after hours): shown with their date,
#: as the screen pop's times are; the others are times of day within the call.
_DATED = frozenset({"opens_at"})


def journal_text(e: JournalEntry, tz: ZoneInfo) -> str:
    """A journal entry's data in words: ``rings until 10:26:48, overflow no, backup seat no``."""
    parts: dict[str, str] = {}
    for name, value in e.data.items():
        kind = e.kinds[name]
        if kind == "time" and isinstance(value, float):
            shown = time_text(value, tz) if name in _DATED else times.strf(value, tz, "%H:%M:%S")
        elif kind == "flag":
            shown = "yes" if value else "no"
        elif kind in ("seconds", "ms") and isinstance(value, float):
            shown = f"{value:.1f}"
        else:
            shown = str(value)
        parts[name] = _LABELS.get(name, name + " {}").format(shown)
    if e.event == "ABANDON" and e.data.get("position") == 0:
        parts["position"] = "was ringing"
    if e.event == "IVREND" and e.data.get("ivr_outcome") == "ivr-abandoned" and "where" in parts:
        parts["where"] = f"hung up in menu {e.data['where']}"
    return ", ".join(parts.values())


def case_summary(case: CaseRecord, tz: ZoneInfo, *, unmasked: bool) -> dict[str, Any]:
    """What ``calls show`` tells of the call's case: where it stands, its disposition and notes."""
    doc = {
        "case_id": case.case_id,
        "status": case.status,
        "tier": case.tier,
        "owner": case.owner,
        "priority": case.priority,
        "due_at": _iso(case.due_at, tz),
        "closed_at": _iso(case.closed_at, tz),
        "disposition": case.disposition,
        "notes": case.notes,
    }
    return doc if unmasked else mask_record(doc)


def show_command(args: argparse.Namespace) -> int:
    """One call: its row, journal, case and the screen pop its agents saw."""
    centre = centre_for(args)
    tz = ZoneInfo(centre.info.timezone)
    member = supervisor(args.db, args.by) if args.unmasked else None

    async def work(store: Store) -> int:
        call = await store.call_by_id(args.call_id)
        if call is None:
            raise UsageError(f"no call {args.call_id!r} in {args.db}")
        if member is not None:
            await audit_unmasked(store, member, "show-call-unmasked", call.call_id)
        unmasked = member is not None
        journal = await store.journal(call.call_id)
        case = await store.get_case(call.case_id) if call.case_id else None
        pop = await store.screen_pops(call.call_id)
        pop_doc = await pop_for_view(store, json.loads(pop), unmasked) if pop else None
        if args.json is not None:
            doc = call_dict(call, tz, unmasked=unmasked)
            doc["case"] = case_summary(case, tz, unmasked=unmasked) if case is not None else None
            doc["journal"] = [journal_dict(e, tz) if unmasked else mask_record(journal_dict(e, tz)) for e in journal]
            doc["screen_pop"] = None if pop_doc is None else pop_json(pop_doc, tz)
            if emit_json(args, doc):
                return EXIT_OK
        out = console()
        row = {key: markup(str(value or "–")) for key, value in call_dict(call, tz, unmasked=unmasked).items()}
        out.print(
            f"[bold]Call {row['call_id']}[/] (run {call.run_id}) from {row['caller_number']}: {row['system']}, "
            f"{row['agency']}; outcome {markup(call.outcome or 'in progress')}; agent {row['agent_id']}"
        )
        if call.ivr_outcome is not None or call.language is not None:
            ivr_s = "–" if call.ivr_s is None else f"{call.ivr_s:.1f}"
            out.print(f"language {row['language']}; IVR outcome {row['ivr_outcome']}; {ivr_s} s in the IVR")
        if case is not None:
            summary = {
                key: markup(str(value or "–")) for key, value in case_summary(case, tz, unmasked=unmasked).items()
            }
            out.print(
                f"case {summary['case_id']}: {summary['status']}, {summary['tier']}, owner {summary['owner']}; "
                f"disposition {summary['disposition']}; notes: {summary['notes']}",
                highlight=False,
            )
        else:
            out.print("case: –")
        rows = [
            [
                clock_text(e.at, tz),
                e.event,
                e.queue or "–",
                e.agent_id or "–",
                e.rule or "–",
                journal_text(e, tz) if unmasked else mask_text(journal_text(e, tz)),
            ]
            for e in journal
        ]
        print_table(out, f"Journal (times in {centre.info.timezone})", _JOURNAL_COLUMNS, rows)
        if pop_doc is not None:
            print_pop(out, pop_doc, tz)
        else:
            out.print("no screen pop recorded (the call never entered a queue, or predates screen pops)")
        return EXIT_OK

    return with_store(args.db, work)
