"""What the commands share: the centre file, the database, times given as options.

These raise :class:`cti.errors.UsageError` (exit status 1). The types of
number options are in :mod:`cti.cli.arguments`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
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


#: A run given as ``HH:MM`` is placed on a day when it, and its drain, are over by now.
DRAIN_MARGIN_S = 3600.0


def parse_start(
    text: str, timezone: str, option: str = "--start", *, lasting_s: float | None = None, now: float | None = None
) -> float:
    """``HH:MM`` in the centre's time zone, or an ISO-8601 date and time.

    ``HH:MM`` means today; for a run (``lasting_s`` given) it means the latest
    day on which the run and an hour of draining are over by now: today if
    so, else yesterday. A run's calls and cases then lie in the past, so
    steps taken now on its cases come after them. ``now`` defaults to the clock.
    """
    tz = ZoneInfo(timezone)
    try:
        if len(text) <= 5 and ":" in text:
            at = clock_time.fromisoformat(text)
            today = datetime.fromtimestamp(time.time() if now is None else now, tz)
            start = datetime.combine(today.date(), at, tz)
            if lasting_s is not None and start.timestamp() + lasting_s + DRAIN_MARGIN_S > today.timestamp():
                start = datetime.combine(today.date() - timedelta(days=1), at, tz)
            return start.timestamp()
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
