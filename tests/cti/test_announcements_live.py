"""Queue announcements in the live centre: a queued caller hears place and wait at the interval, until an agent rings.

The small centre of the IVR tests, with ``[ivr.announcements]`` (first after
30 s in the queue, then every 60 s), on the in-process bus in virtual time.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cti.live import messages as m
from cti.store import Journal
from ivr import Announcements, IvrPlan, PromptText
from ivr.plan import ANNOUNCEMENT_PROMPTS
from tests.cti.live import START, Live, live
from tests.cti.test_ivr_live import CENTRE, KNOWN, PEOPLE, PLAN, answer, answer_offer, through_language

ANNOUNCED = dataclasses.replace(
    PLAN,
    announcements=Announcements(after_s=30, interval_s=60),
    prompts={
        **PLAN.prompts,
        **{p: {lang: PromptText(p, 0.5) for lang in ("zh", "en")} for p in ANNOUNCEMENT_PROMPTS},
    },
)


def run(tmp_path: Path, script: object, plan: IvrPlan = ANNOUNCED) -> Live:
    return live(CENTRE, tmp_path / "c.db", script, people=PEOPLE, plan=plan)  # type: ignore[arg-type]


def rows(c: Live, call_id: str, verb: str) -> list[tuple[float, object, object, object]]:
    """The call's journal rows of one verb: when (seconds since the start) and data1..data3."""
    return [(e[1] - START, e[7], e[8], e[9]) for e in c.events.get(call_id, []) if e[5] == verb]


async def to_queue(c: Live, call_id: str) -> None:
    c.dial_in(call_id, caller=KNOWN)
    await through_language(c, call_id)
    await answer(c, call_id, "menu_main", "1")  # webhr: N1 and N2 serve it


def test_a_queued_caller_hears_the_first_announcement_after_30_s_then_one_every_60_s_until_an_agent_rings(
    tmp_path: Path,
) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1", ready=False))  # logged in, on a break: the call waits
        await to_queue(c, "c1")
        queued = c.clock.now() - START
        await c.at(queued + 200)  # announcements at +30, +90, +150
        c.agent(m.Ready(agent_id="N1"))
        await c.at(queued + 205)
        await answer_offer(c, "N1", "c1")
        await c.at(queued + 400)  # none once offered

    c = run(tmp_path, script)
    [(entered, *_)] = rows(c, "c1", Journal.ENTERQUEUE)
    announced = rows(c, "c1", Journal.ANNOUNCE)
    assert [round(at - entered) for at, *_ in announced] == [30, 90, 150]
    assert [position for _, position, _, _ in announced] == ["1", "1", "1"]
    pieces = [p.prompt for _, p in c.messages(m.PromptPlaying) if p.call_id == "c1" and p.prompt.startswith("queue_")]
    assert pieces.count("queue_position") == 3
    assert c.calls["c1"].answered_at is not None
    assert c.errors() == []


def test_a_call_answered_before_the_first_announcement_hears_none(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1"))
        await to_queue(c, "c1")
        await answer_offer(c, "N1", "c1")
        await c.at(c.clock.now() - START + 300)

    c = run(tmp_path, script)
    assert rows(c, "c1", Journal.ANNOUNCE) == []


def test_without_an_announcements_table_queued_callers_hear_nothing(tmp_path: Path) -> None:
    async def script(c: Live) -> None:
        c.agent(m.Login(agent_id="N1", ready=False))
        await to_queue(c, "c1")
        await c.at(c.clock.now() - START + 200)

    c = run(tmp_path, script, plan=PLAN)
    assert rows(c, "c1", Journal.ANNOUNCE) == []


def test_on_a_seeded_busy_hour_of_the_default_centre_the_estimate_beats_the_naive_one(tmp_path: Path) -> None:
    from cti.config import load_default
    from cti.live.demo import DemoSettings, default_start, run_demo
    from cti.live.traffic import TrafficProfile

    loaded = load_default()
    result = run_demo(
        DemoSettings(
            loaded.centre,
            tmp_path / "c.db",
            minutes=60,
            seed=1,
            start=default_start(loaded.centre.info.timezone),
            profile=TrafficProfile(busy_hour_calls=300),
            ivr=loaded.ivr,
        )
    )
    errors = result.estimates
    assert errors.estimates >= 50  # enough callers waited past the first announcement to measure
    assert errors.mae_s < errors.naive_mae_s


def test_the_demo_summary_gives_both_errors_as_shares_of_the_mean_wait() -> None:
    from cti.cli.demo import estimates_line
    from routing.estimate import EstimateErrors

    line = estimates_line(EstimateErrors(estimates=40, mean_wait_s=50.0, mae_s=20.0, naive_mae_s=75.0))
    assert "40 wait estimates" in line
    assert "20.0 s (40% of the mean wait)" in line
    assert "75.0 s (150%)" in line
    assert "nothing to measure" in estimates_line(EstimateErrors(0, 0.0, 0.0, 0.0))
