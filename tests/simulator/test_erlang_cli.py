"""`cti erlang`: the published example, the target search, and "unstable" instead of figures."""

from __future__ import annotations

import json

import pytest

from cti.cli import main


def erlang(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["erlang", "--calls", "100", "--interval", "1800", "--aht", "180", *argv, "--json"]) == 0
    doc: dict[str, object] = json.loads(capsys.readouterr().out)
    return doc


def test_the_published_example_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    doc = erlang(capsys, "--agents", "13")
    assert doc["stable"] is True
    assert doc["service_level"] == pytest.approx(0.7956, abs=5e-5)
    assert doc["asa_s"] == pytest.approx(17.1, abs=0.05)
    assert "p_abandon" not in doc


def test_a_target_service_level_gives_the_fewest_agents(capsys: pytest.CaptureFixture[str]) -> None:
    assert erlang(capsys, "--target-sl", "0.8")["agents"] == 14


def test_erlang_c_at_full_load_says_unstable(capsys: pytest.CaptureFixture[str]) -> None:
    doc = erlang(capsys, "--agents", "10")
    assert (doc["stable"], doc["service_level"], doc["p_wait"]) == (False, None, None)


def test_with_patience_it_is_erlang_a_and_reports_abandonment(capsys: pytest.CaptureFixture[str]) -> None:
    doc = erlang(capsys, "--agents", "10", "--patience", "120")
    assert doc["stable"] is True
    assert isinstance(doc["p_abandon"], float)
    assert 0 < doc["p_abandon"] < 1


def test_a_bad_share_is_refused_by_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["erlang", "--calls", "100", "--aht", "180", "--target-sl", "80"])
    assert exit_.value.code == 2
    assert "between 0 and 1" in capsys.readouterr().err
