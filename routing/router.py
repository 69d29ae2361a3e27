"""The router: applies one event at a time and returns the commands to carry out.

The router is the automatic call distributor (ACD) of the centre. It knows
which calls wait in which queue and which agents are ready, and decides who
rings next. It never reads a clock, sleeps, logs or touches the network: the
caller says what time it is, and carries out the returned commands. The live
server and the SimPy simulator drive this same object.

Usage::

    router = Router(centre)
    commands = router.advance(now)            # timers due by now
    commands += router.apply(CallArrived("c1", "webhr", "moi", "zh"), now)
    router.next_timer_at()                    # when to call advance() next

**Eligibility.** An agent may be offered a call only when all hold:

1. the agent is logged in and *ready* — not ringing, talking, in wrap-up,
   not-ready or resting in a reject delay;
2. the agent's seat takes voice calls;
3. the agent has a skill for the call's system (every voice agent serves the
   general queue);
4. the agent speaks the call's language, if the call has one (its *language
   requirement*, ``CallState.need``);
5. the call is not inside its agency's *site-preference window* for another
   site: an agency that prefers a site waits ``overflow_after_s`` for that
   site's agents, then any site may take the call; if the preferred site has
   no agent logged in who has the skill and speaks the language, the window
   is skipped;
6. a *backup seat* takes calls only while at least
   ``backup_seat_when_waiting`` calls it could serve (rules 3-5) are waiting.

**Nobody logged in.** Each (queue, language requirement) is *staffed* while
at least one voice agent who could take its calls is logged in. A call whose
requirement has been unstaffed for ``max_wait_no_agent_s`` (rule
``no-agent-fallback``) moves from its system's queue to the general queue,
keeping its language only if a voice agent who speaks it is logged in;
in the general queue it drops the language; without one it is given up
(``no-agent-give-up``). Each step waits ``max_wait_no_agent_s`` again.

**Unknown system, agency or language.** A call for a system the centre does
not serve, or from an agency it does not list, is not refused: it enters the
general queue at once (rule ``unknown-system`` or ``unknown-agency``), with
priority 0 and no site preference, for any voice agent to take who speaks its
language. A call in a language the centre does not list enters the general
queue at once with no language requirement (rule ``unknown-language``).

**Choosing.** A new or returning call goes to the eligible ready agent the
configured strategy ranks first. An agent who becomes ready takes, among the
calls it is eligible for, the highest priority first, then the earliest
queue entry, across every queue it serves.

**Call-backs.** A queued call may become a call-back request
(:class:`~routing.events.CallbackRequested`): the caller has hung up but the
call keeps its place. It is offered like any call (``OfferCall.callback``);
the agent's acceptance (``CallAnswered``) makes the shell dial the caller
(``DialCallback``; the agent is busy, the call *dialling*); the caller's
answer connects it (``CallbackAnswered``); an unanswered dial
(``CallbackFailed``) frees the agent at once and either takes the call out
of the queue for the retry delay (``RetryCallback``) and then back at its
original place (rule ``callback-retry``), or, after the last try, ends it
(``EndCall`` rule ``callback-failed``).
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite
from typing import TYPE_CHECKING, Any

from routing.agent import AgentState, AgentStatus
from routing.call import CallState, CallStatus
from routing.centre import GENERAL_QUEUE, Centre, Strategy
from routing.commands import (
    CancelOffer,
    Command,
    ConnectCall,
    DialCallback,
    EndCall,
    OfferCall,
    QueueCall,
    RetryCallback,
    Rule,
    SetAgentState,
)
from routing.errors import ClockError, InvalidTransition, UnknownEntity
from routing.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CallAnswered,
    CallArrived,
    CallbackAnswered,
    CallbackFailed,
    CallbackRequested,
    CallHungUp,
    Event,
    Party,
)
from routing.queue import WaitingCalls
from routing.ready import ReadyAgents
from routing.timers import Timer, TimerKind, Timers

if TYPE_CHECKING:
    import random

_STRATEGY_RULE = {
    Strategy.LONGEST_IDLE: Rule.LONGEST_IDLE,
    Strategy.ROUND_ROBIN: Rule.ROUND_ROBIN,
    Strategy.FEWEST_CALLS: Rule.FEWEST_CALLS,
    Strategy.LEAST_TALK_TIME: Rule.LEAST_TALK_TIME,
    Strategy.BEST_SKILL: Rule.BEST_SKILL,
    Strategy.RANDOM: Rule.RANDOM,
}

_A = AgentStatus
#: The rule of a call that enters the general queue at once, by the first thing the centre does not list.
_UNKNOWN_RULE = {"system": Rule.UNKNOWN_SYSTEM, "agency": Rule.UNKNOWN_AGENCY, "language": Rule.UNKNOWN_LANGUAGE}


class Router:
    """The routing state of one centre, and the rules that change it.

    ``rng`` is needed only for the ``random`` strategy; pass a seeded
    :class:`random.Random` so that runs reproduce. ``now`` is the time the
    router starts at (every queue counts as unstaffed from then).
    """

    def __init__(self, centre: Centre, *, rng: random.Random | None = None, now: float = 0.0) -> None:
        self.centre = centre
        self.rules = centre.routing
        self.now = now
        languages = tuple(lang.id for lang in centre.languages)
        voice = [p for p in centre.agents if p.voice]
        #: Languages some voice agent does not speak: only these restrict who may take a call.
        self._restricting = frozenset(lang for lang in languages if not all(lang in p.languages for p in voice))
        self._languages = frozenset(languages)
        self.agents: dict[str, AgentState] = {
            p.id: AgentState(p, i, self._restricting) for i, p in enumerate(centre.agents)
        }
        #: Live calls: queued, ringing or talking. A call leaves when it ends.
        self.calls: dict[str, CallState] = {}
        self.waiting = WaitingCalls()
        systems = tuple(s.id for s in centre.systems)
        self._systems = frozenset(systems)
        self._agencies = {a.id: a for a in centre.agencies}
        self._sites = tuple(s.id for s in centre.sites)
        self._ready = ReadyAgents(self.rules.strategy, rng)
        self._strategy_rule = _STRATEGY_RULE[self.rules.strategy]
        #: Logged-in voice agents per (queue, language requirement, site) and per (queue, requirement).
        self._staffed: dict[tuple[str, str | None, str], int] = {}
        self._staffed_total: dict[tuple[str, str | None], int] = {}
        #: Since when a (queue, language requirement) has had nobody logged in (absent = staffed).
        needs = (None, *(lang for lang in languages if lang in self._restricting))
        self._unstaffed_since: dict[tuple[str, str | None], float] = dict.fromkeys(
            ((q, n) for q in (*systems, GENERAL_QUEUE) for n in needs), now
        )
        self._last_offered: dict[str, int] = {}
        self._timers = Timers()
        self._seq = 0
        self._out: list[Command] = []

    # ------------------------------------------------------------------
    # Public surface
    # ------------------------------------------------------------------

    def apply(self, event: Event, now: float) -> list[Command]:
        """Apply one event at time ``now`` and return the commands to carry out.

        Raises :class:`~routing.errors.RoutingError` (and changes nothing) if
        the event does not fit the state, or :class:`~routing.errors.ClockError`
        if ``now`` is earlier than the last time seen or timers due by ``now``
        have not been run with :meth:`advance` first.
        """
        if not now >= self.now:  # also rejects NaN
            raise ClockError(f"time went backwards: {now} < {self.now}")
        head = self._timers.peek()  # cheap test first: is any timer, live or stale, due?
        if head is not None and head[0] <= now and self._live_timer_due(now):
            raise ClockError(f"timers are due by {now}: call advance({now}) before apply()")
        handler = _HANDLERS.get(type(event))
        if handler is None:
            raise TypeError(f"not a routing event: {event!r}")
        handler(self, event, now)  # validates first, raises before any change
        head = self._timers.peek()
        if head is not None and head[0] <= now:
            self._run_timers(now)
        out, self._out = self._out, []
        return out

    def advance(self, now: float) -> list[Command]:
        """Run every timer due by ``now``, each at its own time, and return the commands."""
        self._check_clock(now)
        self._run_timers(now)
        self.now = now
        return self._flush()

    def next_timer_at(self) -> float | None:
        """When :meth:`advance` next has something to do, or ``None``."""
        while True:
            timer = self._timers.peek()
            if timer is None:
                return None
            if self._timer_live(timer):
                return timer[0]
            self._timers.pop()

    def waiting_for(self, agent_id: str) -> int:
        """How many waiting calls this agent could take were it ready (the backup-seat count)."""
        return self._count_open(self._agent(agent_id), limit=None)

    def unknown(self, system: str, agency: str | None, language: str | None = None) -> tuple[str, ...]:
        """Which of a call's ``system``, ``agency`` and ``language`` the centre does not list.

        No agency, or no language, is not unknown; nor is the system ``general``: a caller
        who chose no system (pressed 0 in the menus) enters the general queue by its rule
        ``queue-entry``.
        """
        unknown: list[str] = []
        if system not in self._systems and system != GENERAL_QUEUE:
            unknown.append("system")
        if agency is not None and agency not in self._agencies:
            unknown.append("agency")
        if language is not None and language not in self._languages:
            unknown.append("language")
        return tuple(unknown)

    def queue_length(self, queue: str) -> int:
        """Calls waiting (not ringing) in a queue: a system id or ``GENERAL_QUEUE``."""
        return self.waiting.size(queue)

    # ------------------------------------------------------------------
    # Event handlers: validate everything first, then change state.
    # ------------------------------------------------------------------

    def _on_call_arrived(self, ev: CallArrived, now: float) -> None:
        if ev.call_id in self.calls:
            raise InvalidTransition(f"call {ev.call_id} is already in progress")
        unknown = self.unknown(ev.system, ev.agency, ev.language)
        agency = self._agencies.get(ev.agency) if ev.agency is not None else None
        need = ev.language if ev.language in self._restricting else None
        self.now = now
        self._seq += 1
        call = CallState(
            ev.call_id,
            ev.system,
            ev.agency,
            agency.priority if agency else 0,
            agency.prefer_site if agency else None,
            now,
            self.rules.overflow_after_s,
            self._seq,
            ev.language,
            need,
        )
        self.calls[call.id] = call
        if unknown:
            # Nobody is skilled for what the centre does not know: every voice agent may take it
            # (who speaks the call's language, if the centre lists it).
            call.queue = GENERAL_QUEUE
            self._enqueue(call, _UNKNOWN_RULE[unknown[0]])
        else:
            self._enqueue(call, Rule.QUEUE_ENTRY)
        if call.prefer_site is not None and self.rules.overflow_after_s > 0:
            self._timers.set(call.window_end, TimerKind.WINDOW_END, call.id)
        self._place(call)

    def _on_call_answered(self, ev: CallAnswered, now: float) -> None:
        call = self._call(ev.call_id)
        agent = self._agent(ev.agent_id)
        if call.status is not CallStatus.RINGING or call.agent != agent.id:
            raise InvalidTransition(f"call {call.id} is not ringing at agent {agent.id} (it is {call.status})")
        self.now = now
        if call.callback:
            # The agent took the call-back: the PBX dials the caller while the agent waits on the line.
            call.status = CallStatus.DIALLING
            call.dials += 1
            agent.misses = 0
            agent.move(_A.TALKING, now)
            self._out.append(DialCallback(call.id, agent.id, call.dials))
            self._out.append(SetAgentState(agent.id, _A.TALKING, Rule.CALLBACK_ACCEPTED))
            return
        call.status = CallStatus.TALKING
        call.answered_at = now
        agent.misses = 0
        agent.move(_A.TALKING, now)
        self._out.append(ConnectCall(call.id, agent.id))
        self._out.append(SetAgentState(agent.id, _A.TALKING, Rule.ANSWERED))

    def _on_call_hung_up(self, ev: CallHungUp, now: float) -> None:
        call = self._call(ev.call_id)
        if call.status is CallStatus.DIALLING:
            raise InvalidTransition(
                f"call-back {call.id} is being dialled: it ends by CallbackAnswered or CallbackFailed"
            )
        if call.status is not CallStatus.TALKING and ev.by is not Party.CALLER:
            raise InvalidTransition(f"call {call.id} is {call.status}: only the caller can end it")
        self.now = now
        del self.calls[call.id]
        if call.status is CallStatus.QUEUED:
            self.waiting.remove(call)
            self._out.append(EndCall(call.id, Rule.CALLER_HUNG_UP))
            return
        if call.status is CallStatus.RETRY_WAIT:  # a call-back withdrawn between tries
            self._out.append(EndCall(call.id, Rule.CALLER_HUNG_UP))
            return
        assert call.agent is not None
        agent = self.agents[call.agent]
        agent.call = None
        if call.status is CallStatus.RINGING:
            self._out.append(CancelOffer(call.id, agent.id, Rule.CALLER_HUNG_UP))
            self._out.append(EndCall(call.id, Rule.CALLER_HUNG_UP))
            self._become_ready(agent, Rule.CALLER_HUNG_UP, keep_idle_since=True)
            return
        assert call.answered_at is not None
        agent.calls_handled += 1
        agent.talk_time += now - call.answered_at
        self._out.append(EndCall(call.id, Rule.CALL_ENDED))
        if self.rules.wrap_up_s > 0:
            agent.move(_A.WRAP_UP, now)
            self._out.append(SetAgentState(agent.id, _A.WRAP_UP, Rule.WRAP_UP))
            self._timers.set(now + self.rules.wrap_up_s, TimerKind.WRAP_UP_END, agent.id, agent.token)
        else:
            self._after_work(agent, Rule.CALL_ENDED)

    def _on_callback_requested(self, ev: CallbackRequested, now: float) -> None:
        call = self._call(ev.call_id)
        if call.status is not CallStatus.QUEUED or call.callback:
            what = "already a call-back request" if call.callback else str(call.status)
            raise InvalidTransition(f"call {call.id} cannot ask for a call-back: it is {what}")
        if type(ev.retries) is not int or ev.retries < 0:
            raise InvalidTransition(f"call {call.id}: retries must be a whole number >= 0, got {ev.retries!r}")
        if not isinstance(ev.retry_delay_s, int | float) or not isfinite(ev.retry_delay_s) or ev.retry_delay_s < 0:
            raise InvalidTransition(f"call {call.id}: call-back retry delay must be >= 0 s, got {ev.retry_delay_s!r}")
        self.now = now
        call.callback = True
        call.callback_at = now
        call.tries_left = ev.retries
        call.retry_delay_s = float(ev.retry_delay_s)
        # It stays exactly where it is: same queue, same place, same language requirement.
        self._out.append(QueueCall(call.id, call.queue, Rule.CALLBACK_REQUESTED))

    def _on_callback_answered(self, ev: CallbackAnswered, now: float) -> None:
        call = self._dialling(ev.call_id)
        assert call.agent is not None
        self.now = now
        call.status = CallStatus.TALKING
        call.answered_at = now
        self._out.append(ConnectCall(call.id, call.agent, Rule.CALLBACK_ANSWERED))
        # Still talking, now with the caller: said again, so a desktop shows the call connected.
        self._out.append(SetAgentState(call.agent, _A.TALKING, Rule.CALLBACK_ANSWERED))

    def _on_callback_failed(self, ev: CallbackFailed, now: float) -> None:
        call = self._dialling(ev.call_id)
        assert call.agent is not None
        self.now = now
        agent = self.agents[call.agent]
        agent.call = None
        call.agent = None
        if call.tries_left > 0:
            call.tries_left -= 1
            call.status = CallStatus.RETRY_WAIT
            call.retry_at = now + call.retry_delay_s
            self._out.append(RetryCallback(call.id, call.retry_at, call.dials + 1))
            self._timers.set(call.retry_at, TimerKind.CALLBACK_RETRY, call.id)
            self._after_work(agent, Rule.CALLBACK_NO_ANSWER)
        else:
            del self.calls[call.id]
            self._out.append(EndCall(call.id, Rule.CALLBACK_FAILED))
            self._after_work(agent, Rule.CALLBACK_FAILED)

    def _dialling(self, call_id: str) -> CallState:
        call = self._call(call_id)
        if call.status is not CallStatus.DIALLING:
            raise InvalidTransition(f"call {call.id} is not a call-back being dialled (it is {call.status})")
        return call

    def _on_logged_in(self, ev: AgentLoggedIn, now: float) -> None:
        agent = self._agent(ev.agent_id)
        if agent.status is not _A.LOGGED_OUT:
            raise InvalidTransition(f"agent {agent.id} is already logged in ({agent.status})")
        self.now = now
        agent.misses = 0
        agent.calls_handled = 0
        agent.talk_time = 0.0
        agent.pending_not_ready = None
        site = agent.site
        for queue, need in agent.keys:
            self._staffed[(queue, need, site)] = self._staffed.get((queue, need, site), 0) + 1
            self._staffed_total[(queue, need)] = self._staffed_total.get((queue, need), 0) + 1
            self._unstaffed_since.pop((queue, need), None)
        if ev.ready:
            agent.idle_since = now
            self._become_ready(agent, Rule.LOGIN, keep_idle_since=True)
        else:
            agent.move(_A.NOT_READY, now, "login")
            self._out.append(SetAgentState(agent.id, _A.NOT_READY, Rule.LOGIN, "login"))

    def _on_logged_out(self, ev: AgentLoggedOut, now: float) -> None:
        agent = self._agent(ev.agent_id)
        if agent.status in (_A.LOGGED_OUT, _A.TALKING):
            raise InvalidTransition(f"agent {agent.id} cannot log out while {agent.status}")
        self.now = now
        declined = self._withdraw(agent, Rule.AGENT_DECLINED)
        agent.pending_not_ready = None
        agent.move(_A.LOGGED_OUT, now)
        self._out.append(SetAgentState(agent.id, _A.LOGGED_OUT, Rule.LOGOUT))
        emptied: list[tuple[str, str | None]] = []
        site = agent.site
        for queue, need in agent.keys:
            self._staffed[(queue, need, site)] -= 1
            self._staffed_total[(queue, need)] -= 1
            if self._staffed_total[(queue, need)] == 0:
                self._queue_unstaffed(queue, need)
            if self._staffed[(queue, need, site)] == 0:
                emptied.append((queue, need))
        if declined is not None:
            self._place(declined)
        # Calls that waited for this site alone may now go anywhere.
        for queue, need in emptied:
            self._release_window(queue, need, site)

    def _on_ready(self, ev: AgentReady, now: float) -> None:
        agent = self._agent(ev.agent_id)
        if agent.status not in (_A.NOT_READY, _A.WRAP_UP):
            raise InvalidTransition(f"agent {agent.id} cannot become ready while {agent.status}")
        self.now = now
        agent.pending_not_ready = None
        agent.misses = 0
        self._become_ready(agent, Rule.AGENT_REQUEST)

    def _on_not_ready(self, ev: AgentNotReady, now: float) -> None:
        agent = self._agent(ev.agent_id)
        if not ev.reason:
            raise InvalidTransition(f"agent {agent.id}: a not-ready reason is required")
        if agent.status is _A.TALKING:
            # The break starts when the call and its wrap-up are over.
            self.now = now
            agent.pending_not_ready = ev.reason
            return
        if agent.status is _A.LOGGED_OUT:
            raise InvalidTransition(f"agent {agent.id} cannot go not-ready while logged out")
        self.now = now
        declined = self._withdraw(agent, Rule.AGENT_DECLINED)
        agent.move(_A.NOT_READY, now, ev.reason)
        self._out.append(SetAgentState(agent.id, _A.NOT_READY, Rule.AGENT_REQUEST, ev.reason))
        if declined is not None:
            self._place(declined)

    # ------------------------------------------------------------------
    # Timers
    # ------------------------------------------------------------------

    def _run_timers(self, until: float) -> None:
        timers = self._timers
        while True:
            timer = timers.peek()
            if timer is None or timer[0] > until:
                return
            timers.pop()
            if not self._timer_live(timer):
                continue
            due, _, kind, subject, _ = timer
            self.now = max(self.now, due)
            if kind is TimerKind.RING_TIMEOUT:
                self._ring_timeout(self.agents[subject])
            elif kind is TimerKind.REJECT_DELAY_END:
                self._become_ready(self.agents[subject], Rule.REJECT_DELAY, keep_idle_since=True)
            elif kind is TimerKind.WRAP_UP_END:
                self._after_work(self.agents[subject], Rule.WRAP_UP)
            elif kind is TimerKind.WINDOW_END:
                call = self.calls[subject]
                if call.status is CallStatus.QUEUED:  # a ringing call is placed when it returns
                    self._place(call)
            elif kind is TimerKind.CALLBACK_RETRY:
                call = self.calls[subject]
                call.retry_at = None
                self._enqueue(call, Rule.CALLBACK_RETRY)  # back at its original place
                self._place(call)
            else:
                self._no_agent(self.calls[subject])

    def _timer_live(self, timer: Timer) -> bool:
        due, _, kind, subject, token = timer
        # A timer judged stale may be dropped at once (next_timer_at does), so
        # staleness must be final: the window of a call that is ringing now may
        # still matter if the call comes back before the window ends.
        if kind is TimerKind.WINDOW_END:
            return subject in self.calls
        if kind is TimerKind.CALLBACK_RETRY:
            call = self.calls.get(subject)
            return call is not None and call.status is CallStatus.RETRY_WAIT and call.retry_at == due
        if kind is TimerKind.NO_AGENT:
            call = self.calls.get(subject)
            return (
                call is not None
                and call.status is CallStatus.QUEUED
                and (call.queue, call.need) in self._unstaffed_since
                and self._no_agent_due(call) <= due
            )
        agent = self.agents[subject]
        return agent.token == token

    def _live_timer_due(self, now: float) -> bool:
        """Drop stale timers due by ``now``; true if a live one is still due."""
        at = self.next_timer_at()
        return at is not None and at <= now

    def _no_agent_due(self, call: CallState) -> float:
        since = self._unstaffed_since[(call.queue, call.need)]
        return max(call.queue_entered_at, since) + self.rules.max_wait_no_agent_s

    def _ring_timeout(self, agent: AgentState) -> None:
        call = self.calls[agent.call] if agent.call else None
        assert call is not None
        assert call.status is CallStatus.RINGING
        now = self.now
        self._out.append(CancelOffer(call.id, agent.id, Rule.RING_NO_ANSWER))
        agent.call = None
        self._enqueue(call, Rule.REQUEUE)
        agent.misses += 1
        if agent.misses >= self.rules.max_no_answer:
            agent.misses = 0
            agent.move(_A.NOT_READY, now, "missed")
            self._out.append(SetAgentState(agent.id, _A.NOT_READY, Rule.MAX_NO_ANSWER, "missed"))
            self._place(call)
        elif self.rules.reject_delay_s > 0:
            agent.move(_A.REJECT_DELAY, now)
            self._out.append(SetAgentState(agent.id, _A.REJECT_DELAY, Rule.RING_NO_ANSWER))
            self._timers.set(now + self.rules.reject_delay_s, TimerKind.REJECT_DELAY_END, agent.id, agent.token)
            self._place(call)
        else:
            self._place(call)
            self._become_ready(agent, Rule.RING_NO_ANSWER, keep_idle_since=True)

    def _no_agent(self, call: CallState) -> None:
        """Nobody who may take the call has been logged in for ``max_wait_no_agent_s``: relax one step.

        A system's queue → the general queue, keeping the call's language only
        if a voice agent who speaks it is logged in; the general queue with a
        language → without it; the general queue without → given up.
        """
        self.waiting.remove(call)
        if call.queue == GENERAL_QUEUE:
            if call.need is None:
                del self.calls[call.id]
                self._out.append(EndCall(call.id, Rule.NO_AGENT_GIVE_UP))
                return
            call.need = None
        else:
            call.queue = GENERAL_QUEUE
            if (GENERAL_QUEUE, call.need) in self._unstaffed_since:
                call.need = None  # nobody logged in speaks it: any voice agent
        call.queue_entered_at = self.now
        self._enqueue(call, Rule.NO_AGENT_FALLBACK)
        self._place(call)

    # ------------------------------------------------------------------
    # Agents
    # ------------------------------------------------------------------

    def _become_ready(self, agent: AgentState, rule: Rule, *, keep_idle_since: bool = False) -> None:
        agent.move(_A.READY, self.now)
        if not keep_idle_since:
            agent.idle_since = self.now
        self._out.append(SetAgentState(agent.id, _A.READY, rule))
        if not agent.voice:
            return
        call = self._best_call_for(agent)
        if call is not None:
            self._offer(call, agent, Rule.NEXT_CALL)  # straight on: no need to file it as ready
            return
        self._ready.add(agent)
        agent.indexed = True

    def _after_work(self, agent: AgentState, rule: Rule) -> None:
        """The call (and its wrap-up) is over: ready, or the break asked for meanwhile."""
        if agent.pending_not_ready is not None:
            reason, agent.pending_not_ready = agent.pending_not_ready, None
            agent.move(_A.NOT_READY, self.now, reason)
            self._out.append(SetAgentState(agent.id, _A.NOT_READY, Rule.AGENT_REQUEST, reason))
        else:
            self._become_ready(agent, rule)

    def _withdraw(self, agent: AgentState, rule: Rule) -> CallState | None:
        """Take the agent out of the ready index, cancelling a ringing offer.

        Returns the call that was ringing (now back in its queue) so the
        caller can place it once the agent's new state is set.
        """
        if agent.status is _A.READY:
            self._unready(agent)
        if agent.status is not _A.RINGING:
            return None
        assert agent.call is not None
        call = self.calls[agent.call]
        agent.call = None
        self._out.append(CancelOffer(call.id, agent.id, rule))
        self._enqueue(call, Rule.REQUEUE)
        return call

    def _unready(self, agent: AgentState) -> None:
        if agent.indexed:
            self._ready.remove(agent)
            agent.indexed = False

    # ------------------------------------------------------------------
    # Calls
    # ------------------------------------------------------------------

    def _enqueue(self, call: CallState, rule: Rule) -> None:
        call.status = CallStatus.QUEUED
        call.agent = None
        self.waiting.add(call)
        self._out.append(QueueCall(call.id, call.queue, rule))
        if (call.queue, call.need) in self._unstaffed_since:
            self._timers.set(self._no_agent_due(call), TimerKind.NO_AGENT, call.id)

    def _queue_unstaffed(self, queue: str, need: str | None) -> None:
        self._unstaffed_since[(queue, need)] = self.now
        for _, bucket in self.waiting.buckets_of(queue, need):
            for call in bucket:
                self._timers.set(self._no_agent_due(call), TimerKind.NO_AGENT, call.id)

    def _offer(self, call: CallState, agent: AgentState, rule: Rule) -> None:
        self.waiting.remove(call)
        self._unready(agent)
        call.status = CallStatus.RINGING
        call.agent = agent.id
        agent.call = call.id
        agent.move(_A.RINGING, self.now)
        self._last_offered[call.queue] = agent.order
        ring_until = self.now + self.rules.ring_timeout_s
        self._timers.set(ring_until, TimerKind.RING_TIMEOUT, agent.id, agent.token)
        overflow = call.prefer_site is not None and call.prefer_site != agent.site
        self._out.append(OfferCall(call.id, agent.id, ring_until, rule, overflow, agent.backup, call.callback))
        self._out.append(SetAgentState(agent.id, _A.RINGING, rule))

    def _place(self, call: CallState) -> None:
        """Offer a waiting call to the agent the strategy picks, if any is eligible.

        A backup seat brought in by this call takes *its* best call, which
        may be an older one; then this call tries again.
        """
        while call.status is CallStatus.QUEUED:
            agent = self._pick_agent(call)
            if agent is None:
                return
            # Normally the agent's best call is this one; but when this very
            # event opened other calls to the agent (a backup seat brought in,
            # a site window released) an earlier call comes first.
            best = self._best_call_for(agent)
            assert best is not None
            self._offer(best, agent, self._strategy_rule if best is call else Rule.NEXT_CALL)

    def _pick_agent(self, call: CallState) -> AgentState | None:
        sites = self._open_sites(call)
        last = self._last_offered.get(call.queue, -1)
        if call.queue == GENERAL_QUEUE and self.rules.strategy is Strategy.BEST_SKILL:
            # best-skill ranks by the call's own system even in the general queue:
            # agents skilled in it (filed under that system too, in level order)
            # come before everyone else, whose level for it is 0.
            agent = self._ready.pick(call.system, call.need, sites, self._backup_ok, last)
            if agent is not None:
                return agent
        return self._ready.pick(call.queue, call.need, sites, self._backup_ok, last)

    def _open_sites(self, call: CallState) -> tuple[str, ...]:
        if self._window_closed_to_others(call):
            assert call.prefer_site is not None
            return (call.prefer_site,)
        return self._sites

    def _window_closed_to_others(self, call: CallState) -> bool:
        site = call.prefer_site
        return (
            site is not None and call.window_end > self.now and self._staffed.get((call.queue, call.need, site), 0) > 0
        )

    def _release_window(self, queue: str, need: str | None, site: str) -> None:
        """Place the calls of ``queue`` (under language requirement ``need``) that waited for ``site`` alone."""
        for (prefer, _), bucket in list(self.waiting.buckets_of(queue, need)):
            if prefer != site:
                continue
            for call in list(bucket):
                if call.status is not CallStatus.QUEUED:
                    continue
                self._place(call)
                if call.status is CallStatus.QUEUED:
                    break  # later calls of this bucket are no more eligible

    def _best_call_for(self, agent: AgentState) -> CallState | None:
        """The call a ready agent should take: highest priority, then earliest entry."""
        if agent.backup and not self._backup_ok(agent):
            return None
        now = self.now
        site = agent.site
        staffed = self._staffed
        queues = self.waiting.queues
        needs = agent.needs
        best: CallState | None = None
        for queue in agent.queues:
            by_need = queues.get(queue)
            if not by_need:
                continue
            for need in needs:
                buckets = by_need.get(need)
                if not buckets:
                    continue
                for (prefer, priority), bucket in buckets.items():
                    head = bucket[0]
                    if (
                        prefer is not None
                        and prefer != site
                        and head.window_end > now
                        and staffed.get((queue, need, prefer), 0) > 0
                    ):
                        continue  # even the earliest call here still waits for its own site
                    if (
                        best is None
                        or priority > best.priority
                        or (priority == best.priority and (head.entered_at, head.seq) < (best.entered_at, best.seq))
                    ):
                        best = head
        return best

    def _count_open(self, agent: AgentState, limit: int | None) -> int:
        """Waiting calls this agent would be eligible for (ignoring its own state), up to ``limit``."""
        now = self.now
        staffed = self._staffed
        n = 0
        for queue, need in agent.keys:
            for (prefer, _), bucket in self.waiting.buckets_of(queue, need):
                if prefer is None or prefer == agent.site or staffed.get((queue, need, prefer), 0) == 0:
                    n += len(bucket)
                else:
                    n += WaitingCalls.out_of_window(bucket, now)
                if limit is not None and n >= limit:
                    return n
        return n

    def _backup_ok(self, agent: AgentState) -> bool:
        threshold = self.rules.backup_seat_when_waiting
        return self._count_open(agent, threshold) >= threshold

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _agent(self, agent_id: str) -> AgentState:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownEntity(f"unknown agent {agent_id!r}")
        return agent

    def _call(self, call_id: str) -> CallState:
        call = self.calls.get(call_id)
        if call is None:
            raise UnknownEntity(f"no call {call_id!r} in progress")
        return call

    def _check_clock(self, now: float) -> None:
        if not now >= self.now:  # also rejects NaN
            raise ClockError(f"time went backwards: {now} < {self.now}")

    def _flush(self) -> list[Command]:
        out, self._out = self._out, []
        return out


_HANDLERS: dict[type, Callable[[Router, Any, float], None]] = {
    CallArrived: Router._on_call_arrived,
    CallAnswered: Router._on_call_answered,
    CallHungUp: Router._on_call_hung_up,
    AgentLoggedIn: Router._on_logged_in,
    AgentLoggedOut: Router._on_logged_out,
    AgentReady: Router._on_ready,
    AgentNotReady: Router._on_not_ready,
    CallbackRequested: Router._on_callback_requested,
    CallbackAnswered: Router._on_callback_answered,
    CallbackFailed: Router._on_callback_failed,
}
