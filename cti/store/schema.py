"""The schema: numbered migrations, applied in order at every open.

``PRAGMA user_version`` holds the number of the last migration applied. A
database from a newer program (a higher number than :data:`MIGRATIONS`
knows) is refused rather than guessed at. A migration that must also change
rows (not only tables) has a step in ``_AFTER_MIGRATION``, run in the same
transaction.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosqlite

from cti.casework.people import caller_key, is_phone_key
from cti.store.errors import StoreError

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE runs (
        run_id      INTEGER PRIMARY KEY,
        started_at  REAL NOT NULL,
        ended_at    REAL,
        clean       INTEGER,
        centre      TEXT NOT NULL,
        timezone    TEXT NOT NULL,
        seed        INTEGER,
        speed       TEXT
    );
    CREATE TABLE calls (
        call_id         TEXT PRIMARY KEY,
        run_id          INTEGER NOT NULL REFERENCES runs(run_id),
        channel         TEXT NOT NULL,
        caller          TEXT NOT NULL,
        dialled         TEXT NOT NULL,
        system          TEXT NOT NULL,
        agency          TEXT NOT NULL,
        queue           TEXT,
        site            TEXT,
        agent           TEXT,
        arrived_at      REAL NOT NULL,
        offered_at      REAL,
        rang_at         REAL,
        answered_at     REAL,
        ended_at        REAL,
        wrap_up_end_at  REAL,
        outcome         TEXT,
        state           TEXT NOT NULL,
        ended_by        TEXT,
        entry_position  INTEGER,
        offers          INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX calls_run ON calls(run_id);
    CREATE INDEX calls_open ON calls(outcome) WHERE outcome IS NULL;
    CREATE INDEX calls_offered ON calls(offered_at);
    CREATE TABLE call_events (
        seq      INTEGER PRIMARY KEY,
        at       REAL NOT NULL,
        call_id  TEXT NOT NULL,
        queue    TEXT,
        agent    TEXT,
        event    TEXT NOT NULL,
        rule     TEXT,
        data1    TEXT,
        data2    TEXT,
        data3    TEXT
    );
    CREATE INDEX call_events_call ON call_events(call_id);
    CREATE TABLE agent_sessions (
        session_id  INTEGER PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES runs(run_id),
        agent_id    TEXT NOT NULL,
        site        TEXT NOT NULL,
        login_at    REAL NOT NULL,
        logout_at   REAL,
        end_reason  TEXT
    );
    CREATE INDEX agent_sessions_open ON agent_sessions(agent_id) WHERE logout_at IS NULL;
    CREATE TABLE agent_states (
        seq       INTEGER PRIMARY KEY,
        run_id    INTEGER NOT NULL REFERENCES runs(run_id),
        at        REAL NOT NULL,
        agent_id  TEXT NOT NULL,
        site      TEXT NOT NULL,
        status    TEXT NOT NULL,
        reason    TEXT,
        rule      TEXT,
        call_id   TEXT
    );
    CREATE INDEX agent_states_run ON agent_states(run_id, agent_id, seq);
    """,
    # 2: the caller directory, contact history, screen pops, cases and the audit trail
    """
    CREATE TABLE people (
        person_id     TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        agency        TEXT NOT NULL,
        title         TEXT NOT NULL,
        office_phone  TEXT NOT NULL,
        mobile        TEXT NOT NULL,
        email         TEXT NOT NULL,
        national_id   TEXT NOT NULL UNIQUE,
        synthetic     INTEGER NOT NULL,
        source        TEXT NOT NULL
    );
    CREATE TABLE people_phones (
        phone_key  TEXT PRIMARY KEY,
        person_id  TEXT NOT NULL REFERENCES people(person_id),
        kind       TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX people_phones_person ON people_phones(person_id);
    ALTER TABLE calls ADD COLUMN caller_key TEXT;
    ALTER TABLE calls ADD COLUMN person_id TEXT;
    ALTER TABLE calls ADD COLUMN case_id TEXT;
    ALTER TABLE calls ADD COLUMN ivr TEXT;
    ALTER TABLE calls ADD COLUMN disposition TEXT;
    ALTER TABLE calls ADD COLUMN notes TEXT;
    CREATE INDEX calls_person ON calls(person_id, arrived_at) WHERE person_id IS NOT NULL;
    CREATE INDEX calls_caller_key ON calls(caller_key, arrived_at);
    CREATE TABLE screen_pops (
        call_id  TEXT PRIMARY KEY,
        at       REAL NOT NULL,
        pop      TEXT NOT NULL
    );
    CREATE TABLE cases (
        case_id      TEXT PRIMARY KEY,
        call_id      TEXT,
        person_id    TEXT,
        caller       TEXT NOT NULL,
        system       TEXT NOT NULL,
        agency       TEXT NOT NULL,
        channel      TEXT NOT NULL,
        status       TEXT NOT NULL,
        tier         TEXT NOT NULL,
        owner        TEXT,
        priority     TEXT NOT NULL,
        created_at   REAL NOT NULL,
        due_at       REAL NOT NULL,
        closed_at    REAL,
        disposition  TEXT,
        notes        TEXT
    );
    CREATE INDEX cases_open_due ON cases(due_at) WHERE status != 'closed';
    CREATE INDEX cases_person ON cases(person_id) WHERE person_id IS NOT NULL;
    CREATE INDEX cases_call ON cases(call_id);
    CREATE TABLE case_events (
        seq      INTEGER PRIMARY KEY,
        case_id  TEXT NOT NULL,
        at       REAL NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        status   TEXT NOT NULL,
        tier     TEXT NOT NULL,
        owner    TEXT,
        due_at   REAL NOT NULL,
        note     TEXT
    );
    CREATE INDEX case_events_case ON case_events(case_id, seq);
    CREATE TABLE audit (
        seq     INTEGER PRIMARY KEY,
        at      REAL NOT NULL,
        actor   TEXT NOT NULL,
        role    TEXT,
        action  TEXT NOT NULL,
        target  TEXT NOT NULL,
        detail  TEXT
    );
    """,
    # 3: the lease: which server holds the database, and an epoch that only grows (cti.store.lease);
    #    the staff table (who is a supervisor or QA: the authority on roles), and the operating-system
    #    account that ran each audited command
    """
    CREATE TABLE lease (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        epoch         INTEGER NOT NULL CHECK (epoch >= 0),
        held          INTEGER NOT NULL CHECK (held IN (0, 1)),
        pid           INTEGER,
        host          TEXT,
        server_id     TEXT,
        started_at    REAL,
        heartbeat_at  REAL,
        released_at   REAL
    );
    INSERT INTO lease (id, epoch, held) VALUES (1, 0, 0);
    CREATE TRIGGER lease_epoch_only_grows BEFORE UPDATE OF epoch ON lease WHEN NEW.epoch < OLD.epoch
    BEGIN SELECT RAISE(ABORT, 'the lease epoch only grows'); END;
    CREATE TRIGGER lease_row_stays BEFORE DELETE ON lease
    BEGIN SELECT RAISE(ABORT, 'the lease row is never deleted'); END;
    CREATE TRIGGER lease_row_alone BEFORE INSERT ON lease WHEN (SELECT COUNT(*) FROM lease) > 0
    BEGIN SELECT RAISE(ABORT, 'the lease row is never replaced'); END;
    CREATE TABLE staff (
        staff_id  TEXT PRIMARY KEY,
        name      TEXT NOT NULL,
        role      TEXT NOT NULL CHECK (role IN ('supervisor', 'qa', 'operator')),
        added_at  REAL NOT NULL,
        source    TEXT NOT NULL
    );
    ALTER TABLE audit ADD COLUMN os_account TEXT;
    """,
    # 4: the IVR. A call still in the IVR, or one that never left it, has no system yet: calls.system and
    #    calls.agency become nullable. SQLite cannot drop NOT NULL in place, so the table is rebuilt (every
    #    column, its foreign key and its indexes as they were; calls has no triggers) in this migration's
    #    transaction. New columns: the caller's language, the IVR's outcome, and the seconds from arrival to
    #    leaving the IVR.
    """
    CREATE TABLE calls_4 (
        call_id         TEXT PRIMARY KEY,
        run_id          INTEGER NOT NULL REFERENCES runs(run_id),
        channel         TEXT NOT NULL,
        caller          TEXT NOT NULL,
        dialled         TEXT NOT NULL,
        system          TEXT,
        agency          TEXT,
        queue           TEXT,
        site            TEXT,
        agent           TEXT,
        arrived_at      REAL NOT NULL,
        offered_at      REAL,
        rang_at         REAL,
        answered_at     REAL,
        ended_at        REAL,
        wrap_up_end_at  REAL,
        outcome         TEXT,
        state           TEXT NOT NULL,
        ended_by        TEXT,
        entry_position  INTEGER,
        offers          INTEGER NOT NULL DEFAULT 0,
        caller_key      TEXT,
        person_id       TEXT,
        case_id         TEXT,
        ivr             TEXT,
        disposition     TEXT,
        notes           TEXT,
        language        TEXT,
        ivr_outcome     TEXT,
        ivr_s           REAL
    );
    INSERT INTO calls_4 (
        call_id, run_id, channel, caller, dialled, system, agency, queue, site, agent, arrived_at, offered_at,
        rang_at, answered_at, ended_at, wrap_up_end_at, outcome, state, ended_by, entry_position, offers,
        caller_key, person_id, case_id, ivr, disposition, notes
    )
    SELECT
        call_id, run_id, channel, caller, dialled, system, agency, queue, site, agent, arrived_at, offered_at,
        rang_at, answered_at, ended_at, wrap_up_end_at, outcome, state, ended_by, entry_position, offers,
        caller_key, person_id, case_id, ivr, disposition, notes
    FROM calls;
    DROP TABLE calls;
    ALTER TABLE calls_4 RENAME TO calls;
    CREATE INDEX calls_run ON calls(run_id);
    CREATE INDEX calls_open ON calls(outcome) WHERE outcome IS NULL;
    CREATE INDEX calls_offered ON calls(offered_at);
    CREATE INDEX calls_person ON calls(person_id, arrived_at) WHERE person_id IS NOT NULL;
    CREATE INDEX calls_caller_key ON calls(caller_key, arrived_at);
    """,
    # 5: the post-call survey. One row per survey offered (its call's agent, case, system and agency are the
    #    call's: join through calls), one row per answer given, stored as it is keyed (a hang-up keeps it).
    """
    CREATE TABLE surveys (
        call_id     TEXT PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES runs(run_id),
        language    TEXT NOT NULL,
        offered_at  REAL NOT NULL,
        consented   INTEGER NOT NULL DEFAULT 0,
        ended_at    REAL,
        outcome     TEXT
    );
    CREATE INDEX surveys_run ON surveys(run_id);
    CREATE TABLE survey_answers (
        call_id   TEXT NOT NULL,
        question  TEXT NOT NULL,
        answer    INTEGER NOT NULL,
        at        REAL NOT NULL,
        PRIMARY KEY (call_id, question)
    );
    """,
    # 6: call-backs keeping their place. When the caller asked to be called back (NULL: never), when an agent
    #    last accepted its dial (for a completed call-back, the dial the caller answered), and how many dials.
    """
    ALTER TABLE calls ADD COLUMN callback_at REAL;
    ALTER TABLE calls ADD COLUMN callback_accepted_at REAL;
    ALTER TABLE calls ADD COLUMN callback_dials INTEGER NOT NULL DEFAULT 0;
    """,
)

