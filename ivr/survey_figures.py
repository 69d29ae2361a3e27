"""The post-call survey's figures, defined once for the live centre, its demo and the simulator.

Counted over the surveys offered (:class:`SurveyRecord`: one call whose agent released it while the caller
was still on the line):

* **offered**: surveys started (the consent prompt played).
* **taken**: the caller consented (pressed ``1``), whatever came after.
* **completed**: every question answered.
* **scored**: surveys with an answer to the score question; **average score** their mean (``None``: none).
* **satisfied**: scores at or above the ``satisfied_at_least`` level (default 4 of 5); **share satisfied**
  satisfied ÷ scored (``None``: none scored), compared with the **target** (default 0.85).
* **dissatisfied**: scores at or below ``dissatisfied_at_most`` (default 2): each opened a call-back case.

A survey cut off by a server stop (no outcome) counts as offered, and as taken if an answer was stored.
Standard library only, like the rest of ``ivr``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    """What the figures need of one survey: whether it was taken, how it ended, and its score (if any)."""

    call_id: str
    consented: bool
    outcome: str | None
    score: int | None = None


@dataclass(frozen=True, slots=True)
class SurveyFigures:
    offered: int
    taken: int
    completed: int
    scored: int
    average_score: float | None
    satisfied: int
    satisfied_share: float | None
    dissatisfied: int
    target: float
    satisfied_at_least: int
    dissatisfied_at_most: int

    @property
    def meets_target(self) -> bool | None:
        """Whether the share satisfied reaches the target (``None``: nothing scored)."""
        return None if self.satisfied_share is None else self.satisfied_share >= self.target

    def as_dict(self) -> dict[str, object]:
        """The figures as JSON values (``cti demo --json``'s ``survey``)."""
        return {
            "offered": self.offered,
            "taken": self.taken,
            "completed": self.completed,
            "scored": self.scored,
            "average_score": self.average_score,
            "satisfied": self.satisfied,
            "satisfied_share": self.satisfied_share,
            "dissatisfied": self.dissatisfied,
            "target": self.target,
            "meets_target": self.meets_target,
            "satisfied_at_least": self.satisfied_at_least,
            "dissatisfied_at_most": self.dissatisfied_at_most,
        }


def survey_figures(
    surveys: Iterable[SurveyRecord],
    *,
    satisfied_at_least: int = 4,
    dissatisfied_at_most: int = 2,
    target: float = 0.85,
) -> SurveyFigures:
    """The survey figures of ``surveys`` (each call once)."""
    offered = taken = completed = 0
    scores: list[int] = []
    for s in surveys:
        offered += 1
        taken += s.consented
        completed += s.outcome == "completed"
        if s.score is not None:
            scores.append(s.score)
    satisfied = sum(1 for v in scores if v >= satisfied_at_least)
    return SurveyFigures(
        offered=offered,
        taken=taken,
        completed=completed,
        scored=len(scores),
        average_score=sum(scores) / len(scores) if scores else None,
        satisfied=satisfied,
        satisfied_share=satisfied / len(scores) if scores else None,
        dissatisfied=sum(1 for v in scores if v <= dissatisfied_at_most),
        target=target,
        satisfied_at_least=satisfied_at_least,
        dissatisfied_at_most=dissatisfied_at_most,
    )
