"""The call-back offered in the queue: the server's part that plays it and takes the caller's answer.

A centre whose file has an enabled ``[callback]`` table (with its ``[ivr]``)
offers every call that has waited ``offer_after_s`` in a queue a call-back
that keeps its place:

* at the wait, a call still queued (not ringing, not already a call-back)
  hears ``queue_callback_offer`` (a ``play`` that collects keys, in the
  caller's language), and ``CALLBACKOFFER`` is journalled;
* on ``1``, while the offer plays or within the IVR's digit timeout after it
  ends, the call becomes a call-back request
  (:class:`routing.CallbackRequested`: it keeps its place), the caller hears
  ``queue_callback_thanks`` (a ``play`` that collects, so that it cuts a
  queue announcement and its end is reported; keys during it go nowhere),
  and when it ends the line is released (reason
  ``callback-requested``); a caller who hangs up during the thanks, or after
  the request, leaves the call in the queue all the same;
* any other key, or none, lets the offer pass: the call waits on as before.

The router then offers the call-back to an agent in its turn; the rest
(dialling, retries, the case left after the last try) is carried out by
:class:`~cti.live.server.calls.Calls`.
"""

from __future__ import annotations

import heapq

from cti.config import ACCEPT_KEY, OFFER_PROMPT, THANKS_PROMPT, CallbackOffer
from cti.live import messages as m
from cti.live.bus import Bus
from cti.live.server.calls import Calls
from cti.live.server.leadership import Leadership
from cti.store import Journal, Store
from routing import Router
from routing.call import CallStatus
from routing.events import CallbackRequested


class QueueCallbacks:
    """The call-back offers of one server: when each queued call hears it, and what the caller answers."""

    def __init__(
        self,
        offer: CallbackOffer,
        default_language: str,
        router: Router,
        bus: Bus,
        store: Store,
        calls: Calls,
        leadership: Leadership,
        *,
        languages: frozenset[str],
        answer_s: float,
    ) -> None:
        self.offer = offer
        self.default_language = default_language
        self.languages = languages
        #: How long after the offer ends the caller may still press 1 (the IVR's digit timeout).
        self.answer_s = answer_s
        self.router = router
        self.bus = bus
        self.store = store
        self.calls = calls
        self.leadership = leadership
        self._due: list[tuple[float, int, str]] = []
        self._seq = 0
        #: Calls hearing a call-back prompt now: call id -> the prompt (the offer or the thanks).
        self.hearing: dict[str, str] = {}
        #: Call-back requests whose caller has left the line (or is leaving it): their call stays queued.
        self.off_line: set[str] = set()
        #: Calls offered a call-back, until they end: by when the caller may answer (inf while it plays).
        self.answer_by: dict[str, float] = {}

    def entered(self, call_id: str, now: float) -> None:
        """A call entered a queue: it is offered a call-back after ``offer_after_s``."""
        self._seq += 1
        heapq.heappush(self._due, (now + self.offer.offer_after_s, self._seq, call_id))

    def next_timer_at(self) -> float | None:
        return self._due[0][0] if self._due else None

    def advance(self, now: float) -> None:
        """Offer the call-back to each call whose wait is up and that still waits in a queue, on the line."""
        while self._due and self._due[0][0] <= now:
            _, _, call_id = heapq.heappop(self._due)
            call = self.router.calls.get(call_id)
            live = self.calls.live.get(call_id)
            if call is None or live is None or call.status is not CallStatus.QUEUED or call.callback:
                continue  # gone, ringing or talking: no offer
            rec = live.record
            self._play(call_id, OFFER_PROMPT, rec.language, collect=True)
            self.answer_by[call_id] = float("inf")
            self.store.event(now, call_id, Journal.CALLBACKOFFER, queue=rec.queue, data1=now - (rec.offered_at or now))
            live.log.info("callback_offered")

    def active(self, call_id: str) -> bool:
        """Whether keys or a prompt's end for this call are this part's (it was offered a call-back)."""
        return call_id in self.hearing or call_id in self.answer_by

    def digits(self, msg: m.Digits, now: float) -> CallbackRequested | None:
        """The caller's answer to the offer: ``1`` in time asks for the call-back (returned, for the router).

        Any other key, or one after the answer window, lets the offer pass (and is heard by nobody).
        """
        if self.answer_by.get(msg.call_id, -1.0) < now:
            return None
        self.answer_by[msg.call_id] = -1.0  # answered: later keys go nowhere
        if self.hearing.get(msg.call_id) == OFFER_PROMPT:
            del self.hearing[msg.call_id]
        call = self.router.calls.get(msg.call_id)
        if msg.digits[:1] != ACCEPT_KEY or call is None or call.status is not CallStatus.QUEUED:
            return None
        return CallbackRequested(msg.call_id, self.offer.retries, self.offer.retry_delay_s)

    def requested(self, call_id: str) -> None:
        """The router took the request: thank the caller, who then leaves the line."""
        self.off_line.add(call_id)
        rec = self.calls.live[call_id].record
        # It collects so the PBX treats it as the line's own prompt (it cuts an announcement and ends with
        # ``prompt-done``); keys during it go nowhere (the answer is taken).
        self._play(call_id, THANKS_PROMPT, rec.language, collect=True)

    def prompt_done(self, msg: m.PromptDone, now: float) -> None:
        """The offer played out (the caller may answer for ``answer_s`` more), or the thanks ended (release)."""
        prompt = self.hearing.pop(msg.call_id, None)
        if prompt == THANKS_PROMPT:
            self.release(msg.call_id)
        elif prompt == OFFER_PROMPT and self.answer_by.get(msg.call_id) == float("inf"):
            self.answer_by[msg.call_id] = now + self.answer_s

    def release(self, call_id: str) -> None:
        self.hearing.pop(call_id, None)
        release = m.Release(call_id=call_id, reason="callback-requested", epoch=self.leadership.epoch)
        self.bus.publish(m.pbx_ctl(call_id), release)

    def caller_left(self, call_id: str) -> bool:
        """The caller hung up: True if the call is a call-back request (it stays queued, nothing more to do)."""
        self.hearing.pop(call_id, None)
        return call_id in self.off_line

    def back_on_line(self, call_id: str) -> None:
        """The call-back was answered (or the call ended): the caller is on a line again, or the call is over."""
        self.off_line.discard(call_id)
        self.hearing.pop(call_id, None)
        self.answer_by.pop(call_id, None)

    def _play(self, call_id: str, prompt: str, language: str | None, *, collect: bool) -> None:
        self.hearing[call_id] = prompt
        play = m.Play(
            call_id=call_id,
            prompt=prompt,
            language=language if language in self.languages else self.default_language,
            collect=collect,
            epoch=self.leadership.epoch,
        )
        self.bus.publish(m.pbx_ctl(call_id), play)
