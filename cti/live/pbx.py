"""The simulated PBX: the telephony side of the centre.

Callers reach it on the trunk (``cti/v1/trunk/in``: dial, hang up, press
keys). For each inbound call it tells the server (``cti/v1/pbx/in``), then
does what the server says on ``cti/v1/pbx/{call}/ctl``: play a voice prompt,
take the line out of the menus into a queue, ring an agent's extension, stop
ringing, bridge caller and agent, release the line. It reports the caller
hanging up in any state (``cti/v1/pbx/{call}/ev``) and tells the caller when
a prompt starts, when an agent comes on the line or when the centre ends the
call (``cti/v1/trunk/{call}/ev``).

**Prompts.** On ``play`` the PBX tells the caller the prompt is playing and
how long it lasts (the centre's prompt durations, :class:`PromptDurations`:
the IVR plan's), and when it has played to its end reports ``prompt-done``
to the server. A newer ``play`` cuts the prompt short, and so do keys the
caller presses while a prompt that collects an answer plays (barge-in): no
``prompt-done`` is reported for a prompt cut short. Keys pressed while the
call is in the IVR are passed on to the server as ``digits``. When the menus
route the call the server says ``queue``: the line leaves the IVR and any
prompt stops (no ``prompt-done``; the caller may have typed keys ahead of a
prompt the server had already asked for). Keys pressed while the call waits
in a queue or talks to an agent go no further (they are the caller's
business, heard in the call).

**Prompts in the queue.** Once the menus have routed a call (``queue``) the
line may still hear prompts, and it stays queued while they play. A ``play``
that does not collect is a piece of a queue announcement (position,
estimated wait): it does not cut what plays but follows it, and no
``prompt-done`` is reported. A ``play`` that collects (the call-back offer,
and the thanks after a request) is the line's own prompt: it cuts any
announcement playing, ends with ``prompt-done``, and from then on the
caller's keys are passed on as ``digits`` (the server judges whether they
came in time; a key does not cut the prompt, the server's next ``play``
does); announcement pieces asked for while it plays follow it. Ringing an
agent, connecting or releasing the line stops the prompts and the keys.
The ``release`` that follows a call-back request frees the line as any
other.

**Call-backs.** On ``dial-out`` the PBX calls the caller back on the call's
own id: a new line, ringing the caller (``callback-ringing`` on the trunk)
for ``ring_s``. The caller's ``pick-up`` is reported as ``outbound-answered``
(then the server's ``connect`` bridges the agent, and the line lives as any);
no pick-up by ``ring_s`` as ``outbound-failed`` with reason ``no-answer``, a
hang-up while it rings as ``rejected``. A caller still on the line when the
``dial-out`` comes (still hearing the thanks) needs no ringing: it is
``outbound-answered`` at once; a ``dial-out`` for a line in any other state
fails with ``busy``.

The PBX is the authority on whether a caller is still there: the moment a
caller hangs up, ringing or a prompt stops, and a later ``ring``, ``play`` or
``connect`` for that call is ignored. Commands from an older leadership epoch
than the newest seen are ignored too (fencing).

A call id is used once. A dial for a line the PBX holds is refused here
(``duplicate-call``); the PBX keeps no record of lines it has released, so a
dial for any other used id is passed on, refused by the server (which knows
every id the store has seen) and released with reason ``duplicate-call``:
the new caller hears the release, the first call is not touched.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from cti.live import messages as m
from cti.live.bots import Cancellable, Timekeeper
from cti.live.bus import Bus, Delivery
from cti.live.logs import Logger


class Line(StrEnum):
    WAITING = "waiting"  # just dialled, queued, or between offers
    IVR = "ivr"  # in the voice menus: prompts play, keys go to the server
    RINGING = "ringing"
    CONNECTED = "connected"
    DIALLING = "dialling"  # calling the caller back: their phone rings
    PICKED_UP = "picked-up"  # the caller answered the call-back; the agent is connected next


class PromptDurations(Protocol):
    """How long each prompt plays, in each language (the centre's IVR plan)."""

    def prompt_seconds(self, prompt: str, language: str) -> float: ...


@dataclass(slots=True)
class _Playing:
    """The prompt playing on a line: what, whether it collects keys, and its end."""

    prompt: str
    language: str
    collect: bool
    timer: Cancellable


_Control = m.Ring | m.StopRinging | m.Connect | m.Release | m.Play | m.Queue | m.DialOut


class SimPbx:
    def __init__(
        self, bus: Bus, log: Logger, clock: Timekeeper | None = None, prompts: PromptDurations | None = None
    ) -> None:
        self.bus = bus
        self.log = log
        self.clock = clock
        self.prompts = prompts
        self.epoch = 0
        #: Live lines: call id -> (state, agent ringing or connected).
        self.lines: dict[str, tuple[Line, str | None]] = {}
        #: The prompt playing on each line that has one.
        self.playing: dict[str, _Playing] = {}
        #: Lines the menus queued (prompts may play there), and when each one's prompts end (0: none playing).
        self.queued: dict[str, float] = {}
        self._announcing: dict[str, list[Cancellable]] = {}
        #: Queued lines whose keys reach the server (a prompt that collects has played there).
        self.listening: set[str] = set()
        #: Call-backs ringing the caller: call id -> the timer of ``ring_s``.
        self.dialling: dict[str, Cancellable] = {}
        self._sub = bus.subscribe(m.TRUNK_IN, f"{m.PREFIX}/pbx/+/ctl")

    async def run(self) -> None:
        sub = self._sub
        try:
            while True:
                for delivery in await sub.batch():
                    self.handle(delivery)
        finally:
            for playing in self.playing.values():
                playing.timer.cancel()
            for timers in self._announcing.values():
                for timer in timers:
                    timer.cancel()
            for timer in self.dialling.values():
                timer.cancel()
            self.bus.unsubscribe(sub)

    def handle(self, delivery: Delivery) -> None:
        msg = delivery.message
        if isinstance(msg, m.Dial):
            self._dial(delivery.topic, msg)
        elif isinstance(msg, m.CallerHangUp):
            self._caller_hang_up(msg)
        elif isinstance(msg, m.Dtmf):
            self._keys(msg)
        elif isinstance(msg, m.PickUp):
            self._pick_up(msg)
        elif isinstance(msg, _Control):
            if msg.epoch < self.epoch:
                self.log.warning("fenced_command", call_id=msg.call_id, epoch=msg.epoch, current=self.epoch)
                return
            self.epoch = msg.epoch
            if isinstance(msg, m.Play):
                self._play(delivery.topic, msg)
            elif isinstance(msg, m.DialOut):
                self._dial_out(msg)
            else:
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
        line = self.lines.pop(msg.call_id, None)
        if line is None:
            return  # already released by the centre: nothing to report
        self._stop_prompt(msg.call_id)
        self.queued.pop(msg.call_id, None)
        self.listening.discard(msg.call_id)
        if line[0] is Line.DIALLING:  # the caller turned the call-back down
            self._outbound_failed(msg.call_id, "rejected")
            return
        self.bus.publish(m.pbx_ev(msg.call_id), m.CallerHungUp(call_id=msg.call_id))

    def _keys(self, msg: m.Dtmf) -> None:
        line = self.lines.get(msg.call_id)
        if line is not None and msg.call_id in self.queued:
            self._keys_in_queue(msg)
            return
        if line is None or line[0] is not Line.IVR:
            return  # no line, or not in the menus: the keys are heard in the call, nobody reads them
        playing = self.playing.get(msg.call_id)
        if playing is not None and playing.collect:
            self._stop_prompt(msg.call_id)  # barge-in: the caller answers before the prompt ends
        self.bus.publish(m.pbx_ev(msg.call_id), m.Digits(call_id=msg.call_id, digits=msg.digits))

    def _play(self, topic: str, msg: m.Play) -> None:
        if msg.call_id not in self.lines:
            return  # the caller has gone: never play to a dead line
        if self.prompts is None or self.clock is None:
            self.bus.publish(m.ERRORS, m.refusal("no-ivr", "this PBX has no voice prompts", topic))
            return
        try:
            seconds = self.prompts.prompt_seconds(msg.prompt, msg.language)
        except (KeyError, ValueError, LookupError) as exc:
            reason = f"prompt {msg.prompt!r} in language {msg.language!r} is not one of the centre's ({exc})"
            self.bus.publish(m.ERRORS, m.refusal("unknown-prompt", reason, topic))
            return
        if msg.call_id in self.queued:
            if msg.collect:
                self._play_in_queue(msg, seconds)
            else:
                self._announce(msg, seconds)
            return
        self._stop_prompt(msg.call_id)
        self.lines[msg.call_id] = (Line.IVR, None)
        done = functools.partial(self._prompt_done, msg.call_id, msg.prompt, msg.language)
        timer = self.clock.call_at(self.clock.now() + seconds, done)
        self.playing[msg.call_id] = _Playing(msg.prompt, msg.language, msg.collect, timer)
        self.bus.publish(
            m.trunk_ev(msg.call_id),
            m.PromptPlaying(
                call_id=msg.call_id, prompt=msg.prompt, language=msg.language, seconds=seconds, collect=msg.collect
            ),
        )

    def _play_in_queue(self, msg: m.Play, seconds: float) -> None:
        """A collecting prompt for a queued line: it cuts any announcement, and announcement pieces follow it.

        The line stays queued and listens (its keys reach the server). No prompt while an agent's phone rings.
        """
        state, _ = self.lines[msg.call_id]
        if state is not Line.WAITING:
            return  # ringing or connected: the agent comes first
        self._stop_prompt(msg.call_id)
        done = functools.partial(self._prompt_done, msg.call_id, msg.prompt, msg.language)
        assert self.clock is not None
        end = self.clock.now() + seconds
        timer = self.clock.call_at(end, done)
        self.playing[msg.call_id] = _Playing(msg.prompt, msg.language, msg.collect, timer)
        self.queued[msg.call_id] = end  # a piece asked for meanwhile starts after it
        self.listening.add(msg.call_id)
        self.bus.publish(
            m.trunk_ev(msg.call_id),
            m.PromptPlaying(
                call_id=msg.call_id, prompt=msg.prompt, language=msg.language, seconds=seconds, collect=msg.collect
            ),
        )

    def _keys_in_queue(self, msg: m.Dtmf) -> None:
        """Keys from a queued line reach the server once a collecting prompt has played there.

        They do not cut the prompt playing (the server's next ``play`` does).
        """
        if msg.call_id not in self.listening or self.lines[msg.call_id][0] is not Line.WAITING:
            return
        self.bus.publish(m.pbx_ev(msg.call_id), m.Digits(call_id=msg.call_id, digits=msg.digits))

    def _dial_out(self, msg: m.DialOut) -> None:
        """Call the caller back: their phone rings for ``ring_s`` on the call's own id."""
        line = self.lines.get(msg.call_id)
        if line is not None and line[0] is Line.WAITING:
            # Still on the line (hearing the thanks): no need to ring, the caller is there.
            self._stop_prompt(msg.call_id)
            self.queued.pop(msg.call_id, None)
            self.listening.discard(msg.call_id)
            self.lines[msg.call_id] = (Line.PICKED_UP, msg.agent_id)
            self.bus.publish(m.pbx_ev(msg.call_id), m.OutboundAnswered(call_id=msg.call_id))
            return
        if line is not None or self.clock is None:
            self._outbound_failed(msg.call_id, "busy")
            return
        self.lines[msg.call_id] = (Line.DIALLING, msg.agent_id)
        give_up = functools.partial(self._no_pick_up, msg.call_id)
        self.dialling[msg.call_id] = self.clock.call_at(self.clock.now() + msg.ring_s, give_up)
        self.bus.publish(m.trunk_ev(msg.call_id), m.CallbackRinging(call_id=msg.call_id, ring_s=msg.ring_s))

    def _pick_up(self, msg: m.PickUp) -> None:
        line = self.lines.get(msg.call_id)
        if line is None or line[0] is not Line.DIALLING:
            return  # nothing rings there (any more)
        self.dialling.pop(msg.call_id).cancel()
        self.lines[msg.call_id] = (Line.PICKED_UP, line[1])
        self.bus.publish(m.pbx_ev(msg.call_id), m.OutboundAnswered(call_id=msg.call_id))

    def _no_pick_up(self, call_id: str) -> None:
        line = self.lines.get(call_id)
        if line is None or line[0] is not Line.DIALLING:
            return
        del self.lines[call_id]
        self.dialling.pop(call_id, None)  # this very timer: it has run, nothing to cancel
        self._outbound_failed(call_id, "no-answer")

    def _outbound_failed(self, call_id: str, reason: str) -> None:
        timer = self.dialling.pop(call_id, None)
        if timer is not None:
            timer.cancel()
        self.bus.publish(m.pbx_ev(call_id), m.OutboundFailed(call_id=call_id, reason=reason))

    def _announce(self, msg: m.Play, seconds: float) -> None:
        """One piece of an announcement to a queued line: after the pieces already playing."""
        assert self.clock is not None
        now = self.clock.now()
        start = max(now, self.queued[msg.call_id])
        self.queued[msg.call_id] = start + seconds
        timers = self._announcing.setdefault(msg.call_id, [])
        timers.append(self.clock.call_at(start + seconds, functools.partial(self._piece_done, msg.call_id)))
        self.bus.publish(
            m.trunk_ev(msg.call_id),
            m.PromptPlaying(
                call_id=msg.call_id, prompt=msg.prompt, language=msg.language, seconds=seconds, collect=False
            ),
        )

    def _piece_done(self, call_id: str) -> None:
        timers = self._announcing.get(call_id)
        if timers:
            timers.pop(0)
            if not timers:
                del self._announcing[call_id]

    def _prompt_done(self, call_id: str, prompt: str, language: str) -> None:
        playing = self.playing.get(call_id)
        if playing is None or (playing.prompt, playing.language) != (prompt, language):
            return
        del self.playing[call_id]
        self.bus.publish(m.pbx_ev(call_id), m.PromptDone(call_id=call_id, prompt=prompt, language=language))

    def _stop_prompt(self, call_id: str) -> None:
        playing = self.playing.pop(call_id, None)
        if playing is not None:
            playing.timer.cancel()
        for timer in self._announcing.pop(call_id, ()):
            timer.cancel()
        if call_id in self.queued:
            self.queued[call_id] = 0.0

    def _control(self, msg: m.Ring | m.StopRinging | m.Connect | m.Release | m.Queue) -> None:
        line = self.lines.get(msg.call_id)
        if line is None:
            return  # the caller has gone: never ring or bridge a dead line
        state, agent = line
        if isinstance(msg, m.Queue):
            if state is Line.IVR:  # out of the menus: no prompt, and keys go no further
                self._stop_prompt(msg.call_id)
                self.lines[msg.call_id] = (Line.WAITING, None)
            self.queued[msg.call_id] = 0.0
        elif isinstance(msg, m.Ring):
            self._stop_prompt(msg.call_id)
            self.listening.discard(msg.call_id)
            self.lines[msg.call_id] = (Line.RINGING, msg.agent_id)
        elif isinstance(msg, m.StopRinging):
            if state is Line.RINGING and agent == msg.agent_id:
                self.lines[msg.call_id] = (Line.WAITING, None)
        elif isinstance(msg, m.Connect):
            self._stop_prompt(msg.call_id)
            self.queued.pop(msg.call_id, None)
            self.listening.discard(msg.call_id)
            self.lines[msg.call_id] = (Line.CONNECTED, msg.agent_id)
            self.bus.publish(m.trunk_ev(msg.call_id), m.CallConnected(call_id=msg.call_id, agent_id=msg.agent_id))
        else:
            self._stop_prompt(msg.call_id)
            self.queued.pop(msg.call_id, None)
            self.listening.discard(msg.call_id)
            timer = self.dialling.pop(msg.call_id, None)
            if timer is not None:
                timer.cancel()
            del self.lines[msg.call_id]
            self.bus.publish(m.trunk_ev(msg.call_id), m.CallReleased(call_id=msg.call_id, reason=msg.reason))
