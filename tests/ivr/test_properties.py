"""Random event sequences never leave a call in the IVR without a next step, and every call ends once.

Each example reads a small random plan (one to three languages, random
timeouts and retries, hours that may be closed, agency codes or none), then
drives random arrivals at random local times, keys (right, wrong, codes,
numbers, several at once), prompts finishing (the one playing, or a stale
one), hang-ups and the passing of time. After every step:

* every call in the IVR has a live timer (the prompt safety timer while a
  prompt plays, the digit or inter-digit timer while it waits), due no
  earlier than now, so no call ever waits for nothing;
* ``next_timer_at`` is ``None`` exactly when no call is in the IVR;
* a call that has ended (Route, Release or an abandon) gets no command again;
* every Play names a prompt of the plan in a prompt language, every Route a
  system of the plan (or the general queue) and the caller's language.

At the end, time runs on with nobody pressing anything: every call ends,
each exactly once.
"""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from ivr import (
    FLOW_PROMPTS,
    GENERAL_QUEUE,
    CallArrived,
    CallBack,
    CallerHungUp,
    Command,
    DigitsPressed,
    Ivr,
    IvrPlan,
    Language,
    LocalTime,
    Outcome,
    Play,
    PromptFinished,
    Release,
    Route,
    Step,
    StepKind,
    plan_from_mapping,
)

SYSTEMS = ("webhr", "ecpa", "pemis2k")
ALL_LANGUAGES = (Language("zh", "cmn"), Language("en", "en"), Language("nan", "cmn", prompts="zh"))
CODES = {"301": "moi", "4567": "mof"}


@st.composite
def plans(draw: st.DrawFn) -> IvrPlan:
    languages = list(ALL_LANGUAGES[: draw(st.integers(1, 3))])
    own = [lang.id for lang in languages if lang.prompts is None]
    prompts: dict[str, Any] = {
        p: {lang: {"text": f"{p} {lang}", "seconds": draw(st.sampled_from([0.5, 3.0, 12.0]))} for lang in own}
        for p in (*FLOW_PROMPTS, "m_main", "m_sub")
    }
    hours = draw(st.sampled_from(["08:30-18:30", "00:00-24:00", ["06:00-06:30", "20:00-20:30"]]))
    doc = {
        "ivr": {
            "digit_timeout_s": draw(st.sampled_from([1, 5])),
            "inter_digit_timeout_s": draw(st.sampled_from([1, 3])),
            "retries": draw(st.integers(0, 3)),
            "menus": {
                "main": {"prompt": "m_main", "options": {"1": "webhr", "2": "sub", "3": "general"}},
                "sub": {"prompt": "m_sub", "options": {"1": "ecpa", "2": "pemis2k"}},
            },
        },
        "hours": {"daily": hours, "holidays": ["1970-01-02"]},
        "prompts": prompts,
    }
    codes = draw(st.sampled_from([CODES, {}]))
    return plan_from_mapping(doc, systems=SYSTEMS, agency_codes=codes, languages=languages)


KEYS = st.one_of(
    st.text("0123456789*#", min_size=1, max_size=4),
    st.sampled_from(["1", "2", "3", "301#", "4567", "999#", "#", "0912345678#", "02", "*"]),
)
OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["arrive"] * 2 + ["keys"] * 3 + ["answer"] * 4 + ["finish"] * 3 + ["stale", "hang-up", "wait", "timer"]
        ),
        st.integers(0, 2),  # which call
        KEYS,
        st.floats(0, 30, allow_nan=False),
        st.integers(0, 2),  # the day after 1970-01-01 (day 1 is a holiday)
        st.integers(0, 86_399),
        st.booleans(),  # the directory knows the agency
    ),
    min_size=30,
    max_size=150,
)


#: Right answers where the call is (menus: their own keys).
ANSWERS = {
    "language": ["1", "2", "3"],
    "agency": ["301#", "4567", "#"],
    "callback": ["1"],
    "callback-number": ["0912345678#", "0223456789"],
}


