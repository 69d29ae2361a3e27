"""Scenario files: what a capacity simulation runs (TOML, beside a centre file).

A scenario says which days to simulate and how callers behave: arrivals per
system (a daily volume spread by an intraday profile, or calls per
interval), the agency mix, talk times, caller patience and redialling, agent
shifts and breaks, and the replications. The centre file says who answers and
how calls are routed. ``cti scenario example`` prints a commented example;
docs/simulator.md documents every key.

Every problem is reported as a :class:`ScenarioError` naming the field by its
path (``talk_time.webhr.cv``), what was found and what would be accepted.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from routing.centre import ID_PATTERN, AgentProfile, Centre, Channel, Strategy
from routing.errors import CentreError
from simulator.behaviour import ESCALATION_TIERS, AgentBehaviour, CallerBehaviour
from simulator.profile import DEFAULT_SYSTEM_WEIGHTS, hourly_to_intervals

DAY_S = 86_400.0
MAX_DAYS = 3_660
MAX_REPLICATIONS = 1_000


class ScenarioError(Exception):
    """A scenario is invalid: ``path`` names the field, ``value`` is what was there."""

    def __init__(self, path: str, problem: str, value: Any = None, expected: str = "") -> None:
        self.path = path
        self.problem = problem
        self.value = value
        self.expected = expected
        shown = "" if value is None else f" (found {value!r})"
        wanted = f"; expected {expected}" if expected else ""
        super().__init__(f"{path}: {problem}{shown}{wanted}")


# ----------------------------------------------------------------------
# Distributions
# ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Distribution:
    """A distribution of seconds: ``exponential`` (mean), ``lognormal`` (mean, cv), ``empirical`` (values)
    or ``none`` (never: endless patience)."""

    kind: str
    mean: float = 0.0
    cv: float = 1.0
    values: tuple[float, ...] = ()

    @property
    def expected(self) -> float:
        if self.kind == "none":
            return math.inf
        if self.kind == "empirical":
            return sum(self.values) / len(self.values)
        return self.mean


_DIST_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "exponential": ({"dist", "mean"}, set()),
    "lognormal": ({"dist", "mean", "cv"}, set()),
    "empirical": ({"dist", "values"}, set()),
    "none": ({"dist"}, set()),
}


def _dist(path: str, table: object, *, allow_none: bool, extra: Sequence[str] = ()) -> Distribution:
    if not isinstance(table, Mapping):
        raise ScenarioError(path, "wrong type", table, "a table such as { dist = 'exponential', mean = 180 }")
    kind = table.get("dist")
    kinds = [k for k in _DIST_KEYS if allow_none or k != "none"]
    if kind not in kinds:
        raise ScenarioError(f"{path}.dist", "unknown distribution", kind, "one of " + ", ".join(map(repr, kinds)))
    required, optional = _DIST_KEYS[kind]
    for key in table:
        if key not in required and key not in optional and key not in extra:
            raise ScenarioError(f"{path}.{key}", "unknown key", None, "one of: " + ", ".join(sorted(required)))
    for key in sorted(required):
        if key not in table:
            raise ScenarioError(f"{path}.{key}", "missing required field", None, f"{key} = … for dist = {kind!r}")
    if kind == "none":
        return Distribution("none")
    if kind == "empirical":
        values = table["values"]
        if not isinstance(values, list) or not values:
            raise ScenarioError(f"{path}.values", "wrong type", values, "a non-empty list of seconds")
        checked = tuple(_number(f"{path}.values[{i}]", v, minimum=0) for i, v in enumerate(values))
        if sum(checked) <= 0:
            raise ScenarioError(f"{path}.values", "all zero", values, "at least one positive value")
        return Distribution("empirical", values=checked)
    mean = _number(f"{path}.mean", table["mean"], minimum=0, positive=True)
    cv = _number(f"{path}.cv", table["cv"], minimum=0, maximum=20) if kind == "lognormal" else 1.0
    return Distribution(kind, mean=mean, cv=cv)


# ----------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------


def _number(
    path: str, value: object, *, minimum: float, maximum: float = 1e12, positive: bool = False, integer: bool = False
) -> float:
    kind = "an integer" if integer else "a number"
    bound = f"above {minimum:g}" if positive else f"from {minimum:g}"
    expected = f"{kind} {bound} to {maximum:g}"
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        raise ScenarioError(path, "wrong type", value, expected)
    assert isinstance(value, int | float)
    if math.isnan(value) or not minimum <= value <= maximum or (positive and value <= minimum):
        problem = "negative" if value < 0 <= minimum else "out of range"
        raise ScenarioError(path, problem, value, expected)
    return float(value)


_CLOCK = re.compile(r"([01]?\d|2[0-4]):([0-5]\d)")


def _clock(path: str, value: object) -> float:
    """'HH:MM' as seconds of the day."""
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None or (match.group(1) == "24" and match.group(2) != "00"):
        raise ScenarioError(path, "not a time of day", value, "'HH:MM', e.g. '08:30'")
    return int(match.group(1)) * 3600.0 + int(match.group(2)) * 60.0


def _table(path: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(path, "wrong type", value, "a table")
    return value


def _only(path: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            raise ScenarioError(where, "unknown key", None, "one of: " + ", ".join(sorted(allowed)))


def hhmm(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}" if minutes < 1440 else "24:00"


# ----------------------------------------------------------------------
# The scenario
# ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Break:
    start_s: float
    minutes: float


@dataclass(frozen=True, slots=True)
class Shift:
    """Agents on duty from ``start_s`` to ``end_s`` (seconds of the day), with breaks."""

    agents: tuple[str, ...]
    start_s: float
    end_s: float
    breaks: tuple[Break, ...] = ()


@dataclass(frozen=True, slots=True)
class Template:
    """How ``cti staff`` makes an extra agent at a site."""

    skills: Mapping[str, int]
    channels: tuple[str, ...] = ("voice",)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario, bound to the centre it was checked against."""

    name: str
    days: int
    open_s: float
    close_s: float
    interval_s: float
    warmup_s: float
    replications: int
    seed: int
    threshold_s: float
    target_service_level: float | None
    target_answer_rate: float | None
    ring_delay_s: float
    #: Mean calls per interval of the day, per system: ``rates[system][k]``.
    calls: Mapping[str, tuple[float, ...]]
    agency_weights: Mapping[str, float]
    talk: Mapping[str, Distribution]
    patience: Distribution
    redial_probability: float
    redial_delay_s: float
    shifts: tuple[Shift, ...]
    templates: Mapping[str, Template] = field(default_factory=dict)
    #: What callers do in the voice menus (``[callers]``).
    callers: CallerBehaviour = field(default_factory=CallerBehaviour)
    #: What agents do at their seats (``[agents]``): the live centre's agent bots.
    agents: AgentBehaviour = field(default_factory=AgentBehaviour)

    @property
    def intervals_per_day(self) -> int:
        return math.ceil((self.close_s - self.open_s) / self.interval_s - 1e-9)

    @property
    def interval_starts(self) -> list[float]:
        return [self.open_s + k * self.interval_s for k in range(self.intervals_per_day)]

    def interval_labels(self) -> list[str]:
        return [hhmm(s) for s in self.interval_starts]

    @property
    def daily_calls(self) -> float:
        return sum(sum(v) for v in self.calls.values())

    def with_changes(self, **changes: Any) -> Scenario:
        return replace(self, **changes)


