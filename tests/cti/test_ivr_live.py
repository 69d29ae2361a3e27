"""The IVR in the live centre: callers walk the menus through the bus, the PBX plays the prompts.

A small centre (two agents, two languages, a main menu with a sub-menu,
08:30-18:30 every day) runs on the in-process bus in virtual time with real
SQLite; the test is the caller, pressing keys after the prompts it hears.
The centre's local time at the start is Friday 2027-01-15 16:00 (open); three
hours later it is closed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from cti.casework.people import Person
from cti.cli import main
from cti.live import messages as m
from cti.live.pbx import Line
from cti.store import Journal
from ivr import IvrPlan
from routing.centre import GENERAL_QUEUE, Centre
from routing.testing import agency, agent, centre, snapshot
from tests.cti.live import START, Live, ivr_plan, live, table_digests

KNOWN = "02-2397-5123"  # P0000001 of agency a1
UNKNOWN = "07-345-6789"  # not in the directory
PEOPLE = (Person("P0000001", "陳怡君", "a1", "人事主任", KNOWN, "0912-345-678", "p1@a1.gov.tw", "A123456789", True),)
SECONDS = {
    "welcome": 2.0,
    "language": 3.0,
    "agency": 3.0,
    "agency_invalid": 1.0,
    "invalid": 1.0,
    "no_input": 1.0,
    "closed": 2.0,
    "callback_offer": 2.0,
    "callback_number": 2.0,
    "callback_invalid": 1.0,
    "callback_thanks": 2.0,
    "goodbye": 2.0,
    "menu_main": 4.0,
    "menu_sub": 3.0,
}
CLOSED_AT = 3 * 3600.0  # 19:00 local
#: The next opening after 19:00 on Friday 2027-01-15: Saturday 08:30, Asia/Taipei.
NEXT_OPENING = START + 16.5 * 3600


def the_centre() -> Centre:
    return centre(
        [
            agent("N1", "nantou", {"webhr": 3}, languages=["zh"]),
            agent("N2", "taipei", {"webhr": 3, "pemis2k": 3}, languages=["zh", "en"]),
        ],
        agencies=[agency("a1", code="301"), agency("south", code="302")],
        languages=["zh", "en"],
        ring_timeout_s=10,
        wrap_up_s=5,
        max_wait_no_agent_s=60,
    )


def the_plan(c: Centre) -> IvrPlan:
    return ivr_plan(c, {"main": {"1": "webhr", "2": "sub"}, "sub": {"1": "pemis2k"}}, seconds=SECONDS)


CENTRE = the_centre()
PLAN = the_plan(CENTRE)


def run(tmp_path: Path, script: Any, c: Centre = CENTRE) -> Live:
    return live(c, tmp_path / "c.db", script, people=PEOPLE, plan=PLAN)


# ----------------------------------------------------------------------
# The caller's ears
# ----------------------------------------------------------------------


def prompts(c: Live, call_id: str) -> list[tuple[float, m.PromptPlaying]]:
    return [(t, p) for t, p in c.messages(m.PromptPlaying) if p.call_id == call_id]


async def playing(c: Live, call_id: str, prompt: str, *, language: str | None = None, limit: float = 300.0) -> float:
    """Let time pass until ``prompt`` (in ``language``, if given) starts on the call, now or later; returns when."""
    t = since = c.clock.now() - START
    while t < since + limit:
        for at, p in prompts(c, call_id):
            if at >= since and p.prompt == prompt and language in (None, p.language):
                return at
        t += 0.25
        await c.at(t)
    raise AssertionError(f"{call_id} never heard {prompt!r}; heard {[p.prompt for _, p in prompts(c, call_id)]}")


async def heard(c: Live, call_id: str, prompt: str, *, language: str | None = None) -> None:
    """Let time pass until ``prompt`` has played to its end on the call (the caller may answer now)."""
    at = await playing(c, call_id, prompt, language=language)
    await c.at(at + SECONDS[prompt])


async def answer(c: Live, call_id: str, prompt: str, digits: str, *, language: str | None = None) -> None:
    """Hear ``prompt`` through, then press ``digits`` (a moment later)."""
    await heard(c, call_id, prompt, language=language)
    await c.at(c.clock.now() - START + 0.5)
    c.keys(call_id, digits)
    await c.at(c.clock.now() - START)


async def through_language(c: Live, call_id: str, key: str = "1") -> None:
    """The welcome and the language menu (played in Mandarin, then English): the caller chooses."""
    await answer(c, call_id, "language", key, language="en")


def journal(c: Live, call_id: str) -> list[tuple[str, Any, Any, Any]]:
    """The call's journal rows: verb and data1..data3 (as SQLite keeps them: numbers in IVR rows are text)."""
    return [(e[5], e[7], e[8], e[9]) for e in c.events.get(call_id, [])]


