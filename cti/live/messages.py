"""Every message that crosses a component boundary, and the topics they travel on.

Messages are frozen, versioned structs encoded as JSON. Each carries a
``type`` tag and a schema version ``v``. Every field has a limit (its type
below: ids, phone numbers, codes, lines of text, bounded numbers and times),
and every topic a largest payload. :func:`parse` is the one gate for input
from outside the process: the topic, the payload's size and nesting before
decoding, then every field, the version, and that the message belongs on the
topic it came in on and names the same call or agent as the topic. Input
that fails is answered on :data:`ERRORS` with an :class:`Error` made by
:func:`refusal` (masked, short, no control characters) and dropped (see
:mod:`cti.live.bus`); no component crashes on it.

Times on the bus are centre time: seconds since the Unix epoch, as the
centre's clock tells them (real, scaled or virtual).

Topics (the MQTT transport, as it lands, uses the same)::

    cti/v1/trunk/in                  caller -> PBX     dial, caller hang-up, keys pressed (DTMF), pick up a call-back
    cti/v1/trunk/{call}/ev           PBX -> caller     connected, released, a prompt playing, a call-back ringing
    cti/v1/pbx/in                    PBX -> server     new call
    cti/v1/pbx/{call}/ctl            server -> PBX     ring, stop ringing, connect, release, play a prompt,
                                                       queue (the menus routed the call), dial out (a call-back)
    cti/v1/pbx/{call}/ev             PBX -> server     caller hung up, prompt done, digits, outbound answered
                                                       or failed
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

import re
from typing import Annotated, Any, Final

import msgspec

from cti.casework.privacy import mask_text

SCHEMA_VERSION: Final = 1
PREFIX: Final = "cti/v1"

# ----------------------------------------------------------------------
# Field types, with the limits every message is held to (see "Limits on bus
# input" in docs/live-centre.md). Patterns are anchored with ``\A`` and ``\Z``:
# ``$`` would also match before a final newline, so "c1\n" would pass.
# ----------------------------------------------------------------------

#: Characters no text on the bus may hold: C0 and C1 controls (NUL, escape,
#: carriage return...), DEL, the Unicode line and paragraph separators, and lone
#: surrogates (which no UTF-8 encoder can write), the bidirectional marks, embeddings,
#: overrides and isolates that make text read backwards, and the invisible zero-width
#: space, word joiner and byte-order mark.
_NOT_C0 = r"\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\u2028\u2029\ud800-\udfff"
_CONTROL = r"\x00-\x1f" + _NOT_C0
_ID_RE = r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z"
_NUMBER_RE = r"\A\+?[0-9][0-9 -]{0,31}\Z"
_TOKEN_RE = r"\A[a-z][a-z0-9-]{0,31}\Z"
_EXTENSION_RE = r"\A[0-9]{1,16}\Z"
_DIGITS_RE = r"\A[0-9*#]{1,32}\Z"
MAX_ID = 64
MAX_DIGITS = 32
MAX_TOKEN = 32
MAX_REASON = 200
MAX_NOTES = 2000
MAX_TEXT = 500
MAX_IVR_CHOICES = 16
MAX_IVR_VALUE = 64
MAX_QUEUES = 10_001  # a centre's systems (at most 10,000) and the general queue
MAX_ERROR_TEXT = 300
MAX_EXCERPT = 120
#: The most tries of one call-back (the first dial and at most nine retries, see docs/centre-file.md).
MAX_DIALS = 10
#: Times on the bus: Unix seconds up to the last second of the year 9999.
MAX_TIME: Final = 253_402_300_799.0
#: Counts and epochs: whole numbers from 0 to 2**53 (exact in every JSON reader).
MAX_COUNT: Final = 2**53


#: One line of text: no control characters.
_LINE = rf"\A[^{_CONTROL}]*\Z"
#: Several lines of text: no control characters but the newline.
_LINES = rf"\A[^\x00-\x09\x0b-\x1f{_NOT_C0}]*\Z"


#: Call, agent, system, agency, queue, person, case and server ids: 1-64 letters, digits, ``_`` or ``-``.
Id = Annotated[str, msgspec.Meta(pattern=_ID_RE)]
#: A phone number as dialled: an optional ``+``, then digits, spaces and dashes, at most 33 characters.
Number = Annotated[str, msgspec.Meta(pattern=_NUMBER_RE)]
#: A code: channel, status, rule, event, action, tier, priority, role, error code.
Token = Annotated[str, msgspec.Meta(pattern=_TOKEN_RE)]
Extension = Annotated[str, msgspec.Meta(pattern=_EXTENSION_RE)]
#: Keys pressed on a phone (DTMF), together: 1-32 of ``0``-``9``, ``*`` and ``#``.
Keys = Annotated[str, msgspec.Meta(pattern=_DIGITS_RE)]
#: How long the PBX rings a caller it calls back: 1 to 600 seconds.
RingSeconds = Annotated[float, msgspec.Meta(ge=1, le=600)]
#: How long a prompt plays: 0 to an hour, in seconds.
PromptSeconds = Annotated[float, msgspec.Meta(ge=0, le=3600)]
Time = Annotated[float, msgspec.Meta(ge=0, le=MAX_TIME)]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=MAX_TIME)]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
Epoch = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
#: Why something happened (a not-ready reason, a release, a withdrawal): one line of text.
Reason = Annotated[str, msgspec.Meta(max_length=MAX_REASON, pattern=_LINE)]
#: A case form's notes: text of several lines.
Notes = Annotated[str, msgspec.Meta(max_length=MAX_NOTES, pattern=_LINES)]
#: A name, title, e-mail address or other line of text shown to an agent.
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT, pattern=_LINE)]
#: An IVR choice's value (a menu key or a short answer).
IvrValue = Annotated[str, msgspec.Meta(max_length=MAX_IVR_VALUE, pattern=_LINE)]
#: An error's reason, topic and excerpt: one line, masked and cut short (see :func:`refusal`).
ErrorText = Annotated[str, msgspec.Meta(max_length=MAX_ERROR_TEXT, pattern=_LINE)]
#: The IVR choices of a call: at most 16, choice id to value.
Ivr = Annotated[dict[Id, IvrValue], msgspec.Meta(max_length=MAX_IVR_CHOICES)]


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every bus message: a ``type`` tag and the schema version."""

    v: Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)] = SCHEMA_VERSION


