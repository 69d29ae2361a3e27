"""The caller directory: national ID checksums, phone keys, generated people and the CSV import."""

from __future__ import annotations

import dataclasses
import gc
import io
import random
import re
from collections import Counter

import pytest

from cti.casework.nationalid import make_national_id, national_id_valid
from cti.casework.people import PeopleError, Person, phone_key
from cti.casework.people_csv import read_people_csv, write_people_csv
from cti.casework.synthetic import MAX_GENERATED, TITLES, generate_people

AGENCIES = [f"agency{i}" for i in range(100)]


@pytest.fixture(scope="module")
def crowd() -> list[Person]:
    """50,000 generated people, shared by the tests that only look at them."""
    return generate_people(AGENCIES, 500, seed=42)


# ------------------------------------------------------------ national IDs


@pytest.mark.parametrize(
    "value",
    [
        "A123456789",  # A=10: 1 + 0 + 8+14+18+20+20+18+14+8 + 9 = 130
        "B123456780",  # B=11: 1 + 9 + 120 + 0 = 130
        "Z200000004",  # Z=33: 3 + 27 + 16 + 4 = 50
        "I100000003",  # I=34: 3 + 36 + 8 + 3 = 50
        "W180000005",  # W=32: 3 + 18 + 8 + 56 + 5 = 90
        "O298765430",  # O=35: 3 + 45 + 16+63+48+35+24+15+8+3 + 0 = 260
        "A823456783",  # a new-style resident: A=10: 1 + 64+14+18+20+20+18+14+8 + 3 = 180
    ],
)
def test_known_valid_national_ids_pass_the_checksum(value: str) -> None:
    """IDs whose checksum was worked out by hand are valid."""
    assert national_id_valid(value)


@pytest.mark.parametrize("position", range(1, 10))
def test_a_changed_digit_fails_the_checksum(position: int) -> None:
    """Adding one to any single digit of a valid ID breaks its checksum."""
    digits = list("A123456789")
    digits[position] = str((int(digits[position]) + 1) % 10)
    assert not national_id_valid("".join(digits))


def test_a_changed_letter_fails_the_checksum() -> None:
    """The letter's code takes part in the checksum."""
    assert not national_id_valid("B123456789")


@pytest.mark.parametrize(
    "value",
    [
        "a123456789",  # lower case (valid once upper-cased)
        "A323456783",  # second digit 3: the checksum alone would pass
        "A12345678",
        "A1234567890",
        "1123456789",
        "AB23456789",
        " A123456789",
        "",
    ],
)
def test_a_malformed_national_id_is_rejected(value: str) -> None:
    """Only a capital letter, then 1, 2, 8 or 9, then eight digits is a national ID."""
    assert not national_id_valid(value)


@pytest.mark.parametrize("sex", [1, 2])
def test_made_national_ids_are_valid_and_carry_the_sex(sex: int) -> None:
    """make_national_id gives valid IDs whose second character is the requested sex."""
    rng = random.Random(1)
    for _ in range(500):
        value = make_national_id(rng, sex=sex)
        assert national_id_valid(value)
        assert value[1] == str(sex)


def test_make_national_id_refuses_a_sex_other_than_1_or_2() -> None:
    """A resident's 8 or 9 is not a sex for a citizen ID."""
    with pytest.raises(ValueError, match="sex"):
        make_national_id(random.Random(1), sex=8)


# ------------------------------------------------------------------ phones


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("+886 2 2397 5123", "0223975123"),
        ("02-2397-5123", "0223975123"),
        ("(049)2345678", "0492345678"),
        ("049-2345-678", "0492345678"),
        ("+886-912-345-678", "0912345678"),
        ("+886 (0)2 2397 5123", "0223975123"),
        ("０２－２３９７－５１２３", "0223975123"),
        ("  07-345-6789  ", "073456789"),
        ("02-2397-5123#123", "0223975123123"),
        ("02-2397-5123 轉 123", "0223975123123"),
    ],
)
def test_phone_key_keeps_the_digits_in_domestic_form(number: str, key: str) -> None:
    """Separators go, +886 becomes the domestic 0, full-width digits count."""
    assert phone_key(number) == key


@pytest.mark.parametrize("number", ["12-345", "+886 12", "", "02-2397-51a3", "call 0223975123"])
def test_phone_key_refuses_what_is_not_a_phone_number(number: str) -> None:
    """Fewer than 7 digits, or letters among the digits, raise ValueError."""
    with pytest.raises(ValueError, match="not a phone number"):
        phone_key(number)


# --------------------------------------------------------------- generation


