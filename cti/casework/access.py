"""Who may see personal data unmasked, who may change the staff, and who is acting.

Exports, the directory and case views mask phone numbers and national IDs.
``--unmasked`` shows them in clear only to a member of staff whose role in
the database's own staff table is ``supervisor``, named with ``--by``; each
such use is written to the audit trail before anything is shown
(:mod:`cti.cli.audit`). A centre file passed with ``--config`` never grants
a role: the staff table is filled from a centre file only by the first
server start on an empty table or by ``cti roles import``, itself audited
(:func:`import_allowed`).

The local command line trusts the machine: ``--by`` and ``$CTI_USER`` are
declarations, recorded beside the operating-system account that ran the
command (:func:`os_account`). Sign-in arrives with per-role access control on
the message broker.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cti.errors import CommandLineError, UsageError
from routing.centre import Role, StaffMember


@dataclass(frozen=True, slots=True)
class StaffEntry:
    """A row of the staff table: a member, when they were added and from which centre file."""

    member: StaffMember
    added_at: float
    source: str


@dataclass(frozen=True, slots=True)
class StaffChange:
    """One change an import makes to the staff table: ``added``, ``changed`` or ``removed``."""

    kind: str
    member: StaffMember
    before: StaffMember | None = None

    def describe(self) -> str:
        if self.kind == "changed" and self.before is not None:
            parts = [
                f"{what} {old} -> {new}"
                for what, old, new in (
                    ("name", self.before.name, self.member.name),
                    ("role", self.before.role.value, self.member.role.value),
                )
                if old != new
            ]
            return ", ".join(parts)
        return f"{self.member.name}, {self.member.role.value}"


def current_user() -> str:
    """Who runs the command, for case journals when ``--by`` is not given: ``$CTI_USER`` or the login."""
    return os.environ.get("CTI_USER") or os_account()


def os_account() -> str:
    """The operating-system account running this process, from its user id (not from the environment)."""
    try:
        import pwd  # POSIX only

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"


def _listing(staff: Sequence[StaffMember]) -> str:
    return ", ".join(f"{s.id} ({s.role})" for s in staff) or "none"


def declared(by: str | None) -> str | None:
    """Who says they are acting: ``--by``, else ``$CTI_USER``; a declaration, never a sign-in."""
    return by if by is not None else os.environ.get("CTI_USER") or None


def supervisor(staff: Sequence[StaffMember], by: str | None, where: str) -> StaffMember:
    """The member of ``staff`` (the staff table of database ``where``) allowed to unmask, or why not.

    ``by`` is the declared actor (:func:`declared`).
    """
    if by is None:
        raise CommandLineError(
            f"--unmasked needs --by STAFF_ID (or $CTI_USER): a supervisor in the staff table of {where} "
            f"(`cti roles list --db {where}`)"
        )
    if not staff:
        raise UsageError(
            f"--unmasked: the staff table of {where} is empty, so nobody may see unmasked data; fill it from a "
            f"centre file with `cti roles import --db {where} --by STAFF_ID` (a supervisor of that file), "
            "or start `cti demo` on it once"
        )
    member = next((s for s in staff if s.id == by), None)
    if member is None:
        raise UsageError(
            f"--by: {by!r} is not in the staff table of {where} (staff: {_listing(staff)}); roles come from the "
            "database, never from --config"
        )
    if member.role is not Role.SUPERVISOR:
        raise UsageError(
            f"--unmasked: {by} is {member.role} in the staff table of {where}; only a supervisor may see unmasked "
            "personal data"
        )
    return member


def import_allowed(current: Sequence[StaffMember], new: Sequence[StaffMember], by: str, where: str) -> StaffMember:
    """Who imports ``new`` over ``current`` (the staff table of ``where``), or why they may not.

    The first import into an empty table is a bootstrap: ``by`` must be a
    supervisor of the imported list. After that only a supervisor already in
    the table may import. Either way the list must keep a supervisor, so the
    table can never lock every supervisor out.
    """
    if not any(s.role is Role.SUPERVISOR for s in new):
        raise UsageError(
            f"the centre file lists no supervisor under [[staff]]; importing it would leave {where} with nobody "
            "who may change the staff or see unmasked data"
        )
    if not current:
        member = next((s for s in new if s.id == by), None)
        if member is None or member.role is not Role.SUPERVISOR:
            raise UsageError(
                f"--by: the staff table of {where} is empty; the first import must be made by a supervisor the "
                f"centre file lists, and {by!r} is {'not listed' if member is None else member.role.value} "
                f"(staff in the file: {_listing(new)})"
            )
        return member
    member = next((s for s in current if s.id == by), None)
    if member is None or member.role is not Role.SUPERVISOR:
        raise UsageError(
            f"--by: only a supervisor in the staff table of {where} may change it, and {by!r} is "
            f"{'not in it' if member is None else member.role.value} (staff: {_listing(current)})"
        )
    return member


def staff_changes(current: Sequence[StaffMember], new: Sequence[StaffMember]) -> list[StaffChange]:
    """What importing ``new`` does to ``current``: members added, changed (name or role) and removed, by id."""
    before = {s.id: s for s in current}
    after = {s.id: s for s in new}
    changes = [StaffChange("added", s) for s in new if s.id not in before]
    changes += [StaffChange("changed", s, before[s.id]) for s in new if s.id in before and before[s.id] != s]
    changes += [StaffChange("removed", s) for s in current if s.id not in after]
    return changes
