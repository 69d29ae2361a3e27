"""Callers and agent bots act only through the bus, as people would."""

from __future__ import annotations

import asyncio

from cti.casework.people import Person
from cti.casework.synthetic import generate_people
from cti.clock import VirtualClock, run
from cti.live import messages as m
from cti.live.bots import AgentBots, BotBehaviour
from cti.live.bus import LocalBus
from cti.live.traffic import TrafficGenerator, TrafficProfile
from simulator.behaviour import AgentBehaviour
from simulator.scenario import Distribution

START = 1_800_000_000.0  # 2027-01-15 16:00 Asia/Taipei


def test_callers_nobody_answers_hang_up_after_their_patience_and_the_others_stay() -> None:
    clock = VirtualClock(START)
    flat = TrafficProfile(busy_hour_calls=120, hourly=(1.0,) * 24, patience=Distribution("lognormal", mean=60, cv=0))

    async def main() -> tuple[dict[str, float], dict[str, float]]:
        bus = LocalBus()
        trunk = bus.subscribe(m.TRUNK_IN)
        gen = TrafficGenerator(
            bus,
            clock,
            systems=["webhr", "ecpa"],
            agencies=["a", "b"],
            timezone="Asia/Taipei",
            seed=4,
            call_prefix="t-",
            profile=flat,
        )
        task = asyncio.create_task(gen.run())
        gen.start(START + 600)
        dialled: dict[str, float] = {}
        hung_up: dict[str, float] = {}
        connected = False
        while clock.now() < START + 700:
            for d in trunk.drain():
                if isinstance(d.message, m.Dial):
                    dialled[d.message.call_id] = clock.now()
                    if not connected:  # the first caller gets an agent at once
                        connected = True
                        bus.publish(
                            m.trunk_ev(d.message.call_id), m.CallConnected(call_id=d.message.call_id, agent_id="N1")
                        )
                else:
                    hung_up[d.message.call_id] = clock.now()
            await clock.sleep(0.5)
        task.cancel()
        return dialled, hung_up

    dialled, hung_up = run(main(), clock)
    first = min(dialled, key=dialled.get)
    assert 10 < len(dialled) < 40  # about 20 calls in 10 minutes at 120 an hour
    assert set(hung_up) == set(dialled) - {first}
    assert all(abs(hung_up[c] - dialled[c] - 60) <= 0.5 for c in hung_up)


def test_a_bot_too_slow_for_the_ring_deadline_lets_the_offer_ring_out() -> None:
    clock = VirtualClock(START)

    async def main() -> list[m.Message]:
        bus = LocalBus()
        cmds = bus.subscribe(f"{m.PREFIX}/agents/+/cmd")
        slow = BotBehaviour(AgentBehaviour(answer_delay_s=20, answer_delay_cv=0, miss_probability=0))
        bots = AgentBots(bus, clock, ["N1"], seed=1, behaviour=slow)
        task = asyncio.create_task(bots.run())
        await asyncio.sleep(0)
        offer = m.Offer(
            call_id="c1",
            agent_id="N1",
            caller="0912",
            system="webhr",
            agency="a",
            queue="webhr",
            ring_until=clock.now() + 15,
            overflow=False,
            backup=False,
            epoch=1,
        )
        bus.publish(m.agent_offer("N1"), offer)
        await clock.sleep(60)
        task.cancel()
        return [d.message for d in cmds.drain()]

    assert run(main(), clock) == []


def _dials(profile: TrafficProfile, callers: list[Person]) -> list[m.Dial]:
    clock = VirtualClock(START)

    async def main() -> list[m.Dial]:
        bus = LocalBus()
        trunk = bus.subscribe(m.TRUNK_IN)
        gen = TrafficGenerator(
            bus,
            clock,
            systems=["webhr"],
            agencies=["other"],
            timezone="Asia/Taipei",
            seed=2,
            call_prefix="t-",
            profile=profile,
            callers=callers,
        )
        gen.start(START + 3600)
        await clock.sleep(3600)
        return [d.message for d in trunk.drain() if isinstance(d.message, m.Dial)]

    return run(main(), clock)


def test_callers_from_the_directory_ring_from_their_own_numbers_with_their_own_agency() -> None:
    people = generate_people(["moi", "ey"], 50, seed=1)
    numbers = {p.office_phone: p.agency for p in people} | {p.mobile: p.agency for p in people}
    flat = TrafficProfile(busy_hour_calls=300, hourly=(1.0,) * 24, unknown_share=0.2)
    dials = _dials(flat, people)
    known = [d for d in dials if d.caller in numbers]
    assert all(numbers[d.caller] == d.agency for d in known)
    assert all(d.agency == "other" for d in dials if d.caller not in numbers)
    assert 0.1 < 1 - len(known) / len(dials) < 0.3  # about unknown_share
    assert all(d.ivr == {"system": "webhr"} for d in dials)


def test_a_caller_who_rings_again_is_one_of_the_recent_callers() -> None:
    people = generate_people(["moi"], 500, seed=1)
    again = TrafficProfile(busy_hour_calls=200, hourly=(1.0,) * 24, unknown_share=0, mobile_share=0, repeat_share=1)
    dials = _dials(again, people)
    assert len(dials) > 100
    assert {d.caller for d in dials} == {dials[0].caller}  # with nobody new, the first caller rings every time
