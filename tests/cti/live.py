"""A live centre for tests: store, CTI server and PBX on the in-process bus, in virtual time.

The test plays the callers and agents by publishing on the bus, as real ones
would, and reads what happened from the bus log (``tap``) and the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from cti.casework.people import Person
from cti.clock import VirtualClock, run
from cti.config import CallbackOffer
from cti.live import messages as m
from cti.live.bus import LocalBus
from cti.live.logs import make_logger
from cti.live.pbx import SimPbx
from cti.live.server import CtiServer
from cti.store import Store
from ivr import FLOW_PROMPTS, IvrPlan, plan_from_mapping
from routing import Router
from routing.centre import Centre

START = 1_800_000_000.0  # 2027-01-15 08:00 UTC, a fixed centre time
T = TypeVar("T")


class Live:
    def __init__(
        self,
        centre: Centre,
        db: Path,
        people: Sequence[Person] = (),
        plan: IvrPlan | None = None,
        callback: CallbackOffer | None = None,
    ) -> None:
        self.callback = callback
        self.centre = centre
        self.db = db
        self.people = people
        self.plan = plan
        self.clock = VirtualClock(START)
        self.bus = LocalBus()
        self.log: list[tuple[float, str, m.Message]] = []
        self._tasks: list[asyncio.Task[Any]] = []

    async def __aenter__(self) -> Live:
        self.store = await Store.open(self.db, self.clock, flush_every_s=1.0)
        await self.store.recover()
        if self.people:
            await self.store.add_people(self.people, "test")
        self.run_id = await self.store.start_run(START, "test", "Asia/Taipei", 1, "max")
        router = Router(self.centre, rng=random.Random(1), now=self.clock.now())
        self.server = CtiServer(
            self.centre,
            self.bus,
            self.clock,
            self.store,
            run_id=self.run_id,
            router=router,
            log=make_logger(self.clock),
            ivr_plan=self.plan,
            callback=self.callback,
        )
        await self.server.restore_day(START - 8 * 3600)
        self.pbx = SimPbx(self.bus, make_logger(self.clock), self.clock, self.plan)
        tap = self.bus.subscribe("#")

        async def record() -> None:
            async for d in tap:
                self.log.append((self.clock.now() - START, d.topic, d.message))

        for coro in (self.store.writer(), self.server.run(), self.pbx.run(), record()):
            self._tasks.append(asyncio.create_task(coro))
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.calls = {r.call_id: r for r in await self.store.calls()}
        self.events: dict[str, list[tuple[Any, ...]]] = {}
        for e in await self.store.events():
            self.events.setdefault(e[2], []).append(e)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.store.close()

    # The test's hands ---------------------------------------------------

    def dial(
        self,
        call_id: str,
        system: str = "webhr",
        agency: str = "a1",
        *,
        caller: str = "049-2345-6789",
        ivr: dict[str, str] | None = None,
    ) -> None:
        self.bus.publish(
            m.TRUNK_IN,
            m.Dial(
                call_id=call_id,
                caller=caller,
                dialled="02-2397-5000",
                system=system,
                agency=agency,
                ivr=ivr or {},
            ),
        )

    def dial_in(self, call_id: str, *, caller: str = "049-2345-6789") -> None:
        """A caller dials with nothing attached, to answer the IVR's menus."""
        self.bus.publish(m.TRUNK_IN, m.Dial(call_id=call_id, caller=caller, dialled="02-2397-5000"))

    def keys(self, call_id: str, digits: str) -> None:
        """The caller presses keys."""
        self.bus.publish(m.TRUNK_IN, m.Dtmf(call_id=call_id, digits=digits))

    def caller_hangs_up(self, call_id: str) -> None:
        self.bus.publish(m.TRUNK_IN, m.CallerHangUp(call_id=call_id))

    def agent(self, message: m.Message) -> None:
        self.bus.publish(m.agent_cmd(message.agent_id), message)  # type: ignore[attr-defined]

    async def at(self, t: float) -> None:
        """Let centre time reach ``t`` seconds after the start (everything due by then happens)."""
        await self.clock.sleep(START + t - self.clock.now())
        for _ in range(5):
            await asyncio.sleep(0)

    # What happened ---------------------------------------------------------

    def messages(self, kind: type[T]) -> list[tuple[float, T]]:
        return [(t, msg) for t, _, msg in self.log if isinstance(msg, kind)]

    def offers(self, agent_id: str | None = None) -> list[tuple[float, m.Offer]]:
        return [(t, o) for t, o in self.messages(m.Offer) if agent_id is None or o.agent_id == agent_id]

    def errors(self) -> list[m.Error]:
        return [e for _, e in self.messages(m.Error)]

    def state(self, agent_id: str) -> str:
        retained = self.bus.retained(m.agent_state(agent_id))
        assert isinstance(retained, m.AgentState)
        return retained.status


