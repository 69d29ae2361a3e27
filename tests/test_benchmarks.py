"""The hand-run benchmarks: one without its optional dependency says which extra to install, in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_soak_benchmark_in_a_tiny_size_samples_as_it_goes_and_ends_with_no_call_held(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import soak

    assert soak.main(["--calls", "300", "--every", "100", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [s["calls"] // 100 for s in result["samples"][:3]] == [1, 2, 3]  # sampled once a centre second
    last = result["samples"][-1]
    assert last["drained"] is True
    assert last["calls"] == result["calls"] >= 300
    assert last["per_call_entries"] == 0
    assert all(s["rss_mib"] > 0 for s in result["samples"])


def test_the_ivr_benchmark_in_a_tiny_size_ends_every_call_once(capsys: pytest.CaptureFixture[str]) -> None:
    """Every call the caller model sends through the default menus ends (routed, released or abandoned)."""
    from benchmarks import ivr

    assert ivr.main(["--calls", "300", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["calls"] == 300
    assert result["left_in_ivr"] == 0
    assert result["by_kind"]["CallArrived"] == 300
    assert {"routed", "ivr-abandoned", "after-hours-callback"} <= set(result["outcomes"])
    assert result["transitions_per_s"] > 0
