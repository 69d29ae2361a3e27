"""Times on the command line: the range accepted, and formatting that survives any stored value.

A date or time given to a command (``--at``, ``--start``) must lie between
:data:`EARLIEST` and :data:`LATEST`; anything else is refused before a
command writes. A database may still hold a time outside that range (written
by an older version, or by hand): it is shown as ``out of range (…)``, never a
traceback, so such a database still lists, shows and exports.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

#: The first and last days a command accepts (in whatever time zone the date is given), with room for due
#: dates and runs after them.
FIRST_DAY = date(1970, 1, 2)
LAST_DAY = date(2999, 12, 31)
RANGE_TEXT = "from 1970-01-02 to 2999-12-31"
#: The same as instants, with a day's margin for any time zone (for times read back from a database).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 2, tzinfo=UTC)


def day_in_range(day: date) -> bool:
    """A day given on the command line is accepted."""
    return FIRST_DAY <= day <= LAST_DAY


def in_range(t: float) -> bool:
    """A stored time is one a command could have been given."""
    return EARLIEST.timestamp() <= t <= LATEST.timestamp()


def local(t: float, tz: ZoneInfo) -> datetime | None:
    """``t`` in the time zone ``tz``, or None when no calendar date can show it."""
    try:
        return datetime.fromtimestamp(t, tz)
    except (OverflowError, ValueError, OSError):
        return None


def out_of_range(t: float) -> str:
    return f"out of range ({t:.0f} s since 1970)"


def iso(t: float | None, tz: ZoneInfo, timespec: str = "seconds") -> str:
    """ISO 8601 with the offset (``2026-11-22T10:26:48+08:00``); "" for None."""
    if t is None:
        return ""
    when = local(t, tz)
    return out_of_range(t) if when is None else when.isoformat(timespec=timespec)


def strf(t: float, tz: ZoneInfo, fmt: str) -> str:
    """``t`` formatted with ``fmt`` in ``tz``, or the out-of-range text."""
    when = local(t, tz)
    return out_of_range(t) if when is None else when.strftime(fmt)
