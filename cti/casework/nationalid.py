"""Taiwan's national ID (身分證統一編號): the checksum, and random valid IDs for synthetic people."""

from __future__ import annotations

import random
import re
from itertools import accumulate

# ----------------------------------------------------------- national IDs

#: The format of an ID: a letter, 1 or 2 (8 or 9 for residents), eight digits.
PATTERN = re.compile(r"[A-Z][1289][0-9]{8}")
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
SERIALS = 10_000_000  # the seven free digits between the sex digit and the check digit

# The letter is where the ID was first issued; weighted towards the big cities
# (A 臺北市, F 新北市, E 高雄市, B 臺中市, ...) rather than uniform.
LETTER_WEIGHTS: dict[str, float] = {
    "A": 14, "B": 8, "C": 2, "D": 6, "E": 10, "F": 12, "G": 2, "H": 7, "I": 1, "J": 2, "K": 3, "L": 5, "M": 3,
    "N": 5, "O": 1, "P": 3, "Q": 2, "R": 4, "S": 4, "T": 4, "U": 2, "V": 1, "W": 0.3, "X": 0.5, "Y": 0.5, "Z": 0.2,
}  # fmt: skip
_ID_LETTERS = tuple(LETTER_WEIGHTS)
_ID_LETTER_CUM = tuple(accumulate(LETTER_WEIGHTS.values()))


def national_id_valid(value: str) -> bool:
    """True for a citizen (``[A-Z][12]``) or new-style resident (``[A-Z][89]``) ID with a correct checksum.

    The letter becomes a two-digit code (A=10 ... Z=33); the code's two digits
    and the nine digits are weighted 1,9,8,7,6,5,4,3,2,1,1 and must sum to a
    multiple of 10.
    """
    if not PATTERN.fullmatch(value):
        return False
    code = _LETTER_CODES[value[0]]
    total = code // 10 + code % 10 * 9 + sum(int(d) * w for d, w in zip(value[1:], _ID_WEIGHTS, strict=True))
    return total % 10 == 0


# The letter code's weighted digits, to which the sex digit adds 8 times itself.
_LETTER_SUMS = {letter: code // 10 + code % 10 * 9 for letter, code in _LETTER_CODES.items()}


def national_id(letter: str, sex: int, serial: int) -> str:
    """The ID with this letter, sex digit (1 or 2) and seven-digit serial, and its check digit."""
    check = -(_LETTER_SUMS[letter] + 8 * sex + _SUM_HI[serial // 1000] + _SUM_LO[serial % 1000]) % 10
    return f"{letter}{sex}{serial:07d}{check}"


def make_national_id(rng: random.Random, *, sex: int | None = None) -> str:
    """A random valid citizen ID; the second character is the sex (1 male, 2 female)."""
    if sex is None:
        sex = rng.choice((1, 2))
    elif sex not in (1, 2):
        raise ValueError(f"sex must be 1 (male) or 2 (female), not {sex!r}")
    letter = rng.choices(_ID_LETTERS, cum_weights=_ID_LETTER_CUM)[0]
    return national_id(letter, sex, rng.randrange(SERIALS))
