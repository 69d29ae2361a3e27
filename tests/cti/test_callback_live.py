"""Call-backs that keep the place, in the live centre: offered in the queue, dialled, retried, left as a case.

A one-agent centre with one language and an IVR (welcome, then a main menu
whose 1 is WebHR) offers a call-back after 30 s in the queue. The test plays
the callers (pressing keys after the prompts they hear, picking up the
call-back or not) and the agent, on the in-process bus in virtual time with
real SQLite.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from cti.casework.people import Person
from cti.clock import ScaledClock
from cti.clock import run as run_clock
from cti.config import OFFER_PROMPT, THANKS_PROMPT, CallbackOffer
from cti.live import messages as m
from cti.store import Journal, Store
from ivr import Announcements, PromptText
from ivr.plan import ANNOUNCEMENT_PROMPTS
from routing.centre import Centre
from routing.testing import agency, agent, centre
from tests.cti.live import START, Live, ivr_plan, live

KNOWN = "02-2397-5123"
PEOPLE = (Person("P0000001", "陳怡君", "a1", "人事主任", KNOWN, "0912-345-678", "p1@a1.gov.tw", "A123456789", True),)
OFFER = CallbackOffer(enabled=True, offer_after_s=30.0, retries=1, retry_delay_s=60.0, ring_s=20.0)
SECONDS = {"welcome": 2.0, "menu_main": 4.0, OFFER_PROMPT: 3.0, THANKS_PROMPT: 2.0}


def the_centre() -> Centre:
    return centre([agent("N1", "nantou", {"webhr": 3})], agencies=[agency("a1")], ring_timeout_s=10, wrap_up_s=5)


CENTRE = the_centre()
PLAN = ivr_plan(CENTRE, {"main": {"1": "webhr"}}, seconds=SECONDS, extra=(OFFER_PROMPT, THANKS_PROMPT))


def run(tmp_path: Path, script: Any, offer: CallbackOffer = OFFER) -> Live:
    return live(CENTRE, tmp_path / "c.db", script, people=PEOPLE, plan=PLAN, callback=offer)


def now(c: Live) -> float:
    return c.clock.now() - START


async def wait(c: Live, seconds: float) -> None:
    await c.at(now(c) + seconds)


async def into_queue(c: Live, call_id: str) -> float:
    """Dial, hear the welcome and the main menu, press 1: the call enters the WebHR queue; returns when."""
    c.dial_in(call_id, caller=KNOWN)
    await wait(c, SECONDS["welcome"] + SECONDS["menu_main"] + 0.5)
    c.keys(call_id, "1")
    await wait(c, 0)
    return now(c)


def plays(c: Live, call_id: str, prompt: str) -> list[float]:
    return [t for t, p in c.messages(m.PromptPlaying) if p.call_id == call_id and p.prompt == prompt]


def verbs(c: Live, call_id: str) -> list[str]:
    return [e[5] for e in c.events.get(call_id, [])]


async def take_call_back(c: Live, call_id: str) -> None:
    """Wait for the offer, press 1 when it ends, hear the thanks through (the centre releases the line)."""
    while not plays(c, call_id, OFFER_PROMPT):
        await wait(c, 0.5)
    await wait(c, SECONDS[OFFER_PROMPT] + 0.5)
    c.keys(call_id, "1")
    await wait(c, SECONDS[THANKS_PROMPT] + 0.5)


def test_a_caller_takes_the_offer_and_is_served_before_a_later_caller_when_the_agent_is_free(tmp_path: Path) -> None:
    """The offer comes at the configured wait; the call-back keeps its place; the PBX dials; the caller answers."""
    entered: dict[str, float] = {}

    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        entered["c0"] = await into_queue(c, "c0")
        c.agent(m.Answer(agent_id="N1", call_id="c0"))  # N1 is busy from now on
        entered["c1"] = await into_queue(c, "c1")
        await take_call_back(c, "c1")
        entered["c2"] = await into_queue(c, "c2")  # asked after c1 asked for its call-back
        await wait(c, 5)
        c.agent(m.HangUp(agent_id="N1", call_id="c0"))
        await wait(c, 6)  # wrap-up (5 s), then the next offer
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        await wait(c, 3)
        c.bus.publish(m.TRUNK_IN, m.PickUp(call_id="c1"))
        await wait(c, 1)
        await c.store.flush()

    c = run(tmp_path, script)
    [offered_at] = plays(c, "c1", OFFER_PROMPT)
    assert offered_at == entered["c1"] + OFFER.offer_after_s  # at the configured wait
    [(_, released)] = [(t, r) for t, r in c.messages(m.CallReleased) if r.call_id == "c1"]
    assert released.reason == "callback-requested"
    offers = [(o.call_id, o.callback) for _, o in c.offers("N1")]
    assert offers[:2] == [("c0", False), ("c1", True)]  # c1 before c2, which entered after it asked
    [(_, dial)] = c.messages(m.DialOut)
    assert (dial.call_id, dial.agent_id, dial.number, dial.dial, dial.ring_s) == ("c1", "N1", KNOWN, 1, 20.0)
    assert [r.call_id for _, r in c.messages(m.CallConnected)] == ["c0", "c1"]
    rec = c.calls["c1"]
    assert (rec.outcome, rec.state, rec.agent, rec.callback_dials) == (None, "talking", "N1", 1)
    assert rec.callback_at == START + offered_at + SECONDS[OFFER_PROMPT] + 0.5
    assert rec.offered_at == START + entered["c1"]  # its wait still runs from queue entry
    assert verbs(c, "c1")[-5:] == [
        Journal.CALLBACKOFFER,
        Journal.CALLBACKREQUEST,
        Journal.RINGING,
        Journal.CALLBACKDIAL,
        Journal.CONNECT,
    ]
    assert c.calls["c2"].state == "queued"
    assert c.errors() == []


def test_an_unanswered_call_back_is_retried_after_the_delay_then_left_as_a_call_back_case(tmp_path: Path) -> None:
    """Two unanswered dials (one retry): the call ends as callback-failed and its case is marked to call back."""

    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1", ready=False))
        await into_queue(c, "c1")
        await take_call_back(c, "c1")
        c.agent(m.Ready(agent_id="N1"))
        for _ in range(2):
            await wait(c, 1)
            c.agent(m.Answer(agent_id="N1", call_id="c1"))
            await wait(c, OFFER.ring_s + 1)  # rings out at the caller's
            await wait(c, OFFER.retry_delay_s)
        await c.store.flush()

    c = run(tmp_path, script)
    assert [(f.reason) for _, f in c.messages(m.OutboundFailed)] == ["no-answer", "no-answer"]
    assert [d.dial for _, d in c.messages(m.DialOut)] == [1, 2]
    rec = c.calls["c1"]
    assert (rec.outcome, rec.ended_by, rec.callback_dials) == ("callback-failed", "centre", 2)
    assert verbs(c, "c1")[-7:] == [
        Journal.RINGING,
        Journal.CALLBACKDIAL,
        Journal.CALLBACKNOANSWER,
        Journal.REQUEUE,
        Journal.RINGING,
        Journal.CALLBACKDIAL,
        Journal.CALLBACKFAILED,
    ]
    [dials] = [e for e in c.events["c1"] if e[5] == Journal.CALLBACKNOANSWER]
    [second] = [e for e in c.events["c1"] if e[5] == Journal.RINGING][-1:]
    assert second[1] >= dials[1] + OFFER.retry_delay_s  # back in the queue only after the delay
    assert c.state("N1") == "ready"  # freed at once after each unanswered dial
    assert rec.case_id is not None

    async def read() -> Any:
        async with await Store.open(c.db, ScaledClock(0.0)) as store:
            return await store.get_case(rec.case_id or ""), await store.case_steps(rec.case_id or "")

    case, steps = run_clock(read(), ScaledClock(0.0))
    assert case.status == "call-back"
    assert steps[-1].action == "call-back"
    assert "call-back failed after 2 dials" in (steps[-1].note or "")
    assert c.server.day.abandoned == 1


def test_a_caller_who_lets_the_offer_pass_waits_on_as_before(tmp_path: Path) -> None:
    """No key: the offer passes, the call stays queued on the line, and an agent ringing stops nothing of it."""

    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1", ready=False))
        await into_queue(c, "c1")
        await wait(c, OFFER.offer_after_s + SECONDS[OFFER_PROMPT] + 10)
        c.agent(m.Ready(agent_id="N1"))
        await wait(c, 1)
        await c.store.flush()

    c = run(tmp_path, script)
    assert len(plays(c, "c1", OFFER_PROMPT)) == 1
    [(_, offer)] = c.offers("N1")
    assert not offer.callback
    assert c.calls["c1"].callback_at is None
    assert c.messages(m.CallReleased) == []


def test_a_disabled_offer_is_never_played(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1", ready=False))
        await into_queue(c, "c1")
        await wait(c, 120)

    c = run(tmp_path, script, CallbackOffer(enabled=False, offer_after_s=30.0))
    assert plays(c, "c1", OFFER_PROMPT) == []


ANNOUNCED = dataclasses.replace(
    PLAN,
    announcements=Announcements(after_s=20, interval_s=15),
    prompts={
        **PLAN.prompts,
        **{p: {lang: PromptText(p, 4.0) for lang in PLAN.prompts["welcome"]} for p in ANNOUNCEMENT_PROMPTS},
    },
)


def test_the_offer_cuts_an_announcement_and_a_caller_who_asked_to_be_called_back_hears_no_more_of_them(
    tmp_path: Path,
) -> None:
    """An announcement at 20 s is still playing at 30 s: the offer cuts it; after the request none is announced."""

    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1", ready=False))  # on a break: the call waits
        await into_queue(c, "c1")
        await take_call_back(c, "c1")
        await wait(c, 120)  # announcements would be due every 15 s
        await c.store.flush()

    c = live(CENTRE, tmp_path / "c.db", script, people=PEOPLE, plan=ANNOUNCED, callback=OFFER)
    entered = next(e[1] - START for e in c.events["c1"] if e[5] == Journal.ENTERQUEUE)
    announced = [e[1] - START - entered for e in c.events["c1"] if e[5] == Journal.ANNOUNCE]
    assert announced == [20.0]  # five pieces of 4 s from 20 s: still playing when the offer comes at 30 s
    [(released_at, released)] = [(t, r) for t, r in c.messages(m.CallReleased) if r.call_id == "c1"]
    assert released.reason == "callback-requested"
    assert Journal.CALLBACKREQUEST in verbs(c, "c1")
    # The offer at 30 s (3 s), 1 at 33.5 s, the thanks (2 s) at once: released at 35.5 s, not after the pieces (40 s).
    assert released_at - entered == 30 + SECONDS[OFFER_PROMPT] + 0.5 + SECONDS[THANKS_PROMPT]
    assert c.errors() == []
