"""Erlang B and C against published values, and where they stop being defined."""

from __future__ import annotations

import itertools
import math

import pytest

from simulator.erlang import agents_for_service_level, erlang_b, erlang_c, offered_load

# The textbook case: 100 calls in 30 minutes, 180 s handle time (10 erlangs), 13 agents, 20 s threshold.
LOAD = offered_load(100, 1800, 180)


def test_offered_load_is_arrivals_per_second_times_handle_time() -> None:
    assert LOAD == 10.0


def test_erlang_c_matches_the_published_example() -> None:
    c = erlang_c(13, LOAD, 180, 20)
    assert c.stable
    assert c.service_level == pytest.approx(0.7956, abs=5e-5)
    assert c.asa_s == pytest.approx(17.1, abs=0.05)
    assert c.occupancy == pytest.approx(10 / 13)


def test_eighty_percent_in_twenty_seconds_needs_fourteen_agents() -> None:
    assert agents_for_service_level(LOAD, 180, 20, 0.8) == 14


def test_erlang_b_matches_the_closed_form_where_that_does_not_overflow() -> None:
    a, n = 7.5, 12
    closed = (a**n / math.factorial(n)) / sum(a**k / math.factorial(k) for k in range(n + 1))
    assert erlang_b(n, a) == pytest.approx(closed, rel=1e-12)


def test_erlang_c_stays_finite_and_sensible_at_two_thousand_agents() -> None:
    c = erlang_c(2000, 1950.0, 180, 20)
    assert c.stable
    assert c.p_wait is not None
    assert 0 < c.p_wait < 1
    assert c.service_level is not None
    assert 0 < c.service_level < 1


@pytest.mark.parametrize("agents", [9, 10])
def test_erlang_c_with_no_more_agents_than_the_load_is_unstable_not_a_number(agents: int) -> None:
    c = erlang_c(agents, LOAD, 180, 20)
    assert (c.stable, c.p_wait, c.service_level, c.asa_s) == (False, None, None, None)


def test_more_agents_never_lower_the_service_level() -> None:
    levels = [erlang_c(n, LOAD, 180, 20).service_level for n in range(11, 30)]
    assert all(a is not None and b is not None and a <= b for a, b in itertools.pairwise(levels))
