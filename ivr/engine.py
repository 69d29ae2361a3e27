"""The IVR engine: applies one event at a time to the calls in the voice menus.

Like :class:`routing.Router`, it never reads a clock, sleeps, logs or
touches the network: the caller says what time it is and carries out the
returned commands. The live server and the simulator drive this same object.

Usage::

    ivr = Ivr(plan)
    commands = ivr.advance(now)                     # timers due by now
    commands += ivr.apply(CallArrived("c1", local, None), now)
    ivr.next_timer_at()                             # when to call advance() next

The flow of one call (docs/ivr.md): welcome → language menu (with several
languages) → closed: the hours and the call-back offer; open: the agency
code (when the directory did not give the agency) → the main menu →
sub-menus → :class:`~ivr.Route` to a queue. Every call that arrives ends in
exactly one ``Route``, one ``Release`` or an abandon (``Step`` of kind
``abandoned``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ivr.call import CODE_ENTRY, COLLECTING, CallState, Item, Phase
from ivr.commands import CallBack, Command, Outcome, Play, Release, Route, Step, StepKind
from ivr.errors import ClockError, InvalidEvent, UnknownCall
from ivr.events import CallArrived, CallerHungUp, DigitsPressed, Event, PromptFinished
from ivr.phone import plausible_number
from ivr.plan import (
    AGENCY,
    AGENCY_INVALID,
    CALLBACK_INVALID,
    CALLBACK_NUMBER,
    CALLBACK_OFFER,
    CALLBACK_THANKS,
    CLOSED,
    END_KEY,
    GENERAL_KEY,
    GENERAL_QUEUE,
    GOODBYE,
    INVALID,
    LANGUAGE,
    MAX_NUMBER_DIGITS,
    NO_INPUT,
    PROMPT_GRACE_S,
    REPEAT_KEY,
    WELCOME,
    IvrPlan,
)
from ivr.timers import Timer, TimerKind, Timers

#: The keys a caller can press.
KEYS = frozenset("0123456789*#")
#: The most keys one DigitsPressed may carry.
MAX_KEYS = 32
#: The key that accepts the call-back offer.
CALLBACK_KEY = "1"

_K = StepKind


class Ivr:
    """The IVR state of one centre: every call in the voice menus, and their timers."""

    def __init__(self, plan: IvrPlan, *, now: float = 0.0) -> None:
        self.plan = plan
        self.now = now
        self.calls: dict[str, CallState] = {}
        self._timers = Timers()
        self._out: list[Command] = []
        t = plan.timeouts
        self._digit_s = float(t.digit_timeout_s)
        self._inter_digit_s = float(t.inter_digit_timeout_s)
        self._retries = t.retries
        self._code_max = t.agency_code_max_digits

    # ------------------------------------------------------------------
    # Public surface
    # ------------------------------------------------------------------

    def apply(self, event: Event, now: float) -> list[Command]:
        """Apply one event at time ``now`` and return the commands to carry out.

        Raises :class:`~ivr.IvrError` (and changes nothing): ``unknown-call``
        for a call the IVR does not hold, ``invalid-event`` for a call
        arriving twice or keys that are not DTMF, ``clock-error`` if ``now``
        is earlier than the last time seen or timers due by ``now`` have not
        been run with :meth:`advance` first.
        """
        if not now >= self.now:  # also rejects NaN
            raise ClockError(f"time went backwards: {now} < {self.now}")
        at = self.next_timer_at()
        if at is not None and at <= now:
            raise ClockError(f"timers are due by {now}: call advance({now}) before apply()")
        handler = _HANDLERS.get(type(event))
        if handler is None:
            raise TypeError(f"not an IVR event: {event!r}")
        handler(self, event, now)  # validates first, raises before any change
        return self._flush()

    def advance(self, now: float) -> list[Command]:
        """Run every timer due by ``now``, each at its own time, and return the commands."""
        if not now >= self.now:
            raise ClockError(f"time went backwards: {now} < {self.now}")
        timers = self._timers
        while True:
            timer = timers.peek()
            if timer is None or timer[0] > now:
                break
            timers.pop()
            if self._live(timer):
                due, _, kind, call_id, _ = timer
                self.now = max(self.now, due)
                self._on_timer(self.calls[call_id], kind)
        self.now = now
        return self._flush()

    def next_timer_at(self) -> float | None:
        """When :meth:`advance` next has something to do, or ``None`` (no call in the IVR)."""
        while True:
            timer = self._timers.peek()
            if timer is None:
                return None
            if self._live(timer):
                return timer[0]
            self._timers.pop()

    def active(self, call_id: str) -> bool:
        """Whether the call is in the IVR (arrived, not yet routed, released or abandoned)."""
        return call_id in self.calls

    def __len__(self) -> int:
        return len(self.calls)

    def where(self, call_id: str) -> str:
        """Where a call is: a menu id, or ``welcome``, ``language``, ``agency``, ``callback``,
        ``callback-number``, ``goodbye``."""
        return self._call(call_id).where

    def timer_due(self, call_id: str) -> float:
        """When the call's one live timer is due (every call in the IVR has one)."""
        return self._call(call_id).timer_due

    def playing(self, call_id: str) -> str | None:
        """The prompt the call is hearing, or ``None`` while it waits for keys."""
        item = self._call(call_id).playing
        return item[0] if item else None

    # ------------------------------------------------------------------
    # Events: validate first, then change.
    # ------------------------------------------------------------------

    def _on_arrived(self, ev: CallArrived, now: float) -> None:
        if ev.call_id in self.calls:
            raise InvalidEvent(f"call {ev.call_id!r} is already in the IVR")
        self.now = now
        call = CallState(ev.call_id, now, ev.local, ev.agency, self.plan.prompt_languages)
        self.calls[call.id] = call
        self._play(call, Phase.GREETING, [(WELCOME, v, False) for v in call.voices])

    def _on_prompt_finished(self, ev: PromptFinished, now: float) -> None:
        call = self._call(ev.call_id)
        self.now = now
        playing = call.playing
        if playing is not None and playing[0] == ev.prompt and ev.language in (None, playing[1]):
            self._prompt_done(call)
        # Otherwise stale: a prompt cut short by a key, or already given up on by its safety timer (and
        # the next one, perhaps the same prompt in another language, is playing).

    def _on_digits(self, ev: DigitsPressed, now: float) -> None:
        call = self._call(ev.call_id)
        if not ev.digits or len(ev.digits) > MAX_KEYS or not set(ev.digits) <= KEYS:
            raise InvalidEvent(f"keys must be 1-{MAX_KEYS} of 0-9 * #, got {ev.digits!r}")
        self.now = now
        for key in ev.digits:
            if call.id not in self.calls:
                break  # routed or released by an earlier key: the rest go nowhere
            self._key(call, key)

    def _on_hung_up(self, ev: CallerHungUp, now: float) -> None:
        call = self._call(ev.call_id)
        self.now = now
        del self.calls[call.id]
        if call.phase is Phase.ENDING and call.outcome is not None:
            # The outcome was settled; only the goodbye was cut short.
            self._out.append(Release(call.id, call.outcome))
            return
        self._out.append(Step(call.id, _K.ABANDONED, call.where, None))

    # ------------------------------------------------------------------
    # Timers
    # ------------------------------------------------------------------

    def _live(self, timer: Timer) -> bool:
        call = self.calls.get(timer[3])
        return call is not None and call.token == timer[4]

    def _set_timer(self, call: CallState, due: float, kind: TimerKind) -> None:
        call.token += 1
        call.timer_due = due
        self._timers.set(due, kind, call.id, call.token)

    def _on_timer(self, call: CallState, kind: TimerKind) -> None:
        if kind is TimerKind.PROMPT:
            self._prompt_done(call)
        elif kind is TimerKind.INTER_DIGIT:
            self._complete_code(call)
        else:
            self._fail(call, _K.NO_INPUT, None)

    # ------------------------------------------------------------------
    # Prompts
    # ------------------------------------------------------------------

    def _play(self, call: CallState, phase: Phase, items: list[Item], menu: str | None = None) -> None:
        """Enter ``phase`` and start playing ``items`` (at least one)."""
        call.phase = phase
        call.menu = menu
        call.keyed = ""
        call.playlist = items
        self._next_prompt(call)

    def _next_prompt(self, call: CallState) -> None:
        item = call.playlist.pop(0)
        call.playing = item
        prompt, language, collect = item
        self._out.append(Play(call.id, prompt, language, collect))
        seconds = self.plan.prompts[prompt][language].seconds
        self._set_timer(call, self.now + seconds + PROMPT_GRACE_S, TimerKind.PROMPT)

    def _prompt_done(self, call: CallState) -> None:
        call.playing = None
        if call.playlist:
            self._next_prompt(call)
        elif call.phase is Phase.GREETING:
            self._after_greeting(call)
        elif call.phase is Phase.ENDING:
            assert call.outcome is not None
            del self.calls[call.id]
            self._out.append(Release(call.id, call.outcome))
        else:
            self._set_timer(call, self.now + self._digit_s, TimerKind.DIGIT)

    def _say(self, prompt: str, call: CallState, collect: bool) -> list[Item]:
        return [(prompt, voice, collect) for voice in call.voices]

    # ------------------------------------------------------------------
    # The flow
    # ------------------------------------------------------------------

    def _after_greeting(self, call: CallState) -> None:
        if self.plan.language_menu:
            self._ask_language(call, [])
        else:
            self._settle_language(call, self.plan.default_language.id, None)

    def _ask_language(self, call: CallState, before: list[Item]) -> None:
        self._play(call, Phase.LANGUAGE, before + self._say(LANGUAGE, call, True))

    def _settle_language(self, call: CallState, language: str, menu: str | None) -> None:
        call.language = language
        call.voices = (self.plan.prompt_language(language),)
        call.failures = 0
        self._out.append(Step(call.id, _K.LANGUAGE, menu, language))
        if self.plan.hours.is_open(call.local_at(self.now)):
            self._identify_agency(call)
        else:
            self._offer_callback(call, [])

    def _offer_callback(self, call: CallState, before: list[Item]) -> None:
        self._play(call, Phase.OFFER, before + self._say(CLOSED, call, True) + self._say(CALLBACK_OFFER, call, True))

    def _ask_number(self, call: CallState, before: list[Item]) -> None:
        self._play(call, Phase.NUMBER, before + self._say(CALLBACK_NUMBER, call, True))

    def _end(self, call: CallState, prompt: str, outcome: Outcome) -> None:
        call.outcome = outcome
        self._play(call, Phase.ENDING, self._say(prompt, call, False))

    def _identify_agency(self, call: CallState) -> None:
        if call.agency is not None:
            self._agency_settled(call, f"directory:{call.agency}")
        elif not self.plan.agency_codes:
            self._agency_settled(call, "unknown")
        else:
            call.failures = 0
            self._ask_agency(call, [])

    def _ask_agency(self, call: CallState, before: list[Item]) -> None:
        self._play(call, Phase.AGENCY, before + self._say(AGENCY, call, True))

    def _agency_settled(self, call: CallState, value: str) -> None:
        self._out.append(Step(call.id, _K.AGENCY, Phase.AGENCY.value, value))
        call.failures = 0  # the main menu has its own retries, whatever the agency question used
        self._enter_menu(call, self.plan.main)

    def _enter_menu(self, call: CallState, menu_id: str, before: list[Item] | None = None) -> None:
        menu = self.plan.menus[menu_id]
        self._play(call, Phase.MENU, (before or []) + self._say(menu.prompt, call, True), menu_id)

    def _route(self, call: CallState, system: str, outcome: Outcome) -> None:
        assert call.language is not None
        del self.calls[call.id]
        self._out.append(Route(call.id, system, call.agency, call.language, outcome))

    # ------------------------------------------------------------------
    # Keys
    # ------------------------------------------------------------------

    def _key(self, call: CallState, key: str) -> None:
        if call.phase not in COLLECTING:
            return  # no keys taken while the welcome or the goodbye plays
        if call.playing is not None:  # barge-in: the prompt is cut short, the rest not played
            call.playing = None
            call.playlist = []
        phase = call.phase
        if phase in CODE_ENTRY:
            self._code_key(call, key)
        elif phase is Phase.MENU:
            self._menu_key(call, key)
        elif phase is Phase.LANGUAGE:
            self._language_key(call, key)
        else:
            self._offer_key(call, key)

    def _menu_key(self, call: CallState, key: str) -> None:
        assert call.menu is not None
        menu = self.plan.menus[call.menu]
        if key == REPEAT_KEY:
            self._out.append(Step(call.id, _K.REPEAT, menu.id, key))
            self._enter_menu(call, menu.id)
            return
        target = GENERAL_QUEUE if key == GENERAL_KEY else menu.options.get(key)
        if target is None:
            self._fail(call, _K.INVALID, key)
            return
        self._out.append(Step(call.id, _K.CHOICE, menu.id, key))
        if target in self.plan.menus:
            call.failures = 0
            self._enter_menu(call, target)
        elif target == GENERAL_QUEUE:
            self._route(call, GENERAL_QUEUE, Outcome.GENERAL_CHOSEN)
        else:
            self._route(call, target, Outcome.ROUTED)

    def _language_key(self, call: CallState, key: str) -> None:
        if key == REPEAT_KEY:
            self._out.append(Step(call.id, _K.REPEAT, Phase.LANGUAGE.value, key))
            self._ask_language(call, [])
            return
        language = self.plan.language_menu.get(key)
        if language is None:
            self._fail(call, _K.INVALID, key)
            return
        self._settle_language(call, language, Phase.LANGUAGE.value)

    def _offer_key(self, call: CallState, key: str) -> None:
        if key == REPEAT_KEY:
            self._out.append(Step(call.id, _K.REPEAT, Phase.OFFER.value, key))
            self._offer_callback(call, [])
            return
        self._out.append(Step(call.id, _K.CHOICE, Phase.OFFER.value, key))
        if key == CALLBACK_KEY:
            call.failures = 0
            self._ask_number(call, [])
        else:
            self._end(call, GOODBYE, Outcome.AFTER_HOURS)

    def _code_key(self, call: CallState, key: str) -> None:
        if key == REPEAT_KEY:  # start again
            self._out.append(Step(call.id, _K.REPEAT, call.phase.value, key))
            if call.phase is Phase.AGENCY:
                self._ask_agency(call, [])
            else:
                self._ask_number(call, [])
            return
        if key == END_KEY:
            self._complete_code(call)
            return
        limit = self._code_max if call.phase is Phase.AGENCY else MAX_NUMBER_DIGITS
        if len(call.keyed) <= limit:  # one key past the limit is kept: enough to know it is too long
            call.keyed += key
        self._set_timer(call, self.now + self._inter_digit_s, TimerKind.INTER_DIGIT)

    def _complete_code(self, call: CallState) -> None:
        keyed, call.keyed = call.keyed, ""
        if call.phase is Phase.AGENCY:
            if not keyed:  # '#' alone: the caller has no code
                self._agency_settled(call, "unknown")
                return
            agency = self.plan.agency_codes.get(keyed)
            if agency is None:
                self._fail(call, _K.INVALID, None)
                return
            call.agency = agency
            self._agency_settled(call, f"code:{agency}")
            return
        if not plausible_number(keyed):
            self._fail(call, _K.INVALID, None)
            return
        assert call.language is not None
        due = self.plan.hours.next_opening(call.local_at(self.now))
        self._out.append(CallBack(call.id, keyed, due, call.language))
        self._end(call, CALLBACK_THANKS, Outcome.AFTER_HOURS_CALLBACK)

    # ------------------------------------------------------------------
    # Failures: an invalid key, a wrong code, no input
    # ------------------------------------------------------------------

    def _fail(self, call: CallState, kind: StepKind, value: str | None) -> None:
        phase = call.phase
        self._out.append(Step(call.id, kind, call.where, value))
        if phase is Phase.OFFER:  # nothing keyed at the offer: the caller declines
            self._end(call, GOODBYE, Outcome.AFTER_HOURS)
            return
        call.failures += 1
        last = call.failures > self._retries
        if phase is Phase.MENU:
            if last:
                self._route(call, GENERAL_QUEUE, Outcome.GENERAL_AFTER_FAILURES)
                return
            assert call.menu is not None
            self._enter_menu(call, call.menu, self._say(_error_prompt(kind), call, True))
        elif phase is Phase.LANGUAGE:
            if last:
                self._settle_language(call, self.plan.default_language.id, Phase.LANGUAGE.value)
                return
            self._ask_language(call, self._say(_error_prompt(kind), call, True))
        elif phase is Phase.AGENCY:
            if last:
                self._agency_settled(call, "unknown")
                return
            error = AGENCY_INVALID if kind is _K.INVALID else NO_INPUT
            self._ask_agency(call, self._say(error, call, True))
        else:  # Phase.NUMBER
            if last:
                self._end(call, GOODBYE, Outcome.AFTER_HOURS)
                return
            error = CALLBACK_INVALID if kind is _K.INVALID else NO_INPUT
            self._ask_number(call, self._say(error, call, True))

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _call(self, call_id: str) -> CallState:
        call = self.calls.get(call_id)
        if call is None:
            raise UnknownCall(call_id)
        return call

    def _flush(self) -> list[Command]:
        out, self._out = self._out, []
        return out


def _error_prompt(kind: StepKind) -> str:
    return INVALID if kind is StepKind.INVALID else NO_INPUT


_HANDLERS: dict[type, Callable[[Ivr, Any, float], None]] = {
    CallArrived: Ivr._on_arrived,
    PromptFinished: Ivr._on_prompt_finished,
    DigitsPressed: Ivr._on_digits,
    CallerHungUp: Ivr._on_hung_up,
}
