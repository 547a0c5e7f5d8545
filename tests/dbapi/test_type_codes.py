"""Every map from a column kind to a type is derived from the column model (``catalog/spec``).

Expected values come from the model's declared table (``ColumnType.types``) or from an
independent declaration (shillelagh's ``db_api_type`` of a field, the Python class of a fetched
value); never from the map under test.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import posthog_dbapi.types as pep249
from posthog_dbapi.adapters.values import field_for
from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.catalog.spec import ColumnType
from posthog_dbapi.dbapi.describe import describe


def kind_samples(conn: Any) -> dict[ColumnType, tuple[str, str]]:
    """One (table, column) of each kind the REST tables have, by the kinds the server's schema
    declares (the connection types columns with those; no REST column is a DATE)."""
    samples: dict[ColumnType, tuple[str, str]] = {}
    for resource in RESOURCES.values():
        if resource.hogql_table is None:
            for column, info in conn.state.fields(resource.name).items():
                samples.setdefault(ColumnType.of(info.get("type")), (resource.name, column))
    return samples


def _group_of_value(value: Any) -> pep249.DBAPITypeObject:
    if isinstance(value, (dt.datetime, dt.date)):
        return pep249.DATETIME
    if isinstance(value, (bool, int, float)):
        return pep249.NUMBER
    return pep249.STRING


def test_each_kind_declares_a_field_of_its_codes_pep249_group() -> None:
    for kind in ColumnType:
        field = field_for(kind.value)
        assert kind.types.code == getattr(pep249, field.db_api_type), kind


def test_description_codes_are_the_declared_codes_of_each_kind(conn: Any) -> None:
    samples = kind_samples(conn)
    assert len(samples) == len(ColumnType) - 1
    for kind, (table, column) in samples.items():
        cur = conn.cursor()
        # GROUP BY keeps the statement on the SQLite path, where describe() names the codes.
        cur.execute(f"SELECT {column}, count(*) FROM {table} WHERE {column} IS NOT NULL "
                    f"GROUP BY {column} LIMIT 1")  # fmt: skip
        row = cur.fetchone()
        code = cur.description[0][1]
        assert code == kind.types.code, (table, column)
        if row is not None:
            assert code == _group_of_value(row[0]), (table, column, row[0])


def test_a_declared_type_without_a_catalog_column_names_its_kind(conn: Any) -> None:
    for kind in ColumnType:
        if kind is ColumnType.UUID:  # declared TEXT, like a string: a TEXT column is a string
            continue
        description, _ = describe(conn, [("x", kind.types.sqlite.lower(), "main", None, None)])
        assert description[0][1] == kind.types.code, kind
    assert describe(conn, [("b", "BLOB", "main", None, None)])[0][0][1] == "binary"
