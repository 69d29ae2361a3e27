"""Who may see personal data comes from the database's staff table, never from a file the caller passes.

The staff table is filled by the first server start on a database (from its
centre file) or by ``cti roles import``; both are audited. Every audit row
names the declared actor (``--by`` or ``$CTI_USER``) and the operating-system
account that ran the command.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from cti.cli import main
from cti.clock import ScaledClock
from cti.config import default_centre_text
from cti.store import AuditRow, Store, StoreError
from routing.centre import Role, StaffMember

OS_ACCOUNT = pwd.getpwuid(os.getuid()).pw_name
MALLORY = '[[staff]]\nid = "mallory"\nname = "Mallory"\nrole = "supervisor"\n\n'


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as con:
        return con.execute(sql).fetchall()


def execute(db: Path, sql: str) -> None:
    with closing(sqlite3.connect(db)) as con, con:
        con.execute(sql)


def centre_file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("roles") / "centre.db"
    assert main(["demo", "--speed", "max", "--minutes", "10", "--seed", "2", "--db", str(db), "-q"]) == 0
    return db


@pytest.fixture
def db(seeded: Path, tmp_path: Path) -> Path:
    """A copy of a demo's database, whose staff table the first start filled from the shipped centre."""
    copy = tmp_path / "centre.db"
    with closing(sqlite3.connect(seeded)) as src, closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)
    return copy


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    """The shipped centre with one more supervisor, mallory."""
    return centre_file(tmp_path / "evil.toml", default_centre_text().replace("[[staff]]\n", MALLORY + "[[staff]]\n", 1))


def staff(db: Path) -> list[tuple[object, ...]]:
    return rows(db, "SELECT staff_id, name, role FROM staff ORDER BY staff_id")


SHIPPED = [("Q01", "黃品保", "qa"), ("S01", "林主任", "supervisor"), ("S02", "陳組長", "supervisor")]


def test_the_first_server_start_fills_the_staff_table_from_its_centre_and_audits_it(db: Path) -> None:
    assert staff(db) == SHIPPED
    assert rows(db, "SELECT actor, action, target, os_account FROM audit ORDER BY seq") == [
        ("cti demo", "roles-import", "<default centre>", OS_ACCOUNT),
        *[("cti demo", "staff-added", staff_id, OS_ACCOUNT) for staff_id in ("S01", "S02", "Q01")],
    ]


