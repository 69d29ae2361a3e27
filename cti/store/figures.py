"""A run's figures, computed from its rows in the store (the ``cti demo`` summary; reports to come read the same).

The definitions are the routing core's (:mod:`routing.figures`), the same the
simulator uses; this module only turns the store's rows into their inputs.
"""

from __future__ import annotations

from cti.store import CallRecord, Store
from routing.centre import Centre
from routing.figures import CallFacts, Summary, agent_time, summarize


def facts(record: CallRecord) -> CallFacts:
    return CallFacts(
        system=record.system,
        outcome=record.outcome,
        offered_at=record.offered_at,
        answered_at=record.answered_at,
        ended_at=record.ended_at,
        wrap_up_end_at=record.wrap_up_end_at,
        site=record.site,
    )


async def run_summary(store: Store, centre: Centre, run_id: int, end: float) -> Summary:
    """The figures of one run, computed from its calls and agent states in the store."""
    calls = await store.calls(run_id)
    states = await store.agent_states(run_id)
    skills = {a.id: frozenset(a.skills) for a in centre.agents}
    times = agent_time(((s.agent_id, s.site, s.at, s.status) for s in states), skills, end)
    return summarize(
        (facts(c) for c in calls),
        times,
        centre.info.service_level_seconds,
        systems=[s.id for s in centre.systems],
        sites=[s.id for s in centre.sites],
    )
