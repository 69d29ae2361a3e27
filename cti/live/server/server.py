"""The CTI server: the imperative shell around the routing core.

It consumes PBX and agent messages from the bus, applies them to the
:class:`routing.Router` at the clock's time, and has the router's commands
carried out: a call's steps by :class:`~cti.live.server.calls.Calls` (offers to
agents, ring/stop/connect/release to the PBX, the journal, lifecycle events,
the case desk) and agents' states by :class:`~cti.live.server.agents.Agents`. The
router's timers (ring timeout, reject delay, wrap-up, site overflow, the
no-agent fallback) are run by one clock callback set for the router's next
timer. Every second of centre time it publishes a retained KPI snapshot.

In a centre with an IVR (an ``[ivr]`` table), every new call first goes
through the voice menus (:class:`~cti.live.server.ivr.IvrCalls`, driving
:class:`ivr.Ivr`): prompts to the PBX, the caller's keys and the prompts'
ends from it, and the engine's timers (digit timeouts, prompt safety) run
by the same clock callback as the router's. A call the menus route is then
handed to the router as any call; one that ends in the menus (the caller
hung up, or after hours) never reaches it.

A centre with an enabled ``[callback]`` table offers queued callers a
call-back that keeps their place (:class:`~cti.live.server.callbacks.QueueCallbacks`):
the offer is played after the configured wait, a ``1`` makes the call a
call-back request, and the PBX's ``outbound-answered`` and ``outbound-failed``
for the dial an agent's acceptance starts go to the router as
``CallbackAnswered`` and ``CallbackFailed``.

Bad input (a message that does not fit the state, an unknown call or agent)
is answered on ``cti/v1/errors`` and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import ivr
from cti.casework.cases import CaseError
from cti.clock import Clock
from cti.config import CallbackOffer
from cti.live import messages as m
from cti.live.bus import Bus, Delivery
from cti.live.logs import Logger
from cti.live.server.agents import Agents
from cti.live.server.announce import Announcer
from cti.live.server.callbacks import QueueCallbacks
from cti.live.server.calls import Calls
from cti.live.server.casedesk import CaseDesk
from cti.live.server.ivr import IvrCalls
from cti.live.server.kpi import DayCounts, restore_day, snapshot
from cti.live.server.leadership import Leadership
from cti.live.server.survey import SurveyCalls
from cti.store import Store
from cti.store.directory import Directory
from routing import Router
from routing.centre import GENERAL_QUEUE, Centre
from routing.commands import (
    QUEUE_ENTRIES,
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
from routing.errors import RoutingError
from routing.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CallAnswered,
    CallArrived,
    CallbackAnswered,
    CallbackFailed,
    CallHungUp,
    Event,
    Party,
)


class CtiServer:
    """One routing server. ``run()`` until cancelled; ``idle`` tells when no call is live."""

    def __init__(
        self,
        centre: Centre,
        bus: Bus,
        clock: Clock,
        store: Store,
        *,
        run_id: int,
        router: Router,
        log: Logger,
        server_id: str = "cti-a",
        epoch: int = 1,
        stats_every_s: float = 1.0,
        ivr_plan: ivr.IvrPlan | None = None,
        callback: CallbackOffer | None = None,
    ) -> None:
        self.centre = centre
        self.bus = bus
        self.clock = clock
        self.store = store
        self.run_id = run_id
        self.router = router
        self.log = log
        self.stats_every_s = stats_every_s
        self.leadership = Leadership(server_id, epoch)
        self.desk = CaseDesk(centre, store, Directory(store.path), run_id=run_id, actor=server_id)
        self.calls = Calls(centre, router, bus, store, self.desk, self.leadership, run_id=run_id, log=log)
        self.agents = Agents(centre, router, bus, store, self.calls, self.leadership, run_id=run_id, log=log)
        self.menus = (
            IvrCalls(ivr_plan, centre, bus, store, self.calls, self.desk, self.leadership, log=log)
            if ivr_plan is not None
            else None
        )
        self.callbacks = (
            QueueCallbacks(
                callback,
                ivr_plan.default_language.id,
                router,
                bus,
                store,
                self.calls,
                self.leadership,
                languages=frozenset(lang.id for lang in ivr_plan.languages),
                answer_s=ivr_plan.timeouts.digit_timeout_s,
            )
            if callback is not None and callback.enabled and ivr_plan is not None
            else None
        )
        if callback is not None:
            self.calls.callback_ring_s = callback.ring_s
        self.survey = (
            SurveyCalls(ivr_plan, bus, store, self.desk, self.leadership, run_id=run_id, log=log)
            if ivr_plan is not None and ivr_plan.survey is not None
            else None
        )
        if self.survey is not None:
            self.calls.after_agent = self.survey.offer
        self.plan = ivr_plan
        self.announcer = (
            Announcer(ivr_plan.announcements, router, bus, store, self.leadership)
            if ivr_plan is not None and ivr_plan.announcements is not None
            else None
        )
        if self.announcer is not None:
            self.calls.on_handled = self.announcer.handled
            self.calls.on_answered = self.announcer.handle.add_answer
            self.agents.on_state = self.announcer.agent_state
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._handlers: dict[type[m.Message], Callable[[str, Any, float], None]] = {
            m.NewCall: self._on_new_call,
            m.CallerHungUp: self._on_caller_hung_up,
            m.PromptDone: self._on_prompt_done,
            m.Digits: self._on_digits,
            m.Login: self._on_login,
            m.Logout: self._on_logout,
            m.Ready: self._on_ready,
            m.NotReady: self._on_not_ready,
            m.Answer: self._on_answer,
            m.HangUp: self._on_hang_up,
            m.WrapUp: self._on_wrap_up,
            m.LinkCaller: self._on_link_caller,
            m.OutboundAnswered: self._on_outbound_answered,
            m.OutboundFailed: self._on_outbound_failed,
        }
        self.handled = 0
        # Subscribe at once, so nothing published after construction is missed.
        self._sub = bus.subscribe(m.PBX_IN, f"{m.PREFIX}/pbx/+/ev", f"{m.PREFIX}/agents/+/cmd")

    # ------------------------------------------------------------------

    @property
    def server_id(self) -> str:
        return self.leadership.server_id

    @property
    def epoch(self) -> int:
        return self.leadership.epoch

    @property
    def day(self) -> DayCounts:
        return self.calls.day

    @property
    def live_calls(self) -> int:
        return len(self.calls.live)

    def all_logged_out(self) -> bool:
        return self.agents.all_logged_out()

    def idle(self) -> bool:
        """No call in progress, nobody in wrap-up and no caller in the survey."""
        return self.calls.idle() and not (self.survey is not None and len(self.survey))

    async def restore_day(self, day_start: float) -> None:
        """Start the day's counters from the store, so a restart does not reset them."""
        self.calls.day = await restore_day(self.store, day_start, self.centre.info.service_level_seconds)

    async def run(self) -> None:
        sub = self._sub
        self.leadership.announce(self.bus)
        self.log.info("server_started", server_id=self.server_id, epoch=self.epoch)
        stats = asyncio.create_task(self._stats_loop(), name="cti-stats")
        try:
            while True:
                for delivery in await sub.batch():
                    self.handle(delivery)
                self._schedule_timer()
        finally:
            stats.cancel()
            if self._timer is not None:
                self._timer.cancel()
            self.bus.unsubscribe(sub)
            self.desk.close()

    def handle(self, delivery: Delivery) -> None:
        message = delivery.message
        handler = self._handlers.get(type(message))
        if handler is None:
            self._reject(delivery.topic, "wrong-topic", f"the server does not take {type(message).__name__} messages")
            return
        now = self.clock.now()
        self._advance(now)
        self.handled += 1
        try:
            handler(delivery.topic, message, now)
        except (RoutingError, CaseError, ivr.IvrError) as exc:
            self._reject(delivery.topic, exc.code, str(exc))

    # ------------------------------------------------------------------
    # Incoming messages
    # ------------------------------------------------------------------

    def _apply(self, event: Event, now: float) -> None:
        self._execute(self.router.apply(event, now), now)

    def _on_new_call(self, topic: str, msg: m.NewCall, now: float) -> None:
        used = self._call_id_used(msg.call_id)
        if used is not None:
            if msg.call_id not in self.calls.live:
                # A second caller on an id already used: the PBX holds only that new line
                # (the first call left it long ago), so the release reaches the new caller alone.
                release = m.Release(call_id=msg.call_id, reason="duplicate-call", epoch=self.epoch)
                self.bus.publish(m.pbx_ctl(msg.call_id), release)
            self._reject(topic, "duplicate-call", f"call id {msg.call_id} {used}: a call id is used once")
            return
        if self.menus is not None:
            self._route(self.menus.arrive(msg, now), now)
            return
        self.calls.arrive(msg, now)
        # A dial with no system attached is a caller who chose none: the general queue.
        self._enter_router(CallArrived(msg.call_id, msg.system or GENERAL_QUEUE, msg.agency), now)

    def _enter_router(self, event: CallArrived, now: float) -> None:
        """Hand a new call to the router; its screen pop will name what the centre does not know of it."""
        unknown = self.router.unknown(event.system, event.agency, event.language)
        if event.system == GENERAL_QUEUE:
            # No system chosen (0 or the retries used up in the menus, or none attached to the dial):
            # the router takes it by queue-entry, but the agent still does not know the system.
            unknown = ("system", *unknown)
        if self.menus is not None and event.agency is None:
            unknown += ("agency",)  # the caller could not give one in the menus
        self.calls.live[event.call_id].unknown = unknown
        try:
            self._apply(event, now)
        except RoutingError as exc:
            # Not routable (e.g. a system this centre does not serve).
            self.calls.refuse(event.call_id, exc.code, now)
            raise

    def _route(self, events: list[CallArrived], now: float) -> None:
        """Calls the menus routed, into the router, in order."""
        for event in events:
            self._enter_router(event, now)

    def _call_id_used(self, call_id: str) -> str | None:
        """Why ``call_id`` cannot be a new call, or None: ids are unique for the life of the store.

        A call's row reaches the store when it enters the queue, and stays there: in
        progress, in wrap-up or long done, the id is in the store's uncommitted batch
        or in the calls table (one primary-key probe), so nothing here grows with the calls.
        """
        if call_id in self.calls.live:
            return "is in progress"
        if self.store.holds_call(call_id) or self.desk.directory.has_call(call_id):
            return "was used by an earlier call"
        return None

    def _on_caller_hung_up(self, topic: str, msg: m.CallerHungUp, now: float) -> None:
        if self.survey is not None and self.survey.active(msg.call_id):
            self.survey.caller_hung_up(msg.call_id, now)
            return
        if self.menus is not None and self.menus.active(msg.call_id):
            self._route(self.menus.caller_hung_up(msg.call_id, now), now)
            return
        if self.callbacks is not None and self.callbacks.caller_left(msg.call_id):
            return  # a call-back request: the caller was to leave the line; the call keeps its place
        if not self.calls.caller_hung_up(msg.call_id):
            self._reject(topic, "unknown-call", f"call {msg.call_id} is not in progress")
            return
        self._apply(CallHungUp(msg.call_id, Party.CALLER), now)

    def _on_prompt_done(self, topic: str, msg: m.PromptDone, now: float) -> None:
        if self.callbacks is not None and self.callbacks.active(msg.call_id):
            self.callbacks.prompt_done(msg, now)
            return
        if self.survey is not None and self.survey.active(msg.call_id):
            self.survey.prompt_done(msg, now)
            return
        self._route(self._menus(msg.call_id).prompt_done(msg, now), now)

    def _on_digits(self, topic: str, msg: m.Digits, now: float) -> None:
        if self.callbacks is not None and self.callbacks.active(msg.call_id):
            request = self.callbacks.digits(msg, now)
            if request is not None:
                self._apply(request, now)
            return
        if self.survey is not None and self.survey.active(msg.call_id):
            self.survey.digits(msg, now)
            return
        self._route(self._menus(msg.call_id).digits(msg, now), now)

    def _on_outbound_answered(self, topic: str, msg: m.OutboundAnswered, now: float) -> None:
        self._apply(CallbackAnswered(msg.call_id), now)
        if self.callbacks is not None:
            self.callbacks.back_on_line(msg.call_id)

    def _on_outbound_failed(self, topic: str, msg: m.OutboundFailed, now: float) -> None:
        live = self.calls.live.get(msg.call_id)
        if live is not None:
            live.dial_failure = msg.reason
        self._apply(CallbackFailed(msg.call_id), now)

    def _menus(self, call_id: str) -> IvrCalls:
        """The IVR, if ``call_id`` is in it (else :class:`ivr.UnknownCall`, changing nothing)."""
        if self.menus is None or not self.menus.active(call_id):
            raise ivr.UnknownCall(call_id)
        return self.menus

    def _on_login(self, topic: str, msg: m.Login, now: float) -> None:
        self._apply(AgentLoggedIn(msg.agent_id, ready=msg.ready), now)

    def _on_logout(self, topic: str, msg: m.Logout, now: float) -> None:
        self._apply(AgentLoggedOut(msg.agent_id), now)

    def _on_ready(self, topic: str, msg: m.Ready, now: float) -> None:
        self._apply(AgentReady(msg.agent_id), now)

    def _on_not_ready(self, topic: str, msg: m.NotReady, now: float) -> None:
        self._apply(AgentNotReady(msg.agent_id, msg.reason), now)

    def _on_answer(self, topic: str, msg: m.Answer, now: float) -> None:
        self._apply(CallAnswered(msg.call_id, msg.agent_id), now)

    def _on_wrap_up(self, topic: str, msg: m.WrapUp, now: float) -> None:
        case = self.desk.wrap_up(msg, now)
        self.agents.log[msg.agent_id].debug(  # the case journal in the store is the record
            "case_wrapped_up", call_id=msg.call_id, case_id=case.case_id, status=case.status, tier=case.tier
        )

    def _on_link_caller(self, topic: str, msg: m.LinkCaller, now: float) -> None:
        person = self.desk.link(msg, now)
        self.agents.log[msg.agent_id].info("caller_linked", call_id=msg.call_id, person_id=person.person_id)

    def _on_hang_up(self, topic: str, msg: m.HangUp, now: float) -> None:
        if not self.calls.agent_hung_up(msg.call_id, msg.agent_id):
            self._reject(topic, "not-your-call", f"agent {msg.agent_id} is not talking on call {msg.call_id}")
            return
        self._apply(CallHungUp(msg.call_id, Party.AGENT), now)

    # ------------------------------------------------------------------
    # Carrying out the router's commands
    # ------------------------------------------------------------------

    def _execute(self, commands: list[Command], now: float) -> None:
        calls = self.calls
        announcer = self.announcer
        for cmd in commands:
            if type(cmd) is SetAgentState:
                self.agents.set_state(cmd, now)
            elif type(cmd) is OfferCall:
                calls.offer(cmd, now)
                if announcer is not None:
                    announcer.stop(cmd.call_id)
            elif type(cmd) is QueueCall:
                calls.queue(cmd, now)
                if self.callbacks is not None:
                    if cmd.rule in QUEUE_ENTRIES:
                        self.callbacks.entered(cmd.call_id, now)
                    elif cmd.rule is Rule.CALLBACK_REQUESTED:
                        self.callbacks.requested(cmd.call_id)
                if announcer is not None and cmd.rule in QUEUE_ENTRIES:
                    announcer.queued(cmd.call_id, self._prompt_language(cmd.call_id), now)
                elif announcer is not None and cmd.rule is Rule.CALLBACK_REQUESTED:
                    announcer.stop(cmd.call_id)  # the caller leaves the line: nobody to tell
            elif type(cmd) is CancelOffer:
                calls.cancel_offer(cmd, now)
            elif type(cmd) is ConnectCall:
                calls.connect(cmd, now)
            elif type(cmd) is EndCall:
                calls.end(cmd, now)
                if self.callbacks is not None:
                    self.callbacks.back_on_line(cmd.call_id)
                if announcer is not None:
                    announcer.stop(cmd.call_id)
            elif type(cmd) is DialCallback:
                calls.dial_callback(cmd, now)
                if announcer is not None:
                    announcer.stop(cmd.call_id)
            elif type(cmd) is RetryCallback:
                calls.retry_callback(cmd, now)

    def _prompt_language(self, call_id: str) -> str:
        """The language a queued call's announcements are spoken in: the caller's, else the default."""
        assert self.plan is not None
        live = self.calls.live.get(call_id)
        language = live.record.language if live is not None else None
        known = {lang.id for lang in self.plan.languages}
        return self.plan.prompt_language(language if language in known else self.plan.default_language.id)

    # ------------------------------------------------------------------
    # Timers, statistics, errors
    # ------------------------------------------------------------------

    def _advance(self, now: float) -> None:
        """Run the router's timers due by ``now``, then the IVR's (a call it routes then enters the router)."""
        self._execute(self.router.advance(now), now)
        if self.callbacks is not None:
            self.callbacks.advance(now)
        if self.survey is not None:
            self.survey.advance(now)
        if self.announcer is not None:
            self.announcer.advance(now)
        if self.menus is not None:
            routed = self.menus.advance(now)
            for event in routed:
                try:
                    self._enter_router(event, now)
                except RoutingError as exc:
                    self._reject(m.pbx_ev(event.call_id), exc.code, str(exc))

    def _next_timer_at(self) -> float | None:
        times = [
            self.router.next_timer_at(),
            self.menus.next_timer_at() if self.menus is not None else None,
            self.callbacks.next_timer_at() if self.callbacks is not None else None,
            self.survey.next_timer_at() if self.survey is not None else None,
            self.announcer.next_timer_at() if self.announcer is not None else None,
        ]
        return min((t for t in times if t is not None), default=None)

    def _schedule_timer(self) -> None:
        when = self._next_timer_at()
        if when is None or (self._timer is not None and self._timer_at is not None and self._timer_at <= when):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.clock.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = self._timer_at = None
        self._advance(self.clock.now())
        self._schedule_timer()

    def stats(self, now: float) -> m.Stats:
        """The KPI snapshot at ``now``."""
        in_ivr = len(self.menus) if self.menus is not None else 0
        return snapshot(
            now,
            self.router,
            self.agents.status.values(),
            self.calls.day,
            self.desk.counts(now),
            in_ivr=in_ivr,
            in_survey=len(self.survey) if self.survey is not None else 0,
        )

    async def _stats_loop(self) -> None:
        while True:
            self.bus.publish(m.STATS, self.stats(self.clock.now()), retain=True)
            await self.clock.sleep(self.stats_every_s)

    def _reject(self, topic: str, code: str, reason: str) -> None:
        self.bus.publish(m.ERRORS, m.refusal(code, reason, topic))
        self.log.warning("input_rejected", topic=topic, code=code, reason=reason)
