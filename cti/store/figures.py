"""A run's figures, computed from its rows in the store (the ``cti demo`` summary; reports to come read the same).

The definitions are the routing core's (:mod:`routing.figures`), the same the
simulator uses; this module only turns the store's rows into their inputs.
"""

from __future__ import annotations

from collections.abc import Iterable

from cti.store import CallRecord, Journal, JournalEntry, Store
from routing.centre import Centre
from routing.commands import Rule
from routing.figures import CallFacts, OfferFacts, Summary, agent_time, summarize

#: The verbs that close an offer (the phone stops ringing), and the verbs that end an answered call.
_OFFER_CLOSED = frozenset({Journal.RINGNOANSWER, Journal.RINGCANCELED, Journal.CONNECT})
_COMPLETED = frozenset({Journal.COMPLETECALLER, Journal.COMPLETEAGENT})


def facts(record: CallRecord) -> CallFacts:
    return CallFacts(
        system=record.system if record.system is not None else "",  # not offered yet: no system
        outcome=record.outcome,
        offered_at=record.offered_at,
        answered_at=record.answered_at,
        ended_at=record.ended_at,
        wrap_up_end_at=record.wrap_up_end_at,
        site=record.site,
    )


async def run_summary(store: Store, centre: Centre, run_id: int, end: float) -> Summary:
    """The figures of one run, computed from its calls, call journal and agent states in the store."""
    calls = await store.calls(run_id)
    states = await store.agent_states(run_id)
    journal = await store.run_journal(run_id)
    skills = {a.id: frozenset(a.skills) for a in centre.agents}
    times = agent_time(((s.agent_id, s.site, s.at, s.status) for s in states), skills, end)
    return summarize(
        (facts(c) for c in calls),
        times,
        centre.info.service_level_seconds,
        systems=[s.id for s in centre.systems],
        sites=[s.id for s in centre.sites],
        offers=offers(journal),
        backup_seats=[a.id for a in centre.agents if a.backup],
    )


def offers(journal: Iterable[JournalEntry]) -> list[OfferFacts]:
    """Every offer the journal records (a ``RINGING`` row), as it ended.

    An offer is missed when it rang out (``RINGNOANSWER``) or the agent
    declined it (``RINGCANCELED`` by rule ``agent-declined``); answered when
    the agent was connected (``CONNECT``) and the call then completed
    (``COMPLETECALLER``/``COMPLETEAGENT``), so a call interrupted while talking
    counts as an offer but not as answered.
    """
    found: list[OfferFacts] = []
    ringing: dict[str, tuple[str, bool]] = {}  # call -> (agent, backup) while it rings
    talking: dict[str, tuple[str, bool]] = {}  # call -> (agent, backup) once connected
    for e in journal:
        if e.event == Journal.RINGING and e.agent_id is not None:
            if e.call_id in ringing:  # rang again with no journalled end of the last ring
                found.append(OfferFacts(ringing[e.call_id][0], backup=ringing[e.call_id][1]))
            ringing[e.call_id] = (e.agent_id, bool(e.data.get("backup_seat", False)))
        elif e.event in _OFFER_CLOSED and e.call_id in ringing:
            agent, backup = ringing.pop(e.call_id)
            if e.event == Journal.CONNECT:
                talking[e.call_id] = (agent, backup)
                continue
            missed = e.event == Journal.RINGNOANSWER or e.rule == Rule.AGENT_DECLINED
            found.append(OfferFacts(agent, backup=backup, missed=missed))
        elif e.event in _COMPLETED and e.call_id in talking:
            agent, backup = talking.pop(e.call_id)
            found.append(OfferFacts(agent, backup=backup, answered=True))
    # still ringing or talking when the journal stops (the call was interrupted): offered, neither answered nor missed
    found += [OfferFacts(agent, backup=backup) for agent, backup in (*ringing.values(), *talking.values())]
    return found
