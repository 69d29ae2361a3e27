"""``cti demo``: the whole centre in one process, with a progress bar, then its figures as tables or JSON."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from dataclasses import replace
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
from cti.live.demo import DemoSettings, run_demo
from cti.live.demo import Progress as DemoProgress
from cti.live.logs import open_log
from cti.live.traffic import TrafficProfile
from cti.store import DatabaseError

EXIT_OK = 0


def demo_command(args: argparse.Namespace) -> int:
    loaded = load_centre(args.config) if args.config else load_default()
    centre = loaded.centre
    if not any(a.voice for a in centre.agents):
        raise UsageError(f"{loaded.source}: the centre has no voice agent, so there is nobody to take calls")
    start = parse_start(args.start, centre.info.timezone)
    db = _database(args.db)
    speed = None if args.speed == "max" else (args.speed if args.speed is not None else max(args.minutes, 1.0))
    profile = TrafficProfile()
    if args.busy_hour_calls is not None:
        profile = replace(profile, busy_hour_calls=args.busy_hour_calls)
    log_path = _log_path(args.log, db)
    err = Console(stderr=True)
    closed = no_calls_warning(profile, start, args.minutes, ZoneInfo(centre.info.timezone))
    if closed is not None:
        err.print(f"warning: {closed}", highlight=False)
    # Standard output belongs to JSON or the log when either goes there; the tables then go to standard error.
    out = console(stderr=str(args.json) == "-" or str(log_path) == "-")
    log_file = contextlib.nullcontext(sys.stdout) if str(log_path) == "-" else open_log(log_path)
    with log_file as log, _progress(err, args.quiet) as progress:
        task = progress.add_task("calls", total=args.minutes * 60.0)

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
            minutes=args.minutes,
            speed=speed,
            seed=args.seed,
            start=start,
            profile=profile,
            log=log,
            on_progress=on_progress,
            handle_signals=True,
            centre_source=centre_source(loaded),
            ivr=loaded.ivr,
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
            {**result.summary.as_dict(), "cases": dict(sorted(result.cases.items())), "ivr": result.ivr.as_dict()},
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
        title = f"Run {result.run_id}: {span} ({centre.info.timezone}), seed {args.seed}, speed {pace}"
        print_summary(out, result.summary, centre, title, ivr=result.ivr, plan=loaded.ivr)
        out.print(cases_line(result.cases, result.people_added), highlight=False)
        out.print(
            f"database: {db}\nlog: {log_path}\n"
            f"per-call rows:  cti export calls --db {db}\n"
            f"open cases:     cti cases list --db {db} --open\n"
            f"a screen pop:   cti calls show {result.example_call or 'CALL_ID'} --db {db}\n"
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
    """Why a run would see no calls at all (the hours it covers have none in the profile), or None."""
    first = datetime.fromtimestamp(start, tz)
    hours = {(first.hour + h) % 24 for h in range(int((first.minute + minutes) // 60) + 1)}
    if profile.busy_hour_calls > 0 and any(profile.hourly[h] > 0 for h in hours):
        return None
    end = datetime.fromtimestamp(start + minutes * 60.0, tz)
    busy = [h for h, f in enumerate(profile.hourly) if f > 0]
    if profile.busy_hour_calls <= 0 or not busy:
        return "no calls will arrive: the busy hour has 0 calls (--busy-hour-calls)"
    return (
        f"no calls will arrive from {first:%H:%M} to {end:%H:%M}: callers ring from {busy[0]:02d}:00 to "
        f"{busy[-1] + 1:02d}:00 (try --start 10:00)"
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
