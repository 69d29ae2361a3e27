"""The survey's rows in the store, and the figures computed from them."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from cti.clock import ScaledClock, run
from cti.store import CallRecord, Store
from cti.store.figures import run_survey
from ivr.reading import survey_from_mapping
from ivr.survey_figures import SurveyFigures

CLOCK = ScaledClock(0.0)
PLAN = survey_from_mapping({})


def test_answers_are_stored_against_the_call_and_counted(tmp_path: Path) -> None:
    assert PLAN is not None

    async def main() -> SurveyFigures:
        async with await Store.open(tmp_path / "s.db", CLOCK) as store:
            run_id = await store.start_run(0.0, "test", "Asia/Taipei", 1, "max")
            for i, (agent, answers, outcome) in enumerate(
                [
                    ("N1", [("satisfaction", 5), ("solved", 1)], "completed"),
                    ("N1", [("satisfaction", 1)], "partial"),
                    ("N2", [], "declined"),
                ]
            ):
                call_id = f"c{i}"
                rec = CallRecord(call_id, run_id, "voice", "0912345678", "1999", "webhr", "a1", arrived_at=float(i))
                rec.agent, rec.case_id, rec.state = agent, f"K{i}", "done"
                store.call(rec)
                store.survey_offered(run_id, call_id, 10.0 + i, "zh")
                for question, answer in answers:
                    store.survey_answer(call_id, question, answer, 11.0 + i)
                store.survey_ended(call_id, 12.0 + i, outcome, bool(answers) or outcome != "declined")
            return await run_survey(store, run_id, PLAN)

    f = run(main(), CLOCK)
    assert (f.offered, f.taken, f.completed, f.scored, f.satisfied, f.dissatisfied) == (3, 2, 1, 2, 1, 1)
    assert f.average_score == 3.0
    with closing(sqlite3.connect(tmp_path / "s.db")) as con:
        joined = con.execute(
            "SELECT c.agent, c.case_id, c.system, c.agency, a.question, a.answer FROM survey_answers a "
            "JOIN calls c USING (call_id) ORDER BY c.call_id, a.question"
        ).fetchall()
    assert joined == [
        ("N1", "K0", "webhr", "a1", "satisfaction", 5),
        ("N1", "K0", "webhr", "a1", "solved", 1),
        ("N1", "K1", "webhr", "a1", "satisfaction", 1),
    ]
