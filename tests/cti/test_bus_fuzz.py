"""Bus fuzz: generated and mutated input into a running centre; every refusal changes nothing.

Hypothesis builds valid messages of every inbound type from the message
schemas themselves (:mod:`msgspec.inspect` of the structs in
:mod:`cti.live.messages`, with known and unknown ids), puts them on their
topics, and mutates most of them: wrong types, oversize strings, deep
nesting, control characters, a trailing newline, unknown ids, duplicate
call ids, a wrong topic, broken JSON, bytes that are not UTF-8, huge
numbers, a missing field, random bytes. Each example is one centre (server
and PBX on a :class:`LocalBus`, a real SQLite store) fed a sequence of such
messages through ``publish_raw``, with centre time moving on now and then so
calls ring, connect, end and wrap up.

For every message: ``publish_raw`` must not raise; every error it causes
must itself be within the limits; and when a message is refused (an error
appears), a full snapshot of the router's state and a hash of every table
(after a flush) must be exactly as before it.

A second run (half as many messages) gives the centre voice menus: dials
go through the IVR, callers press keys often, and keys and prompts' ends
also reach calls that are not in the menus; a refusal must then leave the
IVR engine's whole state unchanged too.

The count of messages is fixed, never a time: ``CTI_FUZZ_MESSAGES`` (default
10,000, the CI run), e.g. ``CTI_FUZZ_MESSAGES=1000000 pytest
tests/cti/test_bus_fuzz.py -q -s`` by hand, which prints the tally.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import sqlite3
import string
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cti.casework.people import Person
from cti.clock import VirtualClock, run
from cti.live import messages as m
from routing.centre import DEFAULT_DISPOSITIONS, Centre
from routing.testing import agency, agent, centre, check_state, snapshot
from tests.cti.live import START, Live, ivr_plan

MESSAGES = int(os.environ.get("CTI_FUZZ_MESSAGES", "10000"))
PER_CENTRE = 100  # messages fed to one centre (one Hypothesis example)

AGENTS = ("N1", "N2", "T1")
PEOPLE = (
    Person("P0000001", "陳怡君", "a1", "人事主任", "02-2397-5123", "0912-345-678", "p1@a1.gov.tw", "A123456789", True),
    Person("P0000002", "林志明", "south", "科員", "049-2345-6789", "0933-111-222", "p2@a1.gov.tw", "B120000005", True),
)


def the_centre() -> Centre:
    return centre(
        [
            agent("N1", "nantou", {"webhr": 3, "pemis2k": 3}),
            agent("N2", "nantou", {"webhr": 2}),
            agent("T1", "taipei", {"webhr": 3, "ecpa": 2}),
        ],
        agencies=[agency("a1", code="301"), agency("south", prefer_site="nantou", priority=1, code="302")],
        languages=["zh", "en"],
        wrap_up_s=8,
        ring_timeout_s=6,
        max_wait_no_agent_s=20,
        overflow_after_s=4,
    )


# ----------------------------------------------------------------------
# Valid messages, from the schemas
# ----------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
IDS = st.builds(lambda head, rest: head + rest, st.sampled_from(ALNUM), st.text(ALNUM + "_-", max_size=12))
CALL_IDS = st.one_of(st.sampled_from([f"c{i}" for i in range(4)]), st.integers(0, 10**6).map(lambda n: f"f{n}"))
LINE = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=24)
POOLS: dict[str, st.SearchStrategy[Any]] = {
    "call_id": CALL_IDS,
    "agent_id": st.sampled_from([*AGENTS, "X9", "n1"]),
    "person_id": st.sampled_from(["P0000001", "P0000002", "P9999999"]),
    "system": st.sampled_from(["webhr", "pemis2k", "ecpa", "nosuch"]),
    "agency": st.sampled_from(["a1", "south", "nobody"]),
    "caller": st.sampled_from(["02-2397-5123", "0912-345-678", "049-2345-6789", "07-345-6789", "+886 2 2222 3333"]),
    "dialled": st.just("1999"),
    "digits": st.sampled_from(["1", "2", "0", "*", "#", "9", "301#", "12"]),
    "prompt": st.sampled_from(["welcome", "menu_main", "menu_more", "language", "agency", "nosuch"]),
    "language": st.sampled_from(["zh", "en", "nan", "fr"]),
    "channel": st.sampled_from(["voice", "voice", "email"]),
    "disposition": st.sampled_from([*DEFAULT_DISPOSITIONS[:3], "nosuch"]),
    "action": st.sampled_from(["close", "close", "escalate", "reopen"]),
    "escalate_to": st.sampled_from([None, "second-line", "vendor", "moon"]),
    "priority": st.sampled_from(["normal", "urgent", "low"]),
    "reason": st.one_of(st.sampled_from(["break", "lunch"]), LINE),
    "notes": st.text(
        st.characters(codec="utf-8", categories=("L", "N", "P", "Zs"), include_characters="\n"), max_size=40
    ),
}
TOKENS = st.sampled_from(["voice", "ready", "close", "x"])


def _value(name: str, kind: Any) -> st.SearchStrategy[Any]:
    """A valid value for one field, from its type in the schema (a pool of known and unknown ids by name)."""
    if name in POOLS:
        return POOLS[name]
    if isinstance(kind, mi.UnionType):
        return st.one_of(*(_value(name, t) for t in kind.types))
    if isinstance(kind, mi.NoneType):
        return st.none()
    if isinstance(kind, mi.BoolType):
        return st.booleans()
    if isinstance(kind, mi.IntType):
        return st.integers(kind.ge or 0, min(kind.le or 10**6, 10**6))
    if isinstance(kind, mi.FloatType):
        return st.floats(0, 10**9, allow_nan=False)
    if isinstance(kind, mi.DictType):
        return st.dictionaries(IDS, LINE.map(lambda s: s[:64]), max_size=3)
    if isinstance(kind, mi.StrType):
        return {
            m._ID_RE: IDS,
            m._TOKEN_RE: TOKENS,
        }.get(kind.pattern or "", LINE)
    raise AssertionError(f"no strategy for {name}: {kind}")


def valid(cls: type[m.Message]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid message of type ``cls`` as a JSON object; optional fields present or not."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    fields = {f.encode_name: _value(f.name, f.type) for f in info.fields if f.required}
    optional = {f.encode_name: _value(f.name, f.type) for f in info.fields if not f.required and f.name != "v"}
    return st.fixed_dictionaries(
        {"type": st.just(info.tag), **fields},
        optional=optional,  # type: ignore[arg-type]
    )


def topic_of(doc: dict[str, Any]) -> str:
    kind = doc["type"]
    if kind in ("dial", "caller-hang-up", "dtmf", "pick-up"):
        return m.TRUNK_IN
    if kind == "new-call":
        return m.PBX_IN
    if kind in ("caller-hung-up", "prompt-done", "digits", "outbound-answered", "outbound-failed"):
        return m.pbx_ev(str(doc["call_id"]))
    return m.agent_cmd(str(doc["agent_id"]))


#: Every message a component of the centre takes in: from callers, the PBX and agents.
INBOUND = (m.Dial, m.CallerHangUp, m.Dtmf, m.PickUp, m.NewCall, m.CallerHungUp, m.PromptDone, m.Digits)
INBOUND += (m.OutboundAnswered, m.OutboundFailed)
INBOUND += (m.Login, m.Logout, m.Ready, m.NotReady, m.Answer, m.HangUp, m.WrapUp, m.LinkCaller)
# Calls and agents' answers come often, so that calls get answered, ended and wrapped up.
WEIGHTS = {m.Dial: 4, m.Answer: 4, m.HangUp: 3, m.WrapUp: 3, m.Login: 2, m.Ready: 2, m.CallerHangUp: 2}
VALID = st.one_of(*(valid(cls) for cls in INBOUND for _ in range(WEIGHTS.get(cls, 1))))
# With an IVR, callers press keys often, so that calls get through the menus (and some keys come at odd times).
IVR_WEIGHTS = {**WEIGHTS, m.Dtmf: 16, m.Digits: 2, m.PromptDone: 2}
VALID_IVR = st.one_of(*(valid(cls) for cls in INBOUND for _ in range(IVR_WEIGHTS.get(cls, 1))))

# ----------------------------------------------------------------------
# Mutations
# ----------------------------------------------------------------------

WRONG = [123, -1, 1.5, None, True, [], {}, "x", [1, [2]], {"a": 1}, ""]
CONTROL = ["\x00", "\n", "\r", "\t", "\x1b[2J", "\x7f", "\x85", "\u2028", "\ud800"]
HUGE = [10**23, 2**53 + 1, -1, 1e308, -(10**30)]
SIZES = [65, 201, 501, 2001, 20_000, 70_000, 1_100_000]
TOPICS = [
    m.TRUNK_IN,
    m.PBX_IN,
    m.pbx_ev("c1"),
    m.pbx_ctl("c1"),
    m.agent_cmd("N1"),
    m.agent_cmd("X9"),
    m.agent_offer("N1"),
    m.call_topic("c1"),
    m.STATS,
    m.ERRORS,
    "cti/v1/nowhere",
    "cti/v2/trunk/in",
    "cti/v1/agents/+/cmd",
    "cti/v1/agents/#",
    "",
    "/",
    "cti/v1/agents/N1\n/cmd",
    "cti/v1/agents/\udcff/cmd",
    "cti/v1/agents/N1/cmd/extra",
    "cti/v1/" + "x" * 300,
]


DEEP = "<deep>"


def _nest(value: bytes, depth: int) -> bytes:
    """``value`` inside ``depth`` levels of objects and arrays, alternately (written directly: too deep to encode)."""
    opening = [b"[" if i % 2 else b'{"a":' for i in range(depth)]
    closing = [b"]" if i % 2 else b"}" for i in reversed(range(depth))]
    return b"".join(opening) + value + b"".join(closing)


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc).encode()


@st.composite
def fuzzed(draw: st.DrawFn, messages: st.SearchStrategy[dict[str, Any]] = VALID) -> tuple[float, str, bytes, str]:
    """(seconds to let pass first, topic, payload, which mutation) for one message."""
    delay = draw(st.sampled_from([0, 0, 0, 0, 0, 0, 1, 2, 5, 12]))
    doc = draw(messages)
    topic = topic_of(doc)
    keys = sorted(doc)
    strings = sorted(k for k, v in doc.items() if isinstance(v, str)) or ["type"]
    how = draw(
        st.sampled_from(
            ["valid"] * 6
            + ["wrong-type", "oversize", "deep", "control", "newline", "wrong-topic", "bad-json", "not-utf8"]
            + ["huge-number", "missing-field", "random-bytes", "unknown-type", "id-mismatch"]
        )
    )
    payload: bytes | None = None
    if how == "wrong-type":
        doc[draw(st.sampled_from([*keys, "v"]))] = draw(st.sampled_from(WRONG))
    elif how == "oversize":
        doc[draw(st.sampled_from(strings))] = "x" * draw(st.sampled_from(SIZES))
    elif how == "deep":
        key = draw(st.sampled_from(keys))
        inner, doc[key] = doc[key], DEEP
        payload = _dumps(doc).replace(_dumps(DEEP), _nest(_dumps(inner), draw(st.sampled_from([5, 9, 50, 1000, 5000]))))
    elif how == "control":
        key = draw(st.sampled_from(strings))
        text = str(doc[key])
        at = draw(st.integers(0, len(text)))
        doc[key] = text[:at] + draw(st.sampled_from(CONTROL)) + text[at:]
    elif how == "newline":
        if draw(st.booleans()) and topic.count("/") == 4:
            levels = topic.split("/")
            topic = "/".join([*levels[:3], levels[3] + "\n", levels[4]])
        else:
            doc[draw(st.sampled_from(strings))] += "\n"
    elif how == "wrong-topic":
        topic = draw(st.sampled_from(TOPICS))
    elif how == "id-mismatch":
        topic = draw(st.sampled_from([m.agent_cmd("N2"), m.pbx_ev("c5"), m.agent_cmd("T1")]))
    elif how == "huge-number":
        doc[draw(st.sampled_from([*keys, "v", "epoch"]))] = draw(st.sampled_from(HUGE))
    elif how == "missing-field":
        del doc[draw(st.sampled_from(keys))]
    elif how == "unknown-type":
        doc["type"] = draw(st.sampled_from(["teleport", "ring", "offer", "stats", "DIAL"]))
    raw = payload if payload is not None else _dumps(doc)
    if how == "bad-json":
        at = draw(st.integers(0, len(raw)))
        raw = draw(st.sampled_from([raw[:at], raw[:at] + b"," + raw[at:], raw[:at] + b"}" + raw[at:], b"{" + raw]))
    elif how == "not-utf8":
        at = draw(st.integers(0, len(raw)))
        raw = draw(st.sampled_from([raw[:at] + b"\xff\xfe" + raw[at:], raw.decode().encode("utf-16")]))
    elif how == "random-bytes":
        raw = draw(st.binary(max_size=300))
    return delay, topic, raw, how


# ----------------------------------------------------------------------
# The centre under fuzz
# ----------------------------------------------------------------------


def digests(db: sqlite3.Connection) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
        order = "" if "WITHOUT ROWID" in sql.upper() else " ORDER BY rowid"
        digest = hashlib.sha256()
        for row in db.execute(f'SELECT * FROM "{name}"{order}'):
            digest.update(repr(row).encode())
        out[name] = digest.hexdigest()
    return out


class Tally:
    def __init__(self) -> None:
        self.messages = 0
        self.refused: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.ivr_steps: Counter[str] = Counter()  # the IVR's journalled steps, by kind


#: Mutations that always break a message (others may by chance leave it valid: a missing field with a default,
#: a newline in notes, a mismatched id or another topic drawn equal to the right one, a bad character
#: that lands inside a key and leaves an unknown field, which is ignored).
ALWAYS_REFUSED = frozenset({"deep", "not-utf8", "random-bytes", "unknown-type"})


def everything(c: Live) -> Any:
    """The router's full snapshot, and what the server keeps per call: live calls, wrap-ups, the case desk's;
    with an IVR, the engine's full snapshot and the calls in the menus."""
    calls = c.server.calls
    menus = c.server.menus
    return (
        snapshot(c.server.router),
        sorted((call_id, live.record.state, live.record.agent) for call_id, live in calls.live.items()),
        calls.wrapping(),
        sorted(c.server.desk.calls),
        (snapshot(menus.engine), sorted(menus.in_menus)) if menus is not None else None,  # type: ignore[arg-type]
    )


