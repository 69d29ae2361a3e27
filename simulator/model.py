"""The SimPy model of the centre: simulated callers and agents around the real router.

Every routing decision is the :class:`routing.Router`'s, the same object the
live server drives; the model only plays the world around it in simulated
time. Callers arrive (drawn by :mod:`simulator.arrivals`), wait with their
patience, hang up or are answered; agents log in and out by their shifts,
take breaks, answer an offer after ``ring_delay_s``, talk, and sit through the
router's wrap-up. The router's own timers (ring timeout, wrap-up, overflow
windows) run when :meth:`Router.next_timer_at` says.

What is kept per call and per interval is what the figures need
(:mod:`simulator.results` turns it into figures).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import simpy

from routing.agent import AgentStatus
from routing.call import CallStatus
from routing.centre import GENERAL_QUEUE, Centre
from routing.commands import ConnectCall, EndCall, OfferCall, QueueCall, Rule, SetAgentState
from routing.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CallAnswered,
    CallArrived,
    CallHungUp,
    Event,
)
from routing.router import Router
from simulator.arrivals import Arrivals, replication_rng, sample
from simulator.scenario import DAY_S, Scenario

ANSWERED, ABANDONED, NO_AGENT, UNFINISHED = 1, 2, 3, 0
#: States in which an agent is not available (occupancy's denominator leaves them out).
_AWAY = frozenset({AgentStatus.NOT_READY.value, AgentStatus.LOGGED_OUT.value})
_ON, _BREAK, _OFF = "on", "break", "off"
#: At the same instant: a shift ends, then one starts, then a break starts (a break at the
#: start of a shift begins once the agent has logged in).
_RANK = {_OFF: 0, _ON: 1, _BREAK: 2}


@dataclass(frozen=True, slots=True)
class Duty:
    """When each agent is on duty in a day: spans and breaks, in seconds of the day."""

    spans: dict[str, list[tuple[float, float]]]
    breaks: dict[str, list[tuple[float, float]]]

    @classmethod
    def from_scenario(cls, scenario: Scenario, centre: Centre) -> Duty:
        """The scenario's shifts; without any, every voice agent works from open to close."""
        spans: dict[str, list[tuple[float, float]]] = {}
        breaks: dict[str, list[tuple[float, float]]] = {}
        present = {a.id for a in centre.agents}  # a what-if may have taken agents out
        if not scenario.shifts:
            for a in centre.agents:
                if a.voice:
                    spans[a.id] = [(scenario.open_s, scenario.close_s)]
            return cls(spans, breaks)
        for shift in scenario.shifts:
            for agent in shift.agents:
                if agent not in present:
                    continue
                spans[agent] = [(shift.start_s, shift.end_s)]
                breaks[agent] = [(b.start_s, min(shift.end_s, b.start_s + b.minutes * 60)) for b in shift.breaks]
        return cls(spans, breaks)

    @classmethod
    def from_plan(cls, scenario: Scenario, staff: dict[str, list[list[str]]]) -> Duty:
        """A staffing plan: ``staff[site][k]`` lists the agents on in interval ``k``."""
        spans: dict[str, list[tuple[float, float]]] = {}
        starts = scenario.interval_starts
        for per_interval in staff.values():
            for k, agents in enumerate(per_interval):
                start = starts[k]
                end = min(start + scenario.interval_s, scenario.close_s)
                for agent in agents:
                    mine = spans.setdefault(agent, [])
                    if mine and mine[-1][1] == start:
                        mine[-1] = (mine[-1][0], end)
                    else:
                        mine.append((start, end))
        return cls(spans, {})


@dataclass(slots=True)
class RunRecord:
    """What one replication leaves behind, as arrays for :mod:`simulator.results`."""

    arrived: np.ndarray
    system: np.ndarray
    agency: np.ndarray
    outcome: np.ndarray
    answered_at: np.ndarray  # nan if not answered
    site: np.ndarray  # index of the answering agent's site, -1 if none
    handle: np.ndarray  # talk + wrap-up, nan if not answered
    redial: np.ndarray  # bool: a caller ringing again after giving up
    waited: np.ndarray  # bool: no agent was offered the call when it arrived: it queued
    #: (sites, intervals): seconds available (logged in, not in not-ready) and busy (talking or wrap-up).
    available: np.ndarray
    busy: np.ndarray
    #: (systems + 1, intervals): integral of the number of calls waiting (queued, not ringing); the last row is
    #: the general queue's calls that chose no system (a replayed day's, system index -1).
    queue_area: np.ndarray
    #: (intervals,): seconds of each interval counted in the statistics (over all days, warm-up excluded).
    exposure: np.ndarray
    end_time: float


