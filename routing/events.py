"""Events the router applies: what happened, from the PBX or an agent's desktop.

Each event is applied at a time ``now`` given by the caller
(:meth:`routing.Router.apply`); events carry no time of their own, so the
same event values serve the live server and the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Party(StrEnum):
    """Who ended a call."""

    CALLER = "caller"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class CallArrived:
    """A caller has chosen a system (in the IVR) and enters that system's queue.

    ``agency`` may be ``None``: such calls get priority 0 and no site
    preference. ``language`` is the language the caller chose: the call is
    offered only to agents who speak it (``None``: any agent). A ``system``,
    ``agency`` or ``language`` the centre does not list sends the call to the
    general queue (rules ``unknown-system``, ``unknown-agency``,
    ``unknown-language``).
    """

    call_id: str
    system: str
    agency: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """The agent picked up the call ringing at their seat."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class CallHungUp:
    """The call ended.

    While queued or ringing only the caller can end it (an abandoned call);
    once answered either party can (the agent then goes to wrap-up).
    """

    call_id: str
    by: Party = Party.CALLER


@dataclass(frozen=True, slots=True)
class AgentLoggedIn:
    """An agent logged in at their seat, ready at once unless ``ready`` is false."""

    agent_id: str
    ready: bool = True


@dataclass(frozen=True, slots=True)
class AgentLoggedOut:
    """An agent logged out. Not allowed while talking; a ringing offer is withdrawn."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class AgentReady:
    """An agent asks for calls: from not-ready, or ending wrap-up early."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class AgentNotReady:
    """An agent takes a break (``reason``: "lunch", "training", …).

    While ringing, the offer is withdrawn and the call keeps its place in the
    queue. While talking, the break starts when wrap-up ends.
    """

    agent_id: str
    reason: str = "break"


@dataclass(frozen=True, slots=True)
class CallbackRequested:
    """A queued caller asked to be called back and hung up: the call keeps its place.

    It keeps its queue entry time, priority, queue and language, and is offered
    when its turn comes like any call (``OfferCall.callback`` is true). When
    the agent accepts it (:class:`CallAnswered`) the shell dials the caller
    (``DialCallback``). A dial the caller does not answer (:class:`CallbackFailed`)
    is retried up to ``retries`` more times, each after ``retry_delay_s`` out
    of the queue, back at its original place; after the last it ends (rule
    ``callback-failed``). Only a queued call that is not already a call-back may ask.
    """

    call_id: str
    retries: int = 2
    retry_delay_s: float = 300.0


@dataclass(frozen=True, slots=True)
class CallbackAnswered:
    """The caller answered the call-back the PBX dialled: the call connects to its agent."""

    call_id: str


@dataclass(frozen=True, slots=True)
class CallbackFailed:
    """The caller did not answer the call-back (no answer, busy, or the line failed).

    The agent is freed at once (no wrap-up); the call is retried or ended.
    """

    call_id: str


Event = (
    CallArrived
    | CallAnswered
    | CallHungUp
    | AgentLoggedIn
    | AgentLoggedOut
    | AgentReady
    | AgentNotReady
    | CallbackRequested
    | CallbackAnswered
    | CallbackFailed
)
