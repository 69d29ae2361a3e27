"""The layout of a table for a console's width: what wraps, what drops, and how wide piped output is."""

from __future__ import annotations

import io

from rich.console import Console

from cti.cli.output import PIPED_WIDTH, output_width
from cti.cli.tables import Column, fit_widths, print_table


def test_the_width_policy_is_the_terminal_s_width_or_unlimited_when_piped() -> None:
    assert output_width(80) == 80
    assert output_width(None) == PIPED_WIDTH >= 10_000


def test_the_least_important_columns_drop_first_and_wrapping_columns_give_way_before_any_drops() -> None:
    columns = [Column("id"), Column("note", priority=1, wrap=True), Column("owner", priority=2), Column("tier")]
    rows = [["C1", "rang back twice, no answer", "tech-support", "second-line"]]
    kept, widths = fit_widths(columns, rows, 200)
    assert (kept, widths) == ([0, 1, 2, 3], [2, 26, 12, 11])
    kept, widths = fit_widths(columns, rows, 48)  # the note wraps to its longest word; nothing drops
    assert kept == [0, 1, 2, 3]
    assert widths[1] < 26
    assert sum(widths) + 13 <= 48
    kept, _ = fit_widths(columns, rows, 40)
    assert kept == [0, 1, 3]  # owner (priority 2) drops before note (priority 1)


def test_a_matrix_too_wide_continues_below_repeating_its_key_column() -> None:
    out = Console(width=40, record=True, file=io.StringIO())
    columns = [Column("system"), *(Column(f"A{i:02d}", justify="center") for i in range(12))]
    print_table(out, "Skills", columns, [["webhr", *("3" for _ in range(12))]], split=True)
    text = out.export_text()
    assert "Skills (continued)" in text
    shown = {cell.strip() for line in text.splitlines() if line.startswith("┃") for cell in line.split("┃")[1:-1]}
    assert shown == {"system", *(f"A{i:02d}" for i in range(12))}
    assert "dropped" not in text
