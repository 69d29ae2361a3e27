"""The ``cti directory`` commands: who a number belongs to; adding people, real or synthetic."""

from __future__ import annotations

import argparse
from zoneinfo import ZoneInfo

import msgspec

from cti.casework.people import PeopleError, caller_key, is_phone_key
from cti.casework.people_csv import read_people_csv
from cti.casework.privacy import mask_phone, mask_text
from cti.casework.synthetic import generate_people
from cti.cli.audit import audit_unmasked
from cti.cli.options import centre_for, with_store
from cti.cli.output import console, emit_json
from cti.cli.roles import supervisor
from cti.cli.screenpop import pop_for_view, pop_json, print_pop
from cti.errors import CommandLineError, UsageError
from cti.live.screenpop import screen_pop
from cti.store import Store
from cti.store.directory import ALL_RUNS, Directory

EXIT_OK = 0


def generate_command(args: argparse.Namespace) -> int:
    centre = centre_for(args)

    async def work(store: Store) -> int:
        start = await store.people_count() + 1
        try:
            people = generate_people([a.id for a in centre.agencies], args.per_agency, args.seed, start=start)
        except ValueError as exc:
            raise UsageError(f"--per-agency: {exc}") from None
        clash = await store.directory_clashes(people)
        if clash is not None:
            index, field, count = clash
            raise UsageError(
                f"--seed {args.seed}: {count} {field.replace('_', ' ')}(s) of the people it would add are already "
                f"in {args.db} (the first: generated person {index + 1}); nothing was added; try another --seed"
            )
        added = await store.add_people(people, f"synthetic (seed {args.seed})", checked=True)
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
        added = await store.add_people(people, source, checked=True)
        print(f"imported {added} {'person' if added == 1 else 'people'} from {source} into {args.db}")
        return EXIT_OK

    return with_store(args.db, work)


def show_command(args: argparse.Namespace) -> int:
    """A number's directory entry, recent contacts and open cases: the screen pop on demand."""
    centre = centre_for(args)
    tz = ZoneInfo(centre.info.timezone)
    member = supervisor(args.db, args.by) if args.unmasked else None
    key = caller_key(args.phone)
    if not is_phone_key(key):
        raise CommandLineError(f"PHONE: {args.phone!r} is not a phone number (expected at least 7 digits)")

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
        if not emit_json(args, pop_json(doc, tz)):
            print_pop(console(), doc, tz, title="Directory entry")
        return EXIT_OK

    return with_store(args.db, work)
