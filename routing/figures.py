"""The centre's figures, defined once for the live centre, its demo and the simulator.

Definitions (every ratio is a fraction, not a percentage; ``None`` when its
denominator is zero):

* **offered**: calls that entered a queue.
* **wait**: queue entry to answer, ringing included.
* **answered**: offered calls an agent answered.
* **abandoned**: offered calls that ended unanswered: the caller hung up
  while queued or ringing (or, with no voice agent logged in at all, the
  centre gave up on the call, or a call-back's last dial went unanswered).
* **interrupted**: offered calls cut off by a server stop; closed at restart.
* **answer rate** = answered ÷ offered.
* **service level** = calls answered within ``service_level_seconds`` of wait
  ÷ offered (abandoned calls count against it).
* **ASA** (average speed of answer) = mean wait of answered calls, zero waits
  included.
* **AHT** (average handle time) = mean of talk + hold + wrap-up over answered
  calls whose wrap-up ended.
* **occupancy** = time on calls and in wrap-up ÷ time logged in and not in
  not-ready (ringing, ready and reject-delay time count as available). Per
  system: time on that system's calls ÷ the available time of the agents
  skilled for it.

So offered = answered + abandoned + interrupted.

Call-backs that keep their place (:func:`callback_figures`, from
:class:`CallbackFacts`): a call-back request is a call already offered (it
entered a queue before the caller asked), so it counts once in offered. It
counts as answered when the caller answers the call-back, its wait running
from queue entry to that answer (so for service level and ASA a call-back
counts against the threshold with the caller's whole wait, on the line and
off it); a call-back whose last dial went unanswered is abandoned.

* **call-backs requested**: calls whose caller asked to be called back;
* **completed**: of those, answered by the caller (outcome ``answered``);
* **failed**: of those, ended after the last unanswered dial (``callback-failed``);
* **other**: of those, neither (withdrawn, given up with no agent, cut off, or still in progress);
* **call-back wait**: from the request to the agent's answer (the agent
  accepting the offer of the dial the caller answered), over completed call-backs;
* **dials**: call-back dials made, over all requests.

Per agent (:class:`AgentFigures`), from the call journal and the agent's
state changes:

* **offers**: times the agent's phone rang with a call;
* **answered**: calls the agent answered that ended answered (not interrupted);
* **missed offers**: offers that rang out (ring-no-answer) or that the agent
  declined by going not-ready or logging out while it rang; an offer
  withdrawn because the caller hung up is not missed;
* **backup-seat calls**: answered calls that rang the agent as a backup seat;
* **logged-in**, **not-ready**, **talk** and **wrap-up** time: the agent's
  time in those states;
* **occupancy** = talk + wrap-up ÷ logged in and not in not-ready, as for the
  centre (so a site's occupancy is its agents' pooled).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

ANSWERED = "answered"
CALLBACK_FAILED = "callback-failed"
ABANDONED_OUTCOMES = frozenset({"abandoned", "no-agent", CALLBACK_FAILED})
INTERRUPTED = "interrupted"
TALKING, WRAP_UP, NOT_READY, LOGGED_OUT = "talking", "wrap-up", "not-ready", "logged-out"
BUSY_STATES = frozenset({TALKING, WRAP_UP})
AWAY_STATES = frozenset({NOT_READY, LOGGED_OUT})


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the figures need of one call. Times are on one clock, in seconds."""

    system: str
    outcome: str | None
    offered_at: float | None
    answered_at: float | None = None
    ended_at: float | None = None
    wrap_up_end_at: float | None = None
    site: str | None = None
    hold_s: float = 0.0

    @property
    def wait_s(self) -> float | None:
        if self.offered_at is None or self.answered_at is None:
            return None
        return self.answered_at - self.offered_at

    @property
    def handle_s(self) -> float | None:
        """Talk + hold + wrap-up, once wrap-up has ended."""
        if self.answered_at is None or self.ended_at is None or self.wrap_up_end_at is None:
            return None
        return (self.ended_at - self.answered_at) + self.hold_s + (self.wrap_up_end_at - self.ended_at)

    @property
    def busy_s(self) -> float:
        """Agent time spent on the call: talk (hold included) and wrap-up, as far as known."""
        if self.answered_at is None or self.ended_at is None:
            return 0.0
        end = self.wrap_up_end_at if self.wrap_up_end_at is not None else self.ended_at
        return end - self.answered_at


