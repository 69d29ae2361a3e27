"""The backup seat takes calls only while enough calls it could serve are waiting."""

from routing import AgentLoggedIn, CallArrived, CallHungUp, OfferCall
from routing.testing import Harness, agent, centre


def backup_centre() -> Harness:
    return Harness(
        centre([agent("T01", "taipei"), agent("T06", "taipei", backup=True)], backup_seat_when_waiting=3, wrap_up_s=0)
    )


def test_a_ready_backup_seat_gets_no_call_below_the_threshold() -> None:
    """With fewer than backup_seat_when_waiting calls waiting, the backup seat stays idle."""
    h = backup_centre()
    h.login("T06")
    h.at(1, CallArrived("c1", "webhr"))
    h.at(2, CallArrived("c2", "webhr"))
    assert h.offers() == []
    assert h.router.waiting_for("T06") == 2


def test_the_backup_seat_joins_at_the_threshold_and_takes_the_earliest_call() -> None:
    """When the third call waits the backup seat takes the earliest one, not the newest."""
    h = backup_centre()
    h.login("T06")
    h.at(1, CallArrived("c1", "webhr"), CallArrived("c2", "webhr"))
    out = h.at(3, CallArrived("c3", "webhr"))
    assert h.offers() == [("c1", "T06")]
    offer = next(c for c in out if isinstance(c, OfferCall))
    assert offer.backup


def test_a_regular_agent_is_preferred_while_the_threshold_is_not_met() -> None:
    """With a regular agent and the backup both ready, the regular agent takes a lone call."""
    h = backup_centre()
    h.login("T06", now=0)  # idle longer
    h.login("T01", now=1)
    h.at(2, CallArrived("c1", "webhr"))
    assert h.offers() == [("c1", "T01")]


def test_the_backup_seat_stops_taking_calls_when_the_queue_falls_below_the_threshold() -> None:
    """Callers hanging up bring the queue under the threshold: the backup seat takes no more."""
    h = backup_centre()
    h.at(1, CallArrived("c1", "webhr"), CallArrived("c2", "webhr"), CallArrived("c3", "webhr"))
    h.at(2, CallHungUp("c3"))
    h.at(3, AgentLoggedIn("T06"))
    assert h.offers() == []
