"""Reading the IVR plan from a parsed centre file: ``[ivr]``, ``[hours]``, ``[prompts]``.

:func:`plan_from_mapping` validates everything before building anything and
raises :class:`~ivr.IvrError` for the first problem, naming the field by its
path in the file (``ivr.menus.more.options.4``), so the shell can name the
line. The shapes are documented in docs/centre-file.md.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from ivr.call import Phase
from ivr.civil import WEEKDAYS, parse_date
from ivr.errors import IvrError
from ivr.hours import DEFAULT_CLOSE, DEFAULT_OPEN, DayWindows, Hours, Window
from ivr.plan import (
    FLOW_PROMPTS,
    GENERAL_KEY,
    GENERAL_QUEUE,
    LANGUAGE,
    MENU_KEYS,
    REPEAT_KEY,
    Announcements,
    IvrPlan,
    Language,
    Menu,
    Timeouts,
)
from ivr.prompts import PromptText, estimate_seconds
from ivr.survey_plan import Question, SurveyPlan, default_questions

#: Ids: letters, digits, ``_ -`` (as ``routing.centre.ID_PATTERN``).
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_TIME = re.compile(r"(\d{2}):(\d{2})")
#: Names Steps use for the places of the flow; no menu may take them.
RESERVED_MENU_IDS = frozenset({p.value for p in Phase if p is not Phase.MENU} | {GENERAL_QUEUE})
MAX_PROMPT_SECONDS = 600
MAX_PROMPT_TEXT = 2_000

_IVR_KEYS = {
    "main": "the id of the first menu",
    "digit_timeout_s": "seconds",
    "inter_digit_timeout_s": "seconds",
    "retries": "an integer",
    "agency_code_max_digits": "an integer",
    "menus": "[ivr.menus.<id>] tables",
    "announcements": "an [ivr.announcements] table",
}
_ANNOUNCEMENT_KEYS = ("after_s", "interval_s", "position", "wait", "round_min")
_MENU_KEYS = ("prompt", "options")
_HOURS_KEYS = ("daily", *WEEKDAYS, "holidays")


class LanguageLike(Protocol):
    """What the plan needs of a centre's language (``routing.Language`` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def voice(self) -> str | None: ...
    @property
    def prompts(self) -> str | None: ...


def _number(path: str, value: object, minimum: float, maximum: float, *, integer: bool = False) -> float:
    kind = "an integer" if integer else "a number"
    expected = f"{kind} from {minimum:g} to {maximum:g}"
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok:
        raise IvrError(path, "wrong type", value, expected)
    assert isinstance(value, int | float)
    if isinstance(value, float) and math.isnan(value):
        raise IvrError(path, "out of range", value, expected)
    if not minimum <= value <= maximum:
        raise IvrError(path, "out of range", value, expected)
    return value


def _table(path: str, value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise IvrError(path, "wrong type", value if not isinstance(value, list) else None, what)
    return value


def _known_keys(path: str, table: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise IvrError(f"{path}.{key}", "unknown key", None, "one of: " + ", ".join(allowed))


def _id(path: str, value: object, what: str = "an id") -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise IvrError(path, "invalid id", value, f"{what}: 1-64 letters, digits, '_' or '-'")
    return value


# ----------------------------------------------------------------------
# [hours]
# ----------------------------------------------------------------------


def _clock(path: str, text: str, whole: object, *, closing: bool) -> int:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise IvrError(path, "not a time range", whole, "'HH:MM-HH:MM' such as '08:30-18:30', or 'closed'")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not closing)):
        raise IvrError(path, "no such time of day", whole, "00:00 to 23:59 (24:00 as a closing time)")
    return hours * 3600 + minutes * 60


def _windows(path: str, value: object) -> DayWindows:
    if value == "closed":
        return ()
    items = value if isinstance(value, list) else [value]
    if not items:
        raise IvrError(path, "empty", value, "'closed' for a day without opening hours")
    windows: list[Window] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(value, list) else path
        if not isinstance(item, str) or item.count("-") != 1:
            raise IvrError(where, "not a time range", item, "'HH:MM-HH:MM' such as '08:30-18:30', or 'closed'")
        start, end = item.split("-")
        open_s = _clock(where, start, item, closing=False)
        close_s = _clock(where, end, item, closing=True)
        if close_s <= open_s:
            raise IvrError(where, "closes before it opens", item, "a closing time after the opening time")
        windows.append(Window(open_s, close_s))
    windows.sort(key=lambda w: w.open_s)
    for before, after in itertools.pairwise(windows):
        if after.open_s < before.close_s:
            raise IvrError(path, "opening windows overlap", value, "windows that do not overlap")
    return tuple(windows)


