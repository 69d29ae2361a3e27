"""The centre: sites, systems, agencies, agents and the routing rules.

A centre is a plain value: frozen dataclasses, validated where they are built.
:func:`centre_from_mapping` turns the parsed TOML of a centre file into a
:class:`Centre`, naming the exact field of anything it rejects. Reading the
file (and reporting the line) is the shell's job, in :mod:`cti.config`.

Words used throughout:

* **system** (系統): the personnel IT system a call is about. It is the main
  routing key, like a skill: each system has its own queue.
* **agency** (機關): the caller's organisation. It gives a call its
  *priority* and may *prefer a site*, whose agents get the first chance at
  its calls for ``overflow_after_s`` seconds.
* **skill level** 1-5: how well an agent knows a system (5 = expert).
* **backup seat**: an agent who takes calls only when enough calls wait.
* **language**: what a caller speaks (華語, English, 台語). Agents list the
  languages they speak; a call in a language is offered only to them, like a
  skill. The first language of the centre is its default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from routing.errors import CentreError

#: Ids appear in bus topics, file names and field paths: letters, digits, ``_ -``.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MIN_SKILL = 1
MAX_SKILL = 5
#: The queue every voice agent serves; calls land there when nobody skilled
#: for their system is logged in. The id is reserved: no system may use it.
GENERAL_QUEUE = "general"


class Strategy(StrEnum):
    """How the router picks one agent among several eligible idle agents.

    * ``longest-idle`` (default): the agent idle the longest since their last
      call. Spreads work evenly and is what callers perceive as fair.
    * ``round-robin``: agents in file order, continuing after the last agent
      offered a call from the same queue.
    * ``fewest-calls``: the agent who has answered the fewest calls since login.
    * ``least-talk-time``: the agent with the least talk time since login.
    * ``best-skill``: the highest skill level for the call's system, then
      longest idle. Faster resolution, less even load.
    * ``random``: uniformly at random, from the seeded generator passed in.
    """

    LONGEST_IDLE = "longest-idle"
    ROUND_ROBIN = "round-robin"
    FEWEST_CALLS = "fewest-calls"
    LEAST_TALK_TIME = "least-talk-time"
    BEST_SKILL = "best-skill"
    RANDOM = "random"


class Channel(StrEnum):
    """A contact channel an agent's seat serves."""

    VOICE = "voice"
    EMAIL = "email"


class AgencyGroup(StrEnum):
    """Kinds of government agency (機關), as the hotline groups its callers."""

    CENTRAL = "central"  # 中央機關
    MUNICIPAL = "municipal"  # 直轄市
    COUNTY = "county"  # 縣市政府
    TOWNSHIP = "township"  # 鄉鎮市區公所
    SCHOOL = "school"  # 各級學校
    ENTERPRISE = "enterprise"  # 國營事業
    OTHER = "other"


def _choices(enum: type[StrEnum]) -> str:
    return "one of " + ", ".join(repr(m.value) for m in enum)


def _check_id(path: str, value: object) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise CentreError(
            path,
            "invalid id",
            value,
            "1-64 letters, digits, '_' or '-', starting with a letter or digit",
        )
    return value


#: An espeak-ng voice name: ``cmn``, ``en``, ``en-us``, ``en+f3``. It becomes a
#: command-line argument, so it never starts with ``-``.
VOICE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+/-]{0,31}")
#: A code a caller keys on the phone to name an agency (and an extension): digits only.
CODE_PATTERN = re.compile(r"[0-9]{2,8}")