_SCENARIO_KEYS = {
    "name",
    "days",
    "open",
    "close",
    "interval_min",
    "warmup_min",
    "replications",
    "seed",
    "threshold_s",
    "target_service_level",
    "target_answer_rate",
    "ring_delay_s",
}
_TOP = {"scenario", "arrivals", "agencies", "talk_time", "patience", "shifts", "templates", "callers", "agents"}
DEFAULT_TALK = Distribution("lognormal", mean=200.0, cv=0.6)
DEFAULT_PATIENCE = Distribution("lognormal", mean=180.0, cv=1.0)


def scenario_from_mapping(doc: Mapping[str, Any], centre: Centre) -> Scenario:
    """Validate a parsed scenario against the centre; raise :class:`ScenarioError` for the first problem."""
    _only("", doc, _TOP)
    head = _table("scenario", doc.get("scenario", {}))
    _only("scenario", head, _SCENARIO_KEYS)
    name = head.get("name", "scenario")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError("scenario.name", "invalid name", name, "a non-empty string")
    days = int(_number("scenario.days", head.get("days", 1), minimum=1, maximum=MAX_DAYS, integer=True))
    open_s = _clock("scenario.open", head.get("open", "08:30"))
    close_s = _clock("scenario.close", head.get("close", "18:30"))
    if close_s <= open_s:
        raise ScenarioError("scenario.close", "not after open", head.get("close"), f"a time after {hhmm(open_s)}")
    interval_min = head.get("interval_min", 30)
    if interval_min not in (15, 30) or isinstance(interval_min, bool):
        raise ScenarioError("scenario.interval_min", "unsupported interval", interval_min, "15 or 30")
    interval_s = interval_min * 60.0
    warmup_s = _number("scenario.warmup_min", head.get("warmup_min", 0), minimum=0, maximum=1440) * 60
    if warmup_s >= close_s - open_s:
        raise ScenarioError("scenario.warmup_min", "longer than the opening hours", head["warmup_min"])
    replications = int(
        _number(
            "scenario.replications", head.get("replications", 10), minimum=1, maximum=MAX_REPLICATIONS, integer=True
        )
    )
    seed = int(_number("scenario.seed", head.get("seed", 1), minimum=0, maximum=2**63 - 1, integer=True))
    threshold = _number(
        "scenario.threshold_s", head.get("threshold_s", centre.info.service_level_seconds), minimum=0, maximum=3600
    )
    target_sl = head.get("target_service_level", 0.8)
    if target_sl is not None:
        target_sl = _number("scenario.target_service_level", target_sl, minimum=0, maximum=1)
    target_ar = head.get("target_answer_rate")
    if target_ar is not None:
        target_ar = _number("scenario.target_answer_rate", target_ar, minimum=0, maximum=1)
    ring_delay = _number("scenario.ring_delay_s", head.get("ring_delay_s", 3), minimum=0, maximum=3600)
    if ring_delay >= centre.routing.ring_timeout_s:
        raise ScenarioError(
            "scenario.ring_delay_s",
            "not shorter than the centre's ring_timeout_s",
            head.get("ring_delay_s"),
            f"less than {centre.routing.ring_timeout_s:g} s, or no call would ever be answered",
        )

    n_intervals = math.ceil((close_s - open_s) / interval_s - 1e-9)
    systems = [s.id for s in centre.systems]
    calls = _arrivals(_table("arrivals", doc.get("arrivals", {})), systems, open_s, close_s, interval_s, n_intervals)
    agencies = _agencies(_table("agencies", doc.get("agencies", {})), centre)
    talk = _talk(_table("talk_time", doc.get("talk_time", {})), systems)
    patience, redial_p, redial_delay = _patience(_table("patience", doc.get("patience", {})))
    shifts = _shifts(doc.get("shifts", []), centre, open_s)
    templates = _templates(_table("templates", doc.get("templates", {})), centre)
    callers = _callers(_table("callers", doc.get("callers", {})), centre)
    agents = _agents(_table("agents", doc.get("agents", {})), centre)
    return Scenario(
        name=name,
        days=days,
        open_s=open_s,
        close_s=close_s,
        interval_s=interval_s,
        warmup_s=warmup_s,
        replications=replications,
        seed=seed,
        threshold_s=threshold,
        target_service_level=target_sl,
        target_answer_rate=target_ar,
        ring_delay_s=ring_delay,
        calls=calls,
        agency_weights=agencies,
        talk=talk,
        patience=patience,
        redial_probability=redial_p,
        redial_delay_s=redial_delay,
        shifts=shifts,
        templates=templates,
        callers=callers,
        agents=agents,
    )


