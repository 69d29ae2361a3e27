"""One day of a live centre, read for a replay: its calls, agents' states and logins.

:class:`DayReader` is the narrow, read-only view the simulator's replay
reads through (it fits :class:`simulator.replay.DayRecords`); the command
line opens one and hands it over, so the simulator never touches the
database itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cti.store.errors import StoreError
from cti.store.schema import BUSY_TIMEOUT_S, check_ours
from routing.centre import GENERAL_QUEUE

#: offered_at, system, agency, outcome, answered_at, ended_at, wrap_up_end_at, rang_at, site, call_id
OfferedCall = tuple[
    float, str, str, str | None, float | None, float | None, float | None, float | None, str | None, str
]


class DayReader:
    """Read-only queries over a centre's database, by centre-time window ``[start, end)``."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[DayReader]:
        """The database at ``path``, opened read-only for as long as the ``with`` block lasts."""
        if not path.exists():
            raise StoreError(f"{path}: no such database")
        if path.is_dir():
            raise StoreError(f"--db: {path} is a folder; give the database file in it")
        check_ours(path)
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as err:
            raise StoreError(f"{path}: cannot open: {err}") from None
        try:
            yield cls(db, path)
        finally:
            db.close()

    def timezone(self) -> str:
        """The time zone of the runs recorded here; refused if there are none or several."""
        zones = {str(tz) for (tz,) in self._rows("SELECT DISTINCT timezone FROM runs")}
        if not zones:
            raise StoreError(f"{self.path}: no runs recorded")
        if len(zones) > 1:
            raise StoreError(f"{self.path}: runs in several time zones ({', '.join(sorted(zones))})")
        return zones.pop()

    def calls_offered(self, start: float, end: float) -> list[OfferedCall]:
        rows = self._rows(
            "SELECT offered_at, system, agency, outcome, answered_at, ended_at, wrap_up_end_at, rang_at, site, "
            "call_id FROM calls WHERE channel = 'voice' AND offered_at >= ? AND offered_at < ? "
            "ORDER BY offered_at, call_id",
            (start, end),
        )
        # A call the IVR could not tie to an agency has none (NULL): "" is no agency, as in the replay's lookup;
        # one whose caller chose no system in the IVR (NULL) waited in the general queue.
        return [(float(r[0]), str(r[1] or GENERAL_QUEUE), r[2] or "", *r[3:9], str(r[9])) for r in rows]

    def agent_states(self, start: float, end: float) -> list[tuple[str, str, float, str]]:
        rows = self._rows(
            "SELECT agent_id, site, at, status FROM agent_states WHERE at >= ? AND at < ? ORDER BY seq", (start, end)
        )
        return [(str(a), str(site), float(at), str(status)) for a, site, at, status in rows]

    def sessions(self, start: float, end: float) -> list[tuple[str, float, float]]:
        rows = self._rows(
            "SELECT agent_id, login_at, COALESCE(logout_at, ?) FROM agent_sessions WHERE login_at < ? "
            "AND COALESCE(logout_at, ?) > ? ORDER BY login_at",
            (end, end, end, start),
        )
        return [(str(a), float(login), float(logout)) for a, login, logout in rows]

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return [tuple(r) for r in self._db.execute(sql, params).fetchall()]
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path}: not a centre database ({err})") from None
