"""One call's place in the IVR: what it is hearing, what it has keyed, what it has settled."""

from __future__ import annotations

from enum import StrEnum

from ivr.civil import LocalTime
from ivr.commands import Outcome


class Phase(StrEnum):
    """Where a call is in the flow (see docs/ivr.md)."""

    GREETING = "welcome"
    """The welcome plays (no keys taken)."""
    LANGUAGE = "language"
    """The language menu: one key."""
    OFFER = "callback"
    """Closed: the hours, then the call-back offer: one key (``1`` accepts)."""
    NUMBER = "callback-number"
    """Closed: the caller keys a number ending with ``#``."""
    AGENCY = "agency"
    """The caller keys an agency code ending with ``#``."""
    MENU = "menu"
    """A menu (``CallState.menu``): one key."""
    ENDING = "goodbye"
    """The goodbye or thank-you plays; then the call is released (no keys taken)."""


#: Phases that take keys (while a collecting prompt plays, and after it).
COLLECTING = frozenset({Phase.LANGUAGE, Phase.OFFER, Phase.NUMBER, Phase.AGENCY, Phase.MENU})
#: Phases where keys build a code or number ending with ``#``.
CODE_ENTRY = frozenset({Phase.NUMBER, Phase.AGENCY})

#: A prompt to play: (prompt id, prompt language, collect).
Item = tuple[str, str, bool]


class CallState:
    """The mutable state of one call in the IVR (owned by :class:`ivr.Ivr`)."""

    __slots__ = (
        "agency",
        "arrived_at",
        "failures",
        "id",
        "keyed",
        "language",
        "local",
        "menu",
        "outcome",
        "phase",
        "playing",
        "playlist",
        "timer_due",
        "token",
        "voices",
    )

    def __init__(self, call_id: str, arrived_at: float, local: LocalTime, agency: str | None,
                 voices: tuple[str, ...]) -> None:  # fmt: skip
        self.id = call_id
        self.arrived_at = arrived_at
        self.local = local
        #: The agency from the directory, then from a keyed code; None while (or when) unknown.
        self.agency = agency
        #: The caller's language once settled.
        self.language: str | None = None
        #: The prompt languages the caller hears: every one before a language is settled.
        self.voices = voices
        self.phase = Phase.GREETING
        self.menu: str | None = None
        #: Invalid keys and no-inputs at the current question.
        self.failures = 0
        #: Keys of a code or number so far.
        self.keyed = ""
        #: The prompt playing, and those to play after it.
        self.playing: Item | None = None
        self.playlist: list[Item] = []
        #: How the call will end once the goodbye has played (phase ENDING).
        self.outcome: Outcome | None = None
        #: The call's one live timer: its token and when it is due.
        self.token = 0
        self.timer_due = 0.0

    def local_at(self, now: float) -> LocalTime:
        """The centre's local time at ``now`` (the arrival's local time moved on)."""
        return self.local.plus(max(0.0, now - self.arrived_at))

    @property
    def where(self) -> str:
        """Where the call is, as Steps name it: a menu id, or the phase's name."""
        if self.phase is Phase.MENU:
            assert self.menu is not None
            return self.menu
        return self.phase.value
