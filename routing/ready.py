"""Ready agents, indexed by queue, language, site and backup flag, in strategy order.

An agent who becomes ready is filed once per queue it serves and language
requirement it meets (``None``, and each language it speaks that restricts
anyone: see ``AgentState.needs``), under the key its strategy ranks by. Keys
only use fields that do not change while the agent stays ready (idle-since,
calls handled, talk time, skill level, file order), so the order of each
bucket stays true without re-sorting. Choosing an agent for a call looks at
the heads of at most ``2 × sites`` buckets: those of the call's queue and
language requirement.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from routing.agent import AgentState
from routing.centre import Strategy

if TYPE_CHECKING:
    import random

Key = tuple[float, ...]
Entry = tuple[Key, AgentState]
BucketKey = tuple[str, str | None, str, bool]  # (queue, language requirement, site, backup)


def strategy_key(strategy: Strategy, agent: AgentState, queue: str) -> Key:
    """The ranking key of an agent for a queue; smaller is chosen first.

    Every key ends with the agent's file order, so no two agents tie and the
    choice never depends on anything but the state.
    """
    if strategy is Strategy.LONGEST_IDLE:
        return (agent.idle_since, agent.order)
    if strategy is Strategy.FEWEST_CALLS:
        return (agent.calls_handled, agent.idle_since, agent.order)
    if strategy is Strategy.LEAST_TALK_TIME:
        return (agent.talk_time, agent.idle_since, agent.order)
    if strategy is Strategy.BEST_SKILL:
        return (-agent.level(queue), agent.idle_since, agent.order)
    return (agent.order,)  # round-robin and random rank by file order


class ReadyAgents:
    """Index of ready voice agents for choosing one for a call."""

    __slots__ = ("_buckets", "_rng", "_strategy")

    def __init__(self, strategy: Strategy, rng: random.Random | None) -> None:
        if strategy is Strategy.RANDOM and rng is None:
            raise ValueError("strategy 'random' needs a seeded random.Random (rng=…)")
        self._strategy = strategy
        self._rng = rng
        self._buckets: dict[BucketKey, list[Entry]] = {}

    def add(self, agent: AgentState) -> None:
        site, backup = agent.site, agent.backup
        for queue in agent.queues:
            entry = (strategy_key(self._strategy, agent, queue), agent)
            for need in agent.needs:
                insort(self._buckets.setdefault((queue, need, site, backup), []), entry)

    def remove(self, agent: AgentState) -> None:
        site, backup = agent.site, agent.backup
        for queue in agent.queues:
            key = (strategy_key(self._strategy, agent, queue),)
            for need in agent.needs:
                bucket = self._buckets[(queue, need, site, backup)]
                i = bisect_left(bucket, key)
                if i >= len(bucket) or bucket[i][1] is not agent:
                    raise KeyError(agent.id)
                del bucket[i]

    def pick(
        self,
        queue: str,
        need: str | None,
        sites: Iterable[str],
        backup_ok: Callable[[AgentState], bool],
        last_offered: int,
    ) -> AgentState | None:
        """The agent the strategy chooses among ready agents of ``queue`` at ``sites`` who meet ``need``.

        Backup seats count only where ``backup_ok`` says so. ``last_offered``
        is the file order of the agent last offered a call from this queue
        (round-robin continues after it; -1 if none).
        """
        buckets = self._buckets
        regular: list[list[Entry]] = []
        backups: list[list[Entry]] = []
        for site in sites:
            bucket = buckets.get((queue, need, site, False))
            if bucket:
                regular.append(bucket)
            bucket = buckets.get((queue, need, site, True))
            if bucket:
                backups.append(bucket)
        if not regular and not backups:
            return None
        strategy = self._strategy
        if strategy is Strategy.RANDOM:
            return self._pick_random(regular, backups, backup_ok)
        if strategy is Strategy.ROUND_ROBIN:
            return self._pick_round_robin(regular, backups, backup_ok, last_offered)
        best: Entry | None = None
        for bucket in regular:
            if best is None or bucket[0] < best:
                best = bucket[0]
        for bucket in backups:
            for entry in bucket:
                if best is not None and entry > best:
                    break
                if backup_ok(entry[1]):
                    best = entry
                    break
        return None if best is None else best[1]

    def _pick_random(
        self, regular: list[list[Entry]], backups: list[list[Entry]], backup_ok: Callable[[AgentState], bool]
    ) -> AgentState | None:
        assert self._rng is not None
        extra = [entry for bucket in backups for entry in bucket if backup_ok(entry[1])]
        total = sum(len(b) for b in regular) + len(extra)
        if total == 0:
            return None
        i = self._rng.randrange(total)
        for bucket in regular:
            if i < len(bucket):
                return bucket[i][1]
            i -= len(bucket)
        return extra[i][1]

    @staticmethod
    def _pick_round_robin(
        regular: list[list[Entry]],
        backups: list[list[Entry]],
        backup_ok: Callable[[AgentState], bool],
        last_offered: int,
    ) -> AgentState | None:
        # Rank = (wrapped around?, file order): the first agent after the last one offered.
        after: Key = (last_offered, float("inf"))
        best: tuple[bool, int, AgentState] | None = None

        def consider(entry: Entry, wrapped: bool) -> None:
            nonlocal best
            rank = (wrapped, entry[1].order, entry[1])
            if best is None or rank[:2] < best[:2]:
                best = rank

        for bucket in regular:
            i = bisect_right(bucket, (after,))
            if i < len(bucket):
                consider(bucket[i], False)
            else:
                consider(bucket[0], True)
        for bucket in backups:
            i = bisect_right(bucket, (after,))
            for entry in (*bucket[i:], *bucket[:i]):
                if backup_ok(entry[1]):
                    consider(entry, entry[1].order <= last_offered)
                    break
        return None if best is None else best[2]
