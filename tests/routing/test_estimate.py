"""The wait estimate told to a queued caller: position, agents, expected wait, and its error."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import AgentNotReady, CallAnswered, CallArrived, CallHungUp, OfferCall, Party
from routing.estimate import (
    LATER_SHARE,
    EstimateRow,
    HandleTimes,
    estimate,
    estimate_errors,
    naive_wait,
    rows_from,
)
from routing.testing import Harness, agent, centre


def handle(seconds: float = 100.0) -> HandleTimes:
    """A window holding only handle times of ``seconds`` (webhr and pemis2k)."""
    times = HandleTimes(window=20)
    for _ in range(20):
        times.add("webhr", seconds)
        times.add("pemis2k", seconds)
    return times


def busy(h: Harness, call_id: str, agent_id: str, now: float, system: str = "webhr") -> None:
    """A call arrives, rings ``agent_id`` and is answered at ``now``."""
    out = h.at(now, CallArrived(call_id, system))
    assert any(isinstance(c, OfferCall) and c.agent_id == agent_id for c in out)
    h.at(now, CallAnswered(call_id, agent_id))


def test_one_agent_talking_the_first_caller_waits_for_the_rest_of_the_call_and_wrap_up() -> None:
    h = Harness(centre([agent("N01")], wrap_up_s=20))
    h.login("N01")
    busy(h, "c1", "N01", now=0)
    h.at(30, CallArrived("c2", "webhr"))
    est = estimate(h.router, "c2", 30, handle(100))
    assert est is not None
    assert (est.position, est.agents) == (1, 1)
    assert est.wait_s == pytest.approx(70)  # 100 s of talk and wrap-up, 30 s of it gone


def test_the_second_in_line_waits_a_median_gap_more_ln2_of_a_handle_time() -> None:
    h = Harness(centre([agent("N01")], wrap_up_s=20))
    h.login("N01")
    busy(h, "c1", "N01", now=0)
    h.at(30, CallArrived("c2", "webhr"), CallArrived("c3", "webhr"))
    est = estimate(h.router, "c3", 30, handle(100))
    assert est is not None
    assert est.position == 2
    assert est.wait_s == pytest.approx(70 + 100 * LATER_SHARE)
    assert est.naive_s == pytest.approx(200)


def test_with_several_agents_the_caller_waits_for_the_first_to_finish() -> None:
    h = Harness(centre([agent("N01"), agent("N02")], wrap_up_s=20))
    h.login("N01", "N02")
    busy(h, "c1", "N01", now=0)
    busy(h, "c2", "N02", now=60)
    h.at(70, CallArrived("c3", "webhr"))
    est = estimate(h.router, "c3", 70, handle(100))
    assert est is not None
    assert (est.position, est.agents) == (1, 2)
    assert est.wait_s == pytest.approx(30)  # N01 is 70 s into a 100 s handle time


def test_an_agent_in_wrap_up_frees_up_when_wrap_up_ends() -> None:
    h = Harness(centre([agent("N01")], wrap_up_s=20))
    h.login("N01")
    busy(h, "c1", "N01", now=0)
    h.at(50, CallHungUp("c1", Party.AGENT))  # wrap-up until 70
    h.at(55, CallArrived("c2", "webhr"))
    est = estimate(h.router, "c2", 55, handle(100))
    assert est is not None
    assert est.wait_s == pytest.approx(15)


def test_a_talking_agent_past_most_handle_times_is_expected_sooner_the_longer_calls_say_so() -> None:
    times = HandleTimes(window=10)
    for seconds in (50, 50, 50, 50, 50, 50, 50, 50, 300, 500):
        times.add("webhr", seconds)
    assert times.residual("webhr", 100) == pytest.approx(300)  # only 300 and 500 are longer: 200 and 400 left
    assert times.residual("webhr", 0) == pytest.approx(times.aht("webhr"))


def test_only_agents_with_the_skill_serve_the_call() -> None:
    h = Harness(centre([agent("N01", skills={"webhr": 3}), agent("N02", skills={"pemis2k": 3})], wrap_up_s=0))
    h.login("N01", "N02")
    busy(h, "c1", "N01", now=0)
    h.at(10, CallArrived("c2", "webhr"))
    est = estimate(h.router, "c2", 10, handle(100))
    assert est is not None
    assert est.agents == 1  # N02 is ready, but does not serve webhr
    assert est.wait_s == pytest.approx(90)


def test_only_agents_who_speak_the_callers_language_serve_it() -> None:
    c = centre(
        [agent("N01", languages=["zh", "en"]), agent("N02", languages=["zh"])],
        languages=("zh", "en"),
        wrap_up_s=0,
    )
    h = Harness(c)
    h.login("N01", "N02")
    busy(h, "c1", "N01", now=0)
    busy(h, "c2", "N02", now=50)
    h.at(60, CallArrived("c3", "webhr", language="en"))
    est = estimate(h.router, "c3", 60, handle(100))
    assert est is not None
    assert est.agents == 1  # N02 frees up first (at 150) but speaks no English
    assert est.wait_s == pytest.approx(40)


def test_an_agent_on_a_break_is_counted_from_the_break_ending() -> None:
    h = Harness(centre([agent("N01")], wrap_up_s=0))
    h.login("N01")
    h.at(0, AgentNotReady("N01", "break"))
    h.at(10, CallArrived("c1", "webhr"))
    times = handle(100)
    for _ in range(5):
        times.add_break(60)
    est = estimate(h.router, "c1", 10, times)
    assert est is not None
    assert est.wait_s == pytest.approx(50)
    assert est.agents == 0  # none working: the naive figure divides by the agent on a break
    assert est.naive_s == pytest.approx(100)


def test_no_agent_logged_in_the_call_waits_for_the_general_queue() -> None:
    h = Harness(centre([agent("N01", skills={"pemis2k": 3})], wrap_up_s=0, max_wait_no_agent_s=60))
    h.login("N01")
    h.at(5, CallArrived("c1", "webhr"))
    est = estimate(h.router, "c1", 5, handle(100))
    assert est is not None
    assert est.wait_s == pytest.approx(60)  # the general queue at 65, where N01 is ready


def test_a_call_not_queued_has_no_estimate() -> None:
    h = Harness(centre([agent("N01")]))
    h.login("N01")
    h.at(0, CallArrived("c1", "webhr"))  # rings at once
    assert estimate(h.router, "c1", 0, handle()) is None
    assert estimate(h.router, "nobody", 0, handle()) is None


def test_the_naive_estimate_is_position_times_aht_over_agents() -> None:
    assert naive_wait(3, 120, 2) == 180
    assert naive_wait(2, 120, 0) == 240


def test_the_rings_before_an_answer_are_added_to_the_wait() -> None:
    h = Harness(centre([agent("N01")], wrap_up_s=20))
    h.login("N01")
    busy(h, "c1", "N01", now=0)
    h.at(30, CallArrived("c2", "webhr"))
    times = handle(100)
    times.add_answer(3)
    times.add_answer(5)
    est = estimate(h.router, "c2", 30, times)
    assert est is not None
    assert est.wait_s == pytest.approx(70 + 4)


def test_handle_times_are_a_moving_window_per_system() -> None:
    times = HandleTimes(window=10)
    assert times.aht("webhr") == times.default_s
    for _ in range(10):
        times.add("webhr", 100)
    for _ in range(10):
        times.add("webhr", 200)
    assert times.aht("webhr") == 200  # the first ten have left the window
    assert times.aht("pemis2k") == 200  # no call of its own yet: every system's window


def test_the_error_is_the_mean_absolute_difference_from_the_wait_that_followed() -> None:
    rows = [EstimateRow(60, 100, 40), EstimateRow(30, 10, 50), EstimateRow(90, 90, 90)]
    errors = estimate_errors(rows)
    assert errors.estimates == 3
    assert errors.mean_wait_s == pytest.approx(60)
    assert errors.mae_s == pytest.approx((20 + 20 + 0) / 3)
    assert errors.naive_mae_s == pytest.approx((60 + 40 + 0) / 3)
    assert errors.mae_share == pytest.approx(errors.mae_s / 60)


def test_no_estimate_no_error() -> None:
    errors = estimate_errors([])
    assert (errors.estimates, errors.mae_share) == (0, 0.0)
    assert errors.as_dict()["mae_s"] is None


def test_rows_pair_each_announcement_with_the_answer_that_followed_and_drop_the_unanswered() -> None:
    announced = [("c1", 100.0, 50.0, 80.0), ("c1", 160.0, 10.0, 40.0), ("c2", 100.0, 30.0, 30.0)]
    rows = rows_from(announced, {"c1": 190.0})
    assert rows == [EstimateRow(50, 80, 90), EstimateRow(10, 40, 30)]


@given(
    st.lists(st.sampled_from(["webhr", "pemis2k"]), min_size=1, max_size=12),
    st.integers(min_value=1, max_value=3),
)
@settings(max_examples=60, deadline=None)
def test_a_later_call_of_the_same_queue_is_never_told_a_shorter_wait_nor_an_earlier_place(
    systems: list[str], agents: int
) -> None:
    h = Harness(centre([agent(f"N{i}", skills={"webhr": 3, "pemis2k": 3}) for i in range(agents)], wrap_up_s=10))
    h.login(*(f"N{i}" for i in range(agents)))
    for i, system in enumerate(systems):
        h.at(float(i), CallArrived(f"c{i}", system))
    now = float(len(systems))
    times = handle(100)
    for system in ("webhr", "pemis2k"):
        told = [estimate(h.router, f"c{i}", now, times) for i, s in enumerate(systems) if s == system]
        queued = [e for e in told if e is not None]
        assert all(e.position >= 1 and e.wait_s >= 0 for e in queued)
        assert [e.position for e in queued] == sorted(e.position for e in queued)
        assert [e.wait_s for e in queued] == sorted(e.wait_s for e in queued)
