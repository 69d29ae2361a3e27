"""The house rules of the code: import contracts, no private names across modules, a small top to cti/.

The contracts live in pyproject.toml and are checked by ``lint-imports``;
docs/architecture.md explains each. The tests here check that they hold,
and that each one still fails when the rule it states is broken, so a
contract cannot quietly stop checking.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cti.cli.parser import Handler, build_parser

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cti", "simulator", "routing", "ivr", "recorder", "console")
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the tree at ``cwd`` (its packages are imported from there, not from the install)."""
    args = [sys.executable, "-c", LINT, "--no-cache"]
    for contract in contracts:
        args += ["--contract", contract]
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _contract_ids() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [c["id"] for c in config["tool"]["importlinter"]["contracts"]]


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packages and pyproject.toml, copied: a tree to break on purpose."""
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_every_import_contract_is_kept() -> None:
    """lint-imports keeps every contract of pyproject.toml on this tree."""
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contract_ids())} kept, 0 broken." in result.stdout


def test_the_copied_tree_keeps_every_contract_too(tree_copy: Path) -> None:
    """The copy the next test breaks passes as it is, so its failures come from the imports added."""
    result = lint_imports(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr


# Each contract, and an import that breaks it: (contract id, file, the line added).
BREAKS = [
    ("pure-core", "routing/queue.py", "import cti.cli"),
    ("pure-core", "ivr/__init__.py", "import simulator"),
    ("pure-core-apart", "ivr/__init__.py", "import routing"),
    ("pure-core-no-io", "routing/timers.py", "import time"),
    ("pure-core-no-io", "routing/centre.py", "import asyncio"),
    ("simulator", "simulator/model.py", "import cti.live.bus"),
    ("rooms", "cti/store/sqlite.py", "import cti.live.messages"),
    ("rooms", "cti/casework/cases.py", "import cti.store"),
    ("rooms", "cti/clock.py", "import cti.casework.privacy"),
    ("rooms", "recorder/__init__.py", "import console"),
    ("cli-on-top", "cti/live/bus.py", "import cti.cli.run"),
    ("bus-clients", "console/__init__.py", "import cti.live.server"),
    ("bus-clients", "recorder/__init__.py", "import cti.live.demo"),
    ("sql-in-the-store", "cti/live/pbx.py", "import sqlite3"),
    ("sql-in-the-store", "simulator/replay.py", "import aiosqlite"),
    ("no-cycles", "cti/live/bots.py", "import cti.live.traffic"),
    ("no-cycles", "cti/store/records.py", "import cti.store.sqlite"),
]


@pytest.mark.parametrize(("contract", "file", "line"), BREAKS, ids=[f"{c}:{f}" for c, f, _ in BREAKS])
def test_a_forbidden_import_breaks_its_contract(tree_copy: Path, contract: str, file: str, line: str) -> None:
    """Adding the import to a copy of the tree makes lint-imports fail, naming that contract broken."""
    target = tree_copy / file
    original = target.read_text(encoding="utf-8")
    target.write_text(original + f"\n{line}  # added by the test\n", encoding="utf-8")
    try:
        result = lint_imports(tree_copy, contract)
    finally:
        target.write_text(original, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 0 kept, 1 broken." in result.stdout, result.stdout


def test_every_contract_has_a_break_that_proves_it_checks() -> None:
    """No contract in pyproject.toml goes without a case above."""
    assert set(_contract_ids()) == {contract for contract, _, _ in BREAKS}


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_module_imports_another_modules_private_names() -> None:
    """``from x import _name`` between modules of ours would tie them to each other's insides."""
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private:
                    found.append(f"{path.relative_to(ROOT)}: from {node.module} import {', '.join(private)}")
    assert found == []


def test_the_top_of_cti_holds_only_the_foundation() -> None:
    """cti/ itself holds the entry point and what every room uses; everything else lives in a room."""
    top = sorted(p.stem for p in (ROOT / "cti").glob("*.py"))
    assert top == ["__init__", "__main__", "clock", "config", "errors"]
    rooms = sorted(p.name for p in (ROOT / "cti").iterdir() if (p / "__init__.py").is_file())
    assert rooms == ["casework", "cli", "live", "store"]


def _handlers(parser: argparse.ArgumentParser) -> list[Handler]:
    found = []
    run = parser.get_default("run")
    if isinstance(run, Handler):
        found.append(run)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _handlers(sub)
    return found


def test_every_command_names_a_handler_that_exists() -> None:
    """Handlers are named, not imported (the graph cannot see them): each name resolves to a function."""
    handlers = _handlers(build_parser())
    assert len(handlers) >= 20
    for handler in handlers:
        assert callable(handler.resolve()), handler
