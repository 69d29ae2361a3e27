"""The post-call survey's plan (``[survey]``): its questions, the score's levels and the target.

A plain value, validated where it is read (:func:`ivr.reading.survey_from_mapping`);
:class:`ivr.survey.Survey` follows it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The prompt asking for consent ("press 1 to rate our service").
CONSENT = "survey_consent"
#: The thank-you after the last question.
THANKS = "survey_thanks"


@dataclass(frozen=True, slots=True)
class Question:
    """One question: its id (stored with the answer), its prompt, and the keys it takes (``low``..``high``)."""

    id: str
    prompt: str
    low: int
    high: int

    def takes(self, key: str) -> bool:
        return key.isdigit() and self.low <= int(key) <= self.high


def default_questions() -> tuple[Question, ...]:
    """Satisfaction 1-5, then solved (1 yes, 2 no)."""
    return (
        Question("satisfaction", "survey_satisfaction", 1, 5),
        Question("solved", "survey_solved", 1, 2),
    )


@dataclass(frozen=True, slots=True)
class SurveyPlan:
    """A centre's survey (``[survey]``).

    ``score``: the id of the question whose answer is the satisfaction score;
    a score at or below ``dissatisfied_at_most`` opens a "dissatisfied — call
    back" case; the share of scores at or above ``satisfied_at_least`` is
    compared with ``target``. ``digit_timeout_s`` and ``retries`` as in
    ``[ivr]`` (their defaults).
    """

    questions: tuple[Question, ...]
    score: str = "satisfaction"
    dissatisfied_at_most: int = 2
    satisfied_at_least: int = 4
    target: float = 0.85
    digit_timeout_s: float = 5.0
    retries: int = 2
    enabled: bool = True

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    @property
    def prompts(self) -> tuple[str, ...]:
        """The prompts the survey plays (the IVR's ``invalid`` and ``no_input`` besides)."""
        ids = [CONSENT, *(q.prompt for q in self.questions), THANKS]
        return tuple(dict.fromkeys(ids))
