"""Agent bots: simulated agents who work the live centre through the bus.

A bot does what a person at a seat does, and nothing more: it logs in,
answers an offer after a ring delay (or now and then lets it ring out), talks
for a lognormal time and hangs up, sits through wrap-up, sometimes asks for a
break, and comes back after being set not-ready for missing calls. It sees
only its offers and its state on the bus, and acts only by publishing agent
commands, so a bot can be swapped for a person at an agent desktop.

Every bot draws from its own seeded random stream, so a run reproduces.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cti.live import messages as m
from cti.live.bus import Bus


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


@dataclass(frozen=True, slots=True)
class BotBehaviour:
    """How bots behave. Times in seconds; ``*_cv`` are coefficients of variation."""

    answer_delay_s: float = 4.0
    answer_delay_cv: float = 0.5
    talk_s: float = 200.0
    talk_cv: float = 0.6
    miss_probability: float = 0.02
    break_probability: float = 0.03
    break_s: float = 300.0
    back_after_missed_s: float = 60.0
    #: Of the cases a bot wraps up: shares escalated to each tier (the rest are closed).
    escalate: tuple[tuple[str, float], ...] = (("second-line", 0.15), ("third-line", 0.06), ("vendor", 0.04))
    urgent_probability: float = 0.1
    wrap_up_form: bool = True

    @classmethod
    def instant(cls) -> BotBehaviour:
        """Zero think time: answer at once, hang up at once, never miss or rest (benchmarks)."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


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
    __slots__ = ("agent_id", "call_id", "pending", "rng", "status")

    def __init__(self, agent_id: str, rng: random.Random) -> None:
        self.agent_id = agent_id
        self.rng = rng
        self.status = "logged-out"
        self.call_id: str | None = None
        self.pending: Cancellable | None = None  # the next thing this bot will do


class AgentBots:
    """A team of bots, one per agent id."""

    def __init__(
        self,
        bus: Bus,
        clock: Timekeeper,
        agent_ids: Iterable[str],
        *,
        seed: int,
        behaviour: BotBehaviour | None = None,
        dispositions: Sequence[str] = tuple(NOTES),
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.behaviour = behaviour or BotBehaviour()
        self.bots = {a: _Bot(a, random.Random(f"{seed}/bot/{a}")) for a in agent_ids}
        # Case forms draw from their own streams, so they never change when calls are answered.
        self.form_rngs = {a: random.Random(f"{seed}/form/{a}") for a in agent_ids}
        self.dispositions = tuple(dispositions)
        self.stopping = False
        self.calls_answered = 0
        self.offers_missed = 0
        self._sub = bus.subscribe(f"{m.PREFIX}/agents/+/offer", f"{m.PREFIX}/agents/+/state")

    def login(self) -> None:
        for bot in self.bots.values():
            self.bus.publish(m.agent_cmd(bot.agent_id), m.Login(agent_id=bot.agent_id, ready=True))

    def stop(self) -> None:
        """Log every bot out as soon as it is off calls and out of wrap-up."""
        self.stopping = True
        for bot in self.bots.values():
            self._maybe_leave(bot)

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
        b = self.behaviour
        bot.call_id = offer.call_id
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
        b = self.behaviour
        bot.status = state.status
        now = self.clock.now()
        if state.status == "talking" and state.call_id is not None:
            self.calls_answered += 1
            call_id = state.call_id

            def hang_up() -> None:
                bot.pending = None
                if b.wrap_up_form:  # the case form is filled in by the end of the call
                    self._fill_in_form(bot.agent_id, call_id)
                self.bus.publish(m.agent_cmd(bot.agent_id), m.HangUp(agent_id=bot.agent_id, call_id=call_id))

            self._cancel(bot)
            bot.pending = self.clock.call_at(now + lognormal(bot.rng, b.talk_s, b.talk_cv), hang_up)
        elif state.status == "wrap-up":
            bot.call_id = None
            if not self.stopping and bot.rng.random() < b.break_probability:
                self.bus.publish(m.agent_cmd(bot.agent_id), m.NotReady(agent_id=bot.agent_id, reason="break"))
        elif state.status == "not-ready" and not self.stopping:
            rest = b.back_after_missed_s if state.reason == "missed" else lognormal(bot.rng, b.break_s, 0.3)
            self._cancel(bot)
            bot.pending = self.clock.call_at(now + rest, lambda: self._back(bot))
        elif state.status in {"ready", "reject-delay"}:
            bot.call_id = None
        self._maybe_leave(bot)

    def _fill_in_form(self, agent_id: str, call_id: str) -> None:
        """The case form: a disposition, notes, and close or escalate."""
        rng = self.form_rngs[agent_id]
        disposition = rng.choice(self.dispositions)
        urgent = rng.random() < self.behaviour.urgent_probability
        draw = rng.random()
        to = None
        for tier, share in self.behaviour.escalate:
            if draw < share:
                to = tier
                break
            draw -= share
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
        if bot.status == "not-ready" and not self.stopping:
            self.bus.publish(m.agent_cmd(bot.agent_id), m.Ready(agent_id=bot.agent_id))

    def _maybe_leave(self, bot: _Bot) -> None:
        if self.stopping and bot.status in {"ready", "not-ready", "reject-delay"} and bot.call_id is None:
            self._cancel(bot)
            bot.status = "leaving"
            self.bus.publish(m.agent_cmd(bot.agent_id), m.Logout(agent_id=bot.agent_id))

    @staticmethod
    def _cancel(bot: _Bot) -> None:
        if bot.pending is not None:
            bot.pending.cancel()
            bot.pending = None
