"""Prompts: what the IVR says, per language, and how long it takes to say it.

Each prompt has a text per language and a duration in seconds. The duration
is what the PBX plays for and what the engine's prompt safety timer waits
for; the default centre commits the measured durations of its rendered
prompts. When a file gives none, :func:`estimate_seconds` works one out from
the text.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

#: Seconds added to every estimate: the breath before the first word.
LEAD_S = 0.5
#: Seconds per Han character, kana or hangul syllable (spoken Mandarin: about four a second).
PER_CJK_S = 0.25
#: Seconds per word of letters (spoken English: about 150 words a minute).
PER_WORD_S = 0.4
#: Seconds per digit (digits are read one by one: "press 1", "0800 …").
PER_DIGIT_S = 0.35
#: Seconds per pause mark: sentence and clause punctuation, Chinese or Latin.
PER_PAUSE_S = 0.3
_PAUSES = frozenset("，。、；：！？,.;:!?")


def _is_cjk(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA", "HANGUL"))


def estimate_seconds(text: str) -> float:
    """How long a text takes to speak, by a fixed rule, rounded up to a tenth of a second.

    ``0.5 s`` + ``0.25 s`` per Han character + ``0.4 s`` per word of Latin
    letters + ``0.35 s`` per digit + ``0.3 s`` per pause mark (``，。、；：！？,.;:!?``).
    """
    total = LEAD_S
    in_word = False
    for char in text:
        if char.isascii() and char.isalpha():
            if not in_word:
                total += PER_WORD_S
            in_word = True
            continue
        in_word = char in "'’-" and in_word
        if char.isdigit():
            total += PER_DIGIT_S
        elif char in _PAUSES:
            total += PER_PAUSE_S
        elif _is_cjk(char):
            total += PER_CJK_S
    return math.ceil(round(total * 10, 6)) / 10


@dataclass(frozen=True, slots=True)
class PromptText:
    """One prompt in one language: the words, and how many seconds they take."""

    text: str
    seconds: float
    estimated: bool = False
    """True when ``seconds`` was worked out from the text, not given in the file."""
