"""The capacity simulator's speed: against bare SimPy and Ciw, the full centre, and a year on two cores.

Four measurements, on one machine, in one run:

* **M/M/c, per core.** The same queue three ways, in this process: 13
  agents, 200 calls/h (Poisson), exponential talk time of mean 180 s, no
  abandonment, ``--hours`` of arrivals per replication (24 h ≈ 4,800 calls),
  each caller waiting until answered:

  - *bare SimPy*: a ``simpy.Resource`` of capacity 13, one generator process
    for arrivals and one per caller, recording waits; calls/s = callers
    served ÷ wall time;
  - *Ciw*: ``ciw.create_network`` with exponential arrivals and service,
    ``simulate_until_max_time``; calls/s = records ÷ wall time;
  - *ours*: the single-queue mode (``cti simulate --single-queue``): callers
    drawn, then every event through the real router, figures' raw records;
    calls/s = calls simulated ÷ wall time.

  Each round runs ``--replications`` replications of each, alternating
  engine by engine, so noise from the shared machine falls on all three
  alike. Replication ``k`` of every engine uses its own seed ``k``; the mean
  wait (callers of the first 30 min left out) of the three is printed
  with the Erlang C value as a sanity check that they simulate the same queue.
* **The full default centre, per core.** The shipped example scenario (15
  systems, 2 sites, shifts and breaks, ~640 calls a day) for ``--days`` days
  in one block, in this process; calls/s = calls simulated ÷ wall time. Run
  once per round, between the M/M/c replications.
* **A year at the peak year's volume.** The example scenario scaled to
  ``--year-calls`` expected calls over 365 days, one replication, through
  ``simulator.runner.simulate`` with 2 worker processes and with 1,
  alternating; wall time end to end (scenario, callers, simulation, figures).

Figures are medians over rounds, with the best in brackets.

    python -m benchmarks.simulator [--rounds 5] [--replications 4] [--hours 24] [--days 7]
                                   [--year-runs 3] [--year-calls 115930] [--update-docs]
"""

from __future__ import annotations

import argparse
import datetime
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import simpy
from rich.console import Console
from rich.table import Table

from benchmarks.routing import machine, update_docs
from cti.cli.scenario import load_scenario_arg
from cti.config import load_default
from simulator.erlang import erlang_c, offered_load
from simulator.model import Duty
from simulator.results import summary_line
from simulator.runner import Job, _run_block, simulate
from simulator.singlequeue import single_queue_job

try:
    import ciw  # type: ignore[import-untyped]
except ModuleNotFoundError as missing:  # the `bench` extra, not a dependency of the project
    raise SystemExit(
        f"python -m benchmarks.simulator: {missing.name} is not installed; install the bench extra: "
        "pip install -e '.[bench]'"
    ) from None

BEGIN, END = "<!-- simulator:begin -->", "<!-- simulator:end -->"

AGENTS = 13
CALLS, INTERVAL_S = 100, 1800.0  # 200 calls an hour
AHT_S = 180.0
THRESHOLD_S = 20.0
WARMUP_S = 1800.0  # callers of the first 30 min are left out of the mean wait (as the single-queue mode does)

DEFAULTS: dict[str, Any] = {
    "rounds": 5,
    "replications": 4,
    "hours": 24.0,
    "days": 7,
    "year_runs": 3,
    "year_calls": 115_930,
    "skip_year": False,
}


# ----------------------------------------------------------------------
# One replication of each engine: (calls simulated, waits of callers after the warm-up)
# ----------------------------------------------------------------------

Replication = tuple[int, np.ndarray]


