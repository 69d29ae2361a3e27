"""``cti demo``: the whole centre in one process, with a progress bar, then its figures as tables or JSON."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from cti.cli.figures import print_summary
from cti.cli.options import parse_start
from cti.cli.output import check_writable, console, emit_json
from cti.cli.roles import centre_source
from cti.cli.signals import stopped
from cti.config import load_centre, load_default
from cti.errors import CommandLineError, UsageError
from cti.live.bots import BotBehaviour, OnDuty, rota_from_scenario
from cti.live.demo import DemoSettings, day_start, run_demo
from cti.live.demo import Progress as DemoProgress
from cti.live.logs import open_log
from cti.live.traffic import TrafficProfile
from cti.store import DatabaseError
from ivr import IvrPlan, LocalTime
from routing.centre import Centre
from routing.estimate import EstimateErrors
from simulator.behaviour import CallerBehaviour
from simulator.scenario import Scenario, hhmm

EXIT_OK = 0
DEFAULT_START = "10:00"
DEFAULT_MINUTES = 60.0
DEFAULT_SEED = 1
#: ``date.toordinal()`` of 1970-01-01: a local date's day number for :class:`ivr.LocalTime`.
UNIX_EPOCH_ORDINAL = 719_163


@dataclass(frozen=True)
class DemoDay:
    """What a demo runs: when, how long, with which seed, and the people's behaviour."""

    start: float
    minutes: float
    seed: int
    profile: TrafficProfile
    behaviour: BotBehaviour
    callers: CallerBehaviour
    rota: dict[str, OnDuty] | None
    scenario: Scenario | None


def demo_day(args: argparse.Namespace, centre: Centre, plan: IvrPlan | None = None) -> DemoDay:
    """The run the options ask for: the hotline's typical day, or with --scenario the scenario's first day.

    Without --scenario everything is as ``cti demo`` has always run it: the
    typical day at 100 calls in the busy hour from 10:00 for 60 minutes, seed
    1, and the scenario file's defaults for callers and agents.
    """
    tz = centre.info.timezone
    if args.scenario is None:
        profile = TrafficProfile()
        if args.busy_hour_calls is not None:
            profile = profile.with_busy_hour(args.busy_hour_calls)
        seed = DEFAULT_SEED if args.seed is None else args.seed
        minutes = DEFAULT_MINUTES if args.minutes is None else args.minutes
        start = parse_start(args.start or DEFAULT_START, tz, lasting_s=minutes * 60.0)
        return DemoDay(start, minutes, seed, profile, BotBehaviour(), CallerBehaviour(), None, None)
    from cti.cli.scenario import load_scenario_arg

    scenario = load_scenario_arg(args.scenario, centre, plan=plan)
    profile = TrafficProfile.from_scenario(scenario)
    if args.busy_hour_calls is not None:
        profile = profile.with_busy_hour(args.busy_hour_calls)
    lasting = args.minutes * 60.0 if args.minutes is not None else scenario.close_s - scenario.open_s
    start = parse_start(args.start or hhmm(scenario.open_s), tz, lasting_s=max(lasting, 0.0))
    midnight = day_start(start, tz)
    minutes = args.minutes
    if minutes is None:  # until the scenario's close, or an hour when the run starts after it
        to_close = (midnight + scenario.close_s - start) / 60.0
        minutes = to_close if to_close > 0 else DEFAULT_MINUTES
    voice = [a.id for a in centre.agents if a.voice]
    return DemoDay(
        start=start,
        minutes=minutes,
        seed=scenario.seed if args.seed is None else args.seed,
        profile=profile,
        behaviour=BotBehaviour.from_scenario(scenario),
        callers=scenario.callers,
        rota=rota_from_scenario(scenario, voice, midnight),
        scenario=scenario,
    )


