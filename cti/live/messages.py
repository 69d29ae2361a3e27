"""Every message that crosses a component boundary, and the topics they travel on.

Messages are frozen, versioned structs encoded as JSON. Each carries a
``type`` tag and a schema version ``v``; :func:`decode` checks both, every
field's type and the id patterns, and :func:`check_topic` that the message
belongs on the topic it came in on and names the same call or agent as the
topic. Input that fails any of these is answered on :data:`ERRORS` with an
:class:`Error` and dropped (see :mod:`cti.live.bus`); no component crashes on it.

Times on the bus are centre time: seconds since the Unix epoch, as the
centre's clock tells them (real, scaled or virtual).

Topics (the MQTT transport, as it lands, uses the same)::

    cti/v1/trunk/in                  caller -> PBX     dial, caller hang-up
    cti/v1/trunk/{call}/ev           PBX -> caller     connected, released
    cti/v1/pbx/in                    PBX -> server     new call
    cti/v1/pbx/{call}/ctl            server -> PBX     ring, stop ringing, connect, release
    cti/v1/pbx/{call}/ev             PBX -> server     caller hung up
    cti/v1/calls/{call}              server -> all     call lifecycle
    cti/v1/agents/{agent}/cmd        agent -> server   login, ready, not-ready, answer, hang up, logout,
                                                       wrap-up (case form), link caller
    cti/v1/agents/{agent}/offer      server -> agent   offer (screen pop), offer withdrawn
    cti/v1/agents/{agent}/state      server -> all     agent state (retained)
    cti/v1/stats                     server -> all     KPI snapshot (retained)
    cti/v1/servers/{server}/status   server            online/offline, role, epoch (retained)
    cti/v1/leader                    server            leader and epoch (retained)
    cti/v1/errors                    any               rejected input and why
    cti/v1/audit                     any               who did what
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec

SCHEMA_VERSION: Final = 1
PREFIX: Final = "cti/v1"

Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
Number = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9][0-9 -]{0,31}$")]
Time = Annotated[float, msgspec.Meta(ge=0)]
Reason = Annotated[str, msgspec.Meta(max_length=200)]


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every bus message: a ``type`` tag and the schema version."""

    v: int = SCHEMA_VERSION


# ----------------------------------------------------------------------
# Trunk: callers and the PBX
# ----------------------------------------------------------------------


class Dial(Message, frozen=True, tag="dial"):
    """A caller dials the hotline. The caller side chooses the call id (as SIP does).

    Until the IVR collects it, the caller's system choice and agency travel
    with the call as attached data.
    """

    call_id: Id
    caller: Number
    dialled: Number
    system: Id
    agency: Id
    channel: str = "voice"
    ivr: dict[Id, Reason] = msgspec.field(default_factory=dict)


class CallerHangUp(Message, frozen=True, tag="caller-hang-up"):
    """The caller puts the phone down."""

    call_id: Id


class CallConnected(Message, frozen=True, tag="call-connected"):
    """PBX -> caller: an agent is on the line."""

    call_id: Id
    agent_id: Id


class CallReleased(Message, frozen=True, tag="call-released"):
    """PBX -> caller: the centre ended the call (``agent`` or ``no-agent``)."""

    call_id: Id
    reason: Reason


# ----------------------------------------------------------------------
# PBX and server
# ----------------------------------------------------------------------


class NewCall(Message, frozen=True, tag="new-call"):
    """PBX -> server: an inbound call needs routing."""

    call_id: Id
    caller: Number
    dialled: Number
    system: Id
    agency: Id
    channel: str = "voice"
    ivr: dict[Id, Reason] = msgspec.field(default_factory=dict)


class CallerHungUp(Message, frozen=True, tag="caller-hung-up"):
    """PBX -> server: the caller's side of the call is gone."""

    call_id: Id


class Ring(Message, frozen=True, tag="ring"):
    """Server -> PBX: ring this agent's extension until ``ring_until``."""

    call_id: Id
    agent_id: Id
    extension: str | None
    ring_until: Time
    epoch: int


class StopRinging(Message, frozen=True, tag="stop-ringing"):
    call_id: Id
    agent_id: Id
    epoch: int


class Connect(Message, frozen=True, tag="connect"):
    """Server -> PBX: bridge the caller to the agent who answered."""

    call_id: Id
    agent_id: Id
    epoch: int


class Release(Message, frozen=True, tag="release"):
    """Server -> PBX: end the call and free the line."""

    call_id: Id
    reason: Reason
    epoch: int


# ----------------------------------------------------------------------
# Agents
# ----------------------------------------------------------------------


class Login(Message, frozen=True, tag="login"):
    agent_id: Id
    ready: bool = True


class Logout(Message, frozen=True, tag="logout"):
    agent_id: Id