def live(
    centre: Centre,
    db: Path,
    script: Callable[[Live], Awaitable[None]],
    *,
    people: Sequence[Person] = (),
    plan: IvrPlan | None = None,
    callback: CallbackOffer | None = None,
) -> Live:
    """Run ``script`` against a live centre in virtual time; the result holds the bus log and the rows.

    ``people`` are put in the caller directory first; ``plan``: the centre's IVR; ``callback``: its
    call-back offer in the queue."""

    async def main() -> Live:
        async with Live(centre, db, people, plan, callback) as centre_:
            await script(centre_)
        return centre_

    return run(main(), VirtualClock(START))  # the clock here only picks the virtual event loop


def table_digests(db: Path) -> dict[str, str]:
    """A hash of every table's rows (committed ones: flush first), by table name."""
    con = sqlite3.connect(db)
    try:
        out: dict[str, str] = {}
        tables = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        for name, sql in tables:
            order = "" if "WITHOUT ROWID" in sql.upper() else " ORDER BY rowid"
            digest = hashlib.sha256()
            for row in con.execute(f'SELECT * FROM "{name}"{order}'):
                digest.update(repr(row).encode())
            out[name] = digest.hexdigest()
        return out
    finally:
        con.close()


#: The default length of every prompt of :func:`ivr_plan`, in seconds.
PROMPT_S = 2.0


def ivr_plan(
    centre: Centre,
    menus: dict[str, dict[str, str]] | None = None,
    *,
    seconds: dict[str, float] | None = None,
    every_s: float = PROMPT_S,
    daily: str = "08:30-18:30",
    extra: Sequence[str] = (),
) -> IvrPlan:
    """An IVR for a test centre: ``menus`` (menu id -> key -> system or menu; the first is the main menu,
    default: one key per system), open ``daily``, every prompt in every language lasting ``seconds[prompt]``
    (default ``every_s``), and the ``extra`` prompts besides, with the timeouts and retries of the defaults."""
    menus = menus or {"main": {str(i): s.id for i, s in enumerate(centre.systems, start=1)}}
    seconds = seconds or {}
    used = [*FLOW_PROMPTS, *(f"menu_{menu}" for menu in menus), *extra]
    doc = {
        "ivr": {
            "main": next(iter(menus)),
            "menus": {menu: {"prompt": f"menu_{menu}", "options": options} for menu, options in menus.items()},
        },
        "hours": {"daily": daily},
        "prompts": {
            prompt: {
                lang.id: {"text": f"{prompt} ({lang.id})", "seconds": seconds.get(prompt, every_s)}
                for lang in centre.languages
                if lang.prompts is None
            }
            for prompt in used
        },
    }
    codes = {a.code: a.id for a in centre.agencies if a.code is not None}
    return plan_from_mapping(
        doc, systems=[x.id for x in centre.systems], agency_codes=codes, languages=centre.languages
    )
