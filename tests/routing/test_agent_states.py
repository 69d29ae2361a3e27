"""Agent state changes: impossible ones raise and change nothing; declines put calls back."""

import pytest

from routing import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    AgentStatus,
    CallAnswered,
    CallArrived,
    CancelOffer,
    InvalidTransition,
    Rule,
    UnknownEntity,
)
from routing.testing import Harness, agent, centre


def talking() -> Harness:
    h = Harness(centre([agent("N01"), agent("N02")]))
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr"))
    h.at(2, CallAnswered("c1", "N01"))
    return h


@pytest.mark.parametrize(
    "event",
    [AgentReady("N01"), AgentLoggedOut("N01"), AgentLoggedIn("N01"), CallAnswered("c1", "N01")],
    ids=["ready", "logout", "login", "answer-again"],
)
def test_impossible_events_while_talking_raise_and_change_nothing(event: object) -> None:
    """Ready, logout, a second login or a second answer during a call are refused; the call goes on."""
    h = talking()
    with pytest.raises(InvalidTransition):
        h.at(3, event)  # type: ignore[arg-type]
    assert h.status("N01") is AgentStatus.TALKING
    assert h.router.calls["c1"].status == "talking"


def test_answering_a_call_ringing_elsewhere_is_refused() -> None:
    """Only the agent whose phone rings can answer the call."""
    h = Harness(centre([agent("N01"), agent("N02")]))
    h.login("N01", "N02")
    h.at(1, CallArrived("c1", "webhr"))
    with pytest.raises(InvalidTransition, match="not ringing at agent N02"):
        h.at(2, CallAnswered("c1", "N02"))


def test_an_unknown_agent_is_refused() -> None:
    """An event naming an agent the centre does not have raises UnknownEntity."""
    h = Harness(centre([agent("N01")]))
    with pytest.raises(UnknownEntity, match="N99"):
        h.at(0, AgentLoggedIn("N99"))


def test_going_not_ready_while_ringing_gives_the_call_to_the_next_agent() -> None:
    """A decline (not-ready while ringing) cancels the offer; the call keeps its place and rings the next agent."""
    h = Harness(centre([agent("N01"), agent("N02")]))
    h.login("N01", now=0)
    h.login("N02", now=1)
    h.at(2, CallArrived("c1", "webhr"))
    out = h.at(3, AgentNotReady("N01", "toilet"))
    assert out[0] == CancelOffer("c1", "N01", Rule.AGENT_DECLINED)
    assert h.offers() == [("c1", "N01"), ("c1", "N02")]
    assert h.router.agents["N01"].reason == "toilet"


def test_logging_out_while_ringing_gives_the_call_to_the_next_agent() -> None:
    """Logging out while the phone rings withdraws the offer; another agent gets the call."""
    h = Harness(centre([agent("N01"), agent("N02")]))
    h.login("N01", now=0)
    h.login("N02", now=1)
    h.at(2, CallArrived("c1", "webhr"))
    h.at(3, AgentLoggedOut("N01"))
    assert h.offers() == [("c1", "N01"), ("c1", "N02")]
    assert h.status("N01") is AgentStatus.LOGGED_OUT


def test_login_not_ready_takes_no_calls_until_ready() -> None:
    """An agent who logs in not-ready is offered nothing until it asks to be ready."""
    h = Harness(centre([agent("N01")]))
    h.at(0, AgentLoggedIn("N01", ready=False), CallArrived("c1", "webhr"))
    assert h.offers() == []
    h.at(5, AgentReady("N01"))
    assert h.offers() == [("c1", "N01")]
