"""Erlang B and C against published values, and where they stop being defined."""

from __future__ import annotations

import itertools
import math

import pytest

from simulator.erlang import agents_for_service_level, erlang_a, erlang_b, erlang_c, offered_load

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


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    a = erlang_a(13, LOAD, 180, 20, patience_s=1e7)
    c = erlang_c(13, LOAD, 180, 20)
    assert c.service_level is not None
    assert c.asa_s is not None
    assert a.service_level == pytest.approx(c.service_level, abs=1e-4)
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-3)
    assert a.p_abandon < 1e-5


def test_erlang_a_abandonment_agrees_with_littles_law_on_the_queue() -> None:
    """P(abandon) from the callers' side equals θ·E[queue]/λ from the queue's side."""
    agents, aht, patience = 12, 200.0, 120.0
    a = erlang_a(agents, 11.5, aht, 20, patience)
    lam, mu, theta = 11.5 / aht, 1 / aht, 1 / patience
    logs, k = [0.0], 0
    while k < 600:
        k += 1
        logs.append(logs[-1] + math.log(lam / (min(k, agents) * mu + max(k - agents, 0) * theta)))
    weights = [math.exp(x - max(logs)) for x in logs]
    queue = sum(max(i - agents, 0) * w for i, w in enumerate(weights)) / sum(weights)
    assert a.p_abandon == pytest.approx(theta * queue / lam, rel=1e-9)


def test_erlang_a_stays_defined_when_the_load_exceeds_the_agents() -> None:
    a = erlang_a(10, 12.0, 180, 20, patience_s=90)
    assert 0 < a.p_abandon < 1
    assert 0 < a.service_level < 1
    assert a.occupancy < 1
    assert a.p_abandon == pytest.approx(1 - a.occupancy * 10 / 12, rel=1e-9)  # answered load is what keeps agents busy


def test_more_patience_means_fewer_abandon_and_longer_waits() -> None:
    short, long = erlang_a(13, LOAD, 180, 20, 60), erlang_a(13, LOAD, 180, 20, 600)
    assert short.p_abandon > long.p_abandon
    assert short.asa_s < long.asa_s


def test_erlang_a_service_level_rises_to_the_answered_share_as_the_threshold_grows() -> None:
    soon, late = erlang_a(13, 12.0, 180, 20, 120), erlang_a(13, 12.0, 180, 3600, 120)
    assert soon.service_level < late.service_level
    assert late.service_level == pytest.approx(1 - late.p_abandon, abs=1e-9)


def test_erlang_a_is_finite_at_two_thousand_agents() -> None:
    a = erlang_a(2000, 1990.0, 180, 20, 180)
    assert 0 < a.p_wait < 1
    assert 0 < a.service_level < 1
    assert 0 < a.p_abandon < 0.1
