"""Synthetic civil servants, generated from a seed, for an empty directory.

Surnames and given names are weighted by Taiwan's frequencies, and the
national ID's sex digit agrees with the given name; IDs carry the real
checksum. Every number and ID in one list is different by construction
(seeded bijections), also between batches of one seed. Entries are flagged
``synthetic``.
"""

from __future__ import annotations

import gc
import random
import sys
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, repeat
from math import gcd
from operator import sub
from typing import TypeVar

from cti.casework.nationalid import LETTER_WEIGHTS, SERIALS, national_id
from cti.casework.people import ID_PATTERN, Person

_T = TypeVar("_T")

#: Most people :func:`generate_people` makes in one list: the smallest number
#: space it draws from (a 7-digit area code) holds exactly this many numbers.
MAX_GENERATED = 7_000_000


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
_ID_LETTER_TABLE = _table(LETTER_WEIGHTS)


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
    serials = _Permutation.seeded(rng, SERIALS).of(everyone)
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
                    national_id=national_id(letters[i], sex, serials[i]),
                    synthetic=True,
                )
            )
    return people
