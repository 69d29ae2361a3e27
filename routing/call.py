"""A call's live routing state."""

from __future__ import annotations

from enum import StrEnum


class CallStatus(StrEnum):
    QUEUED = "queued"
    """Waiting in a queue for an agent."""
    RINGING = "ringing"
    """Offered to one agent, whose phone rings."""
    TALKING = "talking"
    """Answered: connected to an agent."""
    DIALLING = "dialling"
    """A call-back the agent accepted: the PBX is dialling the caller (the agent is busy with it)."""
    RETRY_WAIT = "retry-wait"
    """A call-back whose caller did not answer, out of the queue until its retry delay is over."""


class CallState:
    """One live call. Owned and changed only by the router.

    ``entered_at`` is when the call first entered a queue: it never changes,
    so a call that goes back to the queue, or moves to the general queue,
    keeps its place. ``seq`` breaks ties between calls entering at the same
    time, in arrival order.

    ``language`` is the language the caller chose (``None``: not asked), as
    given, even when the centre does not list it. ``need`` is the language an
    agent must speak to take the call *now*: the caller's language while it
    restricts anyone, ``None`` once the no-agent rule has dropped it, when the
    centre does not list the language, or when every voice agent of the
    centre speaks it anyway (then it restricts nobody).

    A *call-back request* (``callback`` true) is a call whose caller hung up
    while queued and asked to be called back: it keeps its place (its
    ``entered_at``, priority, queue and language); ``callback_at`` is when it
    was asked for, ``tries_left`` how many more dials may be made after the
    current one fails, ``retry_delay_s`` the wait out of the queue before the
    next, and ``retry_at`` when the current wait ends.
    """

    __slots__ = (
        "agency",
        "agent",
        "answered_at",
        "callback",
        "callback_at",
        "dials",
        "entered_at",
        "id",
        "language",
        "need",
        "prefer_site",
        "priority",
        "queue",
        "queue_entered_at",
        "retry_at",
        "retry_delay_s",
        "seq",
        "status",
        "system",
        "tries_left",
        "window_end",
    )

    def __init__(
        self,
        call_id: str,
        system: str,
        agency: str | None,
        priority: int,
        prefer_site: str | None,
        entered_at: float,
        overflow_after_s: float,
        seq: int,
        language: str | None = None,
        need: str | None = None,
    ) -> None:
        self.id = call_id
        self.system = system
        self.agency = agency
        self.priority = priority
        self.prefer_site = prefer_site
        self.entered_at = entered_at
        #: End of the agency's site-preference window (only meaningful with ``prefer_site``).
        self.window_end = entered_at + overflow_after_s
        self.seq = seq
        #: The queue the call waits in: its system, or the general queue.
        self.queue = system
        self.language = language
        self.need = need
        self.queue_entered_at = entered_at
        self.status = CallStatus.QUEUED
        self.agent: str | None = None
        self.answered_at: float | None = None
        self.callback = False
        self.callback_at: float | None = None
        self.dials = 0
        self.tries_left = 0
        self.retry_delay_s = 0.0
        self.retry_at: float | None = None

    @property
    def order_key(self) -> tuple[int, float, int]:
        """Serving order: highest priority first, then earliest queue entry."""
        return (-self.priority, self.entered_at, self.seq)

    def __repr__(self) -> str:
        return f"<CallState {self.id} {self.status} queue={self.queue} need={self.need} agent={self.agent}>"
