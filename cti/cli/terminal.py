"""What reaches a terminal: stored values shown as plain text, never as markup or control sequences.

Names, notes, owners, IVR values, channels: anything a file, a caller or a
user wrote is shown as it reads, through :func:`plain` (a
:class:`~rich.text.Text`, which rich never parses) or :func:`markup` (escaped,
for a line of console markup). Both first drop what would take over the
terminal (:func:`clean`): control characters (ANSI escape sequences start with
one), C1 controls and the bidirectional overrides and isolates that make text
read backwards. A line break stays (a note may have several lines); a tab
becomes a space.
"""

from __future__ import annotations

import re

from rich.markup import escape
from rich.text import Text

# C0 controls but the line break, DEL, C1 controls; the bidirectional marks, embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` without control characters or bidirectional overrides; a tab becomes a space."""
    return _UNSAFE.sub("", text.replace("\t", " "))


def plain(text: str, style: str = "") -> Text:
    """A stored value as text that rich shows exactly as it reads: ``[/bold]`` is shown, not parsed."""
    return Text(clean(text), style=style)


def markup(text: str) -> str:
    """A stored value for a line of console markup: cleaned and escaped."""
    return escape(clean(text))
