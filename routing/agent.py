"""An agent's live state, as an explicit state machine.

``logged-out → ready → ringing → talking → wrap-up → ready`` is the normal
cycle; ``reject-delay`` follows a ring-no-answer and ``not-ready`` is a break
(or the result of too many misses). The full table of events and transitions
is in ``docs/routing.md``. Being ``ready`` is necessary but not enough to be
offered a call: see the eligibility rules in :mod:`routing.router`.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from routing.centre import GENERAL_QUEUE, AgentProfile
from routing.errors import InvalidTransition


class AgentStatus(StrEnum):
    LOGGED_OUT = "logged-out"
    READY = "ready"
    """Idle and asking for calls."""
    RINGING = "ringing"
    TALKING = "talking"
    WRAP_UP = "wrap-up"
    """After-call work: no offers from any queue."""
    REJECT_DELAY = "reject-delay"
    """Resting after a ring-no-answer: no offers until it ends."""
    NOT_READY = "not-ready"


_S = AgentStatus
_ALLOWED: dict[AgentStatus, frozenset[AgentStatus]] = {
    _S.LOGGED_OUT: frozenset({_S.READY, _S.NOT_READY}),
    _S.READY: frozenset({_S.RINGING, _S.NOT_READY, _S.LOGGED_OUT}),
    _S.RINGING: frozenset({_S.TALKING, _S.READY, _S.REJECT_DELAY, _S.NOT_READY, _S.LOGGED_OUT}),
    _S.TALKING: frozenset({_S.WRAP_UP, _S.READY, _S.NOT_READY}),
    _S.WRAP_UP: frozenset({_S.READY, _S.NOT_READY, _S.LOGGED_OUT}),
    _S.REJECT_DELAY: frozenset({_S.READY, _S.NOT_READY, _S.LOGGED_OUT}),
    _S.NOT_READY: frozenset({_S.READY, _S.NOT_READY, _S.LOGGED_OUT}),
}


class AgentState:
    """One agent's mutable routing state. Owned and changed only by the router."""

    __slots__ = (
        "backup",
        "call",
        "calls_handled",
        "id",
        "idle_since",
        "indexed",
        "keys",
        "misses",
        "needs",
        "order",
        "pending_not_ready",
        "profile",
        "queues",
        "reason",
        "since",
        "site",
        "status",
        "talk_time",
        "token",
        "voice",
    )

    def __init__(self, profile: AgentProfile, order: int, restricting: Collection[str] | None = None) -> None:
        self.profile = profile
        self.id = profile.id
        #: Position in the centre file: the last tie-breaker, and round-robin order.
        self.order = order
        self.site = profile.site
        self.backup = profile.backup
        self.voice = profile.voice
        #: Queues this agent serves: one per skill, plus the general queue.
        self.queues: tuple[str, ...] = (*profile.skills, GENERAL_QUEUE) if profile.voice else ()
        #: Language requirements this agent meets: ``None`` (no requirement) and each language it
        #: speaks among ``restricting``, those some voice agent of the centre does not speak
        #: (default: every language it speaks).
        self.needs: tuple[str | None, ...] = (
            None,
            *(lang for lang in profile.languages if restricting is None or lang in restricting),
        )
        #: Every (queue, language requirement) this agent may take calls of: what "staffed" counts.
        self.keys: tuple[tuple[str, str | None], ...] = tuple((q, n) for q in self.queues for n in self.needs)
        self.status = AgentStatus.LOGGED_OUT
        self.since = 0.0
        self.reason: str | None = None
        #: The call ringing at, or connected to, this agent.
        self.call: str | None = None
        self.idle_since = 0.0
        self.misses = 0
        self.calls_handled = 0
        self.talk_time = 0.0
        self.pending_not_ready: str | None = None
        #: Bumped on every status change; a timer set in an older status is stale.
        self.token = 0
        #: Filed in the ready-agent index (ready, voice, and no call was waiting for it).
        self.indexed = False

    def level(self, queue: str) -> int:
        """Skill level for a queue (0 for the general queue or no skill)."""
        return self.profile.skills.get(queue, 0)

    def check(self, to: AgentStatus, what: str) -> None:
        """Raise :class:`InvalidTransition` unless moving to ``to`` is allowed."""
        if to not in _ALLOWED[self.status]:
            raise InvalidTransition(f"agent {self.id} cannot {what} while {self.status}")

    def move(self, to: AgentStatus, now: float, reason: str | None = None) -> None:
        self.check(to, f"become {to}")
        self.status = to
        self.since = now
        self.reason = reason
        self.token += 1

    def __repr__(self) -> str:
        return f"<AgentState {self.id} {self.status} call={self.call}>"
