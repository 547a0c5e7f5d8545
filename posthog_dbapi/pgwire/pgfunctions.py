"""The SQL functions catalog queries call, registered on a session's catalog database.

``has_table_privilege`` and friends answer the real rights PostHog gives (SELECT everywhere,
INSERT/UPDATE/DELETE where the API allows them); ``format_type``, ``regtype``/``regclass`` casts
and ``to_regtype`` read ``pgtypes``; ``pg_get_constraintdef``/``pg_get_indexdef`` print the
primary and foreign keys the catalog holds; ``current_setting`` reads the session's settings.
Functions PostgreSQL has but whose answer is meaningless here (``pg_relation_size``,
``pg_get_expr`` on absent defaults) return what an empty PostgreSQL would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.driver.routes import DeleteStyle
from posthog_dbapi.exceptions import ProgrammingError
from posthog_dbapi.names import quote_identifier
from posthog_dbapi.pgwire.pgtypes import format_type, type_oid

if TYPE_CHECKING:
    from posthog_dbapi.pgwire.pgcatalog import CatalogDatabase

__all__ = ["quote_ident", "register_functions", "unquote_relation"]


def _pg_format(fmt: str, *args: Any) -> str:
    """PostgreSQL's ``format()``: ``%s``, ``%I`` (identifier), ``%L`` (literal), ``%%``."""
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        spec = match.group(1)
        if spec == "%":
            return "%"
        value = next(values, None)
        if spec == "I":
            return quote_ident(str(value))
        if spec == "L":
            return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"
        return "" if value is None else str(value)

    return re.sub(r"%([sIL%])", one, fmt)


def quote_ident(name: str) -> str:
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return quote_identifier(name)


def unquote_relation(name: str) -> tuple[str | None, str]:
    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', name)
    names = [quoted.replace('""', '"') if quoted else bare.lower() for quoted, bare in parts]
    if len(names) >= 2:
        return names[-2], names[-1]
    return None, names[-1] if names else ""


