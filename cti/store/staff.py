"""The staff table: who is a supervisor, QA or operator, the authority on roles.

Changed only as a whole, in one transaction with its audit rows, and only if
the table still holds what the change was decided on (two imports at once
cannot both win).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from cti.casework.access import StaffEntry
from cti.store.errors import StoreError
from routing.centre import StaffMember
from routing.errors import CentreError

SELECT_STAFF = "SELECT staff_id, name, role, added_at, source FROM staff ORDER BY staff_id"
INSERT_AUDIT = "INSERT INTO audit (at, actor, role, action, target, detail, os_account) VALUES (?,?,?,?,?,?,?)"


@dataclass(frozen=True, slots=True)
class AuditRow:
    """An audit entry: who (declared, with their role), under which operating-system account, did what."""

    at: float
    actor: str
    role: str | None
    action: str
    target: str
    detail: str | None
    os_account: str

    def params(self) -> tuple[object, ...]:
        return (self.at, self.actor, self.role, self.action, self.target, self.detail, self.os_account)


async def read_staff(db: aiosqlite.Connection) -> list[StaffEntry]:
    cur = await db.execute(SELECT_STAFF)
    rows = await cur.fetchall()
    await cur.close()
    entries = []
    for staff_id, name, role, added_at, source in rows:
        try:
            entries.append(StaffEntry(StaffMember(staff_id, name, role), float(added_at), source))
        except CentreError as exc:  # written by hand, not by an import
            raise StoreError(
                f"the staff table holds a row that is not a member of staff ({exc}); make it hold a centre file's "
                "[[staff]] again with `cti roles import`"
            ) from None
    return entries


async def replace_staff(
    db: aiosqlite.Connection,
    expected: Sequence[StaffMember],
    members: Sequence[StaffMember],
    at: float,
    source: str,
    audit: Sequence[AuditRow],
) -> None:
    """Make the table hold exactly ``members`` (kept rows keep their ``added_at``), with ``audit``; commits.

    Refused with :class:`StoreError`, nothing changed, when the table no longer holds ``expected``.
    """
    await db.execute("BEGIN IMMEDIATE")
    try:
        now = [e.member for e in await read_staff(db)]
        if sorted(now, key=_key) != sorted(expected, key=_key):
            raise StoreError("the staff table changed while this command ran; nothing was changed, try again")
        keep = {s.id: s for s in now}
        wanted = {s.id for s in members}
        await db.executemany("DELETE FROM staff WHERE staff_id = ?", [(i,) for i in keep if i not in wanted])
        for s in members:
            if s.id not in keep:
                await db.execute(
                    "INSERT INTO staff (staff_id, name, role, added_at, source) VALUES (?,?,?,?,?)",
                    (s.id, s.name, s.role.value, at, source),
                )
            elif keep[s.id] != s:
                await db.execute(
                    "UPDATE staff SET name = ?, role = ?, source = ? WHERE staff_id = ?",
                    (s.name, s.role.value, source, s.id),
                )
        await db.executemany(INSERT_AUDIT, [row.params() for row in audit])
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


def _key(s: StaffMember) -> tuple[str, str, str]:
    return (s.id, s.name, s.role.value)
