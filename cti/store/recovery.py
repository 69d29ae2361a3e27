"""Recovery at start: closing what a killed process left open.

The store commits in batches, so a process killed mid-traffic leaves calls
without an outcome, agents logged in and its run unfinished. :func:`recover`
closes them, in one transaction, from what the journal last said:

* each open call becomes ``interrupted``, keeps its last known ``state`` and
  ends at the time of its last journal event, where an INTERRUPTED entry is
  added; a call that was still waiting (new, queued or ringing) leaves its
  case waiting for a call-back, since someone owes that caller a call;
* each agent still in a state other than logged-out gets a ``logged-out``
  state at their last known time, and their session is closed;
* each unfinished run is marked unclean and ended at its last event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite

from cti.casework.cases import CaseStatus
from cti.store.records import INSERT_EVENT, INSERT_STATE, INSERT_STEP, Journal, Outcome, Recovery


async def recover(
    db: aiosqlite.Connection, reason: str = "restart", before_commit: Callable[[Recovery], None] | None = None
) -> Recovery:
    """Close every call, agent session and run left open, and commit; returns what was closed.

    ``reason`` is journalled with each interrupted call: ``restart`` when a new run finds what a killed
    one left, ``stopped`` when a run closes its own calls after Ctrl-C or SIGTERM. ``before_commit`` is told
    what is being closed just before the commit (to log it first: a kill between the two then loses no warning).
    """
    open_calls = await _fetch(
        db,
        "SELECT c.call_id, c.state, c.queue, c.agent, "
        "COALESCE((SELECT MAX(at) FROM call_events e WHERE e.call_id = c.call_id), c.arrived_at) "
        "FROM calls c WHERE c.outcome IS NULL ORDER BY c.arrived_at, c.call_id",
    )
    for call_id, state, queue, agent, last_at in open_calls:
        await db.execute(
            "UPDATE calls SET outcome = ?, ended_at = ? WHERE call_id = ?",
            (Outcome.INTERRUPTED.value, last_at, call_id),
        )
        await db.execute(
            INSERT_EVENT,
            (last_at, call_id, queue, agent, Journal.INTERRUPTED.value, reason, state, None, None),
        )
        if state in {"new", "queued", "ringing"}:
            cur = await db.execute(
                "UPDATE cases SET status = ? WHERE call_id = ? AND status = ? RETURNING case_id, tier, owner, due_at",
                (CaseStatus.CALL_BACK.value, call_id, CaseStatus.OPEN.value),
            )
            for case_id, tier, owner, due_at in await cur.fetchall():
                await db.execute(
                    INSERT_STEP,
                    (
                        case_id,
                        last_at,
                        "centre",
                        "call-back",
                        CaseStatus.CALL_BACK.value,
                        tier,
                        owner,
                        due_at,
                        "interrupted",
                    ),
                )
            await cur.close()
    last_states = await _fetch(
        db,
        "SELECT s.run_id, s.agent_id, s.site, s.at, s.status FROM agent_states s "
        "WHERE s.seq = (SELECT MAX(seq) FROM agent_states t WHERE t.agent_id = s.agent_id)"
        " ORDER BY s.agent_id",
    )
    for run_id, agent_id, site, at, status in last_states:
        if status != "logged-out":
            await db.execute(INSERT_STATE, (run_id, at, agent_id, site, "logged-out", "interrupted", reason, None))
    cur = await db.execute(
        "UPDATE agent_sessions SET logout_at = COALESCE((SELECT MAX(at) FROM agent_states s "
        "WHERE s.agent_id = agent_sessions.agent_id), login_at), end_reason = 'interrupted' "
        "WHERE logout_at IS NULL"
    )
    sessions = cur.rowcount
    runs = await _fetch(db, "SELECT run_id FROM runs WHERE ended_at IS NULL ORDER BY run_id")
    await db.execute(
        "UPDATE runs SET clean = 0, ended_at = COALESCE((SELECT MAX(at) FROM call_events), started_at) "
        "WHERE ended_at IS NULL"
    )
    recovery = Recovery(tuple(r[0] for r in open_calls), sessions, tuple(r[0] for r in runs))
    if before_commit is not None:
        before_commit(recovery)
    await db.commit()
    return recovery


async def _fetch(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    cur = await db.execute(sql, tuple(params))
    rows = await cur.fetchall()
    await cur.close()
    return [tuple(r) for r in rows]
