"""Every command's ``--json`` against its committed JSON Schema, on a seeded database.

One demo run (20 minutes, seed 3) gives the database; every ``--json`` command
then runs on it in-process. Each output must validate against its schema in
``cti/cli/schemas/``, every key a schema declares must turn up in at least one
run, and the JSON must agree with itself: one name per concept, times as ISO
8601 strings with an offset, every estimate in one shape, journals as lists of
objects, the IVR choices an object.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from cti.cli import main
from cti.cli.scenario import example_text

SCHEMAS = Path(__file__).parents[2] / "cti" / "cli" / "schemas"

#: Declared keys a seeded 20-minute demo cannot produce, as "schema#/json/pointer".
NEVER_IN_A_SHORT_RUN = {
    "demo.json#/properties/cases/properties/open",  # every first-line case is closed or escalated by the call's end
    "demo.json#/properties/cases/properties/vendor",  # the demo's agents escalate to second and third line only
    # no offer rings out or is withdrawn (RINGNOANSWER, RINGCANCELED): every ringing call is answered
    "common.json#/$defs/journal_entry/properties/reason",
    "common.json#/$defs/journal_entry/properties/last_state",  # no call is interrupted (INTERRUPTED)
    # the data of a journal event this version does not know
    "common.json#/$defs/journal_entry/properties/data1",
    "common.json#/$defs/journal_entry/properties/data2",
    "common.json#/$defs/journal_entry/properties/data3",
}


def schema(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return doc


def registry() -> Registry[Any]:
    return Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in SCHEMAS.glob("*.json")
    )


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), registry=registry())


@dataclass
class Runs:
    """The JSON every command printed, by schema name."""

    docs: dict[str, list[Any]] = field(default_factory=dict)

    def all(self) -> Iterator[tuple[str, Any]]:
        for name, docs in self.docs.items():
            for doc in docs:
                yield name, doc


def _run(argv: list[str], out_file: Path | None = None) -> Any:
    """Run ``cti argv``; the JSON from ``out_file`` if given, else from standard output."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    assert code == 0, f"cti {' '.join(argv)} exited {code}"
    return json.loads(out_file.read_text(encoding="utf-8") if out_file else stdout.getvalue())


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Every --json command on one seeded database (to a file where the command writes one, else to stdout)."""
    tmp = tmp_path_factory.mktemp("json")
    db = str(tmp / "centre.db")
    got = Runs()

    def add(name: str, argv: list[str], *, to_file: bool = False) -> None:
        out = tmp / f"{name}-{len(got.docs.get(name, []))}.json"
        doc = _run([*argv, "--json", str(out)], out) if to_file else _run([*argv, "--json"])
        got.docs.setdefault(name, []).append(doc)

    add("demo", ["demo", "--speed", "max", "--minutes", "20", "--seed", "3", "--db", db, "-q"], to_file=True)
    _add_ivr_calls(db)
    _add_callback_call(db)
    with sqlite3.connect(db) as con:
        day, call_id, case_id = con.execute(
            "SELECT date(c.arrived_at, 'unixepoch', '+8 hours'), c.call_id, k.case_id FROM calls c "
            "JOIN cases k ON k.call_id = c.call_id WHERE k.status = 'open' ORDER BY c.arrived_at LIMIT 1"
        ).fetchone()
        (abandoned,) = con.execute(
            "SELECT call_id FROM calls WHERE outcome = 'abandoned' ORDER BY arrived_at LIMIT 1"
        ).fetchone()
        (phone,) = con.execute(
            "SELECT p.mobile FROM people p JOIN cases k ON k.person_id = p.person_id WHERE k.status = 'open' "
            "ORDER BY k.case_id LIMIT 1"
        ).fetchone()
    centre = tmp / "centre.toml"
    centre.write_text(_run_text(["config", "default"]), encoding="utf-8")
    a, b = tmp / "a.toml", tmp / "b.toml"
    a.write_text(example_text(), encoding="utf-8")
    b.write_text(example_text().replace("webhr = 120", "webhr = 240"), encoding="utf-8")
    short = ["--replications", "2", "--set", "scenario.close='10:30'", "-q"]
    add("config-check", ["config", "check", str(centre)])
    add("prompts-build", ["prompts", "build", "--out", str(tmp / "prompts"), "--engine", "tones"])
    add("erlang", ["erlang", "--calls", "100", "--interval", "1800", "--aht", "180", "--agents", "11"])
    add("erlang", ["erlang", "--calls", "100", "--aht", "180", "--agents", "9", "--patience", "120"])
    add("erlang", ["erlang", "--calls", "100", "--aht", "180", "--agents", "9"])  # unstable
    add("simulate", ["simulate", str(a), *short], to_file=True)
    add("simulate-compare", ["simulate", "--compare", str(a), str(b), *short], to_file=True)
    one_queue = ["simulate", "--single-queue", "--calls", "100", "--aht", "180", "--hours", "1", "-q"]
    add("simulate-single-queue", [*one_queue, "--agents", "11", "--replications", "2"], to_file=True)
    add(
        "simulate-single-queue", [*one_queue, "--agents", "9", "--patience", "120", "--replications", "2"], to_file=True
    )
    replay = ["simulate", "--replay", "--db", db, "--date", day, "--remove-agent", "N01", "--replications", "2", "-q"]
    add("simulate-replay", replay, to_file=True)
    staff = ["staff", "--set", "scenario.open='09:00'", "--set", "scenario.close='10:00'", "--replications", "2"]
    add("staff", [*staff, "-q"], to_file=True)
    add("directory-show", ["directory", "show", phone, "--db", db])
    add("directory-show", ["directory", "show", "089-123-456", "--db", db])  # not in the directory
    add("cases-list", ["cases", "list", "--db", db])
    add("cases-chase", ["cases", "chase", "--db", db, "--at", "2027-06-01T09:00"])
    add("cases-show", ["cases", "show", case_id, "--db", db])
    add("cases-show", ["cases", "show", case_id, "--db", db, "--unmasked", "--by", "S01"])
    add("calls-list", ["calls", "list", "--db", db])
    add("calls-show", ["calls", "show", call_id, "--db", db])
    add("calls-show", ["calls", "show", abandoned, "--db", db])
    add("calls-show", ["calls", "show", call_id, "--db", db, "--unmasked", "--by", "S01"])
    add("calls-list", ["calls", "list", "--db", db, "--outcome", "ivr-abandoned"])
    add("calls-show", ["calls", "show", "ivr-abandon", "--db", db])
    add("calls-show", ["calls", "show", "ivr-after-hours", "--db", db])
    add("calls-show", ["calls", "show", "callback-failed", "--db", db])
    add("roles-list", ["roles", "list", "--db", db])
    add("audit", ["audit", "--db", db])
    return got


def _add_ivr_calls(db: str) -> None:
    """Two calls that went through an IVR, written into the demo's run as the server writes them: one hung up in
    the main menu, one came after hours and left a number (their journal has every IVR verb)."""
    with sqlite3.connect(db) as con:
        (at,) = con.execute("SELECT MIN(arrived_at) FROM calls").fetchone()
        for call_id, outcome, ivr_outcome, secs in (
            ("ivr-abandon", "ivr-abandoned", "ivr-abandoned", 12.0),
            ("ivr-after-hours", "after-hours", "after-hours-callback", 40.0),
        ):
            con.execute(
                "INSERT INTO calls (call_id, run_id, channel, caller, dialled, arrived_at, ended_at, outcome, state, "
                "language, ivr_outcome, ivr_s) "
                "VALUES (?, 1, 'voice', '0200000000', '1999', ?, ?, ?, 'done', 'zh', ?, ?)",
                (call_id, at, at + secs, outcome, ivr_outcome, secs),
            )
            journal = [("IVRSTART", "zh", None, None), ("IVRSTEP", "agency", "agency", "code:moi")]
            if outcome == "after-hours":
                journal.append(("AFTERHOURS", str(at + 36_000), None, None))
            else:
                journal.append(("IVRSTEP", "abandoned", "main", None))
            journal.append(("IVREND", ivr_outcome, "main" if outcome == "ivr-abandoned" else None, str(secs)))
            con.executemany(
                "INSERT INTO call_events (at, call_id, event, data1, data2, data3) VALUES (?, ?, ?, ?, ?, ?)",
                [(at, call_id, *row) for row in journal],
            )


def _add_callback_call(db: str) -> None:
    """A call whose caller asked, in the queue, to be called back and never answered the two dials, written
    into the demo's run as the server writes it (its journal has every call-back verb)."""
    with sqlite3.connect(db) as con:
        (at,) = con.execute("SELECT MIN(arrived_at) FROM calls").fetchone()
        con.execute(
            "INSERT INTO calls (call_id, run_id, channel, caller, dialled, system, queue, arrived_at, offered_at, "
            "ended_at, outcome, state, ended_by, callback_at, callback_accepted_at, callback_dials) "
            "VALUES ('callback-failed', 1, 'voice', '0200000000', '1999', 'webhr', 'webhr', ?, ?, ?, "
            "'callback-failed', 'callback-failed', 'centre', ?, ?, 2)",
            (at, at, at + 900, at + 70, at + 600),
        )
        journal = [
            (at, "ENTERQUEUE", None, "1", None, None),
            (at + 60, "CALLBACKOFFER", None, "60.0", None, None),
            (at + 70, "CALLBACKREQUEST", "callback-requested", "1", None, None),
            (at + 200, "CALLBACKDIAL", "callback-accepted", "1", None, None),
            (at + 230, "CALLBACKNOANSWER", "callback-no-answer", "1", "no-answer", str(at + 530)),
            (at + 600, "CALLBACKDIAL", "callback-accepted", "2", None, None),
            (at + 630, "CALLBACKFAILED", "callback-failed", "2", None, None),
        ]
        con.executemany(
            "INSERT INTO call_events (at, call_id, queue, event, rule, data1, data2, data3) "
            "VALUES (?, 'callback-failed', 'webhr', ?, ?, ?, ?, ?)",
            journal,
        )


