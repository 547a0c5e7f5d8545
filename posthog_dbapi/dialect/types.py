"""The type map: catalog field types (``get_fields``) to SQLAlchemy types.

The DB-API cursor already returns Python objects (``datetime``, ``bool``, ``int``), so the types
here carry no SQLite string-parsing result processors (the dialect empties ``colspecs``). JSON
columns arrive as JSON text; ``sqlalchemy.JSON`` decodes them for ORM and Core users.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import types as sqltypes

__all__ = ["sqlalchemy_type"]


def sqlalchemy_type(info: dict[str, Any]) -> sqltypes.TypeEngine[Any]:
    """The SQLAlchemy type of one field info (contract: ``{"type", "max_length", "enum", ...}``)."""
    kind = info.get("type", "string")
    if kind == "integer":
        return sqltypes.BigInteger()
    if kind == "number":
        return sqltypes.Float()
    if kind == "boolean":
        return sqltypes.Boolean()
    if kind == "datetime":
        return sqltypes.DateTime(timezone=True)
    if kind == "date":
        return sqltypes.Date()
    if kind == "json":
        return sqltypes.JSON()
    if kind == "uuid":
        return sqltypes.String(36)
    max_length = info.get("max_length")
    return sqltypes.String(max_length) if isinstance(max_length, int) else sqltypes.Text()