# ----------------------------------------------------------------------
# Trunk: callers and the PBX
# ----------------------------------------------------------------------


class Dial(Message, frozen=True, tag="dial"):
    """A caller dials the hotline. The caller side chooses the call id (as SIP does).

    In a centre without an IVR the caller's system choice and agency travel
    with the call as attached data; with an IVR both are None and the caller
    answers the menus.
    """

    call_id: Id
    caller: Number
    dialled: Number
    system: Id | None = None
    agency: Id | None = None
    channel: Token = "voice"
    ivr: Ivr = msgspec.field(default_factory=dict)


class CallerHangUp(Message, frozen=True, tag="caller-hang-up"):
    """The caller puts the phone down."""

    call_id: Id


class CallConnected(Message, frozen=True, tag="call-connected"):
    """PBX -> caller: an agent is on the line."""

    call_id: Id
    agent_id: Id


class CallReleased(Message, frozen=True, tag="call-released"):
    """PBX -> caller: the centre ended the call (``agent``, ``no-agent``, ``after-hours``)."""

    call_id: Id
    reason: Reason


class Dtmf(Message, frozen=True, tag="dtmf"):
    """Caller -> PBX: keys pressed on the phone, together (a menu choice, or a code ending in ``#``)."""

    call_id: Id
    digits: Keys


class PromptPlaying(Message, frozen=True, tag="prompt-playing"):
    """PBX -> caller: a voice prompt starts; it lasts ``seconds``; ``collect``: the caller may key an answer."""

    call_id: Id
    prompt: Id
    language: Token
    seconds: PromptSeconds
    collect: bool


