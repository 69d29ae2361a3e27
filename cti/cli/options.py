"""What the commands share: the centre file, the database, times given as options.

These raise :class:`cti.errors.UsageError` (exit status 1). The types of
number options are in :mod:`cti.cli.arguments`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from cti.cli import times
from cti.clock import ScaledClock
from cti.config import load_centre, load_default
from cti.errors import CommandLineError
from cti.store import Store
from routing.centre import Centre


def centre_for(args: argparse.Namespace) -> Centre:
    """The centre of ``--config``, or the shipped DGPA centre."""
    return (load_centre(args.config) if getattr(args, "config", None) else load_default()).centre


def with_store(db: Path, work: Callable[[Store], Awaitable[int]]) -> int:
    """Open the database a run wrote, do ``work`` with it, and close it."""

    async def main() -> int:
        store = await Store.open_existing(db, ScaledClock(0.0))
        async with store:
            return await work(store)

    return asyncio.run(main())


def parse_start(text: str, timezone: str, option: str = "--start") -> float:
    """``HH:MM`` (today, in the centre's time zone) or an ISO-8601 date and time."""
    tz = ZoneInfo(timezone)
    try:
        if len(text) <= 5 and ":" in text:
            at = clock_time.fromisoformat(text)
            return datetime.combine(datetime.now(tz).date(), at, tz).timestamp()
        when = datetime.fromisoformat(text)
    except ValueError:
        raise CommandLineError(f"{option}: {text!r} is neither HH:MM nor an ISO-8601 date and time") from None
    if not times.day_in_range(when.date()):
        raise CommandLineError(f"{option}: {text!r} is out of range; give a date {times.RANGE_TEXT}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.timestamp()


def at_or_now(args: argparse.Namespace, centre: Centre) -> float:
    """``--at`` in centre time, or now."""
    return parse_start(args.at, centre.info.timezone, "--at") if getattr(args, "at", None) else time.time()
