"""PostgreSQL-dialect SQL to the SQLite SQL the DB-API (or the catalog database) runs.

sqlglot reads PostgreSQL and writes SQLite; what it leaves invalid for SQLite is rewritten here:

- ``date_trunc``, ``extract`` and ``± INTERVAL`` become the SQLite grains the DB-API's HogQL
  pushdown recognises (``timefuncs``), so a time series over events still runs inside PostHog;
  ``now()``, ``current_date`` and timestamp literals are folded to ISO text in the tables' own
  format (``2024-01-02T03:04:05+00:00``), so text comparisons with stored timestamps order
  correctly; ``"public"."events"."timestamp"`` loses its schema.
- Catalog idioms: ``'x'::regclass``/``::regtype`` → ``pg_regclass``/``pg_regtype`` (and their
  ``::text`` the name), ``::oid``/``::name``/``::char`` dropped, ``x = ANY(array)`` →
  ``x IN (SELECT value FROM json_each(array))`` (arrays are JSON text), ``pg_catalog.f()`` →
  ``f()``, ``version()``, ``current_user``, ``current_schemas(true)`` and friends → literals;
  the rest of the catalog-only forms in ``catalogsql``.
- ``date_trunc($1, ...)``'s unit is written in at Bind (``literal_params``); each parameter's
  type comes from what it meets (``paramtypes``).
- ``$n`` parameters become ``?`` in text order, with ``param_order`` saying which ``$n`` each
  ``?`` binds (a parameter may repeat).

Each statement is routed: the connection's tables go to the DB-API connection; anything else
(``pg_catalog``, ``information_schema``, no table at all) to the session's catalog database.
A table in schema ``public`` is the connection's table of that name; one in another schema
(``stripe.customer``) keeps its schema, which the connection resolves.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from posthog_dbapi.exceptions import NotSupportedError, ProgrammingError
from posthog_dbapi.names import close_names, did_you_mean
from posthog_dbapi.pgwire.catalogsql import rewrite_catalog
from posthog_dbapi.pgwire.hints import projection_hints
from posthog_dbapi.pgwire.paramtypes import (
    ColumnType,
    infer_param_types,
    parameter_number,
    static_columns,
)
from posthog_dbapi.pgwire.timefuncs import extract_part, iso, parse_moment, shift, truncate

__all__ = ["CATALOG_SCHEMAS", "USER_SCHEMA", "Translation", "Translator"]

USER_SCHEMA = "public"
CATALOG_SCHEMAS = frozenset({"pg_catalog", "information_schema"})
_KEYWORD_COLUMN = re.compile(
    r'(?:(?<=[\w"])\.|\bAS\s+)(select|update|insert|delete|table|schema)\b(?!\s*\()', re.I
)
_OPERATOR = re.compile(r"OPERATOR\(\s*pg_catalog\.([^)\s]+)\s*\)", re.I)
_COLLATE = re.compile(r'\s+COLLATE\s+(?:pg_catalog\.)?"?(?:default|C|POSIX)"?', re.I)
_MARKER = re.compile(r":pgp(\d+)\b")
_FUNCTION_NAMES: dict[type[exp.Expression], str] = {
    exp.CurrentVersion: "version", exp.CurrentSchema: "current_schema",
    exp.CurrentUser: "current_user", exp.CurrentDatabase: "current_database",
    exp.CurrentTimestamp: "now", exp.CurrentDate: "current_date",
}  # fmt: skip


@dataclass
class Translation:
    """One statement, ready for SQLite."""

    sql: str
    target: str
    """``"posthog"`` (the DB-API connection) or ``"catalog"`` (the session's catalog database)."""
    command: str
    """``SELECT``, ``INSERT``, ``UPDATE`` or ``DELETE``: the command tag's verb."""
    param_order: list[int] = field(default_factory=list)
    hints: list[str | None] | None = None
    """Per result column, a type the SQL implies that SQLite cannot carry: ``"bool"``,
    ``"timestamp"``, ``"date"``; ``None`` when the columns could not be followed."""
    sources: list[tuple[str, str | None]] | None = None
    """Per projection, the PostHog table and column it reads unchanged (column ``None``: the
    table's ``*``), or ``("", None)``; lets the catalog type columns the HogQL route reports
    only as text."""
    param_types: dict[int, int] = field(default_factory=dict)
    """0-based parameter index -> the type OID the statement implies (Describe reports it)."""
    static_columns: list[tuple[str, int]] | None = None
    """The result columns when the statement alone tells them (Describe needs no run)."""
    literal_params: frozenset[int] = frozenset()
    """Parameters that must be written into the SQL (a ``date_trunc`` unit): the statement is
    translated again with their values at Bind; ``sql`` is a stand-in until then."""


class Translator:
    """Translates one session's statements (its user and database name fill the literals)."""

    def __init__(
        self,
        tables: Collection[str] | Callable[[], Collection[str]],
        *,
        user: str,
        database: str,
        version: str,
        now: Callable[[], dt.datetime] | None = None,
        column_type: ColumnType | None = None,
        fields: Callable[[str, str], list[str]] | None = None,
        has_table: Callable[[str], bool] | None = None,
    ) -> None:
        """``tables``: the connection's tables by SQL name (``events``, ``stripe.customer``), or
        a function giving them, called only when needed (listing them may cost the connection
        a schema request); ``has_table`` answers for one name, without listing when it can."""
        self._tables = tables
        self._known: frozenset[str] | None = None
        self.has_table: Callable[[str], bool] = has_table or (lambda key: key in self.tables)
        self._column_type: ColumnType = column_type or (lambda _s, _t, _c: None)
        self._fields: Callable[[str, str], list[str]] = fields or (lambda _s, _t: [])
        self.user = user
        self.database = database
        self.version = version
        self._now = now or (lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def tables(self) -> frozenset[str]:
        """The connection's tables by SQL name."""
        if self._known is None:
            tables = self._tables
            self._known = frozenset(tables() if callable(tables) else tables)
        return self._known

    @staticmethod
    def table_key(schema: str, name: str) -> str:
        """The SQL name of table ``name`` in ``schema`` (``public`` is the default schema)."""
        return name if schema in ("", USER_SCHEMA) else f"{schema}.{name}"

    # --- entry point --------------------------------------------------------------------------

    def translate(self, sql: str, literals: Mapping[int, Any] | None = None) -> Translation:
        """``sql`` for SQLite; ``literals`` (0-based index -> value) inlines those parameters."""
        # Metabase names columns "select", "update", ...: quote them so sqlglot can parse.
        text = _KEYWORD_COLUMN.sub(
            lambda m: m.group(0)[: -len(m.group(1))] + f'"{m.group(1).lower()}"', sql
        )
        text = _COLLATE.sub("", _OPERATOR.sub(r"\1", text))
        try:
            tree = cast(exp.Expression, sqlglot.parse_one(text, read="postgres"))
        except sqlglot.errors.SqlglotError as exc:
            raise ProgrammingError(
                f"Cannot parse the statement: {str(exc).splitlines()[0]}",
                {"sql": sql},
                suggestion="Check the SQL syntax (PostgreSQL dialect).",
            ) from exc
        if tree is None:
            raise ProgrammingError("Empty statement.", suggestion="Send a SQL statement.")
        tree = normalize_identifiers(tree, dialect="postgres")
        command = self._command(tree)
        target = self._route(tree)
        param_types = infer_param_types(tree, self._column_type)
        literal_params = _inline_literals(tree, literals)
        if command == "SELECT":
            self._name_columns(tree)
        static = (
            static_columns(tree, self._column_type, self._fields)
            if command == "SELECT" and target == "posthog"
            else None
        )
        hints = self._hints(tree) if command == "SELECT" else None
        sources = self._sources(tree) if command == "SELECT" and target == "posthog" else None
        now = self._now()
        for dot in list(tree.find_all(exp.Dot)):
            if isinstance(dot.expression, exp.Func) and dot.this.name == "pg_catalog":
                dot.replace(dot.expression)
        _name_casts(tree)
        if target == "catalog":
            tree = rewrite_catalog(tree)
        nodes = cast(list[exp.Expression], list(tree.walk(bfs=False)))
        for node in reversed(nodes):
            replacement = self._rewrite(node, target, now)
            if replacement is not None and replacement is not node:
                if node is tree:
                    tree = replacement
                else:
                    node.replace(replacement)
        out = tree.sql(dialect="sqlite")
        order: list[int] = []

        def number(match: re.Match[str]) -> str:
            order.append(int(match.group(1)) - 1)
            return "?"

        out = _MARKER.sub(number, out)
        return Translation(
            out, target, command, order, hints, sources, param_types, static, literal_params
        )

    # --- analysis -----------------------------------------------------------------------------

    @staticmethod
    def _command(tree: exp.Expression) -> str:
        if isinstance(tree, exp.Insert):
            return "INSERT"
        if isinstance(tree, exp.Update):
            return "UPDATE"
        if isinstance(tree, exp.Delete):
            return "DELETE"
        if isinstance(tree, (exp.Query, exp.Values)):
            return "SELECT"
        raise NotSupportedError(
            f"{tree.key.upper()} statements are not supported.",
            suggestion="PostHog tables take SELECT, INSERT, UPDATE and DELETE.",
        )

    def _route(self, tree: exp.Expression) -> str:
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        posthog = catalog = False
        for table in tree.find_all(exp.Table):
            name, schema = table.name, table.db
            if isinstance(table.this, exp.Func) or (not schema and name in ctes):
                continue
            if schema in CATALOG_SCHEMAS or (not schema and name.startswith("pg_")):
                catalog = True
            elif self.has_table(self.table_key(schema, name)):
                posthog = True
            else:
                where = f"{schema}.{name}" if schema else name
                raise ProgrammingError(
                    f'relation "{where}" does not exist',
                    {"table": where},
                    suggestion=_suggest(schema, name, self.tables),
                )
        if posthog and catalog:
            raise NotSupportedError(
                "A statement cannot join PostHog tables with pg_catalog or information_schema.",
                suggestion="Query the catalog and the PostHog tables in separate statements.",
            )
        return "posthog" if posthog else "catalog"

    @staticmethod
    def _name_columns(tree: exp.Expression) -> None:
        """Name unaliased expression columns as PostgreSQL does (``count``, ``?column?``)."""
        select = tree
        while isinstance(select, exp.SetOperation):
            select = select.this
        if not isinstance(select, exp.Select):
            return
        for projection in list(select.expressions):
            if isinstance(projection, (exp.Alias, exp.Column, exp.Star)):
                continue
            inner = projection
            while isinstance(inner, exp.Cast):
                inner = inner.this
            if isinstance(inner, exp.Column):
                name = inner.name
            elif type(projection) in _FUNCTION_NAMES:
                name = _FUNCTION_NAMES[type(projection)]
            elif isinstance(projection, (exp.TimestampTrunc, exp.DateTrunc)):
                name = "date_trunc"
            elif isinstance(projection, exp.Extract):
                name = "extract"
            elif isinstance(projection, exp.Anonymous):
                name = str(projection.this).lower()
            elif isinstance(projection, exp.Dot) and isinstance(projection.expression, exp.Func):
                name = projection.expression.name.lower()
            elif isinstance(projection, exp.Func) and not isinstance(projection, exp.Cast):
                name = projection.sql_name().lower()
            else:
                name = "?column?"
            projection.replace(exp.alias_(projection.copy(), name, quoted=True))

    def _sources(self, tree: exp.Expression) -> list[tuple[str, str | None]] | None:
        select = tree
        while isinstance(select, exp.SetOperation):
            select = select.this
        if not isinstance(select, exp.Select):
            return None
        aliases: dict[str, str] = {}
        for table in select.find_all(exp.Table):
            key = self.table_key(table.db, table.name)
            if table.find_ancestor(exp.Select) is select and self.has_table(key):
                aliases[table.alias_or_name] = key
        if not aliases:
            return None
        only = next(iter(aliases.values())) if len(aliases) == 1 else ""
        out: list[tuple[str, str | None]] = []
        for projection in select.expressions:
            inner = projection.unalias() if isinstance(projection, exp.Alias) else projection
            if isinstance(inner, exp.Star):
                out.append((only, None))
            elif isinstance(inner, exp.Column) and isinstance(inner.this, exp.Star):
                out.append((aliases.get(inner.table, ""), None))
            elif isinstance(inner, exp.Column):
                out.append((aliases.get(inner.table, "") if inner.table else only, inner.name))
            else:
                out.append(("", ""))
        return out

    def _hints(self, tree: exp.Expression) -> list[str | None] | None:
        ctes = {cte.alias_or_name: cte.this for cte in tree.find_all(exp.CTE)}
        return projection_hints(tree, ctes, 0)

    # --- rewriting ----------------------------------------------------------------------------

    def _rewrite(
        self, node: exp.Expression, target: str, now: dt.datetime
    ) -> exp.Expression | None:
        if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal):
            return exp.Placeholder(this=f"pgp{node.this.this}")
        if isinstance(node, exp.Table) and node.db == USER_SCHEMA:
            node.set("db", None)
            return node
        if isinstance(node, exp.Column) and node.args.get("db") and node.db == USER_SCHEMA:
            # Metabase's "public"."events"."timestamp": the table name alone is the reference
            node.set("db", None)
            return node
        if isinstance(node, exp.CurrentUser) or (
            isinstance(node, exp.Column) and node.name in ("current_user", "session_user", "user")
            and not node.table and not node.this.quoted
        ):  # fmt: skip
            return exp.Literal.string(self.user)
        if isinstance(node, exp.CurrentSchema):
            return exp.Literal.string(USER_SCHEMA)
        if isinstance(node, exp.CurrentDatabase):
            return exp.Literal.string(self.database)
        if isinstance(node, exp.CurrentVersion) or _named(node, "version"):
            return exp.Literal.string(self.version)
        if _named(node, "current_database"):
            return exp.Literal.string(self.database)
        if _named(node, "current_schema"):
            return exp.Literal.string(USER_SCHEMA)
        if isinstance(node, exp.CurrentTimestamp) or (
            isinstance(node, exp.Anonymous) and str(node.this).lower() in ("now", "clock_timestamp")
        ):
            return exp.Literal.string(iso(now))
        if isinstance(node, exp.CurrentDate):
            return exp.Literal.string(now.date().isoformat())
        if _named(node, "current_schemas") or type(node).__name__ == "CurrentSchemas":
            # current_schemas(true) includes the implicit pg_catalog, as PostgreSQL's does.
            argument = (
                node.this
                if type(node).__name__ == "CurrentSchemas"
                else (node.expressions[0] if node.expressions else None)
            )
            implicit = not (isinstance(argument, exp.Boolean) and not argument.this)
            schemas = ["pg_catalog", USER_SCHEMA] if implicit else [USER_SCHEMA]
            return exp.Literal.string(json.dumps(schemas))
        if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
            index = node.expressions[0]
            if isinstance(index, exp.Literal) and not index.is_string:
                return exp.Anonymous(
                    this="json_extract",
                    expressions=[_unparen(node.this), exp.Literal.string(f"$[{index.this}]")],
                )
            return None
        if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
            array = _unparen(node.expression.this)
            values = exp.select("value").from_(exp.Anonymous(this="json_each", expressions=[array]))
            return exp.In(this=node.this, query=exp.Subquery(this=values))
        if isinstance(node, exp.Array):
            return exp.Anonymous(this="json_array", expressions=list(node.expressions))
        if isinstance(node, exp.Cast):
            return self._cast(node)
        if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)):
            unit = node.unit.name if node.unit is not None else "day"
            if isinstance(node, exp.DateTrunc) and isinstance(node.this, exp.Literal):
                unit, column = node.this.name, node.expression
            else:
                column = node.this
            return truncate(unit, column)
        if isinstance(node, exp.Extract):
            return extract_part(node.this.name, node.expression)
        if isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Interval):
            return shift(node.this, node.expression, isinstance(node, exp.Sub))
        if isinstance(node, exp.UnixToTime):
            return exp.Anonymous(
                this="DATETIME", expressions=[node.this, exp.Literal.string("unixepoch")]
            )
        return None

    @staticmethod
    def _cast(node: exp.Cast) -> exp.Expression | None:
        to = node.to
        name = (
            str(to.this) if isinstance(to, exp.ObjectIdentifier) else to.sql("postgres")
        ).lower()
        inner = node.this
        if name in ("regclass", "regtype"):
            return exp.Anonymous(this=f"pg_{name}", expressions=[inner])
        if name in ("oid", "regproc", "regnamespace", "name", "char", '"char"', "json",
                    "jsonb", "uuid", "text[]", "name[]"):  # fmt: skip
            return inner
        if to.is_type(exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR) and not to.expressions:
            return inner
        if to.is_type(*exp.DataType.TEMPORAL_TYPES):
            if isinstance(inner, exp.Literal) and inner.is_string:
                try:
                    moment = parse_moment(inner.this)
                except ValueError:
                    return None
                if to.is_type(exp.DataType.Type.DATE):
                    return exp.Literal.string(moment.date().isoformat())
                return exp.Literal.string(iso(moment))
            if to.is_type(exp.DataType.Type.DATE):
                return exp.Anonymous(this="DATE", expressions=[inner])
            return exp.Anonymous(this="DATETIME", expressions=[inner])
        if to.is_type(exp.DataType.Type.INTERVAL):
            return exp.Interval(this=inner)
        return None


