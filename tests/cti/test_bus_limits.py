"""Limits on bus input: every refusal is an error on the errors topic, never an exception, and changes nothing.

The payloads of issue 13's finding 4 are here as they were found; the rest
check each limit of :func:`cti.live.messages.parse` and the rule that an
unknown system or agency is queued in the general queue, flagged, not refused.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import msgspec.inspect as mi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cti.live import messages as m
from cti.live.bus import LocalBus
from routing.centre import GENERAL_QUEUE
from routing.testing import agency, agent, centre
from tests.cti.live import Live, live, table_digests

DIAL = {
    "type": "dial",
    "call_id": "c1",
    "caller": "049-2345-6789",
    "dialled": "1999",
    "system": "webhr",
    "agency": "a1",
}


def refusal(topic: str, payload: bytes) -> m.Error:
    """What the bus answers to ``payload`` on ``topic``: exactly one error, and nothing delivered."""
    bus = LocalBus()
    everything = bus.subscribe("#")
    bus.publish_raw(topic, payload)
    [delivery] = everything.drain()
    assert delivery.topic == m.ERRORS
    assert isinstance(delivery.message, m.Error)
    return delivery.message


def dial(**fields: object) -> bytes:
    return json.dumps({**DIAL, **fields}).encode()


# ----------------------------------------------------------------------
# Finding 4, payload by payload
# ----------------------------------------------------------------------


def test_deep_nesting_is_refused_before_decoding_instead_of_raising() -> None:
    error = refusal(m.agent_cmd("N01"), b'{"a":' * 1000 + b"1" + b"}" * 1000)
    assert error.code == "too-deep"


@pytest.mark.parametrize("field", ["channel", "ivr"])
def test_a_ten_megabyte_dial_is_refused_by_its_size(field: str) -> None:
    big = "x" * 10_000_000
    error = refusal(m.TRUNK_IN, dial(**{field: big if field == "channel" else {"k": big}}))
    assert error.code == "too-large"
    assert "16,384" in error.reason


def test_a_call_id_with_a_trailing_newline_is_refused() -> None:
    error = refusal(m.TRUNK_IN, dial(call_id="c1\n"))
    assert (error.code, error.reason.endswith("at `$.call_id`")) == ("invalid-message", True)


def test_a_topic_whose_id_ends_in_a_newline_is_refused() -> None:
    error = refusal("cti/v1/agents/N01\n/cmd", b'{"type": "ready", "agent_id": "N01"}')
    assert error.code == "bad-topic"
    assert error.topic == "cti/v1/agents/N01\ufffd/cmd"  # shown, never echoed raw


@pytest.mark.parametrize("epoch", [10**23, 2**53 + 1, -1])
def test_an_epoch_out_of_bounds_is_refused(epoch: int) -> None:
    payload = json.dumps({"type": "release", "call_id": "c1", "reason": "agent", "epoch": epoch}).encode()
    assert refusal(m.pbx_ctl("c1"), payload).code == "invalid-message"


def test_the_largest_epoch_is_accepted() -> None:
    payload = json.dumps({"type": "release", "call_id": "c1", "reason": "agent", "epoch": 2**53}).encode()
    assert m.parse(m.pbx_ctl("c1"), payload) == m.Release(call_id="c1", reason="agent", epoch=2**53)


@pytest.mark.parametrize("reason", ["a\x00b", "a\x1b[31mb", "a\rb", "a\nb", "a\x85b", "a\u2028b"])
def test_control_characters_in_a_reason_are_refused(reason: str) -> None:
    payload = json.dumps({"type": "not-ready", "agent_id": "N01", "reason": reason}).encode()
    error = refusal(m.agent_cmd("N01"), payload)
    assert error.code == "invalid-message"
    assert "at `$.reason`" in error.reason


def test_notes_may_have_newlines_but_no_other_control_character() -> None:
    form = {"type": "wrap-up", "agent_id": "N01", "call_id": "c1", "disposition": "how-to"}
    assert m.parse(m.agent_cmd("N01"), json.dumps({**form, "notes": "line 1\nline 2"}).encode())
    error = refusal(m.agent_cmd("N01"), json.dumps({**form, "notes": "line 1\r\nline 2"}).encode())
    assert error.code == "invalid-message"


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"channel": "x" * 33}, "channel"),
        ({"channel": "Voice"}, "channel"),
        ({"ivr": {f"k{i}": "v" for i in range(17)}}, "ivr"),
        ({"ivr": {"k": "v" * 65}}, "ivr"),
        ({"ivr": {"k\n": "v"}}, "ivr"),
        ({"ivr": {"k": "v\x00"}}, "ivr"),
        ({"agency": "a" * 65}, "agency"),
        ({"caller": "0912\n"}, "caller"),
    ],
)
def test_every_string_field_of_a_dial_has_a_limit(fields: dict[str, object], where: str) -> None:
    error = refusal(m.TRUNK_IN, dial(**fields))
    assert error.code == "invalid-message"
    assert f"$.{where}" in error.reason


def test_a_time_past_the_year_9999_is_refused() -> None:
    payload = json.dumps({"type": "leader", "server_id": "a", "epoch": 1}).encode()
    assert m.parse(m.LEADER, payload)
    state = {"type": "agent-state", "agent_id": "N1", "site": "s", "status": "ready", "rule": "login"}
    assert refusal(m.agent_state("N1"), json.dumps({**state, "since": 1e23}).encode()).code == "invalid-message"


# ----------------------------------------------------------------------
# Any input at all: never an exception, always one error with a safe text
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "payload", "code"),
    [
        ("", b"", "bad-topic"),
        ("cti/v1/" + "x" * 300, b"{}", "bad-topic"),
        ("cti/v1/agents/\udcff/cmd", b"{}", "bad-topic"),  # not UTF-8 (as a transport decodes it)
        ("cti/v1/agents/N\x00/cmd", b"{}", "bad-topic"),
        ("cti/v1/agents/N 1/cmd", b"{}", "bad-topic"),
        ("cti/v1/agents/N1/cmd", b"", "not-json"),
        ("cti/v1/agents/N1/cmd", b"\xff" * 100, "not-json"),
        ("cti/v1/agents/N1/cmd", b"[" * 5000, "too-deep"),
        ("cti/v1/agents/N1/cmd", b"[[[]]]]]]", "not-json"),
        ("cti/v1/agents/N1/cmd", b'"' + b'a\\"' * 5000, "not-json"),
        ("cti/v1/agents/N1/cmd", b'{"type": "ready", "agent_id": "N1", "v": 100000000000000000000}', "invalid-message"),
    ],
)
def test_malformed_input_of_any_kind_is_one_error(topic: str, payload: bytes, code: str) -> None:
    assert refusal(topic, payload).code == code


def test_payloads_that_are_not_bytes_are_refused_too() -> None:
    bus = LocalBus()
    everything = bus.subscribe("#")
    for payload in ("text", None, 12):
        bus.publish_raw(m.agent_cmd("N1"), payload)  # type: ignore[arg-type]
    assert [d.message.code for d in everything.drain()] == ["not-json"] * 3  # type: ignore[attr-defined]


def test_the_excerpt_is_masked_short_and_free_of_control_characters() -> None:
    payload = ('{"type": "dial", "caller": "0912-345-678", "x": "A123456789 \x1b[2J' + "y" * 500 + '"}').encode()
    error = refusal(m.TRUNK_IN, payload)
    assert len(error.excerpt) <= m.MAX_EXCERPT
    assert "345" not in error.excerpt
    assert "23456" not in error.excerpt
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", error.excerpt + error.reason + error.topic)


@given(st.text(max_size=300), st.binary(max_size=2000))
def test_publish_raw_never_raises_and_answers_every_refusal(topic: str, payload: bytes) -> None:
    bus = LocalBus()
    everything = bus.subscribe("#")
    bus.publish_raw(topic, payload)
    [delivery] = everything.drain()
    if isinstance(delivery.message, m.Error) and delivery.topic == m.ERRORS:
        error = delivery.message
        assert m.parse(m.ERRORS, m.encode(error)) == error  # every error is itself within the limits
    else:
        assert delivery.topic == topic


ALNUM = string.ascii_letters + string.digits
IDS = st.builds(lambda head, rest: head + rest, st.sampled_from(ALNUM), st.text(ALNUM + "_-", max_size=62))


@given(IDS, st.sampled_from(["\n", "\r", "\x00", " ", "\t"]))
def test_no_id_may_end_in_a_newline_or_other_space(call_id: str, tail: str) -> None:
    assert m.parse(m.TRUNK_IN, dial(call_id=call_id))
    assert refusal(m.TRUNK_IN, dial(call_id=call_id + tail)).code == "invalid-message"


# ----------------------------------------------------------------------
# The size limits leave room for every message within the field limits
# ----------------------------------------------------------------------

WIDEST = "\U0001f600"  # written as a 12-byte surrogate pair by an ASCII-only JSON encoder


@pytest.mark.parametrize(("topic", "kind"), [(m.TRUNK_IN, "dial"), (m.PBX_IN, "new-call")])
def test_the_largest_dial_fits_its_topic_even_written_in_escapes(topic: str, kind: str) -> None:
    ids = dict.fromkeys(("call_id", "system", "agency"), "x" * m.MAX_ID)
    ivr = {f"{i:0{m.MAX_ID}d}": WIDEST * m.MAX_IVR_VALUE for i in range(m.MAX_IVR_CHOICES)}
    fields = {"type": kind, **ids, "caller": "+" + "1" * 32, "dialled": "+" + "1" * 32, "channel": "v" * 32}
    payload = json.dumps({**fields, "ivr": ivr, "v": 1}, ensure_ascii=True).encode()
    assert m.parse(topic, payload)


def test_the_largest_error_fits_its_topic_even_written_in_escapes() -> None:
    text = WIDEST * m.MAX_ERROR_TEXT
    error = {"type": "error", "code": "c" * 32, "reason": text, "topic": text, "excerpt": text, "v": 1}
    assert m.parse(m.ERRORS, json.dumps(error, ensure_ascii=True).encode())


def test_the_largest_wrap_up_form_fits_its_topic_even_written_in_escapes() -> None:
    form = {"type": "wrap-up", "agent_id": "a" * 64, "call_id": "c" * 64, "disposition": "d" * 64}
    fields = {"action": "a" * 32, "escalate_to": "e" * 32, "priority": "p" * 32, "v": 1}
    payload = json.dumps({**form, **fields, "notes": WIDEST * m.MAX_NOTES}, ensure_ascii=True).encode()
    assert m.parse(m.agent_cmd("a" * 64), payload)


# ----------------------------------------------------------------------
# An unknown system or agency: the general queue, flagged, never dropped
# ----------------------------------------------------------------------


def test_a_dial_for_an_unknown_system_rings_in_the_general_queue_and_the_pop_says_so(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))  # webhr only
        await c.at(1)
        c.dial("c1", system="nosuch")
        c.dial("c2", agency="nobody")
        await c.at(2)

    c = live(centre([agent("N1", "nantou", {"webhr": 3})], agencies=[agency("a1")]), tmp_path / "c.db", script)
    [(_, offer)] = c.offers("N1")
    assert (offer.call_id, offer.queue, offer.system) == ("c1", GENERAL_QUEUE, "nosuch")
    assert offer.pop is not None
    assert offer.pop.unknown == ["system"]
    assert c.errors() == []
    enter = {call_id: (e[3], e[6]) for call_id, events in c.events.items() for e in events if e[5] == "ENTERQUEUE"}
    assert enter == {"c1": (GENERAL_QUEUE, "unknown-system"), "c2": (GENERAL_QUEUE, "unknown-agency")}
    assert (c.calls["c2"].queue, c.calls["c2"].agency) == (GENERAL_QUEUE, "nobody")


def test_a_refused_dial_changes_no_table(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        await c.store.flush()
        before = table_digests(c.db)
        c.bus.publish_raw(m.TRUNK_IN, dial(channel="x" * 10_000_000))
        c.bus.publish_raw(m.TRUNK_IN, dial(call_id="c1\n"))
        await c.at(5)
        await c.store.flush()
        assert table_digests(c.db) == before

    c = live(centre([agent("N1")], agencies=[agency("a1")]), tmp_path / "c.db", script)
    assert [e.code for e in c.errors()] == ["too-large", "invalid-message"]
    assert c.calls == {}


def _largest(kind: mi.Type, key: bool = False) -> Any:
    """The largest valid value of a field type, every text character a 12-byte JSON escape where text is free."""
    if isinstance(kind, mi.UnionType):
        return _largest(next(t for t in kind.types if not isinstance(t, mi.NoneType)))
    if isinstance(kind, mi.BoolType):
        return False
    if isinstance(kind, mi.IntType):
        return kind.le if kind.le is not None else m.MAX_COUNT
    if isinstance(kind, mi.FloatType):
        assert kind.le is not None, kind
        return kind.le
    if isinstance(kind, mi.StrType):
        largest = {m._ID_RE: "a" * m.MAX_ID, m._TOKEN_RE: "a" * m.MAX_TOKEN, m._NUMBER_RE: "+" + "1" * 32}
        if kind.pattern in largest:
            return largest[kind.pattern]
        if kind.pattern == m._EXTENSION_RE:
            return "1" * 16
        if kind.pattern == m._DIGITS_RE:
            return "#" * m.MAX_DIGITS
        assert kind.max_length is not None, kind
        return WIDEST * kind.max_length
    if isinstance(kind, mi.DictType):
        assert kind.max_length is not None
        value = _largest(kind.value_type)
        width = len(_largest(kind.key_type))
        return {f"{i:0{width}d}".replace("0", "a", 1): value for i in range(kind.max_length)}
    if isinstance(kind, mi.ListType):
        assert kind.max_length is not None
        return [_largest(kind.item_type)] * kind.max_length
    if isinstance(kind, mi.StructType):
        doc = {f.encode_name: _largest(f.type) for f in kind.fields}
        if kind.tag is not None:
            doc[kind.tag_field or "type"] = kind.tag
        return doc
    raise AssertionError(f"no largest value for {kind}")


ROUTES = [(route, cls, limit) for route, (classes, _, limit) in m._ROUTES.items() for cls in classes]


@pytest.mark.parametrize(("route", "cls", "limit"), ROUTES, ids=[c.__name__ for _, c, _ in ROUTES])
def test_every_message_at_its_field_limits_fits_its_topic_s_size_limit(
    route: tuple[str, ...], cls: type[m.Message], limit: int
) -> None:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    doc = _largest(info)
    doc["v"] = 1
    payload = json.dumps(doc, ensure_ascii=True).encode()
    assert len(payload) <= limit, f"{cls.__name__}: {len(payload)} bytes > {limit}"
    id_field = m._ROUTES[route][1]
    topic = "/".join([m.PREFIX, *(str(doc[id_field]) if level == "+" else level for level in route)])
    assert m.parse(topic, payload)  # and it is a valid message


@pytest.mark.parametrize("digits", ["1" * 33, "", "1\n", "12a", "*#\x00"])
def test_keys_pressed_are_refused_beyond_32_of_the_phone_s_keys(digits: str) -> None:
    payload = json.dumps({"type": "dtmf", "call_id": "c1", "digits": digits}).encode()
    error = refusal(m.TRUNK_IN, payload)
    assert (error.code, "$.digits" in error.reason) == ("invalid-message", True)


def test_a_dial_with_no_system_or_agency_attached_is_a_caller_for_the_menus() -> None:
    payload = json.dumps({k: v for k, v in DIAL.items() if k not in ("system", "agency")}).encode()
    dial = m.parse(m.TRUNK_IN, payload)
    assert isinstance(dial, m.Dial)
    assert (dial.system, dial.agency) == (None, None)