async def feed(c: Live, db: sqlite3.Connection, inputs: list[tuple[float, str, bytes, str]], tally: Tally) -> None:
    errors = c.bus.subscribe(m.ERRORS)
    router = c.server.router
    for agent_id in AGENTS:  # a staffed centre, so that calls get somewhere
        c.bus.publish_raw(m.agent_cmd(agent_id), m.encode(m.Login(agent_id=agent_id)))
    tally.messages += len(AGENTS)
    unchanged: tuple[Any, dict[str, str]] | None = None  # the state after the last message, if it was refused
    for delay, topic, payload, how in inputs:
        if delay:
            await c.clock.sleep(delay)
            unchanged = None
        for _ in range(20):  # what the last message set off has run its course
            await asyncio.sleep(0)
        await c.store.flush()
        now = c.clock.now()
        assert router.advance(now) == []  # the server ran every timer due by now
        if c.server.menus is not None:
            assert c.server.menus.engine.advance(now) == []  # the IVR's too
        # Right after a refusal, with no time passed, the state is the one just checked
        # (were it not, the comparison below would fail: reusing it can hide nothing).
        state, tables = unchanged or (everything(c), digests(db))
        unchanged = None
        c.bus.publish_raw(topic, payload)  # must never raise
        tally.messages += 1
        for _ in range(20):  # the PBX and the server take their turns; centre time stands still
            await asyncio.sleep(0)
        assert c.clock.now() == now
        refusals = [d.message for d in errors.drain()]
        if not refusals:
            # A mutation that breaks the message's form can never be taken in silence.
            assert how not in ALWAYS_REFUSED, f"{how} on {topic!r} was taken in silence: {payload[:200]!r}"
            tally.accepted[how] += 1
            continue
        tally.refused[how] += 1
        for error in refusals:
            assert isinstance(error, m.Error)
            assert m.parse(m.ERRORS, m.encode(error)) == error  # every error is itself within the limits
            tally.codes[error.code] += 1
        await c.store.flush()
        assert everything(c) == state, f"{how} on {topic!r} changed the router or the shell: {payload[:200]!r}"
        assert digests(db) == tables, f"{how} on {topic!r} changed the store: {payload[:200]!r}"
        unchanged = (state, tables)
    check_state(router)
    await c.store.flush()
    tally.ivr_steps.update(k for (k,) in db.execute("SELECT data1 FROM call_events WHERE event = 'IVRSTEP'"))
    for task in c._tasks:
        assert not task.done(), "a component of the centre stopped"


