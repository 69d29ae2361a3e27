"""The traffic generator: callers dialling the hotline, through the bus.

Arrivals are Poisson per system, with a rate that follows an hourly profile
(piecewise constant within each hour of the centre's local day, which the
memoryless exponential makes exact at the hour boundaries). Each caller has
an agency drawn from the centre's list, a landline number, and a patience:
a caller still waiting (queued or ringing) when patience runs out hangs up.

Like a trunk full of real callers, the generator only dials and hangs up on
``cti/v1/trunk/in`` and listens on ``cti/v1/trunk/{call}/ev``.
"""

from __future__ import annotations

import functools
import random
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from cti.live import messages as m
from cti.live.bots import Cancellable, Timekeeper, lognormal
from cti.live.bus import Bus
from simulator.profile import DEFAULT_HOURLY, DEFAULT_SYSTEM_WEIGHTS


@dataclass(frozen=True, slots=True)
class TrafficProfile:
    """Calls per hour at the busiest hour, shaped by ``hourly`` and split by ``system_weights``."""

    busy_hour_calls: float = 100.0
    hourly: tuple[float, ...] = DEFAULT_HOURLY
    system_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SYSTEM_WEIGHTS))
    patience_s: float = 180.0
    patience_cv: float = 1.0
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


class Caller(Protocol):
    """Someone who may call: a directory entry's numbers and agency."""

    @property
    def office_phone(self) -> str: ...
    @property
    def mobile(self) -> str: ...
    @property
    def agency(self) -> str: ...


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
        self._sub = bus.subscribe(f"{m.PREFIX}/trunk/+/ev")

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
                        self._stop_waiting(msg.call_id, keep=True)
                    elif isinstance(msg, m.CallReleased):
                        self._stop_waiting(msg.call_id, keep=False)
        finally:
            self.bus.unsubscribe(self._sub)

    def rate_at(self, system: str, t: float) -> float:
        """Calls per second for ``system`` at centre time ``t``."""
        hour = datetime.fromtimestamp(t, self.tz).hour
        return self.profile.busy_hour_calls * self.profile.hourly[hour] * self.shares[system] / 3600.0

    def _schedule(self, system: str, t: float) -> None:
        rng = self.rngs[system]
        while t < self.end:
            rate = self.rate_at(system, t)
            next_hour = _next_hour(t, self.tz)
            if rate > 0:
                gap = rng.expovariate(rate)
                if t + gap < next_hour:
                    at = t + gap
                    if at < self.end:
                        self.clock.call_at(at, functools.partial(self._arrive, system, at))
                    return
            t = next_hour  # memoryless: start afresh at the next hour's rate

    def _arrive(self, system: str, at: float) -> None:
        self.dialled += 1
        call_id = f"{self.prefix}{self.dialled:06d}"
        rng = self.caller_rng
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
        patience = lognormal(rng, self.profile.patience_s, self.profile.patience_cv)
        self.bus.publish(
            m.TRUNK_IN,
            m.Dial(
                call_id=call_id,
                caller=caller,
                dialled=self.profile.hotline,
                system=system,
                agency=agency,
                ivr={"system": system},  # the caller's menu choice, until the IVR collects it
            ),
        )
        self.outstanding[call_id] = self.clock.call_at(at + patience, lambda: self._give_up(call_id))
        self._schedule(system, at)

    def _give_up(self, call_id: str) -> None:
        if call_id in self.outstanding:
            del self.outstanding[call_id]
            self.bus.publish(m.TRUNK_IN, m.CallerHangUp(call_id=call_id))

    def _stop_waiting(self, call_id: str, *, keep: bool) -> None:
        if call_id not in self.outstanding:
            return
        timer = self.outstanding[call_id]
        if timer is not None:
            timer.cancel()
        if keep:
            self.outstanding[call_id] = None  # on the line with an agent
        else:
            del self.outstanding[call_id]


def _next_hour(t: float, tz: ZoneInfo) -> float:
    local = datetime.fromtimestamp(t, tz)
    return local.replace(minute=0, second=0, microsecond=0).timestamp() + 3600.0
