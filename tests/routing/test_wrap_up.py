"""Wrap-up: no offers from any queue until it ends; breaks asked for during a call wait for it."""

from routing import AgentNotReady, AgentReady, AgentStatus, CallAnswered, CallArrived, CallHungUp, Party
from routing.testing import Harness, agent, centre


def talk(h: Harness, call_id: str, system: str, agent_id: str, start: float, end: float) -> None:
    h.at(start, CallArrived(call_id, system))
    h.at(start + 1, CallAnswered(call_id, agent_id))
    h.at(end, CallHungUp(call_id, Party.CALLER))


def test_no_offer_from_any_queue_during_wrap_up() -> None:
    """An agent in wrap-up after a WebHR call is not offered a PEMIS2K call until wrap_up_s has passed."""
    h = Harness(centre([agent("N01", skills={"webhr": 3, "pemis2k": 3})], wrap_up_s=30))
    h.login("N01")
    talk(h, "c1", "webhr", "N01", 1, 60)
    assert h.status("N01") is AgentStatus.WRAP_UP
    h.at(61, CallArrived("p1", "pemis2k"), CallArrived("w2", "webhr"))
    h.at(89.9)
    assert h.offers(since=61) == []
    h.at(90)
    assert h.offers(since=61) == [("p1", "N01")]


def test_ready_during_wrap_up_ends_it_early() -> None:
    """AgentReady in wrap-up makes the agent ready at once (wrap-up done)."""
    h = Harness(centre([agent("N01")], wrap_up_s=30))
    h.login("N01")
    talk(h, "c1", "webhr", "N01", 1, 60)
    h.at(61, CallArrived("c2", "webhr"))
    h.at(70, AgentReady("N01"))
    assert h.offers(since=61) == [("c2", "N01")]


def test_not_ready_asked_while_talking_starts_after_wrap_up() -> None:
    """A break requested during a call starts when wrap-up ends, not before, and no call is offered."""
    h = Harness(centre([agent("N01")], wrap_up_s=30))
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr"))
    h.at(2, CallAnswered("c1", "N01"))
    h.at(10, AgentNotReady("N01", "lunch"))
    assert h.status("N01") is AgentStatus.TALKING
    h.at(60, CallHungUp("c1"), CallArrived("c2", "webhr"))
    assert h.status("N01") is AgentStatus.WRAP_UP
    h.at(90)
    assert (h.status("N01"), h.router.agents["N01"].reason) == (AgentStatus.NOT_READY, "lunch")
    assert h.offers(since=60) == []
