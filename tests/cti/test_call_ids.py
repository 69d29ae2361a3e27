"""A call id is used once for the life of a store: a second call on a used id is refused and changes nothing.

Each test puts a second caller on an id at a different point of the first
call's life (in progress, in wrap-up, ended but not committed yet, committed,
committed in an earlier run) and checks that the second caller is released
with ``duplicate-call`` while the router's state and every table stay as they
were: the first call's row, its case and its journal untouched.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from cti.clock import VirtualClock, run
from cti.live import messages as m
from cti.store import Store
from cti.store.directory import Directory
from routing.testing import agency, agent, centre, snapshot
from tests.cti.live import START, Live, live, table_digests


def one_agent(**rules: Any) -> Any:
    return centre([agent("N1", "nantou", {"webhr": 3})], agencies=[agency("a1")], **rules)


async def unchanged_by(c: Live, act: Any) -> list[m.Error]:
    """Run ``act`` and let the centre handle it; assert the router and every table are as before; the errors."""
    await c.store.flush()
    assert c.server.router.advance(c.clock.now()) == []  # the router at the clock's time, nothing due
    router, tables, errors = snapshot(c.server.router), table_digests(c.db), len(c.errors())
    act()
    for _ in range(5):
        await asyncio.sleep(0)
    await c.store.flush()
    assert snapshot(c.server.router) == router
    assert table_digests(c.db) == tables
    return c.errors()[errors:]


def released(c: Live, call_id: str) -> list[str]:
    return [r.reason for _, r in c.messages(m.CallReleased) if r.call_id == call_id]


def test_a_dial_on_the_id_of_an_abandoned_call_is_released_as_a_duplicate(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.dial("c1")
        await c.at(5)
        c.caller_hangs_up("c1")
        await c.at(10)
        errors = await unchanged_by(c, lambda: c.dial("c1", caller="02-2222-3333"))
        assert [e.code for e in errors] == ["duplicate-call"]
        assert "c1" not in c.pbx.lines  # the second caller's line is released

    c = live(one_agent(), tmp_path / "c.db", script)
    assert released(c, "c1") == ["duplicate-call"]
    assert (c.calls["c1"].outcome, c.calls["c1"].caller) == ("abandoned", "049-2345-6789")
    assert [e[5] for e in c.events["c1"]] == ["ENTERQUEUE", "ABANDON"]


def test_a_dial_on_the_id_of_a_call_in_wrap_up_leaves_the_call_and_its_wrap_up_alone(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1")
        await c.at(2)
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        await c.at(10)
        c.agent(m.HangUp(agent_id="N1", call_id="c1"))  # wrap-up 10..40
        await c.at(12)
        assert c.server.calls.in_wrap_up("N1") == "c1"
        errors = await unchanged_by(c, lambda: c.dial("c1", caller="02-2222-3333"))
        assert [e.code for e in errors] == ["duplicate-call"]
        c.agent(m.WrapUp(agent_id="N1", call_id="c1", disposition="solved"))  # the first call's form still goes in
        await c.at(50)

    c = live(one_agent(wrap_up_s=30), tmp_path / "c.db", script)
    row = c.calls["c1"]
    assert (row.outcome, row.agent, row.answered_at, row.disposition) == ("answered", "N1", START + 2, "solved")
    assert [e[5] for e in c.events["c1"]] == ["ENTERQUEUE", "RINGING", "CONNECT", "COMPLETEAGENT", "WRAPUPEND"]
    assert [o.call_id for _, o in c.offers("N1")] == ["c1"]  # the second caller never rang anyone
    assert released(c, "c1") == ["agent", "duplicate-call"]


def test_a_dial_on_an_id_whose_row_is_not_committed_yet_is_refused(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.dial("c1")
        c.caller_hangs_up("c1")
        for _ in range(5):
            await asyncio.sleep(0)
        assert c.store.holds_call("c1")  # ended, waiting in the store's batch
        assert not c.server.desk.directory.has_call("c1")
        assert "c1" not in c.server.calls.live
        c.dial("c1", caller="02-2222-3333")
        await c.at(5)

    c = live(one_agent(), tmp_path / "c.db", script)
    assert [e.code for e in c.errors()] == ["duplicate-call"]
    assert c.calls["c1"].caller == "049-2345-6789"
    assert [e[5] for e in c.events["c1"]] == ["ENTERQUEUE", "ABANDON"]


def test_the_batch_being_committed_still_holds_its_call_ids(tmp_path: Path) -> None:
    async def main() -> None:
        clock = VirtualClock(START)
        async with await Store.open(tmp_path / "c.db", clock) as store:
            run_id = await store.start_run(START, "test", "Asia/Taipei", 1, "max")
            from cti.store import CallRecord

            store.call(CallRecord(call_id="c1", run_id=run_id, channel="voice", caller="1", dialled="2",
                                  system="webhr", agency="a1", arrived_at=START))  # fmt: skip
            directory = Directory(store.path)
            committing = asyncio.create_task(store.flush())
            await asyncio.sleep(0)  # the batch is taken; its transaction is under way
            assert not committing.done()
            assert store.holds_call("c1")
            assert not directory.has_call("c1")
            await committing
            assert directory.has_call("c1")
            assert not store.holds_call("c1")
            directory.close()

    run(main(), VirtualClock(START))


def test_a_dial_on_the_id_of_a_call_of_an_earlier_run_is_refused(tmp_path: Path) -> None:
    async def first(c: Live) -> None:
        c.dial("c1")
        await c.at(5)
        c.caller_hangs_up("c1")
        await c.at(10)

    async def second(c: Live) -> None:
        assert not c.store.holds_call("c1")  # only the calls table knows it
        errors = await unchanged_by(c, lambda: c.dial("c1", caller="02-2222-3333"))
        assert [e.code for e in errors] == ["duplicate-call"]
        await c.at(5)

    db = tmp_path / "c.db"
    live(one_agent(), db, first)
    c = live(one_agent(), db, second)
    assert released(c, "c1") == ["duplicate-call"]
    assert c.calls["c1"].run_id == 1


def test_a_new_call_message_for_a_call_in_progress_is_refused_and_its_line_kept(tmp_path: Path) -> None:
    """A ``new-call`` that did not come through the PBX must not release the first caller's line."""

    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1")
        await c.at(2)
        new_call = m.NewCall(call_id="c1", caller="02-2222-3333", dialled="1999", system="webhr", agency="a1")
        errors = await unchanged_by(c, lambda: c.bus.publish_raw(m.PBX_IN, m.encode(new_call)))
        assert [e.code for e in errors] == ["duplicate-call"]
        assert "c1" in c.pbx.lines
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        await c.at(5)

    c = live(one_agent(), tmp_path / "c.db", script)
    assert released(c, "c1") == []
    assert [(r.call_id, r.agent_id) for _, r in c.messages(m.CallConnected)] == [("c1", "N1")]


def test_the_pbx_refuses_a_dial_for_a_line_it_holds(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.dial("c1")
        await c.at(1)
        errors = await unchanged_by(c, lambda: c.dial("c1", caller="02-2222-3333"))
        assert [(e.code, e.topic) for e in errors] == [("duplicate-call", m.TRUNK_IN)]
        await c.at(2)

    c = live(one_agent(), tmp_path / "c.db", script)
    assert len(c.messages(m.NewCall)) == 1
