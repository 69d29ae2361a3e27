"""The default centre's voice menus, walked call by call: every path, bad keys, timeouts, hang-ups."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ivr import GENERAL_QUEUE, CallBack, IvrPlan, LocalTime, Outcome, Play, PromptFinished, Release, Route, Step
from ivr.civil import days_from_civil
from tests.ivr.driver import NIGHT, OPEN, Driver, default_plan

PLAN = default_plan()
RETRIES = PLAN.timeouts.retries
DIGIT_S = PLAN.timeouts.digit_timeout_s
INTER_DIGIT_S = PLAN.timeouts.inter_digit_timeout_s


def menu_paths(plan: IvrPlan, menu: str | None = None, keys: str = "") -> Iterator[tuple[str, str]]:
    """(keys from the main menu, system) for every leaf of the menu tree."""
    menu = menu or plan.main
    for key, target in plan.menus[menu].options.items():
        if target in plan.menus:
            yield from menu_paths(plan, target, keys + key)
        else:
            yield keys + key, target


PATHS = sorted(menu_paths(PLAN))


def test_the_default_menus_reach_every_system_once() -> None:
    """The fifteen systems each have exactly one path; eight are on the main menu's keys 1-8, 9 leads on."""
    systems = [system for _, system in PATHS]
    assert len(systems) == len(set(systems)) == 15
    main = PLAN.menus[PLAN.main].options
    assert all(main[k] not in PLAN.menus for k in "12345678")
    assert main["9"] in PLAN.menus


@pytest.mark.parametrize(("keys", "system"), PATHS, ids=[f"{k}-{s}" for k, s in PATHS])
def test_every_menu_path_routes_to_its_system(keys: str, system: str) -> None:
    """Keying a path, one key after each prompt, routes to that system's queue with the caller's language."""
    d = Driver()
    d.to_main_menu()
    for key in keys:
        d.finish_all()
        d.keys(key)
    assert d.end() == Route("c1", system, "moi", "zh", Outcome.ROUTED)
    menus = [m for kind, m, _ in d.steps() if kind == "choice"]
    assert len(menus) == len(keys)


def test_keys_typed_ahead_in_one_press_walk_the_tree() -> None:
    """Keys pressed together during the main menu's prompt are taken one menu after another (barge-in)."""
    d = Driver()
    d.to_main_menu()
    d.keys("962")
    assert d.end() == Route("c1", "payroll", "moi", "zh", Outcome.ROUTED)
    assert [s for s in d.steps() if s[0] == "choice"] == [("choice", "main", "9"), ("choice", "more", "6"),
                                                          ("choice", "pay", "2")]  # fmt: skip


@pytest.mark.parametrize("menu", ["main", "more", "pay"])
def test_zero_is_the_general_queue_in_every_menu(menu: str) -> None:
    d = Driver()
    d.to_main_menu()
    d.keys({"main": "", "more": "9", "pay": "96"}[menu])
    assert d.ivr.where("c1") == menu
    d.keys("0")
    assert d.end() == Route("c1", GENERAL_QUEUE, "moi", "zh", Outcome.GENERAL_CHOSEN)
    assert d.steps()[-1] == ("choice", menu, "0")


@pytest.mark.parametrize("menu", ["main", "more", "pay"])
def test_star_repeats_the_menu_without_using_a_retry(menu: str) -> None:
    """`*` plays the menu again; any number of repeats leave every retry for real mistakes."""
    d = Driver()
    d.to_main_menu()
    d.keys({"main": "", "more": "9", "pay": "96"}[menu])
    prompt = PLAN.menus[menu].prompt
    before = d.plays().count((prompt, "zh"))
    for _ in range(RETRIES + 3):
        d.keys("*")
    assert d.plays().count((prompt, "zh")) == before + RETRIES + 3
    assert d.steps()[-1] == ("repeat", menu, "*")
    for _ in range(RETRIES):
        d.keys("#")
    assert d.ivr.active("c1")
    d.keys("1")
    assert isinstance(d.end(), Route)
    assert d.end().outcome is Outcome.ROUTED  # type: ignore[union-attr]


