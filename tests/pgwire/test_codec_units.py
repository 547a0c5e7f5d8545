"""Binary values, arrays, COPY statements and parameter types, without sockets."""

from __future__ import annotations

import datetime as dt
import decimal
import struct

import pytest

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.exceptions import NotSupportedError
from posthog_dbapi.pgwire.binvalues import decode_numeric, encode_numeric, interval_text
from posthog_dbapi.pgwire.codec import OID, encode_value
from posthog_dbapi.pgwire.copyout import BINARY_HEADER, parse_copy
from posthog_dbapi.pgwire.paramcodec import decode_param, parse_array_text
from posthog_dbapi.pgwire.pgtypes import format_type, type_oid
from posthog_dbapi.pgwire.translate import Translator


@pytest.mark.parametrize("text", ["0", "1", "-1", "12345.678", "0.0001", "100000000", "-0.5"])
def test_numeric_binary_round_trip(text: str) -> None:
    value = decimal.Decimal(text)
    data = encode_numeric(value)
    assert decode_numeric(data) == value
    assert decode_param(data, OID.NUMERIC, 1) == (
        int(value) if value == int(value) else float(value)
    )


def test_numeric_binary_layout_matches_postgres() -> None:
    # numeric_send(12345.678): 3 base-10000 digits [1, 2345, 6780], weight 1, scale 3
    assert encode_numeric(decimal.Decimal("12345.678")) == struct.pack(
        "!hhHh3h", 3, 1, 0, 3, 1, 2345, 6780
    )


def test_interval_and_time_binary() -> None:
    data = encode_value(dt.timedelta(days=2, hours=3), OID.INTERVAL, 1)
    assert data == struct.pack("!qii", 3 * 3600 * 1_000_000, 2, 0)
    assert decode_param(data, OID.INTERVAL, 1) == "2 days 03:00:00"
    assert interval_text("1 year 2 mons 3 days 04:05:06") == "1 year 2 mons 3 days 04:05:06"
    assert encode_value("04:05:06", OID.TIME, 1) == struct.pack(
        "!q", (4 * 3600 + 5 * 60 + 6) * 10**6
    )


def test_arrays_text_and_binary() -> None:
    assert encode_value('["a", "b c", null]', OID.TEXT_ARRAY, 0) == b'{a,"b c",NULL}'
    assert encode_value("[1, 2]", OID.INT2VECTOR, 0) == b"1 2"
    binary = encode_value("[7]", OID.INT2_ARRAY, 1)
    assert binary == struct.pack("!iiIiiih", 1, 0, OID.INT2, 1, 1, 2, 7)
    assert decode_param(b"{r,v}", 1009, 0) == '["r", "v"]'
    assert decode_param(binary, OID.INT2_ARRAY, 1) == "[7]"
    assert parse_array_text('{"a\\"b",NULL,c}') == ['a"b', None, "c"]


def test_type_names() -> None:
    assert type_oid("integer") == OID.INT4 and type_oid("pg_catalog.int8") == OID.INT8
    assert type_oid("timestamp with time zone") == OID.TIMESTAMPTZ
    assert type_oid("text[]") == 1009
    assert format_type(OID.FLOAT8) == "double precision" and format_type(1) == "???"


def test_copy_statements() -> None:
    copy = parse_copy("COPY (SELECT ')' AS p) TO STDOUT (FORMAT binary);")
    assert copy is not None and copy.format == "binary" and copy.query == "SELECT ')' AS p"
    table = parse_copy('COPY public."events" (uuid, event) TO STDOUT WITH CSV HEADER')
    assert table is not None and table.query == 'SELECT uuid, event FROM public."events"'
    assert table.format == "csv" and table.header
    assert table.encode_row(["a,b", None], [OID.TEXT, OID.TEXT]) == b'"a,b",\n'
    text = parse_copy("COPY feature_flags TO STDOUT")
    assert text is not None
    assert text.encode_row(["x\ty", None], [OID.TEXT, OID.TEXT]) == b"x\\ty\t\\N\n"
    binary = parse_copy("COPY (SELECT 1) TO STDOUT (FORMAT binary)")
    assert binary is not None
    assert binary.encode_row([5], [OID.INT8]) == struct.pack("!hiq", 1, 8, 5)
    assert BINARY_HEADER.startswith(b"PGCOPY\n\xff\r\n\x00")
    assert parse_copy("SELECT 1") is None
    with pytest.raises(NotSupportedError, match="TO STDOUT"):
        parse_copy("COPY events FROM STDIN")


