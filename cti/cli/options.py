"""What every command accepts: number types for options, the centre file, the database, times.

Argument types raise :class:`argparse.ArgumentTypeError`, which argparse
turns into a usage error (exit status 2) naming the option. The rest raise
:class:`cti.errors.UsageError` (exit status 1).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from cti.clock import ScaledClock
from cti.config import load_centre, load_default
from cti.errors import UsageError
from cti.store import Store
from routing.centre import Centre

# ----------------------------------------------------------------------
# Argument types
# ----------------------------------------------------------------------


def positive(text: str) -> float:
    value = number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def non_negative(text: str) -> float:
    value = number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def share(text: str) -> float:
    value = number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1 (e.g. 0.8), got {text}")
    return value


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**63 - 1, got {text}")
    return value


def speed(text: str) -> float | str:
    return "max" if text == "max" else positive(text)


# ----------------------------------------------------------------------
# The centre file, the database, times
# ----------------------------------------------------------------------


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
        raise UsageError(f"{option}: {text!r} is neither HH:MM nor an ISO-8601 date and time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.timestamp()


def at_or_now(args: argparse.Namespace, centre: Centre) -> float:
    """``--at`` in centre time, or now."""
    return parse_start(args.at, centre.info.timezone, "--at") if getattr(args, "at", None) else time.time()
