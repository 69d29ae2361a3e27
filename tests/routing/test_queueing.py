"""Queues by system, eligibility by skill and channel, and the order calls are served in."""

import pytest

from routing import (
    AgentReady,
    CallAnswered,
    CallArrived,
    CallHungUp,
    EndCall,
    InvalidTransition,
    OfferCall,
    Party,
    QueueCall,
    Rule,
)
from routing.centre import GENERAL_QUEUE
from routing.testing import Harness, agency, agent, centre


def test_a_call_rings_a_ready_agent_skilled_in_its_system() -> None:
    """A new call is offered at once to a ready agent with the call's system skill."""
    h = Harness(centre([agent("N01", skills={"pemis2k": 2}), agent("N02", skills={"webhr": 3})]))
    h.login("N01", "N02")
    out = h.at(1, CallArrived("c1", "webhr"))
    assert out[0] == QueueCall("c1", "webhr", Rule.QUEUE_ENTRY)
    assert h.offers() == [("c1", "N02")]
    offer = out[1]
    assert isinstance(offer, OfferCall)
    assert offer.ring_until == 1 + h.router.rules.ring_timeout_s
    assert offer.rule is Rule.LONGEST_IDLE


def test_a_call_waits_rather_than_ring_an_agent_without_the_skill() -> None:
    """An idle agent without the call's system skill is never offered it."""
    h = Harness(centre([agent("N01", skills={"pemis2k": 5})]))
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr"))
    assert h.offers() == []
    assert h.router.queue_length("webhr") == 1


def test_an_email_seat_never_gets_a_phone_call() -> None:
    """An agent whose seat serves only e-mail is not offered calls, even with the skill."""
    h = Harness(centre([agent("E01", skills={"webhr": 5}, channels=["email"])]))
    h.login("E01")
    h.at(1, CallArrived("c1", "webhr"))
    assert h.offers() == []


def test_an_agent_takes_the_earliest_call_of_equal_priority_across_queues() -> None:
    """Equal priority: the earliest queue entry wins, whichever system queue it is in."""
    h = Harness(centre([agent("N01", skills={"webhr": 3, "pemis2k": 3})]))
    h.at(1, CallArrived("p1", "pemis2k"))
    h.at(2, CallArrived("w1", "webhr"))
    h.at(3, CallArrived("w2", "webhr"))
    h.login("N01", now=4)
    assert h.offers() == [("p1", "N01")]


def test_higher_priority_agency_is_served_before_earlier_calls() -> None:
    """Priority comes before entry time when an agent picks its next call."""
    h = Harness(centre([agent("N01")], agencies=[agency("vip", priority=5), agency("std")]))
    h.at(1, CallArrived("c1", "webhr", "std"))
    h.at(2, CallArrived("c2", "webhr", "vip"))
    h.login("N01", now=3)
    assert h.offers() == [("c2", "N01")]


def test_a_call_from_an_unlisted_agency_goes_to_the_general_queue_at_priority_zero() -> None:
    """An agency the centre does not list is not refused: general queue, priority 0, no site preference."""
    h = Harness(centre([agent("N01")], agencies=[agency("low", priority=-1)]))
    h.at(1, CallArrived("c1", "webhr", "low"))
    out = h.at(2, CallArrived("c2", "webhr", "nobody-knows"))
    assert out == [QueueCall("c2", GENERAL_QUEUE, Rule.UNKNOWN_AGENCY)]
    assert h.router.unknown("webhr", "nobody-knows") == ("agency",)
    h.login("N01", now=3)
    assert h.router.calls["c2"].priority == 0
    assert h.offers() == [("c2", "N01")]


def test_no_agency_at_all_is_not_an_unknown_agency() -> None:
    h = Harness(centre([agent("N01")], agencies=[agency("low")]))
    assert h.at(1, CallArrived("c1", "webhr", None)) == [QueueCall("c1", "webhr", Rule.QUEUE_ENTRY)]


def test_a_call_for_an_unknown_system_goes_to_the_general_queue_for_any_voice_agent() -> None:
    """An unknown system is not refused: the call waits in the general queue; an agent with no skill for it rings."""
    h = Harness(centre([agent("N01", skills={"pemis2k": 2})], agencies=[agency("moi")]))
    out = h.at(1, CallArrived("c1", "nosuch", "nosuch-either"))
    assert out == [QueueCall("c1", GENERAL_QUEUE, Rule.UNKNOWN_SYSTEM)]
    assert h.router.unknown("nosuch", "nosuch-either") == ("system", "agency")
    assert h.router.queue_length(GENERAL_QUEUE) == 1
    h.login("N01", now=2)
    assert h.offers() == [("c1", "N01")]


def test_a_call_for_an_unknown_system_with_no_agent_logged_in_is_given_up_like_any_other() -> None:
    h = Harness(centre([agent("N01")], max_wait_no_agent_s=30))
    h.at(1, CallArrived("c1", "nosuch"))
    assert h.at(31) == [EndCall("c1", Rule.NO_AGENT_GIVE_UP)]
    assert h.router.calls == {}


def test_a_duplicate_call_id_is_refused() -> None:
    """A second arrival with the id of a live call raises InvalidTransition."""
    h = Harness(centre([agent("N01")]))
    h.at(1, CallArrived("c1", "webhr"))
    with pytest.raises(InvalidTransition):
        h.at(2, CallArrived("c1", "webhr"))
    assert h.router.calls["c1"].entered_at == 1


def test_caller_hang_up_while_queued_ends_the_call_at_once() -> None:
    """A queued caller who hangs up leaves the queue immediately (abandoned)."""
    h = Harness(centre([agent("N01")]))
    h.at(1, CallArrived("c1", "webhr"))
    out = h.at(5, CallHungUp("c1"))
    assert out == [EndCall("c1", Rule.CALLER_HUNG_UP)]
    assert h.router.queue_length("webhr") == 0
    h.login("N01", now=6)
    assert h.offers() == []


def test_caller_hang_up_while_ringing_cancels_the_offer_and_frees_the_agent() -> None:
    """A ringing offer whose caller hangs up is cancelled; the agent takes the next call."""
    h = Harness(centre([agent("N01")]))
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr"), CallArrived("c2", "webhr"))
    out = h.at(3, CallHungUp("c1"))
    assert out[0].__class__.__name__ == "CancelOffer"
    assert h.offers() == [("c1", "N01"), ("c2", "N01")]
    assert "c1" not in h.router.calls


def test_only_the_caller_can_end_a_call_that_is_not_answered() -> None:
    """An agent hang-up of a queued call is refused."""
    h = Harness(centre([agent("N01")]))
    h.at(1, CallArrived("c1", "webhr"))
    with pytest.raises(InvalidTransition):
        h.at(2, CallHungUp("c1", Party.AGENT))
    assert "c1" in h.router.calls


def test_answer_connects_and_hang_up_ends_with_talk_time_counted() -> None:
    """Answer connects; the end of the call counts the call and its talk time for the agent."""
    h = Harness(centre([agent("N01")], wrap_up_s=0))
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr"))
    h.at(4, CallAnswered("c1", "N01"))
    out = h.at(64, CallHungUp("c1", Party.AGENT))
    assert EndCall("c1", Rule.CALL_ENDED) in out
    n01 = h.router.agents["N01"]
    assert (n01.calls_handled, n01.talk_time) == (1, 60)


def test_ready_agent_asking_for_ready_again_is_refused() -> None:
    """AgentReady from ready is an impossible transition, and raises."""
    h = Harness(centre([agent("N01")]))
    h.login("N01")
    with pytest.raises(InvalidTransition):
        h.at(1, AgentReady("N01"))
