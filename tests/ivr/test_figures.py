"""The IVR figures' definitions (ivr/figures.py), on calls whose figures are known by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.figures import OUTCOMES, IvrCall, IvrStep, ivr_figures


def choice(menu: str, value: str) -> IvrStep:
    return IvrStep("choice", menu, value)


BY_DIRECTORY, BY_CODE, UNKNOWN = (IvrStep("agency", "agency", v) for v in ("directory:moi", "code:moi", "unknown"))
FAILED = (IvrStep("invalid", "main", "9"), IvrStep("no-input", "main"), IvrStep("invalid", "main", "8"))
CALLS = [
    IvrCall("a", "routed", "zh", 20.0, (BY_DIRECTORY, choice("main", "webhr"))),
    IvrCall("b", "routed", "zh", 30.0, (BY_CODE, choice("main", "1"), choice("sub1", "ecpa")), "ecpa"),
    IvrCall("c", "general-chosen", "en", 10.0, (choice("main", "general"),), "general"),
    IvrCall("d", "general-after-failures", "nan", 40.0, FAILED, "general"),
    IvrCall("e", "ivr-abandoned", "zh", 5.0, (UNKNOWN, IvrStep("abandoned", "main")), "main"),
    IvrCall("f", "ivr-abandoned", None, 2.0, (IvrStep("abandoned", "language"),)),  # hung up in the language menu
    IvrCall("g", "after-hours", "zh", 15.0),
    IvrCall("h", "after-hours-callback", "zh", 45.0),
    IvrCall("i", None, "zh"),  # still in the IVR: no outcome, no time
]
FIGURES = ivr_figures(CALLS)


def test_reached_counts_every_call_that_entered_the_ivr() -> None:
    assert FIGURES.reached == 9


def test_routed_counts_calls_that_left_for_a_queue_whichever_way() -> None:
    assert FIGURES.routed == 4
    assert (FIGURES.general_chosen, FIGURES.general_after_failures) == (1, 1)


def test_ivr_abandons_are_counted_by_the_menu_the_caller_hung_up_in() -> None:
    assert FIGURES.abandoned == 2
    assert FIGURES.abandoned_by_menu == {"language": 1, "main": 1}  # f's menu from its last step


def test_after_hours_calls_and_those_that_left_a_number() -> None:
    assert (FIGURES.after_hours, FIGURES.after_hours_callback) == (2, 1)


def test_menu_choices_are_counted_by_menu_and_value() -> None:
    assert FIGURES.choices == {"main": {"1": 1, "general": 1, "webhr": 1}, "sub1": {"ecpa": 1}}


def test_invalid_and_missing_choices_are_counted_each_time() -> None:
    assert (FIGURES.invalid, FIGURES.no_input) == (2, 1)


def test_the_language_mix_counts_calls_with_a_language() -> None:
    assert FIGURES.languages == {"en": 1, "nan": 1, "zh": 6}


def test_agencies_are_counted_by_how_they_became_known() -> None:
    assert FIGURES.agencies == {"directory": 1, "code": 1, "unknown": 1}


def test_the_mean_time_in_the_ivr_is_over_the_calls_that_left_it() -> None:
    assert FIGURES.mean_ivr_s == pytest.approx((20 + 30 + 10 + 40 + 5 + 2 + 15 + 45) / 8)
    assert FIGURES.unfinished == 1


def test_no_calls_give_zeros_and_no_mean() -> None:
    empty = ivr_figures([])
    assert (empty.reached, empty.mean_ivr_s, dict(empty.choices)) == (0, None, {})


def test_an_outcome_the_ivr_does_not_have_is_refused_naming_the_call() -> None:
    with pytest.raises(ValueError, match=r"call x: IVR outcome 'answered' is not one of after-hours, "):
        ivr_figures([IvrCall("x", "answered")])


def test_as_dict_is_plain_data_with_every_figure() -> None:
    doc = FIGURES.as_dict()
    assert doc["abandoned_by_menu"] == {"language": 1, "main": 1}
    assert doc["choices"] == {"main": {"1": 1, "general": 1, "webhr": 1}, "sub1": {"ecpa": 1}}
    assert set(doc) == set(FIGURES.__slots__)


steps = st.lists(
    st.builds(
        IvrStep,
        st.sampled_from(["language", "agency", "choice", "invalid", "no-input", "repeat", "abandoned"]),
        st.one_of(st.none(), st.sampled_from(["main", "sub1", "language"])),
        st.one_of(st.none(), st.sampled_from(["1", "webhr", "directory:moi", "code:moi", "unknown", "x"])),
    ),
    max_size=6,
).map(tuple)
calls = st.lists(
    st.builds(
        IvrCall,
        st.text(min_size=1, max_size=3),
        st.one_of(st.none(), st.sampled_from(sorted(OUTCOMES))),
        st.one_of(st.none(), st.sampled_from(["zh", "en", "nan"])),
        st.one_of(st.none(), st.floats(0, 600)),
        steps,
        st.one_of(st.none(), st.sampled_from(["main", "webhr", "general"])),
    ),
    max_size=30,
)


@given(calls)
def test_every_call_that_reached_the_ivr_ends_in_exactly_one_place(found: list[IvrCall]) -> None:
    f = ivr_figures(found)
    assert f.reached == len(found) == f.routed + f.abandoned + f.after_hours + f.unfinished
    assert sum(f.abandoned_by_menu.values()) == f.abandoned
    assert f.after_hours_callback <= f.after_hours
    assert f.general_chosen + f.general_after_failures <= f.routed
    assert sum(f.languages.values()) <= f.reached
    assert sum(f.agencies.values()) <= f.reached
    times = [c.ivr_s for c in found if c.outcome is not None and c.ivr_s is not None]
    if times:
        assert f.mean_ivr_s is not None
        assert min(times) - 1e-9 <= f.mean_ivr_s <= max(times) + 1e-9
    else:
        assert f.mean_ivr_s is None
