"""The CTI server driven through the in-process bus, in virtual time."""

from __future__ import annotations

from pathlib import Path

from cti.live import messages as m
from routing.testing import agency, agent, centre
from tests.cti.live import Live, live


def two_sites(**rules: object) -> object:
    return centre(
        [
            agent("N1", "nantou", {"webhr": 3, "pemis2k": 3}),
            agent("N2", "nantou", {"webhr": 3}),
            agent("T1", "taipei", {"webhr": 3}),
            agent("T6", "taipei", {"webhr": 3}, backup=True),
        ],
        agencies=[agency("a1"), agency("south", prefer_site="nantou")],
        **rules,
    )


def test_an_unanswered_offer_goes_back_to_its_original_place_in_the_queue(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1")  # offered to N1, who never answers
        await c.at(5)
        c.dial("c2")  # queues behind c1
        await c.at(17)  # ring timeout (15 s) passed: c1 re-queued ahead of c2
        c.agent(m.Login(agent_id="N2"))
        await c.at(18)

    c = live(two_sites(), tmp_path / "c.db", script)
    assert [o.call_id for _, o in c.offers("N2")] == ["c1"]
    events = [(e.event, e.rule) for _, e in c.messages(m.CallEvent) if e.call_id == "c1"]
    assert events == [
        ("queued", "queue-entry"),
        ("ringing", "longest-idle"),
        ("queued", "requeue"),
        ("ringing", "next-call"),
    ]
    withdrawn = [w for _, w in c.messages(m.OfferWithdrawn)]
    assert [(w.agent_id, w.reason) for w in withdrawn] == [("N1", "ring-no-answer")]


def test_a_call_for_a_preferred_site_overflows_to_the_other_site_after_the_window(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1", ready=False))  # Nantou staffed but not ready
        c.agent(m.Login(agent_id="T1"))
        await c.at(1)
        c.dial("c1", agency="south")
        await c.at(40)

    c = live(two_sites(overflow_after_s=30), tmp_path / "c.db", script)
    [(t, offer)] = c.offers("T1")
    assert t == 31
    assert offer.overflow


def test_the_backup_seat_takes_calls_only_when_enough_are_waiting(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="T6"))
        await c.at(1)
        c.dial("c1")
        c.dial("c2")
        await c.at(2)
        assert c.offers("T6") == []  # two waiting: below the threshold of three
        c.dial("c3")
        await c.at(3)

    c = live(two_sites(backup_seat_when_waiting=3), tmp_path / "c.db", script)
    [(t, offer)] = c.offers("T6")
    assert (t, offer.call_id, offer.backup) == (2, "c1", True)


def test_an_agent_in_wrap_up_gets_no_call_from_any_queue(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1", system="webhr")
        await c.at(2)
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        await c.at(10)
        c.agent(m.HangUp(agent_id="N1", call_id="c1"))  # wrap-up 10..40
        await c.at(12)
        c.dial("c2", system="pemis2k")  # another queue N1 serves
        await c.at(45)

    c = live(two_sites(wrap_up_s=30), tmp_path / "c.db", script)
    assert [(t, o.call_id) for t, o in c.offers("N1")] == [(1, "c1"), (40, "c2")]


def test_a_caller_hanging_up_while_ringing_stops_the_offer_and_no_late_answer_connects(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1")
        await c.at(3)
        c.caller_hangs_up("c1")
        await c.at(4)
        assert "c1" not in c.pbx.lines  # ringing stopped at once
        c.agent(m.Answer(agent_id="N1", call_id="c1"))  # too late
        await c.at(5)
        c.agent(m.Login(agent_id="N2"))
        await c.at(6)

    c = live(two_sites(), tmp_path / "c.db", script)
    assert [(w.call_id, w.reason) for _, w in c.messages(m.OfferWithdrawn)] == [("c1", "caller-hung-up")]
    hung_up_at = next(i for i, (_, _, msg) in enumerate(c.log) if isinstance(msg, m.CallerHungUp))
    assert not [msg for _, _, msg in c.log[hung_up_at:] if isinstance(msg, m.Offer | m.Ring | m.Connect)]
    assert [e.code for e in c.errors()] == ["unknown-entity"]
    assert c.state("N1") == "ready"
    assert c.calls["c1"].outcome == "abandoned"


def test_a_call_nobody_skilled_can_take_moves_to_the_general_queue(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N2"))  # webhr only
        await c.at(1)
        c.dial("c1", system="ecpa")  # nobody has ecpa
        await c.at(70)

    c = live(two_sites(max_wait_no_agent_s=60), tmp_path / "c.db", script)
    [(t, offer)] = c.offers("N2")
    assert (t, offer.queue) == (61, "general")
    assert [e.rule for _, e in c.messages(m.CallEvent) if e.event == "queued"] == ["queue-entry", "no-agent-fallback"]


def test_with_no_voice_agent_logged_in_the_caller_is_released_after_the_fallback(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.dial("c1")
        await c.at(200)

    c = live(two_sites(max_wait_no_agent_s=60), tmp_path / "c.db", script)
    [(_, released)] = c.messages(m.CallReleased)
    assert released.reason == "no-agent"
    assert c.calls["c1"].outcome == "no-agent"
    assert c.pbx.lines == {}


def test_bad_input_is_answered_on_the_errors_topic_and_changes_nothing(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1", ready=False))
        await c.at(1)
        c.bus.publish_raw(m.agent_cmd("N1"), b"{not json")
        c.bus.publish_raw(m.agent_cmd("N1"), b'{"type": "ready", "agent_id": "N2"}')  # id differs from topic
        c.bus.publish_raw(m.agent_cmd("N1"), b'{"type": "dial", "call_id": "x"}')  # wrong fields
        c.agent(m.Login(agent_id="nobody"))  # not an agent of this centre
        c.agent(m.HangUp(agent_id="N1", call_id="c9"))  # no such call
        await c.at(2)

    c = live(two_sites(), tmp_path / "c.db", script)
    assert [e.code for e in c.errors()] == [
        "not-json",
        "id-mismatch",
        "invalid-message",
        "unknown-entity",
        "not-your-call",
    ]
    assert c.state("N1") == "not-ready"


def test_every_step_of_a_call_is_journalled_and_the_call_row_complete(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1")
        await c.at(4)
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        await c.at(100)
        c.agent(m.HangUp(agent_id="N1", call_id="c1"))
        await c.at(200)

    c = live(two_sites(wrap_up_s=30), tmp_path / "c.db", script)
    assert [e[5] for e in c.events["c1"]] == ["ENTERQUEUE", "RINGING", "CONNECT", "COMPLETEAGENT", "WRAPUPEND"]
    row = c.calls["c1"]
    assert (row.outcome, row.agent, row.site, row.ended_by) == ("answered", "N1", "nantou", "agent")
    assert row.answered_at - row.offered_at == 3
    assert row.wrap_up_end_at - row.ended_at == 30


def test_a_restarted_server_continues_the_day_s_statistics_from_the_store(tmp_path: Path) -> None:
    async def first(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1")
        c.dial("c2")
        await c.at(3)
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        c.caller_hangs_up("c2")
        await c.at(4)

    async def second(c: Live) -> None:
        stats = c.server.stats(c.clock.now())
        assert (stats.offered, stats.answered, stats.abandoned, stats.interrupted) == (2, 0, 1, 1)

    db = tmp_path / "c.db"
    live(two_sites(), db, first)
    live(two_sites(), db, second)  # c1 was still talking: closed as interrupted, still counted as offered


def test_a_ring_timeout_due_before_an_already_set_timer_still_fires_on_time(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        c.agent(m.Login(agent_id="N2", ready=False))
        await c.at(1)
        c.dial("c1")
        await c.at(2)
        c.agent(m.Answer(agent_id="N1", call_id="c1"))
        await c.at(20)
        c.agent(m.HangUp(agent_id="N1", call_id="c1"))  # N1's wrap-up timer: 20 + 60 = 80
        await c.at(21)
        c.agent(m.Ready(agent_id="N2"))
        c.dial("c2")  # rings N2 from 21; its ring timeout (36) is earlier than the wrap-up timer
        await c.at(50)

    c = live(two_sites(wrap_up_s=60, ring_timeout_s=15), tmp_path / "c.db", script)
    [(t, withdrawn)] = c.messages(m.OfferWithdrawn)
    assert (t, withdrawn.call_id, withdrawn.reason) == (36, "c2", "ring-no-answer")


def test_an_abandoned_call_is_journalled_with_its_place_in_the_queue(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1")  # rings N1
        c.dial("c2")
        c.dial("c3")
        c.dial("c4")  # third waiting at entry
        await c.at(5)
        c.caller_hangs_up("c2")
        c.caller_hangs_up("c4")  # now second: only c3 ahead
        c.caller_hangs_up("c1")  # while ringing
        await c.at(6)

    c = live(two_sites(), tmp_path / "c.db", script)
    abandon = {e[2]: (e[7], e[8]) for evs in c.events.values() for e in evs if e[5] == "ABANDON"}
    assert abandon["c4"] == ("2", "3")  # position when hanging up, position at entry
    assert abandon["c1"][0] == "0"  # was ringing


def test_the_kpi_snapshot_counts_answers_within_the_service_level_threshold(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await c.at(1)
        c.dial("c1")
        c.dial("c2")
        await c.at(3)
        c.agent(m.Answer(agent_id="N1", call_id="c1"))  # waited 2 s
        await c.at(4)
        c.agent(m.HangUp(agent_id="N1", call_id="c1"))  # wrap-up 30 s; c2 rings at 34
        await c.at(36)
        c.agent(m.Answer(agent_id="N1", call_id="c2"))  # waited 35 s
        await c.at(38)

    c = live(two_sites(wrap_up_s=30), tmp_path / "c.db", script)
    stats = c.bus.retained(m.STATS)
    assert (stats.offered, stats.answered, stats.answered_in_threshold) == (2, 2, 1)
