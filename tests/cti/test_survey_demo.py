"""The default centre's survey in a whole demo run: every caller whose agent hung up is offered it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from cti.live.server.casedesk import SUPERVISORS

DEMO = [sys.executable, "-m", "cti", "demo", "-q", "--speed", "max"]


def test_the_demo_offers_the_survey_after_every_call_the_agent_ended_and_reports_it(tmp_path: Path) -> None:
    db, out = tmp_path / "c.db", tmp_path / "figures.json"
    done = subprocess.run(
        [*DEMO, "--minutes", "20", "--db", str(db), "--json", str(out), "--seed", "5"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    survey = json.loads(out.read_text())["survey"]
    with closing(sqlite3.connect(db)) as con:
        ended_by_agent = {
            r[0] for r in con.execute("SELECT call_id FROM calls WHERE outcome = 'answered' AND ended_by = 'agent'")
        }
        surveys = {r[0]: r[1:] for r in con.execute("SELECT call_id, consented, outcome FROM surveys")}
        scores = [r[0] for r in con.execute("SELECT answer FROM survey_answers WHERE question = 'satisfaction'")]
        supervisors = con.execute("SELECT COUNT(*) FROM cases WHERE owner = ?", (SUPERVISORS,)).fetchone()[0]
    assert set(surveys) == ended_by_agent
    assert len(surveys) > 0
    assert all(outcome is not None for _, outcome in surveys.values())  # drained: every survey ended
    assert survey["offered"] == len(surveys)
    assert survey["taken"] == sum(consented for consented, _ in surveys.values())
    assert survey["completed"] == sum(outcome == "completed" for _, outcome in surveys.values())
    assert survey["scored"] == len(scores)
    assert survey["dissatisfied"] == sum(s <= 2 for s in scores) == supervisors
