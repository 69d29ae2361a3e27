"""The routing core is pure: standard library only, no clock, no I/O."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import routing

FORBIDDEN = ["asyncio", "aiomqtt", "simpy", "aiosqlite", "sqlite3", "textual", "structlog", "numpy", "socket", "random"]
ROUTING_DIR = Path(routing.__file__).parent


def test_every_routing_module_imports_without_io_or_framework_modules() -> None:
    """Importing every module of routing/ in a fresh interpreter loads none of the forbidden modules."""
    modules = [f"routing.{m.name}" for m in pkgutil.iter_modules([str(ROUTING_DIR)])]
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


def test_routing_source_imports_only_stdlib_and_itself() -> None:
    """No module under routing/ imports a third-party package or another package of ours."""
    stdlib = set(sys.stdlib_module_names)
    for path in ROUTING_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _runtime_nodes(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in stdlib or top == "routing", f"{path.name} imports {name}"
                assert top not in {"time", "datetime", "random", "os", "io", "socket", "logging"}, (
                    f"{path.name} imports {name}"
                )
