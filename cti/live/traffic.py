"""The traffic generator: callers dialling the hotline, through the bus.

Arrivals are Poisson per system, with a rate that follows the day: the
hotline's typical hourly profile scaled to a busy hour, or a scenario's
volumes per interval (:meth:`TrafficProfile.from_scenario`). The rate is
piecewise constant over the centre's local day, which the memoryless
exponential makes exact at the boundaries. Each caller has an agency drawn
from the centre's list, a landline number, and a patience: a caller still
waiting (queued or ringing) when patience runs out hangs up.

Like a trunk full of real callers, the generator only dials, presses keys
and hangs up on ``cti/v1/trunk/in`` and listens on ``cti/v1/trunk/{call}/ev``
(and, as a caller hears the queue's music, on ``cti/v1/calls/{call}`` for
the moment the call enters a queue).

**Without an IVR** each caller dials with its system and agency attached,
and its patience runs from the dial.

**With an IVR** (the centre's :class:`ivr.IvrPlan`) a caller dials with
nothing attached and answers the menus as :class:`simulator.behaviour.CallerBehaviour`
says, from its own random stream (seeded by the run's seed and the call id):
it speaks a language drawn from the mix (of the languages the centre lists);
it knows the menus, so at each menu it presses the key that leads towards
its system (``menu_right``), a key the menu does not offer
(``menu_invalid``) or nothing, ``think_s`` after the prompt ends; asked for
its agency (the directory did not know its number) it keys the agency's
code and ``#`` if it is one of the ``agency_code_known`` who can, else a
wrong code or nothing; at each prompt it may hang up (``ivr_hangup``); after
hours it leaves a number (``callback_accept``) or lets the offer pass. Its
patience runs from the moment the call enters a queue.

**Call-backs in the queue.** A queued caller offered a call-back that keeps
their place (``queue_callback_offer``) presses 1, ``think_s`` after it ends,
if they are one of the ``callback_in_queue`` who take it (drawn from their
own stream, seeded by the run's seed and the call id), and then waits for
the line to be released, patience no longer running. When the centre calls
back (``callback-ringing``) they pick up with ``callback_answer``, after a
few seconds, and are on the line until it is released.

**The post-call survey** (a centre with ``[survey]``): when its agent hangs
up, a caller still on the line (one called back too, their wait running
from queue entry to the answer) hears the consent prompt and takes the
survey with ``survey_consent`` (presses 1 after the prompt) or lets it pass; it
scores the call from ``survey_scores``, lower the longer it waited in the
queue (``survey_wait_penalty_s``), answers other questions yes with
``survey_solved``, and at each survey prompt may hang up (``survey_hangup``).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import random
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import ivr
from cti.config import ACCEPT_KEY, OFFER_PROMPT
from cti.live import messages as m
from cti.live.bots import Cancellable, Timekeeper, draw
from cti.live.bus import Bus
from ivr.plan import AGENCY, CALLBACK_NUMBER, CALLBACK_OFFER, END_KEY, LANGUAGE, MENU_KEYS
from ivr.survey import CONSENT_KEY as SURVEY_CONSENT_KEY
from ivr.survey_plan import CONSENT as SURVEY_CONSENT
from simulator.behaviour import CallerBehaviour
from simulator.profile import DEFAULT_HOURLY, DEFAULT_SYSTEM_WEIGHTS
from simulator.scenario import DAY_S, DEFAULT_PATIENCE, Distribution, Scenario

HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class DayRates:
    """Calls per hour for each system over the local day, piecewise constant.

    From ``starts[k]`` (seconds after local midnight, ascending, the first 0)
    until the next start (or midnight), system ``s`` is called ``rates[s][k]``
    times an hour; a system not in ``rates`` is never called.
    """

    starts: tuple[float, ...]
    rates: Mapping[str, tuple[float, ...]]

    def __post_init__(self) -> None:
        if not self.starts or self.starts[0] != 0 or any(b <= a for a, b in itertools.pairwise(self.starts)):
            raise ValueError("starts must begin at 0 and rise")
        if self.starts[-1] >= DAY_S:
            raise ValueError("starts must lie within the day")
        for system, rates in self.rates.items():
            if len(rates) != len(self.starts) or any(not (math.isfinite(r) and r >= 0) for r in rates):
                raise ValueError(f"{system}: one finite, non-negative rate per start")

    def slot(self, seconds: float) -> int:
        """The slot holding ``seconds`` after midnight."""
        return bisect.bisect_right(self.starts, seconds) - 1

    def per_hour(self, system: str, seconds: float) -> float:
        rates = self.rates.get(system)
        return rates[self.slot(seconds)] if rates is not None else 0.0

    def end_of_slot(self, seconds: float) -> float:
        """Seconds after midnight where the slot holding ``seconds`` ends."""
        k = self.slot(seconds)
        return self.starts[k + 1] if k + 1 < len(self.starts) else DAY_S

    def scaled(self, factor: float) -> DayRates:
        return DayRates(self.starts, {s: tuple(r * factor for r in rates) for s, rates in self.rates.items()})

    def busiest_hour(self) -> float:
        """The most calls an hour, all systems together, in any slot."""
        return max(sum(rates[k] for rates in self.rates.values()) for k in range(len(self.starts)))


@dataclass(frozen=True, slots=True)
class TrafficProfile:
    """Calls per hour at the busiest hour, shaped by ``hourly`` and split by ``system_weights``.

    With ``day`` (a scenario's volumes, :meth:`from_scenario`), the rates
    come from it instead, and ``busy_hour_calls`` is its busiest hour.
    """

    busy_hour_calls: float = 100.0
    hourly: tuple[float, ...] = DEFAULT_HOURLY
    system_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SYSTEM_WEIGHTS))
    #: How long a caller waits in the queue before hanging up.
    patience: Distribution = DEFAULT_PATIENCE
    day: DayRates | None = None
    hotline: str = "02-2397-5000"
    #: With a caller list: the share of calls from numbers not in it (unknown callers).
    unknown_share: float = 0.1
    #: With a caller list: the share of known callers who ring from their mobile.
    mobile_share: float = 0.25
    #: With a caller list: the share of known callers ringing again (one problem often takes several
    #: contacts): they are one of the last ``recent_callers`` known callers.
    repeat_share: float = 0.25
    recent_callers: int = 30

    def __post_init__(self) -> None:
        if len(self.hourly) != 24 or any(f < 0 for f in self.hourly):
            raise ValueError("hourly must give 24 non-negative factors, one per hour of the day")
        if self.busy_hour_calls < 0:
            raise ValueError(f"busy_hour_calls must not be negative, got {self.busy_hour_calls}")
        for name in ("unknown_share", "mobile_share", "repeat_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be from 0 to 1, got {getattr(self, name)}")

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> TrafficProfile:
        """A scenario's day as live traffic: its volumes while it is open, the typical day's night around them.

        From ``open`` to ``close`` each system is called at the scenario's
        mean calls of each interval, spread evenly over the interval. Before
        and after, callers still ring as in the hotline's typical day
        (:data:`~simulator.profile.DEFAULT_HOURLY`), scaled to the scenario's
        busiest hour and split by its daily volumes; the live centre's IVR
        tells them the hours. Patience is the scenario's ``[patience]``.
        """
        starts: list[float] = []
        rates: dict[str, list[float]] = {s: [] for s in scenario.calls}
        in_hours: list[tuple[float, dict[str, float]]] = []
        for k, start in enumerate(scenario.interval_starts):
            length = min(start + scenario.interval_s, scenario.close_s) - start
            in_hours.append((start, {s: calls[k] / length * HOUR_S for s, calls in scenario.calls.items()}))
        busiest = max(sum(per.values()) for _, per in in_hours)
        daily = {s: sum(calls) for s, calls in scenario.calls.items()}
        total = sum(daily.values())

        def night(start: float) -> dict[str, float]:
            factor = busiest * DEFAULT_HOURLY[int(start // HOUR_S) % 24]
            return {s: factor * daily[s] / total for s in daily}

        boundaries = [h * HOUR_S for h in range(24)]
        slots = [(t, night(t)) for t in boundaries if t < scenario.open_s]
        slots += in_hours
        after = [scenario.close_s] + [t for t in boundaries if t > scenario.close_s]
        slots += [(t, night(t)) for t in after if t < DAY_S]
        for start, per in slots:
            starts.append(start)
            for system, column in rates.items():
                column.append(per[system])
        day = DayRates(tuple(starts), {s: tuple(r) for s, r in rates.items()})
        return cls(busy_hour_calls=day.busiest_hour(), patience=scenario.patience, day=day)

    def with_busy_hour(self, calls: float) -> TrafficProfile:
        """The same day with ``calls`` calls in its busiest hour."""
        if self.day is None:
            return replace(self, busy_hour_calls=calls)
        factor = calls / self.busy_hour_calls if self.busy_hour_calls > 0 else 0.0
        return replace(self, busy_hour_calls=calls, day=self.day.scaled(factor))

    def calls_per_hour(self, seconds: float) -> float:
        """Calls an hour, all systems together, at ``seconds`` after local midnight."""
        if self.day is not None:
            return sum(self.day.per_hour(s, seconds) for s in self.day.rates)
        return self.busy_hour_calls * self.hourly[int(seconds // HOUR_S) % 24]

    def end_of_slot(self, seconds: float) -> float:
        """Seconds after midnight where the rate holding at ``seconds`` may next change."""
        if self.day is not None:
            return self.day.end_of_slot(seconds)
        return (seconds // HOUR_S + 1) * HOUR_S


class Caller(Protocol):
    """Someone who may call: a directory entry's numbers and agency."""

    @property
    def office_phone(self) -> str: ...
    @property
    def mobile(self) -> str: ...
    @property
    def agency(self) -> str: ...


@dataclass(slots=True)
class _InMenus:
    """A caller in the menus: who they are, what they want, and what they will do next."""

    system: str
    agency: str
    language: str
    number: str  # the digits a call-back would be made to
    knows_code: bool
    leaves_number: bool
    patience: float
    rng: random.Random
    pending: Cancellable | None = None  # the next key press or hang-up
    queued: bool = False


@dataclass(slots=True)
class _Rating:
    """A caller talking to an agent, or in the survey after: their stream and how long they waited in the queue."""

    rng: random.Random
    waited_s: float
    pending: Cancellable | None = None


class MenuMap:
    """What a caller knows of the centre's menus: which key leads towards each system, and the agency codes."""

    def __init__(self, plan: ivr.IvrPlan) -> None:
        self.plan = plan
        self.language_keys = {language: key for key, language in plan.language_menu.items()}
        self.menu_of_prompt = {menu.prompt: menu.id for menu in plan.menus.values()}
        self.codes = {agency: code for code, agency in sorted(plan.agency_codes.items())}
        self.paths: dict[str, dict[str, str]] = {}  # system -> menu id -> the key towards it
        self._walk(plan.main, {}, set())

    def _walk(self, menu_id: str, path: dict[str, str], seen: set[str]) -> None:
        seen = seen | {menu_id}
        for key, target in sorted(self.plan.menus[menu_id].options.items()):
            step = {**path, menu_id: key}
            if target in self.plan.menus:
                if target not in seen:
                    self._walk(target, step, seen)
            elif target not in self.paths:  # the shortest way in (the first found at the lowest keys)
                self.paths[target] = step

    def key_for(self, system: str, menu_id: str) -> str:
        """The key a caller for ``system`` presses in ``menu_id`` (``0``, the general queue, if no way leads there)."""
        return self.paths.get(system, {}).get(menu_id, ivr.plan.GENERAL_KEY)

    def offered(self, prompt: str) -> frozenset[str]:
        """The keys the menu played by ``prompt`` takes."""
        if prompt == LANGUAGE:
            return frozenset(self.plan.language_menu) | {ivr.plan.REPEAT_KEY}
        menu = self.menu_of_prompt.get(prompt)
        if menu is None:
            return frozenset()
        return frozenset(self.plan.menus[menu].options) | {ivr.plan.GENERAL_KEY, ivr.plan.REPEAT_KEY}


class TrafficGenerator:
    """Dials calls from ``start`` until ``end`` (centre time); ``outstanding`` counts callers still on the line."""

    def __init__(
        self,
        bus: Bus,
        clock: Timekeeper,
        *,
        systems: Sequence[str],
        agencies: Sequence[str],
        timezone: str,
        seed: int,
        call_prefix: str,
        profile: TrafficProfile | None = None,
        callers: Sequence[Caller] = (),
        plan: ivr.IvrPlan | None = None,
        caller_behaviour: CallerBehaviour | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.profile = profile or TrafficProfile()
        self.agencies = tuple(agencies)
        self.tz = ZoneInfo(timezone)
        self.prefix = call_prefix
        weights = {s: self.profile.system_weights.get(s, 1.0) for s in systems}
        total = sum(weights.values()) or 1.0
        self.shares = {s: w / total for s, w in weights.items()}
        self.rngs = {s: random.Random(f"{seed}/arrivals/{s}") for s in systems}
        self.caller_rng = random.Random(f"{seed}/callers")
        self.callers = tuple(callers)
        self.recent: deque[Caller] = deque(maxlen=self.profile.recent_callers)
        self.dialled = 0
        self.outstanding: dict[str, Cancellable | None] = {}
        self.end = 0.0
        self.seed = seed
        self.menus = MenuMap(plan) if plan is not None else None
        #: What callers do in the voice menus (a scenario's ``[callers]``).
        self.behaviour = caller_behaviour or CallerBehaviour()
        mix = {lang.id: self.behaviour.languages.get(lang.id, 0.0) for lang in plan.languages} if plan else {}
        self.languages = {k: w for k, w in mix.items() if w > 0} or (
            {plan.default_language.id: 1.0} if plan is not None else {}
        )
        #: Callers in the menus (until their call enters a queue or ends).
        self.in_menus: dict[str, _InMenus] = {}
        #: The survey, if the centre has one; callers queued (since when) and connected (who may rate the call).
        self.survey = plan.survey if plan is not None else None
        self.queued_at: dict[str, tuple[float, random.Random]] = {}
        self.rating: dict[str, _Rating] = {}
        topics = [f"{m.PREFIX}/trunk/+/ev"] + ([f"{m.PREFIX}/calls/+"] if plan is not None else [])
        self._sub = bus.subscribe(*topics)

    def start(self, end: float) -> None:
        """Begin dialling now; stop creating calls at ``end``."""
        self.end = end
        now = self.clock.now()
        for system in self.rngs:
            self._schedule(system, now)

    def done(self) -> bool:
        return self.clock.now() >= self.end and not self.outstanding

    async def run(self) -> None:
        """Follow the calls: a connected or released caller stops waiting."""
        try:
            while True:
                for delivery in await self._sub.batch():
                    msg = delivery.message
                    if isinstance(msg, m.CallConnected):
                        self._connected(msg.call_id)
                        self._stop_waiting(msg.call_id, keep=True)
                    elif isinstance(msg, m.CallReleased):
                        if msg.reason != "callback-requested":  # called back later, rated as any answered call
                            self._forget_rating(msg.call_id)
                        self._stop_waiting(msg.call_id, keep=False)
                    elif isinstance(msg, m.PromptPlaying):
                        if msg.call_id in self.rating:
                            self._survey_prompt(msg)
                        elif msg.prompt == OFFER_PROMPT:
                            self._callback_offered(msg)
                        else:
                            self._prompt(msg)
                    elif isinstance(msg, m.CallbackRinging):
                        self._called_back(msg)
                    elif isinstance(msg, m.CallEvent) and msg.event == "queued":
                        self._queued(msg.call_id)
        finally:
            self.bus.unsubscribe(self._sub)

    def rate_at(self, system: str, t: float) -> float:
        """Calls per second for ``system`` at centre time ``t``."""
        if self.profile.day is not None:
            return self.profile.day.per_hour(system, _seconds_of_day(t, self.tz)) / HOUR_S
        hour = datetime.fromtimestamp(t, self.tz).hour
        return self.profile.busy_hour_calls * self.profile.hourly[hour] * self.shares[system] / HOUR_S

    def _schedule(self, system: str, t: float) -> None:
        rng = self.rngs[system]
        while t < self.end:
            rate = self.rate_at(system, t)
            boundary = _next_boundary(t, self.tz, self.profile)
            if rate > 0:
                gap = rng.expovariate(rate)
                if t + gap < boundary:
                    at = t + gap
                    if at < self.end:
                        self.clock.call_at(at, functools.partial(self._arrive, system, at))
                    return
            t = boundary  # memoryless: start afresh at the next slot's rate

    def _arrive(self, system: str, at: float) -> None:
        self.dialled += 1
        call_id = f"{self.prefix}{self.dialled:06d}"
        rng = self.caller_rng
        known: Caller | None = None
        if self.callers and rng.random() >= self.profile.unknown_share:
            if self.recent and rng.random() < self.profile.repeat_share:
                known = rng.choice(self.recent)
            else:
                known = rng.choice(self.callers)
                self.recent.append(known)
            caller = known.mobile if rng.random() < self.profile.mobile_share else known.office_phone
            agency = known.agency
        else:
            agency = rng.choice(self.agencies)
            caller = f"0{rng.choice((2, 4, 49, 7))}-{rng.randrange(2000, 9000)}-{rng.randrange(10000):04d}"
        patience = draw(rng, self.profile.patience)
        if self.menus is not None:
            self._dial_into_menus(call_id, caller, system, agency, patience, known.mobile if known else caller)
        else:
            self.bus.publish(
                m.TRUNK_IN,
                m.Dial(
                    call_id=call_id,
                    caller=caller,
                    dialled=self.profile.hotline,
                    system=system,
                    agency=agency,
                    ivr={"system": system},  # the caller's menu choice, as attached data
                ),
            )
            self.outstanding[call_id] = (
                self.clock.call_at(at + patience, lambda: self._give_up(call_id)) if math.isfinite(patience) else None
            )
        self._schedule(system, at)

    # ------------------------------------------------------------------
    # Callers in the menus
    # ------------------------------------------------------------------

    def _dial_into_menus(
        self, call_id: str, caller: str, system: str, agency: str, patience: float, mobile: str
    ) -> None:
        """Dial with nothing attached; the caller's own stream decides what they do in the menus."""
        b = self.behaviour
        rng = random.Random(f"{self.seed}/caller/{call_id}")
        language = rng.choices(list(self.languages), weights=list(self.languages.values()))[0]
        number = "".join(ch for ch in mobile if ch.isdigit())
        if not ivr.plausible_number(number):
            number = f"09{rng.randrange(10**8):08d}"
        self.in_menus[call_id] = _InMenus(
            system=system,
            agency=agency,
            language=language,
            number=number,
            knows_code=rng.random() < b.agency_code_known,
            leaves_number=rng.random() < b.callback_accept,
            patience=patience,
            rng=rng,
        )
        self.outstanding[call_id] = None  # on the line; patience starts in the queue
        self.bus.publish(m.TRUNK_IN, m.Dial(call_id=call_id, caller=caller, dialled=self.profile.hotline))

    def _prompt(self, msg: m.PromptPlaying) -> None:
        """A prompt starts: the caller may hang up during it, or answer after it."""
        who = self.in_menus.get(msg.call_id)
        if who is None or self.menus is None:
            return
        self._cancel(who)
        b = self.behaviour
        rng = who.rng
        now = self.clock.now()
        if rng.random() < b.ivr_hangup:
            who.pending = self.clock.call_at(now + rng.uniform(0, msg.seconds), lambda: self._give_up(msg.call_id))
            return
        if not msg.collect:
            return
        keys = self._answer(who, msg.prompt)
        if keys is None:
            return  # waits out the timeout
        think = rng.expovariate(1 / b.think_s) if b.think_s > 0 else 0.0
        who.pending = self.clock.call_at(now + msg.seconds + think, lambda: self._press(msg.call_id, keys))

    def _answer(self, who: _InMenus, prompt: str) -> str | None:
        """The keys a caller presses at a collecting prompt, or None for nothing."""
        menus = self.menus
        assert menus is not None
        b = self.behaviour
        rng = who.rng
        if prompt == AGENCY:
            if who.knows_code and who.agency in menus.codes:
                return menus.codes[who.agency] + "#"
            if rng.random() < 0.5:
                return None
            return _wrong_code(rng, set(menus.plan.agency_codes)) + "#"
        if prompt == CALLBACK_OFFER:
            return "1" if who.leaves_number else None
        if prompt == CALLBACK_NUMBER:
            return who.number + "#"
        offered = menus.offered(prompt)
        if not offered:
            return None  # a prompt this caller does not know how to answer
        draw = rng.random()
        if draw < b.menu_right:
            if prompt == LANGUAGE:
                return menus.language_keys.get(who.language, ivr.plan.REPEAT_KEY)
            return menus.key_for(who.system, menus.menu_of_prompt[prompt])
        if draw < b.menu_right + b.menu_invalid:
            return rng.choice(sorted(set(MENU_KEYS + END_KEY) - offered))  # '#' chooses nothing in a menu
        return None

    def _press(self, call_id: str, keys: str) -> None:
        """Press the first of ``keys``, and the next ``inter_digit_s`` later (a code or a number, key by key)."""
        who = self.in_menus.get(call_id)
        if who is None:
            return
        who.pending = None
        self.bus.publish(m.TRUNK_IN, m.Dtmf(call_id=call_id, digits=keys[0]))
        if len(keys) > 1:
            at = self.clock.now() + self.behaviour.inter_digit_s
            who.pending = self.clock.call_at(at, lambda: self._press(call_id, keys[1:]))

    def _queued(self, call_id: str) -> None:
        """The call entered a queue: the caller hears the music, and patience starts."""
        who = self.in_menus.pop(call_id, None)
        if who is None or call_id not in self.outstanding:
            return
        self._cancel(who)
        if self.survey is not None:
            self.queued_at[call_id] = (self.clock.now(), who.rng)
        self.outstanding[call_id] = (
            self.clock.call_at(self.clock.now() + who.patience, lambda: self._give_up(call_id))
            if math.isfinite(who.patience)
            else None  # endless patience: waits until served
        )

    # ------------------------------------------------------------------
    # Call-backs that keep the place
    # ------------------------------------------------------------------

    def _callback_rng(self, call_id: str) -> random.Random:
        return random.Random(f"{self.seed}/callback/{call_id}")

    def _callback_offered(self, msg: m.PromptPlaying) -> None:
        """Offered a call-back while queued: one of ``callback_in_queue`` presses 1 after the prompt."""
        if msg.call_id not in self.outstanding:
            return
        rng = self._callback_rng(msg.call_id)
        if rng.random() >= self.behaviour.callback_in_queue:
            return
        b = self.behaviour
        think = rng.expovariate(1 / b.think_s) if b.think_s > 0 else 0.0
        at = self.clock.now() + msg.seconds + think
        self.clock.call_at(at, lambda: self._take_callback(msg.call_id))

    def _take_callback(self, call_id: str) -> None:
        """Press 1: the caller stops counting patience and waits to be released (the call keeps its place)."""
        if call_id not in self.outstanding:
            return  # served, or gone, meanwhile
        timer = self.outstanding[call_id]
        if timer is not None:
            timer.cancel()
        self.outstanding[call_id] = None
        self.bus.publish(m.TRUNK_IN, m.Dtmf(call_id=call_id, digits=ACCEPT_KEY))

    def _called_back(self, msg: m.CallbackRinging) -> None:
        """The centre calls back: pick up with ``callback_answer``, within the ringing, or let it ring out."""
        rng = self._callback_rng(f"{msg.call_id}/{self.clock.now()!r}")
        if rng.random() >= self.behaviour.callback_answer:
            return
        delay = min(rng.uniform(2.0, 8.0), msg.ring_s / 2)
        self.outstanding[msg.call_id] = None  # on the line again once picked up, until released

        def pick_up() -> None:
            self.bus.publish(m.TRUNK_IN, m.PickUp(call_id=msg.call_id))

        self.clock.call_at(self.clock.now() + delay, pick_up)

    @staticmethod
    def _cancel(who: _InMenus) -> None:
        if who.pending is not None:
            who.pending.cancel()
            who.pending = None

    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # The post-call survey
    # ------------------------------------------------------------------

    def _connected(self, call_id: str) -> None:
        queued = self.queued_at.pop(call_id, None)
        if queued is not None:
            self.rating[call_id] = _Rating(queued[1], self.clock.now() - queued[0])

    def _forget_rating(self, call_id: str) -> None:
        self.queued_at.pop(call_id, None)
        rating = self.rating.pop(call_id, None)
        if rating is not None and rating.pending is not None:
            rating.pending.cancel()

    def _survey_prompt(self, msg: m.PromptPlaying) -> None:
        """A survey prompt starts: the caller may hang up during it, or answer after it."""
        survey = self.survey
        who = self.rating[msg.call_id]
        if survey is None:
            return
        if who.pending is not None:
            who.pending.cancel()
            who.pending = None
        b = self.behaviour
        rng = who.rng
        now = self.clock.now()
        if rng.random() < b.survey_hangup:
            who.pending = self.clock.call_at(now + rng.uniform(0, msg.seconds), lambda: self._give_up(msg.call_id))
            return
        if not msg.collect:
            return
        keys: str | None = None
        if msg.prompt == SURVEY_CONSENT:
            keys = SURVEY_CONSENT_KEY if rng.random() < b.survey_consent else None
        else:
            question = next((q for q in survey.questions if q.prompt == msg.prompt), None)
            if question is None:
                return  # the invalid or no-input prompt: the question follows
            if question.id == survey.score:
                keys = str(b.survey_score(rng.random(), who.waited_s, question.low, question.high))
            elif rng.random() < b.survey_solved or question.high == question.low:
                keys = str(question.low)
            else:
                keys = str(rng.randint(question.low + 1, question.high))
        if keys is None:
            return
        think = rng.expovariate(1 / b.think_s) if b.think_s > 0 else 0.0
        call_id = msg.call_id
        who.pending = self.clock.call_at(
            now + msg.seconds + think, lambda: self.bus.publish(m.TRUNK_IN, m.Dtmf(call_id=call_id, digits=keys))
        )

    def _give_up(self, call_id: str) -> None:
        self._forget_rating(call_id)
        who = self.in_menus.pop(call_id, None)
        if who is not None:
            self._cancel(who)
        if call_id in self.outstanding:
            del self.outstanding[call_id]
            self.bus.publish(m.TRUNK_IN, m.CallerHangUp(call_id=call_id))

    def _stop_waiting(self, call_id: str, *, keep: bool) -> None:
        who = self.in_menus.pop(call_id, None)
        if who is not None:
            self._cancel(who)
        if call_id not in self.outstanding:
            return
        timer = self.outstanding[call_id]
        if timer is not None:
            timer.cancel()
        if keep:
            self.outstanding[call_id] = None  # on the line with an agent
        else:
            del self.outstanding[call_id]


def _wrong_code(rng: random.Random, codes: set[str]) -> str:
    """A code of 3 digits that is no agency's."""
    while True:
        code = f"{rng.randrange(1000):03d}"
        if code not in codes:
            return code


def _seconds_of_day(t: float, tz: ZoneInfo) -> float:
    local = datetime.fromtimestamp(t, tz)
    return t - local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _next_boundary(t: float, tz: ZoneInfo, profile: TrafficProfile) -> float:
    """When the rate holding at ``t`` may next change: the next hour, or the end of the day's slot."""
    local = datetime.fromtimestamp(t, tz)
    if profile.day is None:
        return local.replace(minute=0, second=0, microsecond=0).timestamp() + HOUR_S
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    return midnight + profile.day.end_of_slot(t - midnight)
