"""The simulated PBX: the caller's presence decides, and older epochs are fenced off."""

from __future__ import annotations

from cti.clock import ScaledClock
from cti.live import messages as m
from cti.live.bus import LocalBus
from cti.live.logs import make_logger
from cti.live.pbx import SimPbx


def pbx_with_call() -> tuple[LocalBus, SimPbx, object]:
    bus = LocalBus()
    pbx = SimPbx(bus, make_logger(ScaledClock(0.0)))
    caller_side = bus.subscribe(f"{m.PREFIX}/trunk/+/ev", m.PBX_IN, f"{m.PREFIX}/pbx/+/ev")
    pbx.handle(_d(m.TRUNK_IN, m.Dial(call_id="c1", caller="0912345678", dialled="1999", system="webhr", agency="a")))
    return bus, pbx, caller_side


def _d(topic: str, msg: m.Message):
    from cti.live.bus import Delivery

    return Delivery(topic, msg)


def test_after_the_caller_hangs_up_no_ring_or_connect_revives_the_line() -> None:
    _, pbx, seen = pbx_with_call()
    pbx.handle(_d(m.TRUNK_IN, m.CallerHangUp(call_id="c1")))
    pbx.handle(_d(m.pbx_ctl("c1"), m.Ring(call_id="c1", agent_id="N1", extension=None, ring_until=9, epoch=1)))
    pbx.handle(_d(m.pbx_ctl("c1"), m.Connect(call_id="c1", agent_id="N1", epoch=1)))
    assert pbx.lines == {}
    assert [type(d.message) for d in seen.drain()] == [m.NewCall, m.CallerHungUp]


def test_commands_from_an_older_epoch_are_ignored() -> None:
    _, pbx, seen = pbx_with_call()
    pbx.handle(_d(m.pbx_ctl("c1"), m.Ring(call_id="c1", agent_id="N1", extension=None, ring_until=9, epoch=2)))
    pbx.handle(_d(m.pbx_ctl("c1"), m.Connect(call_id="c1", agent_id="N9", epoch=1)))  # a stale leader
    assert pbx.lines["c1"][1] == "N1"
    assert [type(d.message) for d in seen.drain()] == [m.NewCall]
