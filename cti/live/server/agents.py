"""The agents as the server last set them: their states, sessions and retained state messages.

Every state the router gives an agent is journalled (``agent_states``, with
the reason and the rule behind it), opens or closes a login session, and is
published retained on ``cti/v1/agents/{agent}/state`` so that a console or a
desktop joining later sees every agent at once. Leaving wrap-up ends the
agent's last call.
"""

from __future__ import annotations

from collections.abc import Callable

from cti.live import messages as m
from cti.live.bus import Bus
from cti.live.logs import Logger
from cti.live.server.calls import Calls
from cti.live.server.leadership import Leadership
from cti.store import AgentStateRow, Store
from routing import Router
from routing.centre import Centre
from routing.commands import Rule, SetAgentState


class Agents:
    """Each agent's status as last set, with where they sit."""

    def __init__(
        self,
        centre: Centre,
        router: Router,
        bus: Bus,
        store: Store,
        calls: Calls,
        leadership: Leadership,
        *,
        run_id: int,
        log: Logger,
    ) -> None:
        self.router = router
        self.bus = bus
        self.store = store
        self.calls = calls
        self.leadership = leadership
        self.run_id = run_id
        self.status: dict[str, str] = {a.id: "logged-out" for a in centre.agents}
        self._site = {a.id: a.site for a in centre.agents}
        self.log = {a.id: log.bind(agent_id=a.id) for a in centre.agents}
        #: Told every change of an agent's state: (agent, before, after, now).
        self.on_state: Callable[[str, str, str, float], None] | None = None

    def all_logged_out(self) -> bool:
        return all(status == "logged-out" for status in self.status.values())

    def set_state(self, cmd: SetAgentState, now: float) -> None:
        agent_id = cmd.agent_id
        before = self.status[agent_id]
        self.status[agent_id] = cmd.status
        if self.on_state is not None:
            self.on_state(agent_id, before, cmd.status, now)
        site = self._site[agent_id]
        if before == "wrap-up" and cmd.status != "wrap-up":
            self.calls.end_wrap_up(agent_id, now, cmd.rule)
        if cmd.rule is Rule.LOGIN:
            self.store.session_start(self.run_id, agent_id, site, now)
        elif cmd.status == "logged-out":
            self.store.session_end(agent_id, now, str(cmd.rule))
        call_id = self.router.agents[agent_id].call
        if call_id is None and cmd.status == "wrap-up":
            call_id = self.calls.in_wrap_up(agent_id)
        self.store.agent_state(
            AgentStateRow(self.run_id, now, agent_id, site, cmd.status, cmd.reason, cmd.rule, call_id)
        )
        self.bus.publish(
            m.agent_state(agent_id),
            m.AgentState(
                agent_id=agent_id,
                site=site,
                status=cmd.status,
                since=now,
                rule=cmd.rule,
                reason=cmd.reason,
                call_id=call_id,
                epoch=self.leadership.epoch,
            ),
            retain=True,
        )
        self.log[agent_id].debug("agent_state", status=cmd.status, rule=cmd.rule, reason=cmd.reason)
