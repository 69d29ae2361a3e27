"""Commands the router returns: what the shell must now carry out.

Every command names the :class:`Rule` that produced it, so a journal, a log
line or a supervisor can always answer "why did that happen?".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Rule(StrEnum):
    """Why the router decided something. Values are stable codes."""

    # Queueing
    QUEUE_ENTRY = "queue-entry"
    """The call entered its system's queue."""
    UNKNOWN_SYSTEM = "unknown-system"
    """The call entered the general queue: the centre does not serve its system."""
    UNKNOWN_AGENCY = "unknown-agency"
    """The call entered the general queue: the centre does not list its agency."""
    UNKNOWN_LANGUAGE = "unknown-language"
    """The call entered the general queue: the centre does not list its language (any agent may take it)."""
    REQUEUE = "requeue"
    """An offer failed; the call went back to its original place."""
    NO_AGENT_FALLBACK = "no-agent-fallback"
    """Nobody who may take the call was logged in for ``max_wait_no_agent_s``.

    From a system's queue (no agent with the skill who speaks the call's
    language): moved to the general queue. In the general queue (no voice agent
    who speaks the call's language): the language requirement is dropped.
    """
    NO_AGENT_GIVE_UP = "no-agent-give-up"
    """No voice agent at all was logged in: the router gave up on the call."""
    CALLER_HUNG_UP = "caller-hung-up"
    """The caller hung up while queued or ringing."""
    # Choosing an agent for a call (the configured strategy)
    LONGEST_IDLE = "longest-idle"
    ROUND_ROBIN = "round-robin"
    FEWEST_CALLS = "fewest-calls"
    LEAST_TALK_TIME = "least-talk-time"
    BEST_SKILL = "best-skill"
    RANDOM = "random"
    # Choosing a call for an agent who became eligible
    NEXT_CALL = "next-call"
    """Highest priority first, then the earliest queue entry, across the agent's queues."""
    # Offer outcomes
    RING_NO_ANSWER = "ring-no-answer"
    """Ringing reached ``ring_timeout_s`` without an answer."""
    AGENT_DECLINED = "agent-declined"
    """The agent went not-ready or logged out while the call rang."""
    ANSWERED = "answered"
    # Agent state changes
    LOGIN = "login"
    LOGOUT = "logout"
    AGENT_REQUEST = "agent-request"
    """The agent asked for this state (ready, not-ready)."""
    REJECT_DELAY = "reject-delay"
    """After a ring-no-answer the agent rests for ``reject_delay_s``."""
    MAX_NO_ANSWER = "max-no-answer"
    """``max_no_answer`` ring-no-answers in a row: the agent is set not-ready ("missed")."""
    WRAP_UP = "wrap-up"
    """After a call the agent is in wrap-up for ``wrap_up_s``, for every queue."""
    CALL_ENDED = "call-ended"
    # Call-backs
    CALLBACK_REQUESTED = "callback-requested"
    """A queued caller asked to be called back and hung up; the call keeps its place."""
    CALLBACK_ACCEPTED = "callback-accepted"
    """The agent accepted a call-back offer: dial the caller."""
    CALLBACK_ANSWERED = "callback-answered"
    """The caller answered the call-back: connected to the agent."""
    CALLBACK_NO_ANSWER = "callback-no-answer"
    """The caller did not answer a call-back dial; another try follows after the retry delay."""
    CALLBACK_RETRY = "callback-retry"
    """The retry delay is over: the call-back is back in its original place in the queue."""
    CALLBACK_FAILED = "callback-failed"
    """The last call-back dial went unanswered: the call ends (the shell leaves a call-back case)."""


#: The rules a call enters a queue by when it arrives.
QUEUE_ENTRIES = frozenset({Rule.QUEUE_ENTRY, Rule.UNKNOWN_SYSTEM, Rule.UNKNOWN_AGENCY, Rule.UNKNOWN_LANGUAGE})


@dataclass(frozen=True, slots=True)
class OfferCall:
    """Ring ``agent_id`` with ``call_id``; ringing times out at ``ring_until``.

    ``overflow`` is true when the call's agency prefers another site and this
    agent's site took it after the preference window; ``backup`` when the
    agent is a backup seat brought in by the queue length; ``callback`` when
    the call is a call-back request (the caller is no longer on the line).
    """

    call_id: str
    agent_id: str
    ring_until: float
    rule: Rule
    overflow: bool = False
    backup: bool = False
    callback: bool = False
    """The call is a call-back request: on accepting, the agent's phone calls the caller back."""


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """Stop ringing ``agent_id`` with ``call_id``."""

    call_id: str
    agent_id: str
    rule: Rule


@dataclass(frozen=True, slots=True)
class QueueCall:
    """The call is (again) waiting in ``queue`` (a system id, or ``GENERAL_QUEUE``)."""

    call_id: str
    queue: str
    rule: Rule


@dataclass(frozen=True, slots=True)
class ConnectCall:
    """Bridge the caller to the agent who answered."""

    call_id: str
    agent_id: str
    rule: Rule = Rule.ANSWERED


@dataclass(frozen=True, slots=True)
class EndCall:
    """The call is over for the router.

    ``rule`` says how: ``caller-hung-up`` (abandoned while queued or ringing),
    ``call-ended`` (after an answer), ``no-agent-give-up`` (the shell must
    tell the caller and release the line) or ``callback-failed`` (the last
    call-back dial went unanswered: the shell leaves a call-back case).
    """

    call_id: str
    rule: Rule


@dataclass(frozen=True, slots=True)
class SetAgentState:
    """An agent's state changed; publish it. ``reason`` explains a not-ready."""

    agent_id: str
    status: str
    rule: Rule
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class DialCallback:
    """The agent accepted a call-back: have the PBX dial the caller for ``agent_id``.

    ``dial`` counts the tries, from 1. The shell answers with
    ``CallbackAnswered`` or ``CallbackFailed``.
    """

    call_id: str
    agent_id: str
    dial: int
    rule: Rule = Rule.CALLBACK_ACCEPTED


@dataclass(frozen=True, slots=True)
class RetryCallback:
    """An unanswered call-back waits out of the queue until ``retry_at``, then returns to its place.

    ``dial`` is the number of the next dial (the one that failed was ``dial - 1``).
    """

    call_id: str
    retry_at: float
    dial: int
    rule: Rule = Rule.CALLBACK_NO_ANSWER


Command = OfferCall | CancelOffer | QueueCall | ConnectCall | EndCall | SetAgentState | DialCallback | RetryCallback