def one_centre(inputs: list[tuple[float, str, bytes, str]], tally: Tally, *, with_ivr: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.db"
        centre_ = the_centre()
        plan = ivr_plan(centre_, MENUS, every_s=0.5) if with_ivr else None

        async def main() -> None:
            async with Live(centre_, path, PEOPLE, plan) as c:
                db = sqlite3.connect(path)
                try:
                    await feed(c, db, inputs, tally)
                finally:
                    db.close()

        run(main(), VirtualClock(START))


#: The fuzzed centre's menus, when it has an IVR.
MENUS = {"main": {"1": "webhr", "2": "pemis2k", "9": "more"}, "more": {"1": "ecpa"}}


@pytest.mark.parametrize("with_ivr", [False, True], ids=["no-ivr", "ivr"])
def test_every_refused_message_leaves_the_router_and_the_store_unchanged(with_ivr: bool) -> None:
    """With an IVR, dials go through the menus and keys and prompts' ends reach it (half the messages)."""
    tally = Tally()
    messages = MESSAGES // 2 if with_ivr else MESSAGES
    examples = math.ceil(messages / (PER_CENTRE + len(AGENTS)))
    started = time.perf_counter()

    @settings(
        derandomize=True,
        max_examples=examples,
        phases=[Phase.generate],  # no shrinking: a failure names the mutation, topic and payload, and reruns alike
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(fuzzed(VALID_IVR if with_ivr else VALID), min_size=PER_CENTRE, max_size=PER_CENTRE))
    def centre_under_fuzz(inputs: list[tuple[float, str, bytes, str]]) -> None:
        before = tally.messages
        one_centre(inputs, tally, with_ivr=with_ivr)
        if MESSAGES > 10_000 and tally.messages // 100_000 > before // 100_000:  # progress of a long run
            print(f"  {tally.messages} messages, {time.perf_counter() - started:.0f} s", flush=True)

    centre_under_fuzz()
    seconds = time.perf_counter() - started
    print(
        f"\nbus fuzz: {tally.messages} messages to {examples} centres in {seconds:.1f} s; "
        f"refused {sum(tally.refused.values())} ({dict(tally.refused.most_common())}); "
        f"accepted {sum(tally.accepted.values())} ({dict(tally.accepted.most_common())}); "
        f"error codes {dict(tally.codes.most_common())}; IVR steps {dict(tally.ivr_steps.most_common())}"
    )
    assert tally.messages >= messages
    assert tally.accepted["valid"] > 0
    assert set(tally.refused) >= {"wrong-type", "oversize", "deep", "control", "newline", "bad-json", "not-utf8"}
    assert tally.codes["duplicate-call"] > 0
    if with_ivr:
        assert tally.codes["unknown-call"] > 0  # keys or a prompt's end for calls not in the menus
        assert tally.ivr_steps["choice"] > 0  # keys taken by the menus
