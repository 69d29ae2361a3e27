"""``[survey]`` in a centre file: read beside ``[ivr]``, refused with file, line and field."""

from __future__ import annotations

import re

import pytest

from cti.config import ConfigError, default_centre_text, load_default, parse_centre


def mutate(pattern: str, replacement: str) -> str:
    text, n = re.subn(pattern, replacement, default_centre_text(), count=1, flags=re.MULTILINE)
    assert n == 1, pattern
    return text


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_default_centre_ships_the_default_survey() -> None:
    plan = load_default().ivr
    assert plan is not None
    assert plan.survey is not None
    survey = plan.survey
    assert [(q.id, q.low, q.high) for q in survey.questions] == [("satisfaction", 1, 5), ("solved", 1, 2)]
    assert (survey.score, survey.dissatisfied_at_most, survey.satisfied_at_least, survey.target) == (
        "satisfaction",
        2,
        4,
        0.85,
    )
    for prompt in survey.prompts:
        assert set(plan.prompts[prompt]) == {"zh", "en"}


def test_enabled_false_turns_the_survey_off() -> None:
    loaded = parse_centre(mutate(r"^enabled = true", "enabled = false"), "c.toml")
    assert loaded.ivr is not None
    assert loaded.ivr.survey is None


def test_a_file_without_survey_has_none() -> None:
    text = re.sub(r"^\[survey\].*?(?=^# -+ hours)", "", default_centre_text(), count=1, flags=re.M | re.S)
    loaded = parse_centre(text, "c.toml")
    assert loaded.ivr is not None
    assert loaded.ivr.survey is None


@pytest.mark.parametrize(
    ("pattern", "replacement", "needle", "field"),
    [
        (
            r"^dissatisfied_at_most = 2",
            "dissatisfied_at_most = 9",
            "dissatisfied_at_most = 9",
            "survey.dissatisfied_at_most",
        ),
        (r"^target = 0.85", 'target = "high"', 'target = "high"', "survey.target"),
        (r'^prompt = "survey_solved"', 'prompt = "survey_nope"', 'prompt = "survey_nope"', "prompts.survey_nope"),
        (r"^high = 2", "high = 0", "high = 0", "survey.questions[1].high"),
        (r'^score = "satisfaction"', 'score = "nps"', 'score = "nps"', "survey.score"),
    ],
)
def test_a_broken_survey_is_refused_at_its_line(pattern: str, replacement: str, needle: str, field: str) -> None:
    text = mutate(pattern, replacement)
    with pytest.raises(ConfigError) as caught:
        parse_centre(text, "c.toml")
    assert caught.value.field == field
    if field.startswith("survey"):
        assert caught.value.line == line_of(text, needle)
    assert str(caught.value).startswith("c.toml:")


def test_survey_without_ivr_is_refused() -> None:
    text = re.sub(r"^\[ivr\].*?(?=^# -+ survey)", "", default_centre_text(), count=1, flags=re.M | re.S)
    with pytest.raises(ConfigError) as caught:
        parse_centre(text, "c.toml")
    assert caught.value.field in {"hours", "prompts", "survey"}
