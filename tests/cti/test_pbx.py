"""The simulated PBX: the caller's presence decides, and older epochs are fenced off."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from cti.clock import ScaledClock
from cti.live import messages as m
from cti.live.bus import Delivery, LocalBus, Subscription
from cti.live.logs import make_logger
from cti.live.pbx import Line, SimPbx


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


# ----------------------------------------------------------------------
# Prompts and keys (the IVR)
# ----------------------------------------------------------------------


class Timer:
    def __init__(self, clock: ManualClock, when: float, callback: Callable[[], object]) -> None:
        self.clock, self.when, self.callback = clock, when, callback

    def cancel(self) -> None:
        self.clock.timers.remove(self)


class ManualClock:
    """A clock the test moves by hand; due callbacks run in time order."""

    def __init__(self) -> None:
        self.t = 0.0
        self.timers: list[Timer] = []

    def now(self) -> float:
        return self.t

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        timer = Timer(self, when, callback)
        self.timers.append(timer)
        return timer

    def to(self, t: float) -> None:
        while due := sorted((x for x in self.timers if x.when <= t), key=lambda x: x.when):
            self.t = due[0].when
            self.timers.remove(due[0])
            due[0].callback()
        self.t = t


class Durations:
    SECONDS: ClassVar[dict[tuple[str, str], float]] = {("welcome", "zh"): 3.0, ("main", "zh"): 6.0, ("main", "en"): 5.0}

    def prompt_seconds(self, prompt: str, language: str) -> float:
        return self.SECONDS[(prompt, language)]


def ivr_pbx() -> tuple[ManualClock, SimPbx, Subscription]:
    bus = LocalBus()
    clock = ManualClock()
    pbx = SimPbx(bus, make_logger(ScaledClock(0.0)), clock, Durations())
    seen = bus.subscribe(f"{m.PREFIX}/trunk/+/ev", f"{m.PREFIX}/pbx/+/ev", m.ERRORS)
    pbx.handle(_d(m.TRUNK_IN, m.Dial(call_id="c1", caller="0912345678", dialled="1999")))
    return clock, pbx, seen


def play(prompt: str, *, collect: bool = True, epoch: int = 1, language: str = "zh") -> Delivery:
    return _d(m.pbx_ctl("c1"), m.Play(call_id="c1", prompt=prompt, language=language, collect=collect, epoch=epoch))


def keys(digits: str) -> Delivery:
    return _d(m.TRUNK_IN, m.Dtmf(call_id="c1", digits=digits))


def test_a_prompt_is_announced_to_the_caller_and_reported_done_when_it_has_played() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("welcome", collect=False))
    assert pbx.lines["c1"] == (Line.IVR, None)
    assert [d.message for d in seen.drain()] == [
        m.PromptPlaying(call_id="c1", prompt="welcome", language="zh", seconds=3.0, collect=False)
    ]
    clock.to(2.9)
    assert seen.drain() == []
    clock.to(3.0)
    assert [(d.topic, d.message) for d in seen.drain()] == [
        (m.pbx_ev("c1"), m.PromptDone(call_id="c1", prompt="welcome", language="zh"))
    ]


def test_a_new_prompt_cuts_the_playing_one_short_and_only_the_new_one_is_reported_done() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("welcome", collect=False))
    clock.to(1.0)
    pbx.handle(play("main", language="en"))
    clock.to(100.0)
    done = [d.message for d in seen.drain() if isinstance(d.message, m.PromptDone)]
    assert done == [m.PromptDone(call_id="c1", prompt="main", language="en")]
    assert clock.timers == []


def test_keys_during_a_collecting_prompt_cut_it_short_and_go_to_the_server() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("main"))
    seen.drain()
    clock.to(2.0)
    pbx.handle(keys("2"))
    clock.to(100.0)
    assert [(d.topic, d.message) for d in seen.drain()] == [(m.pbx_ev("c1"), m.Digits(call_id="c1", digits="2"))]


def test_keys_during_a_prompt_that_collects_nothing_are_passed_on_and_the_prompt_plays_on() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("welcome", collect=False))
    seen.drain()
    pbx.handle(keys("1"))
    clock.to(3.0)
    assert [d.message for d in seen.drain()] == [
        m.Digits(call_id="c1", digits="1"),
        m.PromptDone(call_id="c1", prompt="welcome", language="zh"),
    ]


def test_keys_outside_the_menus_go_nowhere() -> None:
    _, pbx, seen = ivr_pbx()
    pbx.handle(keys("1"))  # before any prompt
    pbx.handle(_d(m.pbx_ctl("c1"), m.Ring(call_id="c1", agent_id="N1", extension=None, ring_until=9, epoch=1)))
    pbx.handle(keys("2"))  # ringing at an agent
    pbx.handle(_d(m.TRUNK_IN, m.Dtmf(call_id="c9", digits="3")))  # no such line
    assert seen.drain() == []


def test_a_caller_who_hangs_up_during_a_prompt_is_reported_and_the_prompt_never_ends() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("main"))
    seen.drain()
    pbx.handle(_d(m.TRUNK_IN, m.CallerHangUp(call_id="c1")))
    clock.to(100.0)
    assert [d.message for d in seen.drain()] == [m.CallerHungUp(call_id="c1")]
    pbx.handle(play("main"))  # a late play for the dead line
    assert (pbx.lines, pbx.playing, clock.timers, seen.drain()) == ({}, {}, [], [])


def test_a_release_during_a_prompt_stops_it() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("main"))
    pbx.handle(_d(m.pbx_ctl("c1"), m.Release(call_id="c1", reason="after-hours", epoch=1)))
    clock.to(100.0)
    assert [type(d.message) for d in seen.drain()] == [m.PromptPlaying, m.CallReleased]


def test_a_play_from_an_older_epoch_is_ignored() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("main", epoch=2))
    pbx.handle(play("welcome", collect=False, epoch=1))  # a stale leader
    clock.to(100.0)
    assert [d.message for d in seen.drain()] == [
        m.PromptPlaying(call_id="c1", prompt="main", language="zh", seconds=6.0, collect=True),
        m.PromptDone(call_id="c1", prompt="main", language="zh"),
    ]


def test_an_unknown_prompt_is_refused_and_the_playing_one_goes_on() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("main"))
    pbx.handle(play("nosuch"))
    clock.to(100.0)
    messages = [d.message for d in seen.drain()]
    assert [type(x) for x in messages] == [m.PromptPlaying, m.Error, m.PromptDone]
    assert messages[1].code == "unknown-prompt"  # type: ignore[attr-defined]


def queue(*, epoch: int = 1) -> Delivery:
    return _d(m.pbx_ctl("c1"), m.Queue(call_id="c1", epoch=epoch))


def test_a_call_routed_out_of_the_menus_stops_its_prompt_and_reports_no_end() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("main", collect=False))
    pbx.handle(queue())
    clock.to(100.0)
    assert [type(d.message) for d in seen.drain()] == [m.PromptPlaying]  # no prompt-done
    assert (pbx.lines["c1"], pbx.playing, clock.timers) == ((Line.WAITING, None), {}, [])


def test_keys_pressed_once_the_call_left_the_menus_go_nowhere() -> None:
    _, pbx, seen = ivr_pbx()
    pbx.handle(play("main"))
    pbx.handle(queue())
    seen.drain()
    pbx.handle(keys("5"))
    assert seen.drain() == []


def test_a_queue_for_a_line_already_ringing_changes_nothing() -> None:
    _, pbx, _ = ivr_pbx()
    pbx.handle(play("main"))
    pbx.handle(_d(m.pbx_ctl("c1"), m.Ring(call_id="c1", agent_id="N1", extension=None, ring_until=9, epoch=1)))
    pbx.handle(queue())
    assert pbx.lines["c1"] == (Line.RINGING, "N1")


def test_a_queue_from_an_older_epoch_is_ignored() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("main", epoch=2))
    pbx.handle(queue(epoch=1))  # a stale leader
    clock.to(100.0)
    assert [type(d.message) for d in seen.drain()] == [m.PromptPlaying, m.PromptDone]
    assert pbx.lines["c1"] == (Line.IVR, None)


# ----------------------------------------------------------------------
# Prompts in the queue (announcements, the call-back offer), and call-backs
# ----------------------------------------------------------------------


def queued_pbx() -> tuple[ManualClock, SimPbx, Subscription]:
    """A line the menus have routed to a queue."""
    clock, pbx, seen = ivr_pbx()
    pbx.handle(play("welcome", collect=False))
    pbx.handle(_d(m.pbx_ctl("c1"), m.Queue(call_id="c1", epoch=1)))
    seen.drain()
    return clock, pbx, seen


def dial_out(ring_s: float = 20.0) -> Delivery:
    return _d(
        m.pbx_ctl("c1"),
        m.DialOut(call_id="c1", agent_id="N1", number="0912345678", dial=1, ring_s=ring_s, epoch=1),
    )


def test_a_queued_line_hears_a_prompt_and_stays_queued_and_its_keys_reach_the_server_after_it() -> None:
    """A collecting prompt in the queue plays without going back to the menus; a key after it is passed on."""
    clock, pbx, seen = queued_pbx()
    pbx.handle(play("main"))
    assert pbx.lines["c1"] == (Line.WAITING, None)
    clock.to(10.0)  # played to its end
    pbx.handle(keys("1"))
    assert [type(d.message) for d in seen.drain()] == [m.PromptPlaying, m.PromptDone, m.Digits]


def test_ringing_an_agent_stops_a_queued_line_s_prompt_and_its_keys() -> None:
    clock, pbx, seen = queued_pbx()
    pbx.handle(play("main"))
    pbx.handle(_d(m.pbx_ctl("c1"), m.Ring(call_id="c1", agent_id="N1", extension=None, ring_until=9, epoch=1)))
    pbx.handle(keys("1"))
    clock.to(100.0)
    assert [type(d.message) for d in seen.drain()] == [m.PromptPlaying]  # no end, no digits


def test_a_call_back_rings_the_caller_and_the_pick_up_is_reported_answered() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(_d(m.pbx_ctl("c1"), m.Release(call_id="c1", reason="callback-requested", epoch=1)))
    seen.drain()
    pbx.handle(dial_out())
    clock.to(5.0)
    pbx.handle(_d(m.TRUNK_IN, m.PickUp(call_id="c1")))
    clock.to(100.0)
    assert [d.message for d in seen.drain()] == [
        m.CallbackRinging(call_id="c1", ring_s=20.0),
        m.OutboundAnswered(call_id="c1"),
    ]
    pbx.handle(_d(m.pbx_ctl("c1"), m.Connect(call_id="c1", agent_id="N1", epoch=1)))
    assert pbx.lines["c1"] == (Line.CONNECTED, "N1")


def test_a_call_back_nobody_picks_up_fails_after_its_ring_time() -> None:
    clock, pbx, seen = ivr_pbx()
    pbx.handle(_d(m.pbx_ctl("c1"), m.Release(call_id="c1", reason="callback-requested", epoch=1)))
    seen.drain()
    pbx.handle(dial_out(20.0))
    clock.to(19.9)
    assert [type(d.message) for d in seen.drain()] == [m.CallbackRinging]
    clock.to(20.0)
    assert [d.message for d in seen.drain()] == [m.OutboundFailed(call_id="c1", reason="no-answer")]
    assert pbx.lines == {}
    pbx.handle(_d(m.TRUNK_IN, m.PickUp(call_id="c1")))  # too late: nothing rings
    assert seen.drain() == []


def test_a_caller_still_on_the_line_is_answered_at_once_without_ringing() -> None:
    _, pbx, seen = queued_pbx()
    pbx.handle(dial_out())
    assert [d.message for d in seen.drain()] == [m.OutboundAnswered(call_id="c1")]


def test_on_a_queued_line_an_announcements_pieces_follow_one_another_and_the_line_stays_queued() -> None:
    clock, pbx, seen = queued_pbx()
    pbx.handle(play("welcome", collect=False))
    pbx.handle(play("main", collect=False))
    assert pbx.lines["c1"] == (Line.WAITING, None)
    assert [d.message.prompt for d in seen.drain() if isinstance(d.message, m.PromptPlaying)] == ["welcome", "main"]
    assert sorted(t.when for t in clock.timers) == [3.0, 9.0]  # the second after the first, not cutting it
    pbx.handle(keys("1"))
    clock.to(100.0)
    assert seen.drain() == []  # no prompt-done, and keys go no further


def test_ringing_an_agent_stops_the_announcement() -> None:
    clock, pbx, _ = queued_pbx()
    pbx.handle(play("main", collect=False))
    pbx.handle(_d(m.pbx_ctl("c1"), m.Ring(call_id="c1", agent_id="N1", extension=None, ring_until=9, epoch=1)))
    assert clock.timers == []
    assert pbx.lines["c1"] == (Line.RINGING, "N1")


def test_a_call_back_offer_cuts_the_announcement_and_later_pieces_follow_the_offer() -> None:
    """The offer (a collecting prompt) stops the pieces playing; a piece asked for during the offer waits for it."""
    clock, pbx, seen = queued_pbx()
    pbx.handle(play("welcome", collect=False))  # an announcement piece, 0 to 3 s
    clock.to(1.0)
    pbx.handle(play("main"))  # the offer, collecting: 1 to 7 s
    pbx.handle(play("welcome", collect=False))  # asked for during the offer: 7 to 10 s
    assert sorted(t.when for t in clock.timers) == [7.0, 10.0]  # the first piece's end is gone
    pbx.handle(keys("1"))
    clock.to(100.0)
    assert [type(d.message) for d in seen.drain()] == [
        m.PromptPlaying,
        m.PromptPlaying,
        m.PromptPlaying,
        m.Digits,
        m.PromptDone,
    ]
    assert pbx.lines["c1"] == (Line.WAITING, None)
