"""The ``cti`` command line: the top of the house; nothing imports it.

* :mod:`cti.cli.main` — ``main()``: run a command, map refused input to exit status 1;
* :mod:`cti.cli.parser` — every command, option and help text;
* :mod:`cti.cli.arguments` — the types of number options;
* :mod:`cti.cli.options` — the centre file, the database, times given as options;
* :mod:`cti.cli.output` — consoles, JSON and CSV files, progress bars;
* one module per command group: :mod:`~cti.cli.config`, :mod:`~cti.cli.demo`,
  :mod:`~cti.cli.export`, :mod:`~cti.cli.calls`, :mod:`~cti.cli.directory`,
  :mod:`~cti.cli.cases`, :mod:`~cti.cli.audit`, :mod:`~cti.cli.erlang`,
  :mod:`~cti.cli.scenario` (with the scenario and centre loading the capacity
  commands share), :mod:`~cti.cli.simulate` (with :mod:`~cti.cli.replay`),
  :mod:`~cti.cli.staff`;
* shared views: :mod:`~cti.cli.figures` (a run's figures as tables) and
  :mod:`~cti.cli.screenpop` (a screen pop as tables, masked or not).
"""

from cti.cli.main import main

__all__ = ["main"]
