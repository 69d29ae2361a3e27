"""The ``cti directory`` commands and ``cti calls show``: who called, and what they saw."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec
from rich.table import Table

from cti.access import audit_unmasked, supervisor
from cti.casedesk import screen_pop
from cti.casework import EXIT_OK, centre_for, console, pop_for_view, print_pop, with_store
from cti.directory import ALL_RUNS, Directory
from cti.errors import UsageError
from cti.people import PeopleError, caller_key, generate_people, is_phone_key, read_people_csv
from cti.privacy import mask_phone, mask_text
from cti.store import Store


def generate_command(args: argparse.Namespace) -> int:
    centre = centre_for(args)

    async def work(store: Store) -> int:
        start = await store.people_count() + 1
        try:
            people = generate_people([a.id for a in centre.agencies], args.per_agency, args.seed, start=start)
        except ValueError as exc:
            raise UsageError(f"--per-agency: {exc}") from None
        if await store.directory_clashes(people) is not None:
            raise UsageError(
                f"--seed {args.seed}: these people would share numbers or IDs with the directory already in "
                f"{args.db}; add more with the seed used before, or use a new database"
            )
        added = await store.add_people(people, f"synthetic (seed {args.seed})")
        print(f"added {added} synthetic people ({args.per_agency} per agency, seed {args.seed}) to {args.db}")
        return EXIT_OK

    return with_store(args.db, work)


def import_command(args: argparse.Namespace) -> int:
    centre = centre_for(args)
    source = str(args.file)
    try:
        text = args.file.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{source}: cannot read: {exc.strerror or exc}") from None

    async def work(store: Store) -> int:
        start = await store.people_count() + 1
        lines: list[int] = []
        try:
            people = read_people_csv(text, source, agencies={a.id for a in centre.agencies}, start=start, lines=lines)
        except PeopleError as exc:
            raise UsageError(mask_text(str(exc))) from None  # the line and column find it; the value stays private
        clash = await store.directory_clashes(people)
        if clash is not None:
            index, column, clashes = clash
            raise UsageError(
                f"{source}:{lines[index]}: {column}: already in the directory in {args.db}; nothing was added "
                f"({clashes} value(s) of the file clash in all)"
            )
        added = await store.add_people(people, source)
        print(f"imported {added} {'person' if added == 1 else 'people'} from {source} into {args.db}")
        return EXIT_OK

    return with_store(args.db, work)


def show_command(args: argparse.Namespace) -> int:
    """A number's directory entry, recent contacts and open cases: the screen pop on demand."""
    centre = centre_for(args)
    tz = ZoneInfo(centre.info.timezone)
    member = supervisor(centre, args.by) if args.unmasked else None
    key = caller_key(args.phone)
    if not is_phone_key(key):
        raise UsageError(f"PHONE: {args.phone!r} is not a phone number (expected at least 7 digits)")

    async def work(store: Store) -> int:
        directory = Directory(store.path)
        try:
            person = directory.lookup(args.phone, key=key)
            pid = person.person_id if person is not None else None
            contacts = directory.earlier_contacts(person_id=pid, key=key, before_run=ALL_RUNS, limit=args.last)
            cases = directory.earlier_open_cases(person_id=pid, key=key, before_run=ALL_RUNS)
        finally:
            directory.close()
        if member is not None:  # recorded before anything is shown
            target = f"{mask_phone(args.phone)} ({pid or 'unknown caller'})"
            await audit_unmasked(store, member, "show-caller-unmasked", target)
        pop = screen_pop(args.phone, person, contacts, cases, ivr={}, case_id=None, history=args.last)
        doc = await pop_for_view(store, msgspec.to_builtins(pop), member is not None)
        if args.json:
            print(json.dumps(doc, ensure_ascii=False, indent=2))
        else:
            print_pop(console(), doc, tz, title="Directory entry")
        return EXIT_OK

    return with_store(args.db, work)


def call_show_command(args: argparse.Namespace) -> int:
    """One call: its row, journal, case and the screen pop its agents saw."""
    centre = centre_for(args)
    tz = ZoneInfo(centre.info.timezone)
    member = supervisor(centre, args.by) if args.unmasked else None

    async def work(store: Store) -> int:
        call = await store.call_by_id(args.call_id)
        if call is None:
            raise UsageError(f"no call {args.call_id!r} in {args.db}")
        if member is not None:
            await audit_unmasked(store, member, "show-call-unmasked", call.call_id)
        unmasked = member is not None
        events = await store.events(call.call_id)
        pop = await store.screen_pops(call.call_id)
        pop_doc = await pop_for_view(store, json.loads(pop), unmasked) if pop else None
        if args.json:
            row = asdict(call)
            row["caller"] = call.caller if unmasked else mask_phone(call.caller)
            row["caller_key"] = call.caller_key if unmasked or call.caller_key is None else mask_phone(call.caller_key)
            row["notes"] = call.notes if unmasked or call.notes is None else mask_text(call.notes)
            row["journal"] = [list(e) for e in events]
            row["screen_pop"] = pop_doc
            print(json.dumps(row, ensure_ascii=False, indent=2))
            return EXIT_OK
        out = console()
        out.print(
            f"[bold]Call {call.call_id}[/] (run {call.run_id}) from "
            f"{call.caller if unmasked else mask_phone(call.caller)}: {call.system}, {call.agency}; "
            f"outcome {call.outcome or 'in progress'}; agent {call.agent or '–'}; case {call.case_id or '–'}"
        )
        table = Table(title="Journal", title_justify="left")
        for col in ("when", "event", "queue", "agent", "rule", "data"):
            table.add_column(col)
        for e in events:
            _, at, _, queue, agent, event, rule, d1, d2, d3 = e
            data = ", ".join(_datum(d, tz) for d in (d1, d2, d3) if d is not None)
            table.add_row(
                datetime.fromtimestamp(at, tz).strftime("%H:%M:%S"),
                event,
                queue or "–",
                agent or "–",
                rule or "–",
                data,
            )
        out.print(table)
        if pop_doc is not None:
            print_pop(out, pop_doc, tz)
        else:
            out.print("no screen pop recorded (the call never entered a queue, or predates screen pops)")
        return EXIT_OK

    return with_store(args.db, work)


def _datum(value: object, tz: ZoneInfo) -> str:
    """A journal data field: centre times as clock times, durations to a tenth of a second."""
    number = value
    if isinstance(value, str) and "." in value:
        try:
            number = float(value)
        except ValueError:
            return value
    if isinstance(number, float):
        if number > 1e9:  # a time (ring until), not a duration
            return datetime.fromtimestamp(number, tz).strftime("until %H:%M:%S")
        return f"{number:.1f}"
    return str(value)
