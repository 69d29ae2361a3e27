"""The caller directory: synthetic civil servants generated from a seed, and a real list read from CSV.

Callers of the help-desk are mostly the personnel (人事) staff of Taiwanese
government agencies. A directory row holds who they are, where they work and
the numbers they call from, so an incoming call can be matched to a person.
"""

from __future__ import annotations

import csv
import gc
import io
import random
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, repeat
from math import gcd
from operator import sub
from typing import IO, TypeVar

from cti.errors import CtiError

_T = TypeVar("_T")

#: The CSV header, in the order :func:`write_people_csv` writes it.
COLUMNS: tuple[str, ...] = ("person_id", "name", "agency", "title", "office_phone", "mobile", "email", "national_id")

#: Ids of people and agencies (the same rule as every other id in the centre).
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

#: Most people :func:`generate_people` makes in one list: the smallest number
#: space it draws from (a 7-digit area code) holds exactly this many numbers.
MAX_GENERATED = 7_000_000


class PeopleError(CtiError):
    """A bad directory file: ``str()`` is one line naming source, line and field."""

    def __init__(self, source: str, line: int | None, field: str | None, message: str) -> None:
        # All four go to Exception so that args (and so pickling) keep them.
        super().__init__(source, line, field, message)
        self.source = source
        self.line = line
        self.field = field
        self.message = message

    def __str__(self) -> str:
        parts = [self.source if self.line is None else f"{self.source}:{self.line}"]
        if self.field is not None:
            parts.append(self.field)
        parts.append(self.message)
        # Values are quoted with repr(), but a source name could still hold a line break.
        return ": ".join(parts).replace("\r", " ").replace("\n", " ")


@dataclass(frozen=True, slots=True)
class Person:
    """One caller in the directory."""

    person_id: str
    name: str
    agency: str
    title: str
    office_phone: str
    mobile: str
    email: str
    national_id: str
    synthetic: bool


# ---------------------------------------------------------------- phones

# Possessive quantifiers: a long cell of digits and spaces must not make the match backtrack.
_PHONE_TEXT = re.compile(r"\+?[\d\s()./-]++(?:(?:#|轉|分機|ext\.?|x)\s*+\d++\s*+)?", re.ASCII | re.IGNORECASE)
_NOT_DIGIT = re.compile(r"[^0-9]")
_MIN_PHONE_DIGITS = 7


def phone_key(number: str) -> str:
    """Digits only, with an international +886 prefix turned into the domestic 0.

    ``'+886 2 2397 5123'`` and ``'02-2397-5123'`` -> ``'0223975123'``,
    ``'(049)2345678'`` -> ``'0492345678'``. Full-width digits count as digits;
    an extension (``#123``, ``轉123``) stays part of the key. Raises
    :class:`ValueError` for other letters or fewer than 7 digits.
    """
    # Forms typed on a Chinese keyboard often use full-width digits and brackets.
    text = unicodedata.normalize("NFKC", number).strip()
    if not _PHONE_TEXT.fullmatch(text):
        raise ValueError(f"{number!r} is not a phone number: expected digits, spaces and + - ( ) . /")
    digits = _NOT_DIGIT.sub("", text)
    if text.startswith("+") and digits.startswith("886"):
        national = digits[3:]
        # "+886 (0)2 ..." writes the domestic trunk 0 as well; keep just one.
        digits = national if national.startswith("0") else "0" + national
    if len(digits) < _MIN_PHONE_DIGITS:
        raise ValueError(f"{number!r} is not a phone number: expected at least {_MIN_PHONE_DIGITS} digits")
    return digits


_PLAIN = re.compile(r"0[0-9 -]{6,31}")


def is_phone_key(key: str | None) -> bool:
    """Whether a :func:`caller_key` is a real phone number (seven digits or more).

    Anything else (a withheld or placeholder number, an internal extension)
    identifies nobody: it is never looked up, linked or used to pool history.
    """
    return key is not None and len(key) >= 7 and key.isdigit()


