"""The simulated PBX: the telephony side of the centre.

Callers reach it on the trunk (``cti/v1/trunk/in``: dial, hang up). For each
inbound call it tells the server (``cti/v1/pbx/in``), then does what the
server says on ``cti/v1/pbx/{call}/ctl``: ring an agent's extension, stop
ringing, bridge caller and agent, release the line. It reports the caller
hanging up in any state (``cti/v1/pbx/{call}/ev``) and tells the caller when
an agent comes on the line or the centre ends the call
(``cti/v1/trunk/{call}/ev``).

The PBX is the authority on whether a caller is still there: the moment a
caller hangs up, ringing stops, and a later ``ring`` or ``connect`` for that
call is ignored. Commands from an older leadership epoch than the newest seen
are ignored too (fencing).

A call id is used once. A dial for a line the PBX holds is refused here
(``duplicate-call``); the PBX keeps no record of lines it has released, so a
dial for any other used id is passed on, refused by the server (which knows
every id the store has seen) and released with reason ``duplicate-call``:
the new caller hears the release, the first call is not touched.
"""

from __future__ import annotations

from enum import StrEnum

from cti.live import messages as m
from cti.live.bus import Bus, Delivery
from cti.live.logs import Logger


class Line(StrEnum):
    WAITING = "waiting"  # queued, or between offers
    RINGING = "ringing"
    CONNECTED = "connected"


class SimPbx:
    def __init__(self, bus: Bus, log: Logger) -> None:
        self.bus = bus
        self.log = log
        self.epoch = 0
        #: Live lines: call id -> (state, agent ringing or connected).
        self.lines: dict[str, tuple[Line, str | None]] = {}
        self._sub = bus.subscribe(m.TRUNK_IN, f"{m.PREFIX}/pbx/+/ctl")

    async def run(self) -> None:
        sub = self._sub
        try:
            while True:
                for delivery in await sub.batch():
                    self.handle(delivery)
        finally:
            self.bus.unsubscribe(sub)

    def handle(self, delivery: Delivery) -> None:
        msg = delivery.message
        if isinstance(msg, m.Dial):
            self._dial(delivery.topic, msg)
        elif isinstance(msg, m.CallerHangUp):
            self._caller_hang_up(msg)
        elif isinstance(msg, m.Ring | m.StopRinging | m.Connect | m.Release):
            if msg.epoch < self.epoch:
                self.log.warning("fenced_command", call_id=msg.call_id, epoch=msg.epoch, current=self.epoch)
                return
            self.epoch = msg.epoch
            self._control(msg)

    def _dial(self, topic: str, msg: m.Dial) -> None:
        if msg.call_id in self.lines:
            self.bus.publish(m.ERRORS, m.refusal("duplicate-call", f"call {msg.call_id} is already in progress", topic))
            return
        self.lines[msg.call_id] = (Line.WAITING, None)
        self.bus.publish(
            m.PBX_IN,
            m.NewCall(
                call_id=msg.call_id,
                caller=msg.caller,
                dialled=msg.dialled,
                system=msg.system,
                agency=msg.agency,
                channel=msg.channel,
                ivr=msg.ivr,
            ),
        )

    def _caller_hang_up(self, msg: m.CallerHangUp) -> None:
        if self.lines.pop(msg.call_id, None) is None:
            return  # already released by the centre: nothing to report
        self.bus.publish(m.pbx_ev(msg.call_id), m.CallerHungUp(call_id=msg.call_id))

    def _control(self, msg: m.Ring | m.StopRinging | m.Connect | m.Release) -> None:
        line = self.lines.get(msg.call_id)
        if line is None:
            return  # the caller has gone: never ring or bridge a dead line
        state, agent = line
        if isinstance(msg, m.Ring):
            self.lines[msg.call_id] = (Line.RINGING, msg.agent_id)
        elif isinstance(msg, m.StopRinging):
            if state is Line.RINGING and agent == msg.agent_id:
                self.lines[msg.call_id] = (Line.WAITING, None)
        elif isinstance(msg, m.Connect):
            self.lines[msg.call_id] = (Line.CONNECTED, msg.agent_id)
            self.bus.publish(m.trunk_ev(msg.call_id), m.CallConnected(call_id=msg.call_id, agent_id=msg.agent_id))
        else:
            del self.lines[msg.call_id]
            self.bus.publish(m.trunk_ev(msg.call_id), m.CallReleased(call_id=msg.call_id, reason=msg.reason))
