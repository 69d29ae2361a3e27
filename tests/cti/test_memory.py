"""Bounded memory: a call leaves memory when its wrap-up ends, and callers' histories come back from the store.

Runs go through the live centre in virtual time (store, server, PBX, agent
bots and callers on the in-process bus), with the caller cache made tiny so
that histories are read back from the store all the time.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from cti.casework import cases as k
from cti.casework.people import Person
from cti.casework.synthetic import generate_people
from cti.clock import ScaledClock
from cti.live import messages as m
from cti.live.bots import AgentBots, BotBehaviour
from cti.live.screenpop import OPEN_CASES
from cti.live.server.history import CallerHistory
from cti.live.traffic import TrafficGenerator, TrafficProfile
from cti.store import CallRecord, Store
from cti.store.directory import Directory
from routing.centre import CaseRules, Centre
from routing.testing import agency, agent, centre
from simulator.behaviour import AgentBehaviour
from simulator.scenario import Distribution
from tests.cti.live import START, Live, live
from tests.cti.test_screen_pop import CHEN, LIN, UNKNOWN, answer_and_hang_up, form, one_agent

SKILLS = {"webhr": 3, "pemis2k": 3, "ecpa": 3}
FEW = generate_people(["a1", "a2"], 2, seed=3)  # four people calling again and again: many open cases each
PROFILE = TrafficProfile(
    busy_hour_calls=1_800,
    hourly=(1.0,) * 24,
    patience=Distribution("lognormal", mean=20.0, cv=1.0),
    unknown_share=0.2,
    repeat_share=0.5,
    recent_callers=10,
)
BOTS = BotBehaviour(
    AgentBehaviour(
        answer_delay_s=1.0,
        answer_delay_cv=0.5,
        miss_probability=0.05,
        break_probability=0.05,
        break_s=20.0,
        back_after_missed_s=10.0,
    ),
    talk=Distribution("lognormal", mean=5.0, cv=0.5),
)


def four_agents() -> Centre:
    return centre(
        [agent(f"N{i}", "nantou", SKILLS) for i in (1, 2, 3)] + [agent("T1", "taipei", SKILLS)],
        agencies=[agency("a1"), agency("a2")],
        wrap_up_s=2,
    )


@dataclass
class Busy:
    """What a busy run left behind once the centre was idle."""

    dialled: int = 0
    checks: dict[str, object] = field(default_factory=dict)


def busy_run(
    busy: Busy,
    *,
    callers: int,
    prefix: str,
    people: Sequence[Person] = FEW,
    when_idle: Callable[[Live], None] | None = None,
) -> Callable[[Live], Awaitable[None]]:
    """About 300 calls (1,800 an hour for 10 minutes) from ``people`` and many unknown callers, then drained."""

    async def script(c: Live) -> None:
        c.server.desk.callers.size = callers
        c.server.desk.directory.CACHE = callers
        bots = AgentBots(
            c.bus, c.clock, [a.id for a in c.centre.agents], seed=5, behaviour=BOTS, dispositions=("how-to", "solved")
        )
        traffic = TrafficGenerator(
            c.bus,
            c.clock,
            systems=[s.id for s in c.centre.systems],
            agencies=["a1", "a2"],
            timezone=c.centre.info.timezone,
            seed=5,
            call_prefix=prefix,
            profile=PROFILE,
            callers=people,
        )
        tasks = [asyncio.create_task(bots.run()), asyncio.create_task(traffic.run())]
        bots.login()
        traffic.start(START + 600.0)
        while not (traffic.done() and c.server.idle()):
            await c.clock.sleep(1.0)
        bots.stop()
        while not (bots.all_logged_out() and c.server.all_logged_out()):
            await c.clock.sleep(1.0)
        await c.clock.sleep(5.0)  # the store commits every second
        busy.dialled = traffic.dialled
        busy.checks = {
            "traffic.outstanding": dict(traffic.outstanding),
            "bots on a call or about to act": [b.agent_id for b in bots.bots.values() if b.call_id or b.pending],
        }
        if when_idle is not None:
            when_idle(c)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    return script


def test_when_the_centre_is_idle_no_call_is_held_in_memory_but_by_the_bounded_caller_cache(tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def look(c: Live) -> None:
        server, desk = c.server, c.server.desk
        seen["calls live"] = dict(server.calls.live)
        seen["agents in wrap-up"] = server.calls.wrapping()
        seen["desk calls"] = dict(desk.calls)
        seen["router calls"] = dict(server.router.calls)
        seen["router timer"] = server.router.next_timer_at()
        seen["pbx lines"] = dict(c.pbx.lines)
        seen["store rows not committed"] = c.store.queued()
        seen["callers kept"] = len(desk.callers) <= 8
        seen["numbers looked up and kept"] = desk.directory.cached()
        histories = desk.callers.histories()
        gc.collect()
        alive = [o for o in gc.get_objects() if isinstance(o, CallRecord | k.CaseRecord)]
        ours = [o for o in alive if (o.call_id or "").startswith("m-")]
        cached = {id(r) for h in histories for r in h.contacts} | {
            id(case) for h in histories for case in h.open_cases.values()
        }
        seen["rows held outside the cache"] = sorted(
            f"{type(o).__name__} {o.call_id}" for o in ours if id(o) not in cached
        )

    busy = Busy()
    c = live(four_agents(), tmp_path / "c.db", busy_run(busy, callers=8, prefix="m-", when_idle=look), people=FEW)
    assert busy.dialled > 250
    assert len(c.calls) == busy.dialled
    assert seen == {
        "calls live": {},
        "agents in wrap-up": 0,
        "desk calls": {},
        "router calls": {},
        "router timer": None,
        "pbx lines": {},
        "store rows not committed": 0,
        "callers kept": True,  # no more than the cache's size
        "numbers looked up and kept": 8,
        "rows held outside the cache": [],
    }
    assert busy.checks == {"traffic.outstanding": {}, "bots on a call or about to act": []}


def test_a_cache_of_one_caller_gives_the_same_screen_pops_as_the_default_cache(tmp_path: Path) -> None:
    def pops(db: Path) -> list[tuple[str, float, str]]:
        with sqlite3.connect(db) as con:
            return con.execute("SELECT call_id, at, pop FROM screen_pops ORDER BY at, call_id").fetchall()

    tiny, roomy = Busy(), Busy()
    live(four_agents(), tmp_path / "tiny.db", busy_run(tiny, callers=1, prefix="p-"), people=FEW)
    live(four_agents(), tmp_path / "roomy.db", busy_run(roomy, callers=4_096, prefix="p-"), people=FEW)
    assert tiny.dialled == roomy.dialled > 250
    assert pops(tmp_path / "tiny.db") == pops(tmp_path / "roomy.db")
    with sqlite3.connect(tmp_path / "tiny.db") as con:
        shown = con.execute(
            "SELECT json_array_length(pop, '$.history'), json_array_length(pop, '$.open_cases'), "
            "json_extract(pop, '$.open_cases_total') FROM screen_pops"
        ).fetchall()
    assert sum(1 for history, _, _ in shown if history == 5) > 100  # callers came back, with contacts to show
    assert sum(1 for _, listed, total in shown if listed == 10 and total > 10) > 50  # and more open cases than shown
    assert sum(1 for _, listed, total in shown if 0 < listed == total) > 10


def test_after_its_caller_left_the_cache_a_pop_shows_this_runs_earlier_contact_from_the_store(tmp_path: Path) -> None:
    kept: list[bool] = []

    async def script(c: Live) -> None:
        c.server.desk.callers.size = 1
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", caller=LIN.mobile)
        await c.at(2)
        await answer_and_hang_up(c, "c1", 2, form=form("c1", "escalate", "second-line"))
        c.dial("c2", caller=CHEN.office_phone)  # another caller: Lin leaves the cache
        await c.at(31)
        await answer_and_hang_up(c, "c2", 31, form=form("c2"))
        kept.append(c.server.desk.callers.peek(f"p:{LIN.person_id}") is not None)
        c.dial("c3", caller=LIN.office_phone)
        await c.at(61)

    c = live(one_agent(), tmp_path / "c.db", script, people=[CHEN, LIN])
    assert kept == [False]
    pop = c.offers("N1")[-1][1].pop
    assert pop is not None
    assert [(h.call_id, h.outcome, h.disposition, h.notes) for h in pop.history] == [
        ("c1", "answered", "how-to", "說明操作步驟")
    ]
    assert [(case.case_id, case.tier) for case in pop.open_cases] == [(c.calls["c1"].case_id, "second-line")]


def test_a_pop_right_after_a_call_sees_it_though_the_store_has_not_committed_it(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    committed: list[int] = []

    async def script(c: Live) -> None:
        c.store.flush_every_s = 3_600.0  # nothing is committed during the script
        c.server.desk.callers.size = 1
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", caller=LIN.mobile)
        await c.at(2)
        await answer_and_hang_up(c, "c1", 2, form=form("c1", "escalate", "second-line"))
        c.dial("c2", caller=CHEN.office_phone)  # Lin leaves the cache
        await c.at(31)
        await answer_and_hang_up(c, "c2", 31, form=form("c2"))
        with sqlite3.connect(db) as con:
            committed.append(con.execute("SELECT COUNT(*) FROM calls WHERE run_id = ?", (c.run_id,)).fetchone()[0])
        c.dial("c3", caller=LIN.office_phone)
        await c.at(62)

    c = live(one_agent(), db, script, people=[CHEN, LIN])
    assert committed == [0]
    pop = c.offers("N1")[-1][1].pop
    assert pop is not None
    assert [(h.call_id, h.outcome, h.disposition) for h in pop.history] == [("c1", "answered", "how-to")]
    assert [case.tier for case in pop.open_cases] == ["second-line"]


def test_rows_being_committed_stay_unsaved_until_the_commit_is_done(tmp_path: Path) -> None:
    async def main() -> tuple[list[str], int, CallRecord | None, list[str], CallRecord | None]:
        store = await Store.open(tmp_path / "c.db", ScaledClock(START), flush_every_s=60.0)
        run_id = await store.start_run(START, "test", "Asia/Taipei", 1, "max")
        directory = Directory(tmp_path / "c.db")
        store.call(CallRecord("c1", run_id, "voice", "02-2397-5123", "02-2397-5000", "webhr", "a1", START))
        commit = asyncio.create_task(store.flush())
        await asyncio.sleep(0)  # the batch has left the queue; its commit is under way
        during = [r.call_id for r in store.unsaved_calls()]
        queued_during = store.queued()
        row_during = directory.call("c1")
        await commit
        after = [r.call_id for r in store.unsaved_calls()]
        row_after = directory.call("c1")
        directory.close()
        await store.close()
        return during, queued_during, row_during, after, row_after

    during, queued_during, row_during, after, row_after = asyncio.run(main())
    assert during == ["c1"]
    assert queued_during == 1
    assert row_during is None or row_during.call_id == "c1"  # committed or not, it is never missing
    assert after == []
    assert row_after is not None


def test_the_open_case_counts_come_from_the_store_uncommitted_cases_and_cti_cases_changes_included(
    tmp_path: Path,
) -> None:
    db = tmp_path / "c.db"
    counts: list[tuple[int, int]] = []
    committed: list[int] = []

    async def script(c: Live) -> None:
        c.dial("c1", caller=LIN.mobile)  # nobody logged in: it waits, then the caller gives up
        await c.at(0.5)
        with sqlite3.connect(db) as con:
            committed.append(con.execute("SELECT COUNT(*) FROM cases").fetchone()[0])
        counts.append(c.server.desk.counts(c.clock.now()))  # its case is not committed yet
        await c.at(5)
        c.caller_hangs_up("c1")
        await c.at(5.5)
        counts.append(c.server.desk.counts(c.clock.now()))  # committed as open, changed (call-back) since
        await c.at(10)  # committed
        counts.append(c.server.desk.counts(c.clock.now()))
        other = await Store.open(db, c.clock)  # as `cti cases close` does, beside the server
        [case] = await other.cases(open_only=True)
        step = k.close(case, c.clock.now(), "S01", note="called back", disposition="solved")
        await other.update_case(case, step)
        await other.close()
        counts.append(c.server.desk.counts(c.clock.now()))

    live(one_agent(), db, script, people=[LIN])
    assert committed == [0]
    assert counts == [(1, 0), (1, 0), (1, 0), (0, 0)]


def test_a_case_coming_due_counts_as_overdue_though_nothing_was_written_since(tmp_path: Path) -> None:
    quick = replace(one_agent(), cases=CaseRules(normal_due_days=0.01))  # due 864 s after it is opened
    counts: list[tuple[int, int]] = []
    commits: list[int] = []

    async def script(c: Live) -> None:
        c.dial("c1", caller=LIN.mobile)
        await c.at(5)
        c.caller_hangs_up("c1")  # a call-back case, due at 864 s
        await c.at(10)
        commits.append(c.store.commits)
        counts.append(c.server.desk.counts(c.clock.now()))
        await c.at(863)
        counts.append(c.server.desk.counts(c.clock.now()))
        await c.at(865)
        counts.append(c.server.desk.counts(c.clock.now()))
        commits.append(c.store.commits)

    live(quick, tmp_path / "c.db", script, people=[LIN])
    assert commits[0] == commits[1]  # nothing written in between
    assert counts == [(1, 0), (1, 0), (1, 1)]


def test_a_call_whose_wrap_up_is_over_is_read_back_from_the_store_to_be_linked(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", caller=UNKNOWN)
        await c.at(2)
        await answer_and_hang_up(c, "c1", 2)  # wrap-up (5 s) is over by 20 s: the call has left memory
        c.agent(m.LinkCaller(agent_id="N1", call_id="c1", person_id=LIN.person_id))
        await c.at(30)
        c.dial("c2", caller=UNKNOWN)
        await c.at(31)

    c = live(one_agent(), tmp_path / "c.db", script, people=[LIN])
    assert c.errors() == []
    pop = c.offers("N1")[-1][1].pop
    assert pop is not None
    assert pop.profile is not None
    assert pop.profile.person_id == LIN.person_id
    assert [h.call_id for h in pop.history] == ["c1"]
    assert c.calls["c1"].person_id == LIN.person_id
    with sqlite3.connect(tmp_path / "c.db") as con:
        assert con.execute("SELECT person_id FROM cases WHERE call_id = 'c1'").fetchone() == (LIN.person_id,)


def test_a_cached_caller_keeps_only_the_ten_newest_open_cases_and_knows_when_an_older_one_is_needed() -> None:
    def case(n: int) -> k.CaseRecord:
        return k.CaseRecord(
            f"C20270115-{n:05d}", f"c{n}", "P1", "02-2397-5123", "webhr", "a1", "voice", "open", "first-line",
            None, "normal", START + n, START + 7 * 86_400,
        )  # fmt: skip

    history = CallerHistory()
    history.add_open_cases(case(n) for n in range(1, 13))  # twelve open cases
    assert (sorted(history.open_cases), history.open_total) == ([case(n).case_id for n in range(3, 13)], 12)
    assert history.closed(case(1)) is True  # an older one: the ten newest are still here
    assert (len(history.open_cases), history.open_total) == (OPEN_CASES, 11)
    assert history.closed(case(12)) is False  # the next older one (2) is not here: read the caller again
    history.add_open_cases([case(13)])
    assert (len(history.open_cases), history.open_total) == (OPEN_CASES, 11)
