"""The IVR's figures, defined once for the live centre, its demo and the simulator.

They are counted over calls that reached the IVR (:class:`IvrCall`: what one
call did there), apart from the queue figures of :mod:`routing.figures`:

* **reached**: calls that entered the IVR.
* **routed**: calls that left the IVR for a queue: a system chosen
  (``routed``), the general queue chosen with ``0`` (``general-chosen``), or
  the general queue after the last retry (``general-after-failures``). Only
  these enter a queue, so only these can be *offered*.
* **IVR abandons**: callers who hung up in the IVR (``ivr-abandoned``), by the
  menu they hung up in (``abandoned_by_menu``; ``-`` when not known). They
  never entered a queue: not offered, not abandoned in the queue, outside
  service level and ASA.
* **after hours**: calls that arrived while the centre was closed
  (``after-hours`` and ``after-hours-callback``), of which **with a call-back
  left**: the caller left a number (``after-hours-callback``). Counted apart:
  never offered.
* **sent to general after failed choices**: ``general-after-failures``;
  **general chosen**: ``general-chosen``.
* **menu choices**: the valid choices made, by menu and by the key pressed;
  a call that chose twice (a sub-menu, then a system) counts in each menu.
* **invalid choices** and **no input**: the times the IVR got a key a menu
  does not bind (or a wrong agency code, an implausible call-back number), or
  none before the digit timeout; each asks again, or ends the retries.
* **language mix**: calls by the language they were served in (calls with no
  language yet are not counted).
* **agencies identified**: calls by how the agency became known:
  ``directory`` (the caller's number), ``code`` (keyed), ``unknown`` (neither);
  calls that never got that far are not counted.
* **mean time in the IVR**: the mean of arrival to leaving the IVR, over the
  calls that left it (any outcome; a call still in it is not counted).
* **unfinished**: calls still in the IVR, or cut off there by a server stop
  (no outcome).

Standard library only, like the rest of ``ivr``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ivr.commands import Outcome, StepKind

#: Outcomes that leave the IVR for a queue: the only calls that can be offered.
TO_A_QUEUE = frozenset({Outcome.ROUTED, Outcome.GENERAL_CHOSEN, Outcome.GENERAL_AFTER_FAILURES})
#: Outcomes of a call that arrived while the centre was closed.
AFTER_HOURS_OUTCOMES = frozenset({Outcome.AFTER_HOURS, Outcome.AFTER_HOURS_CALLBACK})
#: Every IVR outcome: a call that left the IVR has exactly one.
OUTCOMES = frozenset(Outcome)

#: How the agency became known (the prefix of an ``agency`` step's value).
AGENCY_SOURCES = ("directory", "code", "unknown")
#: The menu of an IVR abandon whose menu is not known.
UNKNOWN_MENU = "-"


@dataclass(frozen=True, slots=True)
class IvrStep:
    """One step a call took in the IVR (``ivr.Step``): its kind, the menu, the value."""

    kind: str
    menu: str | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class IvrCall:
    """What the figures need of one call that reached the IVR.

    ``call_id`` names it in errors; ``outcome`` is the IVR's (None: still in the IVR, or cut off there);
    ``where`` the menu a caller hung up in (for an IVR abandon; other outcomes
    may give the queue or system they left for); ``ivr_s`` arrival to leaving the IVR.
    """

    call_id: str
    outcome: str | None
    language: str | None = None
    ivr_s: float | None = None
    steps: tuple[IvrStep, ...] = ()
    where: str | None = None

    @property
    def agency_source(self) -> str | None:
        """``directory``, ``code`` or ``unknown``, from the call's last ``agency`` step; None if it had none."""
        found = None
        for step in self.steps:
            if step.kind == StepKind.AGENCY:
                source = (step.value or "unknown").split(":", 1)[0]
                found = source if source in AGENCY_SOURCES else "unknown"
        return found

    @property
    def abandoned_in(self) -> str:
        """The menu an IVR abandon hung up in: ``where``, else its last step's menu, else ``-``."""
        if self.where:
            return self.where
        menus = [s.menu for s in self.steps if s.menu]
        return menus[-1] if menus else UNKNOWN_MENU


