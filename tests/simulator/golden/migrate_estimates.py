"""Rewrite the golden files from the old JSON names to the new ones, asserting every value is unchanged.

Run once from the repository root: ``python tests/simulator/golden/migrate_estimates.py``. Old shapes:

* a block's figures were flat means with their half-widths in a sibling ``ci95`` object (``{"offered": 18.3,
  "ci95": {"offered": 10.0}}``); now each figure is ``{"mean": 18.3, "ci95": 10.0}``;
* a paired difference was ``{"difference": d, "ci95": h}``; now ``{"difference": {"mean": d, "ci95": h}}``;
* ``--single-queue``'s ``simulated`` and ``ci95`` objects are one ``simulated`` of estimates, and ``hours`` and
  ``warmup_min`` are ``duration_s`` and ``warmup_s``.

Each rewritten file is read back and every old value is looked up under its new name and compared for equality.
A second run finds nothing to rewrite and changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def block(old: dict[str, Any]) -> dict[str, Any]:
    """A block with a sibling ``ci95`` object, and its ``by_system``/``by_site``, as estimates."""
    ci = old["ci95"]
    new: dict[str, Any] = {}
    for key, value in old.items():
        if key == "ci95":
            continue
        if key in ("by_system", "by_site"):
            new[key] = {name: block(group) for name, group in value.items()}
        elif key in ci:
            new[key] = {"mean": value, "ci95": ci[key]}
        else:
            new[key] = value
    assert set(ci) <= set(new), sorted(set(ci) - set(new))
    return new


def simulation(old: dict[str, Any]) -> dict[str, Any]:
    return {**old, "total": block(old["total"]), "intervals": [block(iv) for iv in old["intervals"]]}


def difference(old: dict[str, Any]) -> dict[str, Any]:
    new = {k: v for k, v in old.items() if k != "ci95"}
    new["difference"] = {"mean": old["difference"], "ci95": old["ci95"]}
    return new


def single_queue(old: dict[str, Any]) -> dict[str, Any]:
    new = {k: v for k, v in old.items() if k not in ("ci95", "hours", "warmup_min")}
    new["simulated"] = {k: {"mean": v, "ci95": old["ci95"][k]} for k, v in old["simulated"].items()}
    new["duration_s"] = old["hours"] * 3600
    new["warmup_s"] = old["warmup_min"] * 60
    return new


def check_block(old: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in old.items():
        if key == "ci95":
            for figure, half in value.items():
                assert new[figure]["ci95"] == half, figure
        elif key in ("by_system", "by_site"):
            for name, group in value.items():
                check_block(group, new[key][name])
        elif isinstance(new[key], dict) and "mean" in new[key]:
            assert new[key]["mean"] == value, key
        else:
            assert new[key] == value, key


def migrate(name: str, convert: Any, check: Any) -> None:
    path = HERE / name
    old = json.loads(path.read_text(encoding="utf-8"))
    if not _is_old(old):
        print(f"{name}: already in the new names")
        return
    new = convert(old)
    path.write_text(json.dumps(new, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    check(old, json.loads(path.read_text(encoding="utf-8")))
    print(f"{name}: rewritten, every value equal")


def _is_old(doc: dict[str, Any]) -> bool:
    return (
        "ci95" in doc or "ci95" in doc.get("total", {}) or any("ci95" in v for v in doc.values() if isinstance(v, dict))
    )


def check_simulation(old: dict[str, Any], new: dict[str, Any]) -> None:
    check_block(old["total"], new["total"])
    for a, b in zip(old["intervals"], new["intervals"], strict=True):
        check_block(a, b)
    assert {k: v for k, v in old.items() if k not in ("total", "intervals")} == {
        k: v for k, v in new.items() if k not in ("total", "intervals")
    }


def check_single_queue(old: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in old["simulated"].items():
        assert new["simulated"][key] == {"mean": value, "ci95": old["ci95"][key]}, key
    assert new["duration_s"] == old["hours"] * 3600
    assert new["warmup_s"] == old["warmup_min"] * 60
    rest = ("simulated", "ci95", "hours", "warmup_min", "duration_s", "warmup_s")
    assert {k: v for k, v in old.items() if k not in rest} == {k: v for k, v in new.items() if k not in rest}


def check_compare_total(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert set(old) == set(new)
    for figure, d in old.items():
        assert new[figure] == {"a": d["a"], "b": d["b"], "significant": d["significant"],
                               "difference": {"mean": d["difference"], "ci95": d["ci95"]}}  # fmt: skip


if __name__ == "__main__":
    migrate("example_3_replications.json", simulation, check_simulation)
    migrate("single_queue_13_agents.json", single_queue, check_single_queue)
    migrate(
        "compare_webhr_doubled.json",
        lambda old: {figure: difference(d) for figure, d in old.items()},
        check_compare_total,
    )
