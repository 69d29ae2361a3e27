"""The store's error."""

from __future__ import annotations

from cti.errors import CtiError


class StoreError(CtiError):
    """The database cannot be used (newer schema, not a store, a clash in the directory, ...)."""
