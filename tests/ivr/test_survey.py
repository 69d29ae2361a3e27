"""The post-call survey state machine: consent, questions, retries, hang-ups, reading ``[survey]``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr import CallerHungUp, DigitsPressed, IvrError, Play, PromptFinished, PromptText
from ivr.reading import survey_from_mapping
from ivr.survey import Answer, Survey, SurveyCommand, SurveyEnded, SurveyOffered, SurveyOutcome
from ivr.survey_plan import CONSENT, THANKS, SurveyPlan, default_questions

PROMPTS = {
    p: {"zh": PromptText("…", 3.0)}
    for p in (CONSENT, THANKS, "survey_satisfaction", "survey_solved", "invalid", "no_input")
}
PLAN = SurveyPlan(default_questions(), digit_timeout_s=5.0, retries=1)


def offered(now: float = 0.0) -> tuple[Survey, list[SurveyCommand]]:
    s = Survey(PLAN, PROMPTS)
    return s, s.apply(SurveyOffered("c1", "zh"), now)


def played(cmds: list[SurveyCommand]) -> list[str]:
    return [c.prompt for c in cmds if isinstance(c, Play)]


def ended(cmds: list[SurveyCommand]) -> SurveyEnded | None:
    return next((c for c in cmds if isinstance(c, SurveyEnded)), None)


def test_offer_plays_the_consent_prompt_taking_keys() -> None:
    _, cmds = offered()
    assert cmds == [Play("c1", CONSENT, "zh", True)]


def test_consent_then_answers_then_thanks_completes() -> None:
    s, _ = offered()
    assert played(s.apply(DigitsPressed("c1", "1"), 1.0)) == ["survey_satisfaction"]
    cmds = s.apply(DigitsPressed("c1", "4"), 2.0)
    assert Answer("c1", "satisfaction", 4) in cmds
    cmds = s.apply(DigitsPressed("c1", "2"), 3.0)
    assert Answer("c1", "solved", 2) in cmds
    assert played(cmds) == [THANKS]
    end = ended(s.apply(PromptFinished("c1", THANKS, "zh"), 6.0))
    assert end == SurveyEnded("c1", SurveyOutcome.COMPLETED, True, 2)
    assert not s.active("c1")


@pytest.mark.parametrize("key", ["2", "9", "#", "0"])
def test_any_other_key_at_consent_declines_without_thanks(key: str) -> None:
    s, _ = offered()
    cmds = s.apply(DigitsPressed("c1", key), 1.0)
    assert played(cmds) == []
    assert ended(cmds) == SurveyEnded("c1", SurveyOutcome.DECLINED, False, 0)


def test_no_key_at_consent_declines_at_the_digit_timeout() -> None:
    s, _ = offered()
    s.apply(PromptFinished("c1", CONSENT, "zh"), 3.0)
    assert s.next_timer_at() == 8.0
    assert ended(s.advance(8.0)) == SurveyEnded("c1", SurveyOutcome.DECLINED, False, 0)


def test_hang_up_mid_survey_keeps_the_answers_given() -> None:
    s, _ = offered()
    s.apply(DigitsPressed("c1", "1"), 1.0)
    answers = s.apply(DigitsPressed("c1", "2"), 2.0)
    assert Answer("c1", "satisfaction", 2) in answers
    end = ended(s.apply(CallerHungUp("c1"), 3.0))
    assert end == SurveyEnded("c1", SurveyOutcome.PARTIAL, True, 1)


def test_hang_up_during_the_thanks_still_completes() -> None:
    s, _ = offered()
    s.apply(DigitsPressed("c1", "1"), 1.0)
    s.apply(DigitsPressed("c1", "5"), 2.0)
    s.apply(DigitsPressed("c1", "1"), 3.0)
    end = ended(s.apply(CallerHungUp("c1"), 4.0))
    assert end is not None
    assert end.outcome is SurveyOutcome.COMPLETED


def test_invalid_key_is_retried_with_the_invalid_prompt() -> None:
    s, _ = offered()
    s.apply(DigitsPressed("c1", "1"), 1.0)
    cmds = s.apply(DigitsPressed("c1", "7"), 2.0)  # satisfaction takes 1-5
    assert played(cmds) == ["invalid"]
    s.apply(PromptFinished("c1", "invalid", "zh"), 5.0)
    assert Answer("c1", "satisfaction", 3) in s.apply(DigitsPressed("c1", "3"), 6.0)


def test_no_input_is_retried_then_the_question_is_left_unanswered() -> None:
    s, _ = offered()
    s.apply(DigitsPressed("c1", "1"), 1.0)
    s.apply(PromptFinished("c1", "survey_satisfaction", "zh"), 4.0)
    assert played(s.advance(9.0)) == ["no_input"]  # retry 1 of 1
    s.apply(PromptFinished("c1", "no_input", "zh"), 12.0)
    s.apply(PromptFinished("c1", "survey_satisfaction", "zh"), 15.0)
    cmds = s.advance(20.0)  # retries used up: on to the next question
    assert played(cmds) == ["survey_solved"]
    assert not any(isinstance(c, Answer) for c in cmds)
    s.apply(DigitsPressed("c1", "1"), 21.0)
    end = ended(s.apply(PromptFinished("c1", THANKS, "zh"), 25.0))
    assert end == SurveyEnded("c1", SurveyOutcome.PARTIAL, True, 1)


def test_a_prompt_that_never_reports_its_end_is_given_up_on() -> None:
    s, _ = offered()
    assert s.next_timer_at() == 3.0 + 5.0  # seconds + grace
    s.advance(8.0)
    assert ended(s.advance(13.0)) is not None  # then the digit timeout: declined


def test_errors_change_nothing() -> None:
    s, _ = offered()
    with pytest.raises(IvrError):
        s.apply(DigitsPressed("c1", "x"), 1.0)
    with pytest.raises(IvrError):
        s.apply(DigitsPressed("nope", "1"), 1.0)
    with pytest.raises(IvrError):
        s.apply(SurveyOffered("c1", "zh"), 1.0)
    with pytest.raises(IvrError):
        s.apply(SurveyOffered("c2", "fr"), 1.0)
    assert s.where("c1") == "consent"
    assert len(s) == 1


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["1", "2", "3", "5", "7", "*", "#", "wait", "done", "hang"]), max_size=30))
def test_every_survey_ends_once_and_answers_are_in_range(actions: list[str]) -> None:
    s, _ = offered()
    now, out = 0.0, []
    for action in actions:
        if not s.active("c1"):
            break
        now += 1.0
        out += s.advance(now)
        if not s.active("c1"):
            break
        if action == "hang":
            out += s.apply(CallerHungUp("c1"), now)
        elif action == "wait":
            now += 20.0
            out += s.advance(now)
        elif action == "done":
            prompt = next((c.prompt for c in reversed(out) if isinstance(c, Play)), CONSENT)
            out += s.apply(PromptFinished("c1", prompt, "zh"), now)
        else:
            out += s.apply(DigitsPressed("c1", action), now)
    while s.active("c1"):
        now += 20.0
        out += s.advance(now)
    ends = [c for c in out if isinstance(c, SurveyEnded)]
    answers = [c for c in out if isinstance(c, Answer)]
    assert len(ends) == 1
    assert ends[0].answered == len(answers)
    for a in answers:
        q = PLAN.question(a.question)
        assert q.low <= a.value <= q.high


# ----------------------------------------------------------------------
# [survey]


def test_an_empty_table_gives_the_defaults() -> None:
    plan = survey_from_mapping({})
    assert plan is not None
    assert [q.id for q in plan.questions] == ["satisfaction", "solved"]
    assert (plan.score, plan.dissatisfied_at_most, plan.satisfied_at_least, plan.target) == ("satisfaction", 2, 4, 0.85)


def test_disabled_or_absent_means_no_survey() -> None:
    assert survey_from_mapping(None) is None
    assert survey_from_mapping({"enabled": False}) is None


@pytest.mark.parametrize(
    ("table", "path"),
    [
        ({"colour": 1}, "survey.colour"),
        ({"enabled": "yes"}, "survey.enabled"),
        ({"target": 1.5}, "survey.target"),
        ({"score": "nps"}, "survey.score"),
        ({"questions": []}, "survey.questions"),
        ({"questions": [{"id": "q", "prompt": "p", "low": 1}]}, "survey.questions[0].high"),
        ({"questions": [{"id": "q", "prompt": "p", "low": 3, "high": 2}]}, "survey.questions[0].high"),
        ({"dissatisfied_at_most": 5, "satisfied_at_least": 4}, "survey.satisfied_at_least"),
    ],
)
def test_bad_survey_tables_name_the_field(table: dict[str, object], path: str) -> None:
    with pytest.raises(IvrError) as err:
        survey_from_mapping(table)
    assert err.value.path == path


def test_a_hang_up_at_the_consent_prompt_is_a_decline() -> None:
    s, _ = offered()
    assert ended(s.apply(CallerHungUp("c1"), 1.0)) == SurveyEnded("c1", SurveyOutcome.DECLINED, False, 0)


def test_star_repeats_the_question_without_counting_a_retry() -> None:
    s, _ = offered()
    s.apply(DigitsPressed("c1", "1"), 1.0)
    for t in (2.0, 3.0, 4.0, 5.0):  # more repeats than the retries allow
        assert played(s.apply(DigitsPressed("c1", "*"), t)) == ["survey_satisfaction"]
    assert Answer("c1", "satisfaction", 5) in s.apply(DigitsPressed("c1", "5"), 6.0)
