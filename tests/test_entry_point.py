"""``cti.cli.main`` stays the entry point, however the command line's modules were imported before.

Importing a submodule binds it as an attribute of its package: a submodule named ``main`` would
replace the function ``cti.cli.main`` for everyone who imports it afterwards.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import cti.cli


def test_importing_every_command_line_module_leaves_cti_cli_main_the_function(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cti.cli.main(["config", "default"]) == 0
    capsys.readouterr()
    for module in pkgutil.iter_modules(cti.cli.__path__):
        importlib.import_module(f"cti.cli.{module.name}")
    from cti.cli import main

    assert callable(main)
    assert main.__module__ == "cti.cli"