class CallbackRinging(Message, frozen=True, tag="callback-ringing"):
    """PBX -> caller: the centre calls the caller back on this call's id; it rings for ``ring_s``."""

    call_id: Id
    ring_s: RingSeconds


class PickUp(Message, frozen=True, tag="pick-up"):
    """Caller -> PBX: the caller answers the call-back ringing on their phone."""

    call_id: Id


# ----------------------------------------------------------------------
# PBX and server
# ----------------------------------------------------------------------


class NewCall(Message, frozen=True, tag="new-call"):
    """PBX -> server: an inbound call needs routing (``system`` and ``agency`` as attached by the caller, if any)."""

    call_id: Id
    caller: Number
    dialled: Number
    system: Id | None = None
    agency: Id | None = None
    channel: Token = "voice"
    ivr: Ivr = msgspec.field(default_factory=dict)


class CallerHungUp(Message, frozen=True, tag="caller-hung-up"):
    """PBX -> server: the caller's side of the call is gone."""

    call_id: Id


class Ring(Message, frozen=True, tag="ring"):
    """Server -> PBX: ring this agent's extension until ``ring_until``."""

    call_id: Id
    agent_id: Id
    extension: Extension | None
    ring_until: Time
    epoch: Epoch


class StopRinging(Message, frozen=True, tag="stop-ringing"):
    call_id: Id
    agent_id: Id
    epoch: Epoch


class Connect(Message, frozen=True, tag="connect"):
    """Server -> PBX: bridge the caller to the agent who answered."""

    call_id: Id
    agent_id: Id
    epoch: Epoch


class Release(Message, frozen=True, tag="release"):
    """Server -> PBX: end the call and free the line."""

    call_id: Id
    reason: Reason
    epoch: Epoch


class Play(Message, frozen=True, tag="play"):
    """Server -> PBX: play a voice prompt to the caller (in place of any prompt playing).

    ``collect``: the caller may key an answer, also while it plays (barge-in).
    """

    call_id: Id
    prompt: Id
    language: Token
    collect: bool
    epoch: Epoch


class Queue(Message, frozen=True, tag="queue"):
    """Server -> PBX: the menus routed the call to a queue; the line leaves the IVR.

    Any prompt playing stops (no ``prompt-done`` for it) and keys pressed from
    now on go no further: the caller waits for an agent.
    """

    call_id: Id
    epoch: Epoch


class DialOut(Message, frozen=True, tag="dial-out"):
    """Server -> PBX: call the caller back for ``agent_id`` (the ``dial``-th try), ringing ``number`` for ``ring_s``.

    The PBX answers ``outbound-answered`` or ``outbound-failed`` on the call's events topic.
    """

    call_id: Id
    agent_id: Id
    number: Number
    dial: Annotated[int, msgspec.Meta(ge=1, le=MAX_DIALS)]
    ring_s: RingSeconds
    epoch: Epoch


class OutboundAnswered(Message, frozen=True, tag="outbound-answered"):
    """PBX -> server: the caller picked up the call-back; the line waits to be connected to the agent."""

    call_id: Id


class OutboundFailed(Message, frozen=True, tag="outbound-failed"):
    """PBX -> server: the call-back was not answered (``no-answer``, ``busy``: the line is in use, ``rejected``)."""

    call_id: Id
    reason: Token


class PromptDone(Message, frozen=True, tag="prompt-done"):
    """PBX -> server: the prompt played to its end (not when keys or another prompt cut it short).

    ``language``: the ``play``'s, so the end of the Mandarin playback of a prompt is never taken for
    the English one that follows it under the same prompt id.
    """

    call_id: Id
    prompt: Id
    language: Token


class Digits(Message, frozen=True, tag="digits"):
    """PBX -> server: keys the caller pressed, together."""

    call_id: Id
    digits: Keys


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
    notes: Notes = ""
    action: Token = "close"
    escalate_to: Token | None = None
    priority: Token = "normal"