def demo_command(args: argparse.Namespace) -> int:
    loaded = load_centre(args.config) if args.config else load_default()
    centre = loaded.centre
    if not any(a.voice for a in centre.agents):
        raise UsageError(f"{loaded.source}: the centre has no voice agent, so there is nobody to take calls")
    day = demo_day(args, centre, loaded.ivr)
    start, minutes, seed = day.start, day.minutes, day.seed
    db = _database(args.db)
    speed = None if args.speed == "max" else (args.speed if args.speed is not None else max(minutes, 1.0))
    log_path = _log_path(args.log, db)
    err = Console(stderr=True)
    _before_the_run(err, loaded.ivr, day, ZoneInfo(centre.info.timezone), quiet=args.quiet)
    # Standard output belongs to JSON or the log when either goes there; the tables then go to standard error.
    out = console(stderr=str(args.json) == "-" or str(log_path) == "-")
    log_file = contextlib.nullcontext(sys.stdout) if str(log_path) == "-" else open_log(log_path)
    with log_file as log, _progress(err, args.quiet) as progress:
        task = progress.add_task("calls", total=minutes * 60.0)

        def on_progress(p: DemoProgress) -> None:
            label = datetime.fromtimestamp(p.now, ZoneInfo(centre.info.timezone)).strftime("%H:%M:%S")
            phase = "draining" if p.draining else "calls"
            progress.update(
                task,
                completed=min(p.now - p.start, p.end - p.start),
                description=f"{label} {phase}: {p.offered} offered, {p.answered} answered, {p.waiting} waiting",
            )

        settings = DemoSettings(
            centre=centre,
            db=db,
            minutes=minutes,
            speed=speed,
            seed=seed,
            start=start,
            profile=day.profile,
            behaviour=day.behaviour,
            callers=day.callers,
            rota=day.rota,
            log=log,
            on_progress=on_progress,
            handle_signals=True,
            centre_source=centre_source(loaded),
            ivr=loaded.ivr,
            callback=loaded.callback,
        )
        try:
            result = run_demo(settings)
        except KeyboardInterrupt:  # a second Ctrl-C: stopped at once; the next run on the database closes the rest
            err.print(f"database: {db} (calls left open are closed by the next run on it)\nlog: {log_path}")
            raise
        except DatabaseError as exc:
            raise UsageError(f"--db: {db} is not a usable database ({exc})") from None
    if args.json is not None:
        emit_json(
            args,
            {
                **result.summary.as_dict(),
                "cases": dict(sorted(result.cases.items())),
                "ivr": result.ivr.as_dict(),
                "callbacks": result.callbacks.as_dict(),
                "survey": result.survey.as_dict() if result.survey is not None else None,
                "announcements": result.estimates.as_dict(),
            },
        )
    if not args.quiet:
        if result.stopped_by is not None:
            out.print(
                f"[yellow]Stopped by {'Ctrl-C' if result.stopped_by == 'SIGINT' else result.stopped_by}: "
                f"no more calls admitted; {result.stopped_calls} call(s) still open were closed as interrupted "
                "and the journal committed. The figures below are of what ran.[/]"
            )
        if result.recovery.interrupted_calls:
            out.print(
                f"[yellow]Recovered: {len(result.recovery.interrupted_calls)} call(s) left in progress by an "
                "earlier run were closed as interrupted.[/]"
            )
        tz = ZoneInfo(centre.info.timezone)
        span = (
            f"{datetime.fromtimestamp(result.started_at, tz):%Y-%m-%d %H:%M}–"
            f"{datetime.fromtimestamp(result.ended_at, tz):%H:%M}"
        )
        pace = "max" if speed is None else f"{speed:g}x"
        title = f"Run {result.run_id}: {span} ({centre.info.timezone}), seed {seed}, speed {pace}"
        if day.scenario is not None:
            title += f", scenario {day.scenario.name!r}"
        print_summary(
            out,
            result.summary,
            centre,
            title,
            ivr=result.ivr,
            plan=loaded.ivr,
            callbacks=result.callbacks,
            survey=result.survey,
        )
        _print_estimates(out, loaded.ivr, result.estimates)
        out.print(cases_line(result.cases, result.people_added), highlight=False)
        pop = "" if result.example_call is None else f"a screen pop:   cti calls show {result.example_call} --db {db}\n"
        out.print(
            f"database: {db}\nlog: {log_path}\n"
            f"per-call rows:  cti export calls --db {db}\n"
            f"open cases:     cti cases list --db {db} --open\n"
            f"{pop}"
            f"what if:        cti simulate --replay --db {db} --date "
            f"{datetime.fromtimestamp(result.started_at, tz):%Y-%m-%d} --remove-agent "
            f"{next((a.id for a in centre.agents if a.voice), 'AGENT')}",
            highlight=False,
        )
    elif result.stopped_by is not None:
        err.print(f"database: {db}\nlog: {log_path}", highlight=False)
    if result.stopped_by is not None:
        raise stopped(result.stopped_by)
    return EXIT_OK


def _before_the_run(err: Console, plan: IvrPlan | None, day: DemoDay, tz: ZoneInfo, *, quiet: bool) -> None:
    """A warning when no calls will come, a note when the centre is closed all the run."""
    closed = no_calls_warning(day.profile, day.start, day.minutes, tz)
    if closed is not None:
        err.print(f"warning: {closed}", highlight=False)
    after_hours = closed_note(plan, day.start, day.minutes, tz)
    if after_hours is not None and not quiet:
        err.print(f"note: {after_hours}", highlight=False)


def _database(db: Path | None) -> Path:
    """``--db``, checked before the run; or a new one in a temporary folder."""
    if db is None:
        return Path(tempfile.mkdtemp(prefix="cti-demo-")) / "centre.db"
    if str(db) == "-":
        raise CommandLineError("--db: give a file name, not '-' (the database is a file)")
    return check_writable(db, "--db")


