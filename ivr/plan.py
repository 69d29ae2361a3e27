"""The IVR plan of a centre: languages, prompts, menus, timeouts, agency codes and hours.

A plan is a plain value (frozen dataclasses), validated where it is read
(:func:`ivr.plan_from_mapping`); the engine (:class:`ivr.Ivr`) only follows
it. The prompts the engine plays besides the menus' own have fixed ids,
listed in :data:`FLOW_PROMPTS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ivr.hours import Hours
from ivr.prompts import PromptText
from ivr.survey_plan import SurveyPlan

#: The queue every voice agent serves (``routing.GENERAL_QUEUE``; the two cores share the value, not the import).
GENERAL_QUEUE = "general"

# The prompts of the flow, by id (each menu names its own prompt besides).
WELCOME = "welcome"
"""Played first, to every caller; before a language is chosen, in every prompt language."""
LANGUAGE = "language"
"""The language menu (only when the centre lists more than one language)."""
AGENCY = "agency"
"""Asks for the agency code, ending with ``#``."""
AGENCY_INVALID = "agency_invalid"
"""The code keyed is not an agency's."""
INVALID = "invalid"
"""A key the menu does not offer."""
NO_INPUT = "no_input"
"""Nothing was keyed before the digit timeout."""
CLOSED = "closed"
"""The centre is closed: the service hours."""
CALLBACK_OFFER = "callback_offer"
"""After hours: press 1 to leave a number for a call-back."""
CALLBACK_NUMBER = "callback_number"
"""Asks for the number, ending with ``#``."""
CALLBACK_INVALID = "callback_invalid"
"""The number keyed is not a plausible Taiwanese phone number."""
CALLBACK_THANKS = "callback_thanks"
"""The number is taken: thanks, goodbye."""
GOODBYE = "goodbye"
"""After hours, no number left: goodbye."""

QUEUE_POSITION = "queue_position"
"""While queued: "you are number" (the position follows, spoken as a number)."""
QUEUE_WAIT = "queue_wait"
"""While queued: "your estimated wait is" (the minutes follow)."""
QUEUE_MINUTES = "queue_minutes"
"""While queued: "minutes", after the number of minutes."""
QUEUE_SOON = "queue_soon"
"""While queued: the wait rounds to less than a minute: "you will be answered shortly"."""
#: Number words, ``number_0`` … ``number_20``: what a position or a wait is spoken with.
NUMBER_WORDS = 20
ANNOUNCEMENT_PROMPTS = (
    QUEUE_POSITION,
    QUEUE_WAIT,
    QUEUE_MINUTES,
    QUEUE_SOON,
    *(f"number_{n}" for n in range(NUMBER_WORDS + 1)),
)

FLOW_PROMPTS = (
    WELCOME,
    LANGUAGE,
    AGENCY,
    AGENCY_INVALID,
    INVALID,
    NO_INPUT,
    CLOSED,
    CALLBACK_OFFER,
    CALLBACK_NUMBER,
    CALLBACK_INVALID,
    CALLBACK_THANKS,
    GOODBYE,
)

#: The keys every menu reserves: ``0`` the general queue, ``*`` repeat the menu.
GENERAL_KEY = "0"
REPEAT_KEY = "*"
END_KEY = "#"
MENU_KEYS = "123456789"


@dataclass(frozen=True, slots=True)
class Language:
    """A language callers may choose.

    ``voice``: the speech synthesiser's voice for it (``cmn``, ``en``);
    ``prompts``: the id of another language whose prompt texts it uses
    (``nan`` uses ``zh``'s), or ``None`` for its own.
    """

    id: str
    voice: str | None = None
    prompts: str | None = None

    @property
    def prompt_language(self) -> str:
        """The language whose prompt texts and audio this language's callers hear."""
        return self.prompts or self.id


@dataclass(frozen=True, slots=True)
class Menu:
    """A menu: its prompt and what each key leads to.

    ``options`` maps a key ``1``-``9`` to a target: a system id (its
    queue), ``general`` (the general queue) or another menu's id.
    ``0`` (general queue) and ``*`` (repeat) work in every menu.
    """

    id: str
    prompt: str
    options: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """The ``[ivr]`` timing keys (seconds) and how many retries a menu allows.

    * ``digit_timeout_s``: after a collecting prompt has finished, how long
      to wait for the first key before it counts as no input.
    * ``inter_digit_timeout_s``: while a code or number is keyed, how long
      after the last key the input counts as complete (as if ``#`` followed).
    * ``retries``: after an invalid key or no input the menu is played again,
      up to this many times; one more failure sends the call to the general
      queue (at the agency question: goes on with agency unknown; at the
      language menu: the default language).
    * ``agency_code_max_digits``: a code longer than this is wrong (judged,
      like any code, at ``#`` or the inter-digit timeout).
    """

    digit_timeout_s: float = 5.0
    inter_digit_timeout_s: float = 3.0
    retries: int = 2
    agency_code_max_digits: int = 8


