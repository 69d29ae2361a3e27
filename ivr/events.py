"""Events the IVR applies: what happened on a call in the voice menus.

As with :mod:`routing.events`, events carry no time: each is applied at a
time ``now`` the caller gives (:meth:`ivr.Ivr.apply`). Timeouts are not
events: they are the engine's own timers, run by :meth:`ivr.Ivr.advance`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.civil import LocalTime


@dataclass(frozen=True, slots=True)
class CallArrived:
    """A call reached the centre and enters the IVR.

    ``local``: the centre's local time at arrival (service hours are judged
    from it, moved on to when the caller's language is settled). ``agency``:
    the caller's agency from the directory, or ``None`` when the directory
    does not know the number (the caller is then asked for an agency code).
    """

    call_id: str
    local: LocalTime
    agency: str | None = None


@dataclass(frozen=True, slots=True)
class PromptFinished:
    """The PBX finished playing ``prompt`` on the call, in ``language`` (the ``Play``'s).

    A prompt may play in several languages in turn under the same id (the
    welcome and the language menu): with ``language`` given, the end of one
    playback is never taken for another's. ``None``: whichever playback of
    ``prompt`` the call hears (for a driver that reports each end exactly).
    """

    call_id: str
    prompt: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class DigitsPressed:
    """The caller pressed one or more keys (``0``-``9``, ``*``, ``#``), in order."""

    call_id: str
    digits: str


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    """The caller hung up while in the IVR."""

    call_id: str


Event = CallArrived | PromptFinished | DigitsPressed | CallerHungUp