def bare_simpy(seed: int, hours: float) -> Replication:
    """M/M/c with a ``simpy.Resource``: one process for arrivals, one per caller."""
    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    close = hours * 3600.0
    rate = CALLS / INTERVAL_S
    waits: list[float] = []
    served = 0

    def caller(arrived: float) -> Generator[simpy.Event, Any, None]:
        nonlocal served
        with agents.request() as req:
            yield req
            if arrived >= WARMUP_S:
                waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / AHT_S))
        served += 1

    def source() -> Generator[simpy.Event, Any, None]:
        while True:
            yield env.timeout(rng.expovariate(rate))
            if env.now >= close:
                return
            env.process(caller(env.now))

    env.process(source())
    env.run()
    return served, np.asarray(waits)


def with_ciw(seed: int, hours: float) -> Replication:
    """M/M/c in Ciw, run until ``hours`` have passed; records = callers served by then."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=CALLS / INTERVAL_S)],
        service_distributions=[ciw.dists.Exponential(rate=1 / AHT_S)],
        number_of_servers=[AGENTS],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(hours * 3600.0)
    records = sim.get_all_records()
    waits = [r.waiting_time for r in records if r.arrival_date >= WARMUP_S]
    return len(records), np.asarray(waits)


def ours_runner(hours: float, replications: int) -> Callable[[int, float], Replication]:
    """The single-queue mode: one replication through ``_run_block``, in this process."""
    job = single_queue_job(
        calls=CALLS,
        interval_s=INTERVAL_S,
        aht_s=AHT_S,
        agents=AGENTS,
        threshold_s=THRESHOLD_S,
        patience_s=None,
        hours=hours,
        replications=replications,
        seed=1,
    )

    def run(seed: int, _hours: float) -> Replication:
        rec = _run_block(job, seed, 0, 1)
        after = rec.arrived >= WARMUP_S
        return len(rec.arrived), rec.answered_at[after] - rec.arrived[after]

    return run


# ----------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------


@dataclass
class Engine:
    name: str
    rates: list[float] = field(default_factory=list)  # calls/s, one per round
    calls: int = 0
    wait_means: list[float] = field(default_factory=list)  # one per replication


@dataclass
class Results:
    engines: dict[str, Engine]
    ratios: dict[str, list[float]]  # per round: ours ÷ other
    centre_rates: list[float]
    centre_calls: list[int]
    erlang_asa_s: float
    year_expected: float = 0.0
    year_walls: dict[int, list[float]] = field(default_factory=dict)  # workers -> wall seconds per run
    year_calls: int = 0
    year_sl: float | None = None


def timed(run: Callable[[int, float], Replication], seed: int, hours: float) -> tuple[float, Replication]:
    t0 = time.perf_counter()
    out = run(seed, hours)
    return time.perf_counter() - t0, out


def per_core(args: argparse.Namespace, log: Console) -> Results:
    """Rounds of: each M/M/c replication by the three engines in turn, then a week of the full centre."""
    runs: dict[str, Callable[[int, float], Replication]] = {
        "SimPy": bare_simpy,
        "Ciw": with_ciw,
        "ours": ours_runner(args.hours, args.rounds * args.replications),
    }
    engines = {name: Engine(name) for name in runs}
    centre = load_default().centre
    scenario = load_scenario_arg(None, centre)
    duty = Duty.from_scenario(scenario, centre)
    week = Job(centre, replace(scenario, days=args.days, replications=args.rounds), duty)
    centre_rates: list[float] = []
    centre_calls: list[int] = []
    ratios: dict[str, list[float]] = {"SimPy": [], "Ciw": []}
    for i in range(args.rounds):
        wall = dict.fromkeys(runs, 0.0)
        calls = dict.fromkeys(runs, 0)
        for k in range(args.replications):
            seed = i * args.replications + k
            for name, run in runs.items():
                seconds, (n, waits) = timed(run, seed, args.hours)
                wall[name] += seconds
                calls[name] += n
                engines[name].calls += n
                engines[name].wait_means.append(float(waits.mean()))
        for name in runs:
            engines[name].rates.append(calls[name] / wall[name])
        for other, values in ratios.items():
            values.append(engines["ours"].rates[-1] / engines[other].rates[-1])
        t0 = time.perf_counter()
        rec = _run_block(week, i, 0, args.days)
        centre_rates.append(len(rec.arrived) / (time.perf_counter() - t0))
        centre_calls.append(len(rec.arrived))
        log.print(
            f"round {i + 1}/{args.rounds}: "
            + ", ".join(f"{e.name} {e.rates[-1]:,.0f}" for e in engines.values())
            + f" calls/s; full centre {centre_rates[-1]:,.0f} calls/s"
        )
    load = offered_load(CALLS, INTERVAL_S, AHT_S)
    asa = erlang_c(AGENTS, load, AHT_S, THRESHOLD_S).asa_s
    return Results(engines, ratios, centre_rates, centre_calls, asa or math.nan)


def year(args: argparse.Namespace, results: Results, log: Console) -> None:
    """A year of the example scenario at ``--year-calls`` expected calls, on 2 workers and on 1, alternating."""
    centre = load_default().centre
    base = load_scenario_arg(None, centre)
    scale = args.year_calls / 365 / base.daily_calls
    for i in range(args.year_runs):
        for workers in (2, 1):
            t0 = time.perf_counter()
            scenario = load_scenario_arg(None, centre, [f"arrivals.scale={scale}"])
            scenario = replace(scenario, days=365, replications=1)
            job = Job(centre, scenario, Duty.from_scenario(scenario, centre))
            result = simulate(job, workers=workers)
            total = summary_line(result)
            wall = time.perf_counter() - t0
            results.year_walls.setdefault(workers, []).append(wall)
            results.year_expected = scenario.daily_calls * scenario.days
            results.year_calls = result.calls_simulated
            results.year_sl = total["service_level"].mean
            log.print(
                f"year {i + 1}/{args.year_runs}, {workers} worker{'s' if workers > 1 else ''}: {wall:.1f} s, "
                f"{result.calls_simulated:,} calls"
            )


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------


def median_best(values: Sequence[float], *, lower_is_better: bool = False, fmt: str = ",.0f") -> str:
    best = min(values) if lower_is_better else max(values)
    return f"{statistics.median(values):{fmt}} ({best:{fmt}})"


def mean_ci(values: Sequence[float]) -> str:
    m = statistics.fmean(values)
    if len(values) < 2:
        return f"{m:.1f}"
    half = 1.96 * statistics.stdev(values) / math.sqrt(len(values))
    return f"{m:.1f} ± {half:.1f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def rows(r: Results, args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    e = r.engines
    reps = args.rounds * args.replications
    per_rep = e["ours"].calls / reps
    mmc = f"M/M/{AGENTS}, {args.hours:g} h ≈ {per_rep:,.0f} calls × {args.replications} per round"
    out = [
        (f"bare SimPy {simpy.__version__}, {mmc}: calls/s", median_best(e["SimPy"].rates), "", ""),
        (f"Ciw {ciw.__version__}, same queue: calls/s", median_best(e["Ciw"].rates), "", ""),
        ("ours, single-queue mode, same queue: calls/s", median_best(e["ours"].rates), "", ""),
    ]
    simpy_ratio = statistics.median(r.ratios["SimPy"])
    ciw_ratio = statistics.median(r.ratios["Ciw"])
    out += [
        ("ours ÷ bare SimPy", median_best(r.ratios["SimPy"], fmt=".2f"), "≥ 0.5", verdict(simpy_ratio >= 0.5)),
        ("ours ÷ Ciw", median_best(r.ratios["Ciw"], fmt=".2f"), "> 1", verdict(ciw_ratio > 1)),
        (
            f"mean wait (s), mean of {reps} replications ± 95%: SimPy / Ciw / ours; Erlang C",
            " / ".join(mean_ci(e[n].wait_means) for n in ("SimPy", "Ciw", "ours")) + f"; {r.erlang_asa_s:.1f}",
            "alike",
            "",
        ),
    ]
    centre = statistics.median(r.centre_rates)
    out.append(
        (
            f"full default centre, {args.days} days ≈ {statistics.fmean(r.centre_calls):,.0f} calls, one process: "
            "calls/s",
            median_best(r.centre_rates),
            "≥ 10,000",
            verdict(centre >= 10_000),
        )
    )
    if r.year_walls:
        two, one = r.year_walls[2], r.year_walls[1]
        speedups = [a / b for a, b in zip(one, two, strict=True)]
        out += [
            (
                f"a year, {r.year_expected:,.0f} calls expected ({r.year_calls:,} simulated with redials), "
                "2 workers: wall s",
                median_best(two, lower_is_better=True, fmt=".1f"),
                "< 15",
                verdict(statistics.median(two) < 15),
            ),
            ("the same year, 1 worker: wall s", median_best(one, lower_is_better=True, fmt=".1f"), "", ""),
            (
                "speed-up from the second core: ratio of the medians (range over pairs of runs)",
                f"{statistics.median(one) / statistics.median(two):.2f} ({min(speedups):.2f}–{max(speedups):.2f})",
                "",
                "",
            ),
            (
                "the same year: calls/s on 2 workers",
                median_best([r.year_calls / w for w in two]),
                "",
                "",
            ),
        ]
    return out


def command(args: argparse.Namespace) -> str:
    return "python -m benchmarks.simulator" + "".join(
        f" --{k.replace('_', '-')}" + ("" if isinstance(v, bool) else f" {v}")
        for k, v in vars(args).items()
        if k != "update_docs" and v != DEFAULTS.get(k)
    )


def markdown(r: Results, args: argparse.Namespace) -> str:
    lines = [
        f"Command: `{command(args)}` ({args.rounds} rounds)  ",
        f"Machine: {machine()}; {datetime.date.today().isoformat()}",
        "",
        "| figure | median (best) | target | |",
        "|---|---:|---:|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(r, args)),
    ]
    return "\n".join(lines)


def table(r: Results, args: argparse.Namespace) -> Table:
    t = Table(title=f"Capacity simulator — {args.rounds} rounds, median (best)")
    t.add_column("figure")
    t.add_column("median (best)", justify="right")
    t.add_column("target", justify="right")
    t.add_column("")
    for a, b, c, d in rows(r, args):
        t.add_row(a, b, c, d)
    return t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.simulator",
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=DEFAULTS["rounds"], help="rounds of the per-core measurements")
    parser.add_argument(
        "--replications", type=int, default=DEFAULTS["replications"], help="M/M/c replications per engine per round"
    )
    parser.add_argument("--hours", type=float, default=DEFAULTS["hours"], help="hours of arrivals per M/M/c run")
    parser.add_argument("--days", type=int, default=DEFAULTS["days"], help="days of the full centre per round")
    parser.add_argument("--year-runs", type=int, default=DEFAULTS["year_runs"], help="runs of the year on 2 and on 1")
    parser.add_argument("--year-calls", type=int, default=DEFAULTS["year_calls"], help="expected calls in the year")
    parser.add_argument("--skip-year", action="store_true", help="leave out the year on two cores")
    parser.add_argument("--update-docs", action="store_true", help="write the result into docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.replications < 1 or args.year_runs < 1:
        parser.error("--rounds, --replications and --year-runs must be at least 1")

    log = Console(stderr=True)
    started = time.perf_counter()
    results = per_core(args, log)
    if not args.skip_year:
        year(args, results, log)
    log.print(f"total {time.perf_counter() - started:.0f} s")
    out = Console()
    if not out.is_terminal:
        out.width = 160
    out.print(f"Command: {command(args)}")
    out.print(f"Machine: {machine()}")
    out.print(table(results, args))
    if args.update_docs:
        update_docs(markdown(results, args), begin=BEGIN, end=END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
