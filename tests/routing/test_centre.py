"""Centre values are validated where they are built, naming the field at fault."""

import copy
from typing import Any

import pytest

from routing import CentreError, centre_from_mapping
from routing.testing import agent, centre

GOOD: dict[str, Any] = {
    "center": {"name": "Test"},
    "sites": [{"id": "nantou", "name": "南投"}, {"id": "taipei", "name": "台北"}],
    "systems": [{"id": "webhr", "name": "WebHR"}, {"id": "ecpa", "name": "ECPA"}],
    "agencies": [{"id": "moi", "name": "內政部", "group": "central", "prefer_site": "taipei", "priority": 1}],
    "agents": [
        {"id": "N01", "name": "王小明", "site": "nantou", "skills": {"webhr": 5}},
        {"id": "T01", "name": "李小華", "site": "taipei", "skills": {}},
    ],
    "routing": {"strategy": "best-skill", "ring_timeout_s": 20},
}


def broken(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def test_a_good_mapping_builds_a_centre() -> None:
    """Every field of a valid mapping lands in the centre, with defaults for the rest."""
    c = centre_from_mapping(GOOD)
    assert [a.id for a in c.agents] == ["N01", "T01"]
    assert c.routing.strategy == "best-skill"
    assert c.routing.ring_timeout_s == 20
    assert c.routing.wrap_up_s == 30
    assert c.agencies[0].prefer_site == "taipei"
    assert c.info.service_level_seconds == 20


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (["agents", 0, "skills", "webhr"], 6, "agents[0].skills.webhr", "skill level out of range"),
        (["agents", 0, "skills", "webhr"], 0, "agents[0].skills.webhr", "skill level out of range"),
        (["agents", 0, "skills", "nosuch"], 3, "agents[0].skills.nosuch", "skill for an unknown system"),
        (["agents", 1, "site"], "kaohsiung", "agents[1].site", "unknown site"),
        (["agents", 1, "id"], "N01", "agents[1].id", "duplicate id"),
        (["agents", 0, "name"], KeyError, "agents[0].name", "missing required field"),
        (["agents", 0, "colour"], "red", "agents[0].colour", "unknown key"),
        (["agents", 0, "channels"], ["fax"], "agents[0].channels[0]", "unknown channel"),
        (["agencies", 0, "group"], "ministry", "agencies[0].group", "unknown agency group"),
        (["agencies", 0, "prefer_site"], "hualien", "agencies[0].prefer_site", "unknown site"),
        (["routing", "strategy"], "fastest", "routing.strategy", "unknown strategy"),
        (["routing", "ring_timeout_s"], -1, "routing.ring_timeout_s", "out of range"),
        (["routing", "max_no_answer"], 1.5, "routing.max_no_answer", "wrong type"),
        (["systems", 1, "id"], "general", "systems[1].id", "reserved id"),
        (["center"], KeyError, "center", "missing required table"),
        (["extra"], {}, "extra", "unknown key"),
    ],
)
def test_bad_fields_are_refused_with_their_path(path: list[Any], value: Any, field: str, message: str) -> None:
    """Each kind of mistake raises CentreError naming the field and the problem."""
    with pytest.raises(CentreError) as err:
        centre_from_mapping(broken(path, value))
    assert err.value.path == field
    assert err.value.problem == message


def test_an_agent_with_no_skills_is_valid() -> None:
    """An empty skill set is allowed (the agent takes only general-queue calls)."""
    c = centre_from_mapping(GOOD)
    assert c.agents[1].skills == {}
    assert any("'T01' has no skills" in w for w in c.warnings())


def test_a_system_no_voice_agent_serves_is_valid_but_warned() -> None:
    """A system without any skilled voice agent is reported as a warning, not an error."""
    c = centre_from_mapping(GOOD)
    assert any("'ecpa'" in w for w in c.warnings())
    assert not any("'webhr'" in w for w in c.warnings())


def test_an_email_agent_does_not_count_as_serving_a_system() -> None:
    """Only voice agents count when deciding whether a system is served."""
    c = centre([agent("E01", skills={"webhr": 5}, channels=["email"])], systems=["webhr"])
    assert any("'webhr'" in w for w in c.warnings())