def hours_from_mapping(table: object, path: str = "hours") -> Hours:
    """Validate an ``[hours]`` table (absent: 08:30-18:30 every day, no holidays)."""
    if table is None:
        return Hours()
    hours = _table(path, table, "a table such as daily = '08:30-18:30'")
    _known_keys(path, hours, _HOURS_KEYS)
    daily: DayWindows = (Window(DEFAULT_OPEN, DEFAULT_CLOSE),)
    if "daily" in hours:
        daily = _windows(f"{path}.daily", hours["daily"])
    week = tuple(_windows(f"{path}.{day}", hours[day]) if day in hours else daily for day in WEEKDAYS)
    if not any(week):
        raise IvrError(path, "never open", None, "at least one weekday with opening hours")
    holidays: set[int] = set()
    dates = hours.get("holidays", [])
    if not isinstance(dates, list):
        raise IvrError(f"{path}.holidays", "wrong type", dates, "a list of dates such as ['2027-01-01']")
    for i, date in enumerate(dates):
        day = parse_date(date) if isinstance(date, str) else None
        if day is None:
            shown = str(date) if not isinstance(date, str | int | float) else date
            raise IvrError(f"{path}.holidays[{i}]", "not a date", shown, "an ISO date as a string, 'YYYY-MM-DD'")
        if day in holidays:
            raise IvrError(f"{path}.holidays[{i}]", "duplicate date", date, "each date once")
        holidays.add(day)
    assert len(week) == 7
    return Hours((week[0], week[1], week[2], week[3], week[4], week[5], week[6]), frozenset(holidays))


# ----------------------------------------------------------------------
# [prompts]
# ----------------------------------------------------------------------


def _prompt_text(path: str, value: object) -> PromptText:
    if isinstance(value, str):
        text, seconds = value, None
    elif isinstance(value, Mapping):
        _known_keys(path, value, ("text", "seconds"))
        if "text" not in value:
            raise IvrError(f"{path}.text", "missing required field", None, "text = …")
        text, seconds = value["text"], value.get("seconds")
    else:
        raise IvrError(path, "wrong type", value, "the text, or { text = …, seconds = … }")
    where = f"{path}.text" if isinstance(value, Mapping) else path
    if not isinstance(text, str) or not text.strip():
        raise IvrError(where, "empty prompt text" if isinstance(text, str) else "wrong type", text, "the words to say")
    if len(text) > MAX_PROMPT_TEXT:
        raise IvrError(where, "prompt text too long", len(text), f"at most {MAX_PROMPT_TEXT} characters")
    for ch in text:
        if (ord(ch) < 0x20 and ch not in "\t\n\r") or 0x7F <= ord(ch) < 0xA0:  # as the renderer refuses
            raise IvrError(where, "control character in prompt text", f"U+{ord(ch):04X}", "words to say, no controls")
    if seconds is None:
        return PromptText(text, estimate_seconds(text), estimated=True)
    return PromptText(text, float(_number(f"{path}.seconds", seconds, 0.1, MAX_PROMPT_SECONDS)))


def prompts_from_mapping(
    table: object, languages: Sequence[Language], path: str = "prompts"
) -> dict[str, dict[str, PromptText]]:
    """Validate a ``[prompts]`` table: prompt id → prompt language → text (and seconds)."""
    if table is None:
        return {}
    prompts = _table(path, table, "[prompts.<id>] tables")
    own = [lang.id for lang in languages if lang.prompts is None]
    borrowed = {lang.id: lang.prompts for lang in languages if lang.prompts is not None}
    out: dict[str, dict[str, PromptText]] = {}
    for prompt_id, raw in prompts.items():
        where = f"{path}.{prompt_id}"
        _id(where, prompt_id, "a prompt id")
        texts = _table(where, raw, "a table of language = text")
        out[prompt_id] = {}
        for language, value in texts.items():
            if language in borrowed:
                raise IvrError(
                    f"{where}.{language}",
                    f"language {language!r} uses the prompts of {borrowed[language]!r}",
                    None,
                    "texts in " + ", ".join(own) + " only",
                )
            if language not in own:
                raise IvrError(f"{where}.{language}", "unknown language", None, "one of: " + ", ".join(own))
            out[prompt_id][language] = _prompt_text(f"{where}.{language}", value)
    return out