class CentreModel:
    """One replication: the router, the simulated world, and the records."""

    def __init__(
        self,
        centre: Centre,
        scenario: Scenario,
        arrivals: Arrivals,
        duty: Duty,
        replication: int,
        *,
        ring_delay_s: float | None = None,
    ) -> None:
        self.centre = centre
        self.scenario = scenario
        self.duty = duty
        self.env = simpy.Environment(initial_time=scenario.open_s)
        self.router = Router(centre, rng=random.Random(f"{scenario.seed}/{replication}/router"), now=scenario.open_s)
        self.ring_delay = scenario.ring_delay_s if ring_delay_s is None else ring_delay_s
        self.wrap_up = centre.routing.wrap_up_s
        self.systems = [s.id for s in centre.systems]
        self.agencies = [a.id for a in centre.agencies]
        self.sites = [s.id for s in centre.sites]
        site_index = {s: i for i, s in enumerate(self.sites)}
        self.agent_site = {a.id: site_index[a.site] for a in centre.agents}
        self.redial_rng = replication_rng(scenario.seed, replication, 1)
        self.redial_p = scenario.redial_probability
        # Calls: parallel lists indexed by the call's number (its id is str(number)).
        n = len(arrivals)
        self.arrived: list[float] = arrivals.times.tolist()
        self.system: list[int] = arrivals.systems.tolist()
        self.agency: list[int] = arrivals.agencies.tolist()
        self.talk: list[float] = arrivals.talk.tolist()
        self.patience: list[float] = arrivals.patience.tolist()
        self.outcome = [UNFINISHED] * n
        self.answered_at = [math.nan] * n
        self.site = [-1] * n
        self.redial = [False] * n
        self.waited = [False] * n
        self.queued_since: dict[int, float] = {}
        self.offer_seq: dict[int, int] = {}
        # Spans of time, spread over the intervals when the run is over:
        # calls waiting (start, end, system) and agents available (start, end, site).
        self.queue_spans: tuple[list[float], list[float], list[int]] = ([], [], [])
        self.available_spans: tuple[list[float], list[float], list[int]] = ([], [], [])
        #: Agents logged in and not in not-ready, since when.
        self.available_since: dict[str, float] = {}
        self.want: dict[str, str] = {}
        self.not_on: set[str] = set()
        # Intervals
        self.k = scenario.intervals_per_day
        self.n_callers = n
        self.next_caller = 0
        #: When the router next has a live timer due (as of the last look), so
        #: that ``advance`` is called only when something is due.
        self.next_due = math.inf
        self.stats_from = scenario.open_s + scenario.warmup_s
        #: Agents whose state changed in a way their shift may want to follow up.
        self.pending: list[str] = []
        #: Offers to answer at once (no ring delay): (call, agent, offer number).
        self.answer_now: list[tuple[int, str, int]] = []
        #: Callers ringing at an agent, whose patience timer is not set (see ``_arrive``).
        self.unarmed: set[int] = set()
        self.ring_timeout = centre.routing.ring_timeout_s

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------

    def run(self) -> RunRecord:
        env = self.env
        if self.n_callers:
            env.timeout(self.arrived[0] - env.now).callbacks.append(self._next_caller)
        env.process(self._shifts())
        self._loop()
        end = max(env.now, self.router.now)
        for agent, since in self.available_since.items():
            self._span(self.available_spans, since, end, self.agent_site[agent])
        answered_at = np.array(self.answered_at)
        handle = np.where(np.isnan(answered_at), np.nan, np.array(self.talk) + self.wrap_up)
        site = np.array(self.site, dtype=np.int64)
        answered = ~np.isnan(answered_at)
        n_sites = len(self.sites)
        return RunRecord(
            arrived=np.array(self.arrived),
            system=np.array(self.system, dtype=np.int64),
            agency=np.array(self.agency, dtype=np.int64),
            outcome=np.array(self.outcome, dtype=np.int64),
            answered_at=answered_at,
            site=site,
            handle=handle,
            redial=np.array(self.redial, dtype=bool),
            waited=np.array(self.waited, dtype=bool),
            available=self.spread(*self.available_spans, n_sites),
            # an agent is busy from the answer to the end of wrap-up, exactly the call's handle time
            busy=self.spread(answered_at[answered], (answered_at + handle)[answered], site[answered], n_sites),
            queue_area=self.spread(*self.queue_spans, len(self.systems) + 1),
            exposure=self._exposure(),
            end_time=end,
        )

    def _exposure(self) -> np.ndarray:
        s = self.scenario
        out = np.zeros(self.k)
        for k, start in enumerate(s.interval_starts):
            end = min(start + s.interval_s, s.close_s)
            out[k] = max(0.0, end - max(start, self.stats_from)) * s.days
        return out

    def _loop(self) -> None:
        """Step SimPy's events, running the router's timers in between, each at its own time.

        The router's timers are not SimPy events: most of them (a ring timeout
        after the answer, say) are stale by the time they come due, and
        scheduling each one would cost an event for nothing. Before every
        SimPy step the router's next live timer is compared with SimPy's next
        event and run first if it is due first.
        """
        env = self.env
        router = self.router
        inf = math.inf
        while True:
            upcoming = env.peek()
            due = self.next_due
            if due <= upcoming and due != inf:
                now = max(due, router.now)
                self._carry(router.advance(now), now)
                if self.answer_now or self.pending:
                    self._follow_up(now)
                self._arm()
                continue
            if upcoming == inf:
                return
            env.step()

    def _at(self, when: float, callback: Any) -> None:
        """Call ``callback`` at simulated time ``when`` (the router may be ahead of SimPy's clock)."""
        self.env.timeout(when - self.env.now).callbacks.append(callback)

    def _apply(self, event: Event) -> None:
        router = self.router
        now = self.env.now
        now = max(now, router.now)
        if self.next_due <= now:
            self._carry(router.advance(now), now)
        self._carry(router.apply(event, now), now)
        if self.answer_now or self.pending:
            self._follow_up(now)
        self._arm()

    def _follow_up(self, now: float) -> None:
        """Agents following their shift, then answers at once (no ring delay).

        Shift changes come first: an agent whose break is due and who was just
        offered the next call declines it (it goes back to its place) instead
        of answering and working through the break.
        """
        router = self.router
        while self.answer_now or self.pending:
            event: Event | None
            if self.pending:
                event = self._step_towards(self.pending.pop(0))
            else:
                i, agent, seq = self.answer_now.pop(0)
                event = CallAnswered(str(i), agent) if self._still_ringing(i, agent, seq) else None
            if event is None:
                continue
            due = router.next_timer_at()
            if due is not None and due <= now:  # a timer the last step set for this very moment
                self._carry(router.advance(now), now)
            self._carry(router.apply(event, now), now)

    def _arm(self) -> None:
        due = self.router.next_timer_at()
        self.next_due = math.inf if due is None else due

    # ------------------------------------------------------------------
    # Callers
    # ------------------------------------------------------------------

    def _next_caller(self, _event: object) -> None:
        """A caller rings; the next one's ring is scheduled (a chain of callbacks, lighter than a process)."""
        i = self.next_caller
        self.next_caller = i + 1
        if i + 1 < self.n_callers:
            self.env.timeout(self.arrived[i + 1] - self.env.now).callbacks.append(self._next_caller)
        self._arrive(i)

    def _arrive(self, i: int) -> None:
        agency = self.agency[i]
        system = self.systems[self.system[i]] if self.system[i] >= 0 else GENERAL_QUEUE  # -1: chose no system
        self._apply(CallArrived(str(i), system, self.agencies[agency] if agency >= 0 else None))
        call = self.router.calls.get(str(i))
        if self.outcome[i] != ANSWERED and (call is None or call.status is CallStatus.QUEUED):
            self.waited[i] = True
        patience = self.patience[i]
        if patience == math.inf or self.outcome[i] == ANSWERED:
            return  # never gives up, or answered on arrival
        if call is not None and call.status is CallStatus.RINGING and patience > self.ring_delay < self.ring_timeout:
            # Ringing now and answered before patience runs out, unless the
            # offer is withdrawn: the timer is set then (see QueueCall).
            self.unarmed.add(i)
            return
        self._at(self.arrived[i] + patience, partial(self._give_up, i))

    def _give_up(self, i: int, _event: object = None) -> None:
        call = self.router.calls.get(str(i))
        if call is None or call.status is CallStatus.TALKING:
            return
        self._apply(CallHungUp(str(i)))
        if self.redial_p > 0 and self.redial_rng.random() < self.redial_p:
            delay = float(self.redial_rng.exponential(self.scenario.redial_delay_s))
            if self._open_at(self.env.now + delay):  # a caller who would ring while closed does not
                self.env.timeout(delay).callbacks.append(partial(self._redial, i))

    def _open_at(self, t: float) -> bool:
        s = self.scenario
        day = math.floor(t / DAY_S)
        return day < s.days and s.open_s <= t - day * DAY_S < s.close_s

    def _redial(self, i: int, _event: object = None) -> None:
        j = len(self.arrived)
        self.arrived.append(self.env.now)
        self.system.append(self.system[i])
        self.agency.append(self.agency[i])
        self.talk.append(self.talk[i])
        self.patience.append(float(sample(self.scenario.patience, 1, self.redial_rng)[0]))
        self.outcome.append(UNFINISHED)
        self.answered_at.append(math.nan)
        self.site.append(-1)
        self.redial.append(True)
        self.waited.append(False)
        self._arrive(j)

    def _still_ringing(self, i: int, agent: str, seq: int) -> bool:
        if self.offer_seq.get(i) != seq:
            return False
        call = self.router.calls.get(str(i))
        return call is not None and call.status is CallStatus.RINGING and call.agent == agent

    def _answer(self, i: int, agent: str, seq: int, _event: object = None) -> None:
        if self._still_ringing(i, agent, seq):
            self._apply(CallAnswered(str(i), agent))

    def _hang_up(self, i: int, _event: object = None) -> None:
        self._apply(CallHungUp(str(i)))

    # ------------------------------------------------------------------
    # Agents
    # ------------------------------------------------------------------

    def _shifts(self) -> Any:
        """Log agents in and out, and send them on breaks, day after day."""
        changes: list[tuple[float, int, int, str, str]] = []
        order = 0
        for agent, spans in self.duty.spans.items():
            for start, end in spans:
                changes.append((start, _RANK[_ON], order, agent, _ON))
                changes.append((end, _RANK[_OFF], order + 1, agent, _OFF))
                order += 2
            for start, end in self.duty.breaks.get(agent, ()):
                changes.append((start, _RANK[_BREAK], order, agent, _BREAK))
                # a break that lasts to the end of the shift has no "back on"
                if any(s <= start < e and end < e for s, e in spans):
                    changes.append((end, _RANK[_ON], order + 1, agent, _ON))
                order += 2
        changes.sort()
        env = self.env
        for day in range(self.scenario.days):
            base = day * DAY_S
            for at, _, _, agent, want in changes:
                t = base + at
                if t > env.now:
                    yield env.timeout(t - env.now)
                self._want(agent, want)

    def _want(self, agent: str, want: str) -> None:
        self.want[agent] = want
        if want == _ON:
            self.not_on.discard(agent)
        else:
            self.not_on.add(agent)
        self._reconcile(agent)

    def _reconcile(self, agent: str) -> None:
        event = self._step_towards(agent)
        if event is not None:
            self._apply(event)

    def _step_towards(self, agent: str) -> Event | None:
        """The event that moves the agent towards what its shift wants, as far as the router allows now."""
        want = self.want.get(agent, _OFF)
        state = self.router.agents[agent]
        status = state.status
        event: Event | None = None
        if want == _ON:
            if status is AgentStatus.LOGGED_OUT:
                event = AgentLoggedIn(agent)
            elif status is AgentStatus.NOT_READY:
                event = AgentReady(agent)
        elif status in (AgentStatus.TALKING, AgentStatus.WRAP_UP):
            pass  # the change waits for the call and its wrap-up
        elif want == _BREAK:
            if status not in (AgentStatus.NOT_READY, AgentStatus.LOGGED_OUT):
                event = AgentNotReady(agent, "break")
        elif status is not AgentStatus.LOGGED_OUT:
            event = AgentLoggedOut(agent)
        return event

    # ------------------------------------------------------------------
    # Carrying out the router's commands
    # ------------------------------------------------------------------

    def _carry(self, commands: Sequence[object], now: float) -> None:
        for cmd in commands:
            if type(cmd) is SetAgentState:
                self._agent_state(cmd, now)
            elif type(cmd) is OfferCall:
                i = int(cmd.call_id)
                self._dequeue(i, now)
                seq = self.offer_seq.get(i, 0) + 1
                self.offer_seq[i] = seq
                if self.ring_delay == 0:
                    self.answer_now.append((i, cmd.agent_id, seq))
                elif self.ring_delay < cmd.ring_until - now:
                    self._at(now + self.ring_delay, partial(self._answer, i, cmd.agent_id, seq))
            elif type(cmd) is QueueCall:
                i = int(cmd.call_id)
                self._dequeue(i, now)  # moved to the general queue: close the span so far
                self.queued_since[i] = now
                if i in self.unarmed:  # back in the queue after an offer: patience counts again
                    self.unarmed.discard(i)
                    self._at(max(now, self.arrived[i] + self.patience[i]), partial(self._give_up, i))
            elif type(cmd) is ConnectCall:
                i = int(cmd.call_id)
                self.answered_at[i] = now
                self.site[i] = self.agent_site[cmd.agent_id]
                self.outcome[i] = ANSWERED
                self._at(now + self.talk[i], partial(self._hang_up, i))
            elif type(cmd) is EndCall:
                i = int(cmd.call_id)
                self._dequeue(i, now)
                self.offer_seq.pop(i, None)
                self.unarmed.discard(i)
                if cmd.rule is Rule.CALLER_HUNG_UP:
                    self.outcome[i] = ABANDONED
                elif cmd.rule is Rule.NO_AGENT_GIVE_UP:
                    self.outcome[i] = NO_AGENT

    def _dequeue(self, i: int, now: float) -> None:
        since = self.queued_since.pop(i, None)
        if since is not None:
            system = self.system[i]
            self._span(self.queue_spans, since, now, system if system >= 0 else len(self.systems))

    @staticmethod
    def _span(spans: tuple[list[float], list[float], list[int]], start: float, end: float, group: int) -> None:
        spans[0].append(start)
        spans[1].append(end)
        spans[2].append(group)

    def _agent_state(self, cmd: SetAgentState, now: float) -> None:
        agent = cmd.agent_id
        status = cmd.status
        if status in _AWAY:
            since = self.available_since.pop(agent, None)
            if since is not None:
                self._span(self.available_spans, since, now, self.agent_site[agent])
            if status == "not-ready":
                self.pending.append(agent)
            return
        if agent not in self.available_since:
            self.available_since[agent] = now
        if agent in self.not_on and status in ("ready", "reject-delay"):
            self.pending.append(agent)

    def spread(
        self, starts: Sequence[float], ends: Sequence[float], groups: Sequence[int], n_groups: int
    ) -> np.ndarray:
        """Seconds of the spans [start, end) in each (group, interval of the day), counted hours only."""
        s = self.scenario
        out = np.zeros((n_groups, self.k))
        start = np.array(starts, dtype=float)
        end = np.array(ends, dtype=float)
        group = np.array(groups, dtype=np.int64)
        todo = np.nonzero(start < end)[0]
        while todo.size:
            st = start[todo]
            day = np.floor(st / DAY_S)
            base = day * DAY_S
            tod = st - base
            early = tod < self.stats_from
            late = tod >= s.close_s
            inside = ~(early | late)
            k = np.clip(((tod - s.open_s) // s.interval_s).astype(np.int64), 0, self.k - 1)
            cell_end = base + np.minimum(s.open_s + (k + 1) * s.interval_s, s.close_s)
            stop = np.minimum(end[todo], cell_end)
            np.add.at(out, (group[todo][inside], k[inside]), (stop - st)[inside])
            nxt = np.where(inside, cell_end, np.where(early, base + self.stats_from, base + DAY_S + self.stats_from))
            start[todo] = nxt
            todo = todo[(nxt < end[todo]) & (np.floor(nxt / DAY_S) < s.days)]
        return out


def run_replication(centre: Centre, scenario: Scenario, arrivals: Arrivals, duty: Duty, replication: int) -> RunRecord:
    """Simulate one replication and return its records."""
    return CentreModel(centre, scenario, arrivals, duty, replication).run()
