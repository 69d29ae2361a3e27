"""IVR-core throughput: transitions per second through ``ivr/`` alone.

    python -m benchmarks.ivr                      # 100,000 calls through the default centre's menus
    python -m benchmarks.ivr --calls 20000 --json

Calls arrive at random (``--rate`` a second, so about ``--rate`` × the mean
time in the IVR are in the menus at once) and walk the default centre's IVR
plan: the welcome, the language menu, the agency code when the directory
does not know the number, the menus, or after hours the call-back offer.
A tiny PBX model answers each Play with a PromptFinished after the prompt's
seconds; the callers follow the simulator's caller model
(:class:`simulator.behaviour.CallerBehaviour`, its defaults, seeded by
``--seed``): the right key 92% of the time (one in fifty of them ``0``, the
general queue), a key the menu does not offer 4%, nothing 4%; the language mix 90% Mandarin, 6% English, 4% Taiwanese; a
hang-up at a prompt 1% of the time; 80% of the callers the directory does not
know key their agency's code; 60% after hours leave a number. Some keys come
during the prompt (barge-in), codes are keyed one key at a time, some without
the final ``#``. The directory knows 70% of the callers; ``--after-hours``
of the calls arrive at night.

A **transition** is one event the engine applies (``apply``) or one run of
its timers that changes something (``advance``); only the engine's own time
is counted (the caller model and the PBX are not). Not run by CI: timings on
shared machines are noisy.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.routing import machine, percentile
from cti.config import load_default
from ivr import (
    CallArrived,
    CallerHungUp,
    Command,
    DigitsPressed,
    Event,
    Ivr,
    IvrPlan,
    LocalTime,
    Play,
    PromptFinished,
    Release,
    Route,
    Step,
    StepKind,
)
from simulator.behaviour import CallerBehaviour

DAY = 20_887  # 2027-03-10, a Wednesday with no holiday
BARGE_IN = 0.15  # share of answers keyed while the question's prompt still plays
NO_HASH = 0.2  # share of codes and numbers keyed without the final '#'
KNOWN = 0.7  # share of callers the directory knows (agency given)
GENERAL = 0.02  # share of right answers that are 0 (the general queue)


@dataclass(order=True)
class Action:
    """Something the caller or the PBX does at ``at``, if the call is still where it was (``epoch``)."""

    at: float
    seq: int
    event: Event = field(compare=False)
    call_id: str = field(compare=False)
    epoch: int = field(compare=False)


class Bench:
    def __init__(self, plan: IvrPlan, behaviour: CallerBehaviour, args: argparse.Namespace) -> None:
        self.plan = plan
        self.b = behaviour
        self.rng = random.Random(args.seed)
        self.ivr = Ivr(plan)
        self.args = args
        self.now = 0.0
        self.actions: list[Action] = []
        self.seq = 0
        self.epoch: dict[str, int] = {}
        self.agency: dict[str, str] = {}
        self.language: dict[str, str] = {}
        self.codes = sorted(plan.agency_codes)
        langs = [lang.id for lang in plan.languages]
        self.mix = [(lang, w) for lang, w in behaviour.languages.items() if lang in langs]
        self.timings: list[int] = []
        self.kinds: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.commands = 0
        self.peak = 0

    # The engine, timed

    def engine(self, event: Event | None, at: float) -> None:
        t0 = time.perf_counter_ns()
        out = self.ivr.advance(at)
        if event is not None:
            out += self.ivr.apply(event, at)
        t1 = time.perf_counter_ns()
        if event is not None or out:
            self.timings.append(t1 - t0)
            self.kinds[type(event).__name__ if event is not None else "timer"] += 1
        self.now = at
        self.peak = max(self.peak, len(self.ivr))
        self.commands += len(out)
        for cmd in out:
            self.carry_out(cmd)

    # The PBX and the callers (not timed)

    def schedule(self, delay: float, event: Event, call_id: str) -> None:
        self.seq += 1
        heapq.heappush(self.actions, Action(self.now + delay, self.seq, event, call_id, self.epoch[call_id]))

    def carry_out(self, cmd: Command) -> None:
        call = cmd.call_id
        if isinstance(cmd, Route | Release) or (isinstance(cmd, Step) and cmd.kind == StepKind.ABANDONED):
            self.outcomes[str(getattr(cmd, "outcome", "ivr-abandoned"))] += 1
            del self.epoch[call]
            return
        if not isinstance(cmd, Play):
            return
        self.epoch[call] += 1  # a new prompt: what the caller planned for the last one is moot
        seconds = self.plan.prompts[cmd.prompt][cmd.language].seconds
        rng = self.rng
        if rng.random() < self.b.ivr_hangup:
            self.schedule(rng.uniform(0, seconds), CallerHungUp(call), call)
            return
        self.schedule(seconds, PromptFinished(call, cmd.prompt), call)
        if cmd.collect and rng.random() < BARGE_IN:
            self.answer(call, rng.uniform(0.3, max(0.3, seconds)))

    def after_prompt(self, call: str) -> None:
        """A prompt ended; if the call now waits for keys, the caller answers after thinking."""
        if self.ivr.active(call) and self.ivr.playing(call) is None:
            self.answer(call, self.rng.expovariate(1 / self.b.think_s) if self.b.think_s else 0.0)

    def answer(self, call: str, delay: float) -> None:
        rng, b = self.rng, self.b
        where = self.ivr.where(call)
        keys: str | None
        if where == "language":
            language = rng.choices([m[0] for m in self.mix], [m[1] for m in self.mix])[0]
            keys = next(k for k, lang in self.plan.language_menu.items() if lang == language)
        elif where == "agency":
            code = self.agency[call] if rng.random() < b.agency_code_known else "9" * 3
            keys = code + ("" if rng.random() < NO_HASH else "#")
        elif where == "callback":
            keys = "1" if rng.random() < b.callback_accept else None
        elif where == "callback-number":
            keys = "09" + "".join(rng.choice("0123456789") for _ in range(8)) + ("" if rng.random() < NO_HASH else "#")
        else:
            draw = rng.random()
            options = self.plan.menus[where].options
            if draw < b.menu_right:
                keys = "0" if rng.random() < GENERAL else rng.choice(list(options))
            elif draw < b.menu_right + b.menu_invalid:
                keys = rng.choice([k for k in "123456789#" if k not in options])
            else:
                keys = None  # waits out the digit timeout
        if keys is None:
            return
        gap = 0.0
        for key in keys:  # one key at a time, as a caller keys a code
            self.schedule(delay + gap, DigitsPressed(call, key), call)
            gap += rng.expovariate(1 / b.inter_digit_s) if b.inter_digit_s else 0.0

    def arrive(self, n: int) -> None:
        rng = self.rng
        call = f"c{n}"
        night = rng.random() < self.args.after_hours
        seconds = rng.uniform(19 * 3600, 23 * 3600) if night else rng.uniform(9 * 3600, 17 * 3600)
        self.epoch[call] = 0
        self.agency[call] = rng.choice(self.codes)
        known = self.plan.agency_codes[self.agency[call]] if rng.random() < KNOWN else None
        self.engine(CallArrived(call, LocalTime(DAY, seconds), known), self.now)

    def run(self, calls: int, rate: float) -> None:
        next_arrival = self.rng.expovariate(rate)
        arrived = 0
        while True:
            at_timer = self.ivr.next_timer_at()
            at_action = self.actions[0].at if self.actions else None
            candidates = [t for t in (at_timer, at_action, next_arrival if arrived < calls else None) if t is not None]
            if not candidates:
                return
            at = min(candidates)
            if at_timer is not None and at_timer == at:
                self.engine(None, at)
            elif at_action is not None and at_action == at:
                action = heapq.heappop(self.actions)
                if self.epoch.get(action.call_id) != action.epoch:
                    continue  # the call moved on, or has gone
                self.engine(action.event, max(at, self.now))
                if isinstance(action.event, PromptFinished):
                    self.after_prompt(action.call_id)
            else:
                self.now = max(self.now, at)
                self.arrive(arrived)
                arrived += 1
                next_arrival = self.now + self.rng.expovariate(rate)


def result(bench: Bench, args: argparse.Namespace, elapsed: float) -> dict[str, Any]:
    ns = sorted(bench.timings)
    engine_s = sum(ns) / 1e9
    calls = sum(bench.outcomes.values())
    return {
        "calls": calls,
        "transitions": len(ns),
        "transitions_per_s": len(ns) / engine_s,
        "calls_per_s": calls / engine_s,
        "transitions_per_call": len(ns) / calls,
        "commands_per_call": bench.commands / calls,
        "p50_us": percentile(ns, 0.5),
        "p99_us": percentile(ns, 0.99),
        "max_us": ns[-1] / 1000,
        "mean_us": statistics.fmean(ns) / 1000,
        "engine_s": engine_s,
        "wall_s": elapsed,
        "centre_s": bench.now,
        "by_kind": dict(bench.kinds.most_common()),
        "outcomes": dict(bench.outcomes.most_common()),
        "left_in_ivr": len(bench.ivr),
        "peak_in_ivr": bench.peak,
        "seed": args.seed,
        "machine": machine(),
    }


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    outcomes = ", ".join(f"{k} {v / r['calls']:.1%}" for k, v in r["outcomes"].items())
    return "\n".join(
        [
            f"`python -m benchmarks.ivr --calls {args.calls} --rate {args.rate:g} --seed {args.seed}` — "
            f"{r['calls']:,} calls through the default centre's IVR in {r['centre_s'] / 3600:.1f} centre hours, "
            f"up to {r['peak_in_ivr']:,} at once",
            "",
            f"Machine: {r['machine']}. Engine time {r['engine_s']:.2f} s of {r['wall_s']:.1f} s wall (the rest is "
            "the caller model and the PBX).",
            "",
            "| transitions | transitions/s | calls/s | per call | commands/call | p50 µs | p99 µs | max µs |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {r['transitions']:,} | {r['transitions_per_s']:,.0f} | {r['calls_per_s']:,.0f} "
            f"| {r['transitions_per_call']:.1f} | {r['commands_per_call']:.1f} | {r['p50_us']:.1f} "
            f"| {r['p99_us']:.1f} | {r['max_us']:.0f} |",
            "",
            f"Outcomes: {outcomes}. Transitions by kind: "
            + ", ".join(f"{k} {v:,}" for k, v in r["by_kind"].items())
            + ".",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ivr", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=20.0, help="calls arriving per second of centre time")
    parser.add_argument("--after-hours", type=float, default=0.1, help="share of calls arriving at night")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    plan = load_default().ivr
    assert plan is not None
    bench = Bench(plan, CallerBehaviour(), args)
    gc.collect()
    t0 = time.perf_counter()
    bench.run(args.calls, args.rate)
    r = result(bench, args, time.perf_counter() - t0)
    print(json.dumps(r, indent=2) if args.json else report(r, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
