"""Test kit for the routing core: centre builders and a brute-force oracle.

The oracle re-derives every rule from the plain fields of agents and calls,
without the router's indexes, so it can check the router's fast answers.
:class:`CheckedRouter` asks it before every offer and after every step.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any

from routing.agent import AgentState, AgentStatus
from routing.call import CallState, CallStatus
from routing.centre import (
    DEFAULT_LANGUAGES,
    GENERAL_QUEUE,
    Agency,
    AgencyGroup,
    AgentProfile,
    Centre,
    CentreInfo,
    Language,
    RoutingRules,
    Site,
    System,
)
from routing.commands import Command, OfferCall
from routing.events import AgentLoggedIn, Event
from routing.router import Router


class InvariantBroken(AssertionError):
    """The router broke one of its "never" rules."""


# ----------------------------------------------------------------------
# Builders
# ----------------------------------------------------------------------


def agent(
    agent_id: str,
    site: str = "nantou",
    skills: Mapping[str, int] | None = None,
    *,
    backup: bool = False,
    channels: Sequence[str] = ("voice",),
    languages: Sequence[str] = (),
) -> AgentProfile:
    """An agent profile with sensible defaults (voice, Nantou, WebHR level 3, the centre's first language)."""
    return AgentProfile(
        agent_id,
        f"Agent {agent_id}",
        site,
        tuple(channels),  # type: ignore[arg-type]
        backup,
        {"webhr": 3} if skills is None else dict(skills),
        languages=tuple(languages),
    )


def agency(agency_id: str, *, prefer_site: str | None = None, priority: int = 0, code: str | None = None) -> Agency:
    return Agency(agency_id, f"Agency {agency_id}", AgencyGroup.CENTRAL, prefer_site, priority, code)


def centre(
    agents: Iterable[AgentProfile],
    *,
    systems: Sequence[str] = ("webhr", "pemis2k", "ecpa"),
    agencies: Iterable[Agency] = (),
    sites: Sequence[str] = ("nantou", "taipei"),
    languages: Sequence[str] = (),
    **rules: Any,
) -> Centre:
    """A small centre for tests; ``rules`` override :class:`RoutingRules` fields.

    ``languages`` lists language ids (the first is the default); none: the
    default (``zh`` alone).
    """
    return Centre(
        CentreInfo("Test centre"),
        tuple(Site(s, s.title()) for s in sites),
        tuple(System(s, s.upper()) for s in systems),
        tuple(agencies),
        tuple(agents),
        RoutingRules(**rules),
        languages=tuple(Language(lang, lang.upper()) for lang in languages) or DEFAULT_LANGUAGES,
    )


# ----------------------------------------------------------------------
# The oracle
# ----------------------------------------------------------------------


def _serves(a: AgentState, queue: str) -> bool:
    return a.voice and (queue == GENERAL_QUEUE or queue in a.profile.skills)


def required_language(router: Router, call: CallState) -> str | None:
    """The language an agent must speak to take ``call``, derived from the caller's language.

    A language the centre does not list requires nothing. In a system's queue
    the caller's language always holds; in the general queue the no-agent rule
    may have dropped it, which the router records as ``need`` being ``None``.
    """
    language = call.language
    if language is None or all(lang.id != language for lang in router.centre.languages):
        return None
    if call.queue == GENERAL_QUEUE and call.need is None:
        return None
    return language


def _fits(a: AgentState, queue: str, language: str | None) -> bool:
    return _serves(a, queue) and (language is None or language in a.profile.languages)


def _logged_in_at(router: Router, site: str, queue: str, language: str | None) -> bool:
    return any(
        a.status is not AgentStatus.LOGGED_OUT and a.site == site and _fits(a, queue, language)
        for a in router.agents.values()
    )


def open_to(router: Router, a: AgentState, call: CallState) -> bool:
    """Whether a waiting call is open to this agent, whatever the agent's own state and backup flag."""
    language = required_language(router, call)
    if call.status is not CallStatus.QUEUED or not _fits(a, call.queue, language):
        return False
    site = call.prefer_site
    if site is None or site == a.site:
        return True
    in_window = call.entered_at + router.rules.overflow_after_s > router.now
    return not (in_window and _logged_in_at(router, site, call.queue, language))


def eligible(router: Router, a: AgentState, call: CallState) -> bool:
    """The eligibility rules, re-derived from scratch (see :mod:`routing.router`)."""
    if a.status is not AgentStatus.READY or not open_to(router, a, call):
        return False
    if a.backup:
        waiting = sum(1 for c in router.calls.values() if open_to(router, a, c))
        return waiting >= router.rules.backup_seat_when_waiting
    return True


def check_state(router: Router) -> None:
    """Check every "never" that can be seen in a state; raise :class:`InvariantBroken`."""
    for a in router.agents.values():
        if a.status in (AgentStatus.RINGING, AgentStatus.TALKING):
            call = router.calls.get(a.call or "")
            if call is None or call.agent != a.id:
                raise InvariantBroken(f"{a.id} is {a.status} with call {a.call}, which is not with it")
            expected = (
                (CallStatus.RINGING,)
                if a.status is AgentStatus.RINGING
                else (CallStatus.TALKING, CallStatus.DIALLING)  # dialling a call-back keeps the agent busy
            )
            if call.status not in expected:
                raise InvariantBroken(f"{a.id} is {a.status} but {call.id} is {call.status}")
        elif a.call is not None:
            raise InvariantBroken(f"{a.id} is {a.status} yet holds call {a.call}")
    queued = 0
    voice = [a.profile for a in router.agents.values() if a.voice]
    listed = {lang.id for lang in router.centre.languages}
    for c in router.calls.values():
        if c.need is not None and c.need != c.language:
            raise InvariantBroken(f"call {c.id} in {c.language!r} requires {c.need!r}")
        # In a system's queue a language some voice agent does not speak is never dropped.
        restricts = c.language in listed and any(c.language not in p.languages for p in voice)
        if c.queue != GENERAL_QUEUE and restricts and c.need != c.language:
            raise InvariantBroken(f"call {c.id} waits in {c.queue} without its language {c.language!r}")
        if not c.callback and c.status in (CallStatus.DIALLING, CallStatus.RETRY_WAIT):
            raise InvariantBroken(f"call {c.id} is {c.status} but is not a call-back request")
        if c.callback and (c.callback_at is None or c.callback_at < c.entered_at or c.tries_left < 0):
            raise InvariantBroken(f"call-back {c.id} lost its request time or counts negative tries")
        if c.status is CallStatus.QUEUED:
            queued += 1
            if c.agent is not None:
                raise InvariantBroken(f"queued call {c.id} names agent {c.agent}")
        elif c.status is CallStatus.RETRY_WAIT:
            # Out of the queue until its retry delay is over, held by nobody, due back at a set time.
            if c.agent is not None or c.retry_at is None or c.retry_at < router.now:
                raise InvariantBroken(f"call-back {c.id} waiting to retry is held or overdue")
        else:
            holder = router.agents.get(c.agent or "")
            if holder is None or holder.call != c.id:
                raise InvariantBroken(f"{c.status} call {c.id} is not held by its agent {c.agent}")
    if queued != len(router.waiting):
        raise InvariantBroken(f"{queued} calls queued but the queue index holds {len(router.waiting)}")
    for a in router.agents.values():
        if a.status is not AgentStatus.READY:
            continue
        for c in router.calls.values():
            if eligible(router, a, c):
                raise InvariantBroken(f"call {c.id} waits while eligible agent {a.id} is ready")


class CheckedRouter(Router):
    """A :class:`Router` that checks itself against the oracle at every offer and step."""

    offers_checked = 0

    def _offer(self, call: CallState, agent: AgentState, rule: Any) -> None:
        if not eligible(self, agent, call):
            raise InvariantBroken(f"offer of {call.id} to {agent.id}, who is not eligible for it")
        for other in self.calls.values():
            if other is not call and eligible(self, agent, other) and other.order_key < call.order_key:
                raise InvariantBroken(f"{agent.id} offered {call.id} before {other.id}, which comes first")
        self.offers_checked += 1
        super()._offer(call, agent, rule)

    def apply(self, event: Event, now: float) -> list[Command]:
        out = super().apply(event, now)
        check_state(self)
        return out

    def advance(self, now: float) -> list[Command]:
        out = super().advance(now)
        check_state(self)
        return out


class Harness:
    """Drives a :class:`CheckedRouter` through a script of timed events and keeps every command."""

    def __init__(self, centre_: Centre, rng: Any = None) -> None:
        self.router = CheckedRouter(centre_, rng=rng)
        self.log: list[tuple[float, Command]] = []

    def at(self, now: float, *events: Event) -> list[Command]:
        """Advance to ``now`` and apply ``events`` in order; return the commands of this call."""
        out = self.router.advance(now)
        for event in events:
            out += self.router.apply(event, now)
        self.log += [(now, c) for c in out]
        return out

    def login(self, *agent_ids: str, now: float = 0.0) -> None:
        self.at(now, *(AgentLoggedIn(a) for a in agent_ids))

    def offers(self, since: float = float("-inf")) -> list[tuple[str, str]]:
        """(call, agent) of every offer made at or after ``since``, in order."""
        return [(c.call_id, c.agent_id) for t, c in self.log if isinstance(c, OfferCall) and t >= since]

    def status(self, agent_id: str) -> AgentStatus:
        return self.router.agents[agent_id].status


# ----------------------------------------------------------------------
# Snapshots
# ----------------------------------------------------------------------

#: Router fields that are configuration, not state: they never change.
_CONFIGURATION = frozenset(
    {"centre", "rules", "_systems", "_agencies", "_sites", "_strategy_rule", "_languages", "_restricting"}
)


def snapshot(router: Router) -> Any:
    """The router's whole state as plain values, for comparing before and after a step.

    Every field of the router and of what it holds (calls, agents, the queue and
    ready indexes, timers, staffing counts, sequence numbers, the clock, the
    random generator's state) is walked, in its own order, so any change —
    even a reordering — shows. Configuration is left out.
    """
    fields = _fields(router)
    return tuple((name, _plain(value)) for name, value in fields if name not in _CONFIGURATION)


def _fields(obj: Any) -> list[tuple[str, Any]]:
    names: list[str] = []
    for cls in type(obj).__mro__:
        names.extend(s for s in getattr(cls, "__slots__", ()) if s not in names)
    found = [(n, getattr(obj, n)) for n in names if hasattr(obj, n)]
    return found + sorted(getattr(obj, "__dict__", {}).items())


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Enum):
        return (type(value).__name__, value.value)
    if isinstance(value, dict):
        return ("dict", tuple((_plain(k), _plain(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | deque):
        return (type(value).__name__, tuple(_plain(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted(repr(_plain(v)) for v in value)))
    getstate = getattr(value, "getstate", None)
    if callable(getstate):  # a random generator: its state (625 numbers), hashed
        return ("rng", hash(getstate()))
    params = getattr(type(value), "__dataclass_params__", None)
    if params is not None and params.frozen:
        return (type(value).__name__, repr(value))  # configuration held by the state (an agent's profile)
    return (type(value).__name__, tuple((n, _plain(v)) for n, v in _fields(value)))
