"""Memory over a long run: 200,000 calls through the in-process centre, RSS every 10,000.

The whole centre runs as ``cti demo`` runs it, in virtual time: the
in-process bus, the CTI server with the routing core, the simulated PBX, a
bot on each of the default centre's 11 voice seats, the traffic generator
(callers from a directory of 1,040 people, one call in ten from an unknown
number, a quarter of known callers ringing again) and the SQLite store
(WAL, a group commit every 5 s of centre time). Bots think fast (answer
after about 1 s, talk about 3 s, wrap-up 1 s) and callers dial at a flat
3,600 calls an hour, so a call takes a few seconds of centre time and
200,000 calls take about 55 centre hours; some callers give up, and a
quarter of the answered calls are escalated, so open cases pile up in the
database as in a real centre.

Callers dial for as long as ``--calls`` calls take at that rate (arrivals
are random, so the count is about ``--calls``). Every 10,000 calls dialled
it records the process's resident memory (``VmRSS`` from
``/proc/self/status``), the full (generation 2) garbage collections since
the last sample and their longest pause (``gc.callbacks``), how many entries
the centre's per-call maps hold and how many callers the case desk keeps.
After the last call the centre drains (every call ends, every agent
finishes wrap-up and logs out) and a last row is taken.

    python -m benchmarks.soak [--calls 200000] [--every 10000] [--json]

The target: flat after warm-up, resident memory growing by less than 10%
between 50,000 calls and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.routing import machine
from cti.casework.synthetic import generate_people
from cti.clock import VirtualClock, run
from cti.config import load_default
from cti.live.bots import AgentBots, BotBehaviour
from cti.live.bus import LocalBus
from cti.live.logs import make_logger
from cti.live.pbx import SimPbx
from cti.live.server import CtiServer
from cti.live.traffic import TrafficGenerator, TrafficProfile
from cti.store import Store
from routing import Router
from simulator.behaviour import AgentBehaviour
from simulator.scenario import Distribution

START = 1_800_000_000.0
BEHAVIOUR = BotBehaviour(
    AgentBehaviour(
        answer_delay_s=1.0,
        answer_delay_cv=0.5,
        miss_probability=0.01,
        break_probability=0.0,
        back_after_missed_s=5.0,
    ),
    talk=Distribution("lognormal", mean=3.0, cv=0.6),
)
PROFILE = TrafficProfile(
    busy_hour_calls=3_600, hourly=(1.0,) * 24, patience=Distribution("lognormal", mean=30.0, cv=1.0)
)


def rss_kib() -> int:
    """Resident memory now, in KiB (peak resident memory where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class FullCollections:
    """Generation-2 collections and their pauses, through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._t0)

    def take(self) -> list[float]:
        pauses, self.pauses = self.pauses, []
        return pauses


def per_call_entries(server: CtiServer, pbx: SimPbx, traffic: TrafficGenerator) -> int:
    """Entries in the maps of the server, PBX and callers that are keyed by call or caller."""
    total = len(pbx.lines) + len(traffic.outstanding) + len(server.router.calls)
    for owner in (server.calls, server.desk):
        for name, value in vars(owner).items():
            if isinstance(value, dict) and name not in {"_site", "_ext"}:  # those two: by agent
                total += len(value)
    return total


def callers_kept(server: CtiServer) -> int | None:
    """Callers whose history the case desk keeps (None: a desk without a caller cache)."""
    callers = getattr(server.desk, "callers", None)
    return len(callers) if callers is not None else None


async def soak(calls: int, every: int, workdir: Path) -> dict[str, Any]:
    base = load_default().centre
    centre = replace(base, routing=replace(base.routing, wrap_up_s=1))
    clock = VirtualClock(START)
    bus = LocalBus()
    log = make_logger(clock)  # level filtered: the loggers are bound per call, nothing is written
    store = await Store.open(workdir / "soak.db", clock, flush_every_s=5.0)
    people = generate_people([a.id for a in centre.agencies], 20, seed=1)  # as cti demo's directory
    await store.add_people(people, "soak")
    run_id = await store.start_run(clock.now(), "soak", centre.info.timezone, 1, "max")
    server = CtiServer(
        centre, bus, clock, store, run_id=run_id, router=Router(centre, rng=random.Random(1), now=START), log=log
    )
    pbx = SimPbx(bus, log)
    voice = [a.id for a in centre.agents if a.voice]
    bots = AgentBots(bus, clock, voice, seed=1, behaviour=BEHAVIOUR, dispositions=centre.cases.dispositions)
    traffic = TrafficGenerator(
        bus,
        clock,
        systems=[s.id for s in centre.systems],
        agencies=[a.id for a in centre.agencies],
        timezone=centre.info.timezone,
        seed=1,
        call_prefix="s-",
        profile=PROFILE,
        callers=people,
    )
    collections = FullCollections()
    gc.callbacks.append(collections)
    samples: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    cpu0 = time.process_time()

    def sample(dialled: int) -> None:
        pauses = collections.take()
        samples.append(
            {
                "calls": dialled,
                "centre_hours": round((clock.now() - START) / 3600, 2),
                "rss_mib": round(rss_kib() / 1024, 1),
                "full_gcs": len(pauses),
                "max_full_gc_ms": round(max(pauses, default=0.0) * 1000, 1),
                "per_call_entries": per_call_entries(server, pbx, traffic),
                "callers_kept": callers_kept(server),
                "wall_s": round(time.perf_counter() - t0, 1),
            }
        )

    tasks = [asyncio.create_task(c) for c in (store.writer(), server.run(), pbx.run(), bots.run(), traffic.run())]
    try:
        bots.login()
        end = START + calls / PROFILE.busy_hour_calls * 3600.0  # about ``calls`` calls (Poisson arrivals)
        traffic.start(end)
        next_sample = every
        while clock.now() < end:
            await clock.sleep(1.0)
            if traffic.dialled >= next_sample:
                sample(traffic.dialled)
                next_sample += every
        while not (traffic.done() and server.idle()):
            await clock.sleep(1.0)
        bots.stop()
        while not (bots.all_logged_out() and server.all_logged_out()):
            await clock.sleep(1.0)
        await clock.sleep(10.0)  # the last commit
        sample(traffic.dialled)
        samples[-1]["drained"] = True
    finally:
        gc.callbacks.remove(collections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.close()
    return {
        "asked": calls,
        "calls": traffic.dialled,
        "every": every,
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(time.process_time() - cpu0, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "growth_pct": growth(samples),
        "samples": samples,
        "machine": machine(),
        "python_gc_thresholds": list(gc.get_threshold()),
    }


def growth(samples: list[dict[str, Any]], at: int = 50_000) -> float | None:
    """Resident memory growth (%) from the first sample at or after ``at`` calls to the last sample."""
    base = next((s for s in samples if s["calls"] >= at), None)
    if base is None or base is samples[-1]:
        return None
    last: float = samples[-1]["rss_mib"]
    first: float = base["rss_mib"]
    return round((last - first) / first * 100, 1)


def report(r: dict[str, Any]) -> str:
    lines = [
        f"Command: `python -m benchmarks.soak --calls {r['asked']} --every {r['every']}`  ",
        f"Machine: {r['machine']}; wall {r['wall_s']:,} s, CPU {r['cpu_s']:,} s",
        "",
        "| calls dialled | centre hours | RSS MiB | full GCs | longest full GC ms | per-call map entries "
        "| callers kept |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in r["samples"]:
        calls = f"{s['calls']:,}" + (" (drained)" if s.get("drained") else "")
        lines.append(
            f"| {calls} | {s['centre_hours']:,} | {s['rss_mib']:,} | {s['full_gcs']} | {s['max_full_gc_ms']} "
            f"| {s['per_call_entries']:,} | {'—' if s['callers_kept'] is None else format(s['callers_kept'], ',')} |"
        )
    g = r["growth_pct"]
    lines += ["", f"RSS growth from 50,000 calls to the end: {'n/a' if g is None else f'{g}%'} (target < 10%)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200_000, help="calls to dial (default 200,000)")
    parser.add_argument("--every", type=int, default=10_000, help="take a sample every this many calls")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.every < 1:
        parser.error("--calls and --every must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        result = run(soak(args.calls, args.every, Path(tmp)), VirtualClock(START))
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