class Ready(Message, frozen=True, tag="ready"):
    agent_id: Id


class NotReady(Message, frozen=True, tag="not-ready"):
    agent_id: Id
    reason: Reason = "break"


class Answer(Message, frozen=True, tag="answer"):
    agent_id: Id
    call_id: Id


class HangUp(Message, frozen=True, tag="hang-up"):
    agent_id: Id
    call_id: Id


class WrapUp(Message, frozen=True, tag="wrap-up"):
    """Agent -> server: the case form of a call the agent answered.

    ``action`` is ``close`` or ``escalate``; escalation names the tier
    (``second-line``, ``third-line``, ``vendor``).
    """

    agent_id: Id
    call_id: Id
    disposition: Id
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    action: str = "close"
    escalate_to: str | None = None
    priority: str = "normal"


class LinkCaller(Message, frozen=True, tag="link-caller"):
    """Agent -> server: this unknown caller is this directory entry (the number is remembered)."""

    agent_id: Id
    call_id: Id
    person_id: Id


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """The caller's directory entry, as the agent sees it. The national ID is masked."""

    person_id: str
    name: str
    agency: str
    title: str
    office_phone: str
    mobile: str
    email: str
    national_id: str
    synthetic: bool


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """One earlier contact of the caller. ``outcome`` is None while it is in progress."""

    call_id: str
    at: float
    channel: str
    system: str
    outcome: str | None
    agent_id: str | None
    case_id: str | None
    disposition: str | None
    notes: str | None


class CaseBrief(msgspec.Struct, frozen=True, kw_only=True):
    case_id: str
    system: str
    status: str
    tier: str
    owner: str | None
    priority: str
    created_at: float
    due_at: float


class ScreenPop(msgspec.Struct, frozen=True, kw_only=True):
    """What the agent's screen shows when a call rings (來電彈屏).

    ``profile`` is None for a number not in the directory ("unknown caller");
    ``history`` is the caller's last five contacts, newest first; ``open_cases``
    their open cases other than this call's ``case_id`` (the ten newest, newest
    first, of ``open_cases_total``); ``ivr`` the choices the caller made on the
    way in.
    """

    caller: str
    profile: Profile | None
    history: list[Contact]
    open_cases: list[CaseBrief]
    open_cases_total: int
    ivr: dict[str, str]
    case_id: str | None


class Offer(Message, frozen=True, tag="offer"):
    """Server -> agent: a call rings at the agent's seat, with its screen pop."""

    call_id: Id
    agent_id: Id
    caller: Number
    system: Id
    agency: Id
    queue: Id
    ring_until: Time
    overflow: bool
    backup: bool
    epoch: int
    case_id: str | None = None
    pop: ScreenPop | None = None


class OfferWithdrawn(Message, frozen=True, tag="offer-withdrawn"):
    """Server -> agent: stop ringing; the call went elsewhere or the caller left."""

    call_id: Id
    agent_id: Id
    reason: Reason
    epoch: int


class AgentState(Message, frozen=True, tag="agent-state"):
    """Retained on ``agents/{agent}/state``: the agent's state since ``since``."""

    agent_id: Id
    site: Id
    status: str
    since: Time
    rule: str
    reason: str | None = None
    call_id: str | None = None
    epoch: int = 0


# ----------------------------------------------------------------------
# Calls, statistics, servers, errors, audit
# ----------------------------------------------------------------------


class CallEvent(Message, frozen=True, tag="call-event"):
    """Server -> all: one step of a call's life (queued, ringing, answered, ended, abandoned)."""

    call_id: Id
    event: str
    at: Time
    rule: str
    queue: str | None = None
    agent_id: str | None = None


class Stats(Message, frozen=True, tag="stats"):
    """Retained KPI snapshot for consoles, counted from the start of the centre's day."""

    at: Time
    offered: int
    answered: int
    abandoned: int
    interrupted: int
    answered_in_threshold: int
    waiting: int
    longest_wait_s: float
    agents: dict[str, int]
    waiting_by_queue: dict[str, int]
    open_cases: int = 0
    overdue_cases: int = 0


class ServerStatus(Message, frozen=True, tag="server-status"):
    server_id: Id
    online: bool
    role: str
    epoch: int


class Leader(Message, frozen=True, tag="leader"):
    server_id: Id
    epoch: int


class Error(Message, frozen=True, tag="error"):
    """Rejected input: a stable ``code``, a human ``reason``, and where it came from."""

    code: str
    reason: str
    topic: str
    excerpt: str = ""


class Audit(Message, frozen=True, tag="audit"):
    actor: Id
    action: str
    target: str
    at: Time


