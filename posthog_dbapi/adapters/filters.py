"""Scan filters beyond shillelagh's: ``AnyOf``, the values of a ``col IN (...)`` SQLite hands a
virtual table all at once (``sqlite3_vtab_in``), so an adapter can ask for them in one request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shillelagh.filters import Filter

__all__ = ["AnyOf"]


@dataclass(frozen=True)
class AnyOf(Filter):
    """The column equals one of ``values`` (SQL ``IN``); NULLs in the list match nothing."""

    values: frozenset[Any]

    def check(self, value: Any) -> bool:
        return value is not None and value in self.values
