"""Whether digits keyed on a phone look like a Taiwanese phone number.

Only the shape is checked, never whether the number exists: a mobile number
is ``09`` and 8 more digits; a fixed line is its area code ``02``-``08``
(with its own digits, ``037``, ``049``, ``0836`` …) and the subscriber
number, 9 or 10 digits in all, ``02`` (Taipei) always 10.
"""

from __future__ import annotations

import re

_MOBILE = re.compile(r"09\d{8}")
_TAIPEI = re.compile(r"02\d{8}")
_FIXED = re.compile(r"0[3-8]\d{7,8}")


def plausible_number(digits: str) -> bool:
    """True for a mobile (``09xxxxxxxx``) or fixed-line number with its area code."""
    return bool(_MOBILE.fullmatch(digits) or _TAIPEI.fullmatch(digits) or _FIXED.fullmatch(digits))