def _talk(doc: Mapping[str, Any], systems: list[str]) -> dict[str, Distribution]:
    default_talk = _dist("talk_time.default", doc["default"], allow_none=False) if "default" in doc else None
    for key in doc:
        if key != "default" and key not in systems:
            raise ScenarioError(f"talk_time.{key}", "unknown system", key, "a system id of the centre, or 'default'")
    talk: dict[str, Distribution] = {}
    for system in systems:
        if system in doc:
            talk[system] = _dist(f"talk_time.{system}", doc[system], allow_none=False)
        else:
            talk[system] = default_talk or DEFAULT_TALK
    return talk


def _patience(doc: Mapping[str, Any]) -> tuple[Distribution, float, float]:
    """The patience distribution, the redial probability and the mean redial delay."""
    rest = dict(doc)
    redial_p = _number("patience.redial_probability", rest.pop("redial_probability", 0.0), minimum=0, maximum=1)
    redial_delay = _number(
        "patience.redial_delay_s", rest.pop("redial_delay_s", 300), minimum=0, maximum=DAY_S, positive=True
    )
    patience = _dist("patience", rest, allow_none=True) if rest else DEFAULT_PATIENCE
    return patience, redial_p, redial_delay


def _arrivals(
    doc: Mapping[str, Any], systems: list[str], open_s: float, close_s: float, interval_s: float, n: int
) -> dict[str, tuple[float, ...]]:
    reserved = {"profile", "scale", "daily_calls"}
    scale = _number("arrivals.scale", doc.get("scale", 1.0), minimum=0, maximum=1e6)
    if "profile" in doc:
        raw = doc["profile"]
        if not isinstance(raw, list) or len(raw) != n:
            raise ScenarioError("arrivals.profile", "wrong length", raw, f"a list of {n} weights, one per interval")
        profile = [_number(f"arrivals.profile[{i}]", v, minimum=0) for i, v in enumerate(raw)]
        if sum(profile) <= 0:
            raise ScenarioError("arrivals.profile", "all zero", raw, "at least one positive weight")
    else:
        profile = hourly_to_intervals(open_s, close_s, interval_s)
        if sum(profile) <= 0:
            profile = [1.0] * n
    total_w = sum(profile)
    shares = [w / total_w for w in profile]
    per_system: dict[str, Any] = {}
    for key, value in doc.items():
        if key in reserved:
            continue
        if key not in systems:
            raise ScenarioError(f"arrivals.{key}", "unknown system", key, "a system id of the centre")
        per_system[key] = value
    if "daily_calls" in doc:
        if per_system:
            raise ScenarioError(
                "arrivals.daily_calls",
                "given with per-system volumes",
                None,
                "either daily_calls or one key per system",
            )
        daily = _number("arrivals.daily_calls", doc["daily_calls"], minimum=0, maximum=1e7)
        weights = {s: DEFAULT_SYSTEM_WEIGHTS.get(s, 1.0) for s in systems}
        total = sum(weights.values())
        per_system = {s: daily * w / total for s, w in weights.items()}
    out: dict[str, tuple[float, ...]] = {}
    for system in systems:
        value = per_system.get(system, 0.0)
        path = f"arrivals.{system}"
        if isinstance(value, list):
            if len(value) != n:
                raise ScenarioError(path, "wrong length", value, f"{n} numbers, the calls in each interval")
            out[system] = tuple(scale * _number(f"{path}[{i}]", v, minimum=0, maximum=1e6) for i, v in enumerate(value))
        else:
            daily = _number(path, value, minimum=0, maximum=1e7)
            out[system] = tuple(scale * daily * s for s in shares)
    if not any(sum(v) > 0 for v in out.values()):
        raise ScenarioError("arrivals", "no calls", None, "daily_calls = N, or calls per day for some systems")
    return out