def _types(sql: str) -> dict[int, int]:
    kinds = {"boolean": OID.BOOL, "integer": OID.INT8, "datetime": OID.TIMESTAMPTZ}

    def column_type(schema: str, table: str, column: str) -> int | None:
        fields = {"active": "boolean", "id": "integer", "created_at": "datetime", "key": "string"}
        kind = fields.get(column) if table == "feature_flags" else None
        return kinds.get(kind, OID.TEXT) if kind else None

    translator = Translator(RESOURCES, user="u", database="1", version="v", column_type=column_type)
    return translator.translate(sql).param_types


def test_parameter_types_follow_what_they_meet() -> None:
    assert _types("SELECT id FROM feature_flags WHERE active = $1 AND id > $2") == {
        0: OID.BOOL, 1: OID.INT8
    }  # fmt: skip
    assert _types("SELECT id FROM feature_flags f WHERE $1 < f.created_at LIMIT $2") == {
        0: OID.TIMESTAMPTZ, 1: OID.INT8
    }  # fmt: skip
    assert _types("SELECT $1::int4, id FROM feature_flags WHERE id IN ($2, $3)") == {
        0: OID.INT4, 1: OID.INT8, 2: OID.INT8
    }  # fmt: skip
    assert _types("UPDATE feature_flags SET active = $1 WHERE key = $2") == {
        0: OID.BOOL, 1: OID.TEXT
    }  # fmt: skip
    assert _types("SELECT id FROM feature_flags WHERE key = $1 || 'x'") == {}


def test_information_schema_has_the_standard_columns() -> None:
    from posthog_dbapi.catalog.spec import ColumnType
    from posthog_dbapi.catalog.tables import ColumnInfo, TableInfo
    from posthog_dbapi.pgwire.pgcatalog import CatalogDatabase

    columns = (ColumnInfo("id", ColumnType.INTEGER), ColumnInfo("created_at", ColumnType.DATETIME))
    table = TableInfo(None, "feature_flags", "rest", columns, ("id",), writable=True)
    catalog = CatalogDatabase(
        [(16384, table)],
        user="u",
        database="1",
        settings={"timezone": "UTC"},
    )
    try:
        cursor = catalog.cursor()
        rows = cursor.execute(
            "SELECT column_name, data_type, numeric_precision, datetime_precision, is_nullable, "
            "udt_name, is_identity, is_generated FROM information_schema.columns "
            "ORDER BY ordinal_position"
        ).fetchall()
        names = [
            d[0] for d in cursor.execute("SELECT * FROM information_schema.columns").description
        ]
        tables = cursor.execute(
            "SELECT table_name, table_type, is_insertable_into, commit_action "
            "FROM information_schema.tables"
        ).fetchall()
    finally:
        catalog.close()
    assert rows == [
        ("id", "bigint", 64, None, "NO", "int8", "NO", "NEVER"),
        ("created_at", "timestamp with time zone", None, 6, "YES", "timestamptz", "NO", "NEVER"),
    ]
    assert names[:8] == [
        "table_catalog", "table_schema", "table_name", "column_name", "ordinal_position",
        "column_default", "is_nullable", "data_type",
    ]  # fmt: skip
    assert {"character_octet_length", "collation_name", "identity_cycle", "is_updatable"} <= set(
        names
    )
    assert len(names) == 44
    assert tables == [("feature_flags", "BASE TABLE", "YES", None)]
