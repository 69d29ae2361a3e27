"""The ``cti`` command line: the top of the house; nothing imports it.

* :mod:`cti.cli.run` — run a command; refused input, Ctrl-C and SIGTERM to
  one line and an exit status (docs/cli.md);
* :mod:`cti.cli.signals` — how Ctrl-C and SIGTERM stop a command;
* :mod:`cti.cli.parser` — every command, option and help text;
* :mod:`cti.cli.arguments` — the types and bounds of number options;
* :mod:`cti.cli.options` — the centre file, the database, times given as options;
* :mod:`cti.cli.times` — the dates accepted, and times shown whatever is stored;
* :mod:`cti.cli.output` — consoles, output paths checked first, JSON and CSV, progress bars;
* :mod:`cti.cli.tables` — tables that fit the terminal, dates in one format;
* :mod:`cti.cli.jsondoc` and ``schemas/`` — the JSON Schemas and docs/json.md made from them;
* one module per command group: :mod:`~cti.cli.config`, :mod:`~cti.cli.demo`,
  :mod:`~cti.cli.export`, :mod:`~cti.cli.calls`, :mod:`~cti.cli.directory`,
  :mod:`~cti.cli.cases`, :mod:`~cti.cli.audit`, :mod:`~cti.cli.erlang`,
  :mod:`~cti.cli.scenario` (with the scenario and centre loading the capacity
  commands share), :mod:`~cti.cli.simulate` (with :mod:`~cti.cli.replay`),
  :mod:`~cti.cli.staff`;
* shared views: :mod:`~cti.cli.figures` (a run's figures as tables) and
  :mod:`~cti.cli.screenpop` (a screen pop as tables, masked or not).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cti``; Ctrl-C while it is still loading is an interrupt like any other (one line, 130)."""
    try:
        from cti.cli.run import main as run
    except KeyboardInterrupt:
        print("cti: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return run(argv)


__all__ = ["main"]
