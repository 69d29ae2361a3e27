"""Reading a centre file: TOML in, a validated :class:`routing.Centre` (and :class:`ivr.IvrPlan`) out.

The routing tables go to :func:`routing.centre_from_mapping`; ``[ivr]``,
``[hours]`` and ``[prompts]`` to :func:`ivr.plan_from_mapping`, once the
centre's systems, languages and agency codes are known; ``[callback]`` (the
call-back offered in the queue) is read here, once the IVR's prompts are known.

Every problem becomes one :class:`ConfigError` whose message is a single line
naming the file, the line, the field, what was found and what was expected::

    centre.toml:57: agents[3].skills.webhr: skill level out of range; got 7, expected an integer from 1 to 5
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import tomllib
import zoneinfo
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ivr import IvrError, IvrPlan, SurveyPlan, plan_from_mapping
from routing import Centre, CentreError, centre_from_mapping

DEFAULT_CENTRE_RESOURCE = "data/centre.toml"
#: The top-level tables the IVR core reads; everything else is the routing core's.
IVR_TABLES = ("ivr", "hours", "prompts", "survey")
#: Top-level tables read by the centre itself, beside the two cores'.
CENTRE_TABLES = ("callback",)


class ConfigError(Exception):
    """A centre file could not be read or is invalid. ``str()`` is the one-line message."""

    code = "invalid-config"

    def __init__(self, source: str, message: str, line: int | None = None, field: str | None = None) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.message = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class LoadedCentre:
    """A validated centre file: the centre, where it came from, its IVR (``None``: no ``[ivr]`` table)
    and its call-back offer (``None``: no ``[callback]`` table)."""

    centre: Centre
    source: str
    ivr: IvrPlan | None = None
    callback: CallbackOffer | None = None


def default_centre_text() -> str:
    """The shipped default centre file (the DGPA hotline), as text."""
    return resources.files("cti").joinpath(DEFAULT_CENTRE_RESOURCE).read_text(encoding="utf-8")


def load_default() -> LoadedCentre:
    return parse_centre(default_centre_text(), "<default centre>")


def load_centre(path: str | Path) -> LoadedCentre:
    """Read and validate a centre file. ``-`` reads standard input."""
    source = "<stdin>" if str(path) == "-" else str(path)
    try:
        data = sys.stdin.buffer.read() if source == "<stdin>" else Path(path).read_bytes()
        text = data.decode("utf-8-sig")  # tolerate a byte-order mark
    except FileNotFoundError:
        raise ConfigError(source, "no such file") from None
    except IsADirectoryError:
        raise ConfigError(source, "is a directory, expected a centre file (TOML)") from None
    except PermissionError:
        raise ConfigError(source, "permission denied") from None
    except UnicodeDecodeError as err:
        raise ConfigError(source, f"not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise ConfigError(source, f"cannot read: {err.strerror or err}") from None
    return parse_centre(text, source)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def parse_centre(text: str, source: str) -> LoadedCentre:
    """Parse and validate centre-file text; ``source`` names it in messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = _TOML_POSITION.search(message)
        line = int(match.group(1)) if match else None
        if match:
            message = f"{message[: match.start()]} (column {match.group(2)})"
        elif message.endswith("(at end of document)"):
            line = text.count("\n") + (0 if text.endswith("\n") else 1)
        raise ConfigError(source, f"TOML syntax error: {message}", line) from None
    try:
        centre = centre_from_mapping(
            {key: value for key, value in doc.items() if key not in IVR_TABLES and key not in CENTRE_TABLES}
        )
    except CentreError as err:
        raise ConfigError(source, err.describe(), locate(text, err.path), err.path) from None
    try:
        zoneinfo.ZoneInfo(centre.info.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            source,
            f"center.timezone: unknown time zone; got {centre.info.timezone!r}, expected an IANA name such as "
            "'Asia/Taipei'",
            locate(text, "center.timezone"),
            "center.timezone",
        ) from None
    plan = _ivr_plan(doc, centre, text, source)
    return LoadedCentre(centre, source, plan, _callback(doc, plan, text, source))


def _callback(doc: dict[str, Any], plan: IvrPlan | None, text: str, source: str) -> CallbackOffer | None:
    """The call-back offer of a parsed file (``None`` without ``[callback]``), errors naming the line."""
    if "callback" not in doc:
        return None
    own = [lang.id for lang in plan.languages if lang.prompts is None] if plan is not None else []
    try:
        return callback_from_mapping(doc["callback"], dict(plan.prompts) if plan is not None else None, own)
    except CallbackTableError as err:
        raise ConfigError(source, err.describe(), locate(text, err.path), err.path) from None


