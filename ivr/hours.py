"""Service hours: when the centre answers, per weekday, and its holidays.

Pure arithmetic on :class:`~ivr.civil.LocalTime`: a week of opening windows
(seconds since local midnight, ``[open, close)``) and a set of holiday day
numbers on which the centre is closed all day.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.civil import WEEKDAYS, LocalTime, clock_text, iso_date, weekday

#: The default: 08:30-18:30 every day, as the hotline's seed.
DEFAULT_OPEN = 8 * 3600 + 30 * 60
DEFAULT_CLOSE = 18 * 3600 + 30 * 60


@dataclass(frozen=True, slots=True)
class Window:
    """One opening window of a day, from ``open_s`` up to (not including) ``close_s``."""

    open_s: int
    close_s: int

    def __str__(self) -> str:
        return f"{clock_text(self.open_s)}-{clock_text(self.close_s)}"


DayWindows = tuple[Window, ...]


@dataclass(frozen=True, slots=True)
class Hours:
    """Opening windows for each weekday (Monday first) and the holidays (day numbers).

    At least one weekday has a window (:func:`ivr.plan_from_mapping` refuses
    a centre that never opens), so :meth:`next_opening` always has an answer.
    """

    week: tuple[DayWindows, DayWindows, DayWindows, DayWindows, DayWindows, DayWindows, DayWindows] = (
        (Window(DEFAULT_OPEN, DEFAULT_CLOSE),),
    ) * 7
    holidays: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("hours need seven weekdays")
        if not any(self.week):
            raise ValueError("hours never open")

    def windows(self, day: int) -> DayWindows:
        """The opening windows of a day (none on a holiday)."""
        if day in self.holidays:
            return ()
        return self.week[weekday(day)]

    def is_open(self, local: LocalTime) -> bool:
        return any(w.open_s <= local.seconds < w.close_s for w in self.windows(local.day))

    def next_opening(self, local: LocalTime) -> LocalTime:
        """The first opening at or after ``local`` (``local`` itself when open then)."""
        if self.is_open(local):
            return local
        day = local.day
        # Each holiday removes at most one day's openings, and every week has some: the
        # (holidays + 1)th week from today has an opening no holiday removed.
        for _ in range(7 * (len(self.holidays) + 1) + 1):
            for window in self.windows(day):
                if day > local.day or window.open_s > local.seconds:
                    return LocalTime(day, float(window.open_s))
            day += 1
        raise AssertionError("hours that never open")  # pragma: no cover - refused when built

    def describe(self) -> str:
        """One line for people: ``08:30-18:30 every day; closed on 3 holidays``."""
        texts = [" ".join(str(w) for w in day) or "closed" for day in self.week]
        if len(set(texts)) == 1:
            text = f"{texts[0]} every day"
        else:
            groups: list[tuple[int, int, str]] = []
            for i, t in enumerate(texts):
                if groups and groups[-1][2] == t:
                    groups[-1] = (groups[-1][0], i, t)
                else:
                    groups.append((i, i, t))
            parts = []
            for first, last, t in groups:
                name = WEEKDAYS[first].capitalize()
                if last > first:
                    name += "-" + WEEKDAYS[last].capitalize()
                parts.append(f"{name} {t}")
            text = ", ".join(parts)
        if self.holidays:
            n = len(self.holidays)
            text += f"; closed on {n} holiday{'s' if n != 1 else ''}"
        return text

    def as_mapping(self) -> dict[str, object]:
        """Plain values for JSON: windows per weekday as ``HH:MM-HH:MM``, holidays as ISO dates."""
        return {
            "week": {name: [str(w) for w in day] for name, day in zip(WEEKDAYS, self.week, strict=True)},
            "holidays": [iso_date(d) for d in sorted(self.holidays)],
            "summary": self.describe(),
        }
