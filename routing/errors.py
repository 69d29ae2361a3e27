"""Errors raised by the routing core.

Expected outcomes ("no agent is free") are return values, never exceptions.
An exception here means the caller asked for something impossible: an event
that does not fit the current state, or a centre description that does not
hold together. Every error is raised *before* any state is changed, so the
caller may report it and carry on.
"""

from __future__ import annotations

from typing import Any


class RoutingError(Exception):
    """Base class of every error raised by :mod:`routing`.

    ``code`` is a stable, machine-readable identifier (it crosses the bus on
    the errors topic); ``str(error)`` is the human message.
    """

    code = "routing-error"


class CentreError(RoutingError):
    """A centre description is invalid.

    ``path`` names the field (``agents[3].skills.webhr``), ``value`` is what
    was found there and ``expected`` says what would have been accepted.
    """

    code = "invalid-centre"

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


class InvalidTransition(RoutingError):
    """An event does not fit the current state of an agent or call.

    For example an agent answering a call that is not ringing at its seat, or
    a logged-out agent asking to become ready. Nothing was changed.
    """

    code = "invalid-transition"


class UnknownEntity(RoutingError):
    """An event names an agent, call, system or agency the router does not know."""

    code = "unknown-entity"


class ClockError(RoutingError):
    """Time went backwards, or an event was applied while timers were still due.

    The router never reads a clock; the caller supplies ``now``. Call
    :meth:`routing.Router.advance` with the event's time before applying it.
    """

    code = "clock-error"
