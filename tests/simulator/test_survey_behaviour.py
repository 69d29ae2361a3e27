"""How callers score the post-call survey: from the score weights, lower the longer they waited."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.behaviour import CallerBehaviour


def test_a_caller_served_at_once_scores_from_the_weights() -> None:
    b = CallerBehaviour(survey_scores=(0.0, 0.0, 0.0, 0.0, 1.0))
    assert b.survey_score(0.3, 0.0, 1, 5) == 5


def test_each_full_penalty_of_waiting_costs_a_point_never_below_the_lowest() -> None:
    b = CallerBehaviour(survey_scores=(0.0, 0.0, 0.0, 0.0, 1.0), survey_wait_penalty_s=60.0)
    assert [b.survey_score(0.5, w, 1, 5) for w in (59.0, 60.0, 150.0, 1000.0)] == [5, 4, 3, 1]


def test_a_zero_penalty_means_the_wait_does_not_matter() -> None:
    b = CallerBehaviour(survey_scores=(0.0, 1.0), survey_wait_penalty_s=0.0)
    assert b.survey_score(0.9, 10_000.0, 1, 5) == 2


def test_longer_waits_give_a_lower_mean_score() -> None:
    b = CallerBehaviour()
    rng = random.Random(7)
    draws = [rng.random() for _ in range(2000)]
    short = sum(b.survey_score(d, 20.0, 1, 5) for d in draws) / len(draws)
    long = sum(b.survey_score(d, 300.0, 1, 5) for d in draws) / len(draws)
    assert long < short


@given(st.floats(0, 0.999999), st.floats(0, 1e6))
def test_the_score_is_always_in_the_question_s_range(draw: float, waited: float) -> None:
    assert 1 <= CallerBehaviour().survey_score(draw, waited, 1, 5) <= 5


def test_bad_survey_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="survey_scores"):
        CallerBehaviour(survey_scores=(0.0, 0.0))