def _run_text(argv: list[str]) -> str:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(argv) == 0
    return stdout.getvalue()


def _schema_names() -> list[str]:
    return sorted(p.stem for p in SCHEMAS.glob("*.json") if p.stem != "common")


# ----------------------------------------------------------------------
# The schemas
# ----------------------------------------------------------------------


def _objects(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in a schema document, with its JSON pointer."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            if key in {"properties", "patternProperties", "$defs"}:
                for name, sub in value.items():
                    yield from _objects(sub, f"{pointer}/{key}/{name}")
            elif key in {"items", "additionalProperties"}:
                yield from _objects(value, f"{pointer}/{key}")
            elif key in {"anyOf", "oneOf", "allOf"}:
                for i, sub in enumerate(value):
                    yield from _objects(sub, f"{pointer}/{key}/{i}")


@pytest.mark.parametrize("name", [*_schema_names(), "common"])
def test_each_schema_is_valid_draft_2020_12_and_closes_every_object(name: str) -> None:
    doc = schema(name)
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for pointer, node in _objects(doc):
        if node.get("type") == "object" or "properties" in node or "patternProperties" in node:
            assert node.get("additionalProperties") is False, f"{name}.json#{pointer}: additionalProperties not false"


@pytest.mark.parametrize("name", [*_schema_names(), "common"])
def test_every_key_a_schema_declares_has_a_description(name: str) -> None:
    for pointer, node in _objects(schema(name)):
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{name}.json#{pointer}/properties/{key}: no description"


def test_every_command_with_json_has_a_schema(runs: Runs) -> None:
    assert sorted(runs.docs) == _schema_names()


# ----------------------------------------------------------------------
# The output against the schemas
# ----------------------------------------------------------------------


@pytest.mark.parametrize("name", _schema_names())
def test_each_commands_json_matches_its_schema(runs: Runs, name: str) -> None:
    check = validator(name)
    for doc in runs.docs[name]:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in check.iter_errors(doc)]
        assert not errors, f"{name}: " + "; ".join(errors[:10])


