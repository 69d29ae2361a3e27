"""``cti demo``: the whole centre, embedded in one process.

In-process bus, the CTI server, the simulated PBX, a bot on every voice seat
and the traffic generator, with the store in SQLite. With the centre's IVR
plan (``DemoSettings.ivr``) the server runs the voice menus, the PBX plays
the prompts and the callers answer them. Callers dial for
``minutes`` of centre time; then the centre drains (every caller still on the
line is served or gives up, every agent finishes wrap-up and logs out), the
run is closed, and its figures are computed from the store.

With ``handle_signals``, Ctrl-C (SIGINT) or SIGTERM stops the run early:
no more calls are admitted, the calls still open are closed as
``interrupted`` (waiting callers' cases left for a call-back) exactly as
after a crash, the journal is committed, and the figures of what ran are
returned with ``stopped_by`` naming the signal.

The demo is a server: before anything else it takes the database's lease
(:mod:`cti.store.lease`), so a second server on the same database is
refused, and it stops with :class:`~cti.store.lease.LeaseLost` if another
takes the lease over. Its epoch is the lease's.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from cti.casework.synthetic import generate_people
from cti.clock import Clock, ScaledClock, VirtualClock, run
from cti.config import CallbackOffer
from cti.live.bots import AgentBots, BotBehaviour, OnDuty
from cti.live.bus import LocalBus
from cti.live.logs import Logger, make_logger
from cti.live.messages import STATS, Stats
from cti.live.pbx import SimPbx
from cti.live.roles import seed_staff
from cti.live.server import CtiServer
from cti.live.traffic import TrafficGenerator, TrafficProfile
from cti.store import Recovery, Store
from cti.store.figures import run_callbacks, run_estimates, run_ivr, run_summary, run_survey
from cti.store.lease import LeaseLost
from ivr import IvrPlan
from ivr.figures import IvrFigures
from ivr.survey_figures import SurveyFigures
from routing import Router
from routing.centre import Centre
from routing.estimate import EstimateErrors
from routing.figures import CallbackFigures, Summary, callback_figures
from simulator.behaviour import CallerBehaviour

#: How often the journal is committed, in real seconds (virtual time: in centre seconds).
FLUSH_REAL_S = 0.05
FLUSH_VIRTUAL_S = 5.0
#: Callers are drawn from the first this many directory entries.
MAX_CALLERS = 10_000
#: The demo's server, as the lease names it.
SERVER_ID = "cti-a"


@dataclass(frozen=True, slots=True)
class Progress:
    """What the progress callback is told, once per centre second."""

    now: float
    start: float
    end: float
    offered: int
    answered: int
    waiting: int
    draining: bool


@dataclass(slots=True)
class DemoSettings:
    centre: Centre
    db: Path
    minutes: float = 60.0
    speed: float | None = None  # None: virtual time, as fast as possible
    seed: int = 1
    start: float = 0.0  # centre time the run starts at (Unix seconds)
    profile: TrafficProfile = field(default_factory=TrafficProfile)
    behaviour: BotBehaviour = field(default_factory=BotBehaviour)
    #: What callers do in the voice menus (a scenario's ``[callers]``).
    callers: CallerBehaviour = field(default_factory=CallerBehaviour)
    #: Who works when (a scenario's shifts); None: every voice agent, all the run.
    rota: Mapping[str, OnDuty] | None = None
    log: TextIO | None = None
    on_progress: Callable[[Progress], None] | None = None
    #: An empty database gets a synthetic directory of this many people per agency.
    people_per_agency: int = 20
    #: Called with the bus before anything runs (to watch the traffic, as a console would).
    on_bus: Callable[[LocalBus], None] | None = None
    #: Stop early, closing what is open, on SIGINT or SIGTERM (the command line sets this).
    handle_signals: bool = False
    #: Where the centre came from (a file's path), recorded with the staff it seeds into an empty staff table.
    centre_source: str = "<default centre>"
    #: The centre's voice menus (``LoadedCentre.ivr``); None: no IVR, callers dial with their system attached.
    ivr: IvrPlan | None = None
    #: The call-back offered in the queue (``LoadedCentre.callback``); None or disabled: none is offered.
    callback: CallbackOffer | None = None


@dataclass(frozen=True, slots=True)
class DemoResult:
    run_id: int
    summary: Summary
    recovery: Recovery
    started_at: float
    ended_at: float
    real_seconds: float
    calls_dialled: int
    people_added: int
    #: This run's cases by where they stand (closed, call-back, open, or the tier escalated to).
    cases: dict[str, int]
    #: A call that entered a queue, to show its screen pop (:func:`_example_call`); None if none did.
    example_call: str | None
    #: The signal that stopped the run early ("SIGINT", "SIGTERM"), or None for a run that ran its course.
    stopped_by: str | None = None
    #: The calls the stop closed as interrupted.
    stopped_calls: int = 0
    #: The IVR's figures (``reached`` 0: no call went through an IVR), apart from the queue figures of ``summary``.
    ivr: IvrFigures = field(default_factory=IvrFigures)
    #: Call-backs keeping their place (``requested`` 0: none was asked for).
    callbacks: CallbackFigures = field(default_factory=lambda: callback_figures(()))
    #: The post-call survey's figures; None: the centre has no survey.
    survey: SurveyFigures | None = None
    #: The queue announcements' wait estimates against the waits that followed (none without announcements).
    estimates: EstimateErrors = field(default_factory=lambda: EstimateErrors(0, 0.0, 0.0, 0.0))


def default_start(timezone: str, hour: int = 10, lasting_s: float = 3 * 3600.0) -> float:
    """``hour``:00 in the centre's time zone (10:00 is the busy hour): today if a run of ``lasting_s``
    from then is over by now, else yesterday, so that what the run leaves lies in the past."""
    now = datetime.now(ZoneInfo(timezone))
    start = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if start.timestamp() + lasting_s > now.timestamp():
        start = (start - timedelta(days=1)).replace(hour=hour)
    return start.timestamp()


def make_clock(settings: DemoSettings) -> Clock:
    if settings.speed is None:
        return VirtualClock(settings.start)
    return ScaledClock(settings.start, settings.speed)


def run_demo(settings: DemoSettings) -> DemoResult:
    clock = make_clock(settings)
    return run(_demo(settings, clock), clock)


async def _demo(settings: DemoSettings, clock: Clock) -> DemoResult:
    t0 = time.perf_counter()
    centre = settings.centre
    flush = FLUSH_VIRTUAL_S if clock.speed is None else FLUSH_REAL_S * clock.speed
    log = make_logger(clock, settings.log)
    store = await Store.open(settings.db, clock, flush_every_s=flush)
    async with store:
        lease = await store.take_lease(SERVER_ID)  # before anything else: one server per database

        def recovered(found: Recovery) -> None:  # logged before the recovery commits: a kill loses no warning
            if found.interrupted_calls:
                log.warning("recovered", interrupted=len(found.interrupted_calls), runs=list(found.unfinished_runs))

        recovery = await store.recover(before_commit=recovered)
        added = await _seed_directory(store, settings, log)
        await seed_staff(store, centre, settings.centre_source, log)
        callers = await store.people(limit=MAX_CALLERS)
        speed = "max" if clock.speed is None else f"{clock.speed:g}"
        start = clock.now()
        run_id = await store.start_run(start, centre.info.name, centre.info.timezone, settings.seed, speed)
        bus = LocalBus()
        if settings.on_bus is not None:
            settings.on_bus(bus)
        router = Router(centre, rng=random.Random(f"{settings.seed}/router"), now=start)
        server = CtiServer(
            centre,
            bus,
            clock,
            store,
            run_id=run_id,
            router=router,
            log=log,
            server_id=SERVER_ID,
            epoch=lease.epoch,
            ivr_plan=settings.ivr,
            callback=settings.callback,
        )
        await server.restore_day(day_start(start, centre.info.timezone))
        pbx = SimPbx(bus, log, clock, settings.ivr)
        voice = [a.id for a in centre.agents if a.voice]
        bots = AgentBots(
            bus,
            clock,
            voice,
            seed=settings.seed,
            behaviour=settings.behaviour,
            dispositions=centre.cases.dispositions,
            rota=settings.rota,
        )
        traffic = TrafficGenerator(
            bus,
            clock,
            systems=[s.id for s in centre.systems],
            agencies=[a.id for a in centre.agencies],
            timezone=centre.info.timezone,
            seed=settings.seed,
            call_prefix=f"r{run_id}-",
            profile=settings.profile,
            callers=callers,
            plan=settings.ivr,
            caller_behaviour=settings.callers,
        )
        end = start + settings.minutes * 60.0
        stop = _StopOnSignal() if settings.handle_signals else None
        async with _stops_on_lease_lost(), asyncio.TaskGroup() as tg:
            tasks = [
                tg.create_task(store.hold_lease(), name="lease"),
                tg.create_task(store.writer(), name="store-writer"),
                tg.create_task(server.run(), name="cti-server"),
                tg.create_task(pbx.run(), name="pbx"),
                tg.create_task(bots.run(), name="agent-bots"),
                tg.create_task(traffic.run(), name="traffic"),
            ]
            bots.login()
            traffic.start(end)

            def report(draining: bool) -> None:
                stats = bus.retained(STATS)  # what a wallboard sees: the server's retained snapshot
                if settings.on_progress is not None and isinstance(stats, Stats):
                    settings.on_progress(
                        Progress(clock.now(), start, end, stats.offered, stats.answered, stats.waiting, draining)
                    )

            await _calls_then_drain(clock, end, stop, server, bots, traffic, report)
            for task in tasks:
                task.cancel()
        if stop is not None:
            stop.remove()
        stopped = stop.signal if stop is not None else None
        ended, stopped_calls = await _close_run(store, run_id, max(clock.now(), start), stopped, log)
        summary = await run_summary(store, centre, run_id, ended)
        ivr, survey, estimates = await _ivr_figures(store, run_id, settings.ivr)
        callbacks = await run_callbacks(store, run_id)
        cases = await store.case_counts(run_id)
        example = await _example_call(store, run_id)
        log.info("run_ended", run_id=run_id, offered=summary.total.offered, answered=summary.total.answered)
    return DemoResult(
        run_id=run_id,
        summary=summary,
        recovery=recovery,
        started_at=start,
        ended_at=ended,
        real_seconds=time.perf_counter() - t0,
        calls_dialled=traffic.dialled,
        people_added=added,
        cases=cases,
        example_call=example,
        stopped_by=stopped,
        stopped_calls=stopped_calls,
        ivr=ivr,
        callbacks=callbacks,
        survey=survey,
        estimates=estimates,
    )


async def _ivr_figures(
    store: Store, run_id: int, plan: IvrPlan | None
) -> tuple[IvrFigures, SurveyFigures | None, EstimateErrors]:
    """The run's figures of the menus, the post-call survey (None: no survey) and the queue's wait estimates."""
    ivr = await run_ivr(store, run_id)
    survey = await run_survey(store, run_id, plan.survey) if plan is not None and plan.survey else None
    return ivr, survey, await run_estimates(store, run_id)


@contextlib.asynccontextmanager
async def _stops_on_lease_lost() -> AsyncIterator[None]:
    """A task that found the lease taken over stops the run with :class:`LeaseLost` itself, not in a group."""
    try:
        yield
    except BaseExceptionGroup as group:
        lost = _first(group, LeaseLost)
        if lost is None:
            raise
        raise lost from None


def _first(error: BaseException, kind: type[LeaseLost]) -> LeaseLost | None:
    """The first error of ``kind`` in a (nested) exception group, or None."""
    if isinstance(error, kind):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = _first(inner, kind)
            if found is not None:
                return found
    return None


async def _close_run(store: Store, run_id: int, now: float, stopped: str | None, log: Logger) -> tuple[float, int]:
    """End the run; after a stop, first close its open calls as after a crash. Returns (end, calls closed)."""
    if stopped is None:
        await store.end_run(run_id, now)
        return now, 0
    closed = await store.recover("stopped")
    log.warning("run_stopped", run_id=run_id, signal=stopped, interrupted=len(closed.interrupted_calls))
    return now, len(closed.interrupted_calls)


async def _calls_then_drain(
    clock: Clock,
    end: float,
    stop: _StopOnSignal | None,
    server: CtiServer,
    bots: AgentBots,
    traffic: TrafficGenerator,
    report: Callable[[bool], None],
) -> None:
    """Admit calls until ``end``, then drain: callers served or gone, agents logged out; a stop cuts it short."""

    def running() -> bool:
        return stop is None or stop.signal is None

    while clock.now() < end and running():
        await clock.sleep(min(1.0, end - clock.now()))
        report(False)
    while not (traffic.done() and server.idle()) and running():
        await clock.sleep(1.0)
        report(True)
    bots.stop()
    while not (bots.all_logged_out() and server.all_logged_out()) and running():
        await clock.sleep(1.0)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _StopOnSignal:
    """The first Ctrl-C or SIGTERM asks the run to stop; a second is handled as if this were not here."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._loop = asyncio.get_running_loop()
        self._before = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
        for sig in _STOP_SIGNALS:
            self._loop.add_signal_handler(sig, self._on_signal, sig)
        self._removed = False

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.signal is None:
            self.signal = sig.name
            return
        self.remove()
        signal.raise_signal(sig)  # the handler from before: the caller's interrupt, at once

    def remove(self) -> None:
        """Put back the handlers from before (the loop's removal would install the defaults)."""
        if self._removed:
            return
        self._removed = True
        for sig in _STOP_SIGNALS:
            self._loop.remove_signal_handler(sig)
            signal.signal(sig, self._before[sig])