def test_an_invalid_key_plays_the_error_then_the_menu_again() -> None:
    d = Driver()
    d.to_main_menu()
    d.finish_all()
    d.keys("#")
    assert d.steps()[-1] == ("invalid", "main", "#")
    d.finish_all()
    assert d.plays()[-2:] == [("invalid", "zh"), ("menu_main", "zh")]
    d.keys("2")
    assert d.end() == Route("c1", "pemis2k", "moi", "zh", Outcome.ROUTED)


@pytest.mark.parametrize("menu", ["main", "more", "pay"])
def test_invalid_keys_past_the_retries_go_to_the_general_queue(menu: str) -> None:
    """`retries` invalid keys replay the menu; one more sends the call to the general queue, never dropped."""
    d = Driver()
    d.to_main_menu()
    d.keys({"main": "", "more": "9", "pay": "96"}[menu])
    bad = next((k for k in "987654321" if k not in PLAN.menus[menu].options), "#")
    for _ in range(RETRIES):
        d.keys(bad)
        assert d.ivr.active("c1")
    d.keys(bad)
    assert d.end() == Route("c1", GENERAL_QUEUE, "moi", "zh", Outcome.GENERAL_AFTER_FAILURES)
    assert [s for s in d.steps() if s[0] == "invalid"] == [("invalid", menu, bad)] * (RETRIES + 1)


def test_silence_past_the_retries_goes_to_the_general_queue() -> None:
    """No key within the digit timeout after the prompt: the no-input prompt and the menu, then general."""
    d = Driver()
    d.to_main_menu()
    for attempt in range(RETRIES + 1):
        d.finish_all()
        d.wait(DIGIT_S - 0.1)
        assert d.steps().count(("no-input", "main", None)) == attempt
        d.wait(0.1)
    assert d.end() == Route("c1", GENERAL_QUEUE, "moi", "zh", Outcome.GENERAL_AFTER_FAILURES)
    assert [s for s in d.steps() if s[0] == "no-input"] == [("no-input", "main", None)] * (RETRIES + 1)
    assert d.plays().count(("no_input", "zh")) == RETRIES


def test_a_sub_menu_has_its_own_retries() -> None:
    """Failures in the main menu do not count against the sub-menu the caller then reaches."""
    d = Driver()
    d.to_main_menu()
    for _ in range(RETRIES):
        d.keys("#")
    d.keys("9")
    for _ in range(RETRIES):
        d.keys("#")
    d.keys("1")
    assert d.end() == Route("c1", "hrdb", "moi", "zh", Outcome.ROUTED)


def test_the_digit_timeout_starts_when_the_prompt_ends() -> None:
    """A long menu prompt is not cut short by the digit timeout: silence counts only after the prompt."""
    d = Driver()
    d.to_main_menu()
    seconds = PLAN.prompt_seconds("menu_main", "zh")
    d.later(seconds)
    d.finish()
    d.later(DIGIT_S - 0.5)
    d.keys("1")
    assert d.end() == Route("c1", "webhr", "moi", "zh", Outcome.ROUTED)


def test_a_lost_prompt_finished_still_moves_the_call_on() -> None:
    """With no PromptFinished at all, the prompt safety timer (seconds + 5 s) plays on: the call never hangs."""
    d = Driver()
    d.arrive()
    safety = PLAN.prompt_seconds("welcome", "zh") + 5
    d.wait(safety - 0.01)
    assert d.plays() == [("welcome", "zh")]
    d.wait(0.01)
    assert d.plays() == [("welcome", "zh"), ("welcome", "en")]
    for _ in range(100):  # bounded: a call that never ends fails here rather than hanging
        at = d.ivr.next_timer_at()
        if at is None:
            break
        d.wait(at - d.now)
    assert d.end() == Route("c1", GENERAL_QUEUE, None, "zh", Outcome.GENERAL_AFTER_FAILURES)


