"""The caller directory: who is calling, looked up by the number they call from.

The directory lives in the store's ``people`` table (the national
civil-servant database, 全國公務人員人事資料, or a synthetic stand-in
generated from a seed), with every office and mobile number in
``people_phones`` keyed by its digits (:func:`cti.casework.people.phone_key`), so a
lookup is one primary-key probe however large the directory is.

The server reads it synchronously while it routes (one indexed probe takes
microseconds, and an answer that does not depend on thread timing keeps
virtual-time runs reproducible), through its own read-only connection
beside the store's writer. Numbers linked by agents during a run are held in
memory until the store commits them. It also reads back single calls and
cases and counts the open ones, for the server's case desk.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import OrderedDict
from collections.abc import Collection, Sequence
from pathlib import Path

from cti.casework.cases import CASE_COLUMNS, CaseRecord
from cti.casework.people import Person, caller_key, is_phone_key
from cti.store import CALL_COLUMNS, CallRecord, person_from_row
from cti.store.schema import BUSY_TIMEOUT_S

_PERSON = "SELECT person_id, name, agency, title, office_phone, mobile, email, national_id, synthetic FROM people"
_BY_PHONE = (
    "SELECT p.person_id, p.name, p.agency, p.title, p.office_phone, p.mobile, p.email, p.national_id, p.synthetic "
    "FROM people_phones k JOIN people p ON p.person_id = k.person_id WHERE k.phone_key = ?"
)


#: ``before_run`` for reads that take every run.
ALL_RUNS = 1 << 62


class Directory:
    """Synchronous reads of the directory and of earlier contacts, for the server's screen pops.

    Lookups are cached (the :attr:`CACHE` numbers used most recently): a
    repeat caller costs no query, and people imported while a server runs are
    seen by it only for numbers it does not have cached (or that an agent links).
    """

    #: Lookups remembered: the numbers looked up most recently, up to this many.
    CACHE = 4_096

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(Path(path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
        self._db.execute("PRAGMA query_only = 1")
        self._linked: dict[str, str] = {}  # numbers linked in this run, until the store has committed them
        self._found: OrderedDict[str, Person | None] = OrderedDict()
        # The last count of open cases: data version, counted at, valid until, open, overdue.
        self._counted: tuple[int, float, float, int, int] | None = None

    def close(self) -> None:
        self._db.close()

    def open_case_counts(self, now: float, *, leaving_out: Collection[str] = ()) -> tuple[int, int]:
        """Committed cases not closed, and how many of them are past due at ``now``, leaving out ``leaving_out``.

        The totals are counted again only once the database has changed
        (``PRAGMA data_version``) or a case has come due since the last count,
        so asking every second costs a probe while nothing changes.
        """
        left_out = json.dumps(list(leaving_out)) if leaving_out else ""
        while True:
            version = self._data_version()
            counted = self._counted
            if counted is None or counted[0] != version or not counted[1] <= now <= counted[2]:
                total, overdue, next_due = self._db.execute(
                    "SELECT (SELECT COUNT(*) FROM cases WHERE status != 'closed'), "
                    "(SELECT COUNT(*) FROM cases WHERE status != 'closed' AND due_at < ?1), "
                    "(SELECT MIN(due_at) FROM cases WHERE status != 'closed' AND due_at >= ?1)",
                    (now,),
                ).fetchone()
                counted = self._counted = (version, now, math.inf if next_due is None else next_due, total, overdue)
            less, less_overdue = (
                self._db.execute(
                    "SELECT COUNT(*), COUNT(CASE WHEN due_at < ? THEN 1 END) FROM cases "
                    "WHERE case_id IN (SELECT value FROM json_each(?)) AND status != 'closed'",
                    (now, left_out),
                ).fetchone()
                if leaving_out
                else (0, 0)
            )
            # One query is one consistent view; a second needs nothing committed in between.
            if not leaving_out or self._data_version() == version:
                return int(counted[3]) - int(less), int(counted[4]) - int(less_overdue)

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def call(self, call_id: str) -> CallRecord | None:
        """A committed call row."""
        row = self._db.execute(f"SELECT {', '.join(CALL_COLUMNS)} FROM calls WHERE call_id = ?", (call_id,)).fetchone()
        return CallRecord(*row) if row else None

    def case_of_call(self, call_id: str) -> CaseRecord | None:
        """The committed case of a call."""
        row = self._db.execute(f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE call_id = ?", (call_id,)).fetchone()
        return CaseRecord(*row) if row else None

    def last_case_number(self, day: str) -> int:
        """The highest per-day number of the committed cases of ``day`` (``YYYYMMDD``); 0 for none."""
        rows = self._db.execute(
            "SELECT MAX(CAST(substr(case_id, 11) AS INTEGER)) FROM cases WHERE case_id GLOB ?", (f"C{day}-*",)
        ).fetchall()
        return int(rows[0][0] or 0)

    def cached(self) -> int:
        """How many numbers' lookups are remembered (at most :attr:`CACHE`)."""
        return len(self._found)

    def has_call(self, call_id: str) -> bool:
        """Whether a committed call has this id (one primary-key probe)."""
        return self._db.execute("SELECT 1 FROM calls WHERE call_id = ?", (call_id,)).fetchone() is not None

    def person(self, person_id: str) -> Person | None:
        row = self._db.execute(f"{_PERSON} WHERE person_id = ?", (person_id,)).fetchone()
        return person_from_row(row) if row else None

    def lookup(self, number: str, *, key: str | None = None) -> Person | None:
        """The person whose office or mobile number (or a number linked to them) this is.

        ``key``: the number's :func:`caller_key`, if the caller has it already."""
        key = key or caller_key(number)
        if not is_phone_key(key):
            return None
        if key in self._found:
            self._found.move_to_end(key)
            return self._found[key]
        person_id = self._linked.get(key)
        if person_id is not None:
            person = self.person(person_id)
        else:
            row = self._db.execute(_BY_PHONE, (key,)).fetchone()
            person = person_from_row(row) if row else None
        self._found[key] = person
        if len(self._found) > self.CACHE:
            self._found.popitem(last=False)
        return person

    def link(self, number: str, person_id: str) -> None:
        """Known from now on (the store commits the link with the next batch)."""
        key = caller_key(number)
        if self._linked:  # links the store has committed by now are read from the directory
            marks = ", ".join("?" * len(self._linked))
            committed = self._db.execute(
                f"SELECT phone_key, person_id FROM people_phones WHERE phone_key IN ({marks})", tuple(self._linked)
            ).fetchall()
            for phone, person in committed:
                if self._linked.get(phone) == person:
                    del self._linked[phone]
        self._linked[key] = person_id
        self._found.pop(key, None)

    def phone_keys(self, person_id: str, key: str | None) -> list[str]:
        """Every number of a person: a call from one before it was known is theirs too."""
        keys = [r[0] for r in self._db.execute("SELECT phone_key FROM people_phones WHERE person_id = ?", (person_id,))]
        keys += [k for k, pid in self._linked.items() if pid == person_id]
        if is_phone_key(key):
            keys.append(key)
        return sorted(set(keys))

    def _whose(
        self, person_id: str | None, key: str | None, keys: Sequence[str] | None, calls: str, persons: str
    ) -> tuple[str, list[str]]:
        """A WHERE clause for a person's (or a number's) rows, with its parameters."""
        if person_id is None:
            return f"{persons} IS NULL AND {calls} = ?", [key or ""]
        keys = self.phone_keys(person_id, key) if keys is None else keys
        if not keys:
            return f"{persons} = ?", [person_id]
        marks = ", ".join("?" * len(keys))
        return f"({persons} = ? OR ({persons} IS NULL AND {calls} IN ({marks})))", [person_id, *keys]

    def earlier_contacts(
        self,
        *,
        person_id: str | None,
        key: str | None,
        before_run: int,
        limit: int = 5,
        keys: Sequence[str] | None = None,
    ) -> list[CallRecord]:
        """The last ``limit`` calls of a person (from any of their numbers) or of a number, from earlier runs.

        ``keys``: the person's :meth:`phone_keys`, if the caller has them already.
        """
        if person_id is None and not is_phone_key(key):
            return []
        where, params = self._whose(person_id, key, keys, "caller_key", "person_id")
        rows = self._db.execute(
            f"SELECT {', '.join(CALL_COLUMNS)} FROM calls WHERE {where} AND run_id < ? "
            "ORDER BY arrived_at DESC, call_id DESC LIMIT ?",
            (*params, before_run, limit),
        ).fetchall()
        return [CallRecord(*row) for row in rows]

    def earlier_open_cases(
        self, *, person_id: str | None, key: str | None, before_run: int, keys: Sequence[str] | None = None
    ) -> list[CaseRecord]:
        """Open cases of a person (or of a number) that did not come from calls of this run.

        ``keys``: the person's :meth:`phone_keys`, if the caller has them already.
        """
        if person_id is None and not is_phone_key(key):
            return []
        cols = ", ".join(f"k.{c}" for c in CASE_COLUMNS)
        if person_id is None:
            keys = [key or ""]
        elif keys is None:
            keys = self.phone_keys(person_id, key)
        marks = ", ".join("?" * len(keys))
        # Two indexed halves: the person's cases, and cases of calls from their numbers made before they were known.
        sql = (
            f"SELECT {cols} FROM cases k LEFT JOIN calls c ON c.call_id = k.call_id "
            "WHERE k.person_id = ? AND k.status != 'closed' AND (c.run_id IS NULL OR c.run_id < ?) "
            f"UNION SELECT {cols} FROM calls c JOIN cases k ON k.call_id = c.call_id "
            f"WHERE c.caller_key IN ({marks}) AND k.person_id IS NULL AND k.status != 'closed' AND c.run_id < ? "
            f"ORDER BY {CASE_COLUMNS.index('created_at') + 1}, 1"  # created_at, case_id
        )
        rows = self._db.execute(sql, (person_id, before_run, *keys, before_run)).fetchall()
        return [CaseRecord(*row) for row in rows]
