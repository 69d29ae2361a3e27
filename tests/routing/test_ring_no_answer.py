"""Ring-no-answer: requeue at the original place, reject delay, not-ready after repeated misses."""

from routing import AgentStatus, CallAnswered, CallArrived, CancelOffer, QueueCall, Rule, SetAgentState
from routing.testing import Harness, agent, centre


def test_an_unanswered_call_goes_back_to_its_original_place() -> None:
    """After ring_timeout_s the offer is cancelled and the call is served before later calls."""
    h = Harness(centre([agent("N01"), agent("N02")], ring_timeout_s=15, reject_delay_s=10))
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr"))
    h.at(2, CallArrived("c2", "webhr"), CallArrived("c3", "webhr"))
    out = h.at(16)
    assert CancelOffer("c1", "N01", Rule.RING_NO_ANSWER) in out
    assert QueueCall("c1", "webhr", Rule.REQUEUE) in out
    h.login("N02", now=17)
    assert h.offers(since=17) == [("c1", "N02")]
    assert h.router.calls["c1"].entered_at == 1


def test_an_agent_who_missed_a_call_rests_for_the_reject_delay() -> None:
    """During reject_delay_s the agent gets no offer; at its end, the waiting call."""
    h = Harness(centre([agent("N01")], ring_timeout_s=15, reject_delay_s=10))
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr"))
    h.at(16)
    assert h.status("N01") is AgentStatus.REJECT_DELAY
    h.at(25.9)
    assert h.status("N01") is AgentStatus.REJECT_DELAY
    h.at(26)
    assert h.offers() == [("c1", "N01"), ("c1", "N01")]
    assert h.status("N01") is AgentStatus.RINGING


def test_max_no_answer_misses_in_a_row_make_the_agent_not_ready() -> None:
    """After max_no_answer ring-no-answers in a row the agent becomes not-ready, reason 'missed'."""
    h = Harness(centre([agent("N01")], ring_timeout_s=5, reject_delay_s=1, max_no_answer=3))
    h.login("N01")
    h.at(0, CallArrived("c1", "webhr"))
    out = h.at(100)
    assert len(h.offers()) == 3
    assert h.status("N01") is AgentStatus.NOT_READY
    assert h.router.agents["N01"].reason == "missed"
    assert SetAgentState("N01", AgentStatus.NOT_READY, Rule.MAX_NO_ANSWER, "missed") in out
    assert h.router.calls["c1"].status == "queued"


def test_an_answer_resets_the_count_of_misses() -> None:
    """Misses must be in a row: an answered call starts the count again."""
    h = Harness(centre([agent("N01")], ring_timeout_s=5, reject_delay_s=0, max_no_answer=2, wrap_up_s=0))
    h.login("N01")
    h.at(0, CallArrived("c1", "webhr"))
    h.at(5)  # miss 1, re-offered at once (no reject delay)
    h.at(6, CallAnswered("c1", "N01"))
    assert h.router.agents["N01"].misses == 0