def _declared() -> set[str]:
    """Every property any schema declares, as "file#pointer"."""
    found = set()
    for path in SCHEMAS.glob("*.json"):
        for pointer, node in _objects(json.loads(path.read_text(encoding="utf-8"))):
            found |= {f"{path.name}#{pointer}/properties/{key}" for key in node.get("properties", {})}
    return found


class _Seen:
    """Walks an instance along its schema, noting each declared property the instance has."""

    def __init__(self) -> None:
        self.registry = registry()
        self.keys: set[str] = set()

    def walk(self, instance: Any, file: str, pointer: str) -> None:
        node = self.registry.resolver(base_uri=file).lookup(f"{file}#{pointer}").contents
        if "$ref" in node:
            target, _, fragment = node["$ref"].partition("#")
            self.walk(instance, target or file, fragment)
            return
        for combiner in ("anyOf", "oneOf"):
            for i in range(len(node.get(combiner, []))):
                branch = Draft202012Validator({"$ref": f"{file}#{pointer}/{combiner}/{i}"}, registry=self.registry)
                if branch.is_valid(instance):
                    self.walk(instance, file, f"{pointer}/{combiner}/{i}")
        if isinstance(instance, dict):
            for key, value in instance.items():
                if key in node.get("properties", {}):
                    self.keys.add(f"{file}#{pointer}/properties/{key}")
                    self.walk(value, file, f"{pointer}/properties/{key}")
                for pattern in node.get("patternProperties", {}):
                    if re.search(pattern, key):
                        self.walk(value, file, f"{pointer}/patternProperties/{pattern}")
        if isinstance(instance, list) and "items" in node:
            for item in instance:
                self.walk(item, file, f"{pointer}/items")


