"""How long a name or a note may be, and the characters none may hold: checked where they come in.

A directory entry's fields (``cti directory import``) and a case's notes and
owner (``cti cases``) are refused, naming the field, when too long or when
they hold a control character (NUL, the escape that starts a terminal
sequence, C1 controls) or a bidirectional override, which would make the
text read differently from what is stored. Line breaks (LF or CR LF) are
allowed: a quoted CSV cell and a note may have several lines.
"""

from __future__ import annotations

import re

#: The longest a field may be, in characters.
NAME_MAX = 100  # a person's name, title; a case's owner; who did a step
EMAIL_MAX = 254  # the longest address mail allows
PHONE_MAX = 40  # a phone number as written, extension included
NOTE_MAX = 2000  # a case's note (as the wrap-up form's)

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_IN_NOTE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def text_problem(value: str, limit: int, *, lines: bool = False) -> str | None:
    """Why ``value`` cannot be stored (too long, or a control character), or None.

    ``lines``: line breaks (LF, CR) are allowed.
    """
    if len(value) > limit:
        return f"{len(value):,} characters; at most {limit:,}"
    bad = (_CONTROL_IN_NOTE if lines else _CONTROL).search(value)
    if bad is not None:
        return f"holds the control character U+{ord(bad.group()):04X} at character {bad.start() + 1}"
    return None
