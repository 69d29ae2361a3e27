"""The post-call survey: the server's part that drives :class:`ivr.Survey`.

A centre whose file has a ``[survey]`` table (beside ``[ivr]``) offers it
after every answered call the *agent* ends: instead of releasing the line,
the server hands the caller to the survey (the agent goes to wrap-up and then
ready exactly as without it: the survey never holds the agent). A caller who
hangs up first gets no survey. This part then carries out what the engine
says, through the PBX exactly as the menus do:

* ``Play``: ``play`` on ``cti/v1/pbx/{call}/ctl``; the PBX reports
  ``prompt-done`` and passes the caller's keys on as ``digits``;
* ``Answer``: the answer is stored at once (``survey_answers``; a later
  hang-up keeps it); a score at or below the survey's
  ``dissatisfied_at_most`` opens a "dissatisfied — call back" case owned by
  the supervisors (:meth:`CaseDesk.dissatisfied`);
* ``SurveyEnded``: the survey's row gets its outcome, and the PBX releases
  the line (reason ``survey-done``) unless the caller already hung up.

The survey's row (``surveys``) is written when it is offered; the call's own
row is untouched (its outcome stays ``answered``, ended by the agent), so the
queue figures do not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import ivr
from cti.live import messages as m
from cti.live.bus import Bus
from cti.live.logs import Logger
from cti.live.server.casedesk import CaseDesk
from cti.live.server.leadership import Leadership
from cti.store import CallRecord, Store
from ivr.survey import Answer, Survey, SurveyEnded, SurveyOffered

#: The release reason once the survey is over.
SURVEY_DONE = "survey-done"


@dataclass(slots=True)
class _InSurvey:
    record: CallRecord
    dissatisfied: bool = False


class SurveyCalls:
    """The survey engine and the callers in it."""

    def __init__(
        self,
        plan: ivr.IvrPlan,
        bus: Bus,
        store: Store,
        desk: CaseDesk,
        leadership: Leadership,
        *,
        run_id: int,
        log: Logger,
    ) -> None:
        assert plan.survey is not None
        self.plan = plan
        self.survey = plan.survey
        self.engine = Survey(plan.survey, plan.prompts)
        self.bus = bus
        self.store = store
        self.desk = desk
        self.leadership = leadership
        self.run_id = run_id
        self.log = log
        self.in_survey: dict[str, _InSurvey] = {}

    def active(self, call_id: str) -> bool:
        return call_id in self.in_survey

    def __len__(self) -> int:
        return len(self.in_survey)

    def next_timer_at(self) -> float | None:
        return self.engine.next_timer_at()

    def offer(self, rec: CallRecord, now: float) -> bool:
        """The agent released ``rec``: its caller hears the survey. False (nothing done) if it cannot be offered."""
        language = rec.language or self.plan.default_language.id
        try:
            voice = self.plan.prompt_language(language)
        except KeyError:
            voice = self.plan.default_language.prompt_language
        try:
            commands = self.engine.apply(SurveyOffered(rec.call_id, voice), now)
        except ivr.IvrError as exc:
            self.log.warning("survey_not_offered", call_id=rec.call_id, reason=str(exc))
            return False
        self.in_survey[rec.call_id] = _InSurvey(rec)
        self.store.survey_offered(self.run_id, rec.call_id, now, voice)
        self.execute(commands, now)
        return True

    def prompt_done(self, msg: m.PromptDone, now: float) -> None:
        self._require(msg.call_id)
        self.execute(self.engine.apply(ivr.PromptFinished(msg.call_id, msg.prompt, msg.language), now), now)

    def digits(self, msg: m.Digits, now: float) -> None:
        self._require(msg.call_id)
        self.execute(self.engine.apply(ivr.DigitsPressed(msg.call_id, msg.digits), now), now)

    def caller_hung_up(self, call_id: str, now: float) -> None:
        self._require(call_id)
        self.execute(self.engine.apply(ivr.CallerHungUp(call_id), now), now, caller_gone=True)

    def advance(self, now: float) -> None:
        self.execute(self.engine.advance(now), now)

    def _require(self, call_id: str) -> None:
        if call_id not in self.in_survey:
            raise ivr.UnknownCall(call_id)

    def execute(self, commands: list[ivr.survey.SurveyCommand], now: float, *, caller_gone: bool = False) -> None:
        for cmd in commands:
            if isinstance(cmd, ivr.Play):
                self.bus.publish(
                    m.pbx_ctl(cmd.call_id),
                    m.Play(
                        call_id=cmd.call_id,
                        prompt=cmd.prompt,
                        language=cmd.language,
                        collect=cmd.collect,
                        epoch=self.leadership.epoch,
                    ),
                )
            elif isinstance(cmd, Answer):
                self._answer(cmd, now)
            elif isinstance(cmd, SurveyEnded):
                self._ended(cmd, now, caller_gone=caller_gone)

    def _answer(self, cmd: Answer, now: float) -> None:
        call = self.in_survey[cmd.call_id]
        self.store.survey_answer(cmd.call_id, cmd.question, cmd.value, now)
        if cmd.question == self.survey.score and cmd.value <= self.survey.dissatisfied_at_most:
            case = self.desk.dissatisfied(call.record, cmd.question, cmd.value, now)
            call.dissatisfied = True
            self.log.info("survey_dissatisfied", call_id=cmd.call_id, score=cmd.value, case_id=case.case_id)

    def _ended(self, cmd: SurveyEnded, now: float, *, caller_gone: bool) -> None:
        del self.in_survey[cmd.call_id]
        self.store.survey_ended(cmd.call_id, now, str(cmd.outcome), cmd.consented)
        self.log.info("survey_ended", call_id=cmd.call_id, outcome=str(cmd.outcome), answered=cmd.answered)
        if not caller_gone:
            self.bus.publish(
                m.pbx_ctl(cmd.call_id),
                m.Release(call_id=cmd.call_id, reason=SURVEY_DONE, epoch=self.leadership.epoch),
            )