#: Declared keys a demo whose calls never go through an IVR (its centre has none) cannot produce.
NEVER_WITHOUT_AN_IVR = {
    f"demo.json#/properties/ivr/properties/agencies/properties/{k}" for k in ("directory", "code", "unknown")
}


def test_every_key_a_schema_declares_is_produced_by_some_run(runs: Runs) -> None:
    seen = _Seen()
    for name, doc in runs.all():
        seen.walk(doc, f"{name}.json", "")
    excused = set(NEVER_IN_A_SHORT_RUN)
    if not any(doc["ivr"]["reached"] for doc in runs.docs["demo"]):
        excused |= NEVER_WITHOUT_AN_IVR
    never = sorted(_declared() - seen.keys - excused)
    assert not never, "declared in a schema but produced by no run:\n" + "\n".join(never)


# ----------------------------------------------------------------------
# The JSON agrees with itself
# ----------------------------------------------------------------------


def _pairs(doc: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, value) in a JSON document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield path, key, value
            yield from _pairs(value, f"{path}.{key}")
    elif isinstance(doc, list):
        for item in doc:
            yield from _pairs(item, f"{path}[]")


def test_one_name_per_concept_agent_id_caller_number_site_id(runs: Runs) -> None:
    """No `agent`, `caller`, `caller_id` (a phone number) or bare `id`: `agent_id`, `caller_number`, `site_id`.

    `case` may hold the case itself (an object, or null for none), never its id.
    """
    wrong = {"agent", "caller", "caller_id", "id", "site", "person", "case"}
    found = {
        f"{name}: {path}.{key}"
        for name, doc in runs.all()
        for path, key, value in _pairs(doc)
        if key in wrong and not (key == "case" and (value is None or isinstance(value, dict)))
    }
    assert not found, sorted(found)


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def test_times_are_iso_8601_strings_with_an_offset_everywhere(runs: Runs) -> None:
    """A key `at` or ending `_at` holds an ISO 8601 string with the centre's offset (or null), never epoch seconds."""
    bad = []
    for name, doc in runs.all():
        for path, key, value in _pairs(doc):
            if (key == "at" or key.endswith("_at")) and value is not None:
                if not (isinstance(value, str) and ISO.match(value)):
                    bad.append(f"{name}: {path}.{key} = {value!r}")
                else:
                    assert datetime.fromisoformat(value).utcoffset() is not None
    assert not bad, bad[:10]