def _agencies(doc: Mapping[str, Any], centre: Centre) -> dict[str, float]:
    ids = [a.id for a in centre.agencies]
    if not doc:
        return dict.fromkeys(ids, 1.0)
    weights: dict[str, float] = {}
    for key, value in doc.items():
        if key not in ids:
            raise ScenarioError(f"agencies.{key}", "unknown agency", key, "an agency id of the centre")
        weights[key] = _number(f"agencies.{key}", value, minimum=0)
    if sum(weights.values()) <= 0:
        raise ScenarioError("agencies", "all zero", None, "at least one positive weight")
    return weights


def _shifts(raw: object, centre: Centre, open_s: float) -> tuple[Shift, ...]:
    if not isinstance(raw, list):
        raise ScenarioError("shifts", "wrong type", None, "an array of tables, written [[shifts]]")
    voice = {a.id: a for a in centre.agents if a.voice}
    sites = {s.id for s in centre.sites}
    out: list[Shift] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        path = f"shifts[{i}]"
        table = _table(path, item)
        _only(path, table, {"agents", "site", "start", "end", "breaks"})
        if ("agents" in table) == ("site" in table):
            raise ScenarioError(path, "needs agents or site", None, "agents = ['N01', …] or site = 'taipei'")
        if "site" in table:
            if not isinstance(table["site"], str) or table["site"] not in sites:
                raise ScenarioError(f"{path}.site", "unknown site", table["site"], "a site id of the centre")
            agents = tuple(a.id for a in centre.agents if a.site == table["site"] and a.voice)
        else:
            listed = table["agents"]
            if not isinstance(listed, list) or not listed:
                raise ScenarioError(f"{path}.agents", "wrong type", listed, "a non-empty list of agent ids")
            for j, agent in enumerate(listed):
                if not isinstance(agent, str) or agent not in voice:
                    raise ScenarioError(f"{path}.agents[{j}]", "unknown voice agent", agent, "a voice agent's id")
            agents = tuple(listed)
        start = _clock(f"{path}.start", table.get("start"))
        end = _clock(f"{path}.end", table.get("end"))
        if end <= start:
            raise ScenarioError(f"{path}.end", "not after start", table.get("end"), f"a time after {hhmm(start)}")
        breaks: list[Break] = []
        raw_breaks = table.get("breaks", [])
        if not isinstance(raw_breaks, list):
            raise ScenarioError(
                f"{path}.breaks", "wrong type", raw_breaks, "a list of { start = 'HH:MM', minutes = N }"
            )
        for j, b in enumerate(raw_breaks):
            bt = _table(f"{path}.breaks[{j}]", b)
            _only(f"{path}.breaks[{j}]", bt, {"start", "minutes"})
            bstart = _clock(f"{path}.breaks[{j}].start", bt.get("start"))
            minutes = _number(f"{path}.breaks[{j}].minutes", bt.get("minutes"), minimum=0, maximum=1440, positive=True)
            if not start <= bstart < end:
                raise ScenarioError(f"{path}.breaks[{j}].start", "outside the shift", bt.get("start"))
            breaks.append(Break(bstart, minutes))
        ordered = sorted(range(len(breaks)), key=lambda j: breaks[j].start_s)
        for a, b in itertools.pairwise(ordered):
            if breaks[a].start_s + breaks[a].minutes * 60 > breaks[b].start_s:
                raise ScenarioError(
                    f"{path}.breaks[{b}].start",
                    "overlaps another break",
                    raw_breaks[b].get("start"),
                    f"a time after breaks[{a}] ends",
                )
        for agent in agents:
            if agent in seen:
                raise ScenarioError(
                    f"{path}", "agent in two shifts", agent, f"each agent once (also in shifts[{seen[agent]}])"
                )
            seen[agent] = i
        out.append(Shift(agents, start, end, tuple(sorted(breaks, key=lambda b: b.start_s))))
    return tuple(out)


