"""Errors raised by the IVR core.

As in :mod:`routing`, expected outcomes (a wrong key, a silent caller) are
handled by the state machine and never raise. An exception means the caller
of the engine asked for something impossible (an event for a call the IVR
does not hold, time going backwards) or a plan does not hold together.
Every error is raised *before* any state is changed.
"""

from __future__ import annotations

from typing import Any


class IvrError(Exception):
    """Base class of every error raised by :mod:`ivr`.

    ``code`` is a stable, machine-readable identifier; ``str(error)`` is the
    human message. Raised as such by :func:`ivr.plan_from_mapping` for an
    invalid ``[ivr]``, ``[hours]`` or ``[prompts]`` table: ``path`` names the
    field (``ivr.menus.more.options.4``), ``value`` is what was found there
    and ``expected`` says what would have been accepted (the shape of
    :class:`routing.CentreError`, so the shell can name the line).
    """

    code = "invalid-ivr"

    def __init__(self, path: str, problem: str, value: Any = None, expected: str = "") -> None:
        self.path = path
        self.problem = problem
        self.value = value
        self.expected = expected
        super().__init__(self.describe())

    def describe(self) -> str:
        text = f"{self.path}: {self.problem}" if self.path else self.problem
        if self.value is not None:
            text += f"; got {self.value!r}"
        if self.expected:
            text += f", expected {self.expected}"
        return text


class UnknownCall(IvrError):
    """An event names a call the IVR does not hold (never arrived, or already routed, released or abandoned)."""

    code = "unknown-call"

    def __init__(self, call_id: str) -> None:
        super().__init__("", f"no call {call_id!r} in the IVR")


class InvalidEvent(IvrError):
    """An event that cannot be applied: a call arriving twice, digits that are not DTMF keys."""

    code = "invalid-event"

    def __init__(self, problem: str) -> None:
        super().__init__("", problem)


class ClockError(IvrError):
    """Time went backwards, or an event was applied while timers were still due.

    Call :meth:`ivr.Ivr.advance` with the event's time before applying it.
    """

    code = "clock-error"

    def __init__(self, problem: str) -> None:
        super().__init__("", problem)