@dataclass(frozen=True, slots=True)
class Announcements:
    """``[ivr.announcements]``: what a queued caller hears, and when.

    The first announcement after ``after_s`` seconds in the queue, then one every
    ``interval_s`` until an agent's phone rings. ``position`` says the caller's
    place, ``wait`` the estimated wait, rounded up to ``round_min`` minutes.
    """

    after_s: float = 30.0
    interval_s: float = 60.0
    position: bool = True
    wait: bool = True
    round_min: int = 1

    def pieces(self, position: int, wait_s: float) -> tuple[str, ...]:
        """The prompts to play, in order: position and wait spoken with number words (above 20: "20")."""
        out: list[str] = []
        if self.position:
            out += [QUEUE_POSITION, _number(position)]
        if self.wait:
            minutes = self.minutes(wait_s)
            out += [QUEUE_SOON] if minutes == 0 else [QUEUE_WAIT, _number(minutes), QUEUE_MINUTES]
        return tuple(out)

    def minutes(self, wait_s: float) -> int:
        """The wait as said: minutes, rounded up to a multiple of ``round_min`` (0 under half a minute)."""
        if wait_s < 30:
            return 0
        step = self.round_min
        return math.ceil(wait_s / 60 / step - 1e-9) * step


def _number(n: int) -> str:
    return f"number_{max(0, min(n, NUMBER_WORDS))}"


#: The prompt safety timer waits this long beyond a prompt's duration for its PromptFinished.
PROMPT_GRACE_S = 5.0
#: The longest call-back number accepted (a longer one is invalid).
MAX_NUMBER_DIGITS = 10


@dataclass(frozen=True, slots=True)
class IvrPlan:
    """Everything the engine follows for one centre.

    ``languages``: in the centre's order, the first is the default.
    ``prompts``: prompt id → prompt language id → :class:`PromptText`, for
    every prompt language (a language with ``prompts`` set has none of its
    own). ``menus`` by id, ``main`` the first menu. ``agency_codes``: code →
    agency id.
    """

    languages: tuple[Language, ...]
    prompts: Mapping[str, Mapping[str, PromptText]]
    menus: Mapping[str, Menu]
    main: str
    timeouts: Timeouts = Timeouts()
    agency_codes: Mapping[str, str] = field(default_factory=dict)
    hours: Hours = field(default_factory=Hours)
    survey: SurveyPlan | None = None
    """The post-call survey (``[survey]``), or ``None``: no survey."""
    #: ``[ivr.announcements]``; ``None``: queued callers hear nothing.
    announcements: Announcements | None = None

    @property
    def default_language(self) -> Language:
        return self.languages[0]

    @property
    def prompt_languages(self) -> tuple[str, ...]:
        """The distinct prompt languages, in the centre's order: what a caller hears before choosing."""
        seen: list[str] = []
        for language in self.languages:
            if language.prompt_language not in seen:
                seen.append(language.prompt_language)
        return tuple(seen)

    @property
    def language_menu(self) -> Mapping[str, str]:
        """Key → language id: ``1`` for the first language, ``2`` for the second, …; empty with one language."""
        if len(self.languages) < 2:
            return {}
        return {str(i): language.id for i, language in enumerate(self.languages, start=1)}

    def language(self, language_id: str) -> Language:
        for language in self.languages:
            if language.id == language_id:
                return language
        raise KeyError(language_id)

    def prompt_language(self, language_id: str) -> str:
        """The language whose prompts a caller of ``language_id`` hears."""
        return self.language(language_id).prompt_language

    def prompt_text(self, prompt: str, language: str) -> PromptText:
        """A prompt in a language (a language with ``prompts`` set gives the other language's)."""
        return self.prompts[prompt][self.prompt_language(language)]

    def prompt_seconds(self, prompt: str, language: str) -> float:
        """How long the prompt plays, in seconds: the duration the PBX uses."""
        return self.prompt_text(prompt, language).seconds

    def used_prompts(self) -> tuple[str, ...]:
        """The prompts the flow and the menus play, in a stable order (no duplicates)."""
        ids: list[str] = [p for p in FLOW_PROMPTS if p != LANGUAGE or len(self.languages) > 1]
        for menu in self.menus.values():
            if menu.prompt not in ids:
                ids.append(menu.prompt)
        if self.survey is not None:
            ids.extend(p for p in self.survey.prompts if p not in ids)
        if self.announcements is not None:
            ids += ANNOUNCEMENT_PROMPTS
        return tuple(ids)
