"""Quiets one sqlglot warning that is wrong for SQLite: "Invalid JSON path syntax".

sqlglot reads a ``json_extract`` path with its own JSON-path grammar, which refuses keys that
SQLite accepts (``'$.$browser'``, PostHog's own property names), logs that warning on stderr, and
keeps the path as text. The translator reads such a path by SQLite's rules
(`pushdown_properties.json_path_keys`) and the SQLite route runs it as written, so the statement
works and the warning only alarms the user. Every other sqlglot message passes.
"""

from __future__ import annotations

import logging

__all__ = ["install"]


class _DropJsonPathWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith("Invalid JSON path syntax")


_FILTER = _DropJsonPathWarning()


def install() -> None:
    """Add the filter to sqlglot's logger (once)."""
    logger = logging.getLogger("sqlglot")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