def _templates(doc: Mapping[str, Any], centre: Centre) -> dict[str, Template]:
    sites = {s.id for s in centre.sites}
    systems = {s.id for s in centre.systems}
    out: dict[str, Template] = {}
    for site, raw in doc.items():
        path = f"templates.{site}"
        if site not in sites:
            raise ScenarioError(path, "unknown site", site, "a site id of the centre")
        table = _table(path, raw)
        _only(path, table, {"skills", "channels"})
        skills = _table(f"{path}.skills", table.get("skills", {}))
        for system, level in skills.items():
            if system not in systems:
                raise ScenarioError(f"{path}.skills.{system}", "unknown system", system, "a system id of the centre")
            _number(f"{path}.skills.{system}", level, minimum=1, maximum=5, integer=True)
        channels = table.get("channels", ["voice"])
        if not isinstance(channels, list) or Channel.VOICE.value not in channels:
            raise ScenarioError(f"{path}.channels", "no voice channel", channels, "a list including 'voice'")
        try:
            AgentProfile("template", "template", site, tuple(channels), False, {})
        except CentreError as err:
            raise ScenarioError(f"{path}.{err.path}", err.problem, err.value, err.expected) from None
        out[site] = Template(dict(skills), tuple(channels))
    return out


#: ``[callers]``: shares (0 to 1) and seconds.
_CALLER_SHARES = (
    "menu_right",
    "menu_invalid",
    "ivr_hangup",
    "agency_code_known",
    "callback_accept",
    "callback_in_queue",
    "callback_answer",
    "survey_consent",
    "survey_hangup",
    "survey_solved",
)
_CALLER_SECONDS = ("think_s", "inter_digit_s", "survey_wait_penalty_s")


