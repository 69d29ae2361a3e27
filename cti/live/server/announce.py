"""Queue announcements: what a queued caller hears of their place and wait, and the record to measure it.

A call the menus put in a queue hears its first announcement ``after_s``
seconds after it entered the queue, then one every ``interval_s``, until an
agent's phone first rings for it (or it ends). Each announcement is the
router's estimate (:func:`routing.estimate.estimate`) spoken in pieces
(:meth:`ivr.Announcements.pieces`) through the PBX, and journalled as
``ANNOUNCE`` with the position, the estimate and the naive estimate beside it;
the answer time in the call's row then gives the actual wait after each
announcement (:func:`routing.estimate.rows_from`).

Handle times for the estimate come from the calls that finish here: each
call's talk plus wrap-up, fed to a moving window per system.
"""

from __future__ import annotations

import heapq

from cti.live import messages as m
from cti.live.bus import Bus
from cti.live.server.leadership import Leadership
from cti.store import Journal, Store
from ivr import Announcements
from routing import Router
from routing.estimate import HandleTimes, WaitEstimate, estimate


class Announcer:
    """The announcement timers of the queued calls, and the handle times the estimates use."""

    def __init__(
        self,
        settings: Announcements,
        router: Router,
        bus: Bus,
        store: Store,
        leadership: Leadership,
    ) -> None:
        self.settings = settings
        self.router = router
        self.bus = bus
        self.store = store
        self.leadership = leadership
        self.handle = HandleTimes()
        self._due: list[tuple[float, int, str]] = []  # (when, order, call id)
        self._break_from: dict[str, float] = {}  # agent -> since when not ready
        self._language: dict[str, str] = {}  # queued call -> the language its prompts are in
        self._seq = 0
        self.given = 0

    def queued(self, call_id: str, language: str, now: float) -> None:
        """A call entered a queue from the menus: its first announcement is due ``after_s`` from now."""
        self._language[call_id] = language
        self._push(now + self.settings.after_s, call_id)

    def stop(self, call_id: str) -> None:
        """No more announcements for the call (offered to an agent, or ended)."""
        self._language.pop(call_id, None)

    def handled(self, system: str | None, seconds: float) -> None:
        """A call finished after ``seconds`` of talk and wrap-up."""
        if system is not None and seconds >= 0:
            self.handle.add(system, seconds)

    def agent_state(self, agent_id: str, before: str, after: str, now: float) -> None:
        """An agent changed state: how long each break lasted feeds the estimate."""
        if after == "not-ready" and before != "not-ready":
            self._break_from[agent_id] = now
        elif after != "not-ready":
            start = self._break_from.pop(agent_id, None)
            if start is not None and after != "logged-out":
                self.handle.add_break(now - start)

    def next_timer_at(self) -> float | None:
        due = self._due
        while due and due[0][2] not in self._language:
            heapq.heappop(due)
        return due[0][0] if due else None

    def advance(self, now: float) -> None:
        """Give every announcement due by ``now``."""
        due = self._due
        while due and due[0][0] <= now:
            _, _, call_id = heapq.heappop(due)
            language = self._language.get(call_id)
            if language is None:
                continue
            est = estimate(self.router, call_id, now, self.handle)
            if est is None:  # ringing: the next one after it comes back, if ever
                continue
            self._announce(call_id, language, est, now)
            self._push(now + self.settings.interval_s, call_id)

    def estimate(self, call_id: str, now: float) -> WaitEstimate | None:
        return estimate(self.router, call_id, now, self.handle)

    def _announce(self, call_id: str, language: str, est: WaitEstimate, now: float) -> None:
        epoch = self.leadership.epoch
        for piece in self.settings.pieces(est.position, est.wait_s):
            self.bus.publish(
                m.pbx_ctl(call_id), m.Play(call_id=call_id, prompt=piece, language=language, collect=False, epoch=epoch)
            )
        call = self.router.calls[call_id]
        self.store.event(
            now,
            call_id,
            Journal.ANNOUNCE,
            queue=call.queue,
            data1=est.position,
            data2=round(est.wait_s, 1),
            data3=round(est.naive_s, 1),
        )
        self.given += 1

    def _push(self, when: float, call_id: str) -> None:
        self._seq += 1
        heapq.heappush(self._due, (when, self._seq, call_id))
