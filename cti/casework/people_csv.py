"""A real directory, read from (and written to) CSV; the whole file is checked first.

The first bad or repeated value is reported with its line and column, and
nothing is read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import IO

from cti.casework.limits import EMAIL_MAX, NAME_MAX, PHONE_MAX, text_problem
from cti.casework.nationalid import PATTERN, national_id_valid
from cti.casework.people import COLUMNS, ID_PATTERN, PeopleError, Person, phone_key

# -------------------------------------------------------------------- CSV

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_EXPECTED_HEADER = ", ".join(COLUMNS)
_REQUIRED = COLUMNS[1:]
#: The longest each column may be (ids, agencies and national IDs have their own patterns).
_LIMITS = {"name": NAME_MAX, "title": NAME_MAX, "email": EMAIL_MAX, "office_phone": PHONE_MAX, "mobile": PHONE_MAX}
_ANY_TEXT = 200  # the rest are checked by pattern; this keeps the message about them short


def _rows(reader: Iterator[list[str]], line_num: Callable[[], int], source: str) -> Iterator[tuple[int, list[str]]]:
    """``(first physical line, cells)`` of each row that is not blank."""
    before = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PeopleError(source, before + 1, None, f"bad CSV: {exc}") from None
        line = before + 1
        # A quoted field can span lines: the next row starts after the reader's last line.
        before = line_num()
        if any(cell.strip() for cell in row):  # blank lines, and the ",,,," rows spreadsheets leave
            yield line, row


def _header(cells: list[str], line: int, source: str) -> dict[str, int]:
    """Column name -> cell index."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().lower()
        if name not in COLUMNS:
            raise PeopleError(
                source, line, cell.strip() or None, f"unknown column {cell!r}; expected: {_EXPECTED_HEADER}"
            )
        if name in positions:
            raise PeopleError(source, line, name, f"column given twice (cells {positions[name] + 1} and {index + 1})")
        positions[name] = index
    for name in _REQUIRED:
        if name not in positions:
            raise PeopleError(source, line, name, f"missing column; expected: {_EXPECTED_HEADER}")
    return positions


def _check_row(value: dict[str, str], known: frozenset[str] | None) -> tuple[str, str] | None:
    """The first bad ``(column, message)`` of a row, or None when every value is well-formed."""
    for name, text in value.items():
        problem = text_problem(text, _LIMITS.get(name, _ANY_TEXT), lines=True)  # a quoted cell may have lines
        if problem is not None:
            return name, problem
    for name in _REQUIRED:
        if not value[name]:
            return name, "empty; a value is required"
    person_id = value.get("person_id", "")
    if person_id and not ID_PATTERN.fullmatch(person_id):
        return (
            "person_id",
            f"{person_id!r} is not an id: expected a letter or digit, then up to 63 letters, digits, _ or -",
        )
    agency = value["agency"]
    if known is not None and agency not in known:
        shown = sorted(known)[:10]
        more = f" (and {len(known) - len(shown)} more)" if len(known) > len(shown) else ""
        return "agency", f"unknown agency {agency!r}; expected one of: {', '.join(shown)}{more}"
    if known is None and not ID_PATTERN.fullmatch(agency):
        return "agency", f"{agency!r} is not an agency id: expected letters, digits, _ or -, e.g. 'moi'"
    for name in ("office_phone", "mobile"):
        try:
            phone_key(value[name])
        except ValueError as exc:
            return name, str(exc)
    if not _EMAIL.fullmatch(value["email"]):
        return (
            "email",
            f"{value['email']!r} is not an email address: expected one @ and a dotted domain, e.g. a@moi.gov.tw",
        )
    national_id = value["national_id"]
    if not PATTERN.fullmatch(national_id.upper()):
        return "national_id", (
            f"{national_id!r} has the wrong format: expected a letter, then 1 or 2 (8 or 9 for residents),"
            " then 8 digits"
        )
    if not national_id_valid(national_id.upper()):
        return "national_id", f"{national_id!r} fails the national ID checksum"
    return None


def read_people_csv(
    text: str, source: str, *, agencies: Collection[str] | None = None, start: int = 1, lines: list[int] | None = None
) -> list[Person]:
    """People from a directory CSV: a header row, then one person a row.

    Columns: name, agency, title, office_phone, mobile, email, national_id and
    optionally person_id (blank ones become ``P{start:07d}`` upward in row
    order). The first bad or repeated value raises :class:`PeopleError`
    naming its line and column. ``lines``, if given, gets each person's line.
    """
    if start < 0:
        raise ValueError(f"start must be 0 or more, not {start}")
    known = None if agencies is None else frozenset(agencies)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    rows = _rows(reader, lambda: reader.line_num, source)
    first = next(rows, None)
    if first is None:
        raise PeopleError(source, None, None, f"empty file: expected a header row ({_EXPECTED_HEADER})")
    header_line, header = first
    positions = _header(header, header_line, source)

    people: list[Person] = []
    id_lines: dict[str, int] = {}
    national_id_lines: dict[str, int] = {}
    phone_lines: dict[str, tuple[int, str]] = {}
    for index, (line, row) in enumerate(rows):
        if len(row) != len(header):
            raise PeopleError(source, line, None, f"{len(row)} cells; expected {len(header)}, one per header column")
        value = {name: row[pos].strip() for name, pos in positions.items()}
        problem = _check_row(value, known)
        if problem is not None:
            raise PeopleError(source, line, *problem)

        person_id = value.get("person_id") or f"P{start + index:07d}"
        if person_id in id_lines:
            raise PeopleError(
                source, line, "person_id", f"duplicate person_id {person_id!r}: already on line {id_lines[person_id]}"
            )
        national_id = value["national_id"].upper()
        if national_id in national_id_lines:
            earlier = national_id_lines[national_id]
            raise PeopleError(
                source, line, "national_id", f"duplicate national_id {national_id!r}: already on line {earlier}"
            )
        for name in ("office_phone", "mobile"):
            key = phone_key(value[name])
            if key in phone_lines:
                earlier, column = phone_lines[key]
                raise PeopleError(
                    source, line, name, f"phone {value[name]!r} already used on line {earlier} ({column})"
                )
            phone_lines[key] = (line, name)
        id_lines[person_id] = line
        national_id_lines[national_id] = line
        if lines is not None:
            lines.append(line)
        people.append(
            Person(
                person_id,
                value["name"],
                value["agency"],
                value["title"],
                value["office_phone"],
                value["mobile"],
                value["email"].lower(),
                national_id,
                False,
            )
        )
    return people


def write_people_csv(out: IO[str], people: Iterable[Person]) -> int:
    """Write people as a directory CSV that :func:`read_people_csv` reads back; returns the row count."""
    # "\n" rather than csv's "\r\n": a text-mode file on Windows would double the "\r".
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for p in people:
        writer.writerow((p.person_id, p.name, p.agency, p.title, p.office_phone, p.mobile, p.email, p.national_id))
        count += 1
    return count
