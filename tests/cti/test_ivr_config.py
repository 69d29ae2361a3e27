"""The IVR tables of a centre file: read beside the centre, refused with file, line and field."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from cti.config import ConfigError, default_centre_text, load_default, parse_centre


def cti(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cti", *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def mutate(pattern: str, replacement: str) -> str:
    text, n = re.subn(pattern, replacement, default_centre_text(), count=1, flags=re.MULTILINE)
    assert n == 1, pattern
    return text


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_default_centre_has_an_ivr_with_its_languages_and_agency_codes() -> None:
    loaded = load_default()
    plan = loaded.ivr
    assert plan is not None
    assert [lang.id for lang in plan.languages] == [lang.id for lang in loaded.centre.languages]
    assert plan.prompt_language("nan") == "zh"
    assert plan.agency_codes == {a.code: a.id for a in loaded.centre.agencies if a.code}
    assert len(plan.agency_codes) == len(loaded.centre.agencies)


def test_a_file_without_ivr_has_no_ivr() -> None:
    text = default_centre_text()
    text = text[: text.index("# -------------------------------------------------------------------- ivr")]
    loaded = parse_centre(text, "small.toml")
    assert loaded.ivr is None
    assert loaded.centre.systems


def test_hours_without_ivr_are_refused_rather_than_ignored() -> None:
    text = default_centre_text()
    start = text.index("# -------------------------------------------------------------------- ivr")
    end = text.index("# ------------------------------------------------------------------ hours")
    text = text[:start] + text[end:]
    with pytest.raises(ConfigError) as err:
        parse_centre(text, "c.toml")
    assert err.value.field == "hours"
    assert err.value.line == line_of(text, "[hours]")


BAD = [
    (
        r'^en = \{ text = "Sorry, we did not hear your choice\.", seconds = ([0-9.]+) \}',
        r'en = { text = "Sorry,\\u0007 a bell.", seconds = \1 }',
        "a bell.",
        ["prompts.no_input.en.text", "control character in prompt text", "U+0007"],
    ),
    (r"^\[prompts\.welcome\]", "[prompts.welcome_renamed]", "[prompts.", ["prompts.welcome", "missing"]),
    # (pattern, replacement, the line's text, message fragments)
    (r'"4" = "org"', '"4" = "orgg"', '"4" = "orgg"', ["ivr.menus.more.options.4", "unknown target", "'orgg'"]),
    (r'"2" = "payroll" \}', '"2" = "payroll", "0" = "webhr" }', '"0" = "webhr"', ["ivr.menus.pay.options.0", "key 0"]),
    (r'"2" = "payroll" \}', '"2" = "payroll", "*" = "webhr" }', '"*" = "webhr"', ["ivr.menus.pay.options.*", "key *"]),
    (
        r'"6" = "pay" \}',
        '"6" = "more" }',
        '"6" = "more"',
        ["ivr.menus.more.options.6", "menu cycle", "main → more → more"],
    ),
    (r'"9" = "more" \}', '"9" = "general" }', "[ivr.menus.more]", ["ivr.menus.more", "unreachable menu"]),
    (r'^prompt = "menu_pay"', 'prompt = "menu_pai"', "menu_pai", ["ivr.menus.pay.prompt", "prompt not defined"]),
    (r"^retries = 2 ", "retries = 20 ", "retries = 20", ["ivr.retries", "out of range", "got 20"]),
    (r'^main = "main"', 'main = "start"', 'main = "start"', ["ivr.main", "no such menu", "'start'"]),
    (r'^daily = "08:30-18:30"', 'daily = "18:30-08:30"', 'daily = "18:30-08:30"', ["hours.daily", "closes before"]),
    (r'"2027-02-28",', '"2027-02-29",', '"2027-02-29"', ["hours.holidays[5]", "not a date", "'2027-02-29'"]),
    (
        r'^en = \{ text = "For English, press 2\.", seconds = [0-9.]+ \}\n',
        "",
        "[prompts.language]",
        ["prompts.language.en", "prompt missing in language 'en'"],
    ),
    (
        r'^en = \{ text = "Sorry, that phone number is not valid\.", seconds = [0-9.]+ \}',
        'en = { text = "Sorry.", seconds = 0 }',
        "seconds = 0 }",
        ["prompts.callback_invalid.en.seconds", "out of range"],
    ),
    (r"^\[prompts.welcome\]\n", "[prompts.welcome]\nnan = '歡迎'\n", "nan = '歡迎'", ["prompts.welcome.nan", "'zh'"]),
    (r"^interval_s = 60", "interval_s = 5", "interval_s = 5", ["ivr.announcements.interval_s", "out of range"]),
    (r"^position = true", 'position = "yes"', 'position = "yes"', ["ivr.announcements.position", "wrong type"]),
    (r"^round_min = 1", "round_min = 1\nevery = 2", "every = 2", ["ivr.announcements.every", "unknown key"]),
    (r"^\[prompts.number_7\]", "[prompts.number_seven]", "[prompts.", ["prompts.number_7", "missing"]),
]


@pytest.mark.parametrize(("pattern", "replacement", "needle", "fragments"), BAD, ids=[b[3][0] for b in BAD])
def test_a_broken_ivr_is_refused_at_its_line(pattern: str, replacement: str, needle: str, fragments: list[str]) -> None:
    text = mutate(pattern, replacement)
    with pytest.raises(ConfigError) as err:
        parse_centre(text, "centre.toml")
    message = str(err.value)
    assert message.startswith(f"centre.toml:{line_of(text, needle)}: {fragments[0]}: "), message
    for fragment in fragments:
        assert fragment in message


def test_the_command_line_names_file_line_and_field() -> None:
    """`cti config check` on a broken menu: one line on stderr, exit 1, like every refused file."""
    text = mutate(r'"4" = "org"', '"4" = "orgg"')
    out = cti("config", "check", "-", stdin=text)
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.strip() == (
        f"cti: <stdin>:{line_of(text, 'orgg')}: ivr.menus.more.options.4: unknown target; got 'orgg', "
        "expected a system id, 'general' or a menu id"
    )


def test_config_check_shows_the_ivr() -> None:
    out = cti("config", "check", "-", stdin=default_centre_text())
    assert out.returncode == 0, out.stderr
    for text in ("IVR: languages 1 zh, 2 en, 3 nan", "Hours: 08:30-18:30 every day; closed on 10 holidays", "Menus",
                 "retirement", "Prompts: 46 in zh, en", "Survey after the agent hangs up"):  # fmt: skip
        assert text in out.stdout


def test_config_check_json_has_the_ivr() -> None:
    out = cti("config", "check", "-", "--json", stdin=default_centre_text())
    doc = json.loads(out.stdout)["ivr"]
    assert doc["main"] == "main"
    assert [(lang["language"], lang["key"], lang["prompts"]) for lang in doc["languages"]] == [
        ("zh", "1", "zh"),
        ("en", "2", "en"),
        ("nan", "3", "zh"),
    ]
    assert doc["hours"]["week"]["sun"] == ["08:30-18:30"]
    assert "2027-10-10" in doc["hours"]["holidays"]
    assert {m["menu"] for m in doc["menus"]} == {"main", "more", "pay"}
    assert {(p["prompt"], p["language"]) for p in doc["prompts"]} >= {("welcome", "zh"), ("welcome", "en")}


def test_config_check_json_of_a_centre_without_ivr_says_null() -> None:
    text = default_centre_text()
    text = text[: text.index("# -------------------------------------------------------------------- ivr")]
    out = cti("config", "check", "-", "--json", stdin=text)
    assert json.loads(out.stdout)["ivr"] is None