def _callers(doc: Mapping[str, Any], centre: Centre) -> CallerBehaviour:
    _only("callers", doc, {*_CALLER_SHARES, *_CALLER_SECONDS, "languages", "survey_scores"})
    values: dict[str, Any] = {}
    for key in _CALLER_SHARES:
        if key in doc:
            values[key] = _number(f"callers.{key}", doc[key], minimum=0, maximum=1)
    for key in _CALLER_SECONDS:
        if key in doc:
            values[key] = _number(f"callers.{key}", doc[key], minimum=0, maximum=3600)
    if "languages" in doc:
        table = _table("callers.languages", doc["languages"])
        mix: dict[str, float] = {}
        for language, weight in table.items():
            if not ID_PATTERN.fullmatch(language):
                raise ScenarioError(
                    f"callers.languages.{language}", "not a language id", language, "a language id such as 'zh'"
                )
            mix[language] = _number(f"callers.languages.{language}", weight, minimum=0)
        if sum(mix.values()) <= 0:
            raise ScenarioError("callers.languages", "all zero", table or None, "at least one positive weight")
        spoken = [language.id for language in centre.languages]
        if not any(mix.get(language, 0) > 0 for language in spoken):
            raise ScenarioError(
                "callers.languages",
                "no language of the centre",
                sorted(mix),
                "a positive weight for one of " + ", ".join(spoken) + " (others are left out)",
            )
        values["languages"] = mix
    if "survey_scores" in doc:
        scores = doc["survey_scores"]
        if not isinstance(scores, list) or not 1 <= len(scores) <= 10:
            raise ScenarioError("callers.survey_scores", "wrong type", None, "1-10 weights, of scores 1, 2, …")
        weights = tuple(_number(f"callers.survey_scores[{i}]", w, minimum=0) for i, w in enumerate(scores))
        if sum(weights) <= 0:
            raise ScenarioError("callers.survey_scores", "all zero", None, "at least one positive weight")
        values["survey_scores"] = weights
    defaults = CallerBehaviour()
    right = values.get("menu_right", defaults.menu_right)
    invalid = values.get("menu_invalid", defaults.menu_invalid)
    if right + invalid > 1 + 1e-9:
        raise ScenarioError(
            "callers.menu_invalid" if "menu_invalid" in doc else "callers.menu_right",
            "menu_right + menu_invalid above 1",
            round(right + invalid, 6),
            "at most 1: the rest press nothing",
        )
    return CallerBehaviour(**values)


#: ``[agents]``: shares (0 to 1), seconds and coefficients of variation.
_AGENT_SHARES = ("miss_probability", "break_probability", "urgent_probability")
_AGENT_SECONDS = ("break_s", "back_after_missed_s")


def _agents(doc: Mapping[str, Any], centre: Centre) -> AgentBehaviour:
    _only(
        "agents",
        doc,
        {*_AGENT_SHARES, *_AGENT_SECONDS, "answer_delay_s", "answer_delay_cv", "escalate", "wrap_up_form"},
    )
    values: dict[str, Any] = {}
    for key in _AGENT_SHARES:
        if key in doc:
            values[key] = _number(f"agents.{key}", doc[key], minimum=0, maximum=1)
    for key in _AGENT_SECONDS:
        if key in doc:
            values[key] = _number(f"agents.{key}", doc[key], minimum=0, maximum=DAY_S)
    if "answer_delay_s" in doc:
        ring = centre.routing.ring_timeout_s
        values["answer_delay_s"] = delay = _number(
            "agents.answer_delay_s", doc["answer_delay_s"], minimum=0, maximum=3600
        )
        if delay >= ring:
            raise ScenarioError(
                "agents.answer_delay_s",
                "not shorter than the centre's ring_timeout_s",
                doc["answer_delay_s"],
                f"less than {ring:g} s, or offers would mostly ring out",
            )
    if "answer_delay_cv" in doc:
        values["answer_delay_cv"] = _number("agents.answer_delay_cv", doc["answer_delay_cv"], minimum=0, maximum=20)
    if "escalate" in doc:
        table = _table("agents.escalate", doc["escalate"])
        escalate: dict[str, float] = {}
        for tier, share in table.items():
            if tier not in ESCALATION_TIERS:
                raise ScenarioError(
                    f"agents.escalate.{tier}", "unknown tier", tier, "one of " + ", ".join(ESCALATION_TIERS)
                )
            escalate[tier] = _number(f"agents.escalate.{tier}", share, minimum=0, maximum=1)
        if sum(escalate.values()) > 1 + 1e-9:
            raise ScenarioError(
                "agents.escalate",
                "shares above 1 in all",
                round(sum(escalate.values()), 6),
                "at most 1: the rest are closed",
            )
        values["escalate"] = escalate
    if "wrap_up_form" in doc:
        if not isinstance(doc["wrap_up_form"], bool):
            raise ScenarioError("agents.wrap_up_form", "wrong type", doc["wrap_up_form"], "true or false")
        values["wrap_up_form"] = doc["wrap_up_form"]
    return AgentBehaviour(**values)


