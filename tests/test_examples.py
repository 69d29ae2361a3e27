"""The example files a new user gets with the clone: what they hold, and that they load."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cti.casework.people_csv import read_people_csv
from cti.cli import main
from cti.config import load_default

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def test_the_example_directory_imports_whole_into_the_default_centre() -> None:
    agencies = {a.id for a in load_default().centre.agencies}
    people = read_people_csv((EXAMPLES / "people.csv").read_text(encoding="utf-8"), "people.csv", agencies=agencies)
    assert len(people) >= 5
    assert len({p.agency for p in people}) >= 5


def test_the_example_people_are_plainly_made_up() -> None:
    people = read_people_csv((EXAMPLES / "people.csv").read_text(encoding="utf-8"), "people.csv")
    assert all(p.email.endswith(".example") for p in people)  # a domain reserved for examples (RFC 2606)
    assert all(p.mobile.startswith("0900-000-") for p in people)


def test_the_launch_scenario_is_the_example_with_twice_the_webhr_calls() -> None:
    example = subprocess.run(
        [sys.executable, "-m", "cti", "scenario", "example"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    expected = tomllib.loads(example)
    expected["scenario"]["name"] = "WebHR launch"
    expected["arrivals"]["webhr"] *= 2
    assert tomllib.loads((EXAMPLES / "launch.toml").read_text(encoding="utf-8")) == expected


def test_the_launch_scenario_checks_against_the_default_centre(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "check", str(EXAMPLES / "launch.toml")]) == 0
    assert "'WebHR launch'" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_the_examples_are_not_ignored_by_git() -> None:
    files = sorted(str(p.relative_to(ROOT)) for p in EXAMPLES.iterdir())
    ignored = subprocess.run(
        ["git", "-C", str(ROOT), "check-ignore", "--no-index", *files],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert ignored.stdout.split() == []
