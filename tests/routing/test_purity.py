"""The pure core is pure: routing/ and ivr/ use the standard library only, no clock, no I/O."""

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

FORBIDDEN = ["asyncio", "aiomqtt", "simpy", "aiosqlite", "sqlite3", "textual", "structlog", "numpy", "socket", "random"]
PURE = ["routing", "ivr"]


def _dir(package: str) -> Path:
    return Path(importlib.import_module(package).__file__ or "").parent


@pytest.mark.parametrize("package", PURE)
def test_every_module_imports_without_io_or_framework_modules(package: str) -> None:
    """Importing every module of the package in a fresh interpreter loads none of the forbidden modules."""
    modules = [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(_dir(package))])]
    if package == "routing":
        assert "routing.router" in modules
    script = (
        "import sys\n"
        f"for name in {modules!r}: __import__(name)\n"
        f"loaded = sorted(m for m in {FORBIDDEN!r} if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    return [n for n in ast.walk(tree) if id(n) not in skip]


@pytest.mark.parametrize("package", PURE)
def test_source_imports_only_stdlib_and_itself(package: str) -> None:
    """No module of the package imports a third-party package or another package of ours."""
    stdlib = set(sys.stdlib_module_names)
    for path in _dir(package).glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _runtime_nodes(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in stdlib or top == package, f"{path.name} imports {name}"
                assert top not in {"time", "datetime", "random", "os", "io", "socket", "logging"}, (
                    f"{path.name} imports {name}"
                )
