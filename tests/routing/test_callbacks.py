"""Call-back requests: the caller hangs up, the call keeps its place, is dialled, retried, then ended."""

import pytest

from routing import (
    AgentNotReady,
    AgentStatus,
    CallAnswered,
    CallArrived,
    CallbackAnswered,
    CallbackFailed,
    CallbackRequested,
    CallHungUp,
    CallStatus,
    ConnectCall,
    DialCallback,
    EndCall,
    InvalidTransition,
    OfferCall,
    Party,
    QueueCall,
    RetryCallback,
    Rule,
    SetAgentState,
)
from routing.testing import Harness, agent, centre, snapshot


def busy_centre(**rules: float) -> Harness:
    """One agent, N01, talking on c0 from t=0, so that later calls queue."""
    h = Harness(centre([agent("N01"), agent("N02")], wrap_up_s=0, ring_timeout_s=15, **rules))
    h.login("N01")
    h.at(0, CallArrived("c0", "webhr"), CallAnswered("c0", "N01"))
    return h


def test_a_call_back_request_keeps_its_place_before_calls_that_came_later() -> None:
    """An agent freed after the request takes the call-back before calls that arrived after it was requested."""
    h = busy_centre()
    h.at(5, CallArrived("c1", "webhr"))
    out = h.at(10, CallbackRequested("c1"))
    assert out == [QueueCall("c1", "webhr", Rule.CALLBACK_REQUESTED)]
    h.at(20, CallArrived("c2", "webhr"))
    h.at(30, CallHungUp("c0", Party.AGENT))
    assert h.offers(since=30) == [("c1", "N01")]
    offer = next(c for t, c in h.log if isinstance(c, OfferCall) and t == 30)
    assert offer.callback
    assert h.router.calls["c1"].entered_at == 5


def test_a_call_back_keeps_the_place_of_its_arrival_not_of_its_request() -> None:
    """Calls that arrived between the call-back's arrival and its request still come after it."""
    h = busy_centre()
    h.at(5, CallArrived("c1", "webhr"))
    h.at(6, CallArrived("c2", "webhr"))
    h.at(50, CallbackRequested("c1"))
    h.at(60, CallHungUp("c0", Party.AGENT))
    assert h.offers(since=60) == [("c1", "N01")]


def test_accepting_a_call_back_dials_the_caller_and_their_answer_connects_it() -> None:
    """The agent's acceptance asks the shell to dial; the caller's answer connects; the agent is busy meanwhile."""
    h = busy_centre()
    h.at(5, CallArrived("c1", "webhr"), CallbackRequested("c1"))
    h.at(30, CallHungUp("c0", Party.AGENT))
    out = h.at(31, CallAnswered("c1", "N01"))
    assert DialCallback("c1", "N01", 1) in out
    assert not any(isinstance(c, ConnectCall) for c in out)
    assert h.status("N01") is AgentStatus.TALKING
    assert h.router.calls["c1"].status is CallStatus.DIALLING
    out = h.at(40, CallbackAnswered("c1"))
    assert out == [
        ConnectCall("c1", "N01", Rule.CALLBACK_ANSWERED),
        SetAgentState("N01", AgentStatus.TALKING, Rule.CALLBACK_ANSWERED),
    ]
    out = h.at(100, CallHungUp("c1", Party.AGENT))
    assert EndCall("c1", Rule.CALL_ENDED) in out
    assert h.router.agents["N01"].calls_handled == 2


def test_an_unanswered_call_back_frees_the_agent_and_returns_to_its_place_after_the_delay() -> None:
    """After a failed dial the agent is ready at once; after retry_delay_s the call-back is first in line again."""
    h = busy_centre()
    h.at(5, CallArrived("c1", "webhr"), CallbackRequested("c1", retries=2, retry_delay_s=60))
    h.at(30, CallHungUp("c0", Party.AGENT))
    h.at(31, CallAnswered("c1", "N01"))
    out = h.at(40, CallbackFailed("c1"))
    assert RetryCallback("c1", 100, 2) in out
    assert h.status("N01") is AgentStatus.READY
    assert h.router.calls["c1"].status is CallStatus.RETRY_WAIT
    h.at(50, CallArrived("c2", "webhr"))  # N01 is free: takes c2 meanwhile
    assert h.offers(since=50) == [("c2", "N01")]
    h.at(51, CallAnswered("c2", "N01"))
    h.at(70, CallArrived("c3", "webhr"))
    out = h.at(100)
    assert QueueCall("c1", "webhr", Rule.CALLBACK_RETRY) in out
    h.at(110, CallHungUp("c2", Party.AGENT))
    assert h.offers(since=110) == [("c1", "N01")]  # before c3, which arrived later


