"""The survey figures, from hand-built surveys."""

from __future__ import annotations

import pytest

from ivr.survey_figures import SurveyRecord, survey_figures


def test_offered_taken_completed_and_scores() -> None:
    f = survey_figures(
        [
            SurveyRecord("a", False, "declined"),
            SurveyRecord("b", True, "completed", 5),
            SurveyRecord("c", True, "completed", 4),
            SurveyRecord("d", True, "partial", 2),  # hung up after the score
            SurveyRecord("e", True, "partial"),  # hung up before it
            SurveyRecord("f", False, None),  # cut off by a stop
        ]
    )
    assert (f.offered, f.taken, f.completed, f.scored) == (6, 4, 2, 3)
    assert f.average_score == pytest.approx(11 / 3)
    assert (f.satisfied, f.dissatisfied) == (2, 1)
    assert f.satisfied_share == pytest.approx(2 / 3)
    assert f.meets_target is False


def test_the_levels_and_target_are_the_centre_s() -> None:
    rows = [SurveyRecord(str(i), True, "completed", score) for i, score in enumerate([3, 3, 5, 1])]
    f = survey_figures(rows, satisfied_at_least=3, dissatisfied_at_most=1, target=0.75)
    assert (f.satisfied, f.dissatisfied, f.satisfied_share, f.meets_target) == (3, 1, 0.75, True)


def test_nothing_scored_has_no_average_and_no_verdict() -> None:
    f = survey_figures([SurveyRecord("a", False, "declined")])
    assert (f.average_score, f.satisfied_share, f.meets_target) == (None, None, None)
    assert survey_figures([]).offered == 0