def test_a_stale_prompt_finished_is_ignored() -> None:
    """A PromptFinished for a prompt the caller cut short with a key changes nothing."""
    d = Driver()
    d.to_main_menu()
    d.keys("9")  # barge-in on the main menu: the PBX may still report it finished
    before = list(d.out)
    assert d.ivr.apply(PromptFinished("c1", "menu_main"), d.now) == []
    assert d.out == before
    assert d.ivr.playing("c1") == "menu_more"


def test_the_end_of_one_language_s_playback_is_not_taken_for_the_next_one_s() -> None:
    """The welcome plays in Mandarin, then in English under the same id: a late end of the Mandarin one is stale."""
    d = Driver()
    d.arrive()
    d.finish()  # the Mandarin welcome ended (the engine's own view): the English one plays
    assert d.plays()[-1] == ("welcome", "en")
    assert d.ivr.apply(PromptFinished("c1", "welcome", "zh"), d.now) == []  # the PBX's report, late
    assert d.plays()[-1] == ("welcome", "en")
    assert d.ivr.playing("c1") == "welcome"
    assert [c for c in d.ivr.apply(PromptFinished("c1", "welcome", "en"), d.now) if isinstance(c, Play)] == [
        Play("c1", "language", "zh", True)
    ]


# ----------------------------------------------------------------------
# The welcome and the language menu
# ----------------------------------------------------------------------


def test_before_a_language_is_chosen_every_prompt_language_is_heard() -> None:
    """The welcome and the language menu play in Mandarin, then English (Taiwanese uses the Mandarin prompts)."""
    d = Driver()
    d.arrive()
    d.finish_all()
    assert d.plays() == [("welcome", "zh"), ("welcome", "en"), ("language", "zh"), ("language", "en")]
    assert [c.collect for c in d.out if isinstance(c, Play)] == [False, False, True, True]


@pytest.mark.parametrize(("key", "language", "voice"), [("1", "zh", "zh"), ("2", "en", "en"), ("3", "nan", "zh")])
def test_the_language_chosen_is_heard_and_routed(key: str, language: str, voice: str) -> None:
    """Taiwanese callers hear the Mandarin prompts and are routed as Taiwanese speakers."""
    d = Driver()
    d.to_main_menu(language_key=key)
    assert ("language", "language", language) in d.steps()
    assert d.plays()[-1] == ("menu_main", voice)
    d.keys("3")
    assert d.end() == Route("c1", "ecpa", "moi", language, Outcome.ROUTED)


def test_keys_during_the_welcome_are_not_taken() -> None:
    d = Driver()
    d.arrive()
    d.keys("2")
    assert d.ivr.where("c1") == "welcome"
    d.finish_all()
    d.keys("2")
    assert d.steps()[0] == ("language", "language", "en")


def test_a_language_key_during_the_language_prompt_is_taken_at_once() -> None:
    """Barge-in: the English language prompt is not played once the caller has chosen."""
    d = Driver()
    d.arrive()
    d.finish()
    d.finish()
    assert d.plays()[-1] == ("language", "zh")
    d.keys("1")
    assert ("language", "en") not in d.plays()


def test_failing_the_language_menu_goes_on_in_the_default_language() -> None:
    d = Driver()
    d.arrive(agency="moi")
    d.finish_all()
    for _ in range(RETRIES):
        d.keys("7")
    d.finish_all()
    assert d.plays()[-4:] == [("invalid", "zh"), ("invalid", "en"), ("language", "zh"), ("language", "en")]
    d.keys("7")
    assert ("language", "language", "zh") in d.steps()
    assert d.ivr.where("c1") == "main"


def test_a_centre_with_one_language_has_no_language_menu() -> None:
    from dataclasses import replace

    plan = replace(PLAN, languages=PLAN.languages[:1])
    d = Driver(plan)
    d.arrive(agency="moi")
    d.finish_all()
    assert d.plays() == [("welcome", "zh"), ("menu_main", "zh")]
    assert d.steps()[0] == ("language", None, "zh")


# ----------------------------------------------------------------------
# The agency
# ----------------------------------------------------------------------


def to_agency(d: Driver) -> None:
    d.arrive(agency=None)
    d.finish_all()
    d.keys("1")
    assert d.ivr.where("c1") == "agency"


