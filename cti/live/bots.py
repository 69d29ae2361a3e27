"""Agent bots: simulated agents who work the live centre through the bus.

A bot does what a person at a seat does, and nothing more: it logs in (at
the start of its shift, if it has one), answers an offer after a ring delay
(or now and then lets it ring out), talks for as long as the call's system
takes and hangs up, sits through wrap-up, sometimes asks for a break (and
takes its shift's breaks), comes back after being set not-ready for missing
calls, and logs out at the end of its shift. It sees only its offers and its
state on the bus, and acts only by publishing agent commands, so a bot can be
swapped for a person at an agent desktop.

How bots behave is :class:`simulator.behaviour.AgentBehaviour` (a
scenario's ``[agents]``) with the talk times of the scenario's
``[talk_time]``: one description of the people, read by the live centre and
the simulator alike.

Every bot draws from its own seeded random stream, so a run reproduces.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cti.live import messages as m
from cti.live.bus import Bus
from simulator.behaviour import AgentBehaviour
from simulator.scenario import DEFAULT_TALK, Distribution, Scenario


class Timekeeper(Protocol):
    """The part of a clock that bots and the traffic generator use."""

    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], object]) -> Cancellable: ...


class Cancellable(Protocol):
    def cancel(self) -> None: ...


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """A lognormal sample with the given mean and coefficient of variation (``cv=0``: the mean)."""
    if mean <= 0:
        return 0.0
    if cv <= 0:
        return mean
    sigma2 = math.log1p(cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def draw(rng: random.Random, dist: Distribution) -> float:
    """One sample of a scenario's distribution of seconds (``none``: never, ``math.inf``)."""
    if dist.kind == "none":
        return math.inf
    if dist.kind == "empirical":
        return rng.choice(dist.values)
    if dist.kind == "exponential":
        return rng.expovariate(1.0 / dist.mean) if dist.mean > 0 else 0.0
    return lognormal(rng, dist.mean, dist.cv)


@dataclass(frozen=True, slots=True)
class BotBehaviour:
    """How bots behave: what agents do (``agents``, a scenario's ``[agents]``) and how long calls last.

    A call about a system in ``talk_by_system`` (a scenario's ``[talk_time]``)
    lasts a draw from its distribution; any other call a draw from ``talk``.
    """

    agents: AgentBehaviour = field(default_factory=AgentBehaviour)
    talk: Distribution = DEFAULT_TALK
    talk_by_system: Mapping[str, Distribution] = field(default_factory=dict)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> BotBehaviour:
        return cls(scenario.agents, DEFAULT_TALK, dict(scenario.talk))

    @classmethod
    def instant(cls) -> BotBehaviour:
        """Zero think time: answer at once, hang up at once, never miss or rest (benchmarks)."""
        return cls(AgentBehaviour.instant(), Distribution("lognormal", mean=0.0, cv=0.0))

    def talk_for(self, system: str | None) -> Distribution:
        return self.talk_by_system.get(system, self.talk) if system is not None else self.talk


@dataclass(frozen=True, slots=True)
class OnDuty:
    """A bot's shift, in centre time (Unix seconds): logged in from ``start`` to ``end``, with breaks."""

    start: float
    end: float
    breaks: tuple[tuple[float, float], ...] = ()


def rota_from_scenario(scenario: Scenario, agents: Iterable[str], midnight: float) -> dict[str, OnDuty]:
    """The scenario's shifts on the day starting at ``midnight`` (Unix time), for the ``agents`` who are bots.

    Without ``[[shifts]]`` every one of them works from the scenario's open to
    its close, as in the simulator.
    """
    present = set(agents)
    if not scenario.shifts:
        return {a: OnDuty(midnight + scenario.open_s, midnight + scenario.close_s) for a in sorted(present)}
    rota: dict[str, OnDuty] = {}
    for shift in scenario.shifts:
        breaks = tuple(
            (midnight + b.start_s, midnight + min(shift.end_s, b.start_s + b.minutes * 60)) for b in shift.breaks
        )
        for agent in shift.agents:
            if agent in present:
                rota[agent] = OnDuty(midnight + shift.start_s, midnight + shift.end_s, breaks)
    return rota


#: What a bot writes in a case's notes, by disposition.
NOTES: dict[str, str] = {
    "solved": "已協助排除問題，來電者確認可正常操作。",
    "how-to": "說明操作步驟並提供使用手冊連結。",
    "password-reset": "協助重設密碼並確認可登入。",
    "data-correction": "資料有誤，已轉請機關人事單位更正。",
    "bug-report": "系統異常，已蒐集畫面與時間點。",
    "enhancement": "使用者建議新增功能，已記錄。",
    "referred": "非本系統問題，已告知洽詢窗口。",
    "other": "其他問題，已記錄。",
}