class LinkCaller(Message, frozen=True, tag="link-caller"):
    """Agent -> server: this unknown caller is this directory entry (the number is remembered)."""

    agent_id: Id
    call_id: Id
    person_id: Id


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """The caller's directory entry, as the agent sees it. The national ID is masked."""

    person_id: Id
    name: Text
    agency: Text
    title: Text
    office_phone: Text
    mobile: Text
    email: Text
    national_id: Text
    synthetic: bool


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """One earlier contact of the caller. ``outcome`` is None while it is in progress.

    ``system`` is None for a call that never chose one (it left in the IVR, or after hours).
    """

    call_id: Id
    at: Time
    channel: Token
    system: Id | None
    outcome: Token | None
    agent_id: Id | None
    case_id: Id | None
    disposition: Id | None
    notes: Notes | None


class CaseBrief(msgspec.Struct, frozen=True, kw_only=True):
    case_id: Id
    system: Id
    status: Token
    tier: Token
    owner: Text | None
    priority: Token
    created_at: Time
    due_at: Time


class ScreenPop(msgspec.Struct, frozen=True, kw_only=True):
    """What the agent's screen shows when a call rings (來電彈屏).

    ``profile`` is None for a number not in the directory ("unknown caller");
    ``history`` is the caller's last five contacts, newest first; ``open_cases``
    their open cases other than this call's ``case_id`` (the ten newest, newest
    first, of ``open_cases_total``); ``ivr`` the choices the caller made on the
    way in; ``unknown`` what the centre does not know of the call (``system``:
    it went to the general queue; ``agency``: not one the centre lists, or the
    caller could not give one; ``language``: not one the centre lists), empty as
    a rule; ``language`` the language the caller chose in the IVR (None without an IVR).
    """

    caller: Number
    profile: Profile | None
    history: Annotated[list[Contact], msgspec.Meta(max_length=10)]
    open_cases: Annotated[list[CaseBrief], msgspec.Meta(max_length=10)]
    open_cases_total: Count
    ivr: Ivr
    case_id: Id | None
    unknown: Annotated[list[Token], msgspec.Meta(max_length=3)] = msgspec.field(default_factory=list)
    language: Token | None = None


class Offer(Message, frozen=True, tag="offer"):
    """Server -> agent: a call rings at the agent's seat, with its screen pop.

    ``system`` is None when the caller chose none in the IVR (the general queue);
    ``agency`` when neither the directory nor the caller gave one. ``callback``:
    the caller asked to be called back and has hung up; accepting it has the
    PBX call them back for this agent.
    """

    call_id: Id
    agent_id: Id
    caller: Number
    system: Id | None
    agency: Id | None
    queue: Id
    ring_until: Time
    overflow: bool
    backup: bool
    epoch: Epoch
    case_id: Id | None = None
    pop: ScreenPop | None = None
    callback: bool = False


class OfferWithdrawn(Message, frozen=True, tag="offer-withdrawn"):
    """Server -> agent: stop ringing; the call went elsewhere or the caller left."""

    call_id: Id
    agent_id: Id
    reason: Reason
    epoch: Epoch


class AgentState(Message, frozen=True, tag="agent-state"):
    """Retained on ``agents/{agent}/state``: the agent's state since ``since``."""

    agent_id: Id
    site: Id
    status: Token
    since: Time
    rule: Token
    reason: Reason | None = None
    call_id: Id | None = None
    epoch: Epoch = 0


# ----------------------------------------------------------------------
# Calls, statistics, servers, errors, audit
# ----------------------------------------------------------------------


class CallEvent(Message, frozen=True, tag="call-event"):
    """Server -> all: one step of a call's life (queued, ringing, answered, ended, abandoned)."""

    call_id: Id
    event: Token
    at: Time
    rule: Token
    queue: Id | None = None
    agent_id: Id | None = None