@dataclass(frozen=True, slots=True)
class AgentTime:
    """One agent's time: ``available_s`` logged in and not in not-ready; ``busy_s`` talking or in wrap-up.

    ``logged_in_s``, ``not_ready_s``, ``talk_s`` and ``wrap_up_s`` break it down
    (``busy_s`` = ``talk_s`` + ``wrap_up_s``).
    """

    agent_id: str
    site: str
    systems: frozenset[str]
    available_s: float
    busy_s: float
    logged_in_s: float = 0.0
    not_ready_s: float = 0.0
    talk_s: float = 0.0
    wrap_up_s: float = 0.0


@dataclass(frozen=True, slots=True)
class OfferFacts:
    """One offer of a call to an agent, as the journal closed it."""

    agent_id: str
    #: The agent rang as a backup seat brought in by the queue length.
    backup: bool = False
    #: The agent answered it and the call ended answered.
    answered: bool = False
    #: It rang out, or the agent went not-ready or logged out while it rang.
    missed: bool = False


@dataclass(frozen=True, slots=True)
class AgentFigures:
    """One agent's figures for a run (see the module's definitions)."""

    agent_id: str
    site_id: str
    backup_seat: bool
    offers: int
    answered: int
    missed_offers: int
    backup_seat_calls: int
    logged_in_s: float
    not_ready_s: float
    talk_s: float
    wrap_up_s: float
    occupancy: float | None


@dataclass(frozen=True, slots=True)
class Figures:
    offered: int
    answered: int
    abandoned: int
    answer_rate: float | None
    service_level: float | None
    asa_s: float | None
    aht_s: float | None
    occupancy: float | None


@dataclass(frozen=True, slots=True)
class SiteFigures:
    """Calls answered at a site, and the occupancy of its agents."""

    answered: int
    asa_s: float | None
    aht_s: float | None
    occupancy: float | None


@dataclass(frozen=True, slots=True)
class Summary:
    total: Figures
    by_system: Mapping[str, Figures]
    by_site: Mapping[str, SiteFigures]
    interrupted: int
    by_agent: Sequence[AgentFigures] = ()

    def as_dict(self) -> dict[str, object]:
        """The figures as plain data: totals at the top, then ``by_system``, ``by_site`` and ``by_agent``."""
        return {
            **asdict(self.total),
            "by_system": {k: asdict(v) for k, v in self.by_system.items()},
            "by_site": {k: asdict(v) for k, v in self.by_site.items()},
            "by_agent": [asdict(a) for a in self.by_agent],
        }


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def figures(calls: Iterable[CallFacts], threshold_s: float, occupancy: float | None) -> Figures:
    """Figures of a set of calls (``occupancy`` is computed separately, from agent time)."""
    offered = answered = abandoned = in_threshold = 0
    waits: list[float] = []
    handles: list[float] = []
    for c in calls:
        if c.offered_at is None:
            continue
        offered += 1
        if c.outcome == ANSWERED:
            answered += 1
            wait = c.wait_s
            assert wait is not None, "an answered call has an answer time"
            waits.append(wait)
            if wait <= threshold_s:
                in_threshold += 1
            handle = c.handle_s
            if handle is not None:
                handles.append(handle)
        elif c.outcome in ABANDONED_OUTCOMES:
            abandoned += 1
    return Figures(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        answer_rate=_ratio(answered, offered),
        service_level=_ratio(in_threshold, offered),
        asa_s=_mean(waits),
        aht_s=_mean(handles),
        occupancy=occupancy,
    )


def agent_time(
    states: Iterable[tuple[str, str, float, str]], systems: Mapping[str, frozenset[str]], end: float
) -> list[AgentTime]:
    """Each agent's available and busy time from its state changes ``(agent, site, at, status)``, in time order.

    A state lasts until the agent's next change, or until ``end``.
    """
    last: dict[str, tuple[str, float, str]] = {}
    available: dict[str, float] = {}
    busy: dict[str, float] = {}
    spent: dict[tuple[str, str], float] = {}  # (agent, status) -> seconds

    def close(agent: str, until: float) -> None:
        _, since, status = last[agent]
        span = until - since
        if status not in AWAY_STATES:
            available[agent] = available.get(agent, 0.0) + span
        if status in BUSY_STATES:
            busy[agent] = busy.get(agent, 0.0) + span
        spent[agent, status] = spent.get((agent, status), 0.0) + span

    for agent, site, at, status in states:
        if agent in last:
            close(agent, at)
        last[agent] = (site, at, status)
    for agent in last:
        close(agent, max(end, last[agent][1]))
    return [
        AgentTime(
            a,
            last[a][0],
            systems.get(a, frozenset()),
            available.get(a, 0.0),
            busy.get(a, 0.0),
            logged_in_s=sum(v for (who, status), v in spent.items() if who == a and status != LOGGED_OUT),
            not_ready_s=spent.get((a, NOT_READY), 0.0),
            talk_s=spent.get((a, TALKING), 0.0),
            wrap_up_s=spent.get((a, WRAP_UP), 0.0),
        )
        for a in sorted(last)
    ]


