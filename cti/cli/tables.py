"""Tables that fit the console: columns wrap, or the least important drop with a note; no cell is ever cut.

Every table command describes its columns (:class:`Column`: a header, a
priority, whether its cells may wrap) and its rows, and prints them with
:func:`print_table`. The table is laid out for the console's width:

1. every column gets the width its longest cell needs;
2. if that is too wide, columns that may wrap (free text, lists, long headers)
   give up width down to their longest word, so a header or a cell may take
   two lines but no word is cut;
3. if it is still too wide, the columns with the highest priority number are
   dropped, one at a time, and a dim note under the table names them (the
   first column is never dropped).

A matrix (one column per agent) is split instead: the key columns repeat and
the other columns continue in a second block below (``split=True``).

Piped to a file, the console is wide enough for any table (see
:func:`cti.cli.output.console`), so nothing wraps or drops there.

Dates and times in tables have one format, in the centre's time zone (which
the title names): :func:`day_text`, :func:`time_text` and, for rows inside
one call, :func:`clock_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cti.cli import times
from cti.cli.terminal import clean, plain

# A table's overhead: one space of padding each side of a cell and a rule between and around the columns.
_PER_COLUMN = 3
_EDGE = 1

Cell = str | Text
"""A cell: plain text (never read as markup; control characters dropped, see :mod:`cti.cli.terminal`), or a
:class:`~rich.text.Text` for a styled one."""


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Columns with the highest ``priority`` number are dropped first (then the
    rightmost); those of priority 0 only when nothing else is left to drop,
    and the first column never. ``wrap`` lets cells break at spaces
    over several lines, its header too; ``fold`` also lets long words break
    (free text such as notes), down to ``min_width``.
    """

    header: str
    priority: int = 0
    justify: Literal["left", "center", "right"] = "left"
    wrap: bool = False
    fold: bool = False
    min_width: int = 0


def print_table(
    console: Console,
    title: str | None,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    hint: str = "widen the terminal or use --json",
    split: bool = False,
    keys: int = 1,
) -> None:
    """Print a table laid out for ``console.width``; a note names the columns dropped to fit.

    With ``split``, columns that do not fit continue in further blocks below,
    each repeating the first ``keys`` columns, instead of being dropped.
    """
    cells = [[_text(c) for c in row] for row in rows]
    if split:
        for index, part in enumerate(_blocks(columns, cells, console.width, keys)):
            block_title = title if index == 0 or title is None else f"{title} (continued)"
            _print_fitted(console, block_title, [columns[i] for i in part], [[r[i] for i in part] for r in cells], hint)
        return
    _print_fitted(console, title, list(columns), cells, hint)


def fit_widths(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> tuple[list[int], list[int]]:
    """The columns kept (their indexes) and the width of each, for a table at most ``width`` columns wide."""
    cells = [[_text(c) for c in row] for row in rows]
    kept = list(range(len(columns)))
    natural = [_natural(columns[i], [r[i] for r in cells]) for i in kept]
    least = [_least(columns[i], [r[i] for r in cells]) for i in kept]
    # The least important first; then, on a very narrow terminal, even columns of priority 0 but the first.
    droppable = [i for i in kept[1:] if columns[i].priority == 0]
    droppable += sorted((i for i in kept if columns[i].priority > 0), key=lambda i: (columns[i].priority, i))
    while sum(least[i] for i in kept) + _overhead(len(kept)) > width and droppable:
        kept.remove(droppable.pop())
    room = width - _overhead(len(kept))
    widths = {i: natural[i] for i in kept}
    if sum(widths.values()) > room:
        widths = {i: least[i] for i in kept}
        spare = room - sum(widths.values())
        growing = [i for i in kept if widths[i] < natural[i]]
        while spare > 0 and growing:
            for i in list(growing):
                if spare == 0:
                    break
                widths[i] += 1
                spare -= 1
                if widths[i] == natural[i]:
                    growing.remove(i)
    return kept, [widths[i] for i in kept]


def day_text(t: float | None, tz: ZoneInfo) -> str:
    """A day in tables: ``2026-11-22``."""
    return "–" if t is None else times.strf(t, tz, "%Y-%m-%d")


def time_text(t: float | None, tz: ZoneInfo) -> str:
    """A time in tables: ``2026-11-22 10:26``."""
    return "–" if t is None else times.strf(t, tz, "%Y-%m-%d %H:%M")


def clock_text(t: float | None, tz: ZoneInfo) -> str:
    """A time of day for rows inside one call: ``10:26:48``."""
    return "–" if t is None else times.strf(t, tz, "%H:%M:%S")


def _print_fitted(console: Console, title: str | None, columns: Sequence[Column], cells: list[list[Text]],
                  hint: str) -> None:  # fmt: skip
    kept, widths = fit_widths(columns, cells, console.width)
    table = Table(title=title, title_justify="left")
    for i, w in zip(kept, widths, strict=True):
        col = columns[i]
        table.add_column(
            col.header,
            justify=col.justify,
            width=w,
            no_wrap=not (col.wrap or col.fold),
            overflow="fold",
        )
    for row in cells:
        table.add_row(*(row[i] for i in kept))
    console.print(table)
    dropped = [columns[i].header for i in range(len(columns)) if i not in kept]
    if dropped:
        console.print(
            Text(f"(columns dropped to fit {console.width} columns: {', '.join(dropped)}; {hint})", style="dim")
        )


def _blocks(columns: Sequence[Column], cells: list[list[Text]], width: int, keys: int) -> list[list[int]]:
    """Column indexes for each block: the key columns, then as many of the others as fit."""
    head = list(range(min(keys, len(columns))))
    natural = [_natural(columns[i], [r[i] for r in cells]) for i in range(len(columns))]
    used = sum(natural[i] for i in head) + _overhead(len(head))
    blocks: list[list[int]] = []
    current: list[int] = []
    for i in range(len(head), len(columns)):
        if current and used + natural[i] + _PER_COLUMN > width:
            blocks.append(head + current)
            current, used = [], sum(natural[k] for k in head) + _overhead(len(head))
        current.append(i)
        used += natural[i] + _PER_COLUMN
    blocks.append(head + current)
    return blocks


def _text(cell: Cell) -> Text:
    if isinstance(cell, str):
        return plain(cell)
    if clean(cell.plain) != cell.plain:
        return plain(cell.plain, style=str(cell.style))
    return cell


def _overhead(n: int) -> int:
    return _PER_COLUMN * n + _EDGE


def _natural(column: Column, cells: Sequence[Text]) -> int:
    """The width the column takes when nothing wraps: its widest line, header included."""
    lines = [line for cell in cells for line in cell.plain.split("\n")]
    return max([cell_len(column.header), *(cell_len(line) for line in lines)])


def _least(column: Column, cells: Sequence[Text]) -> int:
    """The narrowest the column may be without cutting a word: whole, unless its cells (and header) may wrap.

    A column that wraps is as wide as its longest word, header included; one
    that folds (free text) as its header's longest word and ``min_width``.
    """
    if not (column.wrap or column.fold):
        return _natural(column, cells)
    header = max((cell_len(word) for word in column.header.split()), default=0)
    if column.fold:
        return max(header, column.min_width)
    words = [word for cell in cells for word in cell.plain.split()]
    return max([header, column.min_width, *(cell_len(word) for word in words)])