class Stats(Message, frozen=True, tag="stats"):
    """Retained KPI snapshot for consoles, counted from the start of the centre's day."""

    at: Time
    offered: Count
    answered: Count
    abandoned: Count
    interrupted: Count
    answered_in_threshold: Count
    waiting: Count
    longest_wait_s: Seconds
    agents: Annotated[dict[Token, Count], msgspec.Meta(max_length=16)]
    waiting_by_queue: Annotated[dict[Id, Count], msgspec.Meta(max_length=MAX_QUEUES)]
    open_cases: Count = 0
    overdue_cases: Count = 0
    # The IVR: calls in it now; the day's calls that hung up in it, and that came after hours (never offered)
    in_ivr: Count = 0
    ivr_abandoned: Count = 0
    after_hours: Count = 0
    after_hours_callback: Count = 0
    # The post-call survey: callers in it now (the agents are already free)
    in_survey: Count = 0


class ServerStatus(Message, frozen=True, tag="server-status"):
    server_id: Id
    online: bool
    role: Token
    epoch: Epoch


class Leader(Message, frozen=True, tag="leader"):
    server_id: Id
    epoch: Epoch


class Error(Message, frozen=True, tag="error"):
    """Rejected input: a stable ``code``, a human ``reason``, and where it came from."""

    code: Token
    reason: ErrorText
    topic: ErrorText
    excerpt: ErrorText = ""


class Audit(Message, frozen=True, tag="audit"):
    actor: Id
    action: Token
    target: Text
    at: Time


