"""Waiting calls, indexed so that choosing never scans every call.

Each queue (a system, or the general queue) is split by the call's language
requirement (``CallState.need``: a language, or ``None`` for any agent), then
into *buckets* by the call's preferred site and priority. Within a bucket calls
are kept in queue order (entry time, then arrival sequence). That makes two
questions cheap:

* the best call an agent may take is among the bucket heads of the queues it
  serves, under the requirements it meets (a bucket whose head is still inside
  its site-preference window for another site has no call yet open to that
  agent, since the head entered first);
* how many calls in a bucket have left their preference window is one
  binary search.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from itertools import chain
from operator import attrgetter

from routing.call import CallState

BucketKey = tuple[str | None, int]  # (preferred site, priority)
Buckets = dict[BucketKey, list[CallState]]

_entry = attrgetter("entered_at", "seq")
_window_end = attrgetter("window_end")


class WaitingCalls:
    """Every queued call, by queue, language requirement, preferred site and priority."""

    __slots__ = ("_sizes", "queues")

    def __init__(self) -> None:
        #: queue id -> language requirement -> (preferred site, priority) -> calls in queue order.
        #: Read-only outside this class.
        self.queues: dict[str, dict[str | None, Buckets]] = {}
        self._sizes: dict[str, int] = {}

    def add(self, call: CallState) -> None:
        needs = self.queues.get(call.queue)
        if needs is None:
            needs = self.queues[call.queue] = {}
        buckets = needs.get(call.need)
        if buckets is None:
            buckets = needs[call.need] = {}
        bucket = buckets.setdefault((call.prefer_site, call.priority), [])
        if not bucket or _entry(bucket[-1]) < _entry(call):
            bucket.append(call)  # the usual case: a new call joins at the back
        else:
            insort(bucket, call, key=_entry)  # going back to its original place
        self._sizes[call.queue] = self._sizes.get(call.queue, 0) + 1

    def remove(self, call: CallState) -> None:
        needs = self.queues[call.queue]
        buckets = needs[call.need]
        key = (call.prefer_site, call.priority)
        bucket = buckets[key]
        i = bisect_left(bucket, _entry(call), key=_entry)
        if i >= len(bucket) or bucket[i] is not call:
            raise KeyError(call.id)
        del bucket[i]
        if not bucket:
            del buckets[key]
            if not buckets:
                del needs[call.need]
        self._sizes[call.queue] -= 1

    def buckets(self, queue: str) -> Iterator[tuple[BucketKey, list[CallState]]]:
        """The non-empty buckets of a queue, whatever their language. Do not change them while iterating."""
        return chain.from_iterable(b.items() for b in self.queues.get(queue, {}).values())

    def buckets_of(self, queue: str, need: str | None) -> Iterator[tuple[BucketKey, list[CallState]]]:
        """The non-empty buckets of a queue under one language requirement. Do not change them while iterating."""
        return iter(self.queues.get(queue, {}).get(need, {}).items())

    def size(self, queue: str) -> int:
        return self._sizes.get(queue, 0)

    @staticmethod
    def out_of_window(bucket: list[CallState], now: float) -> int:
        """How many calls of a bucket have passed the end of their preference window."""
        return bisect_right(bucket, now, key=_window_end)

    def __len__(self) -> int:
        return sum(self._sizes.values())
