"""The CTI server: the imperative shell around the routing core.

It consumes PBX and agent messages from the bus, applies them to the
:class:`routing.Router` at the clock's time, and carries out the commands the
router returns: offers to agents, ring/stop/connect/release to the PBX,
retained agent states, call lifecycle events, the journal, and the logs. The
router's timers (ring timeout, reject delay, wrap-up, site overflow, the
no-agent fallback) are run by one clock callback set for the router's next
timer. Every second of centre time it publishes a retained KPI snapshot.

Bad input (a message that does not fit the state, an unknown call or agent)
is answered on ``cti/v1/errors`` and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from cti import messages as m
from cti.bus import Bus, Delivery
from cti.casedesk import CaseDesk
from cti.cases import CaseError
from cti.clock import Clock
from cti.directory import Directory
from cti.store import AgentStateRow, CallRecord, Journal, Outcome, Store
from routing import Router
from routing.call import CallStatus
from routing.centre import Centre
from routing.commands import (
    CancelOffer,
    Command,
    ConnectCall,
    EndCall,
    OfferCall,
    QueueCall,
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
    CallHungUp,
    Event,
    Party,
)

Logger = structlog.typing.FilteringBoundLogger


@dataclass(slots=True)
class DayCounts:
    """Calls counted since the start of the centre's day (restored from the store at start)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    interrupted: int = 0
    answered_in_threshold: int = 0


