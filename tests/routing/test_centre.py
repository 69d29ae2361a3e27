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


# ----------------------------------------------------------------------
# Languages and agency codes
# ----------------------------------------------------------------------

LANGUAGES: dict[str, Any] = {
    **GOOD,
    "languages": [
        {"id": "zh", "name": "華語", "voice": "cmn"},
        {"id": "en", "name": "English", "voice": "en"},
        {"id": "nan", "name": "台語", "voice": "cmn", "prompts": "zh"},
    ],
    "agencies": [
        {"id": "moi", "name": "內政部", "group": "central", "code": "110"},
        {"id": "taipei-city", "name": "臺北市政府", "group": "municipal", "code": "201"},
    ],
    "agents": [
        {"id": "N01", "name": "王小明", "site": "nantou", "skills": {"webhr": 5}, "languages": ["zh", "nan"]},
        {"id": "T01", "name": "李小華", "site": "taipei", "skills": {"webhr": 3}},
    ],
}


def broken_languages(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(LANGUAGES)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def test_languages_and_codes_are_read() -> None:
    """[[languages]], agents' languages and agencies' codes land in the centre, in file order."""
    c = centre_from_mapping(LANGUAGES)
    assert [(lang.id, lang.voice, lang.prompts) for lang in c.languages] == [
        ("zh", "cmn", None),
        ("en", "en", None),
        ("nan", "cmn", "zh"),
    ]
    assert c.agents[0].languages == ("zh", "nan")
    assert [a.code for a in c.agencies] == ["110", "201"]


def test_an_agent_listing_no_language_speaks_the_first() -> None:
    """The centre fills in its first language for an agent who lists none."""
    c = centre_from_mapping(LANGUAGES)
    assert c.agents[1].languages == ("zh",)
    assert c.default_language == "zh"


def test_a_file_without_languages_has_mandarin_only() -> None:
    """No [[languages]]: one language, zh (華語), and every agent speaks it."""
    c = centre_from_mapping(GOOD)
    assert [(lang.id, lang.name) for lang in c.languages] == [("zh", "華語")]
    assert all(a.languages == ("zh",) for a in c.agents)
    assert all(a.code is None for a in c.agencies)


def test_built_centres_resolve_agents_too() -> None:
    """A centre built in code (not from a file) fills in the default language as well."""
    c = centre([agent("N01")])
    assert c.agents[0].languages == ("zh",)


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (["languages", 1, "id"], "zh", "languages[1].id", "duplicate id"),
        (["languages", 1, "id"], "e n", "languages[1].id", "invalid id"),
        (["languages", 1, "name"], "", "languages[1].name", "invalid name"),
        (["languages", 1, "name"], KeyError, "languages[1].name", "missing required field"),
        (["languages", 1, "voice"], "-v en", "languages[1].voice", "invalid voice"),
        (["languages", 1, "voice"], 3, "languages[1].voice", "invalid voice"),
        (["languages", 1, "accent"], "x", "languages[1].accent", "unknown key"),
        (["languages", 2, "prompts"], "hak", "languages[2].prompts", "unknown language"),
        (["languages", 2, "prompts"], "nan", "languages[2].prompts", "a language cannot borrow its own prompts"),
        (["languages", 1, "prompts"], "nan", "languages[1].prompts", "that language borrows its prompts too"),
        (["languages"], [], "languages", "no languages"),
        (["languages"], {"id": "zh"}, "languages", "wrong type"),
        (["agents", 0, "languages", 1], "hak", "agents[0].languages[1]", "unknown language"),
        (["agents", 0, "languages", 1], "zh", "agents[0].languages[1]", "duplicate language"),
        (["agents", 0, "languages", 0], "?", "agents[0].languages[0]", "invalid id"),
        (["agents", 0, "languages"], "zh", "agents[0].languages", "wrong type"),
        (["agencies", 1, "code"], "110", "agencies[1].code", "duplicate agency code"),
        (["agencies", 1, "code"], "1", "agencies[1].code", "invalid agency code"),
        (["agencies", 1, "code"], "123456789", "agencies[1].code", "invalid agency code"),
        (["agencies", 1, "code"], 201, "agencies[1].code", "invalid agency code"),
        (["agencies", 1, "code"], "2O1", "agencies[1].code", "invalid agency code"),
    ],
)
def test_bad_languages_and_codes_name_their_field(path: list[Any], value: Any, field: str, message: str) -> None:
    """Each mistake in languages or agency codes raises CentreError naming the field and the problem."""
    with pytest.raises(CentreError) as err:
        centre_from_mapping(broken_languages(path, value))
    assert err.value.path == field
    assert err.value.problem == message


def test_a_language_nobody_speaks_is_warned() -> None:
    """A listed language no voice agent speaks is valid but warned: its calls wait, then go to general."""
    c = centre_from_mapping(LANGUAGES)
    assert any("'en'" in w and w.startswith("languages:") for w in c.warnings())
    assert not any("'nan'" in w for w in c.warnings())
