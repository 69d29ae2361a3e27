"""The post-call survey in the live centre: after the agent hangs up, the caller's line goes to the survey.

The centre of ``test_ivr_live`` with a ``[survey]`` (the default questions: satisfaction 1-5, solved 1/2),
on the in-process bus in virtual time with real SQLite; the test is the caller and the agent.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

from cti.live import messages as m
from cti.live.server.casedesk import SUPERVISORS
from cti.live.server.survey import SURVEY_DONE
from ivr import PromptText
from ivr.reading import survey_from_mapping
from tests.cti.live import START, Live, live
from tests.cti.test_ivr_live import CENTRE, KNOWN, PEOPLE, PLAN, SECONDS, answer, answer_offer, log_in, playing
from tests.cti.test_ivr_live import through_language as choose_language

SURVEY_SECONDS = {"survey_consent": 3.0, "survey_satisfaction": 4.0, "survey_solved": 2.0, "survey_thanks": 2.0}
SECONDS.update(SURVEY_SECONDS)  # the helpers of test_ivr_live wait out each prompt by its length
_SURVEY = survey_from_mapping({}, PLAN.timeouts)
_PROMPTS = {
    **PLAN.prompts,
    **{p: {lang: PromptText(f"{p} ({lang})", s) for lang in ("zh", "en")} for p, s in SURVEY_SECONDS.items()},
}
SURVEYED = dataclasses.replace(PLAN, prompts=_PROMPTS, survey=_SURVEY)


def run(tmp_path: Path, script: Any) -> Live:
    return live(CENTRE, tmp_path / "c.db", script, people=PEOPLE, plan=SURVEYED)


async def talk_then_agent_hangs_up(c: Live, call_id: str = "c1") -> None:
    """A known caller chooses webhr, N1 answers, and after a minute's talk N1 hangs up."""
    log_in(c, "N1")
    c.dial_in(call_id, caller=KNOWN)
    await choose_language(c, call_id)
    await answer(c, call_id, "menu_main", "1")
    await answer_offer(c, "N1", call_id)
    await c.at(c.clock.now() - START + 60)
    c.agent(m.HangUp(agent_id="N1", call_id=call_id))
    await c.at(c.clock.now() - START)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def releases(c: Live, call_id: str) -> list[str]:
    return [r.reason for _, r in c.messages(m.Release) if r.call_id == call_id]


def test_after_the_agent_hangs_up_the_caller_rates_the_call_and_the_answers_are_stored(tmp_path: Path) -> None:
    states: list[str] = []
    in_survey: list[int] = []

    async def script(c: Live) -> None:
        await talk_then_agent_hangs_up(c)
        await answer(c, "c1", "survey_consent", "1")
        states.append(c.state("N1"))
        in_survey.append(c.server.stats(c.clock.now()).in_survey)
        await answer(c, "c1", "survey_satisfaction", "5")
        await answer(c, "c1", "survey_solved", "1")
        states.append(c.state("N1"))
        await playing(c, "c1", "survey_thanks")
        await c.at(c.clock.now() - START + 5)
        in_survey.append(c.server.stats(c.clock.now()).in_survey)

    c = run(tmp_path, script)
    assert releases(c, "c1") == [SURVEY_DONE]  # not "agent": the line stayed up for the survey
    assert rows(c.db, "SELECT outcome, consented FROM surveys") == [("completed", 1)]
    assert rows(c.db, "SELECT question, answer FROM survey_answers ORDER BY question") == [
        ("satisfaction", 5),
        ("solved", 1),
    ]
    joined = rows(c.db, "SELECT c.agent, c.system, c.agency FROM surveys s JOIN calls c USING (call_id)")
    assert joined == [("N1", "webhr", "a1")]
    assert in_survey == [1, 0]  # the KPI snapshot counts the caller in the survey, then not
    assert "talking" not in states  # the survey never holds the agent
    assert states[-1] == "ready"  # wrap-up (5 s) ended while the caller was still answering
    rec = c.calls["c1"]
    assert (rec.outcome, rec.ended_by) == ("answered", "agent")
    assert c.errors() == []


