"""Each agent-selection strategy picks the agent its definition says."""

import random

import pytest

from routing import AgentNotReady, AgentReady, CallAnswered, CallArrived, CallHungUp, Party, Strategy
from routing.testing import Harness, agent, centre


def serve(h: Harness, call_id: str, now: float, talk: float = 10) -> str:
    """Arrive, answer, talk and hang up one call; return the agent who took it."""
    h.at(now, CallArrived(call_id, "webhr"))
    who = h.router.calls[call_id].agent
    assert who is not None
    h.at(now + 1, CallAnswered(call_id, who))
    h.at(now + 1 + talk, CallHungUp(call_id, Party.AGENT))
    h.at(now + 1 + talk, AgentReady(who))  # end wrap-up at once
    return who


def test_longest_idle_picks_the_agent_idle_since_longest() -> None:
    """longest-idle: the agent whose idle time began earliest gets the call."""
    h = Harness(centre([agent("N01"), agent("N02"), agent("N03")]))
    h.login("N02", now=0)
    h.login("N03", now=1)
    h.login("N01", now=2)
    assert serve(h, "c1", 10) == "N02"
    assert serve(h, "c2", 30) == "N03"
    assert serve(h, "c3", 50) == "N01"
    assert serve(h, "c4", 70) == "N02"


def test_round_robin_continues_after_the_last_agent_offered() -> None:
    """round-robin: file order, continuing after the last agent offered, wrapping round."""
    h = Harness(centre([agent("N01"), agent("N02"), agent("N03")], strategy="round-robin"))
    h.login("N03", "N02", "N01")
    got = [serve(h, f"c{i}", 10 + 20 * i) for i in range(5)]
    assert got == ["N01", "N02", "N03", "N01", "N02"]


def test_fewest_calls_picks_the_agent_with_fewest_answered_calls() -> None:
    """fewest-calls: the agent who answered the fewest calls since login."""
    h = Harness(centre([agent("N01"), agent("N02")], strategy="fewest-calls"))
    h.login("N01", "N02")
    h.at(0, AgentNotReady("N02", "training"))
    assert serve(h, "c1", 10) == "N01"
    assert serve(h, "c2", 30) == "N01"
    h.at(100, AgentReady("N02"))  # idle for less time than N01, but with fewer calls
    assert serve(h, "c3", 200) == "N02"
    assert serve(h, "c4", 300) == "N02"  # 1 call against N01's 2
    assert serve(h, "c5", 400) == "N01"  # 2 each: longest idle breaks the tie


def test_least_talk_time_picks_the_agent_with_least_talk_time() -> None:
    """least-talk-time: the agent with the least talk time since login, however many calls."""
    h = Harness(centre([agent("N01"), agent("N02")], strategy="least-talk-time"))
    h.login("N01", "N02")
    assert serve(h, "c1", 10, talk=300) == "N01"
    assert serve(h, "c2", 400, talk=20) == "N02"
    assert serve(h, "c3", 500, talk=20) == "N02"  # N02 has 20 s, N01 300 s
    assert h.router.agents["N02"].calls_handled == 2


def test_best_skill_picks_the_highest_level_then_longest_idle() -> None:
    """best-skill: the highest skill level in the call's system wins, ties by longest idle."""
    agents = [agent("N01", skills={"webhr": 2}), agent("N02", skills={"webhr": 5}), agent("N03", skills={"webhr": 5})]
    h = Harness(centre(agents, strategy="best-skill"))
    h.login("N01", now=0)
    h.login("N03", now=1)
    h.login("N02", now=2)
    h.at(10, CallArrived("c1", "webhr"), CallArrived("c2", "webhr"), CallArrived("c3", "webhr"))
    assert h.offers() == [("c1", "N03"), ("c2", "N02"), ("c3", "N01")]


def test_random_is_reproducible_with_a_seed_and_uses_every_agent() -> None:
    """random: the same seed gives the same choices; over many calls each agent is chosen."""

    def run(seed: int) -> list[str]:
        h = Harness(centre([agent("N01"), agent("N02"), agent("N03")], strategy="random"), rng=random.Random(seed))
        h.login("N01", "N02", "N03")
        return [serve(h, f"c{i}", 10 + 20 * i) for i in range(30)]

    assert run(1) == run(1)
    assert set(run(1)) == {"N01", "N02", "N03"}
    assert run(1) != run(2)


def test_random_without_a_generator_is_refused() -> None:
    """The random strategy needs a seeded generator passed in; the router never uses the global one."""
    with pytest.raises(ValueError, match=r"seeded random\.Random"):
        Harness(centre([agent("N01")], strategy=Strategy.RANDOM))


def test_best_skill_ranks_general_queue_calls_by_their_own_system() -> None:
    """A call moved to the general queue still goes to the agent most skilled in its system."""
    agents = [
        agent("A", skills={"pemis2k": 1}),
        agent("B", skills={"webhr": 5}),
        agent("C", skills={"pemis2k": 1}),
    ]
    h = Harness(centre(agents, strategy="best-skill", max_wait_no_agent_s=5, ring_timeout_s=10, reject_delay_s=0))
    h.at(0, CallArrived("c1", "webhr"))  # nobody skilled in WebHR is logged in
    h.login("A", now=1)
    h.login("C", now=2)
    h.at(5)  # c1 moves to the general queue and rings A (longest idle; no WebHR skill there)
    h.login("B", now=6)
    h.at(15)  # A does not answer: c1 comes back and goes to the WebHR expert, not to C
    assert h.offers() == [("c1", "A"), ("c1", "B")]
