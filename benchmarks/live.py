"""The live centre end to end: calls per second and arrival-to-offer latency.

Everything real runs: the in-process bus, the CTI server with the routing
core, the simulated PBX, a bot on each of the default centre's 11 voice seats
(zero think time: answer at once, fill in the case form, hang up at once;
wrap-up 0 s), the SQLite store (WAL, batched commits every 50 ms) and
JSON-lines logging to a file. Every call is looked up in a directory of
1,040 people (as ``cti demo`` makes; one caller in ten is unknown), gets a
case and a screen pop. Time is real (a scaled clock at speed 1).

* throughput: callers dial so that ``--in-flight`` calls are always in
  progress (fewer than the agents, so an agent is always free); calls/s =
  completed calls ÷ wall time.
* latency: callers dial one call at a time, each after the previous one has
  ended; the time from publishing the caller's dial on the trunk to the offer
  being delivered to the agent's subscription, through the PBX and the server.

With ``--ivr`` the default centre's voice menus run too: callers dial with
nothing attached and answer the menus (the language, the agency code when
the directory does not know them, the main menu and a sub-menu where their
system is in one) the moment each prompt that takes keys starts (barge-in),
and every prompt lasts 0 s, so what is measured is the IVR's work (engine,
prompts through the PBX, journal rows), not its prompts' length. Without
``--ivr`` the same centre has no IVR: callers dial with their system and
agency attached, as before. Both report the bus messages per call.

    python -m benchmarks.live [--calls 20000] [--latency-calls 3000] [--ivr] [--update-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.routing import machine, update_docs
from cti.casework.synthetic import generate_people
from cti.clock import ScaledClock
from cti.config import load_default
from cti.live import messages as m
from cti.live.bots import AgentBots, BotBehaviour
from cti.live.bus import LocalBus
from cti.live.logs import make_logger, open_log
from cti.live.pbx import SimPbx
from cti.live.server import CtiServer
from cti.live.traffic import MenuMap
from cti.store import Store
from ivr import IvrPlan
from ivr.plan import AGENCY, LANGUAGE
from routing import Router

BEGIN, END = "<!-- live:begin -->", "<!-- live:end -->"


def instant(plan: IvrPlan) -> IvrPlan:
    """The plan with every prompt lasting 0 s."""
    prompts = {p: {lang: replace(text, seconds=0.0) for lang, text in by.items()} for p, by in plan.prompts.items()}
    return replace(plan, prompts=prompts)


async def bench(  # noqa: PLR0915 - one scenario, read top to bottom
    calls: int, latency_calls: int, in_flight: int, workdir: Path, *, with_ivr: bool = False
) -> dict[str, float]:
    loaded = load_default()
    base = loaded.centre
    centre = replace(base, routing=replace(base.routing, wrap_up_s=0))
    plan = instant(loaded.ivr) if with_ivr and loaded.ivr is not None else None
    clock = ScaledClock(1_800_000_000.0, 1.0)
    bus = LocalBus()
    with open_log(workdir / "bench.log") as log_file:
        log = make_logger(clock, log_file)
        store = await Store.open(workdir / "bench.db", clock, flush_every_s=0.05)
        lease = await store.take_lease("bench")  # as a server does: its commits are fenced
        run_id = await store.start_run(clock.now(), "bench", "Asia/Taipei", 1, "1")
        people = generate_people([a.id for a in centre.agencies], 20, seed=1)  # as cti demo's directory
        await store.add_people(people, "benchmark")
        server = CtiServer(
            centre,
            bus,
            clock,
            store,
            run_id=run_id,
            router=Router(centre, rng=random.Random(1)),
            log=log,
            server_id=lease.server_id,
            epoch=lease.epoch,
            ivr_plan=plan,
        )
        pbx = SimPbx(bus, log, clock, plan)
        voice = [a.id for a in centre.agents if a.voice]
        bots = AgentBots(bus, clock, voice, seed=1, behaviour=BotBehaviour.instant())
        offers = bus.subscribe(f"{m.PREFIX}/agents/+/offer")
        ends = bus.subscribe(f"{m.PREFIX}/trunk/+/ev")
        wanted: dict[str, tuple[str, str]] = {}  # call -> (system, agency) the caller wants, with an IVR
        coros = [store.writer(), server.run(), pbx.run(), bots.run()]
        if plan is not None:
            coros.append(answer_menus(bus, plan, wanted))
        tasks = [asyncio.create_task(c) for c in coros]
        bots.login()
        await asyncio.sleep(0.1)
        systems = [s.id for s in centre.systems]
        agencies = [a.id for a in centre.agencies]
        rng = random.Random(7)
        n = 0

        def dial() -> str:
            nonlocal n
            n += 1
            call_id = f"b{n:07d}"
            known = rng.random() >= 0.1  # one caller in ten is not in the directory
            person = rng.choice(people)
            system = rng.choice(systems)
            caller = person.office_phone if known else f"07-{rng.randrange(200, 999)}-{rng.randrange(10000):04d}"
            agency = person.agency if known else rng.choice(agencies)
            if plan is not None:
                wanted[call_id] = (system, agency)
                bus.publish(m.TRUNK_IN, m.Dial(call_id=call_id, caller=caller, dialled="02-2397-5000"))
                return call_id
            bus.publish(
                m.TRUNK_IN,
                m.Dial(
                    call_id=call_id,
                    caller=caller,
                    dialled="02-2397-5000",
                    system=system,
                    agency=agency,
                    ivr={"system": system},
                ),
            )
            return call_id

        # Throughput
        t0 = time.perf_counter()
        done = 0
        outstanding = 0
        while done < calls:
            while outstanding < in_flight and n < calls:
                dial()
                outstanding += 1
            for d in await ends.batch():
                if isinstance(d.message, m.CallReleased):
                    done += 1
                    outstanding -= 1
        elapsed = time.perf_counter() - t0
        throughput_messages = bus.published
        await store.flush()

        # Latency, one call at a time
        offers.drain()
        latencies: list[float] = []
        for _ in range(latency_calls):
            start = time.perf_counter()
            call_id = dial()
            while True:
                delivery = await offers.get()
                if delivery.message.call_id == call_id:  # type: ignore[attr-defined]
                    latencies.append(time.perf_counter() - start)
                    break
            while True:
                d = await ends.get()
                if isinstance(d.message, m.CallReleased) and d.message.call_id == call_id:
                    break
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.close()
    latencies.sort()
    return {
        "calls": calls,
        "elapsed": elapsed,
        "calls_per_s": calls / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000,
        "latency_calls": len(latencies),
        "commits": store.commits,
        "bus_messages": bus.published,
        "messages_per_call": throughput_messages / calls,
    }


async def answer_menus(bus: LocalBus, plan: IvrPlan, wanted: dict[str, tuple[str, str]]) -> None:
    """Callers who answer each menu the moment its prompt starts: Mandarin, their agency's code, their system."""
    menus = MenuMap(plan)
    prompts = bus.subscribe(f"{m.PREFIX}/trunk/+/ev")
    answered: dict[str, str] = {}  # call -> the prompt last answered (the language menu plays in two languages)
    while True:
        for d in await prompts.batch():
            msg = d.message
            if isinstance(msg, m.CallReleased):
                answered.pop(msg.call_id, None)
                wanted.pop(msg.call_id, None)
            if not isinstance(msg, m.PromptPlaying) or not msg.collect or answered.get(msg.call_id) == msg.prompt:
                continue
            answered[msg.call_id] = msg.prompt
            system, agency = wanted[msg.call_id]
            if msg.prompt == LANGUAGE:
                keys = "1"
            elif msg.prompt == AGENCY:
                keys = menus.codes[agency] + "#"
            else:
                keys = menus.key_for(system, menus.menu_of_prompt[msg.prompt])
            bus.publish(m.TRUNK_IN, m.Dtmf(call_id=msg.call_id, digits=keys))


