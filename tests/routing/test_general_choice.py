"""A caller who chose no system (pressed 0 in the menus) arrives for ``general``: a queue of its own, not unknown."""

from __future__ import annotations

from routing import Router
from routing.centre import GENERAL_QUEUE
from routing.commands import OfferCall, QueueCall, Rule
from routing.events import AgentLoggedIn, CallArrived
from routing.testing import agent, centre


def test_a_call_for_general_enters_the_general_queue_by_queue_entry_not_as_unknown() -> None:
    router = Router(centre([agent("A1", skills={"ecpa": 3})]))
    assert router.unknown(GENERAL_QUEUE, None) == ()
    commands = router.apply(CallArrived("c1", GENERAL_QUEUE), 0.0)
    assert commands == [QueueCall("c1", GENERAL_QUEUE, Rule.QUEUE_ENTRY)]


def test_any_voice_agent_takes_a_general_call_whatever_their_skills() -> None:
    router = Router(centre([agent("A1", skills={"ecpa": 3})]))
    router.apply(AgentLoggedIn("A1"), 0.0)
    commands = router.apply(CallArrived("c1", GENERAL_QUEUE), 1.0)
    assert [type(c) for c in commands][:2] == [QueueCall, OfferCall]
    offer = commands[1]
    assert isinstance(offer, OfferCall)
    assert offer.agent_id == "A1"


def test_a_system_the_centre_does_not_list_is_still_unknown() -> None:
    router = Router(centre([agent("A1")]))
    assert router.unknown("nosuch", None) == ("system",)
    commands = router.apply(CallArrived("c1", "nosuch"), 0.0)
    assert commands == [QueueCall("c1", GENERAL_QUEUE, Rule.UNKNOWN_SYSTEM)]
