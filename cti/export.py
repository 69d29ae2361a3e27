"""``cti export calls``: one CSV row per call, for spreadsheets and scripts."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from cti.privacy import mask_phone
from cti.store import CallRecord

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
    return "" if t is None else datetime.fromtimestamp(t, tz).isoformat(timespec="milliseconds")


def _num(x: float | None) -> str:
    return "" if x is None else repr(x)


def call_row(c: CallRecord, tz: ZoneInfo, *, unmasked: bool = False) -> list[str]:
    """A call as CSV cells.

    Times are ISO-8601 in the centre's time zone (milliseconds). ``wait_s``
    is queue entry to answer for answered calls and queue entry to the end for
    unanswered ones; ``wait_s``, ``talk_s`` and ``wrap_up_s`` are unrounded.
    The caller's number is masked unless ``unmasked``.
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
        c.channel,
        c.system,
        c.agency,
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


def write_calls(out: IO[str], calls: Iterable[CallRecord], timezones: dict[int, str], *, unmasked: bool = False) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CALL_COLUMNS)
    zones: dict[str, ZoneInfo] = {}
    n = 0
    for c in calls:
        name = timezones.get(c.run_id, "UTC")
        tz = zones.get(name) or zones.setdefault(name, ZoneInfo(name))
        writer.writerow(call_row(c, tz, unmasked=unmasked))
        n += 1
    return n