# ----------------------------------------------------------------------
# [ivr]
# ----------------------------------------------------------------------


def _option_key(path: str, key: str, bound: dict[str, str]) -> str:
    if key in MENU_KEYS:
        return key
    where = f"{path}.{key}"
    if key == GENERAL_KEY:
        raise IvrError(where, "key 0 is reserved", None, "keys 1-9 (0 is the general queue in every menu)")
    if key == REPEAT_KEY:
        raise IvrError(where, "key * is reserved", None, "keys 1-9 (* repeats the menu in every menu)")
    normal = unicodedata.normalize("NFKC", key).strip()
    if normal in MENU_KEYS and normal in bound:
        raise IvrError(where, f"key {normal} bound twice (also as {normal!r})", key, "each key once")
    raise IvrError(where, "not a menu key", key, 'a single key from 1 to 9, written as a string: "1"')


def _menus(ivr: Mapping[str, Any], systems: frozenset[str]) -> tuple[dict[str, Menu], str]:
    raw = ivr.get("menus")
    if raw is None:
        raise IvrError("ivr.menus", "missing required table", None, "at least one [ivr.menus.<id>] table")
    menus_table = _table("ivr.menus", raw, "[ivr.menus.<id>] tables")
    if not menus_table:
        raise IvrError("ivr.menus", "empty", None, "at least one [ivr.menus.<id>] table")
    main = ivr.get("main", "main")
    menus: dict[str, Menu] = {}
    for menu_id, table in menus_table.items():
        path = f"ivr.menus.{menu_id}"
        _id(path, menu_id, "a menu id")
        if menu_id in RESERVED_MENU_IDS:
            raise IvrError(path, "reserved menu id", menu_id, "any id but " + ", ".join(sorted(RESERVED_MENU_IDS)))
        if menu_id in systems:
            raise IvrError(path, "menu id is also a system id", menu_id, "a menu id no system uses")
        menu = _table(path, table, "a table with prompt and options")
        _known_keys(path, menu, _MENU_KEYS)
        for key in _MENU_KEYS:
            if key not in menu:
                raise IvrError(f"{path}.{key}", "missing required field", None, f"{key} = …")
        prompt = _id(f"{path}.prompt", menu["prompt"], "a prompt id from [prompts]")
        options_table = _table(f"{path}.options", menu["options"], 'a table such as { "1" = "webhr" }')
        if not options_table:
            raise IvrError(f"{path}.options", "empty", None, 'at least one key, such as { "1" = "webhr" }')
        options: dict[str, str] = {}
        for key, target in options_table.items():
            digit = _option_key(f"{path}.options", key, options)
            if not isinstance(target, str):
                raise IvrError(f"{path}.options.{key}", "wrong type", target, "a system id, 'general' or a menu id")
            options[digit] = target
        menus[menu_id] = Menu(menu_id, prompt, dict(sorted(options.items())))
    if not isinstance(main, str) or main not in menus:
        raise IvrError("ivr.main", "no such menu", main, "one of: " + ", ".join(menus))
    for built in menus.values():
        for key, target in built.options.items():
            if target not in menus and target != GENERAL_QUEUE and target not in systems:
                raise IvrError(
                    f"ivr.menus.{built.id}.options.{key}",
                    "unknown target",
                    target,
                    "a system id, 'general' or a menu id",
                )
    _check_tree(menus, main)
    return menus, main


def _check_tree(menus: Mapping[str, Menu], main: str) -> None:
    """Every menu reachable from ``main``, and no menu leads back to one on its own path."""
    reached: set[str] = set()

    def visit(menu_id: str, trail: tuple[str, ...]) -> None:
        reached.add(menu_id)
        for key, target in menus[menu_id].options.items():
            if target not in menus:
                continue
            if target in trail or target == menu_id:
                cycle = " → ".join((*trail, menu_id, target))
                raise IvrError(
                    f"ivr.menus.{menu_id}.options.{key}", "menu cycle", cycle, "a tree: no menu leads back to itself"
                )
            visit(target, (*trail, menu_id))

    visit(main, ())
    for menu_id in menus:
        if menu_id not in reached:
            raise IvrError(
                f"ivr.menus.{menu_id}", "unreachable menu", menu_id, f"a menu some key leads to from {main!r}"
            )


