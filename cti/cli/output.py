"""Where commands write: consoles, JSON and CSV files (or standard output), progress bars.

Output paths are checked before a long run, not after it: a folder, a
missing folder or a plot that is not a PNG is refused at once.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from cti.cli.terminal import clean
from cti.errors import CommandLineError, UsageError

PIPED_WIDTH = 100_000
"""Piped or redirected, the console is this wide: tables and lines are never cut or wrapped."""


def output_width(terminal_width: int | None) -> int:
    """The width tables are laid out for: the terminal's, or when piped (``None``) wide enough for anything."""
    return PIPED_WIDTH if terminal_width is None else terminal_width


def console(*, stderr: bool = False, quiet: bool = False) -> Console:
    """Where every command prints its tables and lines: the one console policy of the command line.

    On a terminal: its width (``COLUMNS`` overrides it) and colour; tables fit
    it (see :mod:`cti.cli.tables`). Piped or redirected: no colour and no width
    limit, so a file gets every column and every digit.
    """
    probe = Console(stderr=stderr)
    terminal = probe.width if probe.is_terminal else None
    return Console(
        stderr=stderr,
        quiet=quiet,
        highlight=False,
        emoji=False,  # ":smile:" in a stored note is shown as typed
        width=output_width(terminal),
        no_color=terminal is None,
        force_terminal=terminal is not None,
    )


def report_console(args: argparse.Namespace) -> Console:
    """Tables go to standard output, unless JSON or CSV does."""
    to_stdout = str(getattr(args, "json", None)) == "-" or str(getattr(args, "csv", None)) == "-"
    return console(stderr=to_stdout, quiet=bool(getattr(args, "quiet", False)))


@contextmanager
def progress_bar(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def write_json(path: Path, doc: object) -> None:
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False, default=_json_default) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
    else:
        check_writable(path).write_text(text, encoding="utf-8")


def emit_json(args: argparse.Namespace, doc: object) -> bool:
    """Write ``doc`` where ``--json`` says; True when it went to standard output (then print no tables)."""
    path = getattr(args, "json", None)
    if path is None:
        return False
    write_json(path, doc)
    return str(path) == "-"


def _json_default(value: object) -> object:
    raise TypeError(f"not JSON: {value!r}")


#: Characters that make a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def csv_safe(text: str) -> str:
    """A CSV cell no spreadsheet runs: one starting with = + - @, a tab or a carriage return gets a ``'`` in front.

    Control characters and bidirectional overrides are dropped first (a tab becomes a space).
    A cell that is only a number (``-2.5``, ``+886223975123``) is left as it is: a spreadsheet reads it as a
    number, never as a formula. ``'`` is what spreadsheets take as "text follows", and what OWASP recommends.
    """
    text = clean(text)  # no control character or bidirectional override reaches a terminal or a spreadsheet
    first = unicodedata.normalize("NFKC", text[:1])  # a full-width ＝ too
    if first.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_cells(cells: list[str], *, raw: bool = False) -> list[str]:
    """A row of CSV cells as written: each made safe (:func:`csv_safe`) unless ``raw``."""
    return cells if raw else [csv_safe(c) for c in cells]


def write_csv(path: Path, rows: list[dict[str, object]], *, raw: bool = False) -> None:
    def cell(v: object) -> object:
        if v is None:
            return ""
        if isinstance(v, float):
            return repr(v)
        if isinstance(v, str) and not raw:
            return csv_safe(v)
        return v

    if str(path) == "-":
        _csv_to(sys.stdout, rows, cell)
        return
    with check_writable(path).open("w", newline="", encoding="utf-8") as fh:
        _csv_to(fh, rows, cell)


def _csv_to(fh: Any, rows: list[dict[str, object]], cell: Callable[[object], object]) -> None:
    writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else [])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(v) for k, v in row.items()})


#: Output options, and whether '-' (standard output) makes sense for each.
OUTPUT_OPTIONS = {"json": True, "csv": True, "plot": False, "log": True}


#: Options and positionals that name files a command reads (or, for ``--db``, keeps).
INPUT_OPTIONS = ("db", "config", "file", "scenario", "scenarios")
#: Names an output never gets: they are centre and scenario files and databases.
INPUT_SUFFIXES = (".toml", ".db", ".sqlite")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse unusable output paths before any work starts, each the same way.

    ``-`` means standard output for ``--json``, ``--csv`` and ``--log`` (one of
    them at a time); a PNG cannot go there, nor a database. A folder, or a file
    in a folder that does not exist, is refused naming the option and the
    folder. An output never overwrites a file the command reads, nor another
    output, nor anything named like a centre or scenario file or a database.
    """
    if str(getattr(args, "db", None)) == "-":
        raise CommandLineError("--db: give a database file, not '-'")
    outputs: dict[str, Path] = {}
    to_stdout = []
    for flag, stdout_ok in OUTPUT_OPTIONS.items():
        path = getattr(args, flag, None)
        if path is None:
            continue
        if str(path) == "-":
            if not stdout_ok:
                raise CommandLineError(f"--{flag}: give a file name, not '-'")
            to_stdout.append(f"--{flag}")
            continue
        if Path(path).suffix.lower() in INPUT_SUFFIXES:
            raise CommandLineError(
                f"--{flag}: {path} is named like a centre or scenario file or a database, which an output "
                "never overwrites; give another name"
            )
        outputs[f"--{flag}"] = check_writable(Path(path), f"--{flag}")
    if len(to_stdout) > 1:
        raise CommandLineError(f"{' and '.join(to_stdout)}: only one of them can write to standard output")
    _refuse_overlaps(outputs, _inputs(args))
    plot = getattr(args, "plot", None)
    if plot is not None and Path(plot).suffix.lower() != ".png":
        raise CommandLineError(f"--plot: {plot}: the chart is a PNG; give a file name ending in .png")


def _inputs(args: argparse.Namespace) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for name in INPUT_OPTIONS:
        value = getattr(args, name, None)
        for item in value if isinstance(value, list) else [value]:
            if item is not None and str(item) != "-":
                found[f"--{name}" if name in ("db", "config") else str(item)] = Path(item)
    return found


def _refuse_overlaps(outputs: dict[str, Path], inputs: dict[str, Path]) -> None:
    seen: dict[Path, str] = {}
    for name, path in [*inputs.items(), *outputs.items()]:
        key = path.resolve()
        if key in seen:
            raise CommandLineError(f"{name}: {path} is also {seen[key]}; an output never overwrites another file")
        seen[key] = name if name.startswith("--") else f"the input {name}"


def check_writable(path: Path, option: str | None = None) -> Path:
    """``path`` if a file can be written there: not a folder, and in a folder that exists."""
    where = f"{option}: " if option else ""
    if path.is_dir():
        raise UsageError(f"{where}{path} is a folder; give a file name to write")
    if not path.parent.is_dir():
        raise UsageError(f"{where}{path}: the folder {path.parent} does not exist")
    return path