def _ivr_plan(doc: dict[str, Any], centre: Centre, text: str, source: str) -> IvrPlan | None:
    """The IVR plan of a parsed file (``None`` without ``[ivr]``), errors naming the line."""
    if "ivr" not in doc:
        for table in IVR_TABLES[1:]:
            if table in doc:
                raise ConfigError(
                    source,
                    f"{table}: [{table}] is used only by the IVR, expected an [ivr] table beside it (or no [{table}])",
                    locate(text, table),
                    table,
                )
        return None
    try:
        return plan_from_mapping(
            doc,
            systems=[s.id for s in centre.systems],
            agency_codes={a.code: a.id for a in centre.agencies if a.code is not None},
            languages=centre.languages,
        )
    except IvrError as err:
        raise ConfigError(source, err.describe(), locate(text, err.path), err.path) from None


# ----------------------------------------------------------------------
# [callback]: the call-back offered in the queue
# ----------------------------------------------------------------------
#
# The centre file's ``[callback]`` table: offering a queued caller a call-back that keeps their place.
#
# After ``offer_after_s`` in the queue a caller hears the prompt
# ``queue_callback_offer`` (press 1 to be called back without losing their
# place); on 1 they hear ``queue_callback_thanks`` and hang up, and the call
# stays queued as a call-back request (:class:`routing.CallbackRequested`).
# When its turn comes and an agent accepts it, the PBX dials the caller for up
# to ``ring_s``; an unanswered dial is retried ``retries`` more times, each
# after ``retry_delay_s`` out of the queue, back at the call's original place;
# after the last, a call-back case is left for the case desk.
#
# The table needs the IVR beside it (``[ivr]``): its prompts are read from
# ``[prompts]``, in every prompt language. Without the table, or with
# ``enabled = false``, nothing is offered and the centre behaves as before.

#: The prompts a ``[callback]`` table needs in ``[prompts]``.
OFFER_PROMPT = "queue_callback_offer"
THANKS_PROMPT = "queue_callback_thanks"
CALLBACK_PROMPTS = (OFFER_PROMPT, THANKS_PROMPT)
#: The key that accepts the offer.
ACCEPT_KEY = "1"


@dataclass(frozen=True, slots=True)
class CallbackOffer:
    """A validated ``[callback]`` table (see the module's description)."""

    enabled: bool = True
    offer_after_s: float = 60.0
    retries: int = 2
    retry_delay_s: float = 300.0
    ring_s: float = 30.0


class CallbackTableError(Exception):
    """One problem in a ``[callback]`` table: the field's path, what is wrong, what was found and expected."""

    def __init__(self, path: str, problem: str, value: Any = None, expected: str = "") -> None:
        self.path = path
        self.problem = problem
        self.value = value
        self.expected = expected
        super().__init__(self.describe())

    def describe(self) -> str:
        text = f"{self.path}: {self.problem}"
        if self.value is not None:
            text += f"; got {self.value!r}"
        if self.expected:
            text += f", expected {self.expected}"
        return text


#: Each number: (lowest, highest, whole numbers only).
_NUMBERS: dict[str, tuple[float, float, bool]] = {
    "offer_after_s": (5, 3600, False),
    "retries": (0, 9, True),
    "retry_delay_s": (0, 86_400, False),
    "ring_s": (5, 120, False),
}
_KEYS = ("enabled", *_NUMBERS)


