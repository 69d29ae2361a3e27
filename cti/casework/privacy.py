"""Masking of personal data (caller numbers, national IDs) for logs and exports."""

from __future__ import annotations

import re

# A Taiwanese national ID: one letter, 1 or 2 (or 8/9 for residents), eight digits.
NATIONAL_ID = re.compile(r"\b([A-Z])([1289])(\d{5})(\d{3})\b")

_DIGIT = re.compile(r"\d")


def mask_phone(number: str) -> str:
    """Keep the last three digits: ``049-2345-678`` -> ``***-****-678``."""
    total = sum(ch.isdigit() for ch in number)
    keep_from = total - 3
    out = []
    seen = 0
    for ch in number:
        if ch.isdigit():
            out.append(ch if seen >= keep_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_national_id(value: str) -> str:
    """Keep the letter and the last three digits: ``A123456789`` -> ``A******789``."""
    return NATIONAL_ID.sub(lambda m: f"{m.group(1)}******{m.group(4)}", value)


# A phone number inside free text: a domestic or +886 number, with or without separators.
_PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+886[\s-]?|0)\d{1,3}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)")


def mask_text(text: str) -> str:
    """Mask national IDs and phone numbers wherever they appear in free text (notes, messages)."""
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), mask_national_id(text))
