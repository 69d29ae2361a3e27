"""The in-process bus: wildcards, order, retained messages, and bad input from outside."""

from __future__ import annotations

import pytest

from cti.live import messages as m
from cti.live.bus import BusError, LocalBus


def ready(agent_id: str) -> m.Ready:
    return m.Ready(agent_id=agent_id)


def topics(sub) -> list[str]:
    return [d.topic for d in sub.drain()]


def test_plus_matches_exactly_one_level() -> None:
    bus = LocalBus()
    sub = bus.subscribe("cti/v1/agents/+/cmd")
    bus.publish("cti/v1/agents/N1/cmd", ready("N1"))
    bus.publish("cti/v1/agents/N1/x/cmd", ready("N1"))
    bus.publish("cti/v1/agents/cmd", ready("N1"))
    assert topics(sub) == ["cti/v1/agents/N1/cmd"]


def test_hash_matches_the_parent_and_every_level_below() -> None:
    bus = LocalBus()
    sub = bus.subscribe("cti/v1/agents/#")
    for topic in ("cti/v1/agents", "cti/v1/agents/N1/cmd", "cti/v1/agents/N1/state", "cti/v1/calls/c1"):
        bus.publish(topic, ready("N1"))
    assert topics(sub) == ["cti/v1/agents", "cti/v1/agents/N1/cmd", "cti/v1/agents/N1/state"]


def test_a_subscription_gets_messages_in_publish_order_once_even_with_overlapping_patterns() -> None:
    bus = LocalBus()
    sub = bus.subscribe("cti/v1/agents/+/cmd", "cti/v1/#")
    for agent_id in ("N1", "N2", "N3"):
        bus.publish(m.agent_cmd(agent_id), ready(agent_id))
    assert [d.message.agent_id for d in sub.drain()] == ["N1", "N2", "N3"]


def test_a_retained_message_reaches_later_subscribers_and_the_newest_replaces_it() -> None:
    bus = LocalBus()
    bus.publish(m.LEADER, m.Leader(server_id="a", epoch=1), retain=True)
    bus.publish(m.LEADER, m.Leader(server_id="b", epoch=2), retain=True)
    bus.publish(m.LEADER, m.Leader(server_id="c", epoch=3))  # not retained
    sub = bus.subscribe("cti/v1/+")
    [delivery] = sub.drain()
    assert delivery.message == m.Leader(server_id="b", epoch=2)


def test_an_unsubscribed_subscription_gets_nothing_more() -> None:
    bus = LocalBus()
    sub = bus.subscribe("cti/v1/#")
    bus.unsubscribe(sub)
    bus.publish(m.LEADER, m.Leader(server_id="a", epoch=1))
    assert sub.drain() == []


@pytest.mark.parametrize("pattern", ["cti/#/x", "cti/v1/ab#", "cti/v1/a+"])
def test_a_malformed_pattern_is_refused(pattern: str) -> None:
    with pytest.raises(BusError, match="bad pattern"):
        LocalBus().subscribe(pattern)


def test_raw_input_is_decoded_and_delivered_as_a_message() -> None:
    bus = LocalBus()
    sub = bus.subscribe("cti/v1/#")
    bus.publish_raw(m.agent_cmd("N1"), m.encode(ready("N1")))
    [delivery] = sub.drain()
    assert delivery.message == ready("N1")


@pytest.mark.parametrize(
    ("topic", "payload", "code"),
    [
        ("cti/v1/agents/N1/cmd", b"\xff\xfe", "not-json"),
        ("cti/v1/agents/N1/cmd", b'{"type": "ready"}', "invalid-message"),
        ("cti/v1/agents/N1/cmd", b'{"type": "ready", "agent_id": "N1", "v": 2}', "unsupported-version"),
        ("cti/v1/agents/N1/cmd", b'{"type": "ready", "agent_id": "N2"}', "id-mismatch"),
        ("cti/v1/agents/N1/cmd", b'{"type": "leader", "server_id": "a", "epoch": 1}', "wrong-topic"),
        ("cti/v1/nowhere", b'{"type": "ready", "agent_id": "N1"}', "unknown-topic"),
        ("cti/v1/agents/+/cmd", b'{"type": "ready", "agent_id": "N1"}', "bad-topic"),
    ],
)
def test_bad_raw_input_is_answered_on_the_errors_topic_and_dropped(topic: str, payload: bytes, code: str) -> None:
    bus = LocalBus()
    everything = bus.subscribe("#")
    bus.publish_raw(topic, payload)
    [delivery] = everything.drain()
    assert delivery.topic == m.ERRORS
    assert isinstance(delivery.message, m.Error)
    assert delivery.message.code == code
    assert delivery.message.topic == topic


def test_per_call_topics_do_not_grow_the_bus_s_memory_without_bound() -> None:
    bus = LocalBus()
    bus.subscribe("cti/v1/calls/+")
    for n in range(20_000):
        bus.publish(m.call_topic(f"c{n}"), ready("N1"))
    assert len(bus._cache) <= 4096
