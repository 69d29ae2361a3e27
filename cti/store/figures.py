"""A run's figures, computed from its rows in the store (the ``cti demo`` summary; reports to come read the same).

The definitions are the cores': the queue figures are :mod:`routing.figures`,
the same the simulator uses, and the IVR's are :mod:`ivr.figures`; this module
only turns the store's rows into their inputs. The two stay apart (``routing``
and ``ivr`` do not know each other): :func:`run_summary` gives the queue
figures, :func:`run_ivr` the IVR's. A call that never entered a queue (an IVR
abandon, an after-hours call) has no ``offered_at`` and is not offered; waits
run from ``offered_at``, never from arrival.
"""

from __future__ import annotations

from collections.abc import Iterable

from cti.store import CallRecord, Journal, JournalEntry, Outcome, Store
from ivr.commands import StepKind
from ivr.figures import IvrCall, IvrFigures, IvrStep, ivr_figures
from ivr.survey_figures import SurveyFigures, SurveyRecord, survey_figures
from ivr.survey_plan import SurveyPlan
from routing.centre import Centre
from routing.commands import Rule
from routing.estimate import EstimateErrors, EstimateRow, estimate_errors, rows_from
from routing.figures import (
    CallbackFacts,
    CallbackFigures,
    CallFacts,
    OfferFacts,
    Summary,
    agent_time,
    callback_figures,
    summarize,
)

#: The verbs that close an offer (the phone stops ringing), and the verbs that end an answered call.
_OFFER_CLOSED = frozenset({Journal.RINGNOANSWER, Journal.RINGCANCELED, Journal.CONNECT})
_COMPLETED = frozenset({Journal.COMPLETECALLER, Journal.COMPLETEAGENT})
#: A call-back dial the caller did not answer: the agent took the offer, but no call came of it.
_DIAL_UNANSWERED = frozenset({Journal.CALLBACKNOANSWER, Journal.CALLBACKFAILED})
#: Call outcomes of calls that never entered a queue: never offered, whatever the row says.
NOT_OFFERED = frozenset({Outcome.IVR_ABANDONED, Outcome.AFTER_HOURS})