def callback_from_mapping(table: object, prompts: dict[str, Any] | None, prompt_languages: list[str]) -> CallbackOffer:
    """Validate a ``[callback]`` table; ``prompts`` is the IVR plan's (``None``: no ``[ivr]``).

    ``prompt_languages``: the languages with prompts of their own, each of which must
    have both call-back prompts. Raises :class:`CallbackTableError` for the first problem.
    """
    if not isinstance(table, dict):
        raise CallbackTableError("callback", "not a table", table, "a [callback] table")
    for key in table:
        if key not in _KEYS:
            raise CallbackTableError(f"callback.{key}", "unknown key", None, "one of: " + ", ".join(_KEYS))
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise CallbackTableError("callback.enabled", "not true or false", enabled, "true or false")
    values: dict[str, float] = {}
    defaults = CallbackOffer()
    for key, (low, high, whole) in _NUMBERS.items():
        value = table.get(key, getattr(defaults, key))
        kind = "a whole number" if whole else "a number"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (whole and not isinstance(value, int))
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise CallbackTableError(f"callback.{key}", "out of range", value, f"{kind} from {low:g} to {high:g}")
        values[key] = value
    if prompts is None:
        raise CallbackTableError(
            "callback", "the call-back offer is played by the IVR", None, "an [ivr] table beside [callback]"
        )
    for prompt in CALLBACK_PROMPTS:
        if prompt not in prompts:
            raise CallbackTableError(
                f"prompts.{prompt}", "missing prompt (used by [callback])", None, f"a [prompts.{prompt}] table"
            )
        for language in prompt_languages:
            if language not in prompts[prompt]:
                raise CallbackTableError(
                    f"prompts.{prompt}.{language}",
                    f"prompt missing in language {language!r}",
                    None,
                    f'{language} = "…"',
                )
    return CallbackOffer(
        enabled,
        float(values["offer_after_s"]),
        int(values["retries"]),
        float(values["retry_delay_s"]),
        float(values["ring_s"]),
    )


# ----------------------------------------------------------------------
# Finding the line of a field
# ----------------------------------------------------------------------

_KEY_PART = r"""(?:"[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_-]+)"""
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=")
_INLINE_KEY = re.compile(rf"[{{,]\s*({_DOTTED})\s*=")

Path_ = tuple[str | int, ...]


def _split_path(path: str) -> Path_:
    parts: list[str | int] = []
    for piece in path.split("."):
        match = re.fullmatch(r"([^\[]*)((?:\[\d+\])*)", piece)
        if not match:
            parts.append(piece)
            continue
        if match.group(1):
            parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(parts)


def _key_parts(key: str) -> list[str]:
    return [k[1:-1] if k[:1] in "\"'" else k for k in re.findall(_KEY_PART, key)]


def _line_map(text: str) -> dict[Path_, int]:
    """Map each table, array element and key in ``text`` to the line it starts on.

    A light scan, not a parser: good enough for the tables a centre file uses
    (``[table]``, ``[[array]]``, ``[array.sub]``, keys, inline tables on one line).
    """
    lines: dict[Path_, int] = {}
    counts: dict[str, int] = {}
    current: Path_ = ()
    in_multiline = False
    array: tuple[Path_, int] | None = None  # inside a multi-line array of values: its path, elements so far
    # TOML ends lines at \n only (str.splitlines would also split on U+2028 and friends).
    for number, raw in enumerate(text.split("\n"), start=1):
        opened_or_closed = (raw.count('"""') + raw.count("'''")) % 2 == 1
        skip = in_multiline
        if opened_or_closed:
            in_multiline = not in_multiline
        if skip:
            continue  # inside a multi-line string: nothing here is a table or key
        if array is not None:
            array = _array_elements(lines, array, raw, number)
            continue
        line = raw.split("#", 1)[0] if '"' not in raw and "'" not in raw else raw
        if m := _ARRAY_HEADER.match(line):
            name = ".".join(_key_parts(m.group(1)))
            index = counts.get(name, 0)
            counts[name] = index + 1
            current = (*_key_parts(m.group(1)), index)
            lines.setdefault(current, number)
            lines.setdefault(current[:-1], number)
            continue
        if m := _TABLE_HEADER.match(line):
            parts = _key_parts(m.group(1))
            head = parts[0]
            # [agents.skills] belongs to the latest [[agents]]
            current = (head, counts[head] - 1, *parts[1:]) if head in counts else tuple(parts)
            lines.setdefault(current, number)
            continue
        if m := _KEY.match(line):
            key_path = (*current, *_key_parts(m.group(1)))
            lines.setdefault(key_path, number)
            rest = line[m.end() :]
            if rest.lstrip().startswith("["):
                array = _array_elements(lines, (key_path, 0), rest.lstrip()[1:], number)
            if "{" in rest:
                for inner in _INLINE_KEY.finditer(rest):
                    lines.setdefault((*key_path, *_key_parts(inner.group(1))), number)
    return lines


_ARRAY_VALUE = re.compile(r""""(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s,\[\]{}#"']+|\]|#""")


