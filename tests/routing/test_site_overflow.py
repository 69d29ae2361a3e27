"""Agency site preference: the preferred site's agents first, any site after overflow_after_s."""

from routing import AgentLoggedOut, AgentNotReady, CallAnswered, CallArrived, CallHungUp, OfferCall
from routing.testing import Harness, agency, agent, centre


def preferring_nantou(**rules: float) -> Harness:
    c = centre(
        [agent("N01", "nantou"), agent("T01", "taipei")],
        agencies=[agency("ntpc", prefer_site="nantou")],
        overflow_after_s=30,
        **rules,
    )
    return Harness(c)


def test_a_call_waits_for_its_preferred_site_then_overflows() -> None:
    """While Nantou is busy a Nantou-preferring call waits overflow_after_s, then Taipei takes it."""
    h = preferring_nantou()
    h.login("N01", "T01")
    h.at(0, CallArrived("c0", "webhr", "ntpc"))
    h.at(1, CallArrived("c1", "webhr", "ntpc"), CallAnswered("c0", "N01"))  # N01 busy with c0
    h.at(30.9)
    assert h.offers() == [("c0", "N01")]
    out = h.at(31)
    assert h.offers() == [("c0", "N01"), ("c1", "T01")]
    offer = next(c for c in out if isinstance(c, OfferCall))
    assert offer.overflow


def test_the_preferred_site_takes_the_call_if_it_frees_up_inside_the_window() -> None:
    """A Nantou agent who becomes ready inside the window takes the waiting call, Taipei stays idle."""
    h = preferring_nantou(wrap_up_s=0)
    h.login("T01")
    h.login("N01")
    h.at(0, CallArrived("c0", "webhr", "ntpc"))
    h.at(1, CallArrived("c1", "webhr", "ntpc"))
    h.at(2, CallAnswered("c0", "N01"))
    h.at(10, CallHungUp("c0"))
    assert h.offers() == [("c0", "N01"), ("c1", "N01")]
    assert h.status("T01") == "ready"


def test_the_window_is_skipped_when_the_preferred_site_has_no_skilled_agent_logged_in() -> None:
    """With no skilled Nantou agent logged in, Taipei takes a Nantou-preferring call at once."""
    h = preferring_nantou()
    h.login("T01")
    h.at(1, CallArrived("c1", "webhr", "ntpc"))
    assert h.offers() == [("c1", "T01")]


def test_calls_waiting_for_a_site_are_released_when_its_last_skilled_agent_logs_out() -> None:
    """If the preferred site's last skilled agent logs out mid-window, the other site takes the call now."""
    h = preferring_nantou()
    h.login("N01", "T01")
    h.at(0, CallArrived("c0", "webhr", "ntpc"))  # rings N01
    h.at(1, CallArrived("c1", "webhr", "ntpc"))  # waits for Nantou
    h.at(2, AgentLoggedOut("N01"))  # c0 goes back first, then c1 is released
    assert h.offers() == [("c0", "N01"), ("c0", "T01")]
    assert h.router.calls["c1"].status == "queued"


def test_calls_without_a_preference_go_to_any_site() -> None:
    """A call whose agency prefers no site is offered to the longest-idle agent at any site."""
    h = preferring_nantou()
    h.login("T01", now=0)
    h.login("N01", now=1)
    h.at(2, CallArrived("c1", "webhr", None))
    assert h.offers() == [("c1", "T01")]


def test_a_call_declined_inside_its_window_overflows_when_the_window_ends() -> None:
    """The window's end still releases a call that was ringing earlier and came back inside the window."""
    h = Harness(
        centre(
            [agent("T01", "taipei"), agent("N01", "nantou")],
            agencies=[agency("tpe", prefer_site="taipei")],
            overflow_after_s=4,
            ring_timeout_s=15,
        )
    )
    h.login("T01", now=0)
    h.login("N01", now=0.5)
    h.at(1, CallArrived("c1", "webhr", "tpe"))  # rings T01; the window ends at 5
    h.at(2, CallArrived("other", "pemis2k"))  # any event while c1 rings
    h.at(3, AgentNotReady("T01"))  # declined: c1 is back, still inside its window
    assert h.offers() == [("c1", "T01")]
    h.at(5)
    assert h.offers() == [("c1", "T01"), ("c1", "N01")]


def test_a_waiting_call_goes_to_an_idle_agent_elsewhere_when_its_site_empties() -> None:
    """A call waiting for Nantou is offered to idle Taipei at once when Nantou's last skilled agent logs out."""
    h = preferring_nantou()
    h.login("N01", "T01")
    h.at(0, AgentNotReady("N01", "meeting"))
    h.at(1, CallArrived("c1", "webhr", "ntpc"))  # waits: Nantou is staffed, Taipei may not take it yet
    assert h.offers() == []
    h.at(2, AgentLoggedOut("N01"))
    assert h.offers() == [("c1", "T01")]