def facts(record: CallRecord) -> CallFacts:
    """What the queue figures need of a call: offered only if it entered a queue (``offered_at``)."""
    return CallFacts(
        system=record.system if record.system is not None else "",  # not routed: no system (and not offered)
        outcome=record.outcome,
        offered_at=None if record.outcome in NOT_OFFERED else record.offered_at,
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


async def run_callbacks(store: Store, run_id: int) -> CallbackFigures:
    """The call-back figures of one run (:func:`routing.figures.callback_figures`), from its calls' rows."""
    return callback_figures(
        CallbackFacts(c.callback_at, c.outcome, c.callback_accepted_at, c.callback_dials)
        for c in await store.calls(run_id)
        if c.callback_at is not None
    )


async def run_ivr(store: Store, run_id: int) -> IvrFigures:
    """The IVR figures of one run (:mod:`ivr.figures`), from its calls and their journal's IVR rows."""
    return ivr_figures(ivr_calls(await store.calls(run_id), await store.run_journal(run_id)))


def ivr_calls(calls: Iterable[CallRecord], journal: Iterable[JournalEntry]) -> list[IvrCall]:
    """The calls that reached the IVR (an ``IVRSTART`` row, or an ``ivr_outcome``), in arrival order, as the IVR
    figures take them.

    The outcome and time in the IVR come from the call's row (``ivr_outcome``,
    ``ivr_s``), or from its ``IVREND`` row where the row lacks them; the
    language is the one the caller was served in: the row's ``language``, or
    its ``IVRSTEP`` language step — never ``IVRSTART``'s, which is only the
    language the welcome began in, so a caller who hung up before a language
    was settled has none and is not in the language mix. The steps come from
    its ``IVRSTEP`` rows, in order; where an IVR abandon hung up from its
    ``IVREND`` row.
    """
    started: set[str] = set()
    steps: dict[str, list[IvrStep]] = {}
    ended: dict[str, JournalEntry] = {}
    for e in journal:
        if e.event == Journal.IVRSTART:
            started.add(e.call_id)
        elif e.event == Journal.IVRSTEP:
            steps.setdefault(e.call_id, []).append(
                IvrStep(str(e.data.get("step", "")), _text(e.data.get("menu")), _text(e.data.get("value")))
            )
        elif e.event == Journal.IVREND:
            ended[e.call_id] = e
    found = []
    for c in calls:
        if c.call_id not in started and c.ivr_outcome is None:
            continue
        end = ended.get(c.call_id)
        end_s = end.data.get("ivr_s") if end is not None else None
        chosen = [st.value for st in steps.get(c.call_id, ()) if st.kind == StepKind.LANGUAGE and st.value]
        found.append(
            IvrCall(
                call_id=c.call_id,
                outcome=c.ivr_outcome or (_text(end.data.get("ivr_outcome")) if end is not None else None),
                language=c.language or (chosen[-1] if chosen else None),
                ivr_s=c.ivr_s if c.ivr_s is not None else (float(end_s) if isinstance(end_s, float) else None),
                steps=tuple(steps.get(c.call_id, ())),
                where=_text(end.data.get("where")) if end is not None else None,
            )
        )
    return found


async def run_estimates(store: Store, run_id: int) -> EstimateErrors:
    """The error of the queue announcements' wait estimates (:mod:`routing.estimate`) in one run."""
    return estimate_errors(estimate_rows(await store.calls(run_id), await store.run_journal(run_id)))


def estimate_rows(calls: Iterable[CallRecord], journal: Iterable[JournalEntry]) -> list[EstimateRow]:
    """Every ``ANNOUNCE`` of a call that was then answered, with the wait that followed it (to ``answered_at``)."""
    answered = {c.call_id: c.answered_at for c in calls if c.answered_at is not None}
    announced = [
        (e.call_id, e.at, float(e.data.get("estimate_s", 0.0)), float(e.data.get("naive_s", 0.0)))
        for e in journal
        if e.event == Journal.ANNOUNCE
    ]
    return rows_from(announced, answered)


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


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
        elif e.event in _DIAL_UNANSWERED and e.call_id in ringing:
            agent, backup = ringing.pop(e.call_id)  # taken, but the caller did not answer the call-back
            found.append(OfferFacts(agent, backup=backup))
        elif e.event in _COMPLETED and e.call_id in talking:
            agent, backup = talking.pop(e.call_id)
            found.append(OfferFacts(agent, backup=backup, answered=True))
    # still ringing or talking when the journal stops (the call was interrupted): offered, neither answered nor missed
    found += [OfferFacts(agent, backup=backup) for agent, backup in (*ringing.values(), *talking.values())]
    return found


async def run_survey(store: Store, run_id: int, plan: SurveyPlan) -> SurveyFigures:
    """The post-call survey figures of one run (:mod:`ivr.survey_figures`), from its ``surveys`` rows."""
    return survey_figures(
        survey_records(await store.surveys(run_id), plan.score),
        satisfied_at_least=plan.satisfied_at_least,
        dissatisfied_at_most=plan.dissatisfied_at_most,
        target=plan.target,
    )


def survey_records(rows: Iterable[tuple[object, ...]], score_question: str) -> list[SurveyRecord]:
    """:meth:`Store.surveys` rows (one per answer) as one :class:`SurveyRecord` per survey, in call order."""
    found: dict[str, SurveyRecord] = {}
    for call_id, consented, outcome, _agent, _system, _agency, _case, question, answer in rows:
        key = str(call_id)
        record = found.get(key) or SurveyRecord(key, bool(consented), None if outcome is None else str(outcome))
        if question == score_question and isinstance(answer, int):
            record = SurveyRecord(record.call_id, record.consented, record.outcome, answer)
        found[key] = record
    return list(found.values())
