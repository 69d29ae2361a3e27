"""``cti export calls`` and ``cti export cases``: one CSV row per call or case, for spreadsheets and scripts."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from cti.casework.cases import CaseRecord
from cti.casework.privacy import mask_phone, mask_text
from cti.cli import times
from cti.cli.audit import audit_unmasked
from cti.cli.options import at_or_now, centre_for, with_store
from cti.cli.output import csv_cells
from cti.cli.roles import supervisor
from cti.clock import ScaledClock
from cti.errors import UsageError
from cti.store import CallRecord, Store

#: The columns, in order. Ids, never display names.
CALL_COLUMNS: tuple[str, ...] = (
    "call_id",
    "run_id",
    "channel",
    "system",
    "agency",
    "queue",
    "site",
    "agent",
    "caller",
    "offered_at",
    "rang_at",
    "answered_at",
    "ended_at",
    "wrap_up_end_at",
    "outcome",
    "ended_by",
    "wait_s",
    "talk_s",
    "wrap_up_s",
    "offers",
    "entry_position",
    "case_id",
    "person_id",
    "disposition",
)


def _iso(t: float | None, tz: ZoneInfo) -> str:
    return times.iso(t, tz, "milliseconds")


def _iso_seconds(t: float | None, tz: ZoneInfo) -> str:
    return times.iso(t, tz)


def _num(x: float | None) -> str:
    return "" if x is None else repr(x)


def call_row(c: CallRecord, tz: ZoneInfo, *, unmasked: bool = False) -> list[str]:
    """A call as CSV cells.

    Times are ISO-8601 in the centre's time zone (milliseconds). ``wait_s``
    is queue entry to answer for answered calls and queue entry to the end for
    unanswered ones; ``wait_s``, ``talk_s`` and ``wrap_up_s`` are unrounded.
    The caller's number is masked unless ``unmasked``, and so are numbers and IDs in the channel.
    """
    if c.offered_at is None:
        wait = None
    elif c.answered_at is not None:
        wait = c.answered_at - c.offered_at
    elif c.ended_at is not None:
        wait = c.ended_at - c.offered_at
    else:
        wait = None
    talk = c.ended_at - c.answered_at if c.answered_at is not None and c.ended_at is not None else None
    wrap = c.wrap_up_end_at - c.ended_at if c.wrap_up_end_at is not None and c.ended_at is not None else None
    return [
        c.call_id,
        str(c.run_id),
        c.channel if unmasked else mask_text(c.channel),
        c.system or "",
        c.agency or "",
        c.queue or "",
        c.site or "",
        c.agent or "",
        c.caller if unmasked else mask_phone(c.caller),
        _iso(c.offered_at, tz),
        _iso(c.rang_at, tz),
        _iso(c.answered_at, tz),
        _iso(c.ended_at, tz),
        _iso(c.wrap_up_end_at, tz),
        c.outcome or "in-progress",
        c.ended_by or "",
        _num(wait),
        _num(talk),
        _num(wrap),
        str(c.offers),
        "" if c.entry_position is None else str(c.entry_position),
        c.case_id or "",
        c.person_id or "",
        c.disposition or "",
    ]


def write_calls(
    out: IO[str], calls: Iterable[CallRecord], timezones: dict[int, str], *, unmasked: bool = False, raw: bool = False
) -> int:
    """The calls as CSV; cells that a spreadsheet would run as a formula are neutralised unless ``raw``."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CALL_COLUMNS)
    zones: dict[str, ZoneInfo] = {}
    n = 0
    for c in calls:
        name = timezones.get(c.run_id, "UTC")
        tz = zones.get(name) or zones.setdefault(name, ZoneInfo(name))
        writer.writerow(csv_cells(call_row(c, tz, unmasked=unmasked), raw=raw))
        n += 1
    return n


def export_calls_command(args: argparse.Namespace) -> int:
    db: Path = args.db
    member = supervisor(db, args.by) if args.unmasked else None

    async def read() -> int:
        async with await Store.open_existing(db, ScaledClock(0.0)) as store:
            runs = await store.runs()
            if args.run_id is not None and args.run_id not in {r[0] for r in runs}:
                known = ", ".join(str(r[0]) for r in runs) or "none"
                raise UsageError(f"--run: run {args.run_id} is not in {db} (runs: {known})")
            if member is not None:
                target = f"{db} run {args.run_id}" if args.run_id is not None else str(db)
                await audit_unmasked(store, member, "export-calls-unmasked", target)
            calls = await store.calls(args.run_id)
            timezones = {r[0]: r[5] for r in runs}
            return write_calls(sys.stdout, calls, timezones, unmasked=member is not None, raw=args.raw_csv)

    asyncio.run(read())
    return 0


#: ``cti export cases`` columns, in order.
CASE_EXPORT_COLUMNS: tuple[str, ...] = (
    "case_id",
    "call_id",
    "caller_number",
    "person_id",
    "system",
    "agency",
    "channel",
    "status",
    "tier",
    "owner",
    "priority",
    "created_at",
    "due_at",
    "closed_at",
    "overdue",
    "disposition",
    "notes",
)


def write_cases(
    out: IO[str], cases: Iterable[CaseRecord], tz: ZoneInfo, at: float, *, unmasked: bool, raw: bool = False
) -> int:
    """The cases as CSV; cells that a spreadsheet would run as a formula are neutralised unless ``raw``."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CASE_EXPORT_COLUMNS)
    n = 0
    for c in cases:
        writer.writerow(
            csv_cells(
                [
                    c.case_id,
                    c.call_id or "",
                    c.caller if unmasked else mask_phone(c.caller),
                    c.person_id or "",
                    c.system,
                    c.agency,
                    c.channel if unmasked else mask_text(c.channel),
                    c.status,
                    c.tier,
                    (c.owner if unmasked else c.owner and mask_text(c.owner)) or "",
                    c.priority,
                    _iso_seconds(c.created_at, tz),
                    _iso_seconds(c.due_at, tz),
                    _iso_seconds(c.closed_at, tz),
                    "1" if c.overdue(at) else "0",
                    c.disposition or "",
                    (c.notes if unmasked else c.notes and mask_text(c.notes)) or "",
                ],
                raw=raw,
            )
        )
        n += 1
    return n


def export_cases_command(args: argparse.Namespace) -> int:
    centre = centre_for(args)
    member = supervisor(args.db, args.by) if args.unmasked else None
    tz = ZoneInfo(centre.info.timezone)
    at = at_or_now(args, centre)

    async def work(store: Store) -> int:
        if member is not None:
            await audit_unmasked(store, member, "export-cases-unmasked", str(args.db))
        cases = await store.cases()
        write_cases(sys.stdout, cases, tz, at, unmasked=member is not None, raw=args.raw_csv)
        return 0

    return with_store(args.db, work)