def _languages(languages: Sequence[LanguageLike]) -> tuple[Language, ...]:
    if not languages:
        return (Language("zh"),)
    out = tuple(Language(lang.id, lang.voice, lang.prompts) for lang in languages)
    ids = [lang.id for lang in out]
    for i, lang in enumerate(out):
        if lang.prompts is not None and (lang.prompts not in ids or out[ids.index(lang.prompts)].prompts is not None):
            raise IvrError(
                f"languages[{i}].prompts",
                "not a language with prompts of its own",
                lang.prompts,
                "one of the languages",
            )
    if len(out) > len(MENU_KEYS):
        raise IvrError("languages", "too many languages for a language menu", len(out), "at most 9")
    return out


def plan_from_mapping(
    doc: Mapping[str, Any],
    *,
    systems: Iterable[str],
    agency_codes: Mapping[str, str],
    languages: Sequence[LanguageLike] = (),
) -> IvrPlan:
    """Validate the ``[ivr]``, ``[hours]`` and ``[prompts]`` tables of a parsed centre file.

    ``systems``: the centre's system ids (menu targets); ``agency_codes``:
    agency code → agency id; ``languages``: the centre's languages, the
    first the default (none: one language, ``zh``). Other top-level keys of
    ``doc`` are not looked at. Raises :class:`~ivr.IvrError` for the first
    problem, with the field's path.
    """
    if "ivr" not in doc:
        raise IvrError("ivr", "missing required table", None, "an [ivr] table with [ivr.menus.<id>] tables")
    ivr = _table("ivr", doc["ivr"], "a table")
    _known_keys("ivr", ivr, _IVR_KEYS)
    langs = _languages(languages)
    system_ids = frozenset(systems)
    defaults = Timeouts()
    timeouts = Timeouts(
        digit_timeout_s=float(
            _number("ivr.digit_timeout_s", ivr.get("digit_timeout_s", defaults.digit_timeout_s), 1, 60)
        ),
        inter_digit_timeout_s=float(
            _number(
                "ivr.inter_digit_timeout_s", ivr.get("inter_digit_timeout_s", defaults.inter_digit_timeout_s), 1, 30
            )
        ),
        retries=int(_number("ivr.retries", ivr.get("retries", defaults.retries), 0, 9, integer=True)),
        agency_code_max_digits=int(
            _number(
                "ivr.agency_code_max_digits",
                ivr.get("agency_code_max_digits", defaults.agency_code_max_digits),
                2,
                8,
                integer=True,
            )
        ),
    )
    longest = max((len(code) for code in agency_codes), default=0)
    if longest > timeouts.agency_code_max_digits:
        raise IvrError(
            "ivr.agency_code_max_digits",
            "shorter than the longest agency code",
            timeouts.agency_code_max_digits,
            f"at least {longest}",
        )
    menus, main = _menus(ivr, system_ids)
    hours = hours_from_mapping(doc.get("hours"))
    prompts = prompts_from_mapping(doc.get("prompts"), langs)
    survey = survey_from_mapping(doc.get("survey"), timeouts)
    announcements = announcements_from_mapping(ivr.get("announcements"))
    plan = IvrPlan(
        langs, prompts, menus, main, timeouts, dict(agency_codes), hours, survey=survey, announcements=announcements
    )
    _check_prompts(plan)
    return plan


def announcements_from_mapping(value: object, path: str = "ivr.announcements") -> Announcements | None:
    """``[ivr.announcements]`` (``None``: no table, no announcements)."""
    if value is None:
        return None
    table = _table(path, value, "a table")
    _known_keys(path, table, _ANNOUNCEMENT_KEYS)
    d = Announcements()
    flags = {}
    for key in ("position", "wait"):
        flag = table.get(key, getattr(d, key))
        if not isinstance(flag, bool):
            raise IvrError(f"{path}.{key}", "wrong type", flag, "true or false")
        flags[key] = flag
    if not (flags["position"] or flags["wait"]):
        raise IvrError(f"{path}.wait", "nothing to announce", False, "position = true or wait = true (or no table)")
    return Announcements(
        after_s=float(_number(f"{path}.after_s", table.get("after_s", d.after_s), 0, 3600)),
        interval_s=float(_number(f"{path}.interval_s", table.get("interval_s", d.interval_s), 10, 3600)),
        position=flags["position"],
        wait=flags["wait"],
        round_min=int(_number(f"{path}.round_min", table.get("round_min", d.round_min), 1, 30, integer=True)),
    )


