"""The figures' definitions, on calls whose figures are known by hand."""

from __future__ import annotations

import pytest

from routing.figures import CallFacts, agent_time, figures, summarize

CALLS = [
    # answered after 10 s of wait, talk 100, wrap-up 20
    CallFacts("webhr", "answered", offered_at=0, answered_at=10, ended_at=110, wrap_up_end_at=130, site="nantou"),
    # answered after 30 s, talk 50, wrap-up 10
    CallFacts("webhr", "answered", offered_at=0, answered_at=30, ended_at=80, wrap_up_end_at=90, site="taipei"),
    CallFacts("ecpa", "abandoned", offered_at=5, ended_at=50),
    CallFacts("ecpa", "interrupted", offered_at=5),
    CallFacts("ecpa", "rejected", offered_at=None),  # never entered a queue: not offered
]


def test_offered_answered_abandoned_and_the_rates() -> None:
    f = figures(CALLS, threshold_s=20, occupancy=None)
    assert (f.offered, f.answered, f.abandoned) == (4, 2, 1)
    assert f.answer_rate == 0.5
    assert f.service_level == 0.25  # one call within 20 s, out of four offered
    assert f.asa_s == 20.0
    assert f.aht_s == (120 + 60) / 2


def test_no_calls_give_no_ratios_rather_than_zeros() -> None:
    f = figures([], threshold_s=20, occupancy=None)
    assert (f.offered, f.answer_rate, f.service_level, f.asa_s) == (0, None, None, None)


def test_occupancy_counts_calls_and_wrap_up_over_time_logged_in_and_not_in_not_ready() -> None:
    states = [
        ("N1", "nantou", 0.0, "ready"),
        ("N1", "nantou", 10.0, "talking"),  # 10..110 busy
        ("N1", "nantou", 110.0, "wrap-up"),  # 110..130 busy
        ("N1", "nantou", 130.0, "not-ready"),  # 130..230 away
        ("N1", "nantou", 230.0, "ready"),  # 230..300 available
        ("N1", "nantou", 300.0, "logged-out"),
    ]
    [t] = agent_time(states, {"N1": frozenset({"webhr"})}, end=1000.0)
    assert t.busy_s == 120.0
    assert t.available_s == 200.0
    summary = summarize(CALLS, [t], 20, systems=["webhr", "ecpa"], sites=["nantou", "taipei"])
    assert summary.total.occupancy == pytest.approx(0.6)
    assert summary.by_site["nantou"].answered == 1
    assert summary.by_site["taipei"].occupancy is None  # nobody logged in there
    assert summary.interrupted == 1
    assert summary.by_system["webhr"].occupancy == pytest.approx((120 + 60) / 200)


def test_call_back_figures_count_requests_completions_failures_and_waits_from_the_request() -> None:
    """Completed: answered; failed: callback-failed; the wait runs from the request to the agent's acceptance."""
    from routing.figures import CallbackFacts, callback_figures

    got = callback_figures(
        [
            CallbackFacts(100.0, "answered", 160.0, 1),
            CallbackFacts(200.0, "answered", 500.0, 2),
            CallbackFacts(300.0, "callback-failed", 900.0, 3),
            CallbackFacts(400.0, None, None, 0),  # still waiting its turn
        ]
    )
    assert (got.requested, got.completed, got.failed, got.other, got.dials) == (4, 2, 1, 1, 6)
    assert (got.mean_wait_s, got.max_wait_s) == (180.0, 300.0)
    assert callback_figures([]).mean_wait_s is None


def test_a_failed_call_back_is_offered_and_abandoned_so_the_centre_s_identity_holds() -> None:
    """offered = answered + abandoned + interrupted, with a call-back whose last dial went unanswered."""
    from routing.figures import ABANDONED_OUTCOMES

    assert "callback-failed" in ABANDONED_OUTCOMES
