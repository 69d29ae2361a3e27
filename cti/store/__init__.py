"""The store: everything the centre keeps, and the one place SQL lives.

* :mod:`cti.store.sqlite` — :class:`Store`, the embedded store on SQLite:
  group-committed writes, reads that flush first, runs and recovery;
* :mod:`cti.store.schema` — the numbered migrations;
* :mod:`cti.store.records` — the rows (calls, journal verbs, agent states) and their SQL;
* :mod:`cti.store.recovery` — closing what a killed process left open;
* :mod:`cti.store.directory` — synchronous reads of callers, contacts and
  open cases (the screen pop, ``cti directory``);
* :mod:`cti.store.staff` — the staff table, the authority on roles, and audit rows;
* :mod:`cti.store.figures` — a run's figures from its rows (the ``cti demo`` summary);
* :mod:`cti.store.days` — one day, read-only, for a replay;
* :mod:`cti.store.errors` — :class:`StoreError`.

The core names are re-exported here; the directory, the day reader and the
figures are imported from their modules.
"""

from cti.store.errors import StoreError
from cti.store.records import (
    CALL_COLUMNS,
    CALL_OUTCOMES,
    AgentStateRow,
    CallRecord,
    Journal,
    JournalEntry,
    Outcome,
    Recovery,
    person_from_row,
)
from cti.store.schema import MIGRATIONS
from cti.store.sqlite import DatabaseError, Store
from cti.store.staff import AuditRow

__all__ = [
    "CALL_COLUMNS",
    "CALL_OUTCOMES",
    "MIGRATIONS",
    "AgentStateRow",
    "AuditRow",
    "CallRecord",
    "DatabaseError",
    "Journal",
    "JournalEntry",
    "Outcome",
    "Recovery",
    "Store",
    "StoreError",
    "person_from_row",
]