def caller_key(number: str) -> str:
    """The lookup key of a caller's number; numbers too short to be phones key as themselves."""
    if _PLAIN.fullmatch(number):  # the usual domestic form, keyed without the general parser
        key = number.replace("-", "").replace(" ", "")
        if len(key) >= 7:
            return key
    try:
        return phone_key(number)
    except ValueError:
        return number


# ----------------------------------------------------------- national IDs

_NATIONAL_ID = re.compile(r"[A-Z][1289][0-9]{8}")
_LETTER_CODES: dict[str, int] = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33),
        strict=True,
    )
)
# Weights of the nine digits after the letter (the letter's code takes 1 and 9).
_ID_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1, 1)
# Weighted digit sums of 4- and 3-digit blocks, so a million IDs need no per-digit loop.
_SUM_HI = [7 * a + 6 * b + 5 * c + 4 * d for a in range(10) for b in range(10) for c in range(10) for d in range(10)]
_SUM_LO = [3 * a + 2 * b + c for a in range(10) for b in range(10) for c in range(10)]
_CHECK_DIGIT = [-total % 10 for total in range(400)]  # the weighted sum before the check digit stays below 400
_ID_SERIALS = 10_000_000  # the seven free digits between the sex digit and the check digit

# The letter is where the ID was first issued; weighted towards the big cities
# (A 臺北市, F 新北市, E 高雄市, B 臺中市, ...) rather than uniform.
_ID_LETTER_WEIGHTS: dict[str, float] = {
    "A": 14, "B": 8, "C": 2, "D": 6, "E": 10, "F": 12, "G": 2, "H": 7, "I": 1, "J": 2, "K": 3, "L": 5, "M": 3,
    "N": 5, "O": 1, "P": 3, "Q": 2, "R": 4, "S": 4, "T": 4, "U": 2, "V": 1, "W": 0.3, "X": 0.5, "Y": 0.5, "Z": 0.2,
}  # fmt: skip
_ID_LETTERS = tuple(_ID_LETTER_WEIGHTS)
_ID_LETTER_CUM = tuple(accumulate(_ID_LETTER_WEIGHTS.values()))


def national_id_valid(value: str) -> bool:
    """True for a citizen (``[A-Z][12]``) or new-style resident (``[A-Z][89]``) ID with a correct checksum.

    The letter becomes a two-digit code (A=10 ... Z=33); the code's two digits
    and the nine digits are weighted 1,9,8,7,6,5,4,3,2,1,1 and must sum to a
    multiple of 10.
    """
    if not _NATIONAL_ID.fullmatch(value):
        return False
    code = _LETTER_CODES[value[0]]
    total = code // 10 + code % 10 * 9 + sum(int(d) * w for d, w in zip(value[1:], _ID_WEIGHTS, strict=True))
    return total % 10 == 0