AnyMessage = (
    Dial
    | CallerHangUp
    | CallConnected
    | CallReleased
    | Dtmf
    | PromptPlaying
    | CallbackRinging
    | PickUp
    | NewCall
    | CallerHungUp
    | Ring
    | StopRinging
    | Connect
    | Release
    | Play
    | Queue
    | DialOut
    | OutboundAnswered
    | OutboundFailed
    | PromptDone
    | Digits
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


KIB: Final = 1024

#: What may travel on each kind of topic, and the largest payload accepted there
#: (in bytes, checked before decoding; every message within the field limits fits,
#: even with every character written as a JSON ``\u`` escape). The wildcard level
#: must equal the message's call or agent id.
_ROUTES: Final[dict[tuple[str, ...], tuple[tuple[type[Message], ...], str | None, int]]] = {
    ("trunk", "in"): ((Dial, CallerHangUp, Dtmf, PickUp), None, 16 * KIB),
    ("trunk", "+", "ev"): ((CallConnected, CallReleased, PromptPlaying, CallbackRinging), "call_id", 4 * KIB),
    ("pbx", "in"): ((NewCall,), None, 16 * KIB),
    ("pbx", "+", "ctl"): ((Ring, StopRinging, Connect, Release, Play, Queue, DialOut), "call_id", 4 * KIB),
    ("pbx", "+", "ev"): ((CallerHungUp, PromptDone, Digits, OutboundAnswered, OutboundFailed), "call_id", 4 * KIB),
    ("calls", "+"): ((CallEvent,), "call_id", 4 * KIB),
    ("agents", "+", "cmd"): (
        (Login, Logout, Ready, NotReady, Answer, HangUp, WrapUp, LinkCaller),
        "agent_id",
        32 * KIB,
    ),
    ("agents", "+", "offer"): ((Offer, OfferWithdrawn), "agent_id", 512 * KIB),
    ("agents", "+", "state"): ((AgentState,), "agent_id", 4 * KIB),
    ("stats",): ((Stats,), None, 1024 * KIB),
    ("servers", "+", "status"): ((ServerStatus,), "server_id", 4 * KIB),
    ("leader",): ((Leader,), None, 4 * KIB),
    ("errors",): ((Error,), None, 16 * KIB),
    ("audit",): ((Audit,), None, 8 * KIB),
}

#: The deepest nesting of objects and arrays any message has is 4 (an offer's
#: screen pop's history of contacts); deeper input is refused before decoding.
MAX_DEPTH: Final = 8
#: The longest topic accepted.
MAX_TOPIC: Final = 256


class MessageError(ValueError):
    """Input that is not a valid message for its topic. ``code`` is stable."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(AnyMessage)
_ID = re.compile(_ID_RE)
_BAD_TOPIC_CHAR = re.compile(rf"[{_CONTROL}+#]")


def encode(message: Message) -> bytes:
    return _encoder.encode(message)


def parse(topic: str, payload: bytes) -> Message:
    """The message in ``payload``, received on ``topic``, with every limit checked.

    This is the one gate for input from outside the process (``Bus.publish_raw``,
    the MQTT transport). In order: the topic (well formed, a known kind, a valid
    id in it), the payload's size for that topic, its nesting depth (both before
    decoding), then JSON, every field, the schema version, that the message
    belongs on the topic and names the topic's id. Raises :class:`MessageError`
    with a stable code (``bad-topic``, ``unknown-topic``, ``too-large``,
    ``too-deep``, ``not-json``, ``invalid-message``, ``unsupported-version``,
    ``wrong-topic``, ``id-mismatch``); raises nothing else, whatever the input.
    """
    allowed, id_field, max_bytes = _route(topic)
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise MessageError("not-json", f"the payload is a {type(payload).__name__}, not bytes")
    size = len(payload)
    if size > max_bytes:
        raise MessageError(
            "too-large", f"the payload is {size:,} bytes; at most {max_bytes:,} are accepted on this topic"
        )
    raw = bytes(payload)
    try:
        raw.decode("utf-8")  # the decoder skips an unknown field's name without reading it as text
    except UnicodeDecodeError as exc:
        raise MessageError("not-json", f"the payload is not UTF-8 (byte {exc.start:,})") from None
    _check_depth(raw)
    message = decode(payload)
    _check_route(topic, message, allowed, id_field)
    return message


def decode(payload: bytes | str) -> Message:
    """Decode and validate one message; raises :class:`MessageError` naming the problem."""
    try:
        message: Message = _decoder.decode(payload)
    except msgspec.ValidationError as exc:
        raise MessageError("invalid-message", _plain(str(exc))) from exc
    except (msgspec.DecodeError, RecursionError) as exc:
        raise MessageError("not-json", f"not a JSON message: {exc}") from exc
    if message.v != SCHEMA_VERSION:
        raise MessageError(
            "unsupported-version", f"schema version {message.v} is not supported (expected {SCHEMA_VERSION})"
        )
    return message


def check_topic(topic: str, message: Message) -> None:
    """Raise :class:`MessageError` unless ``message`` belongs on ``topic``."""
    allowed, id_field, _ = _route(topic)
    _check_route(topic, message, allowed, id_field)


def _route(topic: str) -> tuple[tuple[type[Message], ...], str | None, int]:
    if not isinstance(topic, str) or not topic or len(topic) > MAX_TOPIC or _BAD_TOPIC_CHAR.search(topic):
        raise MessageError(
            "bad-topic",
            f"a topic is 1-{MAX_TOPIC} characters with no wildcards ('+', '#') and no control characters",
        )
    levels = topic.split("/")
    if levels[:2] != PREFIX.split("/"):
        raise MessageError("unknown-topic", f"the topic is not under {PREFIX}/")
    rest = levels[2:]
    route = _ROUTES.get(tuple(rest))
    if route is None and len(rest) > 1:
        route = _ROUTES.get((rest[0], "+", *rest[2:]))
        if route is not None and not _ID.search(rest[1]):
            raise MessageError("bad-topic", f"the topic's {route[1]} is not an id (1-{MAX_ID} letters, digits, _ or -)")
    if route is None:
        raise MessageError("unknown-topic", "no messages are defined for that topic")
    return route


def _check_route(topic: str, message: Message, allowed: tuple[type[Message], ...], id_field: str | None) -> None:
    if not isinstance(message, allowed):
        names = ", ".join(sorted(_tag(t) for t in allowed))
        raise MessageError(
            "wrong-topic", f"a {_tag(type(message))!r} message does not belong on {topic!r} (expected {names})"
        )
    if id_field is not None:
        level = topic.split("/")[3]
        if getattr(message, id_field) != level:
            raise MessageError(
                "id-mismatch", f"{id_field} {getattr(message, id_field)!r} does not match the topic's {level!r}"
            )


# Nesting is measured on the brackets outside strings: escapes are dropped
# first (so no quote inside a string ends it), then whole strings, then all but
# brackets; each pass then removes the innermost pairs. Linear in the payload.
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_QUOTED = re.compile(rb'"[^"]*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_PAIR = re.compile(rb"\[\]|\{\}")
_OPENERS = re.compile(rb"[\[{]{%d}" % (MAX_DEPTH + 1))


def _check_depth(payload: bytes) -> None:
    brackets = _QUOTED.sub(b"", _ESCAPE.sub(b"", payload)).translate(None, _NOT_BRACKET)
    for _ in range(MAX_DEPTH):
        if not brackets:
            return
        brackets = _PAIR.sub(b"", brackets)
    if not brackets:
        return
    if _PAIR.search(brackets) or _OPENERS.search(brackets):
        raise MessageError("too-deep", f"objects and arrays are nested deeper than {MAX_DEPTH} levels")
    raise MessageError("not-json", "not a JSON message: brackets do not match")


#: What each pattern means, for error reasons (the decoder names the pattern itself).
_PATTERNS: Final = {
    _ID_RE: f"an id (1-{MAX_ID} letters, digits, '_' or '-', starting with a letter or digit)",
    _NUMBER_RE: "a phone number (an optional '+', then digits, spaces and dashes, at most 33 characters)",
    _TOKEN_RE: f"a code (1-{MAX_TOKEN} lowercase letters, digits or '-', starting with a letter)",
    _EXTENSION_RE: "an extension (1-16 digits)",
    _DIGITS_RE: f"keys pressed (1-{MAX_DIGITS} of 0-9, '*' and '#')",
    _LINE: "one line of text with no control characters",
    _LINES: "text with no control characters but the newline",
}


def _plain(reason: str) -> str:
    for pattern, meaning in _PATTERNS.items():
        reason = reason.replace(f"`str` matching regex {pattern!r}", meaning)
    return reason


def _tag(cls: type[Message]) -> str:
    return str(cls.__struct_config__.tag)


# ----------------------------------------------------------------------
# Refusals
# ----------------------------------------------------------------------

_UNSAFE = re.compile(f"[{_CONTROL}]")


def safe_text(text: str, limit: int = MAX_ERROR_TEXT) -> str:
    """``text`` fit to echo on the errors topic: control characters replaced, personal data masked, cut short."""
    text = mask_text(_UNSAFE.sub("\ufffd", text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt(payload: bytes) -> str:
    """The start of a refused payload, as an error may show it: masked, at most :data:`MAX_EXCERPT` characters."""
    try:
        head = bytes(payload[:1024])
    except (TypeError, ValueError):
        return ""
    # Escapes decoded, and what cannot be shown dropped (not replaced), so a number split by either is still masked.
    text = _UNSAFE.sub("", _unescape(head.decode("utf-8", "replace"))).replace("\ufffd", "")
    return safe_text(text, MAX_EXCERPT)


_JSON_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")


def _unescape(text: str) -> str:
    """JSON's ``\\uXXXX`` escapes read as the characters they stand for, so masking sees what the sender wrote."""
    if "\\u" not in text:
        return text
    decoded = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # pairs joined, lone ones replaced


def refusal(code: str, reason: str, topic: object, payload: bytes = b"") -> Error:
    """The :class:`Error` that answers refused input; every text in it is safe to show (:func:`safe_text`)."""
    return Error(
        code=code,
        reason=safe_text(reason),
        topic=safe_text(topic if isinstance(topic, str) else repr(topic)),
        excerpt=excerpt(payload) if payload else "",
    )