def test_every_generated_national_id_is_valid_and_unique(crowd: list[Person]) -> None:
    """No generated ID fails the checksum or repeats."""
    ids = [p.national_id for p in crowd]
    assert all(national_id_valid(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_generated_phones_are_unique_across_50000_people(crowd: list[Person]) -> None:
    """Office phones and mobiles, compared by phone_key, never repeat nor coincide."""
    keys = [phone_key(p.office_phone) for p in crowd] + [phone_key(p.mobile) for p in crowd]
    assert len(set(keys)) == 2 * len(crowd)


def test_generated_names_are_two_to_four_chinese_characters(crowd: list[Person]) -> None:
    """A surname of one or two characters and a given name of one or two."""
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", p.name) for p in crowd)


def test_generated_surnames_follow_taiwan_frequencies(crowd: list[Person]) -> None:
    """陳 is the commonest surname, then 林, and rare surnames still appear."""
    counts = Counter(p.name[0] for p in crowd)
    assert [s for s, _ in counts.most_common(2)] == ["陳", "林"]
    assert 0.09 < counts["陳"] / len(crowd) < 0.13
    assert len(counts) > 60


def test_the_sex_digit_of_a_generated_id_agrees_with_the_given_name(crowd: list[Person]) -> None:
    """Men's names get a 1 after the letter, women's names a 2."""
    men = [p for p in crowd if p.name[-2:] in {"志明", "家豪", "宗翰", "俊傑"}]
    women = [p for p in crowd if p.name[-2:] in {"淑芬", "雅婷", "怡君", "美玲"}]
    assert len(men) > 50
    assert len(women) > 50
    assert {p.national_id[1] for p in men} == {"1"}
    assert {p.national_id[1] for p in women} == {"2"}


def test_generated_fields_have_taiwanese_shapes(crowd: list[Person]) -> None:
    """Landlines 0A-XXXX-XXXX style, mobiles 09XX-XXX-XXX, emails from the id and agency, known titles."""
    for p in crowd[::97]:
        assert re.fullmatch(r"0(2-\d{4}|4-\d{4}|[35678]-\d{3}|49-\d{4})-\d{3,4}", p.office_phone), p.office_phone
        assert len(phone_key(p.office_phone)) in (9, 10)
        assert re.fullmatch(r"09\d\d-\d{3}-\d{3}", p.mobile), p.mobile
        assert p.email == f"{p.person_id.lower()}@{p.agency}.gov.tw"
        assert p.title in TITLES
        assert p.synthetic


def test_generated_titles_are_mostly_clerks_of_personnel_offices(crowd: list[Person]) -> None:
    """Every title occurs, 科員 most often."""
    counts = Counter(p.title for p in crowd)
    assert set(counts) == set(TITLES)
    assert counts.most_common(1)[0][0] == "科員"


def test_each_agency_gets_per_agency_people_in_order_with_ids_from_start() -> None:
    """Agencies in the given order, per_agency each, ids P{start:07d} upward."""
    people = generate_people(["moi", "dgpa", "exam"], 4, seed=1, start=101)
    assert [p.agency for p in people] == ["moi"] * 4 + ["dgpa"] * 4 + ["exam"] * 4
    assert [p.person_id for p in people] == [f"P{n:07d}" for n in range(101, 113)]


def test_generation_is_reproducible_for_a_seed() -> None:
    """The same seed gives the same people."""
    assert generate_people(AGENCIES[:5], 20, seed=7) == generate_people(AGENCIES[:5], 20, seed=7)


def test_batches_of_one_seed_with_consecutive_starts_share_no_number_or_id() -> None:
    """A second ``cti directory generate`` with the same seed adds people, not clashes."""
    first = generate_people(AGENCIES[:10], 300, seed=1)
    second = generate_people(AGENCIES[:10], 300, seed=1, start=len(first) + 1)

    def numbers(people: list[Person]) -> set[str]:
        return {phone_key(p.office_phone) for p in people} | {phone_key(p.mobile) for p in people}

    assert not numbers(first) & numbers(second)
    assert not {p.national_id for p in first} & {p.national_id for p in second}


def test_another_seed_gives_other_people() -> None:
    """A different seed changes names, phones and IDs."""
    a = generate_people(AGENCIES[:5], 20, seed=7)
    b = generate_people(AGENCIES[:5], 20, seed=8)
    assert {p.mobile for p in a}.isdisjoint({p.mobile for p in b})
    assert sum(x.name != y.name for x, y in zip(a, b, strict=True)) > 80
    assert sum(x.national_id != y.national_id for x, y in zip(a, b, strict=True)) == 100


def test_generation_leaves_garbage_collection_enabled() -> None:
    """Collection is paused while people are made, and back on afterwards."""
    generate_people(AGENCIES[:2], 3, seed=1)
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("agencies", "per_agency", "match"),
    [
        (["moi", "內政部"], 1, "agency id"),
        (["moi"], -1, "per_agency"),
        (["moi"], MAX_GENERATED + 1, "at most"),
    ],
)
def test_generation_refuses_bad_arguments(agencies: list[str], per_agency: int, match: str) -> None:
    """A non-id agency, a negative count or more people than there are distinct numbers."""
    with pytest.raises(ValueError, match=match):
        generate_people(agencies, per_agency, seed=1)


# --------------------------------------------------------------------- CSV

HEADER = "person_id,name,agency,title,office_phone,mobile,email,national_id"
# Line 1 the header; the first person's title is quoted over lines 2-3.
FIRST_ROWS = [
    'P0000001,陳怡君,moi,"人事主任\n（兼辦）",02-2397-5123,0912-345-678,p0000001@moi.gov.tw,A123456789',
    "P0000002,林志明,dgpa,科員,04-2345-6789,0923-456-789,p0000002@dgpa.gov.tw,B123456780",
]
GOOD = {
    "person_id": "P0000003",
    "name": "黃雅婷",
    "agency": "moi",
    "title": "專員",
    "office_phone": "07-345-6789",
    "mobile": "0934-567-890",
    "email": "p0000003@moi.gov.tw",
    "national_id": "Z200000004",
}
BAD_LINE = 5


def directory(newline: str = "\n", **changes: str) -> str:
    """The header, two good rows, then a third row (line 5) with ``changes``."""
    row = ",".join({**GOOD, **changes}.values())
    return "\n".join([HEADER, *FIRST_ROWS, row]).replace("\n", newline) + newline


def test_a_good_directory_is_read_with_line_breaks_inside_a_quoted_field() -> None:
    """Three people, the multi-line title kept, none synthetic."""
    people = read_people_csv(directory(), "people.csv")
    assert [p.person_id for p in people] == ["P0000001", "P0000002", "P0000003"]
    assert people[0].title == "人事主任\n（兼辦）"
    assert not any(p.synthetic for p in people)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("name", "", "empty"),
        ("title", "  ", "empty"),
        ("agency", "內政部", "not an agency id"),
        ("office_phone", "12345", "at least 7 digits"),
        ("mobile", "call me", "not a phone number"),
        ("email", "p0000003.moi.gov.tw", "not an email"),
        ("email", "a@b@moi.gov.tw", "not an email"),
        ("email", "a@localhost", "not an email"),
        ("national_id", "Z200000005", "checksum"),
        ("national_id", "Z30000000", "format"),
        ("person_id", "-p3", "not an id"),
        ("person_id", "P0000001", "already on line 2"),
        ("national_id", "a123456789", "already on line 2"),
        ("office_phone", "+886 2 2397 5123", "already used on line 2 (office_phone)"),
        ("mobile", "(04) 2345 6789", "already used on line 4 (office_phone)"),
        ("mobile", "07 345 6789", "already used on line 5 (office_phone)"),
    ],
)
def test_a_bad_value_is_reported_with_its_line_and_column(column: str, value: str, message: str) -> None:
    """The error names the file, the row's first line (after a multi-line field), the column and the problem."""
    with pytest.raises(PeopleError) as caught:
        read_people_csv(directory(**{column: value}), "people.csv")
    error = caught.value
    assert (error.source, error.line, error.field) == ("people.csv", BAD_LINE, column)
    assert message in error.message
    assert str(error).startswith(f"people.csv:{BAD_LINE}: {column}: ")
    assert "\n" not in str(error)


