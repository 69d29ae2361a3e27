"""Directory lookups: number formats, the per-run cache, and numbers linked during a run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cti.casework.access import os_account, supervisor
from cti.casework.people import Person, caller_key, phone_key
from cti.cli.audit import audit_unmasked
from cti.clock import ScaledClock, run
from cti.config import load_default
from cti.store import Store
from cti.store.directory import Directory

CHEN = Person("P1", "陳怡君", "moi", "科員", "02-2397-5123", "0912-345-678", "p1@moi.gov.tw", "A123456789", True)
CLOCK = ScaledClock(0.0)


def directory_with(tmp_path: Path, *people: Person) -> Path:
    db = tmp_path / "d.db"

    async def main() -> None:
        async with await Store.open(db, CLOCK) as store:
            await store.add_people(people, "test")

    run(main(), CLOCK)
    return db


@given(st.from_regex(r"0[0-9]{1,3}[- ]?[0-9]{3,4}[- ]?[0-9]{3,4}", fullmatch=True))
def test_the_fast_key_of_a_domestic_number_equals_the_full_parsers(number: str) -> None:
    assert caller_key(number) == phone_key(number)


def test_a_number_is_found_in_any_of_the_forms_it_arrives_in(tmp_path: Path) -> None:
    directory = Directory(directory_with(tmp_path, CHEN))
    for number in ("02-2397-5123", "0223975123", "+886 2 2397 5123", "(02) 2397-5123", "0912 345 678"):
        found = directory.lookup(number)
        assert found is not None
        assert found.person_id == "P1"
    assert directory.lookup("02-2397-5124") is None


def test_a_linked_number_is_found_at_once_even_after_it_was_looked_up_as_unknown(tmp_path: Path) -> None:
    directory = Directory(directory_with(tmp_path, CHEN))
    assert directory.lookup("07-345-6789") is None
    directory.link("07-345-6789", "P1")
    found = directory.lookup("073456789")
    assert found is not None
    assert found.name == "陳怡君"


def test_an_unmasked_view_is_audited_and_committed_before_it_returns(tmp_path: Path) -> None:
    """The audit row is on disk before any personal data is shown (a crash after cannot lose it)."""
    db = directory_with(tmp_path, CHEN)
    seen: list[tuple[str, str, str]] = []

    async def main() -> None:
        async with await Store.open(db, CLOCK) as store:
            member = supervisor(load_default().centre.staff, "S01", str(db))
            await audit_unmasked(store, member, "export-calls-unmasked", "d.db")
            with sqlite3.connect(db) as other:  # another connection sees only what is committed
                seen.extend(other.execute("SELECT actor, role, action, os_account FROM audit").fetchall())

    run(main(), CLOCK)
    assert seen == [("S01", "supervisor", "export-calls-unmasked", os_account())]


def test_every_read_of_a_callers_first_sight_uses_an_index_not_a_scan(tmp_path: Path) -> None:
    """With a million people a scan costs tens of milliseconds per call; the plans must stay indexed."""
    directory = Directory(directory_with(tmp_path, CHEN))
    plans: list[str] = []
    real = directory._db

    class Planner:
        def execute(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
            plans.extend(row[3] for row in real.execute("EXPLAIN QUERY PLAN " + sql, params))
            return real.execute(sql, params)

    directory._db = Planner()  # type: ignore[assignment]
    for person_id in ("P1", None):
        directory.lookup("0912-345-679")
        directory.earlier_contacts(person_id=person_id, key="0223975123", before_run=9)
        directory.earlier_open_cases(person_id=person_id, key="0223975123", before_run=9)
    scans = [p for p in plans if p.startswith("SCAN")]
    assert plans
    assert scans == []
