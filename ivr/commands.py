"""Commands the IVR returns: what the shell must now carry out.

Every call that arrives ends in exactly one of: a :class:`Route` (it enters
a queue), a :class:`Release` (the centre ends it, after hours) or a
:class:`Step` of kind ``abandoned`` (the caller hung up in the IVR). Steps
record every choice along the way, for the journal and the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ivr.civil import LocalTime


class Outcome(StrEnum):
    """How a call left the IVR. Values are stable codes (stored in ``calls.ivr_outcome``)."""

    ROUTED = "routed"
    """The caller chose a system: the call enters its queue."""
    GENERAL_CHOSEN = "general-chosen"
    """The caller pressed ``0``: the general queue."""
    GENERAL_AFTER_FAILURES = "general-after-failures"
    """The retries of a menu were used up (invalid keys or no input): the general queue."""
    IVR_ABANDONED = "ivr-abandoned"
    """The caller hung up in the IVR."""
    AFTER_HOURS = "after-hours"
    """The centre was closed and the caller left no number."""
    AFTER_HOURS_CALLBACK = "after-hours-callback"
    """The centre was closed and the caller left a number for a call-back."""


class StepKind(StrEnum):
    """What a :class:`Step` records."""

    LANGUAGE = "language"
    """A language was settled (value: its id; chosen, the only one, or the default after failures)."""
    AGENCY = "agency"
    """The agency was settled: value ``directory:<id>``, ``code:<id>`` or ``unknown``."""
    CHOICE = "choice"
    """A valid key in a menu (value: the key)."""
    INVALID = "invalid"
    """A key the menu does not offer, a wrong code or an implausible number (value: the key, or None)."""
    NO_INPUT = "no-input"
    """Nothing keyed before the digit timeout."""
    REPEAT = "repeat"
    """``*``: the menu is played again."""
    ABANDONED = "abandoned"
    """The caller hung up (menu: where)."""


@dataclass(frozen=True, slots=True)
class Play:
    """Play ``prompt`` in ``language`` (the language of the audio: a prompt language).

    ``collect``: keys pressed during it are taken (barge-in: the PBX stops
    the prompt at the first key). When it ends the PBX reports
    :class:`~ivr.PromptFinished`.
    """

    call_id: str
    prompt: str
    language: str
    collect: bool


@dataclass(frozen=True, slots=True)
class Route:
    """Final: the call leaves the IVR for the queue of ``system`` (a system id or ``general``).

    ``language`` is the caller's language (a routing requirement), ``agency``
    the agency from the directory or a keyed code, or ``None`` (unknown).
    """

    call_id: str
    system: str
    agency: str | None
    language: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class CallBack:
    """After hours the caller left ``number``: a call-back is owed at ``due`` (the next opening)."""

    call_id: str
    number: str
    due: LocalTime
    language: str


@dataclass(frozen=True, slots=True)
class Release:
    """Final: the centre ends the call (after hours; the goodbye has been played)."""

    call_id: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Step:
    """A step of the call through the IVR, for the journal and the figures.

    ``kind``: a :class:`StepKind` value. ``menu``: where (a menu id,
    ``language``, ``agency``, ``callback``, ``callback-number``, or ``None``
    for the welcome). ``value``: the key, language or agency (never a phone
    number).
    """

    call_id: str
    kind: str
    menu: str | None
    value: str | None


Command = Play | Route | CallBack | Release | Step