def test_line_numbers_hold_with_crlf_and_unicode_line_separators() -> None:
    """CRLF endings count as one line each, and a U+2028 inside a name is no line break."""
    text = directory("\r\n", name="黃\u2028雅婷", national_id="Z200000005")
    with pytest.raises(PeopleError) as caught:
        read_people_csv(text, "people.csv")
    assert (caught.value.line, caught.value.field) == (BAD_LINE, "national_id")


def test_a_row_with_the_wrong_number_of_cells_is_reported() -> None:
    """One cell short names the line and both counts."""
    text = directory().rstrip("\n").rsplit(",", 1)[0] + "\n"
    with pytest.raises(PeopleError) as caught:
        read_people_csv(text, "people.csv")
    assert (caught.value.line, caught.value.field) == (BAD_LINE, None)
    assert str(caught.value) == "people.csv:5: 7 cells; expected 8, one per header column"


def test_an_unclosed_quote_is_reported_at_the_line_it_opens() -> None:
    """A quote left open to the end of the file is a CSV error on the row's first line."""
    text = directory(title='"專員')
    with pytest.raises(PeopleError, match="bad CSV") as caught:
        read_people_csv(text, "people.csv")
    assert caught.value.line == BAD_LINE


@pytest.mark.parametrize(
    ("header", "field", "message"),
    [
        ("person_id,name,agency,title,office_phone,mobile,national_id", "email", "missing column"),
        ("person_id,name,agency,title,phone,mobile,email,national_id", "phone", "unknown column"),
        ("name,agency,title,office_phone,mobile,email,national_id,NAME", "name", "given twice"),
    ],
)
def test_a_bad_header_is_reported_on_line_1(header: str, field: str, message: str) -> None:
    """Missing, unknown and repeated columns are named."""
    with pytest.raises(PeopleError) as caught:
        read_people_csv(header + "\n", "people.csv")
    assert (caught.value.line, caught.value.field) == (1, field)
    assert message in caught.value.message


