"""The lease: one server per database.

The one-row table ``lease`` (schema 3) says which server holds the database:
its process id, host name and server id, when it took the lease and its last
heartbeat, in wall time (``time.time()``, whatever clock the centre runs
on), and an **epoch** that only grows (triggers refuse to lower it, to delete
the row or to insert another, ``INSERT OR REPLACE`` included).

* A server takes the lease before it does anything else (:func:`take`), in
  one ``BEGIN IMMEDIATE`` transaction. A free lease, or one whose holder is
  known dead (same host, process gone), is taken at once; one whose
  heartbeat is older than :data:`LEASE_TIMEOUT_S` is taken then, if the holder
  is on another host or is a process of this host that is stopped (a running
  process of this host keeps its lease however late its heartbeat: another
  connection holding the write lock delays a heartbeat). A live holder's lease is
  refused with :class:`LeaseHeld`, naming the holder, and nothing changes.
  Taking adds one to the epoch.
* While it holds the lease, a thread refreshes the heartbeat every
  :data:`HEARTBEAT_S` of real time (:class:`Heartbeat`), and every write
  transaction of the server's store begins with :data:`FENCE`, which matches
  only while the lease still has this holder and epoch. When it matches
  nothing, the transaction is rolled back and :class:`LeaseLost` raised:
  a server whose lease was taken over cannot write (fencing).
* A clean exit releases the lease (``held`` = 0); the epoch stays.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from cti.store.errors import StoreError
from cti.store.schema import BUSY_TIMEOUT_S

#: A heartbeat older than this (wall seconds) is stale: the lease may be taken from a holder that is not known dead.
LEASE_TIMEOUT_S = 3.0
#: How often the holder refreshes its heartbeat (wall seconds); its store's commits refresh it too.
HEARTBEAT_S = 0.5

Wall = Callable[[], float]

_ROW = "SELECT epoch, held, pid, host, server_id, started_at, heartbeat_at FROM lease WHERE id = 1"
_HOLDER = "id = 1 AND held = 1 AND epoch = ? AND pid = ? AND host = ? AND server_id = ?"
#: The first statement of every write transaction of a server: matches one row while the lease is still its own.
FENCE = f"UPDATE lease SET heartbeat_at = ? WHERE {_HOLDER}"
_TAKE = (
    "UPDATE lease SET epoch = epoch + 1, held = 1, pid = ?, host = ?, server_id = ?, started_at = ?, "
    "heartbeat_at = ?, released_at = NULL WHERE id = 1 AND epoch = ?"
)
_RELEASE = f"UPDATE lease SET held = 0, heartbeat_at = ?, released_at = ? WHERE {_HOLDER}"


class LeaseHeld(StoreError):
    """Another server holds the database's lease and is alive."""


class LeaseLost(StoreError):
    """This server's lease was taken over: it must not write again, and stops."""


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease as a server holds it: the key every fenced write checks."""

    path: Path
    epoch: int
    pid: int
    host: str
    server_id: str
    started_at: float

    def key(self) -> tuple[int, int, str, str]:
        return self.epoch, self.pid, self.host, self.server_id


@dataclass(frozen=True, slots=True)
class Holder:
    """The lease row as read: who holds it (or last held it) and under which epoch."""

    epoch: int
    held: bool
    pid: int | None
    host: str | None
    server_id: str | None
    started_at: float | None
    heartbeat_at: float | None

    def describe(self, now: float) -> str:
        """The holder, for a message, with its heartbeat's age at ``now`` (wall time).

        ``server cti-a (process 4242 on host h1, epoch 3) since 2026-11-30 07:50:01 UTC, last heartbeat 0.4 s ago``
        """
        since = _utc(self.started_at)
        beat = f"{now - self.heartbeat_at:.1f} s ago" if self.heartbeat_at is not None else "never"
        return (
            f"server {self.server_id} (process {self.pid} on host {self.host}, epoch {self.epoch}) "
            f"since {since}, last heartbeat {beat}"
        )


def process_alive(pid: int) -> bool:
    """Whether a process of this host with this id is running (a killed one not yet reaped is not)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])


