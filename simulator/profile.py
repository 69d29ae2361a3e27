"""The hotline's typical day: how calls spread over the hours and over the systems.

Shared by the live traffic generator and the capacity simulator's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Share of the busiest hour's calls in each hour of the day. The service runs 08:30-18:30; the few
#: callers of the hours wholly outside it (night, early morning, evening) reach the live centre's IVR,
#: which tells them the hours and offers a call-back. The capacity simulator spreads a day's calls over
#: the scenario's opening hours only, so with the usual hours these night factors change none of its figures.
DEFAULT_HOURLY: tuple[float, ...] = (
    *(0.04,) * 6,  # 00:00-06:00
    0.05,  # 06:00
    0.10,  # 07:00
    0.45,  # 08:00 (from 08:30)
    0.90,  # 09:00
    1.00,  # 10:00 the busy hour
    0.85,  # 11:00
    0.35,  # 12:00 lunch
    0.70,  # 13:00
    0.95,  # 14:00
    0.85,  # 15:00
    0.65,  # 16:00
    0.40,  # 17:00
    0.15,  # 18:00 (to 18:30)
    0.08,  # 19:00
    0.06,  # 20:00
    0.05,  # 21:00
    0.05,  # 22:00
    0.04,  # 23:00
)

#: Relative call volume per system in the default centre (others weigh 1).
DEFAULT_SYSTEM_WEIGHTS: Mapping[str, float] = {
    "webhr": 6.0,
    "pemis2k": 5.0,
    "ecpa": 3.0,
    "attendance": 3.0,
    "travelcard": 2.0,
    "allowance": 2.0,
    "mydata": 1.5,
    "elearn": 1.5,
    "retirement": 1.5,
    "payroll": 1.5,
}


def hourly_to_intervals(open_s: float, close_s: float, interval_s: float) -> list[float]:
    """The hourly profile as one weight per interval from ``open_s`` to ``close_s`` (seconds of the day).

    Each interval's weight is the profile averaged over the interval, so an
    interval half inside the busy hour gets half of it.
    """
    out: list[float] = []
    start = open_s
    while start < close_s - 1e-9:
        end = min(start + interval_s, close_s)
        total = 0.0
        t = start
        while t < end - 1e-9:
            hour = int(t // 3600) % 24
            nxt = min(end, (int(t // 3600) + 1) * 3600.0)
            total += DEFAULT_HOURLY[hour] * (nxt - t)
            t = nxt
        out.append(total / interval_s)
        start = end
    return out