def test_an_unknown_agency_is_rejected_when_agencies_are_given() -> None:
    """With a list of agencies, one not on it is an error naming the value."""
    text = directory(agency="mof")
    with pytest.raises(PeopleError) as caught:
        read_people_csv(text, "people.csv", agencies=["moi", "dgpa"])
    assert (caught.value.line, caught.value.field) == (BAD_LINE, "agency")
    assert "'mof'" in caught.value.message
    assert len(read_people_csv(text, "people.csv", agencies=["moi", "dgpa", "mof"])) == 3


def test_header_names_are_matched_in_any_order_and_case_and_ids_are_numbered_from_start() -> None:
    """Without a person_id column, ids run P{start:07d} upward in row order."""
    text = "\ufeff Email ,NATIONAL_ID,mobile,office_phone,Title,agency,name\n" + (
        "a@moi.gov.tw,A123456789,0912-345-678,02-2397-5123,科員,moi,陳怡君\n"
        "b@moi.gov.tw,B123456780,0923-456-789,02-2397-5124,專員,moi,林志明\n"
    )
    people = read_people_csv(text, "people.csv", start=11)
    assert [(p.person_id, p.name, p.email) for p in people] == [
        ("P0000011", "陳怡君", "a@moi.gov.tw"),
        ("P0000012", "林志明", "b@moi.gov.tw"),
    ]


def test_a_blank_person_id_is_numbered_by_its_row() -> None:
    """A row with an empty person_id gets P{start + row index:07d}."""
    people = read_people_csv(directory(person_id=""), "people.csv")
    assert people[2].person_id == "P0000003"


def test_values_are_stored_trimmed_with_the_id_upper_and_the_email_lower_case() -> None:
    """Phones stay as written, less surrounding spaces."""
    text = directory(office_phone="  (07) 345-6789 ", national_id="z200000004", email="Ya.Ting@MOI.gov.tw")
    person = read_people_csv(text, "people.csv")[2]
    assert (person.office_phone, person.national_id, person.email) == (
        "(07) 345-6789",
        "Z200000004",
        "ya.ting@moi.gov.tw",
    )


def test_a_header_only_file_has_no_people_and_an_empty_file_is_an_error() -> None:
    """A header alone is an empty directory; no header at all is a PeopleError."""
    assert read_people_csv(HEADER + "\n", "people.csv") == []
    with pytest.raises(PeopleError) as caught:
        read_people_csv("\ufeff\n", "people.csv")
    assert (caught.value.line, caught.value.field) == (None, None)
    assert str(caught.value).startswith("people.csv: empty file")


def test_blank_rows_are_skipped_but_counted_as_lines() -> None:
    """Empty lines and rows of empty cells hold no person and still move the line number on."""
    text = HEADER + "\n\n,,,,,,,\n" + ",".join({**GOOD, "national_id": "Z200000005"}.values()) + "\n"
    with pytest.raises(PeopleError) as caught:
        read_people_csv(text, "people.csv")
    assert caught.value.line == 4


def test_written_people_read_back_the_same() -> None:
    """write_people_csv then read_people_csv gives the same people, no longer synthetic."""
    people = generate_people(AGENCIES[:4], 50, seed=3)
    # Commas, quotes and a line break in one value.
    odd = dataclasses.replace(
        people[0], person_id="X-1", name='名, "引號"\n第二行', office_phone="02-2222-0000", mobile="0999-000-001"
    )
    people.append(dataclasses.replace(odd, national_id="A123456789"))
    out = io.StringIO()
    assert write_people_csv(out, people) == 201
    assert out.getvalue().startswith("person_id,name,agency,title,office_phone,mobile,email,national_id\n")
    back = read_people_csv(out.getvalue(), "out.csv")
    assert back == [dataclasses.replace(p, synthetic=False) for p in people]


def test_the_error_text_leaves_out_what_is_unknown() -> None:
    """str() is source:line: field: message, dropping the line or field when None."""
    assert str(PeopleError("a.csv", 3, "email", "bad")) == "a.csv:3: email: bad"
    assert str(PeopleError("a.csv", None, "email", "bad")) == "a.csv: email: bad"
    assert str(PeopleError("a.csv", 3, None, "bad")) == "a.csv:3: bad"
