"""The centre's figures of the day so far, as the live KPI snapshot shows them.

The server counts calls as they are offered, answered and lost, from the
start of the centre's day; a restart takes the counts up again from the
store, so a wallboard does not fall back to zero. Every second the
snapshot (:class:`cti.live.messages.Stats`) is published, retained, for consoles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cti.live import messages as m
from cti.store import Outcome, Store
from ivr import Outcome as IvrOutcome
from routing import Router
from routing.call import CallStatus


@dataclass(slots=True)
class DayCounts:
    """Calls counted since the start of the centre's day (restored from the store at start).

    ``offered`` and the counts after it are of calls that entered a queue; an
    IVR abandon (``ivr_abandoned``) and an after-hours call (``after_hours``,
    of which ``after_hours_callback`` left a number) never did, so they are
    counted apart and never as offered or abandoned (docs/live-centre.md, "IVR figures").
    """

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    interrupted: int = 0
    answered_in_threshold: int = 0
    ivr_abandoned: int = 0
    after_hours: int = 0
    after_hours_callback: int = 0


async def restore_day(store: Store, day_start: float, threshold: float) -> DayCounts:
    """The day's counts as the store has them, calls still in progress counted as offered."""
    counts = await store.counts_since(day_start, threshold)  # calls that entered a queue only
    ivr = await store.ivr_counts_since(day_start)
    return DayCounts(
        offered=sum(v for k, v in counts.items() if k != "in_threshold"),  # in progress ("open") too
        answered=counts.get(Outcome.ANSWERED, 0),
        abandoned=counts.get(Outcome.ABANDONED, 0)
        + counts.get(Outcome.NO_AGENT, 0)
        + counts.get(Outcome.CALLBACK_FAILED, 0),
        interrupted=counts.get(Outcome.INTERRUPTED, 0),
        answered_in_threshold=counts.get("in_threshold", 0),
        ivr_abandoned=ivr.get(IvrOutcome.IVR_ABANDONED, 0),
        after_hours=ivr.get(IvrOutcome.AFTER_HOURS, 0) + ivr.get(IvrOutcome.AFTER_HOURS_CALLBACK, 0),
        after_hours_callback=ivr.get(IvrOutcome.AFTER_HOURS_CALLBACK, 0),
    )


def snapshot(
    now: float,
    router: Router,
    agent_statuses: Iterable[str],
    day: DayCounts,
    cases: tuple[int, int],
    *,
    in_ivr: int = 0,
    in_survey: int = 0,
) -> m.Stats:
    """The KPI snapshot at ``now``: the day's counts, who waits and how long, agents by status, open cases,
    the calls in the IVR now (``in_ivr``: the IVR's ``len``) and the callers in the post-call survey now."""
    queued = [c for c in router.calls.values() if c.status is CallStatus.QUEUED]
    longest = max((now - c.entered_at for c in queued), default=0.0)
    agents: dict[str, int] = {}
    for status in agent_statuses:
        agents[status] = agents.get(status, 0) + 1
    by_queue: dict[str, int] = {}
    for c in queued:
        by_queue[c.queue] = by_queue.get(c.queue, 0) + 1
    open_cases, overdue = cases
    return m.Stats(
        at=now,
        offered=day.offered,
        answered=day.answered,
        abandoned=day.abandoned,
        interrupted=day.interrupted,
        answered_in_threshold=day.answered_in_threshold,
        waiting=len(queued),
        longest_wait_s=longest,
        agents=dict(sorted(agents.items())),
        waiting_by_queue=dict(sorted(by_queue.items())),
        open_cases=open_cases,
        overdue_cases=overdue,
        in_ivr=in_ivr,
        ivr_abandoned=day.ivr_abandoned,
        after_hours=day.after_hours,
        after_hours_callback=day.after_hours_callback,
        in_survey=in_survey,
    )