#: How long any connection waits for another's write lock before giving up with "database is locked", in seconds.
BUSY_TIMEOUT_S = 30.0


SQLITE_HEADER = b"SQLite format 3\x00"


def check_ours(path: Path, *, empty_ok: bool = False) -> None:
    """Refuse, without changing it, a file that is not a database this program wrote.

    Read through a read-only connection, so a foreign file is neither switched to WAL nor given tables.
    """
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"--db: {path}: cannot read: {exc.strerror or exc}") from None
    if not header:
        if empty_ok:
            return
        raise StoreError(f"--db: {path} is an empty file, not a database written by cti demo")
    if header != SQLITE_HEADER:
        raise StoreError(f"--db: {path} is not an SQLite database")
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        ) as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"--db: {path} is not a usable database ({exc})") from None
    if version == 0 and tables:
        raise StoreError(f"--db: {path} is an SQLite database of another program (no cti tables); left as it was")


async def migrate(db: aiosqlite.Connection, path: Path) -> None:
    """Bring the database at ``path`` up to the newest schema, one migration per transaction.

    Each migration runs in a ``BEGIN IMMEDIATE`` transaction that reads the version again first, so two
    processes opening a new database at once apply each migration once.
    """
    version = await _version(db)
    while True:
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{path}: database schema version {version} is newer than this program knows ({len(MIGRATIONS)})"
            )
        if version == len(MIGRATIONS):
            return
        await db.execute("BEGIN IMMEDIATE")
        try:
            version = await _version(db)
            if version < len(MIGRATIONS):
                version += 1
                for statement in statements(MIGRATIONS[version - 1]):
                    await db.execute(statement)
                after = _AFTER_MIGRATION.get(version)
                if after is not None:
                    await after(db)
                await db.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            await db.rollback()
            raise
        await db.commit()


def statements(script: str) -> list[str]:
    """The SQL statements of a migration, one by one (a trigger's body stays whole)."""
    found: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                found.append(pending.strip())
            pending = ""
    return found


async def _version(db: aiosqlite.Connection) -> int:
    cur = await db.execute("PRAGMA user_version")
    row = await cur.fetchone()
    await cur.close()
    return int(row[0]) if row else 0


async def _key_earlier_calls(db: aiosqlite.Connection) -> None:
    """Migration 2: calls recorded before it get their caller key, so they count in contact history."""
    cur = await db.execute("SELECT call_id, caller FROM calls")
    rows = await cur.fetchall()
    await cur.close()
    keyed = [(key, call_id) for call_id, caller in rows if is_phone_key(key := caller_key(caller))]
    await db.executemany("UPDATE calls SET caller_key = ? WHERE call_id = ?", keyed)


_AFTER_MIGRATION: dict[int, Callable[[aiosqlite.Connection], Awaitable[None]]] = {2: _key_earlier_calls}