def test_the_directorys_agency_is_not_asked_for() -> None:
    d = Driver()
    d.to_main_menu(agency="moi")
    assert ("agency", "zh") not in d.plays()
    assert ("agency", "agency", "directory:moi") in d.steps()


def test_a_right_agency_code_names_the_agency() -> None:
    d = Driver()
    to_agency(d)
    d.keys("101#")
    assert ("agency", "agency", "code:president") in d.steps()
    d.keys("1")
    assert d.end() == Route("c1", "webhr", "president", "zh", Outcome.ROUTED)


def test_a_code_keyed_one_key_at_a_time_ends_at_hash() -> None:
    d = Driver()
    to_agency(d)
    for key in "102":
        d.later(INTER_DIGIT_S - 0.5)
        d.keys(key)
    assert d.ivr.where("c1") == "agency"
    d.keys("#")
    assert ("agency", "agency", "code:ey") in d.steps()


def test_a_code_without_hash_is_taken_after_the_inter_digit_timeout() -> None:
    """The keys so far count as the code when the caller pauses for the inter-digit timeout."""
    d = Driver()
    to_agency(d)
    d.keys("103")
    d.wait(INTER_DIGIT_S - 0.1)
    assert d.ivr.where("c1") == "agency"
    d.wait(0.1)
    assert ("agency", "agency", "code:dgpa") in d.steps()


def test_a_wrong_code_is_asked_again_then_the_call_goes_on_unknown() -> None:
    """Wrong codes replay the question with the error prompt; past the retries the agency is unknown."""
    d = Driver()
    to_agency(d)
    for _ in range(RETRIES):
        d.keys("999#")
        d.finish_all()
        assert d.plays()[-2:] == [("agency_invalid", "zh"), ("agency", "zh")]
    d.keys("999#")
    assert [s for s in d.steps() if s[1] == "agency"] == [("invalid", "agency", None)] * (RETRIES + 1) + [
        ("agency", "agency", "unknown")
    ]
    assert d.ivr.where("c1") == "main"
    d.keys("4")
    assert d.end() == Route("c1", "attendance", None, "zh", Outcome.ROUTED)


def test_hash_alone_means_no_code_and_the_call_goes_on_unknown() -> None:
    d = Driver()
    to_agency(d)
    d.keys("#")
    assert d.steps()[-1] == ("agency", "agency", "unknown")
    assert d.ivr.where("c1") == "main"


def test_silence_at_the_agency_question_goes_on_unknown() -> None:
    d = Driver()
    to_agency(d)
    for _ in range(RETRIES + 1):
        d.finish_all()
        d.wait(DIGIT_S)
    assert ("agency", "agency", "unknown") in d.steps()
    assert [s for s in d.steps() if s[0] == "no-input"] == [("no-input", "agency", None)] * (RETRIES + 1)


def test_a_code_longer_than_allowed_is_wrong_even_when_it_starts_with_a_right_one() -> None:
    d = Driver()
    to_agency(d)
    d.keys("101" + "1" * PLAN.timeouts.agency_code_max_digits + "#")
    assert d.steps()[-1] == ("invalid", "agency", None)
    assert d.ivr.where("c1") == "agency"


def test_star_while_keying_a_code_starts_again() -> None:
    d = Driver()
    to_agency(d)
    d.keys("10*")
    assert d.steps()[-1] == ("repeat", "agency", "*")
    d.keys("101#")
    assert ("agency", "agency", "code:president") in d.steps()


# ----------------------------------------------------------------------
# After hours
# ----------------------------------------------------------------------


def to_offer(d: Driver, local: LocalTime = NIGHT) -> None:
    d.arrive(local=local)
    d.finish_all()
    d.keys("1")
    assert d.ivr.where("c1") == "callback"


def test_after_hours_the_caller_hears_the_hours_and_the_offer() -> None:
    d = Driver()
    to_offer(d)
    d.finish_all()
    assert d.plays()[-2:] == [("closed", "zh"), ("callback_offer", "zh")]
    assert ("agency", "zh") not in d.plays()