def test_simulated_clock_times_of_day_are_hh_mm(runs: Runs) -> None:
    for name, doc in runs.all():
        for path, key, value in _pairs(doc):
            if key in {"start", "open", "close"}:
                assert isinstance(value, str), f"{name}: {path}.{key}"
                assert re.fullmatch(r"\d\d:\d\d", value), f"{name}: {path}.{key} = {value!r}"


def test_confidence_intervals_have_one_shape_mean_and_ci95(runs: Runs) -> None:
    """Every `ci95` sits beside its `mean` in an object of exactly those two keys; no flat `*_ci95` keys."""
    bad = []
    for name, doc in runs.all():
        for path, key, value in _pairs(doc):
            if key.endswith("_ci95") or (key == "ci95" and not isinstance(value, (int, float, type(None)))):
                bad.append(f"{name}: {path}.{key}")
        for node in _dicts(doc):
            if "ci95" in node and set(node) != {"mean", "ci95"}:
                bad.append(f"{name}: an object with ci95 and {sorted(node)}")
    assert not bad, sorted(set(bad))[:10]


def _dicts(doc: Any) -> Iterator[dict[str, Any]]:
    if isinstance(doc, dict):
        yield doc
        for value in doc.values():
            yield from _dicts(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _dicts(item)


def test_journals_are_lists_of_flat_objects_and_ivr_is_an_object(runs: Runs) -> None:
    """A journal entry is one object of named scalars (its data beside its time and event); `ivr` is never null."""
    seen = set()
    for name, doc in runs.all():
        for path, key, value in _pairs(doc):
            if key in {"journal", "history", "open_cases"}:
                assert all(isinstance(item, dict) for item in value), f"{name}: {path}.{key}"
                nested = [k for item in value for k, v in item.items() if isinstance(v, dict | list)]
                assert not nested, f"{name}: {path}.{key}[] holds {sorted(set(nested))}"
                seen.add((name, key))
            if key == "ivr":
                assert isinstance(value, dict), f"{name}: {path}.ivr is {type(value).__name__}"
                seen.add((name, key))
    assert {("calls-show", "journal"), ("calls-show", "ivr"), ("calls-list", "ivr"), ("cases-show", "journal")} <= seen


def test_a_screen_pop_has_one_shape_in_every_command(runs: Runs) -> None:
    """`directory show` and the pops in `cases show` and `calls show` name the same things the same way."""
    pops = [doc for doc in runs.docs["directory-show"] if doc["profile"]]
    pops += [doc["screen_pop"] for doc in runs.docs["cases-show"]]
    pops += [doc["screen_pop"] for doc in runs.docs["calls-show"] if doc["screen_pop"] is not None]  # IVR calls: none
    shapes = {tuple(sorted(pop)) for pop in pops}
    assert len(shapes) == 1, shapes
    assert all(isinstance(pop["caller_number"], str) for pop in pops)


def test_docs_json_md_is_generated_from_the_schemas() -> None:
    """docs/json.md is what `python -m cti.cli.jsondoc` prints; regenerate it after changing a schema."""
    from cti.cli.jsondoc import ORDER, page

    assert sorted(ORDER) == _schema_names()
    committed = (Path(__file__).parents[2] / "docs" / "json.md").read_text(encoding="utf-8")
    assert committed == page(), "docs/json.md is out of date: python -m cti.cli.jsondoc > docs/json.md"