@dataclass(frozen=True, slots=True)
class IvrFigures:
    """The IVR figures of a set of calls (see the module's definitions). Mappings are sorted by key."""

    reached: int = 0
    routed: int = 0
    abandoned: int = 0
    abandoned_by_menu: Mapping[str, int] = field(default_factory=dict)
    after_hours: int = 0
    after_hours_callback: int = 0
    general_after_failures: int = 0
    general_chosen: int = 0
    choices: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    invalid: int = 0
    no_input: int = 0
    languages: Mapping[str, int] = field(default_factory=dict)
    agencies: Mapping[str, int] = field(default_factory=dict)
    mean_ivr_s: float | None = None
    unfinished: int = 0

    def as_dict(self) -> dict[str, object]:
        """The figures as plain data (the ``ivr`` object of ``cti demo --json``)."""
        return {
            "reached": self.reached,
            "routed": self.routed,
            "abandoned": self.abandoned,
            "abandoned_by_menu": dict(self.abandoned_by_menu),
            "after_hours": self.after_hours,
            "after_hours_callback": self.after_hours_callback,
            "general_after_failures": self.general_after_failures,
            "general_chosen": self.general_chosen,
            "choices": {menu: dict(values) for menu, values in self.choices.items()},
            "invalid": self.invalid,
            "no_input": self.no_input,
            "languages": dict(self.languages),
            "agencies": dict(self.agencies),
            "mean_ivr_s": self.mean_ivr_s,
            "unfinished": self.unfinished,
        }


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items()))


def ivr_figures(calls: Iterable[IvrCall]) -> IvrFigures:
    """The IVR figures of ``calls`` (each a call that reached the IVR).

    Every call counts in exactly one of ``routed``, ``abandoned``, ``after_hours`` and ``unfinished``, so they
    add up to ``reached``. A call whose outcome is none of :data:`OUTCOMES` raises ``ValueError`` naming it.
    """
    reached = routed = abandoned = after_hours = callback = failures = general = invalid = no_input = 0
    unfinished = 0
    by_menu: dict[str, int] = {}
    choices: dict[str, dict[str, int]] = {}
    languages: dict[str, int] = {}
    agencies: dict[str, int] = {}
    times: list[float] = []
    for call in calls:
        reached += 1
        outcome = call.outcome
        if outcome is None:
            unfinished += 1
        elif outcome in TO_A_QUEUE:
            routed += 1
            failures += outcome == Outcome.GENERAL_AFTER_FAILURES
            general += outcome == Outcome.GENERAL_CHOSEN
        elif outcome == Outcome.IVR_ABANDONED:
            abandoned += 1
            _bump(by_menu, call.abandoned_in)
        elif outcome in AFTER_HOURS_OUTCOMES:
            after_hours += 1
            callback += outcome == Outcome.AFTER_HOURS_CALLBACK
        else:
            raise ValueError(
                f"call {call.call_id}: IVR outcome {outcome!r} is not one of {', '.join(sorted(OUTCOMES))}"
            )
        if outcome is not None and call.ivr_s is not None:
            times.append(call.ivr_s)
        if call.language is not None:
            _bump(languages, call.language)
        source = call.agency_source
        if source is not None:
            _bump(agencies, source)
        for step in call.steps:
            if step.kind == StepKind.CHOICE:
                _bump(choices.setdefault(step.menu or UNKNOWN_MENU, {}), step.value or UNKNOWN_MENU)
            elif step.kind == StepKind.INVALID:
                invalid += 1
            elif step.kind == StepKind.NO_INPUT:
                no_input += 1
    return IvrFigures(
        reached=reached,
        routed=routed,
        abandoned=abandoned,
        abandoned_by_menu=_sorted(by_menu),
        after_hours=after_hours,
        after_hours_callback=callback,
        general_after_failures=failures,
        general_chosen=general,
        choices={menu: _sorted(values) for menu, values in sorted(choices.items())},
        invalid=invalid,
        no_input=no_input,
        languages=_sorted(languages),
        agencies={source: agencies[source] for source in AGENCY_SOURCES if source in agencies},
        mean_ivr_s=sum(times) / len(times) if times else None,
        unfinished=unfinished,
    )
