"""How the people of a scenario behave: callers in the IVR, and agents at their seats.

Both the live centre (``cti demo --scenario FILE``: the traffic generator's
callers and the agent bots) and, as the next issues land, the capacity
simulator read these values from one scenario file (``[callers]``,
``[agents]``); the defaults are what ``cti demo`` has always done.

Shares are probabilities from 0 to 1; times are seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


def _default_languages() -> dict[str, float]:
    return {"zh": 0.90, "en": 0.06, "nan": 0.04}


@dataclass(frozen=True, slots=True)
class CallerBehaviour:
    """What callers do in the voice menus.

    * At each menu a caller presses the right key with ``menu_right``, a key
      the menu does not offer with ``menu_invalid``, and nothing (waits out the
      timeout) with the rest. After a failed attempt the next attempt is drawn
      afresh.
    * ``languages``: the callers' language mix, as weights by language id. A
      language the centre does not list is left out.
    * ``ivr_hangup``: at each prompt, the chance the caller hangs up.
    * ``agency_code_known``: of callers the directory does not know, the share
      who can key their agency's code; the others key a wrong code or none.
    * ``callback_accept``: of callers who reach the centre after hours, the
      share who leave a number for a call-back.
    * ``callback_in_queue``: of queued callers offered a call-back that keeps
      their place, the share who press 1 and hang up; ``callback_answer``: the
      chance a caller answers each call-back dial (the others let it ring out).
    * ``think_s``: how long after a prompt ends a caller presses a key (mean,
      exponential); ``inter_digit_s``: the gap between keys of a code.
    * The post-call survey (after the agent hangs up): ``survey_consent`` is
      the share who press 1 to take it (the others let the offer pass);
      ``survey_hangup`` the chance, at each survey prompt, of hanging up.
      The score: a draw from ``survey_scores`` (weights of 1, 2, … up to the
      question's top score), then one point lower for each full
      ``survey_wait_penalty_s`` seconds the caller waited in the queue (never
      below the lowest; 0: the wait does not matter), so dissatisfaction
      follows the service. Any other question: its lowest key (``1``, yes)
      with ``survey_solved``, else another of its keys.
    """

    menu_right: float = 0.92
    menu_invalid: float = 0.04
    languages: Mapping[str, float] = field(default_factory=_default_languages)
    ivr_hangup: float = 0.01
    agency_code_known: float = 0.8
    callback_accept: float = 0.6
    think_s: float = 1.5
    inter_digit_s: float = 0.4
    callback_in_queue: float = 0.3
    callback_answer: float = 0.85
    survey_consent: float = 0.6
    survey_hangup: float = 0.02
    survey_scores: tuple[float, ...] = (0.03, 0.04, 0.08, 0.30, 0.55)
    survey_wait_penalty_s: float = 120.0
    survey_solved: float = 0.85

    def __post_init__(self) -> None:
        if not self.survey_scores or any(w < 0 for w in self.survey_scores) or sum(self.survey_scores) <= 0:
            raise ValueError("survey_scores must give at least one positive weight, none negative")
        if self.survey_wait_penalty_s < 0:
            raise ValueError(f"survey_wait_penalty_s must not be negative, got {self.survey_wait_penalty_s}")
        for name in (
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
        ):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be from 0 to 1, got {value}")
        if self.menu_right + self.menu_invalid > 1 + 1e-9:
            raise ValueError("menu_right + menu_invalid must not exceed 1 (the rest press nothing)")
        if not self.languages or any(w < 0 for w in self.languages.values()) or sum(self.languages.values()) <= 0:
            raise ValueError("languages must give at least one positive weight, none negative")
        for name in ("think_s", "inter_digit_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    def survey_score(self, draw: float, waited_s: float, low: int, high: int) -> int:
        """The score a caller gives (``draw`` uniform in [0, 1)) after waiting ``waited_s`` in the queue."""
        weights = self.survey_scores[: high - low + 1]
        total, running, index = sum(weights), 0.0, len(weights) - 1
        for i, w in enumerate(weights):
            running += w
            if draw * total < running:
                index = i
                break
        drop = int(waited_s // self.survey_wait_penalty_s) if self.survey_wait_penalty_s > 0 else 0
        return max(low, low + index - drop)

    @property
    def menu_none(self) -> float:
        """The share who press nothing at a menu."""
        return max(0.0, 1.0 - self.menu_right - self.menu_invalid)


#: The tiers a case can be escalated to at wrap-up (the first line is where it starts).
ESCALATION_TIERS = ("second-line", "third-line", "vendor")


def _default_escalate() -> dict[str, float]:
    return {"second-line": 0.15, "third-line": 0.06, "vendor": 0.04}


@dataclass(frozen=True, slots=True)
class AgentBehaviour:
    """What agents do at their seats (the live centre's agent bots).

    * An offer rings; the agent picks up after ``answer_delay_s`` (mean,
      lognormal with coefficient of variation ``answer_delay_cv``), or lets it
      ring out with ``miss_probability`` (also when the delay outlasts the ring).
    * How long a call lasts is the caller's: the scenario's ``[talk_time]``.
    * After a call, with ``break_probability`` the agent takes a break of
      ``break_s`` (mean, lognormal, CV 0.3); an agent set not-ready for
      missing offers is back after ``back_after_missed_s``.
    * The case form at wrap-up (``wrap_up_form``): of the cases an agent wraps
      up, ``escalate`` gives the share escalated to each tier (the rest are
      closed), and ``urgent_probability`` the share marked urgent.
    """

    answer_delay_s: float = 4.0
    answer_delay_cv: float = 0.5
    miss_probability: float = 0.02
    break_probability: float = 0.03
    break_s: float = 300.0
    back_after_missed_s: float = 60.0
    escalate: Mapping[str, float] = field(default_factory=_default_escalate)
    urgent_probability: float = 0.1
    wrap_up_form: bool = True

    def __post_init__(self) -> None:
        for name in ("miss_probability", "break_probability", "urgent_probability"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be from 0 to 1, got {value}")
        for name in ("answer_delay_s", "answer_delay_cv", "break_s", "back_after_missed_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        for tier, share in self.escalate.items():
            if tier not in ESCALATION_TIERS:
                raise ValueError(f"escalate: unknown tier {tier!r}; expected one of {', '.join(ESCALATION_TIERS)}")
            if not 0 <= share <= 1:
                raise ValueError(f"escalate.{tier} must be from 0 to 1, got {share}")
        if sum(self.escalate.values()) > 1 + 1e-9:
            raise ValueError("the escalate shares must not add up to more than 1 (the rest are closed)")

    @classmethod
    def instant(cls) -> AgentBehaviour:
        """Zero think time: answer at once, never miss or rest (benchmarks)."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