class Checked:
    def __init__(self, plan: IvrPlan) -> None:
        self.plan = plan
        self.ivr = Ivr(plan)
        self.now = 0.0
        self.arrived: set[str] = set()
        self.ended: dict[str, Command] = {}
        self.log: list[Command] = []

    def run(self, event: Any | None) -> None:
        out = self.ivr.advance(self.now)
        if event is not None:
            out += self.ivr.apply(event, self.now)
        for cmd in out:
            self.check_command(cmd)
        self.log += out
        self.check_state()

    def check_command(self, cmd: Command) -> None:
        plan = self.plan
        assert cmd.call_id in self.arrived
        assert cmd.call_id not in self.ended, f"{cmd} after the call ended with {self.ended.get(cmd.call_id)}"
        if isinstance(cmd, Play):
            assert cmd.prompt in plan.prompts
            assert cmd.language in plan.prompt_languages
        elif isinstance(cmd, Route):
            assert cmd.system in SYSTEMS or cmd.system == GENERAL_QUEUE
            assert cmd.language in [lang.id for lang in plan.languages]
            assert cmd.outcome in {Outcome.ROUTED, Outcome.GENERAL_CHOSEN, Outcome.GENERAL_AFTER_FAILURES}
            self.ended[cmd.call_id] = cmd
        elif isinstance(cmd, Release):
            assert cmd.outcome in {Outcome.AFTER_HOURS, Outcome.AFTER_HOURS_CALLBACK}
            self.ended[cmd.call_id] = cmd
        elif isinstance(cmd, CallBack):
            assert plan.hours.is_open(cmd.due)
        else:
            assert isinstance(cmd, Step)
            assert cmd.kind in set(StepKind)
            if cmd.kind == StepKind.ABANDONED:
                self.ended[cmd.call_id] = cmd

    def check_state(self) -> None:
        ivr = self.ivr
        live = {c for c in self.arrived if c not in self.ended}
        assert {c for c in live if ivr.active(c)} == live
        assert len(ivr) == len(live)
        at = ivr.next_timer_at()
        assert (at is None) == (not live)
        if at is not None:
            assert at >= self.now
        heap = ivr._timers._heap
        for call_id in live:
            call = ivr.calls[call_id]
            assert any(t[3] == call_id and t[4] == call.token for t in heap), f"{call_id} waits for nothing"
            assert ivr.timer_due(call_id) >= self.now


def drive(plan: IvrPlan, ops: list[Any]) -> Checked:
    c = Checked(plan)
    for op, n, keys, dt, day, seconds, known in ops:
        call = f"c{n}"
        if op == "arrive":
            if call in c.arrived:
                continue
            c.arrived.add(call)
            c.run(CallArrived(call, LocalTime(day, seconds), "moi" if known else None))
        elif op == "wait":
            c.now += dt
            c.run(None)
        elif op == "timer":
            at = c.ivr.next_timer_at()
            if at is not None:
                c.now = at
                c.run(None)
        elif not c.ivr.active(call):
            continue
        elif op == "keys":
            c.run(DigitsPressed(call, keys))
        elif op == "answer":  # a key that fits the question, chosen by the same draw
            options = ANSWERS.get(
                c.ivr.where(call), plan.menus[c.ivr.where(call)].options if c.ivr.where(call) in plan.menus else {}
            )
            if options:
                c.run(DigitsPressed(call, sorted(options)[n % len(options)]))
        elif op == "finish":
            prompt = c.ivr.playing(call)
            if prompt is not None:
                c.run(PromptFinished(call, prompt))
        elif op == "stale":
            c.run(PromptFinished(call, "welcome" if known else "m_main"))
        else:
            c.run(CallerHungUp(call))
    return c


@settings(max_examples=300, deadline=None)
@given(plans(), OPS)
def test_no_call_is_ever_left_without_a_next_step_and_each_ends_once(plan: IvrPlan, ops: list[Any]) -> None:
    c = drive(plan, ops)
    # Nobody presses anything any more: the timers alone end every call.
    for _ in range(10_000):
        at = c.ivr.next_timer_at()
        if at is None:
            break
        c.now = at
        c.run(None)
    assert len(c.ivr) == 0
    assert set(c.ended) == c.arrived
    finals = [cmd.call_id for cmd in c.log if isinstance(cmd, Route | Release)]
    finals += [cmd.call_id for cmd in c.log if isinstance(cmd, Step) and cmd.kind == StepKind.ABANDONED]
    assert sorted(finals) == sorted(c.arrived)
    for cmd in c.ended.values():
        event(str(getattr(cmd, "outcome", "ivr-abandoned")))


@settings(max_examples=100, deadline=None)
@given(plans(), OPS)
def test_the_same_events_give_the_same_commands(plan: IvrPlan, ops: list[Any]) -> None:
    assert drive(plan, ops).log == drive(plan, ops).log
