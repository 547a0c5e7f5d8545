"""The built-in PostgreSQL types the server knows: OIDs, names, SQL names, array types, aliases.

``pg_type`` rows, ``format_type``, ``regtype`` casts (``'int4'::regtype``, ``oid::regtype::text``)
and ``to_regtype`` all read this one table, so a client's type lookup (pgjdbc's, psycopg's
``TypeInfo.fetch``, psqlODBC's) agrees with the OIDs the server sends in RowDescription.
"""

from __future__ import annotations

from dataclasses import dataclass

from posthog_dbapi.pgwire.codec import OID, TYPE_NAMES, TYPE_SIZES

__all__ = ["PG_TYPES", "PgType", "format_type", "type_oid"]


@dataclass(frozen=True)
class PgType:
    oid: int
    name: str
    sql_name: str
    """What ``format_type``/``regtype`` print (``integer``, ``timestamp with time zone``)."""
    array: int
    """OID of the array type (0 for an array type itself)."""
    elem: int = 0
    """For an array type, its element type."""
    category: str = "S"

    def function(self, kind: str) -> str:
        """PostgreSQL's I/O function name (``int4recv``, ``timestamp_recv``, ``array_in``):
        ADBC's and others' type resolvers key on ``typreceive``."""
        if self.elem:
            return f"array_{kind}"
        if self.name in _UNDERSCORED:
            return f"{self.name}_{kind}"
        return f"{self.name}{kind}"

    @property
    def size(self) -> int:
        return -1 if self.elem else TYPE_SIZES.get(self.oid, -1)


_UNDERSCORED = frozenset({
    "json", "jsonb", "date", "time", "timestamp", "timestamptz", "interval", "numeric", "uuid",
})  # fmt: skip
_SQL_NAMES = {
    OID.BOOL: "boolean", OID.INT2: "smallint", OID.INT4: "integer", OID.INT8: "bigint",
    OID.FLOAT4: "real", OID.FLOAT8: "double precision", OID.VARCHAR: "character varying",
    OID.BPCHAR: "character", OID.CHAR: '"char"', OID.TIME: "time without time zone",
    OID.TIMESTAMP: "timestamp without time zone", OID.TIMESTAMPTZ: "timestamp with time zone",
}  # fmt: skip
_ARRAYS = {
    OID.BOOL: 1000, OID.BYTEA: 1001, OID.CHAR: 1002, OID.NAME: 1003, OID.INT2: 1005,
    OID.INT4: 1007, OID.REGPROC: 1008, OID.TEXT: 1009, OID.OID: 1028, OID.JSON: 199,
    OID.FLOAT4: 1021, OID.FLOAT8: 1022, OID.BPCHAR: 1014, OID.VARCHAR: 1015, OID.INT8: 1016,
    OID.DATE: 1182, OID.TIME: 1183, OID.TIMESTAMP: 1115, OID.TIMESTAMPTZ: 1185,
    OID.INTERVAL: 1187, OID.NUMERIC: 1231, OID.REGCLASS: 2210, OID.REGTYPE: 2211,
    OID.UUID: 2951, OID.JSONB: 3807,
}  # fmt: skip
_CATEGORIES = {
    OID.BOOL: "B", OID.INT2: "N", OID.INT4: "N", OID.INT8: "N", OID.FLOAT4: "N",
    OID.FLOAT8: "N", OID.NUMERIC: "N", OID.OID: "N", OID.REGCLASS: "N", OID.REGTYPE: "N",
    OID.REGPROC: "N", OID.DATE: "D", OID.TIMESTAMP: "D", OID.TIMESTAMPTZ: "D", OID.TIME: "D",
    OID.INTERVAL: "T", OID.JSON: "U", OID.JSONB: "U", OID.UUID: "U", OID.BYTEA: "U",
    OID.UNKNOWN: "X",
}  # fmt: skip


def _build() -> dict[int, PgType]:
    types: dict[int, PgType] = {}
    for oid, name in TYPE_NAMES.items():
        array = _ARRAYS.get(oid, 0)
        category = _CATEGORIES.get(oid, "S")
        types[oid] = PgType(oid, name, _SQL_NAMES.get(oid, name), array, category=category)
        if array:
            sql = _SQL_NAMES.get(oid, name) + "[]"
            types[array] = PgType(array, "_" + name, sql, 0, elem=oid, category="A")
    return types


PG_TYPES: dict[int, PgType] = _build()
_BY_NAME: dict[str, int] = {}
for _type in PG_TYPES.values():
    _BY_NAME[_type.name] = _type.oid
    _BY_NAME[_type.sql_name] = _type.oid
    if _type.elem:
        _BY_NAME[PG_TYPES[_type.elem].name + "[]"] = _type.oid
_BY_NAME.update({
    "int": OID.INT4, "float": OID.FLOAT8, "decimal": OID.NUMERIC, "varchar": OID.VARCHAR,
    "char": OID.BPCHAR, "timestamp": OID.TIMESTAMP, "timestamptz": OID.TIMESTAMPTZ,
    "time": OID.TIME, '"char"': OID.CHAR, "string": OID.TEXT,
})  # fmt: skip


def type_oid(name: str) -> int | None:
    """The OID of a type written as SQL (``integer``, ``pg_catalog.int4``, ``"text"[]``)."""
    text = " ".join(name.strip().lower().replace('"', "").split())
    if text.startswith("pg_catalog."):
        text = text[len("pg_catalog.") :]
    if text.isdigit():
        return int(text) if int(text) in PG_TYPES else None
    return _BY_NAME.get(text)


def format_type(oid: int | None, typmod: int | None = None) -> str | None:
    """PostgreSQL's ``format_type``: the SQL name, ``???`` for an unknown OID."""
    if oid is None:
        return None
    known = PG_TYPES.get(int(oid))
    return "???" if known is None else known.sql_name
