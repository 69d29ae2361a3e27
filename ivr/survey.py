"""The post-call survey: a pure state machine, driven like the IVR engine.

After the agent releases a call the caller's line comes here instead of
being released (the caller who hangs up first gets no survey). The flow
(docs/live-centre.md, "The post-call survey"):

1. the consent prompt ("press 1 to rate our service"): ``1`` takes the
   survey, ``*`` repeats the prompt, any other key or no key before the digit
   timeout declines it (no thank-you; the line is released at once);
2. each question of the centre file in turn: a key from ``low`` to ``high``
   is the answer (an :class:`Answer` command, stored at once); ``*`` repeats
   the question; another key or none is retried with the IVR's ``invalid`` or
   ``no_input`` prompt, ``retries`` times, then the question is left
   unanswered and the next one asked;
3. the thank-you (no keys taken); then :class:`SurveyEnded`.

A hang-up at any point ends the survey with the answers given so far (they
were each returned as an :class:`Answer` when keyed). Every survey that
starts ends in exactly one :class:`SurveyEnded`.

Like :class:`ivr.Ivr` it never reads a clock: events come in with ``now``,
its own timers (prompt safety, digit timeout) run in :meth:`Survey.advance`,
and it returns commands (:class:`ivr.Play`, :class:`Answer`,
:class:`SurveyEnded`). Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ivr.commands import Play
from ivr.errors import ClockError, InvalidEvent, UnknownCall
from ivr.events import CallerHungUp, DigitsPressed, PromptFinished
from ivr.plan import INVALID, NO_INPUT, PROMPT_GRACE_S, REPEAT_KEY
from ivr.prompts import PromptText
from ivr.survey_plan import CONSENT, THANKS, SurveyPlan
from ivr.timers import Timer, TimerKind, Timers

#: The key that consents.
CONSENT_KEY = "1"
#: The keys a caller can press.
KEYS = frozenset("0123456789*#")
MAX_KEYS = 32


class SurveyOutcome(StrEnum):
    """How a survey ended. Values are stable codes (stored in ``surveys.outcome``)."""

    DECLINED = "declined"
    """No consent: another key, no key, or a hang-up at the consent prompt."""
    COMPLETED = "completed"
    """Every question answered."""
    PARTIAL = "partial"
    """Consented, but a question was left unanswered (a hang-up, or its retries used up)."""


@dataclass(frozen=True, slots=True)
class SurveyOffered:
    """The agent released the call: its caller is offered the survey, in ``language`` (a prompt language)."""

    call_id: str
    language: str


@dataclass(frozen=True, slots=True)
class Answer:
    """The caller answered ``question`` with ``value``: store it now (a later hang-up keeps it)."""

    call_id: str
    question: str
    value: int


@dataclass(frozen=True, slots=True)
class SurveyEnded:
    """Final: the survey is over. ``consented``: the caller pressed 1; ``answered``: answers given."""

    call_id: str
    outcome: SurveyOutcome
    consented: bool
    answered: int


SurveyEvent = SurveyOffered | PromptFinished | DigitsPressed | CallerHungUp
SurveyCommand = Play | Answer | SurveyEnded


class _Phase(StrEnum):
    CONSENT = "consent"
    QUESTION = "question"
    THANKS = "thanks"


_Item = tuple[str, bool]  # (prompt, collect)


class _State:
    __slots__ = ("answered", "consented", "failures", "id", "index", "phase", "playing", "playlist", "token", "voice")

    def __init__(self, call_id: str, voice: str) -> None:
        self.id = call_id
        self.voice = voice
        self.phase = _Phase.CONSENT
        self.index = 0
        self.failures = 0
        self.answered = 0
        self.consented = False
        self.playing: _Item | None = None
        self.playlist: list[_Item] = []
        self.token = 0


class Survey:
    """Every call in the survey, and their timers.

    ``prompts``: prompt id → prompt language → :class:`~ivr.PromptText` (the
    IVR plan's), for the prompt safety timer.
    """

    def __init__(self, plan: SurveyPlan, prompts: Mapping[str, Mapping[str, PromptText]], *, now: float = 0.0) -> None:
        self.plan = plan
        self.prompts = prompts
        self.now = now
        self.calls: dict[str, _State] = {}
        self._timers = Timers()
        self._out: list[SurveyCommand] = []

    def __len__(self) -> int:
        return len(self.calls)

    def active(self, call_id: str) -> bool:
        return call_id in self.calls

    def where(self, call_id: str) -> str:
        """``consent``, a question's id, or ``thanks``."""
        call = self._call(call_id)
        if call.phase is _Phase.QUESTION:
            return self.plan.questions[call.index].id
        return call.phase.value

    def apply(self, event: SurveyEvent, now: float) -> list[SurveyCommand]:
        """Apply one event at ``now``; errors (``unknown-call``, ``invalid-event``, ``clock-error``) change nothing."""
        if not now >= self.now:
            raise ClockError(f"time went backwards: {now} < {self.now}")
        at = self.next_timer_at()
        if at is not None and at <= now:
            raise ClockError(f"timers are due by {now}: call advance({now}) before apply()")
        if isinstance(event, SurveyOffered):
            if event.call_id in self.calls:
                raise InvalidEvent(f"call {event.call_id!r} is already in the survey")
            if event.language not in self.prompts.get(CONSENT, {}):
                raise InvalidEvent(f"no survey prompts in language {event.language!r}")
            self.now = now
            call = _State(event.call_id, event.language)
            self.calls[call.id] = call
            self._play(call, [(CONSENT, True)])
        elif isinstance(event, PromptFinished):
            call = self._call(event.call_id)
            self.now = now
            if call.playing is not None and call.playing[0] == event.prompt and event.language in (None, call.voice):
                self._prompt_done(call)
        elif isinstance(event, DigitsPressed):
            call = self._call(event.call_id)
            if not event.digits or len(event.digits) > MAX_KEYS or not set(event.digits) <= KEYS:
                raise InvalidEvent(f"keys must be 1-{MAX_KEYS} of 0-9 * #, got {event.digits!r}")
            self.now = now
            for key in event.digits:
                if call.id not in self.calls:
                    break
                self._key(call, key)
        elif isinstance(event, CallerHungUp):
            call = self._call(event.call_id)
            self.now = now
            self._finish(call)
        else:
            raise TypeError(f"not a survey event: {event!r}")
        return self._flush()

    def advance(self, now: float) -> list[SurveyCommand]:
        """Run every timer due by ``now``, each at its own time."""
        if not now >= self.now:
            raise ClockError(f"time went backwards: {now} < {self.now}")
        while True:
            timer = self._timers.peek()
            if timer is None or timer[0] > now:
                break
            self._timers.pop()
            if self._live(timer):
                self.now = max(self.now, timer[0])
                call = self.calls[timer[3]]
                if timer[2] is TimerKind.PROMPT:
                    self._prompt_done(call)
                else:
                    self._fail(call, NO_INPUT)
        self.now = now
        return self._flush()

    def next_timer_at(self) -> float | None:
        while True:
            timer = self._timers.peek()
            if timer is None:
                return None
            if self._live(timer):
                return timer[0]
            self._timers.pop()

    # ------------------------------------------------------------------

    def _live(self, timer: Timer) -> bool:
        call = self.calls.get(timer[3])
        return call is not None and call.token == timer[4]

    def _set_timer(self, call: _State, due: float, kind: TimerKind) -> None:
        call.token += 1
        self._timers.set(due, kind, call.id, call.token)

    def _play(self, call: _State, items: list[_Item]) -> None:
        call.playlist = items
        self._next_prompt(call)

    def _next_prompt(self, call: _State) -> None:
        item = call.playlist.pop(0)
        call.playing = item
        prompt, collect = item
        self._out.append(Play(call.id, prompt, call.voice, collect))
        seconds = self.prompts[prompt][call.voice].seconds
        self._set_timer(call, self.now + seconds + PROMPT_GRACE_S, TimerKind.PROMPT)

    def _prompt_done(self, call: _State) -> None:
        call.playing = None
        if call.playlist:
            self._next_prompt(call)
        elif call.phase is _Phase.THANKS:
            self._finish(call)
        else:
            self._set_timer(call, self.now + self.plan.digit_timeout_s, TimerKind.DIGIT)

    def _ask(self, call: _State, before: list[_Item] | None = None) -> None:
        question = self.plan.questions[call.index]
        self._play(call, (before or []) + [(question.prompt, True)])

    def _next_question(self, call: _State) -> None:
        call.index += 1
        call.failures = 0
        if call.index < len(self.plan.questions):
            call.phase = _Phase.QUESTION
            self._ask(call)
        else:
            call.phase = _Phase.THANKS
            self._play(call, [(THANKS, False)])

    def _key(self, call: _State, key: str) -> None:
        if call.phase is _Phase.THANKS:
            return
        if call.playing is not None:  # barge-in
            call.playing = None
            call.playlist = []
        if call.phase is _Phase.CONSENT:
            if key == REPEAT_KEY:
                self._play(call, [(CONSENT, True)])
            elif key == CONSENT_KEY:
                call.consented = True
                call.index = -1
                self._next_question(call)
            else:
                self._finish(call)
            return
        question = self.plan.questions[call.index]
        if key == REPEAT_KEY:
            self._ask(call)
        elif question.takes(key):
            call.answered += 1
            self._out.append(Answer(call.id, question.id, int(key)))
            self._next_question(call)
        else:
            self._fail(call, INVALID)

    def _fail(self, call: _State, prompt: str) -> None:
        if call.phase is _Phase.CONSENT:
            self._finish(call)  # nothing keyed at the consent prompt: declined
            return
        call.failures += 1
        if call.failures > self.plan.retries:
            self._next_question(call)  # left unanswered
            return
        self._ask(call, [(prompt, True)])

    def _finish(self, call: _State) -> None:
        del self.calls[call.id]
        if not call.consented:
            outcome = SurveyOutcome.DECLINED
        elif call.answered == len(self.plan.questions):
            outcome = SurveyOutcome.COMPLETED
        else:
            outcome = SurveyOutcome.PARTIAL
        self._out.append(SurveyEnded(call.id, outcome, call.consented, call.answered))

    def _call(self, call_id: str) -> _State:
        call = self.calls.get(call_id)
        if call is None:
            raise UnknownCall(call_id)
        return call

    def _flush(self) -> list[SurveyCommand]:
        out, self._out = self._out, []
        return out