def _array(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return list(json.loads(text))
        # int2vector/oidvector text form: "1 2"
        return [int(v) for v in text.split()]
    return [value]


def _subscript(array: Any, index: Any, base: int = 1) -> Any:
    """``array[index]``: NULL for a NULL array or an index out of range."""
    items = _array(array)
    if index is None:
        return None
    position = int(index) - int(base)
    return items[position] if 0 <= position < len(items) else None


class _Functions:
    def __init__(self, catalog: CatalogDatabase) -> None:
        self.catalog = catalog
        self._schemas: dict[int, str] | None = None

    def to_regclass(self, name: Any) -> int | None:
        if name is None:
            return None
        if isinstance(name, int):
            return name
        schema, table = unquote_relation(str(name))
        for candidate in [schema] if schema else ["public", "pg_catalog"]:
            oid = self.catalog.oids.get((candidate, table))
            if oid is not None:
                return oid
        return None

    def regclass(self, name: Any) -> int | None:
        """The OID of a relation named ``name`` (``'public.events'``, ``'"public"."events"'``)."""
        oid = self.to_regclass(name)
        if oid is None and name is not None:
            raise ProgrammingError(f'relation "{name}" does not exist', {"table": str(name)})
        return oid

    def regclass_text(self, oid: Any) -> str | None:
        if oid is None:
            return None
        for (schema, name), known in self.catalog.oids.items():
            if known == oid:
                return name if schema in ("public", "pg_catalog") else f"{schema}.{name}"
        return str(oid)

    @staticmethod
    def to_regtype(name: Any) -> int | None:
        if name is None:
            return None
        return int(name) if isinstance(name, int) else type_oid(str(name))

    def regtype(self, name: Any) -> int | None:
        oid = self.to_regtype(name)
        if oid is None and name is not None:
            raise ProgrammingError(f'type "{name}" does not exist', {"type": str(name)})
        return oid

    def privilege(self, *args: Any) -> int:
        """has_table_privilege([user,] table, privilege): the real rights PostHog gives."""
        table, privilege = args[-2], str(args[-1]).lower()
        relation = self.catalog.relations.get(self.regclass(table) or 0)
        allowed = {"select": True}
        if relation is not None and relation.writable and relation.schema is None:
            # Which writes: the REST resource's route (the listing says only "writable").
            route = RESOURCES[relation.name].route
            allowed.update(insert=route.can_create, update=route.can_update,
                           delete=route.delete_style is not DeleteStyle.NONE)  # fmt: skip
        asked = [p.strip() for p in privilege.replace(" with grant option", "").split(",")]
        return int(any(allowed.get(p, False) for p in asked))

    def table_visible(self, oid: Any) -> int:
        """Whether the relation is found without its schema: the search path is ``public``
        and ``pg_catalog``, so psql's ``\\dt`` lists those and ``\\dt stripe.*`` the others."""
        if self._schemas is None:
            self._schemas = {known: schema for (schema, _), known in self.catalog.oids.items()}
        return int(self._schemas.get(oid, "public") in ("public", "pg_catalog"))

    def constraintdef(self, oid: Any, *_pretty: Any) -> str | None:
        return self.catalog.constraint_defs.get(oid)

    def indexdef(self, oid: Any, column: Any = 0, *_pretty: Any) -> str | None:
        index = self.catalog.index_defs.get(oid)
        if index is None:
            return None
        definition, columns = index
        if column:
            return columns[int(column) - 1] if 0 < int(column) <= len(columns) else ""
        return definition

    def register(self) -> None:
        def regexp(pattern: Any, value: Any) -> int | None:
            if pattern is None or value is None:
                return None
            return int(re.search(str(pattern), str(value)) is not None)

        catalog = self.catalog
        settings = catalog.settings
        scalar: dict[str, Callable[..., Any]] = {
            "regexp": regexp,
            "pg_regclass": self.regclass,
            "to_regclass": self.to_regclass,
            "pg_regclass_text": self.regclass_text,
            "pg_regtype": self.regtype,
            "to_regtype": self.to_regtype,
            "pg_regtype_text": lambda oid: None if oid is None else format_type(oid),
            "has_table_privilege": self.privilege,
            "has_any_column_privilege": self.privilege,
            "has_column_privilege": lambda *a: self.privilege(*a[:-2], a[-1]),
            "has_schema_privilege": lambda *a: int(str(a[-1]).lower() == "usage"),
            "has_database_privilege": lambda *a: 1,
            "has_sequence_privilege": lambda *a: 0,
            "pg_table_is_visible": self.table_visible,
            "pg_type_is_visible": lambda *a: 1,
            "pg_function_is_visible": lambda *a: 1,
            "pg_collation_is_visible": lambda *a: 1,
            "pg_opclass_is_visible": lambda *a: 1,
            "format_type": lambda oid, *a: format_type(oid),
            "col_description": lambda oid, n: catalog.comments.get((oid, n)),
            "obj_description": lambda oid, *a: catalog.comments.get((oid, 0)),
            "shobj_description": lambda *a: None,
            "pg_get_userbyid": lambda *a: catalog.user,
            "pg_get_expr": lambda *a: None,
            "pg_get_constraintdef": self.constraintdef,
            "pg_get_indexdef": self.indexdef,
            "pg_get_viewdef": lambda *a: None,
            "pg_get_function_result": lambda *a: None,
            "pg_get_statisticsobjdef_columns": lambda *a: None,
            "pg_relation_is_publishable": lambda *a: 0,
            "pg_get_function_arguments": lambda *a: None,
            "pg_get_serial_sequence": lambda *a: None,
            "pg_get_partkeydef": lambda *a: None,
            "pg_relation_size": lambda *a: 0,
            "pg_total_relation_size": lambda *a: 0,
            "pg_table_size": lambda *a: 0,
            "pg_indexes_size": lambda *a: 0,
            "pg_database_size": lambda *a: 0,
            "pg_size_pretty": lambda n: f"{n} bytes",
            "pg_is_in_recovery": lambda: 0,
            "pg_my_temp_schema": lambda: 0,
            "pg_subscript": _subscript,
            "pg_series": lambda start, stop, step=1: (
                None
                if start is None or stop is None
                else json.dumps(list(range(int(start), int(stop) + 1, int(step))))
            ),
            "pg_encoding_to_char": lambda *a: "UTF8",
            "pg_char_to_encoding": lambda *a: 6,
            "pg_backend_pid": lambda: 1,
            "txid_current": lambda: 1,
            "format": _pg_format,
            "quote_ident": lambda name: None if name is None else quote_ident(str(name)),
            "current_setting": lambda name, *a: settings.get(str(name).lower()),
            "array_upper": lambda array, dim=1: len(_array(array)) or None,
            "array_lower": lambda array, dim=1: 1 if _array(array) else None,
            "array_length": lambda array, dim=1: len(_array(array)) or None,
            "cardinality": lambda array: len(_array(array)),
            "array_position": lambda array, value: (
                _array(array).index(value) + 1 if value in _array(array) else None
            ),
            "array_to_string": lambda array, sep, *a: (
                sep.join(map(str, _array(array))) if array is not None else None
            ),
        }
        for name, function in scalar.items():
            catalog.db.create_scalar_function(name, function, -1, deterministic=True)


def register_functions(catalog: CatalogDatabase) -> None:
    """Registers the functions on ``catalog``'s SQLite connection."""
    _Functions(catalog).register()