def test_a_caller_who_hangs_up_first_gets_no_survey(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        log_in(c, "N1")
        c.dial_in("c1", caller=KNOWN)
        await choose_language(c, "c1")
        await answer(c, "c1", "menu_main", "1")
        await answer_offer(c, "N1", "c1")
        await c.at(c.clock.now() - START + 30)
        c.caller_hangs_up("c1")
        await c.at(c.clock.now() - START + 30)

    c = run(tmp_path, script)
    assert [p.prompt for _, p in c.messages(m.PromptPlaying) if p.prompt.startswith("survey")] == []
    assert rows(c.db, "SELECT COUNT(*) FROM surveys") == [(0,)]


def test_without_consent_nothing_is_asked_and_the_line_is_released(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        await talk_then_agent_hangs_up(c)
        await answer(c, "c1", "survey_consent", "2")
        await c.at(c.clock.now() - START + 10)

    c = run(tmp_path, script)
    assert releases(c, "c1") == [SURVEY_DONE]
    assert rows(c.db, "SELECT outcome, consented FROM surveys") == [("declined", 0)]
    assert rows(c.db, "SELECT COUNT(*) FROM survey_answers") == [(0,)]
    assert "survey_satisfaction" not in [p.prompt for _, p in c.messages(m.PromptPlaying)]


def test_a_hang_up_mid_survey_keeps_the_answers_given(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        await talk_then_agent_hangs_up(c)
        await answer(c, "c1", "survey_consent", "1")
        await answer(c, "c1", "survey_satisfaction", "4")
        await playing(c, "c1", "survey_solved")
        c.caller_hangs_up("c1")
        await c.at(c.clock.now() - START + 10)

    c = run(tmp_path, script)
    assert releases(c, "c1") == []  # the caller left: nothing to release
    assert rows(c.db, "SELECT outcome, consented FROM surveys") == [("partial", 1)]
    assert rows(c.db, "SELECT question, answer FROM survey_answers") == [("satisfaction", 4)]
    assert c.errors() == []


def test_a_low_score_opens_a_dissatisfied_call_back_case_for_the_supervisors(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        await talk_then_agent_hangs_up(c)
        await answer(c, "c1", "survey_consent", "1")
        await answer(c, "c1", "survey_satisfaction", "2")
        await answer(c, "c1", "survey_solved", "2")
        await c.at(c.clock.now() - START + 10)

    c = run(tmp_path, script)
    cases = rows(c.db, "SELECT call_id, status, tier, owner, system, agency, notes FROM cases ORDER BY created_at")
    dissatisfied = [case for case in cases if case[3] == SUPERVISORS]
    assert len(dissatisfied) == 1
    call_id, status, tier, _, system, agency, notes = dissatisfied[0]
    assert (call_id, status, tier, system, agency) == (None, "call-back", "first-line", "webhr", "a1")
    assert notes == "dissatisfied — call back: satisfaction 2 after call c1 (agent N1)"
    own = [case for case in cases if case[0] == "c1"]
    assert len(own) == 1  # the call's own case is still the one case of the call


def test_a_good_score_opens_no_case(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        await talk_then_agent_hangs_up(c)
        await answer(c, "c1", "survey_consent", "1")
        await answer(c, "c1", "survey_satisfaction", "3")
        await answer(c, "c1", "survey_solved", "1")
        await c.at(c.clock.now() - START + 10)

    c = run(tmp_path, script)
    assert rows(c.db, f"SELECT COUNT(*) FROM cases WHERE owner = '{SUPERVISORS}'") == [(0,)]


def test_an_invalid_key_is_asked_again_and_silence_runs_out_the_retries(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        await talk_then_agent_hangs_up(c)
        await answer(c, "c1", "survey_consent", "1")
        await answer(c, "c1", "survey_satisfaction", "8")  # out of 1-5
        await answer(
            c,
            "c1",
            "survey_satisfaction",
            "4",
        )
        await c.at(c.clock.now() - START + 60)  # silence at "solved": retried, then left unanswered

    c = run(tmp_path, script)
    heard = [p.prompt for _, p in c.messages(m.PromptPlaying) if p.call_id == "c1"]
    assert "invalid" in heard
    assert "no_input" in heard
    assert rows(c.db, "SELECT outcome FROM surveys") == [("partial",)]
    assert rows(c.db, "SELECT question, answer FROM survey_answers") == [("satisfaction", 4)]
    assert releases(c, "c1") == [SURVEY_DONE]
