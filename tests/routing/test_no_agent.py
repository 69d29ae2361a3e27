"""No skilled agent logged in: the general queue after max_wait_no_agent_s, then give up."""

from routing import GENERAL_QUEUE, AgentLoggedIn, AgentLoggedOut, CallArrived, EndCall, QueueCall, Rule
from routing.testing import Harness, agent, centre


def test_a_call_with_no_skilled_agent_moves_to_the_general_queue() -> None:
    """After max_wait_no_agent_s with nobody skilled logged in, any voice agent may take the call."""
    h = Harness(centre([agent("N01", skills={"pemis2k": 4})], max_wait_no_agent_s=60))
    h.login("N01")
    h.at(1, CallArrived("c1", "ecpa"))
    h.at(60.9)
    assert h.offers() == []
    out = h.at(61)
    assert QueueCall("c1", GENERAL_QUEUE, Rule.NO_AGENT_FALLBACK) in out
    assert h.offers() == [("c1", "N01")]
    assert h.router.calls["c1"].entered_at == 1


def test_a_skilled_agent_logging_in_in_time_keeps_the_call_in_its_queue() -> None:
    """A skilled agent logging in before max_wait_no_agent_s takes the call from its own queue."""
    h = Harness(centre([agent("N01", skills={"pemis2k": 4}), agent("N02", skills={"ecpa": 2})]))
    h.login("N01")
    h.at(1, CallArrived("c1", "ecpa"))
    h.at(30, AgentLoggedIn("N02"))
    assert h.offers() == [("c1", "N02")]
    h.at(200)  # N02 never answers and ends up not-ready, but is still logged in
    assert h.router.calls["c1"].queue == "ecpa"


def test_calls_move_when_the_last_skilled_agent_logs_out() -> None:
    """Waiting calls of a system whose last skilled agent leaves move after max_wait_no_agent_s from then."""
    h = Harness(centre([agent("N01", skills={"ecpa": 2}), agent("N02", skills={"webhr": 2})], max_wait_no_agent_s=60))
    h.login("N01", "N02")
    h.at(1, CallArrived("c1", "ecpa"), CallArrived("w1", "webhr"))  # N01 busy with c1, N02 with w1
    h.at(2, CallArrived("c2", "ecpa"))
    h.at(10, AgentLoggedOut("N01"))  # withdraws c1: both ecpa calls now wait, unstaffed from t=10
    h.at(69.9)
    assert h.router.calls["c2"].queue == "ecpa"
    h.at(70)
    assert h.router.calls["c2"].queue == GENERAL_QUEUE


def test_with_no_voice_agent_logged_in_the_router_gives_up() -> None:
    """Nobody logged in at all: general queue after max_wait, then the router gives up after the same again."""
    h = Harness(centre([agent("N01")], max_wait_no_agent_s=60))
    h.at(0, CallArrived("c1", "webhr"))
    h.at(60)
    assert h.router.calls["c1"].queue == GENERAL_QUEUE
    out = h.at(120)
    assert out == [EndCall("c1", Rule.NO_AGENT_GIVE_UP)]
    assert h.router.calls == {}
