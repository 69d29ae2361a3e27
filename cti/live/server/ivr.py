"""The calls in the voice menus: the server's part that drives the IVR core.

A centre whose file has an ``[ivr]`` table sends every call through the
menus (:class:`ivr.Ivr`, one engine for all calls). When a call arrives its
row is made at once (state ``ivr``; the case desk looks the caller up, and
the directory's agency is the caller's), ``IVRSTART`` is journalled and the
engine is told, with the centre's local time (service hours are judged from
it, moved on to when the caller's language is settled) and the agency. Then this part carries out what the engine says:

* ``Play``: the PBX plays the prompt (``play`` on ``cti/v1/pbx/{call}/ctl``, with the epoch);
* ``Step``: an ``IVRSTEP`` journal row, and the call's IVR choices (language,
  where its agency came from, the key pressed in each menu), which the screen
  pop shows;
* ``Route``: the call's system, agency, language, IVR outcome and seconds in
  the IVR are set, ``IVREND`` is journalled, the PBX takes the line out of the
  menus (``queue``: any prompt stops, keys go no further) and the call is
  handed to the router exactly as a call without an IVR (the case opens and
  the screen pop is built when it enters the queue);
* ``CallBack`` (after hours, the caller left a number): the case desk opens a
  call-back case due at the next opening, the number in its note;
* ``Release`` (after hours): ``AFTERHOURS`` and ``IVREND`` are journalled, the
  call ends with outcome ``after-hours`` and the PBX releases the line (ended
  by the centre); when the caller hung up during the goodbye or the thank-you
  the outcome stands, the call was ended by the caller and there is no line
  left to release;
* a caller who hangs up in the menus: the call ends with outcome
  ``ivr-abandoned`` and ``IVREND`` names the menu where it happened.

A call in the menus has not been offered to any queue: it counts in none of
the day's offered, answered or abandoned calls. Keys or a prompt's end for a
call not in the menus are refused (``unknown-call``) and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import ivr
from cti.live import messages as m
from cti.live.bus import Bus
from cti.live.logs import Logger
from cti.live.server.calls import Calls
from cti.live.server.casedesk import CaseDesk
from cti.live.server.leadership import Leadership
from cti.store import CallRecord, Journal, Outcome, Store
from ivr.civil import EPOCH_ORDINAL
from routing.centre import GENERAL_QUEUE, Centre
from routing.events import CallArrived

#: The choices a call may gather in the menus; the screen pop holds at most this many.
MAX_CHOICES = m.MAX_IVR_CHOICES


def local_time(t: float, tz: ZoneInfo) -> ivr.LocalTime:
    """Centre time ``t`` (Unix seconds) as the IVR reads it: the local day number and seconds since local midnight."""
    local = datetime.fromtimestamp(t, tz)
    midnight = datetime.combine(local.date(), time(), tzinfo=tz)
    return ivr.LocalTime(local.date().toordinal() - EPOCH_ORDINAL, (local - midnight).total_seconds())


def unix_time(local: ivr.LocalTime, tz: ZoneInfo) -> float:
    """A local day and time of the centre as Unix seconds (the wall-clock time, on that day)."""
    day = date.fromordinal(local.day + EPOCH_ORDINAL)
    return (datetime.combine(day, time(), tzinfo=tz) + timedelta(seconds=local.seconds)).timestamp()


@dataclass(slots=True)
class _InMenus:
    """What this part keeps of a call in the menus (its row is in :class:`Calls`)."""

    record: CallRecord
    local: ivr.LocalTime  # when it arrived, centre-local
    menu: str | None = None  # the last menu or question the caller was in


class IvrCalls:
    """The engine and the calls in it."""

    def __init__(
        self,
        plan: ivr.IvrPlan,
        centre: Centre,
        bus: Bus,
        store: Store,
        calls: Calls,
        desk: CaseDesk,
        leadership: Leadership,
        *,
        log: Logger,
    ) -> None:
        self.plan = plan
        self.engine = ivr.Ivr(plan)
        self.bus = bus
        self.store = store
        self.calls = calls
        self.desk = desk
        self.leadership = leadership
        self.log = log
        self.tz = ZoneInfo(centre.info.timezone)
        self.in_menus: dict[str, _InMenus] = {}

    def active(self, call_id: str) -> bool:
        return call_id in self.in_menus

    def __len__(self) -> int:
        """Calls in the menus now."""
        return len(self.in_menus)

    def next_timer_at(self) -> float | None:
        return self.engine.next_timer_at()

    # ------------------------------------------------------------------
    # What the PBX says
    # ------------------------------------------------------------------

    def arrive(self, msg: m.NewCall, now: float) -> list[CallArrived]:
        """A new call enters the menus: its row, the caller looked up, ``IVRSTART``, the engine told."""
        local = local_time(now, self.tz)
        rec = self.calls.arrive(msg, now, menus=True)
        person = self.desk.person(rec.call_id)
        agency = person.agency if person is not None else None
        try:
            commands = self.engine.apply(ivr.CallArrived(rec.call_id, local, agency), now)
        except ivr.IvrError:
            self.calls.forget(rec.call_id)
            raise
        rec.agency, rec.state = agency, "ivr"
        self.in_menus[rec.call_id] = _InMenus(rec, local)
        first = next((c.language for c in commands if isinstance(c, ivr.Play)), self.plan.default_language.id)
        self.store.event(now, rec.call_id, Journal.IVRSTART, data1=first)
        self.store.call(rec)
        return self.execute(commands, now)

    def prompt_done(self, msg: m.PromptDone, now: float) -> list[CallArrived]:
        self._require(msg.call_id)
        return self.execute(self.engine.apply(ivr.PromptFinished(msg.call_id, msg.prompt, msg.language), now), now)

    def digits(self, msg: m.Digits, now: float) -> list[CallArrived]:
        self._require(msg.call_id)
        return self.execute(self.engine.apply(ivr.DigitsPressed(msg.call_id, msg.digits), now), now)

    def caller_hung_up(self, call_id: str, now: float) -> list[CallArrived]:
        self._require(call_id)
        return self.execute(self.engine.apply(ivr.CallerHungUp(call_id), now), now, caller_gone=True)

    def advance(self, now: float) -> list[CallArrived]:
        """Run the engine's timers due by ``now`` (digit and inter-digit timeouts, prompt safety)."""
        return self.execute(self.engine.advance(now), now)

    def _require(self, call_id: str) -> None:
        if call_id not in self.in_menus:
            raise ivr.UnknownCall(call_id)

    # ------------------------------------------------------------------
    # The engine's commands
    # ------------------------------------------------------------------

    def execute(self, commands: list[ivr.Command], now: float, *, caller_gone: bool = False) -> list[CallArrived]:
        """Carry out the engine's commands; returns the calls to hand to the router, in order.

        ``caller_gone``: they answer the caller hanging up (a ``Release`` then ends a call the caller left).
        """
        routed: list[CallArrived] = []
        for cmd in commands:
            if isinstance(cmd, ivr.Play):
                self._play(cmd)
            elif isinstance(cmd, ivr.Step):
                self._step(cmd, now)
            elif isinstance(cmd, ivr.Route):
                routed.append(self._route(cmd, now))
            elif isinstance(cmd, ivr.CallBack):
                self._call_back(cmd, now)
            elif isinstance(cmd, ivr.Release):
                self._release(cmd, now, caller_gone=caller_gone)
        return routed

    def _play(self, cmd: ivr.Play) -> None:
        self.bus.publish(
            m.pbx_ctl(cmd.call_id),
            m.Play(
                call_id=cmd.call_id,
                prompt=cmd.prompt,
                language=cmd.language,
                collect=cmd.collect,
                epoch=self.leadership.epoch,
            ),
        )

    def _step(self, cmd: ivr.Step, now: float) -> None:
        call = self.in_menus[cmd.call_id]
        rec = call.record
        call.menu = cmd.menu
        if cmd.kind == ivr.StepKind.ABANDONED:  # journalled once, as IVREND with the menu
            self._abandoned(call, now)
            return
        self.store.event(now, rec.call_id, Journal.IVRSTEP, data1=cmd.kind, data2=cmd.menu, data3=cmd.value)
        if cmd.kind == ivr.StepKind.LANGUAGE and cmd.value is not None:
            self.desk.ivr_choice(rec.call_id, "language", cmd.value)
            rec.language = cmd.value
        elif cmd.kind == ivr.StepKind.AGENCY and cmd.value is not None:
            source, _, agency = cmd.value.partition(":")
            self.desk.ivr_choice(rec.call_id, "agency", source)
            if source == "code":
                rec.agency = agency
        elif cmd.kind == ivr.StepKind.CHOICE and cmd.menu is not None and cmd.value is not None:
            self.desk.ivr_choice(rec.call_id, cmd.menu, cmd.value)
        self.store.call(rec)

    def _route(self, cmd: ivr.Route, now: float) -> CallArrived:
        call = self.in_menus.pop(cmd.call_id)
        rec = call.record
        rec.system = None if cmd.system == GENERAL_QUEUE else cmd.system
        rec.agency, rec.language = cmd.agency, cmd.language
        rec.ivr_outcome, rec.ivr_s, rec.state = str(cmd.outcome), now - rec.arrived_at, "new"
        self.store.event(now, rec.call_id, Journal.IVREND, data1=rec.ivr_outcome, data2=cmd.system, data3=rec.ivr_s)
        self.store.call(rec)
        # Before the router may ring an agent: a prompt the caller typed keys ahead of stops, keys go no further.
        self.bus.publish(m.pbx_ctl(rec.call_id), m.Queue(call_id=rec.call_id, epoch=self.leadership.epoch))
        self.calls.live[rec.call_id].log.info(
            "ivr_routed", outcome=rec.ivr_outcome, system=cmd.system, agency=cmd.agency, language=cmd.language
        )
        return CallArrived(rec.call_id, cmd.system, cmd.agency, cmd.language)

    def _call_back(self, cmd: ivr.CallBack, now: float) -> None:
        rec = self.in_menus[cmd.call_id].record
        due_at = unix_time(cmd.due, self.tz)
        case = self.desk.after_hours(rec, cmd.number, due_at, now)
        self.calls.live[rec.call_id].log.info("callback_left", case_id=case.case_id, due_at=due_at)

    def _release(self, cmd: ivr.Release, now: float, *, caller_gone: bool) -> None:
        call = self.in_menus.pop(cmd.call_id)
        rec = call.record
        opening = unix_time(self.plan.hours.next_opening(local_time(now, self.tz)), self.tz)
        self.store.event(now, rec.call_id, Journal.AFTERHOURS, data1=opening)
        self._end(rec, now, str(cmd.outcome), Outcome.AFTER_HOURS, "caller" if caller_gone else "centre", menu=None)
        if caller_gone:
            return  # hung up during the goodbye or thank-you: the PBX has no line left to release
        self.bus.publish(
            m.pbx_ctl(rec.call_id),
            m.Release(call_id=rec.call_id, reason="after-hours", epoch=self.leadership.epoch),
        )

    def _abandoned(self, call: _InMenus, now: float) -> None:
        del self.in_menus[call.record.call_id]
        self._end(call.record, now, str(ivr.Outcome.IVR_ABANDONED), Outcome.IVR_ABANDONED, "caller", menu=call.menu)

    def _end(self, rec: CallRecord, now: float, ivr_outcome: str, outcome: str, by: str, *, menu: str | None) -> None:
        """The call ends in the menus: its row closed, ``IVREND``, its lifecycle event; it leaves memory."""
        rec.ivr_outcome, rec.ivr_s = ivr_outcome, now - rec.arrived_at
        rec.outcome, rec.state, rec.ended_by, rec.ended_at = outcome, outcome, by, now
        day = self.calls.day  # counted apart: never offered
        if outcome == Outcome.IVR_ABANDONED:
            day.ivr_abandoned += 1
        else:
            day.after_hours += 1
            day.after_hours_callback += ivr_outcome == ivr.Outcome.AFTER_HOURS_CALLBACK
        self.store.event(now, rec.call_id, Journal.IVREND, data1=ivr_outcome, data2=menu, data3=rec.ivr_s)
        self.store.call(rec)
        self.bus.publish(
            m.call_topic(rec.call_id), m.CallEvent(call_id=rec.call_id, event=outcome, at=now, rule=ivr_outcome)
        )
        self.calls.leave_menus(rec.call_id).log.info("call_" + outcome.replace("-", "_"), ivr_outcome=ivr_outcome)
