"""``cti roles``: the database's staff table, the authority on who is a supervisor, QA or operator.

``list`` shows it; ``import`` makes it match a centre file's ``[[staff]]``
(an audited action: :func:`cti.casework.access.import_allowed` says who may).
:func:`supervisor` is how every ``--unmasked`` command checks ``--by``:
against the staff table of the database it reads, never against ``--config``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from cti.casework import access
from cti.casework.access import StaffEntry, os_account, staff_changes
from cti.cli import times
from cti.cli.options import centre_for, with_store
from cti.cli.output import console, emit_json
from cti.cli.tables import Column, print_table, time_text
from cti.cli.terminal import markup
from cti.clock import ScaledClock
from cti.config import LoadedCentre, load_centre, load_default
from cti.errors import CommandLineError
from cti.store import AuditRow, Store
from routing.centre import StaffMember

EXIT_OK = 0


def supervisor(db: Path, by: str | None) -> StaffMember:
    """The supervisor ``--by`` (else ``$CTI_USER``) names in the staff table of ``db``, or a refusal saying why not."""
    by = access.declared(by)
    if by is None:
        return access.supervisor([], None, str(db))  # raises: --unmasked needs --by

    async def read() -> list[StaffEntry]:
        async with await Store.open_existing(db, ScaledClock(0.0)) as store:
            return await store.staff()

    staff = asyncio.run(read())
    return access.supervisor([e.member for e in staff], by, str(db))


def centre_source(loaded: LoadedCentre) -> str:
    """How the staff table names where its rows came from: a centre file's full path, or ``<default centre>``."""
    return loaded.source if loaded.source.startswith("<") else str(Path(loaded.source).resolve())


def list_command(args: argparse.Namespace) -> int:
    """``cti roles list``: the staff table, by id."""
    timezone = centre_for(args).info.timezone
    tz = ZoneInfo(timezone)

    async def work(store: Store) -> int:
        staff = await store.staff()
        doc = [
            {
                "staff_id": e.member.id,
                "name": e.member.name,
                "role": e.member.role.value,
                "added_at": times.iso(e.added_at, tz),
                "source": e.source,
            }
            for e in staff
        ]
        if emit_json(args, doc):
            return EXIT_OK
        out = console()
        if not staff:
            out.print(
                f"The staff table of {markup(str(args.db))} is empty: nobody may see unmasked data. Fill it with "
                f"`cti roles import --db {markup(str(args.db))} --by STAFF_ID` (a supervisor of the centre file)."
            )
            return EXIT_OK
        columns = (
            Column("id"),
            Column("name", wrap=True),
            Column("role"),
            Column("added", wrap=True, min_width=10, priority=1),
            Column("from", wrap=True, priority=2),
        )
        cells = [
            [
                e.member.id,
                e.member.name,
                e.member.role.value,
                time_text(e.added_at, tz),
                e.source,
            ]
            for e in staff
        ]
        print_table(out, f"Staff of {markup(str(args.db))}: {len(staff)} ({timezone})", columns, cells)
        return EXIT_OK

    return with_store(args.db, work)


def import_command(args: argparse.Namespace) -> int:
    """``cti roles import``: make the staff table hold the centre file's ``[[staff]]``, audited."""
    by = access.declared(args.by)
    if by is None:
        raise CommandLineError("--by STAFF_ID (or $CTI_USER) is needed: who imports (a supervisor)")
    loaded = load_centre(args.config) if args.config else load_default()
    source = centre_source(loaded)
    new = list(loaded.centre.staff)

    async def work(store: Store) -> int:
        current = [e.member for e in await store.staff()]
        member = access.import_allowed(current, new, by, str(args.db))
        changes = staff_changes(current, new)
        if not changes:
            print(f"the staff table of {args.db} already matches {source}: nothing changed")
            return EXIT_OK
        at, account = time.time(), os_account()
        counts = {kind: sum(c.kind == kind for c in changes) for kind in ("added", "changed", "removed")}
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
        bootstrap = " (bootstrap: the table was empty)" if not current else ""
        rows = [AuditRow(at, member.id, member.role.value, "roles-import", source, summary + bootstrap, account)]
        rows += [
            AuditRow(at, member.id, member.role.value, f"staff-{c.kind}", c.member.id, c.describe(), account)
            for c in changes
        ]
        await store.replace_staff(current, new, at, source, rows)
        print(f"staff of {args.db} imported from {source}: {summary}{bootstrap}; audited as {member.id}")
        return EXIT_OK

    return with_store(args.db, work)
