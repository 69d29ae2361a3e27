"""Routing-core throughput and latency at scale.

    python -m benchmarks.routing                      # 1,000 agents, 40 systems, 5,000 waiting calls
    python -m benchmarks.routing --waiting 50000      # does latency grow with the queue?
    python -m benchmarks.routing --language-mix       # callers in three languages, agents speaking some
    python -m benchmarks.routing --update-docs        # also record the result in docs/benchmarks.md

A centre of ``--agents`` agents over two sites and ``--systems`` systems
(4-8 skills each, 2% backup seats, agencies with priorities and site
preferences) is filled until every agent is busy and ``--waiting`` calls wait.
Then the measured loop alternates the two events the target names:

* **arrival**: a new call for a random system and agency;
* **agent free**: a random agent in wrap-up asks for its next call
  (AgentReady), and the router picks the best waiting call it may take.

With ``--language-mix`` the centre lists Mandarin, English and Taiwanese:
every agent speaks Mandarin, 30% also English and 30% also Taiwanese (drawn
apart), and callers speak Mandarin (80%), English (10%) or Taiwanese (10%).

Each freed agent's new offer is answered and, later, hung up, so agents keep
cycling; those answer and hang-up events are timed too and reported apart.
Every timing covers ``advance(now)`` (timers due) plus ``apply(event)``.
Not run by CI: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from routing import (
    AgentLoggedIn,
    AgentProfile,
    AgentReady,
    AgentStatus,
    CallAnswered,
    CallArrived,
    CallHungUp,
    Centre,
    CentreInfo,
    OfferCall,
    Party,
    Router,
    RoutingRules,
    Site,
    Strategy,
    System,
)
from routing.centre import DEFAULT_LANGUAGES, Agency, AgencyGroup, Language

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- routing:begin -->", "<!-- routing:end -->"


#: (language, share of callers) with --language-mix; agents speak the first, and each other with LANGUAGE_SPEAKERS.
LANGUAGE_MIX = (("zh", 0.8), ("en", 0.1), ("nan", 0.1))
LANGUAGE_SPEAKERS = 0.3


def build_centre(
    n_agents: int, n_systems: int, strategy: Strategy, rng: random.Random, *, language_mix: bool = False
) -> Centre:
    sites = (Site("nantou", "南投"), Site("taipei", "台北"))
    systems = tuple(System(f"sys{i:02d}", f"System {i}") for i in range(n_systems))
    agencies = tuple(
        Agency(f"ag{i:02d}", f"Agency {i}", AgencyGroup.CENTRAL, (None, "nantou", "taipei")[i % 3], i % 3)
        for i in range(60)
    )
    agents = tuple(
        AgentProfile(
            f"A{i:04d}",
            f"Agent {i}",
            sites[i % 2].id,
            backup=rng.random() < 0.02,
            skills={s.id: rng.randint(1, 5) for s in rng.sample(systems, rng.randint(4, 8))},
        )
        for i in range(n_agents)
    )
    languages = ()
    if language_mix:  # drawn after the agents, so that the centre is otherwise the same
        first, *others = (lang for lang, _ in LANGUAGE_MIX)
        languages = tuple(Language(lang, lang.upper()) for lang, _ in LANGUAGE_MIX)
        agents = tuple(
            replace(a, languages=(first, *(lang for lang in others if rng.random() < LANGUAGE_SPEAKERS)))
            for a in agents
        )
    # Wrap-up (the longest allowed, a day) does not time out during a run: the
    # benchmark frees agents itself, with AgentReady.
    rules = RoutingRules(strategy=strategy, wrap_up_s=86_400)
    return Centre(
        CentreInfo("Benchmark"), sites, systems, agencies, agents, rules, languages=languages or DEFAULT_LANGUAGES
    )


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.rng = random.Random(args.seed)
        self.centre = build_centre(
            args.agents, args.systems, Strategy(args.strategy), self.rng, language_mix=args.language_mix
        )
        self.languages: list[str | None] = [None]
        self.language_weights = [1.0]
        if args.language_mix:
            self.languages = [lang for lang, _ in LANGUAGE_MIX]
            self.language_weights = [share for _, share in LANGUAGE_MIX]
        self.router = Router(self.centre, rng=random.Random(args.seed + 1))
        self.now = 0.0
        self.dt = args.dt
        self.calls = 0
        self.timings: dict[str, list[int]] = {"arrival": [], "agent free": [], "answer": [], "hang-up": []}
        self.systems = [s.id for s in self.centre.systems]
        self.agencies = [a.id for a in self.centre.agencies]
        self.ringing: list[tuple[str, str]] = []

    def step(self, kind: str | None, event: object) -> None:
        self.now += self.dt
        t0 = time.perf_counter_ns()
        out = self.router.advance(self.now)
        out += self.router.apply(event, self.now)  # type: ignore[arg-type]
        t1 = time.perf_counter_ns()
        if kind is not None:
            self.timings[kind].append(t1 - t0)
        self.ringing += [(c.call_id, c.agent_id) for c in out if isinstance(c, OfferCall)]

    def arrive(self, kind: str | None) -> None:
        self.calls += 1
        system, agency = self.rng.choice(self.systems), self.rng.choice(self.agencies)
        # Without a language mix no language is drawn, so the random sequence is as it always was.
        language = self.rng.choices(self.languages, self.language_weights)[0] if len(self.languages) > 1 else None
        self.step(kind, CallArrived(f"c{self.calls}", system, agency, language))

    def answer_all(self, kind: str | None) -> None:
        ringing, self.ringing = self.ringing, []
        for call_id, agent_id in ringing:
            call = self.router.calls.get(call_id)
            if call is not None and call.agent == agent_id and call.status == "ringing":
                self.step(kind, CallAnswered(call_id, agent_id))

    def fill(self, waiting: int) -> None:
        for agent in self.centre.agents:
            self.step(None, AgentLoggedIn(agent.id))
        while len(self.router.waiting) < waiting:
            self.arrive(None)
            self.answer_all(None)
        # Put every agent with a call into wrap-up, ready to be freed.
        for agent in list(self.router.agents.values()):
            if agent.status is AgentStatus.TALKING and agent.call:
                self.step(None, CallHungUp(agent.call, Party.AGENT))

    def run(self, events: int) -> None:
        agents = self.router.agents
        wrap_up = [a.id for a in agents.values() if a.status is AgentStatus.WRAP_UP]
        talking: list[str] = []
        for i in range(events // 2):
            self.arrive("arrival")
            if not wrap_up:  # recycle: end the oldest calls so agents go back to wrap-up
                for call_id in talking:
                    self.step("hang-up", CallHungUp(call_id, Party.AGENT))
                wrap_up = [a.id for a in agents.values() if a.status is AgentStatus.WRAP_UP]
                talking = []
            j = self.rng.randrange(len(wrap_up))
            wrap_up[j], wrap_up[-1] = wrap_up[-1], wrap_up[j]
            self.step("agent free", AgentReady(wrap_up.pop()))
            talking += [call_id for call_id, _ in self.ringing]
            self.answer_all("answer")
            if i % 10_000 == 0:
                print(f"  {2 * i:>9,} events, {len(self.router.waiting):,} waiting", file=sys.stderr)


def percentile(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1000


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()} ({platform.python_implementation()})"


def report(bench: Bench, args: argparse.Namespace, elapsed: float) -> str:
    rows = []
    mix = bench.timings["arrival"] + bench.timings["agent free"]
    for name, timings in [*bench.timings.items(), ("arrival + agent free", mix)]:
        if not timings:
            continue
        ns = sorted(timings)
        rate = len(ns) / (sum(ns) / 1e9)
        rows.append(
            f"| {name} | {len(ns):,} | {rate:,.0f} | {percentile(ns, 0.5):.1f} | {percentile(ns, 0.99):.1f} "
            f"| {ns[-1] / 1000:.0f} | {statistics.fmean(ns) / 1000:.1f} |"
        )
    all_ns = [t for ts in bench.timings.values() for t in ts]
    cmd = "python -m benchmarks.routing" + "".join(
        f" --{k.replace('_', '-')}" + ("" if v is True else f" {v}")
        for k, v in vars(args).items()
        if k not in {"update_docs"} and v != DEFAULTS.get(k)
    )
    mix = ", callers in zh/en/nan 80/10/10%" if args.language_mix else ""
    return "\n".join(
        [
            f"`{cmd}` — {args.agents:,} agents, {args.systems} systems, {args.waiting:,} waiting calls, "
            f"strategy {args.strategy}, seed {args.seed}, {args.dt:g} s of centre time per event{mix}",
            "",
            f"Machine: {machine()}. Wall time of the measured loop: {elapsed:.1f} s for {len(all_ns):,} events "
            f"({len(all_ns) / elapsed:,.0f} events/s including the harness).",
            "",
            "| event | count | events/s (router time) | p50 µs | p99 µs | max µs | mean µs |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )


DEFAULTS = {
    "dt": 0.1,
    "agents": 1000,
    "systems": 40,
    "waiting": 5000,
    "events": 200_000,
    "seed": 1,
    "strategy": "longest-idle",
    "language_mix": False,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.routing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=DEFAULTS["agents"])
    parser.add_argument("--systems", type=int, default=DEFAULTS["systems"])
    parser.add_argument("--waiting", type=int, default=DEFAULTS["waiting"], help="calls kept waiting")
    parser.add_argument("--events", type=int, default=DEFAULTS["events"], help="measured arrival + agent-free events")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--dt", type=float, default=DEFAULTS["dt"], help="seconds of centre time per event")
    parser.add_argument("--strategy", choices=[s.value for s in Strategy], default=DEFAULTS["strategy"])
    parser.add_argument(
        "--language-mix", action="store_true", help="callers in three languages, agents speaking some of them"
    )
    parser.add_argument("--update-docs", action="store_true", help=f"write the result into {DOCS.name}")
    args = parser.parse_args(argv)

    bench = Bench(args)
    print(f"filling: {args.agents:,} agents busy, {args.waiting:,} calls waiting …", file=sys.stderr)
    bench.fill(args.waiting)
    gc.collect()
    print(f"measuring {args.events:,} events …", file=sys.stderr)
    t0 = time.perf_counter()
    bench.run(args.events)
    elapsed = time.perf_counter() - t0
    text = report(bench, args, elapsed)
    print(text)
    if args.update_docs:
        update_docs(text)
    return 0


def update_docs(text: str, path: Path = DOCS, *, begin: str = BEGIN, end: str = END) -> None:
    doc = path.read_text(encoding="utf-8")
    if begin not in doc or end not in doc:
        raise SystemExit(f"{path}: markers {begin} … {end} not found")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{text}\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