def test_a_number_left_after_hours_is_a_call_back_at_the_next_opening() -> None:
    d = Driver()
    to_offer(d)
    d.keys("1")
    d.keys("0912345678#")
    assert d.callbacks() == [CallBack("c1", "0912345678", LocalTime(NIGHT.day + 1, 8.5 * 3600), "zh")]
    assert d.plays()[-1] == ("callback_thanks", "zh")
    assert d.ivr.active("c1")
    d.finish_all()
    assert d.end() == Release("c1", Outcome.AFTER_HOURS_CALLBACK)


def test_no_number_after_hours_is_a_goodbye_and_a_release() -> None:
    d = Driver()
    to_offer(d)
    d.finish_all()
    d.wait(DIGIT_S)
    assert d.steps()[-1] == ("no-input", "callback", None)
    assert d.plays()[-1] == ("goodbye", "zh")
    d.finish_all()
    assert d.end() == Release("c1", Outcome.AFTER_HOURS)
    assert d.callbacks() == []


def test_another_key_at_the_offer_declines_it() -> None:
    d = Driver()
    to_offer(d)
    d.keys("2")
    d.finish_all()
    assert d.end() == Release("c1", Outcome.AFTER_HOURS)


@pytest.mark.parametrize("number", ["0912345", "1234567890", "0112345678", "091234567890", "021234567"])
def test_an_implausible_number_is_asked_again_then_goodbye(number: str) -> None:
    d = Driver()
    to_offer(d)
    d.keys("1")
    for _ in range(RETRIES):
        d.keys(number + "#")
        d.finish_all()
        assert d.plays()[-2:] == [("callback_invalid", "zh"), ("callback_number", "zh")]
    d.keys(number + "#")
    d.finish_all()
    assert d.end() == Release("c1", Outcome.AFTER_HOURS)
    assert d.callbacks() == []
    assert all(number not in str(s) for s in d.steps())  # a phone number never goes into a step


def test_a_number_without_hash_is_taken_after_the_inter_digit_timeout() -> None:
    d = Driver()
    to_offer(d)
    d.keys("1")
    d.keys("0422345678")
    d.wait(INTER_DIGIT_S)
    assert [c.number for c in d.callbacks()] == ["0422345678"]


def test_the_hours_are_judged_when_the_language_is_settled() -> None:
    """A call that arrives a minute before closing but reaches the question after it hears the hours."""
    d = Driver()
    d.arrive(local=LocalTime(OPEN.day, 18.5 * 3600 - 10))
    d.later(30)
    d.finish_all()
    d.keys("1")
    assert d.ivr.where("c1") == "callback"


def test_a_holiday_is_closed_all_day_and_the_call_back_is_due_after_it() -> None:
    new_year = days_from_civil(2027, 1, 1)
    d = Driver()
    to_offer(d, LocalTime(new_year, 11 * 3600))
    d.keys("1")
    d.keys("0223456789#")
    assert d.callbacks()[0].due == LocalTime(new_year + 1, 8.5 * 3600)


def test_an_english_caller_after_hours_hears_english_and_the_call_back_names_the_language() -> None:
    d = Driver()
    d.arrive(local=NIGHT)
    d.finish_all()
    d.keys("2")
    d.keys("1")
    d.keys("0912345678#")
    assert d.plays()[-1] == ("callback_thanks", "en")
    assert d.callbacks()[0].language == "en"


# ----------------------------------------------------------------------
# Hang-ups: every step ends in a recorded outcome
# ----------------------------------------------------------------------

#: How to bring a call to each place of the flow: (arrival, keys after the welcome and language).
HANG_UPS: dict[str, tuple[LocalTime, str | None, str]] = {
    "welcome": (OPEN, None, ""),
    "language": (OPEN, None, ""),
    "agency": (OPEN, None, "1"),
    "main": (OPEN, None, "1#"),
    "more": (OPEN, None, "1#9"),
    "pay": (OPEN, None, "1#96"),
    "callback": (NIGHT, None, "1"),
    "callback-number": (NIGHT, None, "11"),
}


