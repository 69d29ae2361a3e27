"""The screen pop, contact history and automatic cases, through the live server in virtual time."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from cti.casework.people import Person
from cti.live import messages as m
from routing.centre import CaseRules, Centre
from routing.testing import agency, agent, centre
from tests.cti.live import START, Live, live

DAY = 86_400.0
CHEN = Person(
    "P0000001", "陳怡君", "a1", "人事主任", "02-2397-5123", "0912-345-678", "p1@a1.gov.tw", "A123456789", True
)
LIN = Person("P0000002", "林志明", "a1", "科員", "049-2345-6789", "0933-111-222", "p2@a1.gov.tw", "B120000005", True)
UNKNOWN = "07-345-6789"


def one_agent() -> Centre:
    return centre([agent("N1", "nantou", {"webhr": 3, "pemis2k": 3})], agencies=[agency("a1")], wrap_up_s=5)


async def answer_and_hang_up(c: Live, call_id: str, t: float, *, form: m.WrapUp | None = None) -> None:
    """N1 answers the call ringing now, talks 10 s, hangs up, and sends the wrap-up form."""
    c.agent(m.Answer(agent_id="N1", call_id=call_id))
    await c.at(t + 10)
    c.agent(m.HangUp(agent_id="N1", call_id=call_id))
    await c.at(t + 11)
    if form is not None:
        c.agent(form)
    await c.at(t + 20)


def form(call_id: str, action: str = "close", to: str | None = None, priority: str = "normal") -> m.WrapUp:
    return m.WrapUp(
        agent_id="N1",
        call_id=call_id,
        disposition="how-to",
        notes="說明操作步驟",
        action=action,
        escalate_to=to,
        priority=priority,
    )


def test_the_offer_carries_the_callers_directory_profile_with_the_national_id_masked(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", caller="+886 2 2397 5123", ivr={"system": "webhr", "language": "zh-TW"})
        await c.at(2)

    c = live(one_agent(), tmp_path / "c.db", script, people=[CHEN, LIN])
    [(_, offer)] = c.offers("N1")
    assert offer.pop is not None
    assert offer.pop.profile is not None
    p = offer.pop.profile
    assert (p.person_id, p.name, p.agency, p.title, p.office_phone, p.mobile, p.email, p.synthetic) == (
        "P0000001",
        "陳怡君",
        "a1",
        "人事主任",
        "02-2397-5123",
        "0912-345-678",
        "p1@a1.gov.tw",
        True,
    )
    assert p.national_id == "A******789"
    assert offer.pop.ivr == {"language": "zh-TW", "system": "webhr"}
    assert offer.case_id == offer.pop.case_id == c.calls["c1"].case_id


def test_a_number_not_in_the_directory_pops_as_an_unknown_caller_with_the_number(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", caller=UNKNOWN)
        await c.at(2)

    c = live(one_agent(), tmp_path / "c.db", script, people=[CHEN])
    [(_, offer)] = c.offers("N1")
    assert offer.pop is not None
    assert (offer.pop.profile, offer.pop.caller) == (None, UNKNOWN)


def test_history_grows_with_each_call_newest_first_and_keeps_the_last_five(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        for n in range(7):
            t = 1 + 30 * n
            c.dial(f"c{n}", caller=LIN.mobile)
            await c.at(t + 1)
            await answer_and_hang_up(c, f"c{n}", t + 1, form=form(f"c{n}"))

    c = live(one_agent(), tmp_path / "c.db", script, people=[LIN])
    histories = [[h.call_id for h in o.pop.history] for _, o in c.offers("N1") if o.pop is not None]
    assert histories == [
        [],
        ["c0"],
        ["c1", "c0"],
        ["c2", "c1", "c0"],
        ["c3", "c2", "c1", "c0"],
        ["c4", "c3", "c2", "c1", "c0"],
        ["c5", "c4", "c3", "c2", "c1"],
    ]
    assert [o.pop.open_cases for _, o in c.offers("N1") if o.pop is not None] == [[]] * 7  # each was closed
    last = c.offers("N1")[-1][1].pop
    assert last is not None
    assert {(h.outcome, h.agent_id, h.disposition, h.notes) for h in last.history} == {
        ("answered", "N1", "how-to", "說明操作步驟")
    }


def test_history_and_open_cases_carry_over_from_an_earlier_run_on_the_same_database(tmp_path: Path) -> None:
    db = tmp_path / "c.db"

    async def first(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("a1", caller=CHEN.office_phone)
        await c.at(2)
        await answer_and_hang_up(c, "a1", 2, form=form("a1", "escalate", "second-line"))

    async def second(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("b1", caller=CHEN.mobile)  # the same person from another number
        await c.at(2)

    live(one_agent(), db, first, people=[CHEN])
    c = live(one_agent(), db, second)
    [(_, offer)] = c.offers("N1")
    assert offer.pop is not None
    assert [h.call_id for h in offer.pop.history] == ["a1"]
    [case] = offer.pop.open_cases
    assert (case.status, case.tier, case.owner) == ("open", "second-line", "tech-support")


def test_history_merges_earlier_runs_with_this_one_and_keeps_the_five_newest(tmp_path: Path) -> None:
    db = tmp_path / "c.db"

    def calls(prefix: str, n: int, after: float) -> Callable[[Live], Awaitable[None]]:
        async def script(c: Live) -> None:
            c.agent(m.Login(agent_id="N1"))
            await c.at(after)
            for i in range(n):
                t = after + 30 * i
                c.dial(f"{prefix}{i}", caller=LIN.mobile)
                await c.at(t + 1)
                await answer_and_hang_up(c, f"{prefix}{i}", t + 1, form=form(f"{prefix}{i}"))

        return script

    live(one_agent(), db, calls("a", 4, after=1), people=[LIN])  # four calls in an earlier run
    c = live(one_agent(), db, calls("b", 3, after=500))
    histories = [[h.call_id for h in o.pop.history] for _, o in c.offers("N1") if o.pop is not None]
    assert histories == [
        ["a3", "a2", "a1", "a0"],
        ["b0", "a3", "a2", "a1", "a0"],
        ["b1", "b0", "a3", "a2", "a1"],
    ]


def test_every_call_gets_a_case_when_it_enters_the_queue_and_an_abandoned_one_waits_for_a_call_back(
    tmp_path: Path,
) -> None:
    async def script(c: Live) -> None:
        c.dial("c1", caller=UNKNOWN)  # nobody logged in: it waits
        await c.at(5)
        c.caller_hangs_up("c1")
        await c.at(6)

    c = live(one_agent(), tmp_path / "c.db", script)
    with sqlite3.connect(tmp_path / "c.db") as con:
        cases = con.execute("SELECT case_id, call_id, status, tier, created_at, due_at FROM cases").fetchall()
        steps = con.execute("SELECT action, actor, at FROM case_events ORDER BY seq").fetchall()
    [(case_id, call_id, status, tier, created, due)] = cases
    assert (call_id, status, tier) == ("c1", "call-back", "first-line")
    assert (created, due) == (START, START + 7 * DAY)
    assert c.calls["c1"].case_id == case_id
    assert steps == [("created", "cti-a", START), ("call-back", "cti-a", START + 5)]


def test_the_wrap_up_form_escalates_the_case_with_who_and_when_in_its_journal(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", caller=CHEN.office_phone)
        await c.at(2)
        await answer_and_hang_up(c, "c1", 2, form=form("c1", "escalate", "third-line", "urgent"))

    c = live(one_agent(), tmp_path / "c.db", script, people=[CHEN])
    with sqlite3.connect(tmp_path / "c.db") as con:
        row = con.execute("SELECT status, tier, owner, priority, due_at, disposition, person_id FROM cases").fetchone()
        steps = con.execute("SELECT action, actor, at, tier FROM case_events ORDER BY seq").fetchall()
    assert row == ("open", "third-line", "webhr-owner", "urgent", START + 13 + 3 * DAY, "how-to", "P0000001")
    assert steps == [
        ("created", "cti-a", START + 1, "first-line"),
        ("answered", "N1", START + 2, "first-line"),
        ("escalated", "N1", START + 13, "third-line"),
    ]
    assert c.calls["c1"].disposition == "how-to"


def test_a_wrap_up_form_that_is_not_allowed_is_rejected_and_changes_nothing(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        c.agent(m.Login(agent_id="N2"))
        await c.at(1)
        c.dial("c1", caller=CHEN.office_phone)
        await c.at(2)
        ringing = c.offers()[-1][1].agent_id
        other = "N2" if ringing == "N1" else "N1"
        c.agent(m.Answer(agent_id=ringing, call_id="c1"))
        await c.at(3)
        c.agent(m.WrapUp(agent_id=other, call_id="c1", disposition="solved"))  # not theirs
        c.agent(m.WrapUp(agent_id=ringing, call_id="c1", disposition="no-such-code"))
        c.agent(m.WrapUp(agent_id=ringing, call_id="c1", disposition="solved", action="escalate", escalate_to="boss"))
        await c.at(4)

    two = centre([agent("N1", "nantou", {"webhr": 3}), agent("N2", "nantou", {"webhr": 3})], agencies=[agency("a1")])
    c = live(two, tmp_path / "c.db", script, people=[CHEN])
    assert [e.code for e in c.errors()] == ["not-your-call", "unknown-disposition", "bad-tier"]
    with sqlite3.connect(tmp_path / "c.db") as con:
        assert con.execute("SELECT status, tier, disposition FROM cases").fetchone() == ("open", "first-line", None)


def test_an_agent_links_an_unknown_caller_and_the_number_is_known_from_then_on(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", caller=UNKNOWN)
        await c.at(2)
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        await c.at(3)
        c.agent(m.LinkCaller(agent_id="N1", call_id="c1", person_id="P0000404"))  # not in the directory
        c.agent(m.LinkCaller(agent_id="N1", call_id="c1", person_id="P0000002"))
        await c.at(4)
        c.agent(m.HangUp(agent_id="N1", call_id="c1"))
        await c.at(20)
        c.dial("c2", caller=UNKNOWN)
        await c.at(21)

    async def earlier_run(c: Live) -> None:
        c.dial("c0", caller=CHEN.office_phone)  # someone else, so that earlier runs exist and are read
        await c.at(1)
        c.caller_hangs_up("c0")
        await c.at(2)

    live(one_agent(), tmp_path / "c.db", earlier_run, people=[CHEN, LIN])
    c = live(one_agent(), tmp_path / "c.db", script)
    assert [e.code for e in c.errors()] == ["unknown-person"]
    second = c.offers("N1")[-1][1].pop
    assert second is not None
    assert second.profile is not None
    assert second.profile.person_id == "P0000002"
    assert [h.call_id for h in second.history] == ["c1"]
    assert [k.case_id for k in second.open_cases] == [c.calls["c1"].case_id]  # once, though already committed
    assert c.calls["c1"].person_id == "P0000002"
    with sqlite3.connect(tmp_path / "c.db") as con:
        assert con.execute("SELECT person_id FROM cases WHERE call_id = 'c1'").fetchone() == ("P0000002",)
        assert con.execute("SELECT person_id, kind FROM people_phones WHERE phone_key = '073456789'").fetchone() == (
            "P0000002",
            "linked",
        )


def test_the_kpi_snapshot_counts_open_and_overdue_cases(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    quick = replace(one_agent(), cases=CaseRules(normal_due_days=0.01))  # due after 864 s

    async def earlier(c: Live) -> None:
        c.dial("old", caller=UNKNOWN)
        await c.at(1)
        c.caller_hangs_up("old")  # a call-back case, due in 7 days
        await c.at(2)

    async def later(c: Live) -> None:
        await c.at(900)  # the call-back case is now overdue
        c.dial("new", caller=UNKNOWN)
        c.agent(m.Login(agent_id="N1"))
        await c.at(901)
        await answer_and_hang_up(c, "new", 901, form=form("new"))  # closed: no longer open
        c.dial("newer", caller=UNKNOWN)
        await c.at(930)

    live(quick, db, earlier)
    c = live(quick, db, later)
    stats = c.bus.retained(m.STATS)
    assert isinstance(stats, m.Stats)
    assert (stats.open_cases, stats.overdue_cases) == (2, 1)  # "old" (overdue) and "newer"


def test_calls_from_a_number_before_it_was_in_the_directory_count_in_that_persons_history(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    later_known = Person(
        "P0000009", "王小明", "a1", "科員", UNKNOWN, "0955-000-111", "w@a1.gov.tw", "A123456789", False
    )

    async def before(c: Live) -> None:
        c.dial("old", caller=UNKNOWN)  # not in the directory yet
        await c.at(1)
        c.caller_hangs_up("old")
        await c.at(2)

    async def after(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(500)
        c.dial("new", caller=later_known.mobile)  # from the person's other number
        await c.at(501)

    live(one_agent(), db, before)
    c = live(one_agent(), db, after, people=[later_known])  # imported before this run
    [(_, offer)] = c.offers("N1")
    assert offer.pop is not None
    assert offer.pop.profile is not None
    assert [h.call_id for h in offer.pop.history] == ["old"]
    assert [k.status for k in offer.pop.open_cases] == ["call-back"]


def test_a_withheld_or_short_number_pools_nobodys_history_and_cannot_be_linked(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", caller="0")
        await c.at(2)
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        await c.at(3)
        c.agent(m.LinkCaller(agent_id="N1", call_id="c1", person_id="P0000002"))
        c.agent(m.HangUp(agent_id="N1", call_id="c1"))
        await c.at(40)
        c.dial("c2", caller="0")
        await c.at(41)

    c = live(one_agent(), tmp_path / "c.db", script, people=[LIN])
    assert [e.code for e in c.errors()] == ["not-a-phone-number"]
    second = c.offers("N1")[-1][1].pop
    assert second is not None
    assert (second.profile, second.history, second.open_cases) == (None, [], [])


def test_the_wrap_up_form_is_refused_once_wrap_up_is_over(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", caller=CHEN.office_phone)
        await c.at(2)
        await answer_and_hang_up(c, "c1", 2)  # wrap-up (5 s) ends without a form
        c.agent(form("c1"))
        await c.at(30)

    c = live(one_agent(), tmp_path / "c.db", script, people=[CHEN])
    assert [e.code for e in c.errors()] == ["wrap-up-over"]
    with sqlite3.connect(tmp_path / "c.db") as con:
        assert con.execute("SELECT status, tier, owner FROM cases").fetchone() == ("open", "first-line", "N1")
