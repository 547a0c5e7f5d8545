"""The type map: catalog field types (``get_fields``) to SQLAlchemy types.

Each column kind names its SQLAlchemy type (``catalog.spec.ColumnType.types``); this module only
resolves the name. The DB-API cursor already returns Python objects (``datetime``, ``bool``,
``int``), so the types here carry no SQLite string-parsing result processors (the dialect empties
``colspecs``). JSON columns arrive as JSON text; ``sqlalchemy.JSON`` decodes them for ORM and
Core users.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import types as sqltypes

from posthog_dbapi.catalog.spec import ColumnType

__all__ = ["sqlalchemy_type"]


def sqlalchemy_type(info: dict[str, Any]) -> sqltypes.TypeEngine[Any]:
    """The SQLAlchemy type of one field info (contract: ``{"type", "max_length", "enum", ...}``)."""
    kind = ColumnType.of(info.get("type", "string"))
    types = kind.types
    if kind is ColumnType.DATETIME:
        return sqltypes.DateTime(timezone=True)
    max_length = info.get("max_length") if kind is ColumnType.STRING else None
    length = max_length if isinstance(max_length, int) else types.sqlalchemy_length
    if length is not None:
        return sqltypes.String(length)
    factory: type[sqltypes.TypeEngine[Any]] = getattr(sqltypes, types.sqlalchemy)
    return factory()
