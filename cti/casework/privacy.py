"""Masking of personal data (phone numbers, national IDs) for logs, views and exports.

What is kept:

- a **phone number** keeps its last three digits and its layout
  (``(049) 2345-678`` -> ``(***) ****-678``; an extension counts as part of
  the number: ``049-2345-678#123`` -> ``***-****-***#123``);
- a **national ID** keeps its letter and last three digits
  (``A123456789`` -> ``A******789``).

Text is matched as its NFKC form (full-width letters and digits, full-width
brackets and dashes, the ideographic space), so ``Ａ１２３４５６７８９`` and
``０４９－２３４５－６７８`` are found as well, but only the masked digits
change: every other character stays as written. Matching works character by
character on that folded copy, so a masked text has the length of the text.

In free text (:func:`mask_text`):

- a national ID is a letter, then a letter or 1, 2, 8 or 9, then eight
  digits, in any case and width, a space or dash allowed between the digits
  (``A123-456-789``), with no digit just before or after it; any
  letter or script may touch it (``身分證A123456789號``, ``IDa123456789``);
- a phone number is a run of at least :data:`PHONE_DIGITS` digits, possibly
  behind ``+``, grouped by spaces, ``( ) . / -`` (as ``cti directory import``
  accepts them) and possibly followed by an extension (``#123``, ``轉123``,
  ``分機123``, ``ext 123``, ``x123``), with no digit just before it, and not
  just behind a single letter that starts a word: that is an id of the centre
  (a case id such as ``C20261122-00012``, a call id such as ``r12-000345``)
  and is left alone, but ``tel0912345678`` is masked; a date written
  ``YYYY-MM-DD`` (or with ``/`` or ``.``) is not a phone number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from functools import lru_cache
from typing import Any

#: A run of fewer digits than this is not masked as a phone number in free text (the directory's own minimum).
PHONE_DIGITS = 7
_KEEP = 3  # digits kept at the end of a phone number or national ID

# On the folded text (see _fold). A national ID, and the old resident form with a second letter.
_NATIONAL_ID = re.compile(r"(?<![0-9])[A-Za-z][A-Za-z1289][0-9](?:[ -]?[0-9]){7}(?![0-9])")
_DATE = r"(?:19|20)[0-9]{2}(?P<ds>[-/.])(?:1[0-2]|0?[1-9])(?P=ds)(?:3[01]|[12][0-9]|0?[1-9])(?![0-9])"
_SEP = r"[ \t\n\r\f\v().\/-]"  # what the directory accepts between digits (a line break too)
_EXTENSION = r"(?:" + _SEP + r"*(?:#|轉|分機|ext\.?|x)" + _SEP + r"*[0-9]+)?"
_PHONE = r"(?:\+" + _SEP + r"*)?\(?[0-9](?:" + _SEP + r"{0,3}[0-9])*" + _EXTENSION
_KEPT = re.compile(r"[0-9]{1,3}(?![0-9])")
# Not behind a digit, nor behind one letter that starts a word (an id of the centre: ``C20261122-00012``).
_IN_TEXT = re.compile(
    r"(?<![0-9])(?<!(?<![A-Za-z0-9])[A-Za-z])(?:(?P<date>" + _DATE + r")|(?P<phone>" + _PHONE + r"))", re.IGNORECASE
)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    if len(folded) == 1 and folded.isascii():
        return folded
    if folded.isspace():
        return " "
    return ch


def _fold(text: str) -> str:
    """``text`` with each character that NFKC makes one ASCII character replaced by it: the same length."""
    if text.isascii():
        return text
    return "".join(ch if ch.isascii() else _fold_char(ch) for ch in text)


def _is_digit(ch: str) -> bool:
    return ch.isdigit() or _fold_char(ch).isdigit()


def _mask_span(chars: list[str], folded: str, start: int, end: int) -> None:
    """Star the digits of ``chars[start:end]`` but the last three."""
    digits = [i for i in range(start, end) if folded[i].isdigit()]
    for i in digits[: len(digits) - _KEEP]:
        chars[i] = "*"


def mask_phone(number: str) -> str:
    """A phone-number field masked: every digit but the last three starred, everything else kept.

    ``049-2345-678`` -> ``***-****-678``; digits of any width count.
    """
    positions = [i for i, ch in enumerate(number) if _is_digit(ch)]
    if not positions:
        return number
    chars = list(number)
    for i in positions[: max(len(positions) - _KEEP, 0)]:
        chars[i] = "*"
    return "".join(chars)


def mask_national_id(value: str) -> str:
    """National IDs in ``value`` masked to their letter and last three digits: ``A123456789`` -> ``A******789``."""
    folded = _fold(value)
    found = list(_NATIONAL_ID.finditer(folded))
    if not found:
        return value
    chars = list(value)
    for match in found:
        inside = [i for i in range(match.start() + 1, match.end()) if folded[i].isalnum()]
        for i in inside[: len(inside) - _KEEP]:
            chars[i] = "*"
    return "".join(chars)


def mask_text(text: str) -> str:
    """Mask national IDs and phone numbers wherever they appear in free text (notes, IVR values, excerpts).

    Numbers first, so that the three digits an ID keeps never join a number written after it.
    """
    folded = _fold(text)
    chars: list[str] | None = None
    for match in _IN_TEXT.finditer(folded):
        if match.group("phone") is None:
            continue  # a date
        start, end = match.span()
        if start and folded[start - 1] == "*":  # the digits a mask kept (``A******789 0912…``) start no number
            kept = _KEPT.match(folded, start, end)
            start = kept.end() if kept else start
        if sum(ch.isdigit() for ch in folded[start:end]) < PHONE_DIGITS:
            continue
        if chars is None:
            chars = list(text)
        _mask_span(chars, folded, start, end)
    return mask_national_id(text if chars is None else "".join(chars))


#: Fields that hold ids and codes of the centre, never personal data: views and exports show them as they are.
#: (A call's system and agency are not among them: a caller may send any value, and an unknown one is stored.)
ID_FIELDS = frozenset(
    {
        "call_id", "run_id", "case_id", "person_id", "agent_id", "site_id", "server_id", "queue", "dialled",
        "event", "rule", "status", "tier", "priority", "outcome", "state", "synthetic",
    }
)  # fmt: skip
#: Fields that hold a phone number: masked whole (:func:`mask_phone`).
PHONE_FIELDS = frozenset({"caller", "caller_number", "office_phone", "mobile", "phone"})


def mask_record(doc: Any) -> Any:
    """A record for a masked view or export (a call, case or screen pop as JSON): every string that is not an id
    masked, phone-number fields whole (:func:`mask_phone`), every other string as free text (:func:`mask_text`)."""
    return mask_strings(doc, keep=ID_FIELDS, phones=PHONE_FIELDS)


def mask_strings(doc: Any, *, keep: Collection[str] = (), phones: Collection[str] = ()) -> Any:
    """A JSON-like document with every string masked by :func:`mask_text` (dictionary keys too).

    Values under a key in ``keep`` (ids the reader needs as they are) are left
    alone; those under a key in ``phones`` are masked with :func:`mask_phone`.
    """
    return _mask_doc(doc, frozenset(keep), frozenset(phones), mask_text)


def _mask_doc(doc: Any, keep: frozenset[str], phones: frozenset[str], mask: Callable[[str], str]) -> Any:
    if isinstance(doc, str):
        return mask(doc)
    if isinstance(doc, dict):
        out: dict[Any, Any] = {}
        for key, value in doc.items():
            if key in keep:
                out[key] = value
            elif key in phones and isinstance(value, str):
                out[key] = mask_phone(value)
            else:
                out[mask(key) if isinstance(key, str) else key] = _mask_doc(value, keep, phones, mask)
        return out
    if isinstance(doc, list | tuple):
        return [_mask_doc(value, keep, phones, mask) for value in doc]
    return doc
