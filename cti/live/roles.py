"""The first server start on a database fills its empty staff table from the centre file, audited.

After that the staff table is the authority on roles: a later start with
another centre file changes nothing (``cti roles import`` does, audited).
"""

from __future__ import annotations

import time

from cti.casework.access import os_account, staff_changes
from cti.live.logs import Logger
from cti.store import AuditRow, Store
from routing.centre import Centre

#: The actor the audit trail names for the seeding (no --by: the server itself did it).
SEEDED_BY = "cti demo"


async def seed_staff(store: Store, centre: Centre, source: str, log: Logger) -> int:
    """An empty staff table gets the centre's ``[[staff]]``; returns how many were added."""
    if not centre.staff or await store.staff():
        return 0
    at, account = time.time(), os_account()
    changes = staff_changes([], centre.staff)
    rows = [
        AuditRow(at, SEEDED_BY, None, "roles-import", source, f"{len(changes)} added (first server start)", account)
    ]
    rows += [AuditRow(at, SEEDED_BY, None, "staff-added", c.member.id, c.describe(), account) for c in changes]
    await store.replace_staff([], centre.staff, at, source, rows)
    log.info("staff_seeded", staff=len(changes), source=source)
    return len(changes)
