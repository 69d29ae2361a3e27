"""The calls in progress, and what each of the router's call commands does to one.

The router decides; this module carries a decision out for one call: it
updates the call's row, tells the PBX (ring, stop ringing, connect, release)
and the agent (offer, offer withdrawn), journals the step, publishes the
call's lifecycle event, counts it for the day's figures and lets the case
desk follow the call. A call stays here from its arrival until its agent
finishes wrap-up (unanswered calls: until they end); then it leaves memory,
here and at the case desk, and only the store has it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cti.live import messages as m
from cti.live.bus import Bus
from cti.live.logs import Logger
from cti.live.server.casedesk import CaseDesk
from cti.live.server.kpi import DayCounts
from cti.live.server.leadership import Leadership
from cti.store import CallRecord, Journal, Outcome, Store
from routing import Router
from routing.call import CallStatus
from routing.centre import GENERAL_QUEUE, Centre
from routing.commands import (
    QUEUE_ENTRIES,
    CancelOffer,
    ConnectCall,
    DialCallback,
    EndCall,
    OfferCall,
    QueueCall,
    RetryCallback,
    Rule,
)
from routing.events import Party


@dataclass(slots=True)
class LiveCall:
    """A call in progress: its row, its logger and what the row does not hold."""

    record: CallRecord
    log: Logger
    ring_started: float | None = None
    ended_by: Party | None = None
    pop: m.ScreenPop | None = None
    #: What the centre does not know of the call (``system``, ``agency``), for its screen pop.
    unknown: tuple[str, ...] = ()
    #: Why the last call-back dial failed (the PBX's reason), for its journal row.
    dial_failure: str | None = None


class Calls:
    """The live calls of one server, and the calls whose agents are in wrap-up."""

    def __init__(
        self,
        centre: Centre,
        router: Router,
        bus: Bus,
        store: Store,
        desk: CaseDesk,
        leadership: Leadership,
        *,
        run_id: int,
        log: Logger,
    ) -> None:
        self.router = router
        self.bus = bus
        self.store = store
        self.desk = desk
        self.leadership = leadership
        self.run_id = run_id
        self.log = log
        self.threshold = centre.info.service_level_seconds
        self.day = DayCounts()
        self.live: dict[str, LiveCall] = {}
        self._wrapping: dict[str, LiveCall] = {}  # agent id -> the call in wrap-up
        #: How long the PBX rings a caller it calls back (the centre file's ``[callback] ring_s``).
        self.callback_ring_s = 30.0
        #: Takes the caller of a call the agent ended (the post-call survey); False: release the line.
        self.after_agent: Callable[[CallRecord, float], bool] | None = None
        self._site = {a.id: a.site for a in centre.agents}
        self._ext = {a.id: a.extension for a in centre.agents}
        self._abandon_position = 0
        #: Told each call's system and handle time (talk plus wrap-up) when its wrap-up ends.
        self.on_handled: Callable[[str | None, float], None] | None = None
        #: Told how long the phone rang before each answer.
        self.on_answered: Callable[[float], None] | None = None

    def idle(self) -> bool:
        """No call in progress and nobody in wrap-up."""
        return not self.live and not self._wrapping

    def wrapping(self) -> int:
        """Agents in wrap-up (each still holds their last call)."""
        return len(self._wrapping)

    # ------------------------------------------------------------------
    # What the PBX and the agents say
    # ------------------------------------------------------------------

    def arrive(self, msg: m.NewCall, now: float, *, menus: bool = False) -> CallRecord:
        """A new call: its row, the caller looked up, and the call live from now.

        ``menus``: the call goes through the IVR, which finds its system and agency
        (what the dial attached is not used).
        """
        record = CallRecord(
            call_id=msg.call_id,
            run_id=self.run_id,
            channel=msg.channel,
            caller=msg.caller,
            dialled=msg.dialled,
            system=None if menus else msg.system,
            agency=None if menus else msg.agency,
            arrived_at=now,
        )
        live = LiveCall(record, self.log.bind(call_id=msg.call_id))
        self.live[msg.call_id] = live
        self.desk.arrive(record, {} if menus else msg.ivr, menus=menus)
        live.log.info(
            "call_arrived", caller=msg.caller, system=record.system, agency=record.agency, person_id=record.person_id
        )
        return record

    def forget(self, call_id: str) -> None:
        """A call that arrived but was never taken in: no trace of it stays (nothing of it was stored)."""
        self.live.pop(call_id, None)
        self.desk.release(call_id)

    def leave_menus(self, call_id: str) -> LiveCall:
        """A call ended in the IVR (after hours, or the caller hung up): it leaves memory."""
        live = self.live.pop(call_id)
        self.desk.release(call_id)
        return live

    def refuse(self, call_id: str, reason: str, now: float) -> None:
        """The router cannot take the call: release it at the PBX, but keep its row, so nothing disappears."""
        record = self.live.pop(call_id).record
        record.outcome, record.state, record.ended_at = "rejected", "rejected", now
        self.store.call(record)
        self.desk.refused(record)
        self.bus.publish(m.pbx_ctl(call_id), m.Release(call_id=call_id, reason=reason, epoch=self.leadership.epoch))

    def caller_hung_up(self, call_id: str) -> bool:
        """Note where the caller stood (0 while ringing) before the router ends the call; False if not live."""
        live = self.live.get(call_id)
        if live is None:
            return False
        self._abandon_position = self.position(call_id)
        live.ended_by = Party.CALLER
        return True

    def agent_hung_up(self, call_id: str, agent_id: str) -> bool:
        """The agent talking on the call ends it; False if that agent is not talking on it."""
        live = self.live.get(call_id)
        if live is None or live.record.agent != agent_id or live.record.answered_at is None:
            return False
        live.ended_by = Party.AGENT
        return True

    # ------------------------------------------------------------------
    # The router's commands
    # ------------------------------------------------------------------

    def queue(self, cmd: QueueCall, now: float) -> None:
        live = self.live[cmd.call_id]
        rec = live.record
        rec.queue, rec.state = cmd.queue, "queued"
        # Offered at once (already ringing): it was first in line.
        entry = cmd.rule in QUEUE_ENTRIES  # its system's queue, or the general queue (unknown system or agency)
        position = self.position(cmd.call_id, latest=entry) or 1
        if entry:
            rec.offered_at, rec.entry_position = now, position
            self.day.offered += 1
            event = Journal.ENTERQUEUE
            live.pop = self.desk.enter_queue(rec, now, unknown=live.unknown)
        elif cmd.rule is Rule.NO_AGENT_FALLBACK:
            event = Journal.QUEUECHANGE
        elif cmd.rule is Rule.CALLBACK_REQUESTED:
            rec.callback_at = now
            event = Journal.CALLBACKREQUEST
        else:
            event = Journal.REQUEUE
        self.store.event(now, rec.call_id, event, queue=cmd.queue, rule=cmd.rule, data1=position)
        self.store.call(rec)
        self._call_event(rec, "queued", now, cmd.rule)
        live.log.debug("call_queued", queue=cmd.queue, rule=cmd.rule, position=position)

    def offer(self, cmd: OfferCall, now: float) -> None:
        live = self.live[cmd.call_id]
        rec = live.record
        rec.state = "ringing"
        rec.offers += 1
        live.ring_started = now
        epoch = self.leadership.epoch
        self.bus.publish(
            m.agent_offer(cmd.agent_id),
            m.Offer(
                call_id=rec.call_id,
                agent_id=cmd.agent_id,
                caller=rec.caller,
                system=rec.system,
                agency=rec.agency,
                queue=rec.queue or rec.system or GENERAL_QUEUE,
                ring_until=cmd.ring_until,
                overflow=cmd.overflow,
                backup=cmd.backup,
                epoch=epoch,
                case_id=rec.case_id,
                pop=live.pop,
                callback=cmd.callback,
            ),
        )
        if not cmd.callback:  # a call-back's caller is not on the line: only the agent's desktop rings
            self.bus.publish(
                m.pbx_ctl(rec.call_id),
                m.Ring(
                    call_id=rec.call_id,
                    agent_id=cmd.agent_id,
                    extension=self._ext[cmd.agent_id],
                    ring_until=cmd.ring_until,
                    epoch=epoch,
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

    def cancel_offer(self, cmd: CancelOffer, now: float) -> None:
        live = self.live[cmd.call_id]
        rec = live.record
        ring_ms = round((now - (live.ring_started or now)) * 1000)
        live.ring_started = None
        reason = str(cmd.rule)
        epoch = self.leadership.epoch
        self.bus.publish(
            m.agent_offer(cmd.agent_id),
            m.OfferWithdrawn(call_id=rec.call_id, agent_id=cmd.agent_id, reason=reason, epoch=epoch),
        )
        self.bus.publish(m.pbx_ctl(rec.call_id), m.StopRinging(call_id=rec.call_id, agent_id=cmd.agent_id, epoch=epoch))
        event = Journal.RINGNOANSWER if cmd.rule is Rule.RING_NO_ANSWER else Journal.RINGCANCELED
        self.store.event(
            now, rec.call_id, event, queue=rec.queue, agent=cmd.agent_id, rule=cmd.rule, data1=ring_ms, data2=reason
        )
        live.log.info("offer_withdrawn", agent_id=cmd.agent_id, rule=cmd.rule)

    def dial_callback(self, cmd: DialCallback, now: float) -> None:
        """The agent accepted a call-back: the PBX calls the caller back for them."""
        live = self.live[cmd.call_id]
        rec = live.record
        rec.state, rec.callback_dials, rec.callback_accepted_at = "dialling", cmd.dial, now
        ring = m.DialOut(
            call_id=rec.call_id,
            agent_id=cmd.agent_id,
            number=rec.caller,
            dial=min(cmd.dial, m.MAX_DIALS),
            ring_s=self.callback_ring_s,
            epoch=self.leadership.epoch,
        )
        self.bus.publish(m.pbx_ctl(rec.call_id), ring)
        self.store.event(
            now, rec.call_id, Journal.CALLBACKDIAL, queue=rec.queue, agent=cmd.agent_id, rule=cmd.rule, data1=cmd.dial
        )
        self.store.call(rec)
        self._call_event(rec, "dialling", now, cmd.rule, agent_id=cmd.agent_id)
        live.log.info("callback_dialled", agent_id=cmd.agent_id, dial=cmd.dial)

    def retry_callback(self, cmd: RetryCallback, now: float) -> None:
        """A dial went unanswered: the call waits out of the queue until ``retry_at``."""
        live = self.live[cmd.call_id]
        rec = live.record
        rec.state = "callback-retry"
        why, live.dial_failure = live.dial_failure or "no-answer", None
        self.store.event(
            now,
            rec.call_id,
            Journal.CALLBACKNOANSWER,
            queue=rec.queue,
            rule=cmd.rule,
            data1=cmd.dial - 1,
            data2=why,
            data3=cmd.retry_at,
        )
        self.store.call(rec)
        self._call_event(rec, "callback-retry", now, cmd.rule)
        live.log.info("callback_not_answered", dial=cmd.dial - 1, reason=why, retry_at=cmd.retry_at)

    def connect(self, cmd: ConnectCall, now: float) -> None:
        live = self.live[cmd.call_id]
        rec = live.record
        rec.state, rec.agent, rec.site = "talking", cmd.agent_id, self._site[cmd.agent_id]
        rec.answered_at, rec.rang_at = now, live.ring_started
        assert rec.offered_at is not None
        wait = now - rec.offered_at
        self.day.answered += 1
        if wait <= self.threshold:
            self.day.answered_in_threshold += 1
        self.bus.publish(
            m.pbx_ctl(rec.call_id),
            m.Connect(call_id=rec.call_id, agent_id=cmd.agent_id, epoch=self.leadership.epoch),
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
        if self.on_answered is not None and live.ring_started is not None:
            self.on_answered(now - live.ring_started)
        self._call_event(rec, "answered", now, cmd.rule)
        live.log.info("call_answered", agent_id=cmd.agent_id, wait_s=round(wait, 3))

    def end(self, cmd: EndCall, now: float) -> None:
        live = self.live.pop(cmd.call_id)
        rec = live.record
        rec.ended_at = now
        wait = now - rec.offered_at if rec.offered_at is not None else 0.0
        epoch = self.leadership.epoch
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
            # The agent hung up: the caller hears the post-call survey if the centre has one, else the line is released.
            if by is Party.AGENT and not (self.after_agent is not None and self.after_agent(rec, now)):
                self.bus.publish(m.pbx_ctl(rec.call_id), m.Release(call_id=rec.call_id, reason="agent", epoch=epoch))
            self._call_event(rec, "ended", now, cmd.rule)
            live.log.info("call_ended", agent_id=rec.agent, by=by, talk_s=round(talk, 3))
        else:
            position = self._abandon_position if cmd.rule is Rule.CALLER_HUNG_UP else None
            self._abandon_position = 0
            if cmd.rule is Rule.CALLBACK_FAILED:
                self._callback_failed(live, now, wait)
                return
            if cmd.rule is Rule.CALLER_HUNG_UP:
                rec.outcome, rec.ended_by, rec.state = Outcome.ABANDONED, Party.CALLER, "abandoned"
                event, name = Journal.ABANDON, "abandoned"
            else:
                rec.outcome, rec.ended_by, rec.state = Outcome.NO_AGENT, "centre", "no-agent"
                event, name = Journal.EXITEMPTY, "no-agent"
                self.bus.publish(m.pbx_ctl(rec.call_id), m.Release(call_id=rec.call_id, reason="no-agent", epoch=epoch))
            self.day.abandoned += 1
            self.desk.unanswered(rec, now, name)
            self.desk.release(rec.call_id)
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

    def _callback_failed(self, live: LiveCall, now: float, wait: float) -> None:
        """The last dial went unanswered: the call ends and its case is left to call back (no line to release)."""
        rec = live.record
        rec.outcome, rec.ended_by, rec.state = Outcome.CALLBACK_FAILED, "centre", Outcome.CALLBACK_FAILED
        why, live.dial_failure = live.dial_failure or "no-answer", None
        self.day.abandoned += 1  # unanswered, as every offered call that ends so (routing.figures)
        self.desk.unanswered(rec, now, f"call-back failed after {rec.callback_dials} dials ({why})")
        self.desk.release(rec.call_id)
        self.store.event(
            now,
            rec.call_id,
            Journal.CALLBACKFAILED,
            queue=rec.queue,
            rule=Rule.CALLBACK_FAILED,
            data1=rec.callback_dials,
        )
        self.store.call(rec)
        self._call_event(rec, Outcome.CALLBACK_FAILED, now, Rule.CALLBACK_FAILED)
        live.log.info("callback_failed", dials=rec.callback_dials, reason=why, wait_s=round(wait, 3))

    # ------------------------------------------------------------------
    # Wrap-up
    # ------------------------------------------------------------------

    def in_wrap_up(self, agent_id: str) -> str | None:
        """The call whose wrap-up the agent is doing, if any."""
        live = self._wrapping.get(agent_id)
        return live.record.call_id if live is not None else None

    def end_wrap_up(self, agent_id: str, now: float, rule: str) -> None:
        """The agent left wrap-up: the call is done."""
        live = self._wrapping.pop(agent_id, None)
        if live is not None:
            rec = live.record
            rec.wrap_up_end_at, rec.state = now, "done"
            self.store.event(now, rec.call_id, Journal.WRAPUPEND, queue=rec.queue, agent=agent_id, rule=rule)
            self.store.call(rec)
            self.desk.release(rec.call_id)
            if self.on_handled is not None and rec.answered_at is not None:
                self.on_handled(rec.system, now - rec.answered_at)

    # ------------------------------------------------------------------

    def position(self, call_id: str, *, latest: bool = False) -> int:
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

    def _call_event(self, rec: CallRecord, event: str, now: float, rule: str, *, agent_id: str | None = None) -> None:
        """Publish one step of the call's life; ``agent_id`` defaults to the agent who answered."""
        self.bus.publish(
            m.call_topic(rec.call_id),
            m.CallEvent(
                call_id=rec.call_id, event=event, at=now, rule=rule, queue=rec.queue, agent_id=agent_id or rec.agent
            ),
        )
