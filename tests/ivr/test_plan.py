"""Reading the IVR plan: what a valid [ivr]/[hours]/[prompts] gives, and each problem named by its field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ivr import FLOW_PROMPTS, IvrError, Language, estimate_seconds, plan_from_mapping

SYSTEMS = ["webhr", "ecpa", "pemis2k"]
LANGUAGES = [Language("zh", "cmn"), Language("en", "en"), Language("nan", "cmn", prompts="zh")]
CODES = {"301": "moi", "4567": "mof"}


def doc() -> dict[str, Any]:
    prompts: dict[str, Any] = {p: {"zh": f"{p} 中文", "en": f"{p} English"} for p in FLOW_PROMPTS}
    prompts["m_main"] = {"zh": {"text": "主選單", "seconds": 4.5}, "en": "main menu"}
    prompts["m_more"] = {"zh": "更多", "en": "more"}
    return {
        "center": {"name": "ignored"},
        "ivr": {
            "retries": 1,
            "menus": {
                "main": {"prompt": "m_main", "options": {"1": "webhr", "2": "general", "9": "more"}},
                "more": {"prompt": "m_more", "options": {"1": "ecpa", "2": "pemis2k"}},
            },
        },
        "hours": {"daily": "09:00-17:00"},
        "prompts": prompts,
    }


def read(d: dict[str, Any], languages: list[Language] = LANGUAGES) -> Any:
    return plan_from_mapping(d, systems=SYSTEMS, agency_codes=CODES, languages=languages)


def test_a_valid_plan_is_read() -> None:
    plan = read(doc())
    assert plan.main == "main"
    assert dict(plan.menus["main"].options) == {"1": "webhr", "2": "general", "9": "more"}
    assert plan.timeouts.retries == 1
    assert plan.timeouts.digit_timeout_s == 5
    assert plan.language_menu == {"1": "zh", "2": "en", "3": "nan"}
    assert plan.prompt_languages == ("zh", "en")
    assert plan.agency_codes == CODES
    assert plan.hours.describe() == "09:00-17:00 every day"


def test_a_language_that_borrows_prompts_plays_the_other_languages() -> None:
    """`nan` has `prompts = "zh"`: its callers hear the zh text and duration."""
    plan = read(doc())
    assert plan.prompt_text("m_main", "nan") == plan.prompt_text("m_main", "zh")
    assert plan.prompt_seconds("m_main", "nan") == 4.5


def test_seconds_given_are_kept_and_absent_ones_estimated_from_the_text() -> None:
    plan = read(doc())
    assert not plan.prompts["m_main"]["zh"].estimated
    english = plan.prompts["m_main"]["en"]
    assert english.estimated
    assert english.seconds == estimate_seconds("main menu")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("", 0.5),
        ("請按1", 0.5 + 2 * 0.25 + 0.35),
        ("For English, press 2.", 0.5 + 3 * 0.4 + 0.35 + 2 * 0.3),
        ("WebHR請按1。", 0.5 + 0.4 + 2 * 0.25 + 0.35 + 0.3),
        ("don't", 0.9),
    ],
)
def test_the_estimate_rule(text: str, seconds: float) -> None:
    """0.5 s + 0.25 s a Han character + 0.4 s a word + 0.35 s a digit + 0.3 s a pause mark, up to a tenth."""
    assert estimate_seconds(text) == pytest.approx(round(seconds + 0.049, 1))


def test_with_no_languages_the_centre_speaks_mandarin_only() -> None:
    d = doc()
    for texts in d["prompts"].values():
        texts.pop("en")
    plan = read(d, languages=[])
    assert [lang.id for lang in plan.languages] == ["zh"]
    assert plan.language_menu == {}


def test_without_ivr_there_is_no_plan_to_read() -> None:
    d = doc()
    del d["ivr"]
    with pytest.raises(IvrError, match="missing required table"):
        read(d)


def edit(path: str, value: Any) -> dict[str, Any]:
    """The valid document with one field set (``...`` deletes it)."""
    d = copy.deepcopy(doc())
    *parents, last = path.split(".")
    node = d
    for part in parents:
        node = node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return d


BAD: list[tuple[str, Any, str, str]] = [
    # (field edited, value, path reported, problem)
    ("ivr.menus.more.options", {"1": "ecpa", "4": "nosuch"}, "ivr.menus.more.options.4", "unknown target"),
    ("ivr.menus.main.options", {"0": "webhr"}, "ivr.menus.main.options.0", "key 0 is reserved"),
    ("ivr.menus.main.options", {"*": "webhr"}, "ivr.menus.main.options.*", "key * is reserved"),
    ("ivr.menus.main.options", {"1": "webhr", "１": "ecpa"}, "ivr.menus.main.options.１", "key 1 bound twice"),
    ("ivr.menus.main.options", {"1": "webhr", " 1": "ecpa"}, "ivr.menus.main.options. 1", "key 1 bound twice"),
    ("ivr.menus.main.options", {"10": "webhr"}, "ivr.menus.main.options.10", "not a menu key"),
    ("ivr.menus.main.options", {"#": "webhr"}, "ivr.menus.main.options.#", "not a menu key"),
    ("ivr.menus.main.options", {}, "ivr.menus.main.options", "empty"),
    ("ivr.menus.main.options", {"1": 3}, "ivr.menus.main.options.1", "wrong type"),
    ("ivr.menus.main.options", {"1": "webhr"}, "ivr.menus.more", "unreachable menu"),
    ("ivr.menus.more.options", {"1": "main"}, "ivr.menus.more.options.1", "menu cycle"),
    ("ivr.menus.more.options", {"1": "more"}, "ivr.menus.more.options.1", "menu cycle"),
    ("ivr.menus.main.prompt", "nosuch", "ivr.menus.main.prompt", "prompt not defined"),
    ("ivr.menus.main.prompt", ..., "ivr.menus.main.prompt", "missing required field"),
    ("ivr.menus.main.colour", "red", "ivr.menus.main.colour", "unknown key"),
    ("ivr.menus.webhr", {"prompt": "m_more", "options": {"1": "ecpa"}}, "ivr.menus.webhr", "also a system id"),
    ("ivr.menus.agency", {"prompt": "m_more", "options": {"1": "ecpa"}}, "ivr.menus.agency", "reserved menu id"),
    ("ivr.menus", {}, "ivr.menus", "empty"),
    ("ivr.menus", ..., "ivr.menus", "missing required table"),
    ("ivr.main", "start", "ivr.main", "no such menu"),
    ("ivr.retries", -1, "ivr.retries", "out of range"),
    ("ivr.retries", 1.5, "ivr.retries", "wrong type"),
    ("ivr.digit_timeout_s", "5", "ivr.digit_timeout_s", "wrong type"),
    ("ivr.inter_digit_timeout_s", 0, "ivr.inter_digit_timeout_s", "out of range"),
    ("ivr.agency_code_max_digits", 3, "ivr.agency_code_max_digits", "shorter than the longest agency code"),
    ("ivr.colour", 1, "ivr.colour", "unknown key"),
    ("prompts.welcome", {"zh": "歡迎"}, "prompts.welcome.en", "prompt missing in language 'en'"),
    ("prompts.goodbye", ..., "prompts.goodbye", "missing prompt"),
    ("prompts.language", ..., "prompts.language", "missing prompt (used by the language menu)"),
    ("prompts.welcome", {"zh": "歡迎", "en": "hi", "nan": "lí hó"}, "prompts.welcome.nan", "uses the prompts of 'zh'"),
    ("prompts.welcome", {"zh": "歡迎", "en": "hi", "ja": "x"}, "prompts.welcome.ja", "unknown language"),
    ("prompts.welcome", {"zh": " ", "en": "hi"}, "prompts.welcome.zh", "empty prompt text"),
    ("prompts.welcome", {"zh": {"seconds": 2}, "en": "hi"}, "prompts.welcome.zh.text", "missing required field"),
    ("prompts.welcome", {"zh": {"text": "x", "seconds": 0}, "en": "hi"}, "prompts.welcome.zh.seconds", "out of range"),
    ("prompts.welcome", {"zh": {"text": "x", "secs": 1}, "en": "hi"}, "prompts.welcome.zh.secs", "unknown key"),
    ("prompts.welcome", {"zh": 5, "en": "hi"}, "prompts.welcome.zh", "wrong type"),
    ("hours.daily", "18:00-09:00", "hours.daily", "closes before it opens"),
    ("hours.holidays", ["2027-13-01"], "hours.holidays[0]", "not a date"),
]


@pytest.mark.parametrize(("field", "value", "path", "problem"), BAD, ids=[f"{b[2]}:{b[3]}" for b in BAD])
def test_each_problem_is_refused_with_its_field(field: str, value: Any, path: str, problem: str) -> None:
    with pytest.raises(IvrError) as err:
        read(edit(field, value))
    assert err.value.code == "invalid-ivr"
    assert err.value.path == path
    assert problem in err.value.problem, str(err.value)
    assert str(err.value).startswith(f"{path}: ")


def test_a_menu_cycle_names_the_menus_it_runs_through() -> None:
    with pytest.raises(IvrError) as err:
        read(edit("ivr.menus.more.options", {"1": "main"}))
    assert err.value.value == "main → more → main"


def test_a_language_borrowing_from_one_not_listed_is_refused() -> None:
    with pytest.raises(IvrError) as err:
        read(doc(), languages=[Language("zh"), Language("nan", prompts="hak")])
    assert err.value.path == "languages[1].prompts"


def test_an_announcement_says_the_place_then_the_wait_in_whole_minutes_rounded_up() -> None:
    from ivr import Announcements

    said = Announcements(round_min=1)
    assert said.pieces(3, 130) == ("queue_position", "number_3", "queue_wait", "number_3", "queue_minutes")
    assert said.pieces(1, 20) == ("queue_position", "number_1", "queue_soon")  # under half a minute: shortly
    assert said.pieces(40, 0)[1] == "number_20"  # beyond the number words: the largest
    assert Announcements(round_min=5).minutes(7 * 60) == 10
    assert Announcements(position=False).pieces(3, 90) == ("queue_wait", "number_2", "queue_minutes")