def process_running(pid: int) -> bool:
    """Whether a live process of this host is running, not stopped (SIGSTOP, a debugger): state ``T``/``t``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] not in (["T"], ["t"])


def verdict(
    holder: Holder,
    now: float,
    host: str,
    alive: Callable[[int], bool] | None = None,
    running: Callable[[int], bool] | None = None,
) -> str:
    """Whether the lease can be taken: ``free``, ``dead`` (at once), ``stale`` (timed out), or ``live`` (refused).

    On this host the process itself is asked: a running holder is live however old its heartbeat (another
    connection holding the write lock for seconds delays the heartbeat, not the holder), a stopped one is
    judged by its heartbeat. A holder on another host is judged by its heartbeat alone.
    """
    if not holder.held:
        return "free"
    here = holder.host == host and holder.pid is not None
    if here and holder.pid is not None and not (alive or process_alive)(holder.pid):
        return "dead"
    if here and holder.pid is not None and (running or process_running)(holder.pid):
        return "live"
    if holder.heartbeat_at is None or now - holder.heartbeat_at > LEASE_TIMEOUT_S:
        return "stale"
    return "live"


async def take(db: aiosqlite.Connection, path: Path, server_id: str, wall: Wall = time.time) -> Lease:
    """Take the lease of the database at ``path`` for this process, or raise :class:`LeaseHeld` changing nothing."""
    pid, host = os.getpid(), socket.gethostname()
    await db.execute("BEGIN IMMEDIATE")
    try:
        holder = await read_holder(db)
        now = wall()
        if verdict(holder, now, host) == "live":
            raise LeaseHeld(
                f"--db: {path} is in use by {holder.describe(now)}; one server per database: stop that one "
                f"first (a holder that stops heartbeating loses the lease after {LEASE_TIMEOUT_S:g} s)"
            )
        cur = await db.execute(_TAKE, (pid, host, server_id, now, now, holder.epoch))
        if cur.rowcount != 1:
            raise StoreError(f"--db: {path}: the lease changed while it was being taken")
    except BaseException:
        await db.rollback()
        raise
    await db.commit()
    return Lease(path, holder.epoch + 1, pid, host, server_id, now)


async def fence(db: aiosqlite.Connection, lease: Lease, wall: Wall = time.time) -> None:
    """In a write transaction begun: refresh the heartbeat if the lease is still ours, else roll back and raise."""
    cur = await db.execute(FENCE, (wall(), *lease.key()))
    if cur.rowcount == 1:
        return
    await db.rollback()
    raise lost(lease, await read_holder(db), wall())


async def release(db: aiosqlite.Connection, lease: Lease, wall: Wall = time.time) -> None:
    """Mark the lease free (a clean exit); the epoch stays. Does nothing if it is no longer ours."""
    now = wall()
    await db.execute("BEGIN IMMEDIATE")
    try:
        await db.execute(_RELEASE, (now, now, *lease.key()))
    except BaseException:
        await db.rollback()
        raise
    await db.commit()


async def read_holder(db: aiosqlite.Connection) -> Holder:
    cur = await db.execute(_ROW)
    row = await cur.fetchone()
    await cur.close()
    if row is None:
        raise StoreError("the lease row is missing: not a database this program wrote")
    return _holder(tuple(row))


def lost(lease: Lease, holder: Holder, now: float) -> LeaseLost:
    """The error of a server whose lease is gone, naming who has it now."""
    if holder.held:
        by = f"taken over by {holder.describe(now)}"
    else:
        by = f"released (epoch {holder.epoch}) by another process"
    return LeaseLost(
        f"--db: {lease.path}: this server's lease (server {lease.server_id}, epoch {lease.epoch}) was {by}; "
        "stopped without writing anything more"
    )


class Heartbeat:
    """Refreshes the lease every :data:`HEARTBEAT_S` of real time, in a thread of its own with its own connection.

    Independent of the event loop, so it beats in virtual time too and while
    the loop is busy; ``on_lost`` is called (from the thread) with the error
    once the lease is found taken over, and the thread ends.
    """

    def __init__(
        self, lease: Lease, on_lost: Callable[[LeaseLost], None], wall: Wall = time.time, every: float = HEARTBEAT_S
    ) -> None:
        self.lease = lease
        self.beats = 0
        self._on_lost = on_lost
        self._wall = wall
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-heartbeat-{lease.epoch}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        db = sqlite3.connect(self.lease.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            while not self._stop.wait(self._every):
                error = self._beat(db)
                if error is not None:
                    self._on_lost(error)
                    return
        finally:
            db.close()

    def _beat(self, db: sqlite3.Connection) -> LeaseLost | None:
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                matched = db.execute(FENCE, (self._wall(), *self.lease.key())).rowcount
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            if matched == 1:
                self.beats += 1
                return None
            row = db.execute(_ROW).fetchone()
        except sqlite3.Error:
            return None  # busy past the timeout, say: the next beat (or the store's next commit) tries again
        if row is None:
            return None
        return lost(self.lease, _holder(tuple(row)), self._wall())


def _holder(row: tuple[Any, ...]) -> Holder:
    epoch, held, pid, host, server_id, started_at, heartbeat_at = row
    return Holder(int(epoch), bool(held), pid, host, server_id, started_at, heartbeat_at)


def _utc(t: float | None) -> str:
    if t is None:
        return "an unknown time"
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
