"""Running replications, in parallel across cores, with the same answer on any number of cores.

A replication of many days is cut into blocks of :data:`BLOCK_DAYS` days
(the centre empties every night, so days hardly depend on each other); each
block draws its callers from its own seeded stream. Blocks and replications
are spread over worker processes, and the results are put back in order, so
the figures do not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from routing.centre import Centre
from simulator.arrivals import Arrivals, draw_arrivals
from simulator.model import Duty, RunRecord, run_replication
from simulator.results import Key, Sample, SimulationResult, replication_figures
from simulator.scenario import Scenario

BLOCK_DAYS = 7
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Job:
    """What to simulate: a centre, a scenario, who is on duty, and optionally fixed callers (a replay):
    ``fixed[r]`` are replication ``r``'s callers."""

    centre: Centre
    scenario: Scenario
    duty: Duty
    fixed: tuple[Arrivals, ...] | None = None
    by_interval: bool = True


def _blocks(scenario: Scenario) -> list[int]:
    """Days in each block of a replication."""
    full, rest = divmod(scenario.days, BLOCK_DAYS)
    return [BLOCK_DAYS] * full + ([rest] if rest else [])


def _run_block(job: Job, replication: int, block: int, days: int) -> RunRecord:
    sc = job.scenario
    if job.fixed is not None:
        arrivals = job.fixed[replication]
    else:
        # Block 0 of a replication uses the replication's own stream, so a
        # one-block run is exactly ``draw_arrivals(scenario, …, replication)``.
        seed_rep = replication if block == 0 else (replication + 1) * 1_000_003 + block
        arrivals = draw_arrivals(replace(sc, days=days), _systems(job.centre), _agencies(job.centre), seed_rep)
    return run_replication(job.centre, replace(sc, days=days), arrivals, job.duty, replication * 1000 + block)


def _systems(centre: Centre) -> list[str]:
    return [s.id for s in centre.systems]


def _agencies(centre: Centre) -> list[str]:
    return [a.id for a in centre.agencies]


def merge(records: list[RunRecord]) -> RunRecord:
    """One record of several blocks (calls concatenated, interval areas summed)."""
    if len(records) == 1:
        return records[0]
    cat = np.concatenate
    return RunRecord(
        arrived=cat([r.arrived for r in records]),
        system=cat([r.system for r in records]),
        agency=cat([r.agency for r in records]),
        outcome=cat([r.outcome for r in records]),
        answered_at=cat([r.answered_at for r in records]),
        site=cat([r.site for r in records]),
        handle=cat([r.handle for r in records]),
        redial=cat([r.redial for r in records]),
        waited=cat([r.waited for r in records]),
        available=sum((r.available for r in records), np.zeros_like(records[0].available)),
        busy=sum((r.busy for r in records), np.zeros_like(records[0].busy)),
        queue_area=sum((r.queue_area for r in records), np.zeros_like(records[0].queue_area)),
        exposure=sum((r.exposure for r in records), np.zeros_like(records[0].exposure)),
        end_time=max(r.end_time for r in records),
    )


def _task(task: tuple[Job, int, int, int]) -> tuple[int, int, RunRecord]:
    job, replication, block, days = task
    return replication, block, _run_block(job, replication, block, days)


def _stop(pool: multiprocessing.pool.Pool) -> None:
    """Terminate and reap every worker, however the run ended; a second Ctrl-C waits until that is done."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        pool.terminate()
        pool.join()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _worker_start() -> None:
    """Workers leave Ctrl-C to the parent, which stops them all (no half-dead pool, no orphans)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's terminate() must end a worker quietly


def simulate(job: Job, *, workers: int | None = None, progress: Progress | None = None) -> SimulationResult:
    """Run every replication of the job's scenario and return the figures.

    ``workers``: processes to use (default: one per core, at most one per
    block); 1 runs everything in this process. ``progress(done, total)`` is
    called as blocks finish.
    """
    sc = job.scenario
    blocks = [sc.days] if job.fixed is not None else _blocks(sc)
    if job.fixed is not None and len(job.fixed) != sc.replications:
        raise ValueError(f"{len(job.fixed)} sets of callers for {sc.replications} replications")
    tasks = [(r, b, days) for r in range(sc.replications) for b, days in enumerate(blocks)]
    workers = min(workers or os.cpu_count() or 1, len(tasks))
    started = time.perf_counter()
    done: dict[tuple[int, int], RunRecord] = {}
    if workers <= 1:
        for n, (r, b, days) in enumerate(tasks, 1):
            done[(r, b)] = _run_block(job, r, b, days)
            if progress:
                progress(n, len(tasks))
    else:
        pool = multiprocessing.Pool(workers, initializer=_worker_start)
        try:
            work = [(job, r, b, days) for r, b, days in tasks]
            for n, (r, b, rec) in enumerate(pool.imap(_task, work), 1):
                done[(r, b)] = rec
                if progress:
                    progress(n, len(tasks))
        finally:
            _stop(pool)
    systems, sites = _systems(job.centre), [s.id for s in job.centre.sites]
    result = SimulationResult(sc, tuple(systems), tuple(sites))
    for r in range(sc.replications):
        rec = merge([done[(r, b)] for b in range(len(blocks))])
        result.calls_simulated += len(rec.arrived)
        figures: dict[Key, Sample] = replication_figures(rec, sc, systems, sites, by_interval=job.by_interval)
        result.samples.append(figures)
    result.seconds = time.perf_counter() - started
    return result
