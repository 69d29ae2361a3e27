"""The bus: topics, MQTT-style wildcards and retained messages.

:class:`Bus` is what every component talks to. :class:`LocalBus` is the
embedded, in-process implementation that ``cti demo`` uses; the MQTT
transport, as it lands, implements the same protocol for real deployments.

Semantics (the same on every transport):

* ``publish`` never blocks. Each subscription receives messages in the order
  they were published.
* Patterns use MQTT wildcards: ``+`` matches one topic level, ``#`` (last
  level only) matches any number of levels, including none.
* A message published with ``retain=True`` is kept per topic and handed to
  every later subscriber whose pattern matches it, before anything newer.
* Input from outside the process arrives as bytes through ``publish_raw``:
  it is checked against every limit and decoded by :func:`cti.live.messages.parse`,
  and a payload that fails is answered on ``cti/v1/errors`` and dropped.
  ``publish_raw`` never raises, whatever the topic or the bytes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import NamedTuple, Protocol

from cti.live.messages import ERRORS, Message, MessageError, parse, refusal


class Delivery(NamedTuple):
    topic: str
    message: Message


class BusError(ValueError):
    """A bad topic or pattern given to the bus by our own code."""


class Subscription:
    """Messages matching one or more patterns, in arrival order.

    Iterate with ``async for``, or take everything pending at once with
    :meth:`batch` (at least one message; waits for it).
    """

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._items: deque[Delivery] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False

    def put(self, delivery: Delivery) -> None:
        """Called by the transport."""
        if self.closed:
            return
        self._items.append(delivery)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def pending(self) -> int:
        return len(self._items)

    async def get(self) -> Delivery:
        while not self._items:
            await self._wait()
        return self._items.popleft()

    async def batch(self) -> list[Delivery]:
        while not self._items:
            await self._wait()
        items = list(self._items)
        self._items.clear()
        return items

    def drain(self) -> list[Delivery]:
        """Everything pending, without waiting."""
        items = list(self._items)
        self._items.clear()
        return items

    async def _wait(self) -> None:
        if self.closed:
            raise BusError("subscription is closed")
        if self._waiter is None:
            self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Delivery]:
        while True:
            yield await self.get()


class Bus(Protocol):
    """What components need from a transport."""

    def publish(self, topic: str, message: Message, *, retain: bool = False) -> None: ...

    def publish_raw(self, topic: str, payload: bytes) -> None: ...

    def subscribe(self, *patterns: str) -> Subscription: ...

    def unsubscribe(self, subscription: Subscription) -> None: ...


def check_pattern(pattern: str) -> list[str]:
    levels = pattern.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            raise BusError(f"bad pattern {pattern!r}: '#' must be a whole level, and the last one")
        if "+" in level and level != "+":
            raise BusError(f"bad pattern {pattern!r}: '+' must be a whole level")
    return levels


def check_topic_name(topic: str) -> list[str]:
    if not topic or "+" in topic or "#" in topic:
        raise BusError(f"bad topic {topic!r}: topics are non-empty and have no wildcards")
    return topic.split("/")


_CACHE_SIZE = 4096


class _Node:
    __slots__ = ("children", "multi", "subs")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.subs: list[Subscription] = []  # patterns ending here
        self.multi: list[Subscription] = []  # patterns ending in '#' here


class LocalBus:
    """The in-process bus: messages are handed over as (immutable) objects, never copied."""

    def __init__(self) -> None:
        self._root = _Node()
        self._retained: dict[str, Message] = {}
        self._subscriptions: dict[Subscription, list[list[str]]] = {}
        self._cache: dict[str, tuple[Subscription, ...]] = {}
        self.published = 0

    def publish(self, topic: str, message: Message, *, retain: bool = False) -> None:
        if retain:
            check_topic_name(topic)
            self._retained[topic] = message
        self.published += 1
        subs = self._cache.get(topic)
        if subs is None:
            # A subscription with overlapping patterns gets one copy.
            subs = tuple(dict.fromkeys(self._match(topic.split("/"))))
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()  # per-call topics come and go; keep the memory bounded
            self._cache[topic] = subs
        delivery = Delivery(topic, message)
        for sub in subs:
            sub.put(delivery)

    def clear_retained(self, topic: str) -> None:
        self._retained.pop(topic, None)

    def retained(self, topic: str) -> Message | None:
        return self._retained.get(topic)

    def publish_raw(self, topic: str, payload: bytes) -> None:
        """Deliver input from outside the process; never raises: refused input is answered on the errors topic."""
        try:
            message = parse(topic, payload)
        except MessageError as exc:
            self.publish(ERRORS, refusal(exc.code, exc.reason, topic, payload))
            return
        self.publish(topic, message)

    def subscribe(self, *patterns: str) -> Subscription:
        if not patterns:
            raise BusError("subscribe needs at least one pattern")
        parsed = [check_pattern(p) for p in patterns]
        sub = Subscription(patterns)
        self._cache.clear()
        self._subscriptions[sub] = parsed
        for levels in parsed:
            self._add(levels, sub)
        for topic, message in self._retained.items():
            if any(_matches(levels, topic.split("/")) for levels in parsed):
                sub.put(Delivery(topic, message))
        return sub

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.closed = True
        self._cache.clear()
        for levels in self._subscriptions.pop(subscription, []):
            node = self._root
            for level in levels:
                if level == "#":
                    node.multi.remove(subscription)
                    break
                node = node.children[level]
            else:
                node.subs.remove(subscription)

    def _add(self, levels: list[str], sub: Subscription) -> None:
        node = self._root
        for level in levels:
            if level == "#":
                node.multi.append(sub)
                return
            node = node.children.setdefault(level, _Node())
        node.subs.append(sub)

    def _match(self, levels: list[str]) -> list[Subscription]:
        out: list[Subscription] = []
        stack = [(self._root, 0)]
        n = len(levels)
        while stack:
            node, i = stack.pop()
            out.extend(node.multi)
            if i == n:
                out.extend(node.subs)
                continue
            exact = node.children.get(levels[i])
            if exact is not None:
                stack.append((exact, i + 1))
            plus = node.children.get("+")
            if plus is not None:
                stack.append((plus, i + 1))
        return out


def _matches(pattern: list[str], topic: list[str]) -> bool:
    for i, level in enumerate(pattern):
        if level == "#":
            return True
        if i >= len(topic) or (level != "+" and level != topic[i]):
            return False
    return len(pattern) == len(topic)
