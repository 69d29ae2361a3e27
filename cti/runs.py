"""The ``cti demo`` and ``cti export calls`` commands: options in, tables, JSON and CSV out."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
from dataclasses import replace
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from cti.clock import ScaledClock
from cti.config import load_centre, load_default
from cti.demo import DemoSettings, run_demo
from cti.demo import Progress as DemoProgress
from cti.errors import UsageError
from cti.export import write_calls
from cti.logs import open_log
from cti.report import print_summary
from cti.store import Store
from simulator.traffic import TrafficProfile

EXIT_OK = 0


def parse_start(text: str, timezone: str, option: str = "--start") -> float:
    """``HH:MM`` (today, in the centre's time zone) or an ISO-8601 date and time."""
    tz = ZoneInfo(timezone)
    try:
        if len(text) <= 5 and ":" in text:
            clock_time = time.fromisoformat(text)
            return datetime.combine(datetime.now(tz).date(), clock_time, tz).timestamp()
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is neither HH:MM nor an ISO-8601 date and time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.timestamp()


def demo_command(args: argparse.Namespace) -> int:
    loaded = load_centre(args.config) if args.config else load_default()
    centre = loaded.centre
    if not any(a.voice for a in centre.agents):
        raise UsageError(f"{loaded.source}: the centre has no voice agent, so there is nobody to take calls")
    start = parse_start(args.start, centre.info.timezone)
    if args.db is None:
        db = Path(tempfile.mkdtemp(prefix="cti-demo-")) / "centre.db"
    else:
        db = args.db
        if db.exists() and db.is_dir():
            raise UsageError(f"--db: {db} is a directory, not a database file")
        if not db.parent.is_dir():
            raise UsageError(f"--db: the directory {db.parent} does not exist")
    speed = None if args.speed == "max" else (args.speed if args.speed is not None else max(args.minutes, 1.0))
    profile = TrafficProfile()
    if args.busy_hour_calls is not None:
        profile = replace(profile, busy_hour_calls=args.busy_hour_calls)
    log_path = args.log or db.with_suffix(".log")
    err = Console(stderr=True)
    out = Console(width=None if sys.stdout.isatty() else 120)
    with open_log(log_path) as log, _progress(err, args.quiet) as progress:
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
        )
        try:
            result = run_demo(settings)
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"--db: {db} is not a usable database ({exc})") from None
    if args.json:
        doc = {**result.summary.as_dict(), "cases": dict(sorted(result.cases.items()))}
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if not args.quiet:
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
        print_summary(out, result.summary, centre, title)
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
    return EXIT_OK


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


def export_calls_command(args: argparse.Namespace) -> int:
    from cti.access import audit_unmasked, supervisor

    db: Path = args.db
    member = None
    if args.unmasked:
        centre = (load_centre(args.config) if args.config else load_default()).centre
        member = supervisor(centre, args.by)

    async def read() -> int:
        async with await Store.open_existing(db, ScaledClock(0.0)) as store:
            runs = await store.runs()
            if args.run_id is not None and args.run_id not in {r[0] for r in runs}:
                known = ", ".join(str(r[0]) for r in runs) or "none"
                raise UsageError(f"--run: run {args.run_id} is not in {db} (runs: {known})")
            if member is not None:
                target = f"{db} run {args.run_id}" if args.run_id is not None else str(db)
                await audit_unmasked(store, member, "export-calls-unmasked", target)
            calls = await store.calls(args.run_id)
            return write_calls(sys.stdout, calls, {r[0]: r[5] for r in runs}, unmasked=member is not None)

    asyncio.run(read())
    return EXIT_OK
