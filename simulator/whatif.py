"""What-if changes that add people: extra agents made from a site's template, on duty all day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from routing.centre import Centre
from simulator.model import Duty
from simulator.scenario import Scenario, ScenarioError, template_agents


def add_agents(
    centre: Centre, scenario: Scenario, duty: Duty, sites: Sequence[str], *, span: tuple[float, float] | None = None
) -> tuple[Centre, Duty]:
    """The centre and duty with one extra agent per entry of ``sites`` (a site may repeat), on duty for ``span``
    (default: open to close)."""
    known = [s.id for s in centre.sites]
    counts: dict[str, int] = {}
    for site in sites:
        if site not in known:
            raise ScenarioError("--add-agent", "unknown site", site, "one of " + ", ".join(known))
        counts[site] = counts.get(site, 0) + 1
    extra = [a for site, n in counts.items() for a in template_agents(centre, scenario, site, n)]
    if not extra:
        return centre, duty
    start, end = span or (scenario.open_s, scenario.close_s)
    spans = dict(duty.spans)
    for agent in extra:
        spans[agent.id] = [(start, end)]
    return replace(centre, agents=(*centre.agents, *extra)), Duty(spans, dict(duty.breaks))
