"""The hand-run benchmarks: one without its optional dependency says which extra to install, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Runs the module as `python -m benchmarks.simulator --help` would, with Ciw made impossible to import.
WITHOUT_CIW = (
    "import runpy, sys; sys.modules['ciw'] = None; sys.argv = ['benchmarks.simulator', '--help']; "
    "runpy.run_module('benchmarks.simulator', run_name='__main__', alter_sys=True)"
)


def test_the_simulator_benchmark_without_ciw_names_the_extra_to_install() -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_CIW], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "python -m benchmarks.simulator: ciw is not installed; install the bench extra: pip install -e '.[bench]'"
    ]