def report(r: dict[str, float], args: argparse.Namespace) -> str:
    return "\n".join(
        [
            f"Command: `python -m benchmarks.live --calls {args.calls} --latency-calls {args.latency_calls} "
            f"--in-flight {args.in_flight}{' --ivr' if args.ivr else ''}`  ",
            f"Machine: {machine()}",
            "",
            "| figure | value | target |",
            "|---|---:|---:|",
            f"| calls/s end to end ({int(r['calls']):,} calls, {args.in_flight} in flight) "
            f"| {r['calls_per_s']:,.0f} | ≥ 2,000 |",
            f"| arrival → offer p50 (ms) | {r['p50_ms']:.3f} | |",
            f"| arrival → offer p99 (ms) | {r['p99_ms']:.3f} | < 2 |",
            f"| bus messages published | {int(r['bus_messages']):,} | |",
            f"| bus messages per call (throughput part) | {r['messages_per_call']:.1f} | |",
            f"| store commits | {int(r['commits']):,} | |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--latency-calls", type=int, default=3_000)
    parser.add_argument("--in-flight", type=int, default=8, help="calls kept in progress (fewer than the 11 agents)")
    parser.add_argument("--ivr", action="store_true", help="callers go through the default centre's voice menus")
    parser.add_argument("--update-docs", action="store_true", help="write the result into docs/benchmarks.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(bench(args.calls, args.latency_calls, args.in_flight, Path(tmp), with_ivr=args.ivr))
    text = report(result, args)
    print(text)
    if args.update_docs:
        update_docs(text, begin=BEGIN, end=END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