def _log_path(log: Path | None, db: Path) -> Path:
    """``--log``, or the database's name ending in ``.log``; never the database itself."""
    path = log or db.with_suffix(".log")
    if str(path) == "-":
        return path
    if path.resolve() == db.resolve() or _same_file(path, db):
        raise CommandLineError(f"--db: {db} would also be the log; give the database a name ending in .db")
    for suffix in _SQLITE_FILES:
        companion = db.with_name(db.name + suffix)
        if path.resolve() == companion.resolve() or _same_file(path, companion):
            raise CommandLineError(
                f"--log: {path} is the database's own {suffix[1:]} file (SQLite writes and deletes it); "
                "give the log another name"
            )
    return path


#: The files SQLite keeps beside a database: the write-ahead log, its index, the rollback journal.
_SQLITE_FILES = ("-wal", "-shm", "-journal")


def _same_file(a: Path, b: Path) -> bool:
    """Whether two existing paths are one file (a hard or symbolic link to it included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def no_calls_warning(profile: TrafficProfile, start: float, minutes: float, tz: ZoneInfo) -> str | None:
    """Why a run would see no calls at all (the time it covers has none in the profile), or None."""
    if profile.busy_hour_calls <= 0:
        return "no calls will arrive: the busy hour has 0 calls (--busy-hour-calls)"
    if expected_calls(profile, start, minutes * 60.0, tz) > 0:
        return None
    first = datetime.fromtimestamp(start, tz)
    end = datetime.fromtimestamp(start + minutes * 60.0, tz)
    return f"no calls will arrive from {first:%H:%M} to {end:%H:%M}: nobody rings then (try --start 10:00)"


def closed_note(plan: IvrPlan | None, start: float, minutes: float, tz: ZoneInfo) -> str | None:
    """When the centre is closed for the whole run, what its callers meet instead of agents; else None."""
    if plan is None:
        return None
    first = datetime.fromtimestamp(start, tz)
    local = LocalTime(
        first.date().toordinal() - UNIX_EPOCH_ORDINAL, first.hour * 3600.0 + first.minute * 60.0 + first.second
    )
    opening = plan.hours.next_opening(local)
    opens_at = start + (opening.day - local.day) * 86_400.0 + opening.seconds - local.seconds
    end = start + minutes * 60.0
    if opens_at < end:
        return None
    last = datetime.fromtimestamp(end, tz)
    return (
        f"the centre is closed from {first:%H:%M} to {last:%H:%M} ({plan.hours.describe()}): its callers hear the "
        "hours and may leave a number for a call-back"
    )


def expected_calls(profile: TrafficProfile, start: float, seconds: float, tz: ZoneInfo) -> float:
    """The mean number of calls the profile brings from ``start`` for ``seconds`` (centre time)."""
    total = 0.0
    t, end = start, start + seconds
    while t < end:
        local = datetime.fromtimestamp(t, tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        into_day = t - midnight
        step = min(end, midnight + profile.end_of_slot(into_day)) - t
        total += profile.calls_per_hour(into_day) * step / 3600.0
        t += max(step, 1e-6)
    return total


def _print_estimates(out: Console, plan: IvrPlan | None, errors: EstimateErrors) -> None:
    if plan is not None and plan.announcements is not None:
        out.print(estimates_line(errors), highlight=False)


def estimates_line(errors: EstimateErrors) -> str:
    """The queue announcements' wait estimates against the waits that followed them."""
    if not errors.estimates:
        return "Queue announcements: no caller who heard one was then answered (nothing to measure)."
    return (
        f"Queue announcements: {errors.estimates} wait estimates given to callers then answered; mean wait after "
        f"them {errors.mean_wait_s:.1f} s; mean absolute error {errors.mae_s:.1f} s ({errors.mae_share:.0%} of "
        f"the mean wait), naive position × AHT ÷ agents {errors.naive_mae_s:.1f} s ({errors.naive_share:.0%})."
    )


def cases_line(cases: dict[str, int], people_added: int) -> str:
    """``Cases: 101 created; 79 closed, 10 escalated (second-line 5, ...), 12 waiting for a call-back.``"""
    escalated = {t: cases.get(t, 0) for t in ("second-line", "third-line", "vendor") if cases.get(t)}
    parts = [f"{cases.get('closed', 0)} closed"]
    if cases.get("open"):
        parts.append(f"{cases['open']} open at the first line")
    parts.append(
        f"{sum(escalated.values())} escalated"
        + (" (" + ", ".join(f"{t} {n}" for t, n in escalated.items()) + ")" if escalated else "")
    )
    parts.append(f"{cases.get('call-back', 0)} waiting for a call-back")
    line = f"Cases: {sum(cases.values())} created; " + ", ".join(parts) + "."
    if people_added:
        line += f"\nDirectory: {people_added} synthetic people added (an empty database gets them)."
    return line


def _progress(console: Console, quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    )