def _check_prompts(plan: IvrPlan) -> None:
    """Every prompt the flow and the menus play is defined, in every prompt language."""
    own = [lang.id for lang in plan.languages if lang.prompts is None]
    for prompt in plan.used_prompts():
        if prompt not in plan.prompts:
            users = [m.id for m in plan.menus.values() if m.prompt == prompt]
            if users and prompt not in FLOW_PROMPTS:
                raise IvrError(
                    f"ivr.menus.{users[0]}.prompt", "prompt not defined", prompt, f"a [prompts.{prompt}] table"
                )
            why = (
                "the language menu"
                if prompt == LANGUAGE
                else "the survey"
                if plan.survey is not None and prompt in plan.survey.prompts
                else "the IVR's flow"
            )
            raise IvrError(f"prompts.{prompt}", f"missing prompt (used by {why})", None, f"a [prompts.{prompt}] table")
        for language in own:
            if language not in plan.prompts[prompt]:
                raise IvrError(
                    f"prompts.{prompt}.{language}",
                    f"prompt missing in language {language!r}",
                    None,
                    f'{language} = "…"',
                )


# ----------------------------------------------------------------------
# [survey]
# ----------------------------------------------------------------------

_SURVEY_KEYS = {
    "enabled": "true or false",
    "score": "the id of the question that gives the satisfaction score",
    "dissatisfied_at_most": "an integer",
    "satisfied_at_least": "an integer",
    "target": "a share from 0 to 1",
    "questions": "[[survey.questions]] tables",
}
_QUESTION_KEYS = ("id", "prompt", "low", "high")


def survey_from_mapping(table: object, timeouts: Timeouts | None = None, path: str = "survey") -> SurveyPlan | None:
    """Validate a ``[survey]`` table (``None``: no survey; ``enabled = false``: none either).

    Without ``questions`` the default ones (satisfaction 1-5, solved 1/2).
    """
    if table is None:
        return None
    survey = _table(path, table, "a table")
    _known_keys(path, survey, _SURVEY_KEYS)
    enabled = survey.get("enabled", True)
    if not isinstance(enabled, bool):
        raise IvrError(f"{path}.enabled", "wrong type", enabled, "true or false")
    if "questions" in survey:
        raw = survey["questions"]
        if not isinstance(raw, list) or not raw:
            raise IvrError(f"{path}.questions", "wrong type", None, "one or more [[survey.questions]] tables")
        if len(raw) > 9:
            raise IvrError(f"{path}.questions", "too many questions", len(raw), "at most 9")
        questions: list[Question] = []
        for i, item in enumerate(raw):
            where = f"{path}.questions[{i}]"
            q = _table(where, item, "a table with id, prompt, low, high")
            _known_keys(where, q, _QUESTION_KEYS)
            for key in _QUESTION_KEYS:
                if key not in q:
                    raise IvrError(f"{where}.{key}", "missing required field", None, f"{key} = …")
            qid = _id(f"{where}.id", q["id"], "a question id")
            if any(other.id == qid for other in questions):
                raise IvrError(f"{where}.id", "duplicate question id", qid, "ids used once")
            prompt = _id(f"{where}.prompt", q["prompt"], "a prompt id")
            low = int(_number(f"{where}.low", q["low"], 0, 9, integer=True))
            high = int(_number(f"{where}.high", q["high"], low, 9, integer=True))
            questions.append(Question(qid, prompt, low, high))
        chosen = tuple(questions)
    else:
        chosen = default_questions()
    score = _id(f"{path}.score", survey.get("score", chosen[0].id), "a question id")
    scored = next((q for q in chosen if q.id == score), None)
    if scored is None:
        raise IvrError(f"{path}.score", "not one of the questions", score, "one of: " + ", ".join(q.id for q in chosen))
    default_low = min(2, scored.high)
    low = int(_number(f"{path}.dissatisfied_at_most", survey.get("dissatisfied_at_most", default_low),
                      scored.low - 1, scored.high, integer=True))  # fmt: skip
    default_high = min(4, scored.high)
    high = int(_number(f"{path}.satisfied_at_least", survey.get("satisfied_at_least", default_high),
                       low + 1, scored.high, integer=True))  # fmt: skip
    target = float(_number(f"{path}.target", survey.get("target", 0.85), 0, 1))
    if not enabled:
        return None
    t = timeouts or Timeouts()
    return SurveyPlan(chosen, score, low, high, target, t.digit_timeout_s, t.retries)