def agent_figures(
    agents: Iterable[AgentTime], offers: Iterable[OfferFacts], backup_seats: Iterable[str] = ()
) -> list[AgentFigures]:
    """Each agent's figures from their time and the offers the journal records, in the order of ``agents``."""
    backup = frozenset(backup_seats)
    counts: dict[str, list[int]] = {}  # agent -> [offers, answered, missed, backup-seat calls]
    for o in offers:
        c = counts.setdefault(o.agent_id, [0, 0, 0, 0])
        c[0] += 1
        c[1] += o.answered
        c[2] += o.missed
        c[3] += o.answered and o.backup
    out = []
    for a in agents:
        n_offers, answered, missed, backup_calls = counts.get(a.agent_id, [0, 0, 0, 0])
        out.append(
            AgentFigures(
                agent_id=a.agent_id,
                site_id=a.site,
                backup_seat=a.agent_id in backup,
                offers=n_offers,
                answered=answered,
                missed_offers=missed,
                backup_seat_calls=backup_calls,
                logged_in_s=a.logged_in_s,
                not_ready_s=a.not_ready_s,
                talk_s=a.talk_s,
                wrap_up_s=a.wrap_up_s,
                occupancy=_ratio(a.busy_s, a.available_s),
            )
        )
    return out


def summarize(
    calls: Iterable[CallFacts],
    agents: Iterable[AgentTime],
    threshold_s: float,
    *,
    systems: Iterable[str],
    sites: Iterable[str],
    offers: Iterable[OfferFacts] = (),
    backup_seats: Iterable[str] = (),
) -> Summary:
    """Totals, per system and per site (listed in the order given, every one present), and per agent
    (every agent with time, in id order)."""
    calls = [c for c in calls if c.offered_at is not None]
    agents = list(agents)
    total_available = sum(a.available_s for a in agents)
    total_busy = sum(a.busy_s for a in agents)
    by_system: dict[str, Figures] = {}
    for system in systems:
        mine = [c for c in calls if c.system == system]
        available = sum(a.available_s for a in agents if system in a.systems)
        by_system[system] = figures(mine, threshold_s, _ratio(sum(c.busy_s for c in mine), available))
    by_site: dict[str, SiteFigures] = {}
    for site in sites:
        answered_here = [c for c in calls if c.site == site and c.outcome == ANSWERED]
        team = [a for a in agents if a.site == site]
        waits = [c.wait_s for c in answered_here if c.wait_s is not None]
        handles = [h for c in answered_here if (h := c.handle_s) is not None]
        by_site[site] = SiteFigures(
            answered=len(answered_here),
            asa_s=_mean(waits),
            aht_s=_mean(handles),
            occupancy=_ratio(sum(a.busy_s for a in team), sum(a.available_s for a in team)),
        )
    return Summary(
        total=figures(calls, threshold_s, _ratio(total_busy, total_available)),
        by_system=by_system,
        by_site=by_site,
        interrupted=sum(1 for c in calls if c.outcome == INTERRUPTED),
        by_agent=agent_figures(agents, offers, backup_seats),
    )


@dataclass(frozen=True, slots=True)
class CallbackFacts:
    """What the call-back figures need of one call whose caller asked to be called back (times on one clock)."""

    requested_at: float
    outcome: str | None
    accepted_at: float | None
    """When an agent last accepted the call-back's offer (for a completed call-back: the dial answered)."""
    dials: int


@dataclass(frozen=True, slots=True)
class CallbackFigures:
    """Call-backs keeping their place: see the module's definitions."""

    requested: int
    completed: int
    failed: int
    other: int
    dials: int
    mean_wait_s: float | None
    max_wait_s: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def callback_figures(callbacks: Iterable[CallbackFacts]) -> CallbackFigures:
    """Requested, completed and failed call-backs, their dials, and the waits of the completed ones."""
    requested = completed = failed = dials = 0
    waits: list[float] = []
    for c in callbacks:
        requested += 1
        dials += c.dials
        if c.outcome == ANSWERED:
            completed += 1
            if c.accepted_at is not None:
                waits.append(max(0.0, c.accepted_at - c.requested_at))
        elif c.outcome == CALLBACK_FAILED:
            failed += 1
    return CallbackFigures(
        requested=requested,
        completed=completed,
        failed=failed,
        other=requested - completed - failed,
        dials=dials,
        mean_wait_s=_mean(waits),
        max_wait_s=max(waits) if waits else None,
    )
