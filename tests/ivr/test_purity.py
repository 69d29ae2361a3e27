"""The IVR core is pure: importing it loads only the standard library, and no clock, calendar or randomness.

A twin of tests/routing/test_purity.py (which covers ``ivr`` too) that also
checks what importing ``ivr`` adds to a fresh interpreter: ``time`` and
``os`` are there before any import, so only the modules it *loads* tell.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

NEVER = {"datetime", "zoneinfo", "random", "secrets", "time", "calendar", "socket", "asyncio", "logging", "sqlite3",
         "threading", "subprocess", "tomllib", "routing", "cti"}  # fmt: skip


def test_importing_every_ivr_module_loads_only_the_standard_library_and_no_clock() -> None:
    folder = Path(importlib.import_module("ivr").__file__ or "").parent
    modules = ["ivr", *(f"ivr.{m.name}" for m in pkgutil.iter_modules([str(folder)]))]
    assert {"ivr.engine", "ivr.hours", "ivr.civil", "ivr.reading"} <= set(modules)
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"for name in {modules!r}: __import__(name)\n"
        "print('\\n'.join(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = {name for name in out.stdout.split() if not name.startswith("ivr")}
    tops = {name.split(".")[0].lstrip("_") for name in loaded}
    assert not tops & NEVER, sorted(tops & NEVER)
    stdlib = {name.lstrip("_") for name in sys.stdlib_module_names}
    assert tops <= stdlib, sorted(tops - stdlib)