def template_agents(centre: Centre, scenario: Scenario, site: str, count: int) -> list[AgentProfile]:
    """``count`` extra agents for ``site`` built from the scenario's template (or the site's agents' skills)."""
    template = scenario.templates.get(site)
    if template is None:
        skills: dict[str, int] = {}
        for a in centre.agents:
            if a.site == site and a.voice and not a.backup:
                for system, level in a.skills.items():
                    skills[system] = max(skills.get(system, 0), level)
        template = Template(skills)
    existing = {a.id for a in centre.agents}
    out: list[AgentProfile] = []
    n = 0
    while len(out) < count:
        n += 1
        agent_id = f"{site}-x{n}"
        if agent_id in existing:
            continue
        out.append(
            AgentProfile(agent_id, f"Extra agent {n} ({site})", site, tuple(template.channels), False, template.skills)  # type: ignore[arg-type]
        )
    return out


# ----------------------------------------------------------------------
# What-if changes to the centre
# ----------------------------------------------------------------------


def change_centre(centre: Centre, *, remove_agents: Sequence[str] = (), strategy: str | None = None) -> Centre:
    """The centre with agents removed and/or another routing strategy; errors name the option."""
    known = {a.id for a in centre.agents}
    for agent in remove_agents:
        if agent not in known:
            raise ScenarioError("--remove-agent", "unknown agent", agent, "an agent id of the centre")
    routing = centre.routing
    if strategy is not None:
        try:
            routing = replace(routing, strategy=Strategy(strategy))
        except ValueError:
            choices = ", ".join(s.value for s in Strategy)
            raise ScenarioError("--strategy", "unknown strategy", strategy, f"one of {choices}") from None
    agents = tuple(a for a in centre.agents if a.id not in set(remove_agents))
    try:
        return replace(centre, agents=agents, routing=routing)
    except CentreError as err:  # pragma: no cover - removing agents cannot break cross-references
        raise ScenarioError(err.path, err.problem, err.value, err.expected) from None


_SET = re.compile(r"^([A-Za-z0-9_.\-]+)\s*([*+]?=)\s*(.+)$")


def apply_overrides(doc: Mapping[str, Any], sets: Sequence[str]) -> dict[str, Any]:
    """Apply ``--set`` overrides to a parsed scenario document and return a changed copy.

    ``path=value`` sets a value (TOML syntax; a bare word is a string);
    ``path*=factor`` multiplies a number or every number of a list;
    ``path+=amount`` adds to it. ``arrivals.webhr*=1.5`` is the usual use.
    """
    import copy

    out: dict[str, Any] = copy.deepcopy(dict(doc))
    for text in sets:
        match = _SET.match(text.strip())
        if match is None:
            raise ScenarioError("--set", "not an override", text, "PATH=VALUE, PATH*=FACTOR or PATH+=AMOUNT")
        path, op, raw = match.groups()
        try:
            value: Any = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        parts = path.split(".")
        node: Any = out
        for part in parts[:-1]:
            nxt = node.get(part) if isinstance(node, dict) else None
            if nxt is None and op == "=" and isinstance(node, dict):
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                raise ScenarioError(f"--set {path}", "no such table in the scenario", part)
            node = nxt
        leaf = parts[-1]
        if op == "=":
            node[leaf] = value
            continue
        if leaf not in node:
            raise ScenarioError(f"--set {path}", "no such field in the scenario", None, "a field the file sets")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ScenarioError(f"--set {path}", "not a number", raw, f"a finite number after {op}")
        current = node[leaf]

        def combine(x: object, _op: str = op, _v: float = value, _path: str = path) -> float:
            if isinstance(x, bool) or not isinstance(x, int | float):
                raise ScenarioError(f"--set {_path}", "not a number in the scenario", x)
            return x * _v if _op == "*=" else x + _v

        node[leaf] = [combine(x) for x in current] if isinstance(current, list) else combine(current)
    return out