def test_a_later_server_start_with_another_centre_file_changes_no_role(
    db: Path, evil: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = rows(db, "SELECT * FROM audit")
    assert cli(capsys, "demo", "--speed", "max", "--minutes", "1", "--db", db, "--config", evil, "-q")[0] == 0
    assert staff(db) == SHIPPED
    assert rows(db, "SELECT * FROM audit") == audit


UNMASKING = {
    "export calls": lambda db: ["export", "calls", "--db", db],
    "export cases": lambda db: ["export", "cases", "--db", db],
    "calls list": lambda db: ["calls", "list", "--db", db, "--json"],
    "calls show": lambda db: ["calls", "show", _a_call(db), "--db", db, "--json"],
    "cases show": lambda db: ["cases", "show", _a_case(db), "--db", db, "--json"],
    "directory show": lambda db: ["directory", "show", "02-2397-0101", "--db", db, "--json"],
}


def _a_call(db: Path) -> str:
    return str(rows(db, "SELECT call_id FROM calls WHERE case_id IS NOT NULL ORDER BY call_id LIMIT 1")[0][0])


def _a_case(db: Path) -> str:
    return str(rows(db, "SELECT case_id FROM cases ORDER BY case_id LIMIT 1")[0][0])


@pytest.mark.parametrize("command", sorted(UNMASKING))
def test_a_centre_file_naming_mallory_a_supervisor_gets_no_unmasked_data(
    command: str, db: Path, evil: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finding 9: ``--config evil.toml`` listing mallory as a supervisor is refused, shows nothing, writes nothing."""
    argv = UNMASKING[command](db)
    audit = rows(db, "SELECT * FROM audit")
    code, out, err = cli(capsys, *argv, "--config", evil, "--unmasked", "--by", "mallory")
    assert code == 1
    assert out == ""
    assert f"'mallory' is not in the staff table of {db}" in err
    assert rows(db, "SELECT * FROM audit") == audit
    code, out, err = cli(capsys, *argv, "--config", evil, "--unmasked", "--by", "S01")  # a real supervisor may
    assert code == 0, err
    assert rows(db, "SELECT actor, role, os_account FROM audit ORDER BY seq DESC LIMIT 1") == [
        ("S01", "supervisor", OS_ACCOUNT)
    ]


def test_qa_in_the_staff_table_may_not_unmask_even_if_a_centre_file_makes_them_supervisor(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    promoted = centre_file(
        tmp_path / "promoted.toml", default_centre_text().replace('role = "qa"', 'role = "supervisor"')
    )
    code, out, err = cli(capsys, "export", "calls", "--db", db, "--config", promoted, "--unmasked", "--by", "Q01")
    assert (code, out) == (1, "")
    assert f"Q01 is qa in the staff table of {db}" in err


def test_a_cti_user_declaration_is_audited_with_the_os_account_that_ran_the_command(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CTI_USER", "S01")
    monkeypatch.setenv("USER", "someone-else")  # the account comes from the process's user id, not the environment
    monkeypatch.setenv("LOGNAME", "someone-else")
    code, _, err = cli(capsys, "export", "calls", "--db", db, "--unmasked")
    assert code == 0, err
    assert rows(db, "SELECT actor, role, action, os_account FROM audit ORDER BY seq DESC LIMIT 1") == [
        ("S01", "supervisor", "export-calls-unmasked", OS_ACCOUNT)
    ]
    code, out, _ = cli(capsys, "audit", "--db", db, "--json")
    assert json.loads(out)[-1]["os_account"] == OS_ACCOUNT


def test_a_cti_user_declaration_is_checked_like_by(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CTI_USER", "Q01")
    code, out, err = cli(capsys, "export", "calls", "--db", db, "--unmasked")
    assert (code, out) == (1, "")
    assert "Q01 is qa" in err


def test_unmasking_with_an_empty_staff_table_is_refused_saying_how_to_fill_it(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(db, "DELETE FROM staff")
    code, out, err = cli(capsys, "calls", "list", "--db", db, "--unmasked", "--by", "S01")
    assert (code, out) == (1, "")
    assert f"the staff table of {db} is empty" in err
    assert f"cti roles import --db {db} --by STAFF_ID" in err


# ----------------------------------------------------------------------
# cti roles import and list
# ----------------------------------------------------------------------


def test_the_first_import_into_an_empty_table_needs_a_supervisor_the_file_lists(
    db: Path, evil: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(db, "DELETE FROM staff")
    audit = rows(db, "SELECT COUNT(*) FROM audit")
    for by in ("Q01", "nobody"):
        code, _, err = cli(capsys, "roles", "import", "--db", db, "--config", evil, "--by", by)
        assert code == 1
        assert "the first import must be made by a supervisor the centre file lists" in err
        assert staff(db) == []
        assert rows(db, "SELECT COUNT(*) FROM audit") == audit
    code, out, err = cli(capsys, "roles", "import", "--db", db, "--config", evil, "--by", "mallory")
    assert code == 0, err
    assert "bootstrap" in out
    assert [s[0] for s in staff(db)] == ["Q01", "S01", "S02", "mallory"]
    (last,) = rows(
        db, "SELECT actor, role, action, target, detail, os_account FROM audit WHERE action = 'roles-import'"
    )[-1:]
    assert last == (
        "mallory",
        "supervisor",
        "roles-import",
        str(evil.resolve()),
        "4 added (bootstrap: the table was empty)",
        OS_ACCOUNT,
    )


def test_a_later_import_needs_a_supervisor_already_in_the_table(
    db: Path, evil: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = rows(db, "SELECT * FROM audit")
    for by, why in (("mallory", "'mallory' is not in it"), ("Q01", "'Q01' is qa")):
        code, _, err = cli(capsys, "roles", "import", "--db", db, "--config", evil, "--by", by)
        assert code == 1
        assert why in err
        assert staff(db) == SHIPPED
        assert rows(db, "SELECT * FROM audit") == audit
    code, _, err = cli(capsys, "roles", "import", "--db", db, "--config", evil, "--by", "S02")
    assert code == 0, err
    assert ("mallory", "Mallory", "supervisor") in staff(db)
    assert rows(db, "SELECT actor, action, target, os_account FROM audit ORDER BY seq DESC LIMIT 2") == [
        ("S02", "staff-added", "mallory", OS_ACCOUNT),
        ("S02", "roles-import", str(evil.resolve()), OS_ACCOUNT),
    ]


def test_an_import_removes_members_the_file_no_longer_lists_and_changes_roles(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = default_centre_text()
    qa = text.index('[[staff]]\nid = "Q01"')
    changed = text[:qa] + text[qa:].replace('[[staff]]\nid = "Q01"\nname = "黃品保"\nrole = "qa"\n', "", 1)
    changed = changed.replace(
        'id = "S02"\nname = "陳組長"\nrole = "supervisor"', 'id = "S02"\nname = "陳組長"\nrole = "operator"'
    )
    assert changed.count("[[staff]]") == 2
    code, out, err = cli(
        capsys, "roles", "import", "--db", db, "--config", centre_file(tmp_path / "c.toml", changed), "--by", "S01"
    )
    assert code == 0, err
    assert "1 changed, 1 removed" in out
    assert staff(db) == [("S01", "林主任", "supervisor"), ("S02", "陳組長", "operator")]
    assert rows(db, "SELECT action, target, detail FROM audit ORDER BY seq DESC LIMIT 2") == [
        ("staff-removed", "Q01", "黃品保, qa"),
        ("staff-changed", "S02", "role supervisor -> operator"),
    ]
    code, _, err = cli(capsys, "export", "calls", "--db", db, "--unmasked", "--by", "S02")
    assert code == 1
    assert "S02 is operator" in err


def test_an_import_that_would_leave_no_supervisor_is_refused(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nobody = centre_file(tmp_path / "nobody.toml", default_centre_text().replace('role = "supervisor"', 'role = "qa"'))
    code, _, err = cli(capsys, "roles", "import", "--db", db, "--config", nobody, "--by", "S01")
    assert code == 1
    assert "lists no supervisor" in err
    assert staff(db) == SHIPPED


def test_an_import_matching_the_table_changes_nothing(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit = rows(db, "SELECT * FROM audit")
    code, out, _ = cli(capsys, "roles", "import", "--db", db, "--by", "S01")
    assert code == 0
    assert "nothing changed" in out
    assert rows(db, "SELECT * FROM audit") == audit


def test_roles_import_needs_someone_to_declare_it(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CTI_USER", raising=False)
    code, _, err = cli(capsys, "roles", "import", "--db", db)
    assert code == 2
    assert "--by STAFF_ID (or $CTI_USER)" in err


def test_roles_list_shows_the_table_as_json_and_as_a_table(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "roles", "list", "--db", db, "--json")
    assert code == 0
    doc = json.loads(out)
    assert [(s["staff_id"], s["name"], s["role"]) for s in doc] == SHIPPED
    assert {s["source"] for s in doc} == {"<default centre>"}
    code, out, _ = cli(capsys, "roles", "list", "--db", db)
    assert code == 0
    assert "林主任" in out
    assert "supervisor" in out


def test_two_imports_decided_on_the_same_table_cannot_both_change_it(db: Path) -> None:
    """The table is changed only if it still holds what the change was decided on."""
    shipped = [StaffMember(i, n, Role(r)) for i, n, r in SHIPPED]
    mallory = StaffMember("mallory", "Mallory", Role.SUPERVISOR)
    row = AuditRow(0.0, "S01", "supervisor", "roles-import", "x", None, OS_ACCOUNT)

    async def twice() -> None:
        async with await Store.open_existing(db, ScaledClock(0.0)) as store:
            await store.replace_staff(shipped, [*shipped, mallory], 1.0, "first", [row])
            with pytest.raises(StoreError, match="changed while this command ran"):
                await store.replace_staff(shipped, shipped[:2], 2.0, "second", [row])

    before = rows(db, "SELECT COUNT(*) FROM audit")[0][0]
    asyncio.run(twice())
    assert [s[0] for s in staff(db)] == ["Q01", "S01", "S02", "mallory"]
    assert rows(db, "SELECT COUNT(*) FROM audit")[0][0] == before + 1  # the refused change wrote no audit row


def test_a_database_from_before_the_staff_table_gets_it_empty_and_keeps_its_audit(tmp_path: Path) -> None:
    from cti.store import MIGRATIONS

    db = tmp_path / "old.db"
    with closing(sqlite3.connect(db)) as con:
        con.executescript(MIGRATIONS[0] + MIGRATIONS[1] + "PRAGMA user_version = 2;")
        con.execute("INSERT INTO audit (at, actor, role, action, target) VALUES (1.0, 'S01', 'supervisor', 'x', 'y')")
        con.commit()

    async def read() -> tuple[int, list[tuple[object, ...]]]:
        async with await Store.open_existing(db, ScaledClock(0.0)) as store:
            return len(await store.staff()), await store.audit_rows()

    count, audit = asyncio.run(read())
    assert count == 0
    assert audit == [(1, 1.0, "S01", "supervisor", "x", "y", None, None)]


def test_a_staff_row_written_by_hand_that_is_no_member_of_staff_is_refused_naming_the_table(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(db, "INSERT INTO staff VALUES ('bad id!', 'x', 'supervisor', 0, 'by hand')")
    code, out, err = cli(capsys, "calls", "list", "--db", db, "--unmasked", "--by", "S01")
    assert (code, out) == (1, "")
    assert "the staff table holds a row that is not a member of staff" in err
    with pytest.raises(sqlite3.IntegrityError):
        execute(db, "INSERT INTO staff VALUES ('K01', 'x', 'king', 0, 'by hand')")  # no such role
