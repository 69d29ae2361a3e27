"""Time is supplied by the caller: it never goes back, and timers run at their own times."""

import pytest

from routing import AgentLoggedIn, CallArrived, ClockError, OfferCall
from routing.testing import Harness, agent, centre


def test_time_going_backwards_is_refused() -> None:
    """An event earlier than the last time seen raises ClockError."""
    h = Harness(centre([agent("N01")]))
    h.at(10, AgentLoggedIn("N01"))
    with pytest.raises(ClockError, match="backwards"):
        h.router.apply(CallArrived("c1", "webhr"), 9)


def test_applying_an_event_past_a_due_timer_is_refused_and_changes_nothing() -> None:
    """Timers due by the event's time must run first (advance); apply refuses and leaves the state alone."""
    h = Harness(centre([agent("N01")], ring_timeout_s=15))
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr"))
    assert h.router.next_timer_at() == 16
    with pytest.raises(ClockError, match="advance"):
        h.router.apply(CallArrived("c2", "webhr"), 20)
    assert "c2" not in h.router.calls
    assert h.router.now == 1


def test_a_long_advance_runs_each_timer_at_its_own_time() -> None:
    """One jump over several timers gives the same result as stepping through them."""
    h = Harness(centre([agent("N01")], ring_timeout_s=15, reject_delay_s=10))
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr"))
    out = h.router.advance(1000)
    offers = [c for c in out if isinstance(c, OfferCall)]
    # missed at 16, rested until 26, rang until 41, rested until 51, rang until 66, then not-ready
    assert [o.ring_until for o in offers] == [41, 66]
    assert h.router.now == 1000