async def _example_call(store: Store, run_id: int) -> str | None:
    """A call with a screen pop worth showing: the last from a directory caller who had called before in the run,
    else the last from a directory caller, else the last to enter a queue; None when no call entered one.

    Only a call that entered a queue (``offered_at``) has a screen pop: not one that ended in the menus, nor an
    after-hours call (even one that left a number, and so has a case).
    """
    seen: set[str] = set()
    again = known = queued = None
    for call in await store.calls(run_id):
        if call.offered_at is None:
            continue
        queued = call.call_id
        if call.person_id is None:
            continue
        known = call.call_id
        if call.person_id in seen:
            again = call.call_id
        seen.add(call.person_id)
    return again or known or queued


async def _seed_directory(store: Store, settings: DemoSettings, log: Logger) -> int:
    """An empty directory gets synthetic people for every agency; returns how many were added."""
    if settings.people_per_agency <= 0 or await store.people_count() > 0:
        return 0
    agencies = [a.id for a in settings.centre.agencies]
    people = generate_people(agencies, settings.people_per_agency, settings.seed)
    added = await store.add_people(people, f"synthetic (seed {settings.seed})")
    log.info("directory_generated", people=added, seed=settings.seed)
    return added


def day_start(t: float, timezone: str) -> float:
    """Midnight (Unix time) of the centre's local day holding ``t``."""
    local = datetime.fromtimestamp(t, ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
