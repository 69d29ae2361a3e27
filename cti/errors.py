"""The ``cti`` package's errors: each carries a one-line message fit for the user."""

from __future__ import annotations


class CtiError(Exception):
    """Base of the errors ``cti`` reports to the user (exit status 1)."""


class UsageError(CtiError):
    """Input a command refuses: a missing database, a bad file, a centre that cannot serve (exit status 1)."""


class CommandLineError(UsageError):
    """A fault decidable from the command line alone: conflicting or missing flags, a value out of range (exit 2)."""
