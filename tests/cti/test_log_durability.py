"""The log is never the database.

That a kill loses no log line (every ``recovered`` warning and every call's
``call_arrived`` is in the file) is checked under twenty kills by
``tests/cti/test_kill_recovery.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.cli import main


def test_the_database_cannot_also_be_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--speed", "max", "--minutes", "5", "--db", "x.log", "-q"]) == 2
    assert "would also be the log" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