def _check_name(path: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CentreError(path, "invalid name", value, "a non-empty string")
    return value


#: Upper bound for every time in the file: a day. Larger values are typos, and
#: would overflow time arithmetic (TOML integers have no size limit).
MAX_SECONDS = 86_400
MAX_COUNT = 10_000


def _check_number(
    path: str, value: object, *, minimum: float, maximum: float = MAX_SECONDS, integer: bool = False
) -> float:
    kind = "an integer" if integer else "a number"
    expected = f"{kind} from {minimum:g} to {maximum:g}"
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        raise CentreError(path, "wrong type", value, expected)
    assert isinstance(value, int | float)
    if isinstance(value, float) and math.isnan(value):
        raise CentreError(path, "out of range", value, expected)
    if not minimum <= value <= maximum:  # exact for ints of any size, and for ±inf
        raise CentreError(path, "out of range", value, expected)
    return value


@dataclass(frozen=True, slots=True)
class CentreInfo:
    """The ``[center]`` table: the centre's name, time zone and service-level threshold.

    *Service level* is the share of offered calls answered within
    ``service_level_seconds`` of entering the queue (ringing included).
    """

    name: str
    timezone: str = "Asia/Taipei"
    service_level_seconds: float = 20

    def __post_init__(self) -> None:
        _check_name("name", self.name)
        if not isinstance(self.timezone, str) or not self.timezone:
            raise CentreError("timezone", "invalid time zone", self.timezone, "an IANA name such as 'Asia/Taipei'")
        _check_number("service_level_seconds", self.service_level_seconds, minimum=1, maximum=3_600)


@dataclass(frozen=True, slots=True)
class _Named:
    id: str
    name: str

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _check_name("name", self.name)


@dataclass(frozen=True, slots=True)
class Site(_Named):
    """A group of seats on one network (Nantou, in-house; Taipei, outsourced)."""


@dataclass(frozen=True, slots=True)
class System:
    """A personnel IT system callers ask about; each has its own queue.

    ``owner`` is who answers for the system at the third line of escalation
    (the system owner, 系統管理機關); it defaults to ``{id}-owner``.
    """

    id: str
    name: str
    owner: str | None = None

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _check_name("name", self.name)
        if self.owner is not None:
            _check_id("owner", self.owner)

    @property
    def third_line(self) -> str:
        return self.owner or f"{self.id}-owner"


@dataclass(frozen=True, slots=True)
class Language:
    """A language callers speak and agents answer in.

    ``voice`` is the espeak-ng voice its prompts are spoken with (``cmn``,
    ``en``). ``prompts`` names another language whose prompt texts this one
    uses: Taiwanese (``nan``) callers hear the Mandarin prompts, yet are routed
    to agents who speak Taiwanese. That other language must be listed and
    must not borrow its prompts in turn (checked by :class:`Centre`).
    """

    id: str
    name: str
    voice: str | None = None
    prompts: str | None = None

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _check_name("name", self.name)
        if self.voice is not None and (not isinstance(self.voice, str) or not VOICE_PATTERN.fullmatch(self.voice)):
            raise CentreError(
                "voice",
                "invalid voice",
                self.voice,
                "an espeak-ng voice name such as 'cmn' or 'en' (1-32 letters, digits, '_', '+', '/' or '-')",
            )
        if self.prompts is not None:
            _check_id("prompts", self.prompts)
            if self.prompts == self.id:
                raise CentreError(
                    "prompts", "a language cannot borrow its own prompts", self.prompts, "another language's id"
                )


#: The languages of a centre whose file lists none: Mandarin only.
DEFAULT_LANGUAGES: tuple[Language, ...] = (Language("zh", "華語", voice="cmn"),)


@dataclass(frozen=True, slots=True)
class Agency:
    """A caller's organisation.

    ``priority``: higher is served first (default 0). ``prefer_site``: that
    site's agents get the agency's calls first, for ``overflow_after_s``.
    ``code``: the digits a caller keys to name the agency when the directory
    does not know their number (2-8 digits, unique in the centre).
    """

    id: str
    name: str
    group: AgencyGroup
    prefer_site: str | None = None
    priority: int = 0
    code: str | None = None

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _check_name("name", self.name)
        if self.group not in AgencyGroup.__members__.values():
            raise CentreError("group", "unknown agency group", self.group, _choices(AgencyGroup))
        object.__setattr__(self, "group", AgencyGroup(self.group))
        if self.prefer_site is not None:
            _check_id("prefer_site", self.prefer_site)
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise CentreError("priority", "wrong type", self.priority, "an integer")
        if not -100 <= self.priority <= 100:
            raise CentreError("priority", "out of range", self.priority, "an integer from -100 to 100")
        if self.code is not None and (not isinstance(self.code, str) or not CODE_PATTERN.fullmatch(self.code)):
            raise CentreError("code", "invalid agency code", self.code, "2-8 digits as a string, e.g. '301'")


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """An agent and their seat: site, channels, backup flag and skills.

    ``skills`` maps a system id to a level from 1 (novice) to 5 (expert). An
    agent with no skills is valid and takes no calls (except from the general
    queue, which every voice agent serves).

    ``languages`` are the ids of the languages the agent speaks. Empty means
    "the centre's first language": a :class:`Centre` fills it in, so every
    profile in ``Centre.agents`` (the ones the router uses) lists at least one
    language, each one the centre lists.
    """

    id: str
    name: str
    site: str
    channels: tuple[Channel, ...] = (Channel.VOICE,)
    backup: bool = False
    skills: Mapping[str, int] = field(default_factory=dict)
    extension: str | None = None
    languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _check_name("name", self.name)
        _check_id("site", self.site)
        if isinstance(self.channels, str) or not isinstance(self.channels, tuple | list):
            raise CentreError("channels", "wrong type", self.channels, "a list such as ['voice']")
        if not self.channels:
            raise CentreError("channels", "empty", self.channels, "at least one of 'voice', 'email'")
        for i, channel in enumerate(self.channels):
            if channel not in Channel.__members__.values():
                raise CentreError(f"channels[{i}]", "unknown channel", channel, _choices(Channel))
        if len(set(self.channels)) != len(self.channels):
            raise CentreError("channels", "duplicate channel", list(self.channels), "each channel once")
        object.__setattr__(self, "channels", tuple(Channel(c) for c in self.channels))
        if not isinstance(self.backup, bool):
            raise CentreError("backup", "wrong type", self.backup, "true or false")
        if not isinstance(self.skills, Mapping):
            raise CentreError("skills", "wrong type", self.skills, "a table of system = level")
        for system, level in self.skills.items():
            _check_id(f"skills.{system}", system)
            if isinstance(level, bool) or not isinstance(level, int) or not MIN_SKILL <= level <= MAX_SKILL:
                raise CentreError(
                    f"skills.{system}", "skill level out of range", level, f"an integer from {MIN_SKILL} to {MAX_SKILL}"
                )
        object.__setattr__(self, "skills", dict(self.skills))
        if self.extension is not None and (
            not isinstance(self.extension, str) or not re.fullmatch(r"[0-9]{2,8}", self.extension)
        ):
            raise CentreError("extension", "invalid extension", self.extension, "2-8 digits as a string, e.g. '2101'")
        if isinstance(self.languages, str) or not isinstance(self.languages, tuple | list):
            raise CentreError("languages", "wrong type", self.languages, "a list of language ids such as ['zh', 'en']")
        for i, language in enumerate(self.languages):
            _check_id(f"languages[{i}]", language)
            if language in self.languages[:i]:
                raise CentreError(f"languages[{i}]", "duplicate language", language, "each language once")
        object.__setattr__(self, "languages", tuple(self.languages))

    @property
    def voice(self) -> bool:
        """Whether this seat takes phone calls."""
        return Channel.VOICE in self.channels


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """The ``[routing]`` table. Every time is in seconds.

    * ``strategy``: how one agent is chosen among eligible idle agents.
    * ``ring_timeout_s``: ringing longer than this is a *ring-no-answer*: the
      call goes back to its place in the queue.
    * ``reject_delay_s``: after a ring-no-answer the agent gets no offer for
      this long.
    * ``max_no_answer``: this many ring-no-answers in a row make the agent
      not-ready with reason ``missed``.
    * ``wrap_up_s``: after-call work; no offers from any queue meanwhile.
    * ``overflow_after_s``: how long an agency's calls wait for agents of its
      preferred site before any site may take them.
    * ``backup_seat_when_waiting``: a backup seat takes calls only while at
      least this many calls it could serve are waiting.
    * ``max_wait_no_agent_s``: a call whose system has no skilled agent
      logged in (who speaks the call's language) moves to the general queue
      (served by every voice agent) after this long; in the general queue, a
      call whose language no voice agent logged in speaks drops it after this
      long. If no voice agent at all is logged in, the router gives up on it
      after the same time again.
    """

    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_timeout_s: float = 15
    wrap_up_s: float = 30
    reject_delay_s: float = 10
    max_no_answer: int = 3
    overflow_after_s: float = 30
    backup_seat_when_waiting: int = 3
    max_wait_no_agent_s: float = 60

    def __post_init__(self) -> None:
        if self.strategy not in Strategy.__members__.values():
            raise CentreError("strategy", "unknown strategy", self.strategy, _choices(Strategy))
        object.__setattr__(self, "strategy", Strategy(self.strategy))
        _check_number("ring_timeout_s", self.ring_timeout_s, minimum=1)
        _check_number("wrap_up_s", self.wrap_up_s, minimum=0)
        _check_number("reject_delay_s", self.reject_delay_s, minimum=0)
        _check_number("max_no_answer", self.max_no_answer, minimum=1, maximum=MAX_COUNT, integer=True)
        _check_number("overflow_after_s", self.overflow_after_s, minimum=0)
        _check_number(
            "backup_seat_when_waiting", self.backup_seat_when_waiting, minimum=0, maximum=MAX_COUNT, integer=True
        )
        _check_number("max_wait_no_agent_s", self.max_wait_no_agent_s, minimum=0)


class Role(StrEnum):
    """What a member of staff may do beyond taking calls."""

    SUPERVISOR = "supervisor"  # watches the centre; may see unmasked personal data (audited)
    QA = "qa"  # replays and scores recordings
    OPERATOR = "operator"  # plans capacity, runs reports


@dataclass(frozen=True, slots=True)
class StaffMember:
    """Someone who is not an agent seat but acts on the centre: a supervisor, QA, an operator."""

    id: str
    name: str
    role: Role

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _check_name("name", self.name)
        if self.role not in Role.__members__.values():
            raise CentreError("role", "unknown role", self.role, _choices(Role))
        object.__setattr__(self, "role", Role(self.role))


#: Disposition codes an agent may set at wrap-up when the file lists none.
DEFAULT_DISPOSITIONS: tuple[str, ...] = (
    "solved",
    "how-to",
    "password-reset",
    "data-correction",
    "bug-report",
    "enhancement",
    "referred",
    "other",
)


@dataclass(frozen=True, slots=True)
class CaseRules:
    """The ``[cases]`` table: how the automatic cases (自動列案) are handled.

    * ``normal_due_days`` / ``urgent_due_days``: a case is due this many days
      after it is created or escalated (the seed's 7 and 3 days).
    * ``dispositions``: the codes an agent may set at wrap-up.
    * ``second_line`` / ``vendor``: who owns cases escalated to the second
      line (technical staff) and to the outsourced vendor. The third line is
      each system's ``owner``.
    """

    normal_due_days: float = 7
    urgent_due_days: float = 3
    dispositions: tuple[str, ...] = DEFAULT_DISPOSITIONS
    second_line: str = "tech-support"
    vendor: str = "vendor"

    def __post_init__(self) -> None:
        _check_number("normal_due_days", self.normal_due_days, minimum=0.01, maximum=365)
        _check_number("urgent_due_days", self.urgent_due_days, minimum=0.01, maximum=365)
        if isinstance(self.dispositions, str) or not isinstance(self.dispositions, tuple | list):
            raise CentreError("dispositions", "wrong type", self.dispositions, "a list of codes")
        if not self.dispositions:
            raise CentreError("dispositions", "empty", [], "at least one disposition code")
        for i, code in enumerate(self.dispositions):
            _check_id(f"dispositions[{i}]", code)
        if len(set(self.dispositions)) != len(self.dispositions):
            raise CentreError("dispositions", "duplicate code", list(self.dispositions), "each code once")
        object.__setattr__(self, "dispositions", tuple(self.dispositions))
        _check_id("second_line", self.second_line)
        _check_id("vendor", self.vendor)


def _unique(path: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise CentreError(f"{path}[{i}].id", "duplicate id", ident, "each id once")
        seen.add(ident)


@dataclass(frozen=True, slots=True)
class Centre:
    """A whole centre. Cross-references are checked here: every agent's site,
    every skill's system, every agent's language and every agency's preferred
    site must exist, and ids (and agency codes) are unique within each list.

    An agent who lists no language speaks the centre's first language: the
    centre stores that agent's profile with ``languages`` filled in, so
    ``centre.agents[i].languages`` is never empty.
    """

    info: CentreInfo
    sites: tuple[Site, ...]
    systems: tuple[System, ...]
    agencies: tuple[Agency, ...]
    agents: tuple[AgentProfile, ...]
    routing: RoutingRules = RoutingRules()
    cases: CaseRules = CaseRules()
    staff: tuple[StaffMember, ...] = ()
    languages: tuple[Language, ...] = DEFAULT_LANGUAGES

    def __post_init__(self) -> None:
        if not self.sites:
            raise CentreError("sites", "no sites", None, "at least one [[sites]] table")
        if not self.systems:
            raise CentreError("systems", "no systems", None, "at least one [[systems]] table")
        _unique("sites", [s.id for s in self.sites])
        _unique("systems", [s.id for s in self.systems])
        for i, sys_ in enumerate(self.systems):
            if sys_.id == GENERAL_QUEUE:
                raise CentreError(
                    f"systems[{i}].id", "reserved id", sys_.id, "any id but 'general' (the general queue)"
                )
        _unique("agencies", [a.id for a in self.agencies])
        _unique("agents", [a.id for a in self.agents])
        _unique("staff", [p.id for p in self.staff])
        self._check_languages()
        codes: dict[str, int] = {}
        for i, agency in enumerate(self.agencies):
            if agency.code is None:
                continue
            if agency.code in codes:
                raise CentreError(
                    f"agencies[{i}].code",
                    "duplicate agency code",
                    agency.code,
                    f"a code no other agency has (agencies[{codes[agency.code]}] has it)",
                )
            codes[agency.code] = i
        site_ids = [s.id for s in self.sites]
        system_ids = {s.id for s in self.systems}
        for i, agency in enumerate(self.agencies):
            if agency.prefer_site is not None and agency.prefer_site not in site_ids:
                raise CentreError(
                    f"agencies[{i}].prefer_site", "unknown site", agency.prefer_site, "one of " + ", ".join(site_ids)
                )
        for i, agent in enumerate(self.agents):
            if agent.site not in site_ids:
                raise CentreError(f"agents[{i}].site", "unknown site", agent.site, "one of " + ", ".join(site_ids))
            for system in agent.skills:
                if system not in system_ids:
                    raise CentreError(
                        f"agents[{i}].skills.{system}",
                        "skill for an unknown system",
                        system,
                        "a system id from [[systems]]",
                    )
        self._resolve_agent_languages()

    def _check_languages(self) -> None:
        if isinstance(self.languages, str) or not isinstance(self.languages, tuple | list):
            raise CentreError("languages", "wrong type", self.languages, "an array of tables, written [[languages]]")
        if not self.languages:
            raise CentreError("languages", "no languages", None, "at least one [[languages]] table")
        object.__setattr__(self, "languages", tuple(self.languages))
        _unique("languages", [lang.id for lang in self.languages])
        by_id = {lang.id: lang for lang in self.languages}
        for i, lang in enumerate(self.languages):
            if lang.prompts is None:
                continue
            other = by_id.get(lang.prompts)
            if other is None:
                raise CentreError(
                    f"languages[{i}].prompts", "unknown language", lang.prompts, "one of " + ", ".join(by_id)
                )
            if other.prompts is not None:
                raise CentreError(
                    f"languages[{i}].prompts",
                    "that language borrows its prompts too",
                    lang.prompts,
                    "a language with prompts of its own (no prompts = …)",
                )

    def _resolve_agent_languages(self) -> None:
        """Check each agent's languages, and give the default language to agents who list none."""
        known = [lang.id for lang in self.languages]
        default = (known[0],)
        agents: list[AgentProfile] = []
        for i, agent in enumerate(self.agents):
            for j, language in enumerate(agent.languages):
                if language not in known:
                    raise CentreError(
                        f"agents[{i}].languages[{j}]",
                        "unknown language",
                        language,
                        "one of " + ", ".join(known) + " (from [[languages]])",
                    )
            agents.append(agent if agent.languages else replace(agent, languages=default))
        object.__setattr__(self, "agents", tuple(agents))

    @property
    def default_language(self) -> str:
        """The id of the centre's first language: an agent's language when it lists none."""
        return self.languages[0].id

    def warnings(self) -> list[str]:
        """Things that are valid but probably not meant: unserved systems, empty sites, languages nobody speaks."""
        out: list[str] = []
        voice = [a for a in self.agents if a.voice]
        for system in self.systems:
            if not any(system.id in a.skills for a in voice):
                out.append(
                    f"systems: no voice agent has a skill for {system.id!r}; "
                    f"its calls go to the general queue after {self.routing.max_wait_no_agent_s:g} s"
                )
        for site in self.sites:
            if not any(a.site == site.id and a.voice for a in self.agents):
                out.append(f"sites: site {site.id!r} has no voice agents")
        for agent in self.agents:
            if agent.backup and not agent.voice:
                out.append(f"agents: backup seat {agent.id!r} has no voice channel; backup only affects calls")
            if agent.voice and not agent.skills:
                out.append(f"agents: {agent.id!r} has no skills; it takes only general-queue calls")
        for lang in self.languages:
            if not any(lang.id in a.languages for a in voice):
                out.append(
                    f"languages: no voice agent speaks {lang.id!r}; "
                    f"its calls go to the general queue after {self.routing.max_wait_no_agent_s:g} s"
                )
        return out


# ---------------------------------------------------------------------------
# From parsed TOML
# ---------------------------------------------------------------------------

_TOP_LEVEL = {"center", "sites", "systems", "agencies", "agents", "routing", "cases", "staff", "languages"}
_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    # table: (required keys, optional keys)
    "center": ({"name"}, {"timezone", "service_level_seconds"}),
    "sites": ({"id", "name"}, set()),
    "systems": ({"id", "name"}, {"owner"}),
    "agencies": ({"id", "name", "group"}, {"prefer_site", "priority", "code"}),
    "agents": ({"id", "name", "site"}, {"channels", "backup", "skills", "extension", "languages"}),
    "languages": ({"id", "name"}, {"voice", "prompts"}),
    "routing": (set(), set(RoutingRules.__dataclass_fields__)),
    "cases": (set(), set(CaseRules.__dataclass_fields__)),
    "staff": ({"id", "name", "role"}, set()),
}


def _keys(path: str, table: object, section: str) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise CentreError(path, "wrong type", table, "a table")
    required, optional = _FIELDS[section]
    for key in table:
        if key not in required and key not in optional:
            allowed = ", ".join(sorted(required | optional))
            raise CentreError(f"{path}.{key}", "unknown key", None, f"one of: {allowed}")
    for key in sorted(required):
        if key not in table:
            raise CentreError(f"{path}.{key}", "missing required field", None, f"{key} = …")
    return table


def _array(doc: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
    value = doc.get(section, [])
    if not isinstance(value, list):
        raise CentreError(section, "wrong type", None, f"an array of tables, written [[{section}]]")
    return [_keys(f"{section}[{i}]", item, section) for i, item in enumerate(value)]


def _build(path: str, cls: type[Any], table: Mapping[str, Any]) -> Any:
    """Build a value object, prefixing the path of any error with ``path``."""
    try:
        return cls(**table)
    except CentreError as err:
        raise CentreError(f"{path}.{err.path}", err.problem, err.value, err.expected) from None


def centre_from_mapping(doc: Mapping[str, Any]) -> Centre:
    """Validate a parsed centre file and build the :class:`Centre`.

    Raises :class:`~routing.errors.CentreError` for the first problem found,
    naming the field by its path in the file (``agents[3].skills.webhr``).
    """
    for key in doc:
        if key not in _TOP_LEVEL:
            raise CentreError(key, "unknown key", None, "one of: " + ", ".join(sorted(_TOP_LEVEL)))
    if "center" not in doc:
        raise CentreError("center", "missing required table", None, "a [center] table with at least name = …")
    info = _build("center", CentreInfo, _keys("center", doc["center"], "center"))
    routing = _build("routing", RoutingRules, _keys("routing", doc.get("routing", {}), "routing"))
    sites = tuple(_build(f"sites[{i}]", Site, t) for i, t in enumerate(_array(doc, "sites")))
    systems = tuple(_build(f"systems[{i}]", System, t) for i, t in enumerate(_array(doc, "systems")))
    agencies = tuple(_build(f"agencies[{i}]", Agency, t) for i, t in enumerate(_array(doc, "agencies")))
    agents = []
    for i, table in enumerate(_array(doc, "agents")):
        fields = dict(table)
        for key in ("channels", "languages"):
            if isinstance(fields.get(key), list):
                fields[key] = tuple(fields[key])
        agents.append(_build(f"agents[{i}]", AgentProfile, fields))
    cases_table = dict(_keys("cases", doc.get("cases", {}), "cases"))
    if isinstance(cases_table.get("dispositions"), list):
        cases_table["dispositions"] = tuple(cases_table["dispositions"])
    cases = _build("cases", CaseRules, cases_table)
    staff = tuple(_build(f"staff[{i}]", StaffMember, t) for i, t in enumerate(_array(doc, "staff")))
    if "languages" in doc:
        languages = tuple(_build(f"languages[{i}]", Language, t) for i, t in enumerate(_array(doc, "languages")))
    else:
        languages = DEFAULT_LANGUAGES
    return Centre(info, sites, systems, agencies, tuple(agents), routing, cases, staff, languages)
