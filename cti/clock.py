"""Clocks: where the live server's time comes from.

Nothing in the live centre reads the wall clock once it runs (the command
line stamps audit rows and case changes with it). Components take a
:class:`Clock` and schedule with ``clock.sleep`` / ``clock.call_at``, in
*centre time*: seconds since the Unix epoch, as the centre experiences them.

* :class:`ScaledClock` runs on the ordinary event loop. ``speed=1`` is real
  time; ``speed=60`` makes an hour of the centre pass in a minute.
* :class:`VirtualClock` needs its own event loop (:func:`run` makes it). Time
  stands still while anything is ready to run or any I/O is in flight, and
  jumps straight to the next timer otherwise, so an hour of traffic runs as
  fast as the code can process it, and a seeded run always does the same
  things in the same order.

The idea is SimPy's: one model, two ways of advancing time.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Clock(Protocol):
    #: Centre seconds per real second, or ``None`` for virtual time.
    speed: float | None

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def call_at(self, when: float, callback: Callable[[], object]) -> asyncio.TimerHandle: ...

    def io(self) -> AbstractContextManager[None]:
        """A context manager to wrap awaited I/O (database, files) in; virtual time holds meanwhile."""
        ...


class ScaledClock:
    """Real time, optionally sped up: centre time = ``start`` + ``speed`` x elapsed real time."""

    def __init__(self, start: float, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed: float | None = speed
        self._speed = speed
        self.start = start
        self._t0: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _bind(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._t0 = self._loop.time()
        return self._loop

    def now(self) -> float:
        loop = self._bind()
        assert self._t0 is not None
        return self.start + (loop.time() - self._t0) * self._speed

    async def sleep(self, seconds: float) -> None:
        self._bind()  # centre time starts at the first use of the clock
        await asyncio.sleep(max(0.0, seconds) / self._speed)

    def call_at(self, when: float, callback: Callable[[], object]) -> asyncio.TimerHandle:
        loop = self._bind()
        assert self._t0 is not None
        return loop.call_at(self._t0 + (when - self.start) / self._speed, callback)

    @contextmanager
    def io(self) -> Iterator[None]:
        yield


class VirtualClock:
    """Virtual time: centre time = ``start`` + the virtual loop's time. Use with :func:`run`."""

    speed: float | None = None

    def __init__(self, start: float) -> None:
        self.start = start
        self.in_flight = 0
        self._loop: VirtualTimeLoop | None = None

    def _bind(self) -> VirtualTimeLoop:
        if self._loop is None:
            loop = asyncio.get_running_loop()
            if not isinstance(loop, VirtualTimeLoop):
                raise RuntimeError("a VirtualClock needs the virtual event loop: start it with cti.clock.run()")
            loop.clock = self
            self._loop = loop
        return self._loop

    def now(self) -> float:
        return self.start + self._bind().time()

    async def sleep(self, seconds: float) -> None:
        self._bind()
        await asyncio.sleep(max(0.0, seconds))

    def call_at(self, when: float, callback: Callable[[], object]) -> asyncio.TimerHandle:
        return self._bind().call_at(when - self.start, callback)

    @contextmanager
    def io(self) -> Iterator[None]:
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1


class _VirtualSelector(selectors.DefaultSelector):
    """Never waits for a timer: reports nothing and moves the loop's time forward instead."""

    loop: VirtualTimeLoop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        clock = self.loop.clock
        if timeout is None or (clock is not None and clock.in_flight > 0):
            # Wait for real: for I/O in flight (a worker thread wakes the loop
            # when it finishes), or forever when nothing at all is scheduled.
            return super().select(None)
        self.loop.virtual_now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is virtual and jumps to the next timer when idle."""

    def __init__(self) -> None:
        selector = _VirtualSelector()
        selector.loop = self
        self.virtual_now = 0.0
        self.clock: VirtualClock | None = None
        super().__init__(selector)

    def time(self) -> float:
        return self.virtual_now


def run(main: Coroutine[Any, Any, T], clock: Clock) -> T:
    """Run ``main`` to completion on the event loop ``clock`` needs."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = (
        VirtualTimeLoop if isinstance(clock, VirtualClock) else None
    )
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
