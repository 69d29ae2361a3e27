"""Callers: who they are, and the numbers they call from.

Callers of the help-desk are mostly the personnel (人事) staff of Taiwanese
government agencies. A directory entry (:class:`Person`) holds who they are,
where they work and the numbers they call from, so an incoming call can be
matched to a person. A number is matched by its key (:func:`phone_key`):
its digits, however it was written. The directory is filled from a real
list (:mod:`cti.casework.people_csv`) or with synthetic people
(:mod:`cti.casework.synthetic`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cti.errors import CtiError

#: The CSV header, in the order :func:`cti.casework.people_csv.write_people_csv` writes it.
COLUMNS: tuple[str, ...] = ("person_id", "name", "agency", "title", "office_phone", "mobile", "email", "national_id")

#: Ids of people and agencies (the same rule as every other id in the centre).
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


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
