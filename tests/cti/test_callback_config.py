"""The centre file's [callback] table: read beside the IVR, refused with file, line and field."""

from __future__ import annotations

import re

import pytest

from cti.config import CALLBACK_PROMPTS, CallbackOffer, ConfigError, default_centre_text, load_default, parse_centre


def mutate(pattern: str, replacement: str, text: str | None = None) -> str:
    text, n = re.subn(pattern, replacement, text or default_centre_text(), count=1, flags=re.MULTILINE)
    assert n == 1, pattern
    return text


MARK = "# --------------------------------------------------------------- callback"


def mutate_callback(pattern: str, replacement: str) -> str:
    """Change the [callback] table only (other tables have keys of the same names)."""
    text = default_centre_text()
    start = text.index(MARK)
    return text[:start] + mutate(pattern, replacement, text[start:])


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_default_centre_ships_the_call_back_offer_and_its_prompts() -> None:
    """The default centre has a [callback] table and both its prompts in every prompt language."""
    loaded = load_default()
    assert loaded.callback == CallbackOffer(True, 60.0, 2, 300.0, 30.0)
    assert loaded.ivr is not None
    for prompt in CALLBACK_PROMPTS:
        assert set(loaded.ivr.prompts[prompt]) == {"zh", "en"}


def test_a_file_without_callback_has_none() -> None:
    text = default_centre_text()
    text = text[: text.index("# --------------------------------------------------------------- callback")]
    assert parse_centre(text, "c.toml").callback is None


def test_the_defaults_fill_what_the_table_leaves_out() -> None:
    text = mutate_callback(r"^\[callback\]\n(.|\n)*", "[callback]\n")
    assert parse_centre(text, "c.toml").callback == CallbackOffer()


BAD = [
    (r"^offer_after_s = 60", "offer_after_s = 2", "offer_after_s = 2", ["callback.offer_after_s", "got 2"]),
    (r"^retries = 2", "retries = 1.5", "retries = 1.5", ["callback.retries", "a whole number from 0 to 9"]),
    (r"^retries = 2", "retries = true", "retries = true", ["callback.retries", "got True"]),
    (r"^retry_delay_s = 300", "retry_delay_s = -1", "retry_delay_s = -1", ["callback.retry_delay_s"]),
    (r"^ring_s = 30", "ring_s = inf", "ring_s = inf", ["callback.ring_s"]),
    (r"^enabled = true", 'enabled = "yes"', 'enabled = "yes"', ["callback.enabled", "true or false"]),
    (r"^ring_s = 30", "ring_s = 30\nring = 5", "ring = 5", ["callback.ring", "unknown key"]),
]


@pytest.mark.parametrize(("pattern", "replacement", "needle", "fragments"), BAD)
def test_a_broken_callback_table_is_refused_at_its_line(
    pattern: str, replacement: str, needle: str, fragments: list[str]
) -> None:
    text = mutate_callback(pattern, replacement)
    with pytest.raises(ConfigError) as err:
        parse_centre(text, "c.toml")
    assert err.value.line == line_of(text, needle)
    message = str(err.value)
    assert message.startswith(f"c.toml:{err.value.line}: ")
    for fragment in fragments:
        assert fragment in message


def test_a_missing_prompt_language_is_named() -> None:
    text = mutate(r"^en = \{ text = \"To keep your place.*\n", "")
    with pytest.raises(ConfigError) as err:
        parse_centre(text, "c.toml")
    assert err.value.field == "prompts.queue_callback_offer.en"
    assert err.value.line == line_of(text, "[prompts.queue_callback_offer]")


def test_a_missing_prompt_is_named() -> None:
    text = mutate(r"^\[prompts\.queue_callback_thanks\]\n.*\n.*\n", "")
    with pytest.raises(ConfigError) as err:
        parse_centre(text, "c.toml")
    assert err.value.field == "prompts.queue_callback_thanks"
    assert "used by [callback]" in str(err.value)


def test_callback_without_the_ivr_is_refused() -> None:
    """The offer is a prompt: without [ivr] there is nothing to play it, so the file is refused, not half-read."""
    text = default_centre_text()
    start = text.index("# -------------------------------------------------------------------- ivr")
    end = text.index("# --------------------------------------------------------------- callback")
    text = text[:start] + text[end:]
    with pytest.raises(ConfigError) as err:
        parse_centre(text, "c.toml")
    assert err.value.field == "callback"
    assert err.value.line == line_of(text, "[callback]")
    assert "[ivr]" in str(err.value)
