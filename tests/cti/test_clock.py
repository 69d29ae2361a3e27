"""Clocks: virtual time jumps when idle and holds while I/O is in flight; scaled time runs faster."""

from __future__ import annotations

import asyncio
import time

from cti.clock import ScaledClock, VirtualClock, run


def test_virtual_time_jumps_to_the_next_timer_without_waiting() -> None:
    clock = VirtualClock(1000.0)

    async def main() -> tuple[float, float]:
        t0 = time.perf_counter()
        await clock.sleep(3600)
        return clock.now(), time.perf_counter() - t0

    now, real = run(main(), clock)
    assert now == 4600.0
    assert real < 1.0  # an hour of centre time is not waited for


def test_timers_fire_in_time_order_at_their_exact_times() -> None:
    clock = VirtualClock(0.0)
    fired: list[tuple[str, float]] = []

    async def main() -> None:
        clock.call_at(30.0, lambda: fired.append(("b", clock.now())))
        clock.call_at(10.0, lambda: fired.append(("a", clock.now())))
        await clock.sleep(60)

    run(main(), clock)
    assert fired == [("a", 10.0), ("b", 30.0)]


def test_virtual_time_holds_while_io_is_in_flight() -> None:
    clock = VirtualClock(0.0)
    seen: list[tuple[str, float]] = []

    async def io() -> None:
        with clock.io():
            await asyncio.to_thread(time.sleep, 0.2)
        seen.append(("io done", clock.now()))

    async def sleeper() -> None:
        await clock.sleep(1.0)
        seen.append(("slept", clock.now()))

    async def main() -> None:
        await asyncio.gather(io(), sleeper())

    run(main(), clock)
    assert seen == [("io done", 0.0), ("slept", 1.0)]


def test_a_scaled_clock_runs_centre_time_faster_than_real_time() -> None:
    clock = ScaledClock(0.0, speed=100.0)

    async def main() -> tuple[float, float]:
        t0 = time.perf_counter()
        await clock.sleep(20.0)  # 0.2 real seconds
        return clock.now(), time.perf_counter() - t0

    now, real = run(main(), clock)
    assert now >= 20.0
    assert real < 5.0
