"""The README runs: its shell examples, in order, in a new folder, after the install command.

The runner (tests/readme_runner.py) executes every ``sh`` block as a new
user would paste it; the other tests here hold what the runner cannot see:
the install commands stay first and exact, and no example names a case,
call, date or number that only existed in one run's database.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.readme_runner import ReadmeFailure, parse_blocks, run_markdown

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
INSTALL = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && cti demo"
INSTALL_DEV = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]' && pytest"

# What one run's database holds and a new user's does not: a case id, a call id, a day.
ONE_RUNS_VALUES = {
    "case id": re.compile(r"\bC\d{8}-\d{5}\b"),
    "call id": re.compile(r"\br\d+-\d{6}\b"),
    "date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
}
PHONE = re.compile(r"(?<![\w-])\(?0\d{1,3}\)?[- ]?\d{3,4}[- ]?\d{3,4}\b")


def run_blocks() -> list[tuple[int, str]]:
    """``(line, text)`` of every line of the README's ``sh`` blocks that the runner runs."""
    return [line for block in parse_blocks(README.read_text(encoding="utf-8")) for line in block.lines
            if "skip" not in block.flags]  # fmt: skip


@pytest.mark.slow
def test_the_readme_runs_in_order_in_a_new_folder(tmp_path: Path) -> None:
    folder = tmp_path / "new-user"
    folder.mkdir()
    if (ROOT / "examples").is_dir():
        shutil.copytree(ROOT / "examples", folder / "examples")
    temporary = tmp_path / "tmp"  # where `cti demo` without --db puts its database
    temporary.mkdir()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # cti of this install
        "TMPDIR": str(temporary),
    }
    failure = None
    try:
        run_markdown(README.read_text(encoding="utf-8"), folder, env=env)
    except ReadmeFailure as failed:
        failure = str(failed)
    if failure is not None:
        pytest.fail(failure, pytrace=False)


def test_the_two_install_commands_come_first_exact_and_are_not_run_again() -> None:
    first, second = parse_blocks(README.read_text(encoding="utf-8"))[:2]
    assert [text for _, text in first.lines] == [INSTALL]
    assert [text for _, text in second.lines] == [INSTALL_DEV]
    assert "skip" in first.flags
    assert "skip" in second.flags
    assert INSTALL_DEV in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # what CI runs is what we tell


@pytest.mark.parametrize("what", sorted(ONE_RUNS_VALUES))
def test_no_example_names_a_value_only_one_run_had(what: str) -> None:
    found = [f"README.md:{n}: {text}" for n, text in run_blocks() if ONE_RUNS_VALUES[what].search(text)]
    assert found == [], f"a {what} a new user's database does not have; find it with a command instead"


def test_every_phone_number_in_the_examples_is_in_the_example_directory() -> None:
    directory = (ROOT / "examples" / "people.csv").read_text(encoding="utf-8")
    numbers = [(n, m.group(0)) for n, text in run_blocks() for m in PHONE.finditer(text)]
    assert numbers, "the README looks a number up"
    assert [f"README.md:{n}: {number}" for n, number in numbers if number not in directory] == []


def test_a_whole_service_day_runs_from_opening_to_closing() -> None:
    (line,) = [text for _, text in run_blocks() if "a whole service day" in text]
    minutes = float(re.search(r"--minutes (\S+)", line)[1])  # type: ignore[index]
    start = datetime.strptime(re.search(r"--start (\S+)", line)[1], "%H:%M")  # type: ignore[index]
    example = subprocess.run(
        [sys.executable, "-m", "cti", "scenario", "example"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    day = tomllib.loads(example)["scenario"]
    assert f"{start:%H:%M}" == day["open"]
    assert f"{start + timedelta(minutes=minutes):%H:%M}" == day["close"]