def verbs(c: Live, call_id: str) -> list[str]:
    return [v for v, *_ in journal(c, call_id)]


def log_in(c: Live, *agents: str) -> None:
    for agent_id in agents:
        c.agent(m.Login(agent_id=agent_id))


async def answer_offer(c: Live, agent_id: str, call_id: str) -> None:
    c.agent(m.Answer(agent_id=agent_id, call_id=call_id))
    await c.at(c.clock.now() - START + 1)


# ----------------------------------------------------------------------
# Through the menus to an agent
# ----------------------------------------------------------------------


def test_a_known_caller_walks_the_menus_to_an_agent_whose_pop_shows_the_choices(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1", "N2")
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1")
        await answer(c, "c1", "menu_main", "2")
        await answer(c, "c1", "menu_sub", "1")
        await answer_offer(c, "N2", "c1")

    c = run(tmp_path, script)
    [(routed_at, offer)] = c.offers("N2")
    assert (offer.system, offer.agency, offer.queue) == ("pemis2k", "a1", "pemis2k")
    assert offer.pop is not None
    assert offer.pop.ivr == {"agency": "directory", "language": "zh", "main": "2", "sub": "1"}
    assert (offer.pop.language, offer.pop.unknown) == ("zh", [])
    assert [type(msg) for _, msg in c.messages(m.CallConnected)] == [m.CallConnected]
    rec = c.calls["c1"]
    assert (rec.system, rec.agency, rec.language, rec.ivr_outcome, rec.state) == (
        "pemis2k",
        "a1",
        "zh",
        "routed",
        "talking",
    )
    assert rec.offered_at == pytest.approx(START + routed_at)  # the queue's wait starts at queue entry, not arrival
    assert rec.ivr_s == pytest.approx(rec.offered_at - rec.arrived_at)
    assert journal(c, "c1")[:6] == [
        (Journal.IVRSTART, "zh", None, None),
        (Journal.IVRSTEP, "language", "language", "zh"),
        (Journal.IVRSTEP, "agency", "agency", "directory:a1"),
        (Journal.IVRSTEP, "choice", "main", "2"),
        (Journal.IVRSTEP, "choice", "sub", "1"),
        (Journal.IVREND, "routed", "pemis2k", str(rec.ivr_s)),
    ]
    assert verbs(c, "c1")[6:8] == [Journal.ENTERQUEUE, Journal.RINGING]
    assert c.errors() == []


def test_a_wrong_key_replays_the_menu_and_the_right_one_then_routes(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1")
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1")
        await answer(c, "c1", "menu_main", "7")
        await answer(c, "c1", "menu_main", "1")
        await c.at(c.clock.now() - START + 1)

    c = run(tmp_path, script)
    heard_ = [p.prompt for _, p in prompts(c, "c1")]
    i = heard_.index("invalid")
    assert heard_[i - 1 :] == ["menu_main", "invalid", "menu_main"]  # the error, then the menu again
    steps = [(kind, menu, value) for verb, kind, menu, value in journal(c, "c1") if verb == Journal.IVRSTEP]
    assert steps[-2:] == [("invalid", "main", "7"), ("choice", "main", "1")]
    [(_, offer)] = c.offers("N1")
    assert offer.system == "webhr"
    assert c.calls["c1"].ivr_outcome == "routed"


def test_silence_until_the_retries_run_out_sends_the_call_to_the_general_queue_where_it_is_answered(
    tmp_path: Path,
) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1")
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1")
        for _ in range(3):  # the first time and two retries, each waited out
            await heard(c, "c1", "menu_main")
        await c.at(c.clock.now() - START + 6)
        await answer_offer(c, "N1", "c1")

    c = run(tmp_path, script)
    steps = [(kind, menu) for verb, kind, menu, _ in journal(c, "c1") if verb == Journal.IVRSTEP]
    assert steps[-3:] == [("no-input", "main")] * 3
    [(_, offer)] = c.offers("N1")
    assert (offer.queue, offer.system) == (GENERAL_QUEUE, None)
    assert offer.pop is not None
    assert offer.pop.unknown == ["system"]
    rec = c.calls["c1"]
    assert (rec.queue, rec.system, rec.ivr_outcome, rec.state) == (
        GENERAL_QUEUE,
        None,
        "general-after-failures",
        "talking",
    )
    assert ("IVREND", "general-after-failures", GENERAL_QUEUE) in [(v, a, b) for v, a, b, _ in journal(c, "c1")]


def test_zero_chooses_the_general_queue(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1")
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1")
        await answer(c, "c1", "menu_main", "0")
        await c.at(c.clock.now() - START + 1)

    c = run(tmp_path, script)
    [(_, offer)] = c.offers("N1")
    assert offer.queue == GENERAL_QUEUE
    assert offer.pop is not None
    assert offer.pop.unknown == ["system"]  # the agent is told the caller chose no system
    [queued] = [e for _, e in c.messages(m.CallEvent) if e.event == "queued"]
    assert queued.rule == "queue-entry"  # the router takes it as any call: not an unknown system
    assert c.calls["c1"].ivr_outcome == "general-chosen"


def test_keys_pressed_while_the_call_waits_in_the_queue_after_the_menus_go_nowhere(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.dial_in("c1", caller=KNOWN)  # nobody logged in: it waits in the queue
        await through_language(c, "c1")
        await answer(c, "c1", "menu_main", "1")
        await c.at(c.clock.now() - START + 1)
        c.keys("c1", "5")
        await c.at(c.clock.now() - START + 1)
        assert c.pbx.lines["c1"] == (Line.WAITING, None)

    c = run(tmp_path, script)
    assert [d.digits for _, d in c.messages(m.Digits)] == ["1", "1"]  # the language and the menu, not the 5
    assert c.errors() == []
    assert c.calls["c1"].state == "queued"


def test_keys_typed_ahead_into_a_sub_menu_route_the_call_and_the_sub_menu_s_prompt_stops(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.dial_in("c1", caller=KNOWN)  # nobody logged in: it waits in the queue
        await through_language(c, "c1")
        await playing(c, "c1", "menu_main")
        c.keys("c1", "2")  # the main menu's choice and the sub-menu's, before its prompt is heard
        c.keys("c1", "1")
        await c.at(c.clock.now() - START + 10)
        assert c.pbx.lines["c1"] == (Line.WAITING, None)
        assert c.pbx.playing == {}

    c = run(tmp_path, script)
    rec = c.calls["c1"]
    assert (rec.state, rec.ivr_outcome, rec.system) == ("queued", "routed", "pemis2k")
    routed_at = next(t for t, msg in c.messages(m.Queue) if msg.call_id == "c1")
    assert [p.prompt for t, p in c.messages(m.PromptDone) if t >= routed_at] == []  # the sub-menu never ended
    assert c.errors() == []


def test_a_late_prompt_done_for_the_mandarin_welcome_is_not_taken_for_the_english_one(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.dial_in("c1", caller=KNOWN)
        en = await playing(c, "c1", "welcome", language="en")
        await c.at(en + 0.5)
        late = m.PromptDone(call_id="c1", prompt="welcome", language="zh")  # the Mandarin one's end, delivered late
        c.bus.publish_raw(m.pbx_ev("c1"), m.encode(late))  # type: ignore[attr-defined]
        await c.at(en + 1.0)
        assert [p.prompt for _, p in prompts(c, "c1")] == ["welcome", "welcome"]  # the English welcome plays on
        await c.at(en + SECONDS["welcome"] + 0.5)

    c = run(tmp_path, script)
    heard_ = [(t, p.prompt, p.language) for t, p in prompts(c, "c1")]
    assert [x[1:] for x in heard_] == [("welcome", "zh"), ("welcome", "en"), ("language", "zh")]
    english_at, language_at = heard_[1][0], heard_[2][0]
    assert language_at == pytest.approx(english_at + SECONDS["welcome"])  # when the English welcome ended
    assert c.errors() == []


# ----------------------------------------------------------------------
# Hanging up in the menus
# ----------------------------------------------------------------------


async def to_welcome(c: Live) -> None:
    await playing(c, "c1", "welcome")


async def to_language(c: Live) -> None:
    await playing(c, "c1", "language")


async def to_agency(c: Live) -> None:
    await through_language(c, "c1")
    await playing(c, "c1", "agency")


async def to_main(c: Live) -> None:
    await through_language(c, "c1")
    await playing(c, "c1", "menu_main")


async def to_sub(c: Live) -> None:
    await through_language(c, "c1")
    await answer(c, "c1", "menu_main", "2")
    await playing(c, "c1", "menu_sub")


@pytest.mark.parametrize(
    ("walk", "where"),
    [(to_welcome, "welcome"), (to_language, "language"), (to_agency, "agency"), (to_main, "main"), (to_sub, "sub")],
    ids=["welcome", "language", "agency", "main", "sub"],
)
def test_a_caller_hanging_up_in_the_menus_is_an_ivr_abandon_journalled_where_it_happened(
    tmp_path: Path, walk: Any, where: str
) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1", "N2")
        c.dial_in("c1", caller=UNKNOWN)  # unknown: asked for the agency code
        await walk(c)
        await c.at(c.clock.now() - START + 0.5)  # while the prompt plays
        c.caller_hangs_up("c1")
        await c.at(c.clock.now() - START + 60)
        assert c.server.router.calls == {}
        assert c.server.menus is not None
        assert len(c.server.menus) == 0
        assert c.server.idle()

    c = run(tmp_path, script)
    rec = c.calls["c1"]
    assert (rec.outcome, rec.ivr_outcome, rec.ended_by, rec.offered_at, rec.case_id) == (
        "ivr-abandoned",
        "ivr-abandoned",
        "caller",
        None,
        None,
    )
    assert rec.ended_at is not None
    assert rec.ivr_s == pytest.approx(rec.ended_at - rec.arrived_at)
    entries = journal(c, "c1")
    assert entries[0][0] == Journal.IVRSTART
    assert entries[-1] == (Journal.IVREND, "ivr-abandoned", where, str(rec.ivr_s))
    assert Journal.ENTERQUEUE not in verbs(c, "c1")
    assert [e.event for _, e in c.messages(m.CallEvent)] == ["ivr-abandoned"]
    assert c.offers() == []
    assert c.errors() == []
    assert c.server.day.offered == 0
    assert c.server.day.abandoned == 0
    assert c.server.day.ivr_abandoned == 1


# ----------------------------------------------------------------------
# Languages and agencies
# ----------------------------------------------------------------------


def test_an_english_caller_is_offered_only_to_an_agent_who_speaks_english(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1")  # N1 speaks Mandarin only, and is the first ready
        await c.at(1)
        log_in(c, "N2")
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1", "2")
        await answer(c, "c1", "menu_main", "1")
        await c.at(c.clock.now() - START + 1)

    c = run(tmp_path, script)
    assert [o.call_id for _, o in c.offers("N1")] == []
    [(_, offer)] = c.offers("N2")
    assert offer.pop is not None
    assert (offer.system, offer.pop.language, offer.pop.ivr["language"]) == ("webhr", "en", "en")
    played = {p.language for t, p in prompts(c, "c1") if p.prompt == "menu_main"}
    assert played == {"en"}  # after the choice, the prompts are in English
    assert c.calls["c1"].language == "en"


def test_an_unknown_caller_who_keys_the_agency_code_is_routed_with_that_agency(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1")
        c.dial_in("c1", caller=UNKNOWN)
        await through_language(c, "c1")
        await answer(c, "c1", "agency", "302#")
        await answer(c, "c1", "menu_main", "1")
        await c.at(c.clock.now() - START + 1)

    c = run(tmp_path, script)
    [(_, offer)] = c.offers("N1")
    assert offer.agency == "south"
    assert offer.pop is not None
    assert (offer.pop.ivr["agency"], offer.pop.unknown, offer.pop.profile) == ("code", [], None)
    assert (Journal.IVRSTEP, "agency", "agency", "code:south") in journal(c, "c1")
    assert c.calls["c1"].agency == "south"


@pytest.mark.parametrize("keys", [["999#", "888#", "777#"], ["#"]], ids=["wrong-every-time", "none"])
def test_an_unknown_caller_who_cannot_give_an_agency_still_reaches_an_agent_and_the_pop_says_it_is_unknown(
    tmp_path: Path, keys: list[str]
) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1")
        c.dial_in("c1", caller=UNKNOWN)
        await through_language(c, "c1")
        for code in keys:
            await answer(c, "c1", "agency", code)
        await answer(c, "c1", "menu_main", "1")
        await c.at(c.clock.now() - START + 1)

    c = run(tmp_path, script)
    [(_, offer)] = c.offers("N1")
    assert (offer.system, offer.agency) == ("webhr", None)
    assert offer.pop is not None
    assert (offer.pop.ivr["agency"], offer.pop.unknown) == ("unknown", ["agency"])
    assert (Journal.IVRSTEP, "agency", "agency", "unknown") in journal(c, "c1")
    invalid = [e for e in journal(c, "c1") if e[:3] == (Journal.IVRSTEP, "invalid", "agency")]
    assert len(invalid) == len(keys) - (keys == ["#"])
    assert (c.calls["c1"].agency, c.calls["c1"].ivr_outcome) == (None, "routed")


# ----------------------------------------------------------------------
# After hours
# ----------------------------------------------------------------------


def test_after_hours_a_caller_who_leaves_a_number_gets_a_call_back_case_due_at_the_next_opening(
    tmp_path: Path,
) -> None:
    async def script(c: Live) -> None:
        await c.at(CLOSED_AT)
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1")
        await heard(c, "c1", "closed")
        await answer(c, "c1", "callback_offer", "1")
        await answer(c, "c1", "callback_number", "0912345678#")
        await heard(c, "c1", "callback_thanks")
        await c.at(c.clock.now() - START + 1)
        assert c.server.idle()
        await c.store.flush()

    c = run(tmp_path, script)
    rec = c.calls["c1"]
    assert (rec.outcome, rec.ivr_outcome, rec.system, rec.offered_at, rec.ended_by) == (
        "after-hours",
        "after-hours-callback",
        None,
        None,
        "centre",
    )
    assert rec.case_id is not None

    async def read() -> Any:
        from cti.clock import ScaledClock
        from cti.store import Store

        async with await Store.open(c.db, ScaledClock(0.0)) as store:
            return await store.get_case(rec.case_id or ""), await store.case_steps(rec.case_id or "")

    from cti.clock import ScaledClock
    from cti.clock import run as run_clock

    case, steps = run_clock(read(), ScaledClock(0.0))
    assert case is not None
    assert (case.status, case.due_at, case.call_id, case.person_id) == ("call-back", NEXT_OPENING, "c1", "P0000001")
    assert case.notes is not None
    assert "0912345678" in case.notes
    assert [s.action for s in steps] == ["created", "call-back"]
    entries = journal(c, "c1")
    [opening] = [float(a) for v, a, _, _ in entries if v == Journal.AFTERHOURS]
    assert opening == NEXT_OPENING
    assert entries[-1][:2] == (Journal.IVREND, "after-hours-callback")
    [(_, released)] = c.messages(m.CallReleased)
    assert released.reason == "after-hours"
    assert [e.event for _, e in c.messages(m.CallEvent)] == ["after-hours"]
    assert (c.server.day.offered, c.server.day.after_hours, c.server.day.after_hours_callback) == (0, 1, 1)


def test_the_call_back_case_of_a_caller_whose_agency_nobody_knows_shows_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def script(c: Live) -> None:
        await c.at(CLOSED_AT)
        c.dial_in("c1", caller=UNKNOWN)  # not in the directory; after hours nobody asks for the agency code
        await through_language(c, "c1")
        await heard(c, "c1", "closed")
        await answer(c, "c1", "callback_offer", "1")
        await answer(c, "c1", "callback_number", "0912345678#")
        await heard(c, "c1", "callback_thanks")
        await c.at(c.clock.now() - START + 1)
        await c.store.flush()

    c = run(tmp_path, script)
    case_id = c.calls["c1"].case_id
    db = str(c.db)

    def cli(*argv: str) -> str:
        assert main([*argv, "--db", db]) == 0
        return capsys.readouterr().out

    [listed] = json.loads(cli("cases", "list", "--json"))
    shown = json.loads(cli("cases", "show", str(case_id), "--json"))
    assert (listed["agency"], shown["agency"]) == (None, None)
    assert (listed["system"], shown["system"]) == (GENERAL_QUEUE, GENERAL_QUEUE)  # the caller chose no system
    [row] = [line for line in cli("cases", "list").splitlines() if str(case_id) in line]
    assert re.search(rf"{GENERAL_QUEUE}\s+│\s+–\s+│", row)  # system, then the agency column: a dash
    assert "agency –, system general" in cli("cases", "show", str(case_id))
    [exported] = csv.DictReader(io.StringIO(cli("export", "cases")))
    assert (exported["system"], exported["agency"]) == (GENERAL_QUEUE, "")  # CSV has no null: an empty cell


def test_after_hours_a_caller_who_leaves_no_number_hears_goodbye_and_is_released_with_no_case(
    tmp_path: Path,
) -> None:
    async def script(c: Live) -> None:
        await c.at(CLOSED_AT)
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1")
        await heard(c, "c1", "callback_offer")
        await heard(c, "c1", "goodbye")
        await c.at(c.clock.now() - START + 1)

    c = run(tmp_path, script)
    rec = c.calls["c1"]
    assert (rec.outcome, rec.ivr_outcome, rec.case_id) == ("after-hours", "after-hours", None)
    assert [v for v in verbs(c, "c1") if v in (Journal.AFTERHOURS, Journal.IVREND)] == [
        Journal.AFTERHOURS,
        Journal.IVREND,
    ]
    [(_, released)] = c.messages(m.CallReleased)
    assert released.reason == "after-hours"


@pytest.mark.parametrize(
    ("offer_key", "last", "ivr_outcome"),
    [("2", "goodbye", "after-hours"), ("1", "callback_thanks", "after-hours-callback")],
    ids=["goodbye", "thank-you"],
)
def test_after_hours_a_caller_who_hangs_up_during_the_last_prompt_ended_the_call(
    tmp_path: Path, offer_key: str, last: str, ivr_outcome: str
) -> None:
    async def script(c: Live) -> None:
        await c.at(CLOSED_AT)
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1")
        await heard(c, "c1", "closed")
        await answer(c, "c1", "callback_offer", offer_key)
        if offer_key == "1":
            await answer(c, "c1", "callback_number", "0912345678#")
        await playing(c, "c1", last)
        await c.at(c.clock.now() - START + 0.5)
        c.caller_hangs_up("c1")
        await c.at(c.clock.now() - START + 5)
        assert c.server.idle()

    c = run(tmp_path, script)
    rec = c.calls["c1"]
    assert (rec.outcome, rec.ivr_outcome, rec.ended_by) == ("after-hours", ivr_outcome, "caller")
    assert (rec.case_id is not None) == (offer_key == "1")  # the number left stands
    assert [v for v in verbs(c, "c1") if v in (Journal.AFTERHOURS, Journal.IVREND)] == [
        Journal.AFTERHOURS,
        Journal.IVREND,
    ]
    assert c.messages(m.CallReleased) == []  # nobody left on the line to release
    assert [e.event for _, e in c.messages(m.CallEvent)] == ["after-hours"]
    assert c.errors() == []


def test_a_caller_who_hangs_up_the_instant_a_menu_prompt_ends_is_an_ivr_abandon(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1")
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1")
        at = await playing(c, "c1", "menu_main")
        await c.at(at + SECONDS["menu_main"])  # the same instant the PBX reports the prompt's end
        c.caller_hangs_up("c1")
        await c.at(c.clock.now() - START + 60)
        assert c.server.idle()

    c = run(tmp_path, script)
    rec = c.calls["c1"]
    assert (rec.outcome, rec.ivr_outcome, rec.ended_by, rec.offered_at) == (
        "ivr-abandoned",
        "ivr-abandoned",
        "caller",
        None,
    )
    assert journal(c, "c1")[-1][:3] == (Journal.IVREND, "ivr-abandoned", "main")
    assert c.errors() == []


# ----------------------------------------------------------------------
# Refusals change nothing; recovery closes what a kill left in the menus
# ----------------------------------------------------------------------


def everything(c: Live) -> Any:
    calls = c.server.calls
    menus = c.server.menus
    return (
        snapshot(c.server.router),
        sorted((call_id, live.record.state) for call_id, live in calls.live.items()),
        sorted(menus.in_menus) if menus is not None else None,
        sorted(c.server.desk.calls),
    )


@pytest.mark.parametrize(
    "message",
    [
        m.Digits(call_id="c1", digits="1"),
        m.PromptDone(call_id="c1", prompt="menu_main", language="zh"),
        m.Digits(call_id="c9", digits="1"),
    ],
    ids=["digits-queued-call", "prompt-done-queued-call", "digits-unknown-call"],
)
def test_keys_or_a_prompt_s_end_for_a_call_not_in_the_menus_are_refused_and_change_nothing(
    tmp_path: Path, message: m.Message
) -> None:
    async def script(c: Live) -> None:
        c.dial_in("c1", caller=KNOWN)  # nobody logged in: it waits in the queue
        await through_language(c, "c1")
        await answer(c, "c1", "menu_main", "1")
        await c.at(c.clock.now() - START + 1)
        assert c.server.router.calls["c1"].queue == "webhr"
        await c.store.flush()
        assert c.server.router.advance(c.clock.now()) == []  # the router at the clock's time, nothing due
        state, tables = everything(c), table_digests(c.db)
        c.bus.publish_raw(m.pbx_ev(message.call_id), m.encode(message))  # type: ignore[attr-defined]
        for _ in range(20):
            await asyncio.sleep(0)
        await c.store.flush()
        assert everything(c) == state
        assert table_digests(c.db) == tables

    c = run(tmp_path, script)
    assert [e.code for e in c.errors()] == ["unknown-call"]


def test_keys_in_a_centre_without_an_ivr_are_refused(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.bus.publish_raw(m.pbx_ev("c1"), m.encode(m.Digits(call_id="c1", digits="1")))
        await c.at(1)

    c = live(CENTRE, tmp_path / "c.db", script)
    assert [e.code for e in c.errors()] == ["unknown-call"]


def test_a_call_in_the_menus_when_the_process_dies_is_closed_as_interrupted_at_the_next_start(tmp_path: Path) -> None:
    async def killed(c: Live) -> None:
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1")
        await playing(c, "c1", "menu_main")
        await c.store.flush()  # what was committed before the kill

    run(tmp_path, killed)  # the centre stops with the call in the menus, as a kill leaves it

    async def restarted(c: Live) -> None:
        await c.at(1)

    c = live(CENTRE, tmp_path / "c.db", restarted, plan=PLAN)  # the directory is there already
    rec = c.calls["c1"]
    assert (rec.outcome, rec.state, rec.offered_at) == ("interrupted", "ivr", None)
    assert verbs(c, "c1")[-1] == Journal.INTERRUPTED
    assert journal(c, "c1")[-1][1] == "ivr"  # the last known state


# ----------------------------------------------------------------------
# The call's choices in the store
# ----------------------------------------------------------------------


def test_the_call_row_keeps_the_choices_as_json(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N2")
        c.dial_in("c1", caller=KNOWN)
        await through_language(c, "c1", "2")
        await answer(c, "c1", "menu_main", "2")
        await answer(c, "c1", "menu_sub", "1")
        await c.at(c.clock.now() - START + 1)

    c = run(tmp_path, script)
    assert json.loads(c.calls["c1"].ivr or "{}") == {"agency": "directory", "language": "en", "main": "2", "sub": "1"}


def test_without_an_ivr_a_dial_with_no_system_attached_goes_to_the_general_queue_flagged(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1")
        c.dial_in("c1", caller=KNOWN)
        await c.at(1)

    c = live(CENTRE, tmp_path / "c.db", script, people=PEOPLE)
    [(_, offer)] = c.offers("N1")
    assert (offer.queue, offer.system, offer.agency) == (GENERAL_QUEUE, None, None)
    assert offer.pop is not None
    assert offer.pop.unknown == ["system"]
    assert prompts(c, "c1") == []
    assert Journal.IVRSTART not in verbs(c, "c1")
    assert c.calls["c1"].ivr_outcome is None