AnyMessage = (
    Dial
    | CallerHangUp
    | CallConnected
    | CallReleased
    | NewCall
    | CallerHungUp
    | Ring
    | StopRinging
    | Connect
    | Release
    | Login
    | Logout
    | Ready
    | NotReady
    | Answer
    | HangUp
    | WrapUp
    | LinkCaller
    | Offer
    | OfferWithdrawn
    | AgentState
    | CallEvent
    | Stats
    | ServerStatus
    | Leader
    | Error
    | Audit
)

# ----------------------------------------------------------------------
# Topics
# ----------------------------------------------------------------------

TRUNK_IN: Final = f"{PREFIX}/trunk/in"
PBX_IN: Final = f"{PREFIX}/pbx/in"
STATS: Final = f"{PREFIX}/stats"
LEADER: Final = f"{PREFIX}/leader"
ERRORS: Final = f"{PREFIX}/errors"
AUDIT: Final = f"{PREFIX}/audit"


def trunk_ev(call_id: str) -> str:
    return f"{PREFIX}/trunk/{call_id}/ev"


def pbx_ctl(call_id: str) -> str:
    return f"{PREFIX}/pbx/{call_id}/ctl"


def pbx_ev(call_id: str) -> str:
    return f"{PREFIX}/pbx/{call_id}/ev"


def call_topic(call_id: str) -> str:
    return f"{PREFIX}/calls/{call_id}"


def agent_cmd(agent_id: str) -> str:
    return f"{PREFIX}/agents/{agent_id}/cmd"


def agent_offer(agent_id: str) -> str:
    return f"{PREFIX}/agents/{agent_id}/offer"


def agent_state(agent_id: str) -> str:
    return f"{PREFIX}/agents/{agent_id}/state"


def server_status(server_id: str) -> str:
    return f"{PREFIX}/servers/{server_id}/status"


# What may travel on each kind of topic; the wildcard level must equal the
# message's call or agent id.
_ROUTES: Final[dict[tuple[str, ...], tuple[tuple[type[Message], ...], str | None]]] = {
    ("trunk", "in"): ((Dial, CallerHangUp), None),
    ("trunk", "+", "ev"): ((CallConnected, CallReleased), "call_id"),
    ("pbx", "in"): ((NewCall,), None),
    ("pbx", "+", "ctl"): ((Ring, StopRinging, Connect, Release), "call_id"),
    ("pbx", "+", "ev"): ((CallerHungUp,), "call_id"),
    ("calls", "+"): ((CallEvent,), "call_id"),
    ("agents", "+", "cmd"): ((Login, Logout, Ready, NotReady, Answer, HangUp, WrapUp, LinkCaller), "agent_id"),
    ("agents", "+", "offer"): ((Offer, OfferWithdrawn), "agent_id"),
    ("agents", "+", "state"): ((AgentState,), "agent_id"),
    ("stats",): ((Stats,), None),
    ("servers", "+", "status"): ((ServerStatus,), "server_id"),
    ("leader",): ((Leader,), None),
    ("errors",): ((Error,), None),
    ("audit",): ((Audit,), None),
}


class MessageError(ValueError):
    """Input that is not a valid message for its topic. ``code`` is stable."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(AnyMessage)


def encode(message: Message) -> bytes:
    return _encoder.encode(message)


def decode(payload: bytes | str) -> Message:
    """Decode and validate one message; raises :class:`MessageError` naming the problem."""
    try:
        message: Message = _decoder.decode(payload)
    except msgspec.ValidationError as exc:
        raise MessageError("invalid-message", str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise MessageError("not-json", f"not a JSON message: {exc}") from exc
    if message.v != SCHEMA_VERSION:
        raise MessageError(
            "unsupported-version", f"schema version {message.v} is not supported (expected {SCHEMA_VERSION})"
        )
    return message


def check_topic(topic: str, message: Message) -> None:
    """Raise :class:`MessageError` unless ``message`` belongs on ``topic``."""
    levels = topic.split("/")
    if levels[:2] != PREFIX.split("/"):
        raise MessageError("unknown-topic", f"topic {topic!r} is not under {PREFIX}/")
    rest = levels[2:]
    route = _ROUTES.get(tuple(rest))
    if route is None and len(rest) > 1:
        route = _ROUTES.get((rest[0], "+", *rest[2:]))
    if route is None:
        raise MessageError("unknown-topic", f"no messages are defined for topic {topic!r}")
    allowed, id_field = route
    if not isinstance(message, allowed):
        names = ", ".join(sorted(_tag(t) for t in allowed))
        raise MessageError(
            "wrong-topic", f"a {_tag(type(message))!r} message does not belong on {topic!r} (expected {names})"
        )
    if id_field is not None and getattr(message, id_field) != rest[1]:
        raise MessageError(
            "id-mismatch", f"{id_field} {getattr(message, id_field)!r} does not match the topic's {rest[1]!r}"
        )


def _tag(cls: type[Message]) -> str:
    return str(cls.__struct_config__.tag)
