"""Service hours and the civil calendar: open or closed, holidays, the next opening."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr import IvrError, LocalTime, hours_from_mapping
from ivr.civil import EPOCH_ORDINAL, civil_from_days, days_from_civil, iso_date, parse_date, weekday


def day_of(y: int, m: int, d: int) -> int:
    return date(y, m, d).toordinal() - EPOCH_ORDINAL


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> LocalTime:
    return LocalTime(day_of(y, m, d), hh * 3600 + mm * 60)


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_day_numbers_agree_with_the_standard_calendar(when: date) -> None:
    """Day numbers, dates and weekdays are those of datetime.date (the shell's `toordinal() - 719163`)."""
    day = when.toordinal() - EPOCH_ORDINAL
    assert days_from_civil(when.year, when.month, when.day) == day
    assert civil_from_days(day) == (when.year, when.month, when.day)
    assert weekday(day) == when.weekday()
    assert parse_date(when.isoformat()) == day
    assert iso_date(day) == when.isoformat()


@pytest.mark.parametrize("text", ["2027-02-29", "2027-13-01", "2027-04-31", "27-01-01", "2027-1-1", "2027-01-01x"])
def test_impossible_dates_do_not_parse(text: str) -> None:
    assert parse_date(text) is None


def test_a_leap_day_parses() -> None:
    assert parse_date("2028-02-29") == day_of(2028, 2, 29)


@pytest.mark.parametrize("seconds", [-1, 86_400, float("nan")])
def test_a_local_time_is_within_its_day(seconds: float) -> None:
    with pytest.raises(ValueError, match="seconds"):
        LocalTime(0, seconds)


def test_moving_a_local_time_on_crosses_midnight() -> None:
    assert at(2027, 12, 31, 23).plus(2 * 3600) == at(2028, 1, 1, 1)


DEFAULT = hours_from_mapping(None)


EDGES = [(8, 29, False), (8, 30, True), (12, 0, True), (18, 29, True), (18, 30, False), (0, 0, False)]


@pytest.mark.parametrize(("hh", "mm", "is_open"), EDGES)
def test_the_default_hours_are_08_30_to_18_30(hh: int, mm: int, is_open: bool) -> None:
    """Open from 08:30 up to, not including, 18:30, every day of the week."""
    for d in range(7):
        assert DEFAULT.is_open(at(2027, 3, 8 + d, hh, mm)) is is_open


def test_a_holiday_is_closed_all_day() -> None:
    hours = hours_from_mapping({"holidays": ["2027-10-10"]})
    assert not hours.is_open(at(2027, 10, 10, 10))
    assert hours.is_open(at(2027, 10, 11, 10))


WORKWEEK = hours_from_mapping(
    {"daily": "08:30-17:30", "sat": "closed", "sun": "closed", "holidays": ["2027-04-05", "2027-04-06"]}
)


def test_the_next_opening_after_closing_is_the_next_morning() -> None:
    assert DEFAULT.next_opening(at(2027, 3, 10, 18, 30)) == at(2027, 3, 11, 8, 30)
    assert DEFAULT.next_opening(at(2027, 3, 10, 3)) == at(2027, 3, 10, 8, 30)


def test_the_next_opening_when_open_is_now() -> None:
    now = at(2027, 3, 10, 9)
    assert DEFAULT.next_opening(now) == now


def test_the_next_opening_skips_the_week_end() -> None:
    """Friday evening 2027-03-12 → Monday 08:30."""
    assert WORKWEEK.next_opening(at(2027, 3, 12, 20)) == at(2027, 3, 15, 8, 30)
    assert WORKWEEK.next_opening(at(2027, 3, 13, 10)) == at(2027, 3, 15, 8, 30)


def test_the_next_opening_skips_a_week_end_and_the_holidays_after_it() -> None:
    """Friday 2027-04-02 evening; closed Sat, Sun, and the holidays Mon 5 and Tue 6 → Wednesday 7."""
    assert WORKWEEK.next_opening(at(2027, 4, 2, 18)) == at(2027, 4, 7, 8, 30)


def test_a_day_may_have_several_windows_and_a_lunch_break() -> None:
    hours = hours_from_mapping({"daily": ["13:30-17:30", "08:30-12:00"]})
    assert hours.is_open(at(2027, 3, 10, 11, 59))
    assert not hours.is_open(at(2027, 3, 10, 12, 30))
    assert hours.next_opening(at(2027, 3, 10, 12, 30)) == at(2027, 3, 10, 13, 30)


def test_24_00_closes_at_midnight() -> None:
    hours = hours_from_mapping({"daily": "00:00-24:00"})
    assert hours.is_open(at(2027, 3, 10, 23, 59))
    assert hours.is_open(at(2027, 3, 10, 0, 0))


def test_hours_describe_themselves_in_one_line() -> None:
    assert DEFAULT.describe() == "08:30-18:30 every day"
    assert WORKWEEK.describe() == "Mon-Fri 08:30-17:30, Sat-Sun closed; closed on 2 holidays"


DAY_HOURS = st.sampled_from(["closed", "08:30-18:30", "00:00-01:00", "23:00-24:00", "09:00-12:00"])


@given(
    st.lists(DAY_HOURS, min_size=7, max_size=7).filter(lambda days: any(d != "closed" for d in days)),
    st.sets(st.integers(20_000, 20_060), max_size=30),
    st.integers(20_000, 20_060),
    st.integers(0, 86_399),
)
def test_the_next_opening_is_open_and_nothing_before_it_is(
    days: list[str], holidays: set[int], day: int, seconds: int
) -> None:
    """next_opening is open, and no minute from the given time up to it is."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    table = dict(zip(names, days, strict=True)) | {"holidays": [iso_date(h) for h in sorted(holidays)]}
    hours = hours_from_mapping(table)
    now = LocalTime(day, seconds)
    nxt = hours.next_opening(now)
    assert hours.is_open(nxt)
    assert nxt >= now
    t = now
    while t < nxt:
        assert not hours.is_open(t)
        t = t.plus(60 - t.seconds % 60) if t.seconds % 60 else t.plus(60)


BAD = [
    ({"daily": "8:30-18:30"}, "hours.daily", "not a time range"),
    ({"daily": "08:30-25:00"}, "hours.daily", "no such time of day"),
    ({"daily": "24:00-24:00"}, "hours.daily", "no such time of day"),
    ({"daily": "18:30-08:30"}, "hours.daily", "closes before it opens"),
    ({"mon": "09:00-09:00"}, "hours.mon", "closes before it opens"),
    ({"daily": ["08:00-12:00", "11:00-13:00"]}, "hours.daily", "overlap"),
    ({"sat": ["08:00-12:00", 9]}, "hours.sat[1]", "not a time range"),
    ({"daily": "closed"}, "hours", "never open"),
    ({"daily": []}, "hours.daily", "empty"),
    ({"holidays": ["2027-02-30"]}, "hours.holidays[0]", "not a date"),
    ({"holidays": ["2027-01-01", date(2027, 1, 2)]}, "hours.holidays[1]", "not a date"),
    ({"holidays": ["2027-01-01", "2027-01-01"]}, "hours.holidays[1]", "duplicate date"),
    ({"holidays": "2027-01-01"}, "hours.holidays", "wrong type"),
    ({"monday": "closed"}, "hours.monday", "unknown key"),
]


@pytest.mark.parametrize(("table", "path", "problem"), BAD, ids=[f"{b[1]}-{b[2]}" for b in BAD])
def test_bad_hours_are_refused_with_their_field(table: dict[str, object], path: str, problem: str) -> None:
    with pytest.raises(IvrError) as err:
        hours_from_mapping(table)
    assert err.value.path == path
    assert problem in err.value.problem


def test_a_week_of_days_is_found_in_a_year() -> None:
    """Sanity of the walk: from 2027-01-01 a year of next openings lands on every day once (all open)."""
    start = at(2027, 1, 1, 19)
    seen = set()
    t = start
    for _ in range(365):
        t = DEFAULT.next_opening(t.plus(12 * 3600))
        seen.add(t.day)
    assert len(seen) == 365
    assert t.day - start.day == 365
    assert date.fromordinal(t.day + EPOCH_ORDINAL) == date(2027, 1, 1) + timedelta(days=365)