@pytest.mark.parametrize("where", list(HANG_UPS))
def test_a_hang_up_at_each_step_is_an_abandon_there(where: str) -> None:
    local, agency, keys = HANG_UPS[where]
    d = Driver()
    d.arrive(local=local, agency=agency)
    if where != "welcome":
        d.finish_all()
    d.keys(keys)
    assert d.ivr.where("c1") == where
    d.hang_up()
    assert d.end() == Step("c1", "abandoned", where, None)
    assert len(d.ivr) == 0
    assert d.ivr.next_timer_at() is None


@pytest.mark.parametrize(("keys", "outcome"), [("1", Outcome.AFTER_HOURS_CALLBACK), ("2", Outcome.AFTER_HOURS)])
def test_a_hang_up_during_the_goodbye_keeps_the_after_hours_outcome(keys: str, outcome: Outcome) -> None:
    """Once the outcome is settled, cutting the goodbye short ends the call with that outcome (a Release)."""
    d = Driver()
    to_offer(d)
    d.keys(keys)
    if keys == "1":
        d.keys("0912345678#")
    assert d.ivr.where("c1") == "goodbye"
    d.hang_up()
    assert d.end() == Release("c1", outcome)


# ----------------------------------------------------------------------
# Refusals: each changes nothing
# ----------------------------------------------------------------------


def test_events_for_unknown_calls_bad_keys_and_time_going_back_are_refused() -> None:
    from ivr import CallArrived, CallerHungUp, DigitsPressed, IvrError

    d = Driver()
    d.to_main_menu()
    at = d.ivr.timer_due("c1")
    with pytest.raises(IvrError) as err:
        d.ivr.apply(DigitsPressed("c2", "1"), d.now)
    assert err.value.code == "unknown-call"
    for bad in ["", "12a", "1" * 33]:
        with pytest.raises(IvrError) as err:
            d.ivr.apply(DigitsPressed("c1", bad), d.now)
        assert err.value.code == "invalid-event"
    with pytest.raises(IvrError) as err:
        d.ivr.apply(CallArrived("c1", OPEN, None), d.now)
    assert err.value.code == "invalid-event"
    with pytest.raises(IvrError) as err:
        d.ivr.apply(CallerHungUp("c1"), d.now - 1)
    assert err.value.code == "clock-error"
    with pytest.raises(IvrError) as err:
        d.ivr.apply(CallerHungUp("c1"), at + 1)  # the timer due before it was not run
    assert err.value.code == "clock-error"
    assert d.ivr.where("c1") == "main"
    assert d.ivr.timer_due("c1") == at
    d.keys("1")
    assert d.end() == Route("c1", "webhr", "moi", "zh", Outcome.ROUTED)


def test_after_its_end_a_call_is_unknown() -> None:
    from ivr import DigitsPressed, IvrError

    d = Driver()
    d.to_main_menu()
    d.keys("1")
    with pytest.raises(IvrError) as err:
        d.ivr.apply(DigitsPressed("c1", "1"), d.now)
    assert err.value.code == "unknown-call"


def test_wrong_agency_codes_do_not_use_up_the_main_menus_retries() -> None:
    d = Driver()
    d.arrive("c1", OPEN, None)
    d.finish_all()
    d.keys("1")  # Mandarin
    assert d.ivr.where("c1") == "agency"
    d.keys("999#")
    d.keys("998#")  # two wrong codes
    d.keys("101#")  # then the right one
    assert d.ivr.where("c1") == "main"
    d.keys("#")  # one invalid key at the main menu: replayed, not sent to the general queue
    assert d.ivr.active("c1"), d.ends()


def test_an_agency_left_unknown_after_every_retry_still_gets_the_main_menus_retries() -> None:
    d = Driver()
    d.arrive("c1", OPEN, None)
    d.finish_all()
    d.keys("1")
    d.keys("999#")
    d.keys("998#")
    d.keys("997#")  # retries used up: the agency stays unknown
    assert d.ivr.where("c1") == "main"
    d.keys("#")
    assert d.ivr.active("c1"), d.ends()
