"""Civil dates and local times, without :mod:`datetime`.

The IVR never reads a clock or a time zone: the shell passes the centre's
local time in as a :class:`LocalTime`, a day number and the seconds since
local midnight. This module turns day numbers into calendar dates and back
(the proleptic Gregorian calendar, as ``datetime.date`` uses) so that
weekdays and holiday dates can be worked out here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SECONDS_PER_DAY = 86_400
#: ``date.toordinal()`` of 1970-01-01: ``day = date.toordinal() - EPOCH_ORDINAL``.
EPOCH_ORDINAL = 719_163
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a calendar date (may be negative)."""
    y = year - (month <= 2)
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The calendar date (year, month, day) of a day number."""
    z = days + 719_468
    era = (z if z >= 0 else z - 146_096) // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_date(text: str) -> int | None:
    """The day number of an ISO date ``YYYY-MM-DD``, or ``None`` if it is not a real date."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12 or not 1 <= day <= days_in_month(year, month):
        return None
    return days_from_civil(year, month, day)


def iso_date(day: int) -> str:
    year, month, dom = civil_from_days(day)
    return f"{year:04d}-{month:02d}-{dom:02d}"


def weekday(day: int) -> int:
    """Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


def clock_text(seconds: float) -> str:
    """``HH:MM`` of seconds since midnight (``24:00`` for the end of the day)."""
    minutes = int(seconds // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True, order=True)
class LocalTime:
    """A moment in the centre's own time zone.

    ``day``: days since 1970-01-01 in the centre's zone
    (``date.toordinal() - 719163``); ``seconds``: seconds since local
    midnight, from 0 up to (not including) 86,400.
    """

    day: int
    seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.day, bool) or not isinstance(self.day, int):
            raise TypeError(f"LocalTime.day must be an int, got {self.day!r}")
        if not 0 <= self.seconds < SECONDS_PER_DAY:  # also refuses NaN
            raise ValueError(f"LocalTime.seconds must be from 0 to below 86400, got {self.seconds!r}")

    @property
    def weekday(self) -> int:
        """Monday = 0 … Sunday = 6."""
        return weekday(self.day)

    def plus(self, seconds: float) -> LocalTime:
        """The local time ``seconds`` later (the centre's zone keeps no daylight saving here)."""
        total = self.seconds + seconds
        days, rest = divmod(total, SECONDS_PER_DAY)
        return LocalTime(self.day + int(days), rest)

    def __str__(self) -> str:
        return f"{iso_date(self.day)} {clock_text(self.seconds)} ({WEEKDAYS[self.weekday]})"