def test_after_the_last_try_the_call_back_ends_as_failed() -> None:
    """With one retry: two unanswered dials, then EndCall with rule callback-failed and the agent is free."""
    h = busy_centre()
    h.at(5, CallArrived("c1", "webhr"), CallbackRequested("c1", retries=1, retry_delay_s=0))
    h.at(30, CallHungUp("c0", Party.AGENT))
    h.at(31, CallAnswered("c1", "N01"))
    out = h.at(40, CallbackFailed("c1"))
    assert RetryCallback("c1", 40, 2) in out
    assert h.offers(since=40) == [("c1", "N01")]  # no delay: straight back to the free agent
    out = h.at(41, CallAnswered("c1", "N01"))
    assert DialCallback("c1", "N01", 2) in out
    out = h.at(50, CallbackFailed("c1"))
    assert EndCall("c1", Rule.CALLBACK_FAILED) in out
    assert "c1" not in h.router.calls
    assert h.status("N01") is AgentStatus.READY


def test_a_break_asked_for_while_dialling_starts_when_the_dial_fails() -> None:
    """A not-ready asked for during the dial waits, like one asked for while talking."""
    h = busy_centre()
    h.at(5, CallArrived("c1", "webhr"), CallbackRequested("c1", retries=0))
    h.at(30, CallHungUp("c0", Party.AGENT))
    h.at(31, CallAnswered("c1", "N01"))
    h.at(32, AgentNotReady("N01", "lunch"))
    assert h.status("N01") is AgentStatus.TALKING
    h.at(40, CallbackFailed("c1"))
    assert h.status("N01") is AgentStatus.NOT_READY


def test_a_call_back_withdrawn_while_waiting_to_retry_ends() -> None:
    """CallHungUp by the caller on a call-back waiting for its retry ends it (rule caller-hung-up)."""
    h = busy_centre()
    h.at(5, CallArrived("c1", "webhr"), CallbackRequested("c1", retries=1, retry_delay_s=60))
    h.at(30, CallHungUp("c0", Party.AGENT))
    h.at(31, CallAnswered("c1", "N01"))
    h.at(40, CallbackFailed("c1"))
    out = h.at(50, CallHungUp("c1"))
    assert out == [EndCall("c1", Rule.CALLER_HUNG_UP)]
    assert h.at(100) == []


@pytest.mark.parametrize(
    ("setup", "event"),
    [
        ("ringing", CallbackRequested("c1")),
        ("requested", CallbackRequested("c1")),
        ("queued", CallbackRequested("c1", retries=-1)),
        ("queued", CallbackRequested("c1", retry_delay_s=float("nan"))),
        ("dialling", CallHungUp("c1")),
        ("dialling", CallHungUp("c1", Party.AGENT)),
        ("queued", CallbackFailed("c1")),
        ("queued", CallbackAnswered("c1")),
    ],
)
def test_an_event_that_does_not_fit_a_call_back_is_refused_and_changes_nothing(setup: str, event: object) -> None:
    """Call-back events out of turn raise InvalidTransition and leave the router exactly as it was."""
    h = busy_centre()
    h.at(5, CallArrived("c1", "webhr"))
    if setup in ("requested", "dialling"):
        h.at(6, CallbackRequested("c1"))
    if setup == "ringing":
        h.login("N02", now=6)
    if setup == "dialling":
        h.at(30, CallHungUp("c0", Party.AGENT))
        h.at(31, CallAnswered("c1", "N01"))
    before = snapshot(h.router)
    with pytest.raises(InvalidTransition):
        h.router.apply(event, h.router.now)  # type: ignore[arg-type]
    assert snapshot(h.router) == before
