"""``cti audit``, and the audit trail every unmasked view writes before anything is shown.

Each entry names the declared actor (``--by``) with their role in the staff
table, and the operating-system account that ran the command.
"""

from __future__ import annotations

import argparse
import time
from zoneinfo import ZoneInfo

from cti.casework.access import os_account
from cti.cli import times
from cti.cli.options import centre_for, with_store
from cti.cli.output import console, emit_json
from cti.cli.tables import Column, print_table, time_text
from cti.store import AuditRow, Store
from routing.centre import StaffMember


async def audit_unmasked(store: Store, member: StaffMember, action: str, target: str, detail: str = "") -> None:
    """Record the unmasked view, with the operating-system account, and commit it before any data is shown."""
    store.audit(AuditRow(time.time(), member.id, member.role.value, action, target, detail or None, os_account()))
    await store.flush()


def audit_command(args: argparse.Namespace) -> int:
    """``cti audit``: who saw unmasked personal data, when, and what."""
    timezone = centre_for(args).info.timezone
    tz = ZoneInfo(timezone)

    async def work(store: Store) -> int:
        rows = await store.audit_rows()
        if args.json is not None:
            keys = ("seq", "at", "actor", "role", "action", "target", "detail", "os_account")
            doc = [dict(zip(keys, r, strict=True)) | {"at": _iso(r[1], tz)} for r in rows]
            if emit_json(args, doc):
                return 0
        title = f"Audit trail: {len(rows)} entr{'y' if len(rows) == 1 else 'ies'} ({timezone})"
        columns = (
            Column("when", wrap=True, min_width=10),  # on a narrow terminal the time goes under the date
            Column("who", wrap=True),
            Column("role", priority=2),
            Column("account", priority=3, wrap=True),
            Column("action", wrap=True),
            Column("target", wrap=True),
            Column("detail", priority=1, fold=True, min_width=12),
        )
        cells = [
            [time_text(at, tz), actor, role or "–", account or "–", action, target, detail or ""]
            for _, at, actor, role, action, target, detail, account in rows
        ]
        print_table(console(), title, columns, cells)
        return 0

    return with_store(args.db, work)


def _iso(t: float, tz: ZoneInfo) -> str:
    return times.iso(t, tz)
