"""Caller-directory lookup with a million people: what the server does for every call.

Builds a store with ``--people`` synthetic civil servants (default 1,000,000,
spread over the default centre's agencies; two numbers each, so twice as
many phone keys), then times :meth:`cti.store.directory.Directory.lookup` one
call at a time for ``--lookups`` numbers: ``--unknown`` of them not in the
directory, the rest a random person's office or mobile number, written in
the formats callers' numbers arrive in. Also timed: the reads the server
makes the first time it sees a caller in a run (the lookup, their last five
contacts and their open cases).

    python -m benchmarks.directory [--people 1000000] [--lookups 20000] [--update-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.routing import machine, update_docs
from cti.casework.people import caller_key
from cti.casework.synthetic import generate_people
from cti.clock import ScaledClock
from cti.config import load_default
from cti.store import Store
from cti.store.directory import Directory

BEGIN, END = "<!-- directory:begin -->", "<!-- directory:end -->"


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def build(db: Path, people: int) -> tuple[float, float, list[tuple[str, str]]]:
    agencies = [a.id for a in load_default().centre.agencies]
    t0 = time.perf_counter()
    everyone = generate_people(agencies, math.ceil(people / len(agencies)), seed=1)[:people]
    generated = time.perf_counter() - t0

    async def store_them() -> None:
        async with await Store.open(db, ScaledClock(0.0)) as store:
            await store.add_people(everyone, "benchmark")

    t0 = time.perf_counter()
    asyncio.run(store_them())
    stored = time.perf_counter() - t0
    numbers = [(p.person_id, p.office_phone) for p in everyone[::7]] + [(p.person_id, p.mobile) for p in everyone[3::7]]
    return generated, stored, numbers


def bench(db: Path, numbers: list[tuple[str, str]], lookups: int, unknown: float) -> dict[str, float]:
    rng = random.Random(7)
    directory = Directory(db)
    samples: list[tuple[str | None, str]] = []
    for _ in range(lookups):
        if rng.random() < unknown:
            # 089 (Taitung) numbers: generated office numbers in 08 start 082-088, so these are surely unknown
            samples.append((None, f"089-{rng.randrange(100, 1000)}-{rng.randrange(1000):03d}"))
        else:
            person_id, number = rng.choice(numbers)
            if rng.random() < 0.5:  # as the PBX may present it
                number = "+886 " + number[1:].replace("-", " ")
            samples.append((person_id, number))
    for _, number in samples[:500]:  # warm the page cache as a running server's would be
        directory.lookup(number)
    lookup_times: list[float] = []
    first_sight: list[float] = []
    wrong = 0
    for person_id, number in samples:
        t0 = time.perf_counter()
        person = directory.lookup(number)
        t1 = time.perf_counter()
        pid = person.person_id if person is not None else None
        directory.earlier_contacts(person_id=pid, key=caller_key(number), before_run=2)
        directory.earlier_open_cases(person_id=pid, key=caller_key(number), before_run=2)
        t2 = time.perf_counter()
        lookup_times.append(t1 - t0)
        first_sight.append(t2 - t0)
        wrong += pid != person_id
    directory.close()
    lookup_times.sort()
    first_sight.sort()
    return {
        "lookups": lookups,
        "wrong": wrong,
        "p50_ms": percentile(lookup_times, 0.5) * 1000,
        "p99_ms": percentile(lookup_times, 0.99) * 1000,
        "max_ms": lookup_times[-1] * 1000,
        "first_p50_ms": percentile(first_sight, 0.5) * 1000,
        "first_p99_ms": percentile(first_sight, 0.99) * 1000,
    }


def report(r: dict[str, float], args: argparse.Namespace, generated: float, stored: float, size_mb: float) -> str:
    return "\n".join(
        [
            f"Command: `python -m benchmarks.directory --people {args.people} --lookups {args.lookups} "
            f"--unknown {args.unknown}`  ",
            f"Machine: {machine()}",
            "",
            "| figure | value | target |",
            "|---|---:|---:|",
            f"| directory entries (phone keys) | {args.people:,} ({2 * args.people:,}) | |",
            f"| lookup p50 (ms) | {r['p50_ms']:.4f} | |",
            f"| lookup p99 (ms) | {r['p99_ms']:.4f} | < 1 |",
            f"| lookup max (ms) | {r['max_ms']:.3f} | |",
            f"| first sight of a caller (lookup + last contacts + open cases) p50 / p99 (ms) "
            f"| {r['first_p50_ms']:.4f} / {r['first_p99_ms']:.4f} | |",
            f"| wrong answers in {int(r['lookups']):,} lookups ({args.unknown:.0%} unknown numbers) "
            f"| {int(r['wrong'])} | 0 |",
            f"| generating the people (s) | {generated:.1f} | |",
            f"| storing them in one transaction (s) | {stored:.1f} | |",
            f"| database size (MB) | {size_mb:,.0f} | |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--unknown", type=float, default=0.1, help="share of numbers not in the directory")
    parser.add_argument("--update-docs", action="store_true", help="write the result into docs/benchmarks.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "directory.db"
        generated, stored, numbers = build(db, args.people)
        result = bench(db, numbers, args.lookups, args.unknown)
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    text = report(result, args, generated, stored, size_mb)
    print(text)
    if args.update_docs:
        update_docs(text, begin=BEGIN, end=END)
    return 1 if result["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
