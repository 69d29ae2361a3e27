"""The IVR's figures from a real database, and what they do to the queue figures, the day's counts and the CLI.

The rows are built by hand through the store (a real SQLite file): calls that
went through the IVR to a queue, hung up in it, or came after hours, beside
calls that entered a queue. An IVR abandon and an after-hours call never
entered a queue, so they are not offered, not abandoned in the queue and
outside service level and ASA; a routed call's wait runs from its queue entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from cti.cli import main
from cti.cli.figures import menu_targets, print_ivr
from cti.clock import ScaledClock, run
from cti.config import load_default
from cti.live.server.kpi import restore_day, snapshot
from cti.store import CallRecord, Journal, Store
from cti.store.days import DayReader
from cti.store.figures import run_ivr, run_summary
from ivr.figures import IvrFigures
from routing import Router

CENTRE = load_default().centre
START = 1_780_000_000.0  # a run's start; the day's start is an hour before it
DAY = START - 3600.0
SL = CENTRE.info.service_level_seconds


def _call(
    call_id: str, at: float, system: str | None = None, agency: str | None = None, **fields: object
) -> CallRecord:
    return CallRecord(call_id, 1, "voice", "0912345678", "1999", system, agency, arrived_at=at, **fields)  # type: ignore[arg-type]


async def _fill(store: Store) -> None:
    """Six calls: two routed by the IVR and answered, one IVR abandon, two after hours, one with no IVR."""
    await store.start_run(START, "test", "Asia/Taipei", 1, "max")
    ev = store.event
    # c1: zh, directory agency, chose webhr in main after one invalid key; 20 s in the IVR; answered 5 s after
    # entering the queue (25 s after arrival: within a 20 s service level only if waits run from queue entry).
    t = START + 10
    store.call(
        _call("c1", t, system="webhr", agency="moi", queue="webhr", offered_at=t + 20, rang_at=t + 22,
              answered_at=t + 25, ended_at=t + 100, outcome="answered", state="talking", language="zh",
              ivr_outcome="routed", ivr_s=20.0)
    )  # fmt: skip
    ev(t, "c1", Journal.IVRSTART, data1="zh")
    ev(t + 5, "c1", Journal.IVRSTEP, data1="agency", data2=None, data3="directory:moi")
    ev(t + 10, "c1", Journal.IVRSTEP, data1="invalid", data2="main", data3="9")
    ev(t + 15, "c1", Journal.IVRSTEP, data1="choice", data2="main", data3="1")  # key 1: webhr
    ev(t + 20, "c1", Journal.IVREND, data1="routed", data2="webhr", data3=20.0)
    ev(t + 20, "c1", Journal.ENTERQUEUE, queue="webhr", data1=1)
    # c2: en, keyed an agency code, gave no choice twice: sent to general; 30 s in the IVR; answered after 10 s
    t = START + 20
    store.call(
        _call("c2", t, system="general", agency="moi", queue="general", offered_at=t + 30, answered_at=t + 40,
              ended_at=t + 90, outcome="answered", state="talking", language="en",
              ivr_outcome="general-after-failures", ivr_s=30.0)
    )  # fmt: skip
    ev(t, "c2", Journal.IVRSTART, data1="zh")
    ev(t + 1, "c2", Journal.IVRSTEP, data1="language", data2="language", data3="en")
    ev(t + 5, "c2", Journal.IVRSTEP, data1="agency", data2="agency", data3="code:moi")
    ev(t + 15, "c2", Journal.IVRSTEP, data1="no-input", data2="main")
    ev(t + 25, "c2", Journal.IVRSTEP, data1="no-input", data2="main")
    ev(t + 30, "c2", Journal.IVREND, data1="general-after-failures", data2="general", data3=30.0)
    # c3: hung up in the main menu after 12 s: an IVR abandon (never offered)
    t = START + 30
    store.call(
        _call("c3", t, ended_at=t + 12, outcome="ivr-abandoned", state="done", language="zh",
              ivr_outcome="ivr-abandoned", ivr_s=12.0, caller_key="0912345678")
    )  # fmt: skip
    ev(t, "c3", Journal.IVRSTART, data1="zh")
    ev(t + 5, "c3", Journal.IVRSTEP, data1="agency", data2="agency", data3="unknown")
    ev(t + 12, "c3", Journal.IVRSTEP, data1="abandoned", data2="main")
    ev(t + 12, "c3", Journal.IVREND, data1="ivr-abandoned", data2="main", data3=12.0)
    # c4, c5: after hours, one leaving a number for a call-back (never offered)
    for call_id, outcome, secs in (("c4", "after-hours", 8.0), ("c5", "after-hours-callback", 40.0)):
        t = START + 40
        store.call(
            _call(call_id, t, ended_at=t + secs, outcome="after-hours", state="done", language="zh",
                  ivr_outcome=outcome, ivr_s=secs)
        )  # fmt: skip
        ev(t, call_id, Journal.IVRSTART, data1="zh")
        ev(t, call_id, Journal.AFTERHOURS, data1=START + 36_000)
        ev(t + secs, call_id, Journal.IVREND, data1=outcome, data3=secs)
    # c6: no IVR (a centre without one): queued, then abandoned in the queue after 50 s
    t = START + 50
    store.call(
        CallRecord("c6", 1, "voice", "0912345678", "1999", "webhr", "moi", arrived_at=t, queue="webhr",
                   offered_at=t, ended_at=t + 50, outcome="abandoned", state="abandoned")
    )  # fmt: skip
    ev(t, "c6", Journal.ENTERQUEUE, queue="webhr", data1=1)
    await store.flush()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ivr") / "centre.db"
    clock = ScaledClock(START)

    async def build() -> None:
        async with await Store.open(path, clock) as store:
            await _fill(store)

    run(build(), clock)
    return path


def _read(db: Path, what: str) -> object:
    clock = ScaledClock(START)

    async def main_() -> object:
        async with await Store.open_existing(db, clock) as store:
            if what == "summary":
                return await run_summary(store, CENTRE, 1, START + 3600)
            if what == "ivr":
                return await run_ivr(store, 1)
            return await restore_day(store, DAY, SL)

    return run(main_(), clock)


# ----------------------------------------------------------------------
# The queue figures: only calls that entered a queue are offered
# ----------------------------------------------------------------------


def test_ivr_abandons_and_after_hours_calls_are_not_offered_nor_abandoned_in_the_queue(db: Path) -> None:
    summary = _read(db, "summary")
    total = summary.total  # type: ignore[attr-defined]
    assert (total.offered, total.answered, total.abandoned) == (3, 2, 1)  # c1, c2 answered; c6 abandoned
    assert total.answer_rate == pytest.approx(2 / 3)


def test_service_level_and_asa_count_the_wait_from_queue_entry_not_from_arrival(db: Path) -> None:
    total = _read(db, "summary").total  # type: ignore[attr-defined]
    assert total.asa_s == pytest.approx((5.0 + 10.0) / 2)  # from arrival it would be (25 + 50) / 2
    assert total.service_level == pytest.approx(2 / 3)  # both answered within 20 s of queue entry, of 3 offered


def test_a_row_that_says_ivr_abandoned_is_not_offered_even_with_a_queue_entry_time(tmp_path: Path) -> None:
    """The outcome decides: a call that left in the IVR is never counted as offered, whatever else the row holds."""
    clock = ScaledClock(START)

    async def main_() -> object:
        async with await Store.open(tmp_path / "c.db", clock) as store:
            await store.start_run(START, "test", "Asia/Taipei", 1, "max")
            store.call(_call("x", START, offered_at=START, outcome="ivr-abandoned", ivr_outcome="ivr-abandoned"))
            store.call(_call("y", START, offered_at=START, outcome="after-hours", ivr_outcome="after-hours"))
            return await run_summary(store, CENTRE, 1, START + 60)

    assert run(main_(), clock).total.offered == 0  # type: ignore[attr-defined]


# ----------------------------------------------------------------------
# The IVR figures
# ----------------------------------------------------------------------


def test_the_ivr_figures_count_what_became_of_the_calls_that_reached_it(db: Path) -> None:
    ivr = _read(db, "ivr")
    assert ivr.reached == 5  # type: ignore[attr-defined]  # c6 had no IVR
    assert (ivr.routed, ivr.abandoned, ivr.after_hours, ivr.after_hours_callback) == (2, 1, 2, 1)  # type: ignore[attr-defined]
    assert (ivr.general_after_failures, ivr.general_chosen) == (1, 0)  # type: ignore[attr-defined]


def test_ivr_abandons_are_counted_by_the_menu_the_caller_hung_up_in(db: Path) -> None:
    assert _read(db, "ivr").abandoned_by_menu == {"main": 1}  # type: ignore[attr-defined]


def test_menu_choices_invalid_keys_and_no_input_are_counted_from_the_journal(db: Path) -> None:
    ivr = _read(db, "ivr")
    assert ivr.choices == {"main": {"1": 1}}  # type: ignore[attr-defined]
    assert (ivr.invalid, ivr.no_input) == (1, 2)  # type: ignore[attr-defined]


def test_the_language_mix_is_the_language_each_call_was_served_in(db: Path) -> None:
    assert _read(db, "ivr").languages == {"en": 1, "zh": 4}  # type: ignore[attr-defined]  # c2 chose en


def _ivr_of(tmp_path: Path, fill: Callable[[Store], None]) -> IvrFigures:
    """The IVR figures of a run whose rows ``fill`` (given the store) writes."""
    clock = ScaledClock(START)

    async def main_() -> IvrFigures:
        async with await Store.open(tmp_path / "l.db", clock) as store:
            await store.start_run(START, "test", "Asia/Taipei", 1, "max")
            fill(store)
            return await run_ivr(store, 1)

    return run(main_(), clock)


def test_a_caller_who_hung_up_at_the_welcome_chose_no_language_and_is_not_in_the_mix(tmp_path: Path) -> None:
    def fill(store: Store) -> None:
        # the welcome began in zh (IVRSTART), the caller hung up before any language was settled
        store.call(_call("w", START, ended_at=START + 3, outcome="ivr-abandoned", state="done",
                         ivr_outcome="ivr-abandoned", ivr_s=3.0))  # fmt: skip
        store.event(START, "w", Journal.IVRSTART, data1="zh")
        store.event(START + 3, "w", Journal.IVRSTEP, data1="abandoned", data2="welcome")
        store.event(START + 3, "w", Journal.IVREND, data1="ivr-abandoned", data2="welcome", data3=3.0)

    ivr = _ivr_of(tmp_path, fill)
    assert (ivr.reached, ivr.abandoned, ivr.languages) == (1, 1, {})


def test_a_row_with_no_language_takes_the_language_step_not_the_welcome_s(tmp_path: Path) -> None:
    def fill(store: Store) -> None:
        store.call(_call("e", START, ended_at=START + 9, outcome="ivr-abandoned", state="done",
                         ivr_outcome="ivr-abandoned", ivr_s=9.0))  # fmt: skip
        store.event(START, "e", Journal.IVRSTART, data1="zh")
        store.event(START + 6, "e", Journal.IVRSTEP, data1="language", data2="language", data3="en")
        store.event(START + 9, "e", Journal.IVREND, data1="ivr-abandoned", data2="agency", data3=9.0)

    assert _ivr_of(tmp_path, fill).languages == {"en": 1}


def test_agencies_identified_by_directory_code_or_not_at_all(db: Path) -> None:
    assert _read(db, "ivr").agencies == {"directory": 1, "code": 1, "unknown": 1}  # type: ignore[attr-defined]


def test_the_mean_time_in_the_ivr_is_over_every_call_that_left_it(db: Path) -> None:
    assert _read(db, "ivr").mean_ivr_s == pytest.approx((20 + 30 + 12 + 8 + 40) / 5)  # type: ignore[attr-defined]


def test_the_days_offered_calls_for_a_replay_leave_out_the_ivr_abandons_and_keep_a_missing_agency_empty(
    tmp_path: Path,
) -> None:
    clock = ScaledClock(START)

    async def build() -> None:
        async with await Store.open(tmp_path / "d.db", clock) as store:
            await store.start_run(START, "test", "Asia/Taipei", 1, "max")
            store.call(_call("q", START, system="webhr", queue="webhr", offered_at=START + 9, outcome="abandoned",
                             ended_at=START + 30, ivr_outcome="routed"))  # fmt: skip
            store.call(_call("x", START, ended_at=START + 5, outcome="ivr-abandoned", ivr_outcome="ivr-abandoned"))

    run(build(), clock)
    with DayReader.open(tmp_path / "d.db") as day:
        offered = day.calls_offered(DAY, DAY + 86_400)
    assert [(c[-1], c[1], c[2]) for c in offered] == [("q", "webhr", "")]


def test_a_call_with_an_ivr_outcome_reached_the_ivr_even_if_its_ivrstart_row_was_lost(tmp_path: Path) -> None:
    clock = ScaledClock(START)

    async def main_() -> object:
        async with await Store.open(tmp_path / "e.db", clock) as store:
            await store.start_run(START, "test", "Asia/Taipei", 1, "max")
            store.call(_call("x", START, outcome="after-hours", ivr_outcome="after-hours", ivr_s=9.0))
            store.call(_call("y", START, outcome="abandoned"))  # no IVR
            return await run_ivr(store, 1)

    ivr = run(main_(), clock)
    assert (ivr.reached, ivr.after_hours, ivr.mean_ivr_s) == (1, 1, 9.0)  # type: ignore[attr-defined]


# ----------------------------------------------------------------------
# The day's counts (the KPI snapshot after a restart)
# ----------------------------------------------------------------------


def test_the_days_counts_leave_ivr_abandons_and_after_hours_calls_out_of_offered_and_count_them_apart(
    db: Path,
) -> None:
    day = _read(db, "day")
    assert (day.offered, day.answered, day.abandoned) == (3, 2, 1)  # type: ignore[attr-defined]
    assert (day.ivr_abandoned, day.after_hours, day.after_hours_callback) == (1, 2, 1)  # type: ignore[attr-defined]


def test_the_kpi_snapshot_carries_the_ivr_counts_and_the_calls_in_the_ivr_now(db: Path) -> None:
    day = _read(db, "day")
    stats = snapshot(START, Router(CENTRE), [], day, (0, 0), in_ivr=4)  # type: ignore[arg-type]
    assert (stats.offered, stats.in_ivr, stats.ivr_abandoned, stats.after_hours, stats.after_hours_callback) == (
        3,
        4,
        1,
        2,
        1,
    )


# ----------------------------------------------------------------------
# The command line
# ----------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.mark.parametrize(
    ("outcome", "expected"), [("ivr-abandoned", ["c3"]), ("after-hours", ["c4", "c5"]), ("answered", ["c1", "c2"])]
)
def test_calls_list_filters_by_the_ivr_outcomes(
    db: Path, capsys: pytest.CaptureFixture[str], outcome: str, expected: list[str]
) -> None:
    assert _cli(capsys, "calls", "list", "--db", str(db), "--ids", "--outcome", outcome).split() == expected


def test_calls_list_shows_a_call_that_never_left_the_ivr_with_no_system_or_agency(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = json.loads(_cli(capsys, "calls", "list", "--db", str(db), "--outcome", "ivr-abandoned", "--json"))
    assert [(r["system"], r["agency"], r["language"], r["ivr_outcome"], r["ivr_s"]) for r in rows] == [
        (None, None, "zh", "ivr-abandoned", 12.0)
    ]
    table = _cli(capsys, "calls", "list", "--db", str(db), "--outcome", "ivr-abandoned")
    [line] = [line for line in table.splitlines() if " c3 " in line]
    assert [cell.strip() for cell in line.split("│")][4:6] == ["–", "–"]  # system, agency


def test_a_screen_pop_lists_an_earlier_call_that_never_left_the_ivr_with_no_system(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(_cli(capsys, "directory", "show", "0912345678", "--db", str(db), "--json"))
    assert [(c["call_id"], c["system"]) for c in doc["history"]] == [("c3", None)]
    table = _cli(capsys, "directory", "show", "0912345678", "--db", str(db))
    [line] = [line for line in table.splitlines() if " c3 " in line]
    assert [cell.strip() for cell in line.split("│")][3] == "–"  # the system


def test_calls_show_tells_the_language_the_ivr_outcome_and_time_and_labels_the_ivr_journal(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _cli(capsys, "calls", "show", "c3", "--db", str(db))
    assert "language zh; IVR outcome ivr-abandoned; 12.0 s in the IVR" in out
    assert "language zh" in out.split("IVRSTART", 1)[1].splitlines()[0]
    assert "abandoned, in menu main" in out
    assert "choice, in menu main, value 1" in _cli(capsys, "calls", "show", "c1", "--db", str(db))
    assert "ivr-abandoned, hung up in menu main, 12.0 s in the IVR" in out
    after = _cli(capsys, "calls", "show", "c5", "--db", str(db))
    assert "AFTERHOURS" in after
    assert "opens " in after.split("AFTERHOURS", 1)[1].splitlines()[0]


def test_calls_show_gives_the_next_opening_of_an_after_hours_call_with_its_date(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opening = datetime.fromtimestamp(START + 36_000, ZoneInfo(CENTRE.info.timezone))  # another day than the call's
    after = _cli(capsys, "calls", "show", "c5", "--db", str(db))
    row = after.split("AFTERHOURS", 1)[1].splitlines()[0]
    assert f"opens {opening:%Y-%m-%d %H:%M}" in row


def test_calls_show_json_names_the_ivr_journal_data(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(_cli(capsys, "calls", "show", "c1", "--db", str(db), "--json"))
    ivr_rows = [e for e in doc["journal"] if e["event"].startswith("IVR")]
    assert [(e["event"], e.get("step"), e.get("value")) for e in ivr_rows] == [
        ("IVRSTART", None, None),
        ("IVRSTEP", "agency", "directory:moi"),
        ("IVRSTEP", "invalid", "9"),
        ("IVRSTEP", "choice", "1"),
        ("IVREND", None, None),
    ]
    assert (ivr_rows[0]["language"], ivr_rows[-1]["ivr_outcome"], ivr_rows[-1]["where"], ivr_rows[-1]["ivr_s"]) == (
        "zh",
        "routed",
        "webhr",
        20.0,
    )


def test_the_summary_shows_the_ivr_table_with_each_choice_named_after_what_its_key_leads_to(db: Path) -> None:
    console = Console(record=True, width=160)
    plan = load_default().ivr
    assert plan is not None
    print_ivr(console, _read(db, "ivr"), menu_targets(plan))  # type: ignore[arg-type]
    text = console.export_text()
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]
    assert rows[0] == ["5", "2", "1", "2", "1", "1", "0", "22.0"]
    assert rows[1:] == [
        ["hung up in menu", "main", "1", "100.0%"],
        ["language", "en", "1", "20.0%"],
        ["language", "zh", "4", "80.0%"],
        ["agency identified by", "directory", "1", "33.3%"],
        ["agency identified by", "code", "1", "33.3%"],
        ["agency identified by", "unknown", "1", "33.3%"],
        ["chosen in main", "1 → webhr", "1", "100.0%"],
    ]