def _array_elements(
    lines: dict[Path_, int], array: tuple[Path_, int], text: str, number: int
) -> tuple[Path_, int] | None:
    """Note the line of each value of an array of plain values that starts in ``text``; ``None`` once it closes.

    One value per line, as a long list is written (``holidays = [`` then a date a line), gets its own line in
    messages; nested arrays and inline tables inside the array are not followed (their values keep the key's line).
    """
    path, index = array
    for match in _ARRAY_VALUE.finditer(text):
        token = match.group(0)
        if token == "#":
            break  # a comment: the rest of the line
        if token == "]":
            return None
        lines.setdefault((*path, index), number)
        index += 1
    return path, index


def locate(text: str, path: str) -> int | None:
    """The line where the field at ``path`` (``agents[3].skills.webhr``) is, or its nearest parent."""
    if not path:
        return None
    lines = _line_map(text)
    parts = _split_path(path)
    while parts:
        if parts in lines:
            return lines[parts]
        # A table written only as sub-tables (``[prompts.welcome]``) has no line of its own: its first sub-table's.
        inside = [line for key, line in lines.items() if key[: len(parts)] == parts]
        if inside:
            return min(inside)
        parts = parts[:-1]
    return None


def as_mapping(centre: Centre) -> dict[str, Any]:
    """A plain summary of a centre for ``--json`` output (keys as in ``cti/cli/schemas/config-check.json``)."""
    return {
        "name": centre.info.name,
        "timezone": centre.info.timezone,
        "threshold_s": centre.info.service_level_seconds,
        "sites": [
            {
                "site_id": s.id,
                "name": s.name,
                "voice_seats": sum(1 for a in centre.agents if a.site == s.id and a.voice),
                "backup_seats": sum(1 for a in centre.agents if a.site == s.id and a.voice and a.backup),
                "email_seats": sum(1 for a in centre.agents if a.site == s.id and "email" in a.channels),
            }
            for s in centre.sites
        ],
        "systems": [s.id for s in centre.systems],
        "languages": [
            {
                "language_id": lang.id,
                "name": lang.name,
                "voice": lang.voice,
                "prompts": lang.prompts,
                "voice_agents": sum(1 for a in centre.agents if a.voice and lang.id in a.languages),
            }
            for lang in centre.languages
        ],
        "agencies": len(centre.agencies),
        "agents": [
            {
                "agent_id": a.id,
                "site_id": a.site,
                "channels": [str(c) for c in a.channels],
                "backup": a.backup,
                "skills": dict(a.skills),
                "languages": list(a.languages),
            }
            for a in centre.agents
        ],
        "routing": {
            k: (str(v) if k == "strategy" else v)
            for k, v in ((f, getattr(centre.routing, f)) for f in centre.routing.__dataclass_fields__)
        },
        "warnings": centre.warnings(),
    }


def ivr_mapping(plan: IvrPlan | None) -> dict[str, Any] | None:
    """A plain summary of an IVR plan for ``--json`` output (``None``: the centre has no IVR)."""
    if plan is None:
        return None
    keys = {language: key for key, language in plan.language_menu.items()}
    t = plan.timeouts
    return {
        "main": plan.main,
        "languages": [
            {"language": lang.id, "key": keys.get(lang.id), "prompts": lang.prompt_language, "voice": lang.voice}
            for lang in plan.languages
        ],
        "timeouts": {
            "digit_timeout_s": t.digit_timeout_s,
            "inter_digit_timeout_s": t.inter_digit_timeout_s,
            "retries": t.retries,
            "agency_code_max_digits": t.agency_code_max_digits,
        },
        "agency_codes": len(plan.agency_codes),
        "menus": [{"menu": m.id, "prompt": m.prompt, "options": dict(m.options)} for m in plan.menus.values()],
        "hours": plan.hours.as_mapping(),
        "announcements": None if plan.announcements is None else dataclasses.asdict(plan.announcements),
        "prompts": [
            {"prompt": prompt, "language": language, "seconds": text.seconds, "estimated": text.estimated}
            for prompt, texts in plan.prompts.items()
            for language, text in texts.items()
        ],
        "survey": survey_mapping(plan.survey),
    }


def survey_mapping(survey: SurveyPlan | None) -> dict[str, Any] | None:
    """A plain summary of the post-call survey for ``--json`` output (``None``: no survey)."""
    if survey is None:
        return None
    return {
        "questions": [{"question": q.id, "prompt": q.prompt, "low": q.low, "high": q.high} for q in survey.questions],
        "score": survey.score,
        "dissatisfied_at_most": survey.dissatisfied_at_most,
        "satisfied_at_least": survey.satisfied_at_least,
        "target": survey.target,
    }