class _Bot:
    __slots__ = ("agent_id", "break_until", "call_id", "off_duty", "pending", "rng", "status", "system")

    def __init__(self, agent_id: str, rng: random.Random) -> None:
        self.agent_id = agent_id
        self.rng = rng
        self.status = "logged-out"
        self.call_id: str | None = None
        self.system: str | None = None  # the system of the call offered or on the line
        self.pending: Cancellable | None = None  # the next thing this bot will do
        self.off_duty = False  # its shift has ended: it leaves as soon as it is off calls
        self.break_until: float | None = None  # a break of its shift, due or taken, ends then


def _break_due(bot: _Bot, now: float) -> bool:
    """A break of the bot's shift has begun and not yet ended."""
    return bot.break_until is not None and now < bot.break_until


class AgentBots:
    """A team of bots, one per agent id.

    Without a ``rota`` every bot logs in at :meth:`login` and works until
    :meth:`stop`. With one, only the bots it names work, each from the start
    to the end of its shift, with its breaks; a shift or break that begins
    during a call begins when the call and its wrap-up are over.
    """

    def __init__(
        self,
        bus: Bus,
        clock: Timekeeper,
        agent_ids: Iterable[str],
        *,
        seed: int,
        behaviour: BotBehaviour | None = None,
        dispositions: Sequence[str] = tuple(NOTES),
        rota: Mapping[str, OnDuty] | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.behaviour = behaviour or BotBehaviour()
        self.bots = {a: _Bot(a, random.Random(f"{seed}/bot/{a}")) for a in agent_ids}
        self.rota = None if rota is None else {a: duty for a, duty in rota.items() if a in self.bots}
        self._rota_timers: list[Cancellable] = []
        # Case forms draw from their own streams, so they never change when calls are answered.
        self.form_rngs = {a: random.Random(f"{seed}/form/{a}") for a in agent_ids}
        self.dispositions = tuple(dispositions)
        self.stopping = False
        self.calls_answered = 0
        self.offers_missed = 0
        self._sub = bus.subscribe(f"{m.PREFIX}/agents/+/offer", f"{m.PREFIX}/agents/+/state")

    def login(self) -> None:
        """Every bot logs in now; with a rota, each at the start of its shift (now, if it has begun)."""
        if self.rota is None:
            for bot in self.bots.values():
                self._log_in(bot)
            return
        now = self.clock.now()
        for agent_id, duty in self.rota.items():
            bot = self.bots[agent_id]
            if duty.end <= now:
                continue
            self._at(duty.start, functools.partial(self._log_in, bot))
            for start, end in duty.breaks:
                if end > now:
                    self._at(start, functools.partial(self._break_starts, bot, end))
            self._at(duty.end, functools.partial(self._shift_over, bot))

    def stop(self) -> None:
        """Log every bot out as soon as it is off calls and out of wrap-up."""
        self.stopping = True
        for timer in self._rota_timers:
            timer.cancel()
        self._rota_timers.clear()
        for bot in self.bots.values():
            self._maybe_leave(bot)

    def _at(self, when: float, action: Callable[[], None]) -> None:
        now = self.clock.now()
        if when <= now:
            action()
        else:
            self._rota_timers.append(self.clock.call_at(when, action))

    def _log_in(self, bot: _Bot) -> None:
        if not self.stopping and not bot.off_duty:
            self.bus.publish(m.agent_cmd(bot.agent_id), m.Login(agent_id=bot.agent_id, ready=True))

    def _shift_over(self, bot: _Bot) -> None:
        bot.off_duty = True
        self._maybe_leave(bot)

    def _break_starts(self, bot: _Bot, end: float) -> None:
        """A break of the shift starts: now if the bot is free, else after its call and wrap-up."""
        if bot.off_duty or self.stopping:
            return
        bot.break_until = end
        if bot.status in {"ready", "reject-delay"} and bot.call_id is None:
            self._cancel(bot)
            self.bus.publish(m.agent_cmd(bot.agent_id), m.NotReady(agent_id=bot.agent_id, reason="break"))

    def all_logged_out(self) -> bool:
        return all(b.status == "logged-out" for b in self.bots.values())

    async def run(self) -> None:
        try:
            while True:
                for delivery in await self._sub.batch():
                    msg = delivery.message
                    bot = self.bots.get(getattr(msg, "agent_id", ""))
                    if bot is None:
                        continue
                    if isinstance(msg, m.Offer):
                        self._on_offer(bot, msg)
                    elif isinstance(msg, m.OfferWithdrawn):
                        if bot.call_id == msg.call_id:
                            self._cancel(bot)
                            bot.call_id = None
                    elif isinstance(msg, m.AgentState):
                        self._on_state(bot, msg)
        finally:
            self.bus.unsubscribe(self._sub)

    def _on_offer(self, bot: _Bot, offer: m.Offer) -> None:
        b = self.behaviour.agents
        bot.call_id = offer.call_id
        bot.system = offer.system
        if bot.rng.random() < b.miss_probability:
            self.offers_missed += 1
            return  # let it ring out
        at = self.clock.now() + lognormal(bot.rng, b.answer_delay_s, b.answer_delay_cv)
        if at >= offer.ring_until:
            self.offers_missed += 1
            return  # too slow: it rings out
        call_id = offer.call_id

        def answer() -> None:
            bot.pending = None
            self.bus.publish(m.agent_cmd(bot.agent_id), m.Answer(agent_id=bot.agent_id, call_id=call_id))

        self._cancel(bot)
        bot.pending = self.clock.call_at(at, answer)

    def _on_state(self, bot: _Bot, state: m.AgentState) -> None:
        b = self.behaviour.agents
        bot.status = state.status
        now = self.clock.now()
        if state.status == "talking" and state.rule == "callback-accepted":
            self._cancel(bot)  # dialling the caller back: the talk starts when they answer
        elif state.status == "talking" and state.call_id is not None:
            self.calls_answered += 1
            call_id = state.call_id

            def hang_up() -> None:
                bot.pending = None
                if b.wrap_up_form:  # the case form is filled in by the end of the call
                    self._fill_in_form(bot.agent_id, call_id)
                self.bus.publish(m.agent_cmd(bot.agent_id), m.HangUp(agent_id=bot.agent_id, call_id=call_id))

            self._cancel(bot)
            bot.pending = self.clock.call_at(now + draw(bot.rng, self.behaviour.talk_for(bot.system)), hang_up)
        elif state.status == "wrap-up":
            bot.call_id = None
            working = not (self.stopping or bot.off_duty)
            # The shift's break, put off by the call; or, now and then, a break of the agent's own.
            if working and (_break_due(bot, now) or bot.rng.random() < b.break_probability):
                self.bus.publish(m.agent_cmd(bot.agent_id), m.NotReady(agent_id=bot.agent_id, reason="break"))
        elif state.status == "not-ready" and not self.stopping and not bot.off_duty:
            if state.reason == "missed":
                rest = b.back_after_missed_s
            elif bot.break_until is not None and _break_due(bot, now):  # the shift's break: until it ends
                rest = bot.break_until - now
                bot.break_until = None
            else:
                rest = lognormal(bot.rng, b.break_s, 0.3)
            self._cancel(bot)
            bot.pending = self.clock.call_at(now + rest, lambda: self._back(bot))
        elif state.status in {"ready", "reject-delay"}:
            bot.call_id = None
            if state.status == "ready" and _break_due(bot, now) and not (self.stopping or bot.off_duty):
                self.bus.publish(m.agent_cmd(bot.agent_id), m.NotReady(agent_id=bot.agent_id, reason="break"))
        self._maybe_leave(bot)

    def _fill_in_form(self, agent_id: str, call_id: str) -> None:
        """The case form: a disposition, notes, and close or escalate."""
        rng = self.form_rngs[agent_id]
        disposition = rng.choice(self.dispositions)
        urgent = rng.random() < self.behaviour.agents.urgent_probability
        pick = rng.random()
        to = None
        for tier, share in self.behaviour.agents.escalate.items():
            if pick < share:
                to = tier
                break
            pick -= share
        self.bus.publish(
            m.agent_cmd(agent_id),
            m.WrapUp(
                agent_id=agent_id,
                call_id=call_id,
                disposition=disposition,
                notes=NOTES.get(disposition, ""),
                action="close" if to is None else "escalate",
                escalate_to=to,
                priority="urgent" if urgent else "normal",
            ),
        )

    def _back(self, bot: _Bot) -> None:
        bot.pending = None
        if bot.status == "not-ready" and not self.stopping and not bot.off_duty:
            self.bus.publish(m.agent_cmd(bot.agent_id), m.Ready(agent_id=bot.agent_id))

    def _maybe_leave(self, bot: _Bot) -> None:
        leaving = self.stopping or bot.off_duty
        if leaving and bot.status in {"ready", "not-ready", "reject-delay"} and bot.call_id is None:
            self._cancel(bot)
            bot.status = "leaving"
            self.bus.publish(m.agent_cmd(bot.agent_id), m.Logout(agent_id=bot.agent_id))

    @staticmethod
    def _cancel(bot: _Bot) -> None:
        if bot.pending is not None:
            bot.pending.cancel()
            bot.pending = None