def _inline_literals(tree: exp.Expression, literals: Mapping[int, Any] | None) -> frozenset[int]:
    """Writes the parameters that must be SQL text (``date_trunc($1, ...)``'s unit) into
    ``tree``: their values from ``literals``, or a stand-in (``day``) until Bind gives them."""
    found: set[int] = set()
    for node in list(tree.find_all(exp.TimestampTrunc, exp.DateTrunc)):
        unit = node.args.get("unit")
        while isinstance(unit, (exp.Cast, exp.Paren)):
            unit = unit.this
        number = parameter_number(unit) if unit is not None else None
        if number is None:
            continue
        found.add(number)
        value = (literals or {}).get(number, "day")
        node.set("unit", exp.var(str(value).upper()))
    return frozenset(found)


def _name_casts(tree: exp.Expression) -> None:
    """``x::regtype::text`` and ``x::regclass::text`` print the name, not the OID (psql writes
    them schema-qualified: ``x::pg_catalog.regtype::pg_catalog.text``)."""
    for node in list(tree.find_all(exp.Cast)):
        to = node.to.sql("postgres")
        if to.lower().startswith("pg_catalog."):
            node.set("to", exp.DataType.build(to[len("pg_catalog.") :], dialect="postgres"))
    for node in list(tree.find_all(exp.Cast)):
        inner = node.this
        to = node.to.sql("postgres").lower()
        if to in ("text", "varchar", "name") and isinstance(inner, exp.Cast):
            kind = inner.to.sql("postgres").lower()
            if kind in ("regtype", "regclass"):
                value = inner.this
                if isinstance(value, exp.Literal) and value.is_string:
                    value = exp.Anonymous(this=f"pg_{kind}", expressions=[value])
                node.replace(exp.Anonymous(this=f"pg_{kind}_text", expressions=[value]))


def _suggest(schema: str, name: str, tables: Collection[str]) -> str:
    """The hint for an unknown table: the same name in another schema, a close name, the tables
    of the schema named, or the default schema's tables and the other schemas."""
    same = sorted(t for t in tables if t.rpartition(".")[2] == name)
    if same:
        return f"Write it with its schema: {', '.join(same)}."
    close = close_names(Translator.table_key(schema, name), sorted(tables))
    if close:
        return did_you_mean(close)
    inside = sorted(t for t in tables if t.startswith(f"{schema}."))
    if inside:
        return f"Schema {schema} has {', '.join(inside)}."
    public = sorted(t for t in tables if "." not in t)
    others = sorted({t.partition(".")[0] for t in tables if "." in t})
    hint = f"The tables in schema {USER_SCHEMA}: {', '.join(public)}."
    if others:
        hint += f" Other schemas: {', '.join(others)} (psql's \\dt SCHEMA.* lists their tables)."
    return hint


def _named(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).lower() == name


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node
