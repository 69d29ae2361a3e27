"""Scenario files: the shipped example is valid, and every kind of bad field is named."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from cti.cli.scenario import example_text
from cti.config import load_default
from routing.centre import Centre
from simulator.behaviour import ESCALATION_TIERS, AgentBehaviour, CallerBehaviour
from simulator.scenario import (
    ScenarioError,
    apply_overrides,
    change_centre,
    hhmm,
    scenario_from_mapping,
    template_agents,
)


@pytest.fixture(scope="module")
def centre() -> Centre:
    return load_default().centre


def example() -> dict[str, Any]:
    return tomllib.loads(example_text())


def test_the_example_scenario_is_valid_and_spreads_its_daily_volume(centre: Centre) -> None:
    sc = scenario_from_mapping(example(), centre)
    assert sc.intervals_per_day == 20
    assert sc.interval_labels()[0] == "08:30"
    assert sc.daily_calls == pytest.approx(640)
    assert sum(sc.calls["webhr"]) == pytest.approx(120)
    # the typical day: the 10:00 interval is busier than the 12:30 lunch dip
    assert sc.calls["webhr"][3] > 2 * sc.calls["webhr"][8]
    assert len(sc.shifts) == 3
    assert sc.templates["taipei"].skills["webhr"] == 3


def test_an_empty_scenario_gets_defaults(centre: Centre) -> None:
    sc = scenario_from_mapping({"arrivals": {"daily_calls": 100}}, centre)
    assert (sc.open_s, sc.close_s, sc.interval_s, sc.replications) == (8.5 * 3600, 18.5 * 3600, 1800, 10)
    assert sc.threshold_s == centre.info.service_level_seconds
    assert sc.daily_calls == pytest.approx(100)
    assert set(sc.agency_weights) == {a.id for a in centre.agencies}


def with_change(path: str, value: object) -> dict[str, Any]:
    doc = example()
    node = doc
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "where", "problem"),
    [
        ("arrivals.webhr", -5, "arrivals.webhr", "negative"),
        ("arrivals.nosuch", 10, "arrivals.nosuch", "unknown system"),
        ("arrivals.ecpa", [1, 2, 3], "arrivals.ecpa", "wrong length"),
        ("arrivals.profile", [1.0] * 19, "arrivals.profile", "wrong length"),
        ("scenario.interval_min", 20, "scenario.interval_min", "unsupported interval"),
        ("scenario.replications", 0, "scenario.replications", "out of range"),
        ("scenario.open", "8h30", "scenario.open", "not a time of day"),
        ("scenario.close", "08:00", "scenario.close", "not after open"),
        ("scenario.colour", "red", "scenario.colour", "unknown key"),
        ("scenario.target_service_level", 1.5, "scenario.target_service_level", "out of range"),
        ("talk_time.webhr", {"dist": "gamma", "mean": 3}, "talk_time.webhr.dist", "unknown distribution"),
        ("talk_time.webhr", {"dist": "lognormal", "mean": 200}, "talk_time.webhr.cv", "missing required field"),
        ("talk_time.nosuch", {"dist": "exponential", "mean": 3}, "talk_time.nosuch", "unknown system"),
        ("talk_time.default", {"dist": "exponential", "mean": 0}, "talk_time.default.mean", "out of range"),
        ("talk_time.default", {"dist": "empirical", "values": []}, "talk_time.default.values", "wrong type"),
        ("patience.redial_probability", 2, "patience.redial_probability", "out of range"),
        ("agencies", {"nosuch": 1}, "agencies.nosuch", "unknown agency"),
        ("templates.mars", {"skills": {}}, "templates.mars", "unknown site"),
        ("templates.taipei", {"skills": {"webhr": 9}}, "templates.taipei.skills.webhr", "out of range"),
        ("weather", 1, "weather", "unknown key"),
    ],
)
def test_a_bad_field_is_named_with_its_problem(
    centre: Centre, path: str, value: object, where: str, problem: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(with_change(path, value), centre)
    assert err.value.path == where
    assert err.value.problem == problem


@pytest.mark.parametrize(
    ("shift", "where", "problem"),
    [
        ({"agents": ["N01", "ZZ9"], "start": "08:30", "end": "17:30"}, "shifts[0].agents[1]", "unknown voice agent"),
        ({"agents": ["E01"], "start": "08:30", "end": "17:30"}, "shifts[0].agents[0]", "unknown voice agent"),
        ({"site": "mars", "start": "08:30", "end": "17:30"}, "shifts[0].site", "unknown site"),
        ({"agents": ["N01"], "start": "12:00", "end": "09:00"}, "shifts[0].end", "not after start"),
        ({"start": "08:30", "end": "17:30"}, "shifts[0]", "needs agents or site"),
        (
            {"agents": ["N01"], "start": "08:30", "end": "12:00", "breaks": [{"start": "13:00", "minutes": 30}]},
            "shifts[0].breaks[0].start",
            "outside the shift",
        ),
    ],
)
def test_a_bad_shift_is_named(centre: Centre, shift: dict[str, Any], where: str, problem: str) -> None:
    doc = example()
    doc["shifts"] = [shift]
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(doc, centre)
    assert (err.value.path, err.value.problem) == (where, problem)


def test_an_agent_in_two_shifts_is_refused(centre: Centre) -> None:
    doc = example()
    doc["shifts"] = [
        {"agents": ["N01"], "start": "08:30", "end": "12:00"},
        {"agents": ["N01"], "start": "12:00", "end": "18:30"},
    ]
    with pytest.raises(ScenarioError, match="agent in two shifts"):
        scenario_from_mapping(doc, centre)


def test_overrides_multiply_add_and_set(centre: Centre) -> None:
    doc = apply_overrides(example(), ["arrivals.webhr*=1.5", "arrivals.ecpa+=10", "scenario.name='what if'"])
    sc = scenario_from_mapping(doc, centre)
    assert sum(sc.calls["webhr"]) == pytest.approx(180)
    assert sum(sc.calls["ecpa"]) == pytest.approx(70)
    assert sc.name == "what if"


def test_an_override_multiplies_every_number_of_a_list(centre: Centre) -> None:
    doc = example()
    doc["arrivals"]["ecpa"] = [3.0] * 20
    doc = apply_overrides(doc, ["arrivals.ecpa*=2"])
    assert doc["arrivals"]["ecpa"] == [6.0] * 20


def test_overrides_leave_the_original_document_alone() -> None:
    doc = example()
    apply_overrides(doc, ["arrivals.webhr*=2"])
    assert doc["arrivals"]["webhr"] == 120


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ("arrivals.nosuch*=2", "no such field"),
        ("arrivals.webhr*=lots", "not a number"),
        ("scenario.name*=2", "not a number"),
        ("nonsense", "not an override"),
    ],
)
def test_a_bad_override_is_refused(override: str, problem: str) -> None:
    with pytest.raises(ScenarioError, match=problem):
        apply_overrides(example(), [override])


def test_what_if_changes_to_the_centre(centre: Centre) -> None:
    changed = change_centre(centre, remove_agents=["T03"], strategy="best-skill")
    assert "T03" not in {a.id for a in changed.agents}
    assert changed.routing.strategy == "best-skill"
    with pytest.raises(ScenarioError, match="unknown agent"):
        change_centre(centre, remove_agents=["ZZ9"])
    with pytest.raises(ScenarioError, match="unknown strategy"):
        change_centre(centre, strategy="loudest")


def test_template_agents_take_the_site_template(centre: Centre) -> None:
    sc = scenario_from_mapping(example(), centre)
    extra = template_agents(centre, sc, "taipei", 2)
    assert [a.id for a in extra] == ["taipei-x1", "taipei-x2"]
    assert extra[0].skills == dict(sc.templates["taipei"].skills)
    assert all(a.site == "taipei" and a.voice for a in extra)


def test_hhmm() -> None:
    assert hhmm(8.5 * 3600) == "08:30"
    assert hhmm(86_400) == "24:00"


def test_overlapping_breaks_are_refused(centre: Centre) -> None:
    doc = example()
    doc["shifts"] = [
        {"agents": ["N01"], "start": "08:30", "end": "17:30",
         "breaks": [{"start": "09:00", "minutes": 30}, {"start": "09:10", "minutes": 5}]},
    ]  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(doc, centre)
    assert (err.value.path, err.value.problem) == ("shifts[0].breaks[1].start", "overlaps another break")


def test_a_ring_delay_as_long_as_the_ring_timeout_is_refused(centre: Centre) -> None:
    with pytest.raises(ScenarioError, match="not shorter than the centre's ring_timeout_s"):
        scenario_from_mapping(with_change("scenario.ring_delay_s", centre.routing.ring_timeout_s), centre)


@pytest.mark.parametrize(
    ("shift", "where"),
    [
        ({"agents": [["N01"]], "start": "08:30", "end": "17:30"}, "shifts[0].agents[0]"),
        ({"site": ["taipei"], "start": "08:30", "end": "17:30"}, "shifts[0].site"),
    ],
)
def test_a_list_where_an_id_belongs_is_named(centre: Centre, shift: dict[str, Any], where: str) -> None:
    doc = example()
    doc["shifts"] = [shift]
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(doc, centre)
    assert err.value.path == where


@pytest.mark.parametrize("channels", [["voice", "fax"], ["voice", "voice"]])
def test_template_channels_are_checked_like_the_centres(centre: Centre, channels: list[str]) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(with_change("templates.taipei", {"skills": {"webhr": 3}, "channels": channels}), centre)
    assert err.value.path.startswith("templates.taipei.channels")


# ----------------------------------------------------------------------
# [callers] and [agents]: the people's behaviour
# ----------------------------------------------------------------------


def test_callers_and_agents_are_read_from_their_tables(centre: Centre) -> None:
    doc = example()
    doc["callers"] = {
        "menu_right": 0.8,
        "menu_invalid": 0.1,
        "languages": {"zh": 8, "en": 2},
        "ivr_hangup": 0.02,
        "agency_code_known": 0.5,
        "callback_accept": 0.9,
        "think_s": 2,
        "inter_digit_s": 0.5,
        "callback_in_queue": 0.4,
        "callback_answer": 0.7,
    }
    doc["agents"] = {
        "answer_delay_s": 6,
        "answer_delay_cv": 0.2,
        "miss_probability": 0.05,
        "break_probability": 0.1,
        "break_s": 600,
        "back_after_missed_s": 30,
        "escalate": {"second-line": 0.3},
        "urgent_probability": 0.2,
        "wrap_up_form": False,
    }
    sc = scenario_from_mapping(doc, centre)
    assert sc.callers == CallerBehaviour(0.8, 0.1, {"zh": 8.0, "en": 2.0}, 0.02, 0.5, 0.9, 2.0, 0.5, 0.4, 0.7)
    assert sc.agents == AgentBehaviour(6.0, 0.2, 0.05, 0.1, 600.0, 30.0, {"second-line": 0.3}, 0.2, False)


def test_the_survey_answers_of_callers_are_read_from_callers(centre: Centre) -> None:
    doc = example()
    doc["callers"] = {
        "survey_consent": 0.4,
        "survey_hangup": 0.1,
        "survey_scores": [1, 1, 2, 3, 3],
        "survey_wait_penalty_s": 60,
        "survey_solved": 0.7,
    }
    callers = scenario_from_mapping(doc, centre).callers
    assert (callers.survey_consent, callers.survey_hangup, callers.survey_solved) == (0.4, 0.1, 0.7)
    assert (callers.survey_scores, callers.survey_wait_penalty_s) == ((1.0, 1.0, 2.0, 3.0, 3.0), 60.0)


def test_without_callers_and_agents_the_defaults_hold(centre: Centre) -> None:
    sc = scenario_from_mapping({"arrivals": {"daily_calls": 10}}, centre)
    assert (sc.callers, sc.agents) == (CallerBehaviour(), AgentBehaviour())


def test_the_escalation_tiers_are_the_case_tiers_above_the_first_line() -> None:
    from cti.casework.cases import Tier

    assert tuple(t.value for t in Tier if t is not Tier.FIRST_LINE) == ESCALATION_TIERS


@pytest.mark.parametrize(
    ("path", "value", "where", "problem"),
    [
        ("callers.menu_right", 1.5, "callers.menu_right", "out of range"),
        ("callers.menu_invalid", -0.1, "callers.menu_invalid", "negative"),
        ("callers.menu_invalid", 0.5, "callers.menu_invalid", "menu_right + menu_invalid above 1"),
        ("callers.ivr_hangup", "often", "callers.ivr_hangup", "wrong type"),
        ("callers.agency_code_known", True, "callers.agency_code_known", "wrong type"),
        ("callers.callback_accept", 2, "callers.callback_accept", "out of range"),
        ("callers.think_s", -1, "callers.think_s", "negative"),
        ("callers.inter_digit_s", 4000, "callers.inter_digit_s", "out of range"),
        ("callers.languages", {"zh": -1}, "callers.languages.zh", "negative"),
        ("callers.languages", {"zh": 0, "en": 0}, "callers.languages", "all zero"),
        ("callers.languages", {"ZH!": 1}, "callers.languages.ZH!", "not a language id"),
        ("callers.languages", ["zh"], "callers.languages", "wrong type"),
        ("callers.languages", {"fr": 1, "zh": 0}, "callers.languages", "no language of the centre"),
        ("callers.patience", 3, "callers.patience", "unknown key"),
        ("callers.survey_consent", 1.5, "callers.survey_consent", "out of range"),
        ("callers.survey_wait_penalty_s", -1, "callers.survey_wait_penalty_s", "negative"),
        ("callers.survey_scores", [0, 0], "callers.survey_scores", "all zero"),
        ("callers.survey_scores", [1, -1], "callers.survey_scores[1]", "negative"),
        ("callers.survey_scores", 5, "callers.survey_scores", "wrong type"),
        ("callers", 3, "callers", "wrong type"),
        ("agents.answer_delay_s", -1, "agents.answer_delay_s", "negative"),
        ("agents.answer_delay_s", 15, "agents.answer_delay_s", "not shorter than the centre's ring_timeout_s"),
        ("agents.answer_delay_cv", 30, "agents.answer_delay_cv", "out of range"),
        ("agents.miss_probability", 2, "agents.miss_probability", "out of range"),
        ("agents.break_probability", "x", "agents.break_probability", "wrong type"),
        ("agents.urgent_probability", -0.5, "agents.urgent_probability", "negative"),
        ("agents.break_s", -5, "agents.break_s", "negative"),
        ("agents.back_after_missed_s", 1e9, "agents.back_after_missed_s", "out of range"),
        ("agents.escalate", {"fourth-line": 0.1}, "agents.escalate.fourth-line", "unknown tier"),
        ("agents.escalate", {"vendor": 1.5}, "agents.escalate.vendor", "out of range"),
        ("agents.escalate", {"vendor": 0.6, "second-line": 0.6}, "agents.escalate", "shares above 1 in all"),
        ("agents.wrap_up_form", "yes", "agents.wrap_up_form", "wrong type"),
        ("agents.talk_s", 200, "agents.talk_s", "unknown key"),
    ],
)
def test_a_bad_caller_or_agent_field_is_named_with_its_problem(
    centre: Centre, path: str, value: object, where: str, problem: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(with_change(path, value), centre)
    assert (err.value.path, err.value.problem) == (where, problem)
