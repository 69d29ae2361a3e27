"""Who may see personal data unmasked, and who is acting.

Exports, the directory and case views mask phone numbers and national IDs.
``--unmasked`` shows them in clear only to a member of staff whose role in
the centre file (``[[staff]]``) is ``supervisor``, named with ``--by``; each
such use is written to the audit trail before anything is shown
(:mod:`cti.cli.audit`). The name is declared, not authenticated: sign-in
arrives with per-role access control on the message broker.
"""

from __future__ import annotations

import getpass
import os

from cti.errors import CommandLineError, UsageError
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
        raise CommandLineError("--unmasked needs --by STAFF_ID: a supervisor listed under [[staff]] in the centre file")
    member = next((s for s in centre.staff if s.id == by), None)
    if member is None:
        known = ", ".join(f"{s.id} ({s.role})" for s in centre.staff) or "none"
        raise UsageError(f"--by: {by!r} is not on the centre's staff list (staff: {known})")
    if member.role is not Role.SUPERVISOR:
        raise UsageError(f"--unmasked: {by} is {member.role}; only a supervisor may see unmasked personal data")
    return member