# The letter code's weighted digits, to which the sex digit adds 8 times itself.
_LETTER_SUMS = {letter: code // 10 + code % 10 * 9 for letter, code in _LETTER_CODES.items()}


def _national_id(letter: str, sex: int, serial: int) -> str:
    check = -(_LETTER_SUMS[letter] + 8 * sex + _SUM_HI[serial // 1000] + _SUM_LO[serial % 1000]) % 10
    return f"{letter}{sex}{serial:07d}{check}"


def make_national_id(rng: random.Random, *, sex: int | None = None) -> str:
    """A random valid citizen ID; the second character is the sex (1 male, 2 female)."""
    if sex is None:
        sex = rng.choice((1, 2))
    elif sex not in (1, 2):
        raise ValueError(f"sex must be 1 (male) or 2 (female), not {sex!r}")
    letter = rng.choices(_ID_LETTERS, cum_weights=_ID_LETTER_CUM)[0]
    return _national_id(letter, sex, rng.randrange(_ID_SERIALS))


# ------------------------------------------------------------------ names

# The commonest surnames in Taiwan, per 10,000 people (household registration
# figures, rounded), and a few compound surnames.
_SURNAME_WEIGHTS: dict[str, float] = {
    "陳": 1106, "林": 828, "黃": 603, "張": 531, "李": 512, "王": 412, "吳": 404, "劉": 317, "蔡": 292, "楊": 263,
    "許": 232, "鄭": 190, "謝": 184, "郭": 172, "洪": 163, "曾": 153, "邱": 151, "廖": 151, "賴": 145, "周": 125,
    "徐": 120, "蘇": 119, "葉": 118, "莊": 112, "呂": 102, "江": 98, "何": 95, "蕭": 93, "羅": 91, "高": 82,
    "潘": 70, "簡": 70, "朱": 68, "鍾": 67, "游": 61, "彭": 60, "詹": 59, "胡": 58, "施": 56, "沈": 56,
    "余": 54, "盧": 51, "梁": 51, "趙": 49, "顏": 47, "柯": 47, "翁": 46, "魏": 43, "孫": 40, "戴": 39,
    "范": 37, "方": 37, "宋": 36, "鄧": 32, "杜": 29, "傅": 29, "侯": 29, "曹": 28, "薛": 26, "丁": 25,
    "卓": 25, "阮": 23, "馬": 23, "董": 22, "溫": 22, "唐": 22, "藍": 21, "石": 21, "蔣": 21, "古": 20,
    "紀": 20, "姚": 20, "連": 19, "馮": 19, "歐": 18, "程": 18, "湯": 18, "黎": 17, "田": 17, "康": 16,
    "歐陽": 2, "張簡": 2, "范姜": 1,
}  # fmt: skip

_FEMALE_NAMES = (
    "淑芬", "淑惠", "美玲", "雅婷", "怡君", "雅惠", "淑娟", "麗華", "淑貞", "怡婷",
    "秀英", "惠美", "佳穎", "雅雯", "欣怡", "佩君", "婉婷", "詩涵", "宜君", "靜怡",
    "美惠", "淑玲", "秀玲", "麗娟", "雅琪", "郁婷", "佳慧", "曉雯", "筱涵", "慧君",
)  # fmt: skip
_FEMALE_FIRST = "淑雅怡美佳惠秀麗靜欣婉郁佩宜筱詩曉慧玉文"
_FEMALE_SECOND = "君芬婷玲惠娟貞萍華琪雯涵慧儀如珍瑜穎蓉萱"
_FEMALE_SINGLE = "玲萍君芳慧"
_MALE_NAMES = (
    "志明", "俊傑", "建宏", "俊宏", "志偉", "志豪", "家豪", "宗翰", "冠宇", "承翰",
    "建志", "文雄", "志強", "明哲", "信宏", "家銘", "彥廷", "柏翰", "育誠", "宏明",
    "智偉", "國華", "俊賢", "正雄", "建良", "冠廷", "哲瑋", "柏宇", "彥宏", "明宏",
)  # fmt: skip
_MALE_FIRST = "志俊建家宗冠承文明信柏彥育宏智國正哲嘉博"
_MALE_SECOND = "明豪宏偉翰傑宇廷誠雄強銘華賢良哲瑋民仁輝"
_MALE_SINGLE = "偉傑明強豪"


def _given_weights(
    sex: int, share: float, full: Sequence[str], first: str, second: str, single: str
) -> dict[tuple[str, int], float]:
    """Weights of ``(given name, sex)``: the sex's share split 45% popular names, 52% two popular characters, 3% one."""
    combined = [a + b for a in first for b in second if a != b]
    weights: dict[tuple[str, int], float] = {}
    for names, part in ((combined, 0.52), (full, 0.45), (single, 0.03)):
        for name in names:
            weights[name, sex] = weights.get((name, sex), 0.0) + share * part / len(names)
    return weights


_FEMALE_SHARE = 0.62  # personnel offices employ more women than men
# Keyed by name and sex together, so a name used for both (文華) keeps both weights.
_GIVEN_WEIGHTS = _given_weights(2, _FEMALE_SHARE, _FEMALE_NAMES, _FEMALE_FIRST, _FEMALE_SECOND, _FEMALE_SINGLE)
_GIVEN_WEIGHTS |= _given_weights(1, 1 - _FEMALE_SHARE, _MALE_NAMES, _MALE_FIRST, _MALE_SECOND, _MALE_SINGLE)

# ----------------------------------------------------------------- titles

# Callers are mostly the staff of personnel offices, whose clerks (科員, 專員)
# outnumber their heads (人事主任, 人事管理員).
_TITLE_WEIGHTS: dict[str, float] = {
    "科員": 24, "專員": 20, "人事管理員": 16, "人事主任": 12, "組員": 10, "課員": 8, "科長": 6, "秘書": 4,
}  # fmt: skip
TITLES: tuple[str, ...] = tuple(_TITLE_WEIGHTS)

# ------------------------------------------------------ drawing in bulk

_TABLE_SIZE = 1 << 16


def _table(weights: Mapping[_T, float]) -> tuple[_T, ...]:
    """65,536 slots, each item in proportion to its weight: a 16-bit random number picks one."""
    # A million weighted draws with random.choices take seconds; indexing a
    # table with random bytes takes milliseconds. The rounding to 1/65,536 is
    # far below what a directory's realism needs.
    bounds = list(accumulate(weights.values()))
    ends = [round(bound * _TABLE_SIZE / bounds[-1]) for bound in bounds]
    starts = [0, *ends[:-1]]
    return tuple(chain.from_iterable(map(repeat, weights, map(sub, ends, starts))))


def _draw(rng: random.Random, table: Sequence[_T], count: int) -> list[_T]:
    """``count`` items picked from a :func:`_table`."""
    codes = array("H", rng.randbytes(2 * count))  # "H" is two bytes on every platform CPython runs on
    if sys.byteorder == "big":  # the same seed must give the same people everywhere
        codes.byteswap()
    return list(map(table.__getitem__, codes))


_SURNAME_TABLE = _table(_SURNAME_WEIGHTS)
_GIVEN_TABLE = _table(_GIVEN_WEIGHTS)
_TITLE_TABLE = _table(_TITLE_WEIGHTS)
_ID_LETTER_TABLE = _table(_ID_LETTER_WEIGHTS)


# ------------------------------------------------------- generated numbers


@dataclass(frozen=True, slots=True)
class _Area:
    """A landline area: numbers ``base`` to ``base + size - 1``, shown with ``fmt`` split at ``split``."""

    code: str
    weight: float  # share of agencies headquartered there
    fmt: str
    split: int
    base: int
    size: int


def _area(code: str, weight: float, fmt: str, split: int, unit: int) -> _Area:
    # Subscriber numbers (unit is 1 followed by their length less one in zeros)
    # start with 2-8: 0 and 1 begin trunk and service codes, and a 9 after
    # "04" would read as the 049 area code.
    return _Area(code, weight, fmt, split, 2 * unit, 7 * unit)


# Most central agencies sit in Taipei.
_AREAS = (
    _area("02", 60, "02-%04d-%04d", 10_000, 10_000_000),
    _area("03", 8, "03-%03d-%04d", 10_000, 1_000_000),
    _area("04", 10, "04-%04d-%04d", 10_000, 10_000_000),
    _area("049", 3, "049-%04d-%03d", 1000, 1_000_000),
    _area("05", 4, "05-%03d-%04d", 10_000, 1_000_000),
    _area("06", 5, "06-%03d-%04d", 10_000, 1_000_000),
    _area("07", 8, "07-%03d-%04d", 10_000, 1_000_000),
    _area("08", 2, "08-%03d-%04d", 10_000, 1_000_000),
)
_AREA_CUM = tuple(accumulate(a.weight for a in _AREAS))
_MOBILE_SPACE = 80_000_000  # 0910-0989 and six more digits


@dataclass(frozen=True, slots=True)
class _Permutation:
    """A seeded permutation of ``range(size)``, for numbers that must not repeat.

    An affine map alone steps by the same amount from one person to the next,
    which shows in the digits; moving the last three digits to the front
    between two affine maps hides that. Every step is one-to-one, so numbers
    never collide and no set of used numbers is needed.
    """

    size: int
    mul1: int
    add1: int
    mul2: int
    add2: int

    @classmethod
    def seeded(cls, rng: random.Random, size: int) -> _Permutation:
        # The rotation needs whole thousands; a multiplier coprime to the size is one-to-one.
        assert size % 1000 == 0
        keys: list[int] = []
        while len(keys) < 4:
            mul = rng.randrange(size // 3, size)
            if gcd(mul, size) == 1:
                keys += (mul, rng.randrange(size))
        return cls(size, *keys)

    def of(self, indices: range) -> list[int]:
        """The images of ``indices`` (all below ``size``)."""
        size, mul1, add1, mul2, add2 = self.size, self.mul1, self.add1, self.mul2, self.add2
        rows = size // 1000
        return [
            (mul2 * (x % 1000 * rows + x // 1000) + add2) % size for x in [(mul1 * i + add1) % size for i in indices]
        ]


def generate_people(agencies: Sequence[str], per_agency: int, seed: int, *, start: int = 1) -> list[Person]:
    """``per_agency`` synthetic people for each agency id, in agency order.

    Person ids run ``P{start:07d}`` upward; the same seed gives the same list.
    Office phones, mobiles and national IDs are all different within the list.
    Raises :class:`ValueError` for a bad agency id or more than
    :data:`MAX_GENERATED` people.
    """
    if per_agency < 0:
        raise ValueError(f"per_agency must be 0 or more, not {per_agency}")
    if start < 0:
        raise ValueError(f"start must be 0 or more, not {start}")
    for agency in agencies:
        if not ID_PATTERN.fullmatch(agency):
            raise ValueError(f"agency id {agency!r}: expected a letter or digit, then letters, digits, '_' or '-'")
    total = len(agencies) * per_agency
    if start + total > MAX_GENERATED:
        raise ValueError(
            f"people {start} to {start + total - 1} asked for; at most {MAX_GENERATED} can have distinct numbers"
        )
    # A million new objects would set off collection after collection, each
    # walking all the people made so far, for nothing: none of them is garbage.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(agencies, per_agency, random.Random(f"{seed}/people"), start)
    finally:
        if collecting:
            gc.enable()


def _generate(agencies: Sequence[str], per_agency: int, rng: random.Random, start: int) -> list[Person]:
    total = len(agencies) * per_agency
    # Numbers are permutations of the person's number (MAX_GENERATED keeps it
    # inside every space), so they are distinct by construction, also between
    # batches generated with the same seed and consecutive ``start``.
    everyone = range(start, start + total)
    # Office phones never start with 09, so none is also a mobile.
    area_of = rng.choices(_AREAS, cum_weights=_AREA_CUM, k=len(agencies))
    office_numbers = {area.code: _Permutation.seeded(rng, area.size) for area in _AREAS}
    mobiles = _Permutation.seeded(rng, _MOBILE_SPACE).of(everyone)
    serials = _Permutation.seeded(rng, _ID_SERIALS).of(everyone)
    # Each column is drawn whole (one random call per column, not per person).
    given_names = _draw(rng, _GIVEN_TABLE, total)  # (name, sex): the ID's sex digit agrees with the name
    surnames = _draw(rng, _SURNAME_TABLE, total)
    titles = _draw(rng, _TITLE_TABLE, total)
    letters = _draw(rng, _ID_LETTER_TABLE, total)

    people: list[Person] = []
    for index, (agency, area) in enumerate(zip(agencies, area_of, strict=True)):
        members = range(index * per_agency, (index + 1) * per_agency)
        offices = office_numbers[area.code].of(range(start + members.start, start + members.stop))
        domain = f"{agency.lower()}.gov.tw"
        for i, office in zip(members, offices, strict=True):
            given, sex = given_names[i]
            mobile = mobiles[i]
            number = start + i
            people.append(
                Person(
                    person_id=f"P{number:07d}",
                    name=surnames[i] + given,
                    agency=agency,
                    title=titles[i],
                    office_phone=area.fmt % divmod(area.base + office, area.split),
                    mobile=f"0{910 + mobile // 1_000_000}-{mobile // 1000 % 1000:03d}-{mobile % 1000:03d}",
                    email=f"p{number:07d}@{domain}",
                    national_id=_national_id(letters[i], sex, serials[i]),
                    synthetic=True,
                )
            )
    return people


# -------------------------------------------------------------------- CSV

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_EXPECTED_HEADER = ", ".join(COLUMNS)
_REQUIRED = COLUMNS[1:]


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
    if not _NATIONAL_ID.fullmatch(national_id.upper()):
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
