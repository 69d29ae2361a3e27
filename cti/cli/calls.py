"""``cti calls show``: one call's row, journal and case, and the screen pop its agents saw."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from zoneinfo import ZoneInfo

from rich.table import Table

from cti.casework.access import supervisor
from cti.casework.privacy import mask_phone, mask_text
from cti.cli import times
from cti.cli.audit import audit_unmasked
from cti.cli.options import centre_for, with_store
from cti.cli.output import console, emit_json
from cti.cli.screenpop import pop_for_view, print_pop
from cti.errors import UsageError
from cti.store import Store

EXIT_OK = 0


def show_command(args: argparse.Namespace) -> int:
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
        if args.json is not None:
            row = asdict(call)
            row["caller"] = call.caller if unmasked else mask_phone(call.caller)
            row["caller_key"] = call.caller_key if unmasked or call.caller_key is None else mask_phone(call.caller_key)
            row["notes"] = call.notes if unmasked or call.notes is None else mask_text(call.notes)
            row["journal"] = [list(e) for e in events]
            row["screen_pop"] = pop_doc
            if emit_json(args, row):
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
                times.strf(at, tz, "%H:%M:%S"),
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
            return times.strf(number, tz, "until %H:%M:%S")
        return f"{number:.1f}"
    return str(value)
