"""`cti simulate`, `cti scenario` and `cti staff` from the command line, with golden outputs.

A golden file is a seeded run's JSON, committed. A change to any figure fails
the test until the file is regenerated (``CTI_UPDATE_GOLDEN=1 pytest
tests/simulator/test_simulate_cli.py``) and the diff reviewed.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest

from cti.cli import main
from cti.cli.scenario import example_text

GOLDEN = Path(__file__).parent / "golden"


def rounded(value: Any) -> Any:
    """Floats to 6 significant digits, so a golden file survives harmless last-digit noise."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def check_golden(name: str, doc: Any) -> None:
    path = GOLDEN / name
    if os.environ.get("CTI_UPDATE_GOLDEN"):
        path.write_text(json.dumps(rounded(doc), indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    assert path.exists(), f"{path} missing: run with CTI_UPDATE_GOLDEN=1 once and commit it"
    assert rounded(doc) == json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[dict[str, str]], Path]:
    out = tmp_path_factory.mktemp("sim")
    args = ["simulate", "--replications", "3", "-q", "--json", str(out / "r.json"), "--csv", str(out / "r.csv")]
    assert main([*args, "--plot", str(out / "r.png")]) == 0
    doc = json.loads((out / "r.json").read_text())
    with (out / "r.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    return doc, rows, out / "r.png"


def test_the_example_scenario_matches_its_golden_file(example_run: tuple[dict[str, Any], Any, Path]) -> None:
    doc = example_run[0]
    # per-interval figures by system are left out of the file to keep it reviewable
    intervals = [{k: v for k, v in iv.items() if k != "by_system"} for iv in doc["intervals"]]
    check_golden("example_3_replications.json", {**doc, "intervals": intervals})


def test_the_json_has_totals_and_intervals_under_erlangs_key_names_each_a_mean_and_ci95(
    example_run: tuple[dict[str, Any], Any, Path],
) -> None:
    doc = example_run[0]
    for block in (doc["total"], *doc["intervals"]):
        for key in ("offered", "answered", "abandoned", "service_level", "asa_s", "occupancy", "p_abandon"):
            assert set(block[key]) == {"mean", "ci95"}
        assert set(block["by_site"]) == {"nantou", "taipei"}
        assert "webhr" in block["by_system"]
    assert [iv["start"] for iv in doc["intervals"]][:3] == ["08:30", "09:00", "09:30"]
    total = {key: value["mean"] for key, value in doc["total"].items() if key not in ("by_system", "by_site")}
    assert total["answered"] + total["abandoned"] <= total["offered"]
    assert total["p_abandon"] == pytest.approx(total["abandoned"] / total["offered"], rel=0.05)


def test_the_csv_has_a_row_per_interval_and_group(
    example_run: tuple[dict[str, Any], list[dict[str, str]], Path],
) -> None:
    doc, rows, _ = example_run
    groups = 1 + 15 + 2
    assert len(rows) == (1 + len(doc["intervals"])) * groups
    centre_total = next(r for r in rows if r["interval"] == "total" and r["id"] == "centre")
    assert float(centre_total["service_level"]) == pytest.approx(doc["total"]["service_level"]["mean"])
    assert "service_level_ci95" in rows[0]


def test_the_plot_is_a_png(example_run: tuple[Any, Any, Path]) -> None:
    png = example_run[2]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000


def test_single_queue_prints_simulation_beside_the_analytic_figures(tmp_path: Path) -> None:
    out = tmp_path / "sq.json"
    args = ["simulate", "--single-queue", "--calls", "100", "--interval", "1800", "--aht", "180", "--agents", "13"]
    assert main([*args, "--hours", "4", "--replications", "3", "--seed", "2", "-q", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["analytic"]["service_level"] == pytest.approx(0.7956, abs=1e-4)
    assert doc["model"] == "Erlang C (M/M/n)"
    check_golden("single_queue_13_agents.json", doc)


def test_single_queue_with_patience_is_erlang_a(tmp_path: Path) -> None:
    out = tmp_path / "sq.json"
    args = ["simulate", "--single-queue", "--calls", "100", "--aht", "180", "--agents", "9", "--patience", "120"]
    assert main([*args, "--hours", "4", "--replications", "2", "-q", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["model"] == "Erlang A (M/M/n+M)"
    assert doc["simulated"]["p_abandon"]["mean"] > 0.05
    assert doc["analytic"]["p_abandon"] > 0.05


def test_compare_reports_paired_differences(tmp_path: Path) -> None:
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text(example_text())
    b.write_text(example_text().replace("webhr = 120", "webhr = 240"))
    out = tmp_path / "c.json"
    assert main(["simulate", "--compare", str(a), str(b), "--replications", "4", "-q", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    offered = doc["total"]["offered"]
    assert offered["difference"]["mean"] > 80
    assert offered["significant"]
    assert doc["total"]["service_level"]["difference"]["mean"] < 0
    assert len(doc["intervals"]) == 20
    check_golden("compare_webhr_doubled.json", doc["total"])


def test_compare_needs_two_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--compare", "a.toml"]) == 2
    assert "--compare needs two scenario files" in capsys.readouterr().err


def test_staff_writes_a_plan_and_a_chart(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    args = ["staff", "--set", "scenario.open='09:00'", "--set", "scenario.close='10:00'", "--replications", "3"]
    assert main([*args, "-q", "--json", str(out), "--plot", str(tmp_path / "plan.png")]) == 0
    doc = json.loads(out.read_text())
    assert [iv["start"] for iv in doc["intervals"]] == ["09:00", "09:30"]
    for iv in doc["intervals"]:
        assert iv["agents"] == sum(iv["agents_by_site"].values())
        assert iv["service_level"]["mean"] >= 0.8
    assert (tmp_path / "plan.png").read_bytes()[:4] == b"\x89PNG"


def test_scenario_example_is_printed_and_checks_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "example"]) == 0
    text = capsys.readouterr().out
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert main(["scenario", "check", str(path)]) == 0
    assert "valid" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("webhr = 120", "webhr = -120"), "line 28: arrivals.webhr: negative (found -120)"),
        (("webhr = 120", "webhr = 120\nweb_hr = 3"), "arrivals.web_hr: unknown system"),
        (("interval_min = 30", "interval_min = 45"), "scenario.interval_min: unsupported interval (found 45)"),
        (('agents = ["N01", "N02", "N03"]', 'agents = ["N01", "N02", "X99"]'), "shifts[0].agents[2]: unknown voice"),
        (("[talk_time]", "[talk_time\n"), "not valid TOML"),
    ],
)
def test_a_bad_scenario_is_rejected_with_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(example_text().replace(*change, 1))
    assert main(["simulate", str(path), "-q"]) == 1
    err = capsys.readouterr().err
    assert str(path) in err
    assert message in err


def test_a_missing_scenario_file_says_how_to_make_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "nowhere.toml"]) == 1
    assert "cti scenario example > nowhere.toml" in capsys.readouterr().err


def test_single_queue_flags_are_refused_without_single_queue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--agents", "3"]) == 2
    assert "--agents: only with --single-queue" in capsys.readouterr().err


def test_what_if_flags_change_the_run(tmp_path: Path) -> None:
    out = tmp_path / "w.json"
    base = ["simulate", "--replications", "2", "-q", "--json", str(out)]
    assert main(base) == 0
    before = json.loads(out.read_text())["total"]
    assert main([*base, "--set", "arrivals.scale=1.5", "--remove-agent", "T03", "--strategy", "best-skill"]) == 0
    after = json.loads(out.read_text())["total"]
    assert after["offered"]["mean"] > 1.3 * before["offered"]["mean"]
    assert after["service_level"]["mean"] < before["service_level"]["mean"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["simulate", "--plot", "chart.jpg"], 2, "--plot: chart.jpg: the chart is a PNG"),
        (["simulate", "--json", "/no/such/folder/r.json"], 1, "the folder /no/such/folder does not exist"),
        (["simulate", "--set", "arrivals.webhr=-5"], 1, "--set: arrivals.webhr: negative"),
        (["simulate", "--threshold", "60"], 2, "--threshold: only with --single-queue"),
        (["simulate", "--db", "x.db"], 2, "--db: only with --replay"),
        (["simulate", "--days", "5000"], 2, "--days: at most 3,660"),
        (
            ["simulate", "--single-queue", "--calls", "9", "--aht", "9", "--agents", "2", "--csv", "x.csv"],
            2,
            "--csv: not with --single-queue",
        ),
        (
            ["simulate", "--replay", "--db", "x.db", "--date", "2026-11-20", "--set", "scenario.seed=2"],
            2,
            "--set with --replay",
        ),
    ],
)
def test_bad_options_are_refused_before_anything_runs(
    args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 when the command line alone is wrong, 1 when what it names (a folder, a scenario) is refused."""
    assert main([*args, "-q"]) == code
    assert message in capsys.readouterr().err


def test_a_negative_seed_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["simulate", "--seed", "-1"])
    assert exit_.value.code == 2
    assert "--seed: must be from 0" in capsys.readouterr().err


def test_compare_refuses_different_interval_grids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text(example_text())
    b.write_text(example_text().replace("interval_min = 30", "interval_min = 15"))
    assert main(["simulate", "--compare", str(a), str(b), "-q"]) == 1
    assert "must have the same days, opening hours and interval length" in capsys.readouterr().err


def test_compare_applies_days_to_both(tmp_path: Path) -> None:
    a = tmp_path / "a.toml"
    a.write_text(example_text())
    out = tmp_path / "c.json"
    args = ["simulate", "--compare", str(a), str(a), "--days", "2", "--replications", "2", "-q", "--json", str(out)]
    assert main(args) == 0
    doc = json.loads(out.read_text())
    assert doc["results"]["a"]["days"] == doc["results"]["b"]["days"] == 2
    assert doc["total"]["offered"]["difference"]["mean"] == 0


def test_staff_says_when_the_cap_keeps_it_from_the_targets(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    args = ["staff", "--set", "scenario.open='09:00'", "--set", "scenario.close='10:00'", "--replications", "2"]
    assert main([*args, "--max-per-site", "1", "-q", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["met"] is False
    assert doc["unmet"] == ["09:00", "09:30"]


def test_staff_keeps_warm_up_intervals_at_the_erlang_start(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    args = ["staff", "--set", "scenario.open='09:00'", "--set", "scenario.close='10:30'", "--replications", "2"]
    assert main([*args, "--set", "scenario.warmup_min=30", "-q", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["not_judged"] == ["09:00"]
    first = doc["intervals"][0]
    assert first["agents"] == first["erlang_a_agents"] > 0


def test_compare_runs_b_with_as_seed(tmp_path: Path) -> None:
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text(example_text())
    b.write_text(example_text().replace("seed = 1 ", "seed = 99 ", 1))
    assert "seed = 99" in b.read_text()
    out = tmp_path / "c.json"
    assert main(["simulate", "--compare", str(a), str(b), "--replications", "2", "-q", "--json", str(out)]) == 0
    total = json.loads(out.read_text())["total"]
    assert total["offered"]["difference"]["mean"] == 0
    assert total["service_level"]["difference"]["mean"] == 0
