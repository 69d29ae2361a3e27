"""Who may see personal data unmasked, and the audit trail of every time someone did.

Exports, the directory and case views mask phone numbers and national IDs.
``--unmasked`` shows them in clear only to a member of staff whose role in
the centre file (``[[staff]]``) is ``supervisor``, named with ``--by``; each
such use is written to the ``audit`` table before anything is shown. The
name is declared, not authenticated: sign-in arrives with per-role access
control on the message broker.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.markup import escape
from rich.table import Table

from cti.errors import UsageError
from cti.store import Store
from routing.centre import Centre, Role, StaffMember


def current_user() -> str:
    """Who runs the command, for case journals when ``--by`` is not given."""
    try:
        return os.environ.get("CTI_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def supervisor(centre: Centre, by: str | None) -> StaffMember:
    """The staff member allowed to unmask, or a :class:`UsageError` saying why not."""
    if by is None:
        raise UsageError("--unmasked needs --by STAFF_ID: a supervisor listed under [[staff]] in the centre file")
    member = next((s for s in centre.staff if s.id == by), None)
    if member is None:
        known = ", ".join(f"{s.id} ({s.role})" for s in centre.staff) or "none"
        raise UsageError(f"--by: {by!r} is not on the centre's staff list (staff: {known})")
    if member.role is not Role.SUPERVISOR:
        raise UsageError(f"--unmasked: {by} is {member.role}; only a supervisor may see unmasked personal data")
    return member


async def audit_unmasked(store: Store, member: StaffMember, action: str, target: str, detail: str = "") -> None:
    """Record the unmasked view and commit it before any data is shown."""
    store.audit(time.time(), member.id, member.role.value, action, target, detail or None)
    await store.flush()


def audit_command(args: argparse.Namespace) -> int:
    """``cti audit``: who saw unmasked personal data, when, and what."""
    from cti.casework import centre_for, console, with_store

    tz = ZoneInfo(centre_for(args).info.timezone)

    async def work(store: Store) -> int:
        rows = await store.audit_rows()
        if args.json:
            keys = ("seq", "at", "actor", "role", "action", "target", "detail")
            doc = [dict(zip(keys, r, strict=True)) | {"at": _iso(r[1], tz)} for r in rows]
            print(json.dumps(doc, ensure_ascii=False, indent=2))
            return 0
        table = Table(title=f"Audit trail: {len(rows)} entr{'y' if len(rows) == 1 else 'ies'}", title_justify="left")
        for col in ("when", "who", "role", "action", "target", "detail"):
            table.add_column(col)
        for _, at, actor, role, action, target, detail in rows:
            table.add_row(_iso(at, tz), escape(actor), role or "–", action, escape(target), escape(detail or ""))
        console().print(table)
        return 0

    return with_store(args.db, work)


def _iso(t: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(t, tz).isoformat(timespec="seconds")
