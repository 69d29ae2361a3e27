"""The types of number options: each turns the text given into a value, or says what was wrong.

They raise :class:`argparse.ArgumentTypeError`, which argparse turns into a
usage error (exit status 2) naming the option. This module stays light: the
parser imports it for ``cti --help``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def positive(text: str) -> float:
    value = number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def non_negative(text: str) -> float:
    value = number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def share(text: str) -> float:
    value = number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1 (e.g. 0.8), got {text}")
    return value


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def count(text: str) -> int:
    value = whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def seed(text: str) -> int:
    value = whole(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**63 - 1, got {text}")
    return value


def speed(text: str) -> float | str:
    if text == "max":
        return "max"
    value = at_most(positive, float(MAX_SPEED))(text)
    if value < MIN_SPEED:
        raise argparse.ArgumentTypeError(f"at least {MIN_SPEED} (a tenth of real time), or 'max'; got {text}")
    return value


def at_most(parse: Callable[[str], N], limit: N, unit: str = "") -> Callable[[str], N]:
    """``parse``, and refuse values above ``limit`` (so nothing absurd runs for ever or overflows)."""

    def check(text: str) -> N:
        value = parse(text)
        if value > limit:
            shown = f"{int(limit):,}" if float(limit).is_integer() else f"{limit:,}"
            raise argparse.ArgumentTypeError(f"at most {shown}{unit}, got {text}")
        return value

    check.__name__ = parse.__name__
    return check


#: Upper bounds of the number options (docs/cli.md lists them).
MAX_DEMO_MINUTES = 7 * 24 * 60
MAX_BUSY_HOUR_CALLS = 100_000
MAX_SPEED = 1_000_000
MIN_SPEED = 0.1
MAX_CALLS = 10_000_000
MAX_SECONDS = 7 * 86_400
MAX_AGENTS = 100_000
MAX_WORKERS = 256
MAX_LIST = 1_000_000
