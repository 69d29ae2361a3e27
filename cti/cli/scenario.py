"""``cti scenario example|check``, and a scenario and centre as the capacity commands load them.

``cti simulate``, ``cti staff`` and the replay all read the scenario file
(or the shipped example) with ``--set`` overrides, the centre file with the
what-if changes (``--remove-agent``, ``--strategy``, ``--add-agent``) and the
run options (``--replications``, ``--seed``, ``--days``) the same way, here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cti.cli.output import console, progress_bar
from cti.config import load_centre, load_default, locate
from cti.errors import CommandLineError, UsageError

if TYPE_CHECKING:
    from ivr import IvrPlan
from routing.centre import Centre
from simulator.model import Duty
from simulator.results import SimulationResult
from simulator.runner import Job, simulate
from simulator.scenario import Scenario, ScenarioError, apply_overrides, change_centre, hhmm, scenario_from_mapping

EXIT_OK = 0


def example_text() -> str:
    """The shipped, commented example scenario."""
    return resources.files("simulator").joinpath("data/scenario.toml").read_text(encoding="utf-8")


def load_centre_arg(args: argparse.Namespace) -> Centre:
    """The centre file (or the shipped one), as it is: scenarios are checked against this."""
    return load_centre(args.config).centre if getattr(args, "config", None) else load_default().centre


def what_if_centre(args: argparse.Namespace, centre: Centre) -> Centre:
    """The centre with the command line's what-if changes: --remove-agent, --strategy."""
    try:
        return change_centre(
            centre, remove_agents=getattr(args, "remove_agent", None) or (), strategy=getattr(args, "strategy", None)
        )
    except ScenarioError as err:
        # The strategies are fixed: a wrong one is a command-line fault; an agent depends on the centre file.
        raise (CommandLineError if err.path == "--strategy" else UsageError)(str(err)) from None


def load_scenario_arg(
    path: str | None, centre: Centre, sets: Sequence[str] = (), *, plan: IvrPlan | None = None
) -> Scenario:
    """A scenario file (or the shipped example) with ``--set`` overrides, checked against the centre.

    With the centre's voice menus (``plan``), its callers are checked against them too: a caller
    who keys slower than the inter-digit timeout would have every code cut after its first key.
    """
    import tomllib

    source = path or "<example scenario>"
    if path is None:
        text = example_text()
    else:
        try:
            text = Path(path).read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            hint = "" if path == "-" else f" (`cti scenario example > {path}` writes one)"
            raise UsageError(f"{path}: no such scenario file{hint}") from None
        except IsADirectoryError:
            raise UsageError(f"{path}: is a directory, expected a scenario file (TOML)") from None
        except UnicodeDecodeError as err:
            raise UsageError(f"{path}: not UTF-8 text (byte {err.start})") from None
        except OSError as err:
            raise UsageError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{source}: not valid TOML: {err}") from None
    try:
        doc = apply_overrides(doc, sets)
        scenario = scenario_from_mapping(doc, centre)
        if plan is not None and scenario.callers.inter_digit_s >= plan.timeouts.inter_digit_timeout_s:
            raise ScenarioError(
                "callers.inter_digit_s",
                "not shorter than the centre's ivr.inter_digit_timeout_s",
                scenario.callers.inter_digit_s,
                f"less than {plan.timeouts.inter_digit_timeout_s:g} s, or every code would end at its first key",
            )
        return scenario
    except ScenarioError as err:
        if err.path.startswith("--"):
            # How an override is written is the command line's alone; what it names depends on the file.
            syntax = err.path == "--set" or err.problem == "not a number"
            raise (CommandLineError if syntax else UsageError)(str(err)) from None
        overridden = [s.split("=")[0].rstrip("*+").strip() for s in sets]
        if any(err.path == p or err.path.startswith(p + ".") or err.path.startswith(p + "[") for p in overridden):
            raise UsageError(f"--set: {err}") from None  # the value came from the command line, not the file
        line = locate(text, err.path)
        where = f"{source}: line {line}: " if line else f"{source}: "
        raise UsageError(f"{where}{err}") from None


def make_job(args: argparse.Namespace, centre: Centre, scenario: Scenario) -> Job:
    from simulator.whatif import add_agents

    centre = what_if_centre(args, centre)
    duty = Duty.from_scenario(scenario, centre)
    try:
        centre, duty = add_agents(centre, scenario, duty, getattr(args, "add_agent", None) or ())
    except ScenarioError as err:
        raise UsageError(str(err)) from None
    return Job(centre, scenario, duty)


def with_cli_changes(args: argparse.Namespace, scenario: Scenario) -> Scenario:
    """The scenario with --replications, --seed and --days, held to the scenario file's limits."""
    from simulator.scenario import MAX_DAYS, MAX_REPLICATIONS

    for flag, limit in (("replications", MAX_REPLICATIONS), ("days", MAX_DAYS)):
        value = getattr(args, flag, None)
        if value is not None and value > limit:
            raise CommandLineError(f"--{flag}: at most {limit:,}, got {value:,}")
    changes: dict[str, Any] = {}
    if getattr(args, "replications", None) is not None:
        changes["replications"] = args.replications
    if getattr(args, "seed", None) is not None:
        changes["seed"] = args.seed
    if getattr(args, "days", None) is not None:
        changes["days"] = args.days
    return scenario.with_changes(**changes) if changes else scenario


def run_job(job: Job, args: argparse.Namespace, label: str) -> SimulationResult:
    quiet = getattr(args, "quiet", False)
    with progress_bar(not quiet and sys.stderr.isatty(), label) as update:
        return simulate(job, workers=getattr(args, "workers", None), progress=update)


def scenario_command(args: argparse.Namespace) -> int:
    if args.scenario_command == "example":
        sys.stdout.write(example_text())
        return EXIT_OK
    centre = load_centre_arg(args)
    scenario = load_scenario_arg(args.file, centre, args.set or ())
    out = console()
    out.print(
        f"{args.file}: valid. {scenario.name!r}: {scenario.days} day(s) {scenario.interval_labels()[0]}–"
        f"{hhmm(scenario.close_s)} in {scenario.intervals_per_day} intervals of {scenario.interval_s / 60:g} min; "
        f"{scenario.daily_calls:,.0f} calls a day; {scenario.replications} replications, seed {scenario.seed}."
    )
    return EXIT_OK
