"""The ``cti`` package's errors: each carries a one-line message fit for the user."""

from __future__ import annotations


class CtiError(Exception):
    """Base of the errors ``cti`` reports to the user (exit status 1)."""


class UsageError(CtiError):
    """Input a command refuses: a missing database, a bad ``--start``, ..."""