@dataclass(slots=True)
class _Live:
    record: CallRecord
    log: Logger
    ring_started: float | None = None
    ended_by: Party | None = None
    pop: m.ScreenPop | None = None


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
    ) -> None:
        self.centre = centre
        self.bus = bus
        self.clock = clock
        self.store = store
        self.run_id = run_id
        self.router = router
        self.log = log
        self.server_id = server_id
        self.epoch = epoch
        self.stats_every_s = stats_every_s
        self.threshold = centre.info.service_level_seconds
        self.day = DayCounts()
        self._live: dict[str, _Live] = {}
        self._wrapping: dict[str, _Live] = {}  # agent id -> the call in wrap-up
        self._status: dict[str, str] = {a.id: "logged-out" for a in centre.agents}
        self._site = {a.id: a.site for a in centre.agents}
        self._ext = {a.id: a.extension for a in centre.agents}
        self._agent_log = {a.id: log.bind(agent_id=a.id) for a in centre.agents}
        self.desk = CaseDesk(centre, store, Directory(store.path), run_id=run_id, actor=server_id)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._handlers: dict[type[m.Message], Callable[[str, Any, float], None]] = {
            m.NewCall: self._on_new_call,
            m.CallerHungUp: self._on_caller_hung_up,
            m.Login: self._on_login,
            m.Logout: self._on_logout,
            m.Ready: self._on_ready,
            m.NotReady: self._on_not_ready,
            m.Answer: self._on_answer,
            m.HangUp: self._on_hang_up,
            m.WrapUp: self._on_wrap_up,
            m.LinkCaller: self._on_link_caller,
        }
        self.handled = 0
        self._abandon_position = 0
        # Subscribe at once, so nothing published after construction is missed.
        self._sub = bus.subscribe(m.PBX_IN, f"{m.PREFIX}/pbx/+/ev", f"{m.PREFIX}/agents/+/cmd")

    # ------------------------------------------------------------------

    @property
    def live_calls(self) -> int:
        return len(self._live)

    def all_logged_out(self) -> bool:
        return all(status == "logged-out" for status in self._status.values())

    def idle(self) -> bool:
        """No call in progress and nobody in wrap-up."""
        return not self._live and not self._wrapping

    async def restore_day(self, day_start: float) -> None:
        """Start the day's counters from the store, so a restart does not reset them."""
        counts = await self.store.counts_since(day_start, self.threshold)
        self.day = DayCounts(
            offered=sum(v for k, v in counts.items() if k != "in_threshold"),  # in progress ("open") too
            answered=counts.get(Outcome.ANSWERED, 0),
            abandoned=counts.get(Outcome.ABANDONED, 0) + counts.get(Outcome.NO_AGENT, 0),
            interrupted=counts.get(Outcome.INTERRUPTED, 0),
            answered_in_threshold=counts.get("in_threshold", 0),
        )

    async def run(self) -> None:
        sub = self._sub
        self.bus.publish(
            m.server_status(self.server_id),
            m.ServerStatus(server_id=self.server_id, online=True, role="primary", epoch=self.epoch),
            retain=True,
        )
        self.bus.publish(m.LEADER, m.Leader(server_id=self.server_id, epoch=self.epoch), retain=True)
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
        self._execute(self.router.advance(now), now)
        self.handled += 1
        try:
            handler(delivery.topic, message, now)
        except (RoutingError, CaseError) as exc:
            self._reject(delivery.topic, exc.code, str(exc))

    # ------------------------------------------------------------------
    # Incoming messages
    # ------------------------------------------------------------------

    def _apply(self, event: Event, now: float) -> None:
        self._execute(self.router.apply(event, now), now)

    def _on_new_call(self, topic: str, msg: m.NewCall, now: float) -> None:
        if msg.call_id in self._live:
            self._reject(topic, "duplicate-call", f"call {msg.call_id} is already in progress")
            return
        record = CallRecord(
            call_id=msg.call_id,
            run_id=self.run_id,
            channel=msg.channel,
            caller=msg.caller,
            dialled=msg.dialled,
            system=msg.system,
            agency=msg.agency,
            arrived_at=now,
        )
        live = _Live(record, self.log.bind(call_id=msg.call_id))
        self._live[msg.call_id] = live
        self.desk.arrive(record, msg.ivr)
        live.log.info(
            "call_arrived", caller=msg.caller, system=msg.system, agency=msg.agency, person_id=record.person_id
        )
        try:
            self._apply(CallArrived(msg.call_id, msg.system, msg.agency), now)
        except RoutingError as exc:
            # Not routable (e.g. a system this centre does not serve): refuse it
            # at the PBX, but keep its row, so nothing disappears.
            del self._live[msg.call_id]
            record.outcome, record.state, record.ended_at = "rejected", "rejected", now
            self.store.call(record)
            self.bus.publish(m.pbx_ctl(msg.call_id), m.Release(call_id=msg.call_id, reason=exc.code, epoch=self.epoch))
            raise

    def _on_caller_hung_up(self, topic: str, msg: m.CallerHungUp, now: float) -> None:
        live = self._live.get(msg.call_id)
        if live is None:
            self._reject(topic, "unknown-call", f"call {msg.call_id} is not in progress")
            return
        self._abandon_position = self._position(msg.call_id)  # 0 while ringing
        live.ended_by = Party.CALLER
        self._apply(CallHungUp(msg.call_id, Party.CALLER), now)

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
        self._agent_log[msg.agent_id].debug(  # the case journal in the store is the record
            "case_wrapped_up", call_id=msg.call_id, case_id=case.case_id, status=case.status, tier=case.tier
        )

    def _on_link_caller(self, topic: str, msg: m.LinkCaller, now: float) -> None:
        person = self.desk.link(msg, now)
        self._agent_log[msg.agent_id].info("caller_linked", call_id=msg.call_id, person_id=person.person_id)

    def _on_hang_up(self, topic: str, msg: m.HangUp, now: float) -> None:
        live = self._live.get(msg.call_id)
        if live is None or live.record.agent != msg.agent_id or live.record.answered_at is None:
            self._reject(topic, "not-your-call", f"agent {msg.agent_id} is not talking on call {msg.call_id}")
            return
        live.ended_by = Party.AGENT
        self._apply(CallHungUp(msg.call_id, Party.AGENT), now)

    # ------------------------------------------------------------------
    # Carrying out the router's commands
    # ------------------------------------------------------------------

    def _execute(self, commands: list[Command], now: float) -> None:
        for cmd in commands:
            if type(cmd) is SetAgentState:
                self._set_agent_state(cmd, now)
            elif type(cmd) is OfferCall:
                self._offer(cmd, now)
            elif type(cmd) is QueueCall:
                self._queue(cmd, now)
            elif type(cmd) is CancelOffer:
                self._cancel_offer(cmd, now)
            elif type(cmd) is ConnectCall:
                self._connect(cmd, now)
            elif type(cmd) is EndCall:
                self._end(cmd, now)

    def _queue(self, cmd: QueueCall, now: float) -> None:
        live = self._live[cmd.call_id]
        rec = live.record
        rec.queue, rec.state = cmd.queue, "queued"
        # Offered at once (already ringing): it was first in line.
        position = self._position(cmd.call_id, latest=cmd.rule is Rule.QUEUE_ENTRY) or 1
        if cmd.rule is Rule.QUEUE_ENTRY:
            rec.offered_at, rec.entry_position = now, position
            self.day.offered += 1
            event = Journal.ENTERQUEUE
            live.pop = self.desk.enter_queue(rec, now)
        elif cmd.rule is Rule.NO_AGENT_FALLBACK:
            event = Journal.QUEUECHANGE
        else:
            event = Journal.REQUEUE
        self.store.event(now, rec.call_id, event, queue=cmd.queue, rule=cmd.rule, data1=position)
        self.store.call(rec)
        self._call_event(rec, "queued", now, cmd.rule)
        live.log.debug("call_queued", queue=cmd.queue, rule=cmd.rule, position=position)

    def _offer(self, cmd: OfferCall, now: float) -> None:
        live = self._live[cmd.call_id]
        rec = live.record
        rec.state = "ringing"
        rec.offers += 1
        live.ring_started = now
        self.bus.publish(
            m.agent_offer(cmd.agent_id),
            m.Offer(
                call_id=rec.call_id,
                agent_id=cmd.agent_id,
                caller=rec.caller,
                system=rec.system,
                agency=rec.agency,
                queue=rec.queue or rec.system,
                ring_until=cmd.ring_until,
                overflow=cmd.overflow,
                backup=cmd.backup,
                epoch=self.epoch,
                case_id=rec.case_id,
                pop=live.pop,
            ),
        )
        self.bus.publish(
            m.pbx_ctl(rec.call_id),
            m.Ring(
                call_id=rec.call_id,
                agent_id=cmd.agent_id,
                extension=self._ext[cmd.agent_id],
                ring_until=cmd.ring_until,
                epoch=self.epoch,
            ),
        )
        self.store.event(
            now,
            rec.call_id,
            Journal.RINGING,
            queue=rec.queue,
            agent=cmd.agent_id,
            rule=cmd.rule,
            data1=cmd.ring_until,
            data2=int(cmd.overflow),
            data3=int(cmd.backup),
        )
        self.store.call(rec)
        self._call_event(rec, "ringing", now, cmd.rule, agent_id=cmd.agent_id)
        live.log.info("call_offered", agent_id=cmd.agent_id, rule=cmd.rule, overflow=cmd.overflow, backup=cmd.backup)

    def _cancel_offer(self, cmd: CancelOffer, now: float) -> None:
        live = self._live[cmd.call_id]
        rec = live.record
        ring_ms = round((now - (live.ring_started or now)) * 1000)
        live.ring_started = None
        reason = str(cmd.rule)
        self.bus.publish(
            m.agent_offer(cmd.agent_id),
            m.OfferWithdrawn(call_id=rec.call_id, agent_id=cmd.agent_id, reason=reason, epoch=self.epoch),
        )
        self.bus.publish(
            m.pbx_ctl(rec.call_id), m.StopRinging(call_id=rec.call_id, agent_id=cmd.agent_id, epoch=self.epoch)
        )
        event = Journal.RINGNOANSWER if cmd.rule is Rule.RING_NO_ANSWER else Journal.RINGCANCELED
        self.store.event(
            now, rec.call_id, event, queue=rec.queue, agent=cmd.agent_id, rule=cmd.rule, data1=ring_ms, data2=reason
        )
        live.log.info("offer_withdrawn", agent_id=cmd.agent_id, rule=cmd.rule)

    def _connect(self, cmd: ConnectCall, now: float) -> None:
        live = self._live[cmd.call_id]
        rec = live.record
        rec.state, rec.agent, rec.site = "talking", cmd.agent_id, self._site[cmd.agent_id]
        rec.answered_at, rec.rang_at = now, live.ring_started
        assert rec.offered_at is not None
        wait = now - rec.offered_at
        self.day.answered += 1
        if wait <= self.threshold:
            self.day.answered_in_threshold += 1
        self.bus.publish(
            m.pbx_ctl(rec.call_id), m.Connect(call_id=rec.call_id, agent_id=cmd.agent_id, epoch=self.epoch)
        )
        self.store.event(
            now,
            rec.call_id,
            Journal.CONNECT,
            queue=rec.queue,
            agent=cmd.agent_id,
            rule=cmd.rule,
            data1=wait,
            data2=now - (live.ring_started or now),
        )
        self.store.call(rec)
        self.desk.answered(rec, now)
        self._call_event(rec, "answered", now, cmd.rule)
        live.log.info("call_answered", agent_id=cmd.agent_id, wait_s=round(wait, 3))

    def _end(self, cmd: EndCall, now: float) -> None:
        live = self._live.pop(cmd.call_id)
        rec = live.record
        rec.ended_at = now
        wait = now - rec.offered_at if rec.offered_at is not None else 0.0
        if rec.answered_at is not None:
            by = live.ended_by or Party.CALLER
            rec.outcome, rec.ended_by, rec.state = Outcome.ANSWERED, by, "wrap-up"
            talk = now - rec.answered_at
            event = Journal.COMPLETEAGENT if by is Party.AGENT else Journal.COMPLETECALLER
            self.store.event(
                now,
                rec.call_id,
                event,
                queue=rec.queue,
                agent=rec.agent,
                rule=cmd.rule,
                data1=rec.answered_at - (rec.offered_at or rec.answered_at),
                data2=talk,
            )
            assert rec.agent is not None
            self._wrapping[rec.agent] = live
            if by is Party.AGENT:
                self.bus.publish(
                    m.pbx_ctl(rec.call_id), m.Release(call_id=rec.call_id, reason="agent", epoch=self.epoch)
                )
            self._call_event(rec, "ended", now, cmd.rule)
            live.log.info("call_ended", agent_id=rec.agent, by=by, talk_s=round(talk, 3))
        else:
            position = self._abandon_position if cmd.rule is Rule.CALLER_HUNG_UP else None
            self._abandon_position = 0
            if cmd.rule is Rule.CALLER_HUNG_UP:
                rec.outcome, rec.ended_by, rec.state = Outcome.ABANDONED, Party.CALLER, "abandoned"
                event, name = Journal.ABANDON, "abandoned"
            else:
                rec.outcome, rec.ended_by, rec.state = Outcome.NO_AGENT, "centre", "no-agent"
                event, name = Journal.EXITEMPTY, "no-agent"
                self.bus.publish(
                    m.pbx_ctl(rec.call_id), m.Release(call_id=rec.call_id, reason="no-agent", epoch=self.epoch)
                )
            self.day.abandoned += 1
            self.desk.unanswered(rec, now, name)
            self.store.event(
                now,
                rec.call_id,
                event,
                queue=rec.queue,
                rule=cmd.rule,
                data1=position,
                data2=rec.entry_position,
                data3=wait,
            )
            self._call_event(rec, name, now, cmd.rule)
            live.log.info("call_" + name.replace("-", "_"), wait_s=round(wait, 3), position=position)
        self.store.call(rec)

    def _call_event(self, rec: CallRecord, event: str, now: float, rule: str, *, agent_id: str | None = None) -> None:
        """Publish one step of the call's life; ``agent_id`` defaults to the agent who answered."""
        self.bus.publish(
            m.call_topic(rec.call_id),
            m.CallEvent(
                call_id=rec.call_id, event=event, at=now, rule=rule, queue=rec.queue, agent_id=agent_id or rec.agent
            ),
        )

    def _set_agent_state(self, cmd: SetAgentState, now: float) -> None:
        agent_id = cmd.agent_id
        before = self._status[agent_id]
        self._status[agent_id] = cmd.status
        site = self._site[agent_id]
        if before == "wrap-up" and cmd.status != "wrap-up":
            live = self._wrapping.pop(agent_id, None)
            if live is not None:
                rec = live.record
                rec.wrap_up_end_at, rec.state = now, "done"
                self.store.event(now, rec.call_id, Journal.WRAPUPEND, queue=rec.queue, agent=agent_id, rule=cmd.rule)
                self.store.call(rec)
        if cmd.rule is Rule.LOGIN:
            self.store.session_start(self.run_id, agent_id, site, now)
        elif cmd.status == "logged-out":
            self.store.session_end(agent_id, now, str(cmd.rule))
        state = self.router.agents[agent_id]
        call_id = state.call
        if call_id is None and cmd.status == "wrap-up":
            wrapping = self._wrapping.get(agent_id)
            call_id = wrapping.record.call_id if wrapping is not None else None
        self.store.agent_state(
            AgentStateRow(self.run_id, now, agent_id, site, cmd.status, cmd.reason, cmd.rule, call_id)
        )
        self.bus.publish(
            m.agent_state(agent_id),
            m.AgentState(
                agent_id=agent_id,
                site=site,
                status=cmd.status,
                since=now,
                rule=cmd.rule,
                reason=cmd.reason,
                call_id=call_id,
                epoch=self.epoch,
            ),
            retain=True,
        )
        self._agent_log[agent_id].debug("agent_state", status=cmd.status, rule=cmd.rule, reason=cmd.reason)

    # ------------------------------------------------------------------
    # Timers, statistics, errors
    # ------------------------------------------------------------------

    def _schedule_timer(self) -> None:
        when = self.router.next_timer_at()
        if when is None or (self._timer is not None and self._timer_at is not None and self._timer_at <= when):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.clock.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = self._timer_at = None
        now = self.clock.now()
        self._execute(self.router.advance(now), now)
        self._schedule_timer()

    def _position(self, call_id: str, *, latest: bool = False) -> int:
        """1-based place in its queue (higher priority first, then entry order); 0 if not queued."""
        call = self.router.calls.get(call_id)
        if call is None or call.status is not CallStatus.QUEUED:
            return 0
        if latest:  # a new call is behind every call of its priority and above
            return sum(len(b) for (_, prio), b in self.router.waiting.buckets(call.queue) if prio >= call.priority)
        key = call.order_key
        ahead = sum(
            1 for _, bucket in self.router.waiting.buckets(call.queue) for other in bucket if other.order_key < key
        )
        return ahead + 1

    def stats(self, now: float) -> m.Stats:
        queued = [c for c in self.router.calls.values() if c.status is CallStatus.QUEUED]
        longest = max((now - c.entered_at for c in queued), default=0.0)
        agents: dict[str, int] = {}
        for status in self._status.values():
            agents[status] = agents.get(status, 0) + 1
        by_queue: dict[str, int] = {}
        for c in queued:
            by_queue[c.queue] = by_queue.get(c.queue, 0) + 1
        open_cases, overdue = self.desk.counts(now)
        return m.Stats(
            at=now,
            offered=self.day.offered,
            answered=self.day.answered,
            abandoned=self.day.abandoned,
            interrupted=self.day.interrupted,
            answered_in_threshold=self.day.answered_in_threshold,
            waiting=len(queued),
            longest_wait_s=longest,
            agents=dict(sorted(agents.items())),
            waiting_by_queue=dict(sorted(by_queue.items())),
            open_cases=open_cases,
            overdue_cases=overdue,
        )

    async def _stats_loop(self) -> None:
        while True:
            self.bus.publish(m.STATS, self.stats(self.clock.now()), retain=True)
            await self.clock.sleep(self.stats_every_s)

    def _reject(self, topic: str, code: str, reason: str) -> None:
        self.bus.publish(m.ERRORS, m.Error(code=code, reason=reason, topic=topic))
        self.log.warning("input_rejected", topic=topic, code=code, reason=reason)
