"""Driving the IVR in tests: one call at a time, with the clock moved by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

from cti.config import load_default
from ivr import (
    CallArrived,
    CallBack,
    CallerHungUp,
    Command,
    DigitsPressed,
    Ivr,
    IvrPlan,
    LocalTime,
    Play,
    PromptFinished,
    Release,
    Route,
    Step,
)
from ivr.civil import days_from_civil

#: Wednesday 2027-03-10, a working day with no holiday.
WEDNESDAY = days_from_civil(2027, 3, 10)
OPEN = LocalTime(WEDNESDAY, 10 * 3600)
NIGHT = LocalTime(WEDNESDAY, 22 * 3600)


def default_plan() -> IvrPlan:
    plan = load_default().ivr
    assert plan is not None
    return plan


@dataclass
class Driver:
    """An :class:`Ivr` and a clock: every step advances the timers first, and keeps what came out."""

    plan: IvrPlan = field(default_factory=default_plan)
    now: float = 0.0
    out: list[Command] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ivr = Ivr(self.plan, now=self.now)

    def _run(self, event: object | None) -> list[Command]:
        got = self.ivr.advance(self.now)
        if event is not None:
            got += self.ivr.apply(event, self.now)  # type: ignore[arg-type]
        self.out += got
        return got

    def arrive(self, call: str = "c1", local: LocalTime = OPEN, agency: str | None = None) -> list[Command]:
        return self._run(CallArrived(call, local, agency))

    def finish(self, call: str = "c1") -> list[Command]:
        """The prompt the call hears has ended (PromptFinished for it)."""
        prompt = self.ivr.playing(call)
        assert prompt is not None, f"{call} hears no prompt (at {self.ivr.where(call)})"
        return self._run(PromptFinished(call, prompt))

    def finish_all(self, call: str = "c1") -> list[Command]:
        """Every prompt queued for the call ends, until it waits for keys or has left."""
        got: list[Command] = []
        while self.ivr.active(call) and self.ivr.playing(call) is not None:
            got += self.finish(call)
        return got

    def keys(self, digits: str, call: str = "c1") -> list[Command]:
        """The caller presses ``digits`` together (nothing for an empty string)."""
        if not digits:
            return []
        return self._run(DigitsPressed(call, digits))

    def hang_up(self, call: str = "c1") -> list[Command]:
        return self._run(CallerHungUp(call))

    def wait(self, seconds: float) -> list[Command]:
        self.now += seconds
        return self._run(None)

    def later(self, seconds: float) -> None:
        self.now += seconds

    # What happened

    def plays(self, call: str = "c1") -> list[tuple[str, str]]:
        return [(c.prompt, c.language) for c in self.out if isinstance(c, Play) and c.call_id == call]

    def steps(self, call: str = "c1") -> list[tuple[str, str | None, str | None]]:
        return [(c.kind, c.menu, c.value) for c in self.out if isinstance(c, Step) and c.call_id == call]

    def ends(self, call: str = "c1") -> list[Command]:
        """The commands that end the call: Route, Release or the abandoned Step."""
        return [
            c
            for c in self.out
            if c.call_id == call and (isinstance(c, Route | Release) or (isinstance(c, Step) and c.kind == "abandoned"))
        ]

    def end(self, call: str = "c1") -> Command:
        [only] = self.ends(call)
        assert not self.ivr.active(call)
        return only

    def callbacks(self, call: str = "c1") -> list[CallBack]:
        return [c for c in self.out if isinstance(c, CallBack) and c.call_id == call]

    def to_main_menu(self, call: str = "c1", language_key: str = "1", agency: str | None = "moi") -> None:
        """Welcome, choose a language, the directory knows the agency: the main menu is playing."""
        self.arrive(call, OPEN, agency)
        self.finish_all(call)
        self.keys(language_key, call)
        if agency is None:
            self.keys("#", call)
        assert self.ivr.where(call) == self.plan.main
