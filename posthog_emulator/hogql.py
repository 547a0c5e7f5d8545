"""HogQL on chDB: resolve HogQL tables and fields, apply PostHog's limits, shape the response.

Owns `run()`, the body of `EventStore.run_hogql`: it takes a HogQL SELECT (parsed by
`hogql_prepare`), checks every table, rewrites HogQL-only forms into ClickHouse SQL over one
store's database (property access, the lazy `person` join, `system.*` tables), applies
PostHog's LIMIT rules and OFFSET policy, runs it, and builds the HogQLQueryResponse body.
Data warehouse tables (`stripe.customer`) read the store's synced tables; saved views are
expanded into subqueries of their HogQL text (`warehouse.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlglot
from sqlglot import exp

from . import events_chdb as engine
from .hogql_fields import bracket_keys, rewrite_fields, scope_of
from .hogql_prepare import HogQLError, parse, scan, substitute
from .hogql_tables import EXTRA_FIELDS, HOGQL_TABLES, system_table_sql
from .warehouse import Warehouse

__all__ = ["DEFAULT_RETURNED_ROWS", "MAX_SELECT_RETURNED_ROWS", "HogQLError", "run"]

DEFAULT_RETURNED_ROWS = 100
MAX_SELECT_RETURNED_ROWS = 50_000
# OFFSET_NOT_ALLOWED_MESSAGE (posthog/hogql/user_query_validator.py, in the source facts).
OFFSET_REFUSED = (
    "OFFSET is not supported on queries made with a personal API key. For pagination, use keyset "
    "pagination on the `timestamp` column, e.g. `WHERE timestamp > :last_seen_timestamp ORDER BY "
    "timestamp LIMIT N`. For bulk data extraction, use batch exports: "
    "https://posthog.com/docs/cdp/batch-exports"
)
_SIMPLE_NAME = re.compile(r'"([A-Za-z_$][A-Za-z0-9_$]*)"')


def run(
    db: str,
    query: str,
    values: Mapping[str, Any] | None,
    *,
    system_tables: Mapping[str, list[dict[str, Any]]],
    allow_offset: bool = False,
    timezone: str = "UTC",
    week_start_day: int = 0,
    team_id: int = 1,
    warehouse: Warehouse | None = None,
) -> dict[str, Any]:
    """Run `query` against store database `db`; return the response body or raise HogQLError.

    `timezone` is the one HogQL converts DateTime columns to (PostHog's PropertySwapper wraps
    each in toTimeZone) and the session timezone of date functions and string constants;
    `week_start_day` gives `toStartOfWeek(x)` its mode."""
    if not isinstance(query, str) or not query.strip():
        raise HogQLError("Query is empty")
    text, names = scan(query)
    tree = parse(text)
    substitute(tree, names, values)
    _coerce_iso_datetimes(tree, timezone)
    _check_clauses(tree, allow_offset)
    columns = _column_names(tree)
    limit, paginate = _apply_limit(tree)
    hogql_text = _printable(tree.sql(dialect="clickhouse"))
    warehouse = warehouse or Warehouse()
    _expand_views(tree, warehouse)
    tables = _check_tables(tree, warehouse)
    for select in list(tree.find_all(exp.Select)):
        rewrite_fields(select, scope_of(select, tables))
    view = _View(db, timezone, team_id, {c.name for c in tree.find_all(exp.Column)})
    _map_tables(tables, system_tables, view, warehouse)
    _map_functions(tree, week_start_day)
    final = _finalise(tree, columns, view)
    sql = final.sql(dialect="clickhouse")
    settings = engine.READ_SETTINGS.replace(
        "session_timezone='UTC'", f"session_timezone={_quote(timezone)}"
    )
    try:
        doc = engine.query_json(f"{sql} SETTINGS {settings}, readonly=2")
    except engine.EngineError as exc:
        raise HogQLError(_engine_message(str(exc), db)) from exc
    meta = doc.get("meta", [])
    rows = _convert_rows(doc.get("data", []), meta, timezone)
    has_more: bool | None = None
    if paginate:
        has_more = len(rows) > DEFAULT_RETURNED_ROWS
        rows = rows[:DEFAULT_RETURNED_ROWS]
    return {
        "columns": [m["name"] for m in meta],
        "types": [[m["name"], m["type"]] for m in meta],
        "results": rows,
        "hasMore": has_more,
        "limit": DEFAULT_RETURNED_ROWS if paginate else None,
        "offset": limit[1] if paginate else None,
        "hogql": hogql_text,
        "clickhouse": sql.replace(f"{db}.", ""),
        "query": query,
        "error": None,
        "explain": None,
        "metadata": None,
        "modifiers": {},
        "timings": [],
        "query_status": None,
        "is_cached": False,
        "timezone": timezone,
    }


def _quote(text: str) -> str:
    return exp.Literal.string(text).sql(dialect="clickhouse")


def _printable(sql: str) -> str:
    return _SIMPLE_NAME.sub(
        lambda m: m.group(1) if "$" not in m.group(1) else f"`{m.group(1)}`", sql
    )


_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between)


def _coerce_iso_datetimes(tree: exp.Expression, timezone: str) -> None:
    """ISO-8601 strings with `T` or a zone, compared with something, become DateTime64 values.

    PostHog compares `timestamp > '2024-01-01T00:00:00Z'` as times; ClickHouse alone only parses
    'YYYY-MM-DD hh:mm:ss' from a string literal in a comparison. A string without a zone is read
    in the project's timezone, as PostHog's printer does.
    """
    for node in list(tree.find_all(*_COMPARISONS)):
        for child in list(node.iter_expressions()):
            if (
                isinstance(child, exp.Literal)
                and child.is_string
                and _ISO_DATETIME.match(child.name)
                and ("T" in child.name or not child.name[-1].isdigit() or "+" in child.name)
            ):
                child.replace(
                    exp.Anonymous(
                        this="parseDateTime64BestEffort",
                        expressions=[
                            child.copy(),
                            exp.Literal.number(6),
                            exp.Literal.string(timezone),
                        ],
                    )
                )


def _check_clauses(tree: exp.Expression, allow_offset: bool) -> None:
    for node in tree.find_all(exp.Select):
        if node.args.get("into"):
            raise HogQLError("SELECT ... INTO is not supported")
        node.set("settings", None)
        node.set("format", None)
    if not allow_offset and any(True for _ in tree.find_all(exp.Offset)):
        raise HogQLError(OFFSET_REFUSED)


def _column_names(tree: exp.Expression) -> list[str | None]:
    """The names PostHog prints for the top-level columns (None for `*`)."""
    first = tree
    while isinstance(first, exp.SetOperation):
        first = first.this
    if not isinstance(first, exp.Select):
        return []
    names: list[str | None] = []
    for projection in first.expressions:
        if isinstance(projection, exp.Alias):
            names.append(projection.alias)
        elif isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            names.append(None)
        elif isinstance(projection, exp.Column):
            # PostHog's printer aliases an unaliased field chain to its last element
            # (`properties.$browser` AS `$browser`; source facts, property notes).
            names.append(projection.name)
        elif isinstance(projection, exp.Bracket) and bracket_keys(projection):
            names.append(bracket_keys(projection)[-1])
        else:
            names.append(_printable(projection.sql(dialect="clickhouse")))
    return names


def _apply_limit(tree: exp.Expression) -> tuple[tuple[int | None, int], bool]:
    """Apply PostHog's LIMIT rules to the outermost query; return ((limit, offset), paginated)."""
    offset_node = tree.args.get("offset")
    offset = 0
    if offset_node is not None and isinstance(offset_node.expression, exp.Literal):
        offset = int(offset_node.expression.name)
    limit_node = tree.args.get("limit")
    if limit_node is None:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(DEFAULT_RETURNED_ROWS + 1)))
        return (DEFAULT_RETURNED_ROWS, offset), True
    value = limit_node.expression
    if isinstance(value, exp.Literal) and value.is_int:
        capped = min(int(value.name), MAX_SELECT_RETURNED_ROWS)
        limit_node.set("expression", exp.Literal.number(capped))
        return (capped, offset), False
    limit_node.set(
        "expression",
        exp.Anonymous(
            this="least", expressions=[exp.Literal.number(MAX_SELECT_RETURNED_ROWS), value]
        ),
    )
    return (None, offset), False


_MAX_VIEW_DEPTH = 8


def _expand_views(tree: exp.Expression, warehouse: Warehouse) -> None:
    """Each saved view a query names becomes a subquery of its HogQL text (views may use views;
    a cycle is refused after a few levels)."""
    for _ in range(_MAX_VIEW_DEPTH):
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        named = [
            table
            for table in tree.find_all(exp.Table)
            if isinstance(table.this, exp.Identifier)
            and not table.db
            and table.name in warehouse.views
            and table.name not in ctes
        ]
        if not named:
            return
        for table in named:
            saved = warehouse.views[table.name]
            text, _ = scan(saved.query)
            alias = exp.TableAlias(this=exp.to_identifier(table.alias_or_name))
            table.replace(exp.Subquery(this=parse(text), alias=alias))
    raise HogQLError("Saved views nest too deeply (is one view defined in terms of itself?)")


def _check_tables(tree: exp.Expression, warehouse: Warehouse) -> dict[int, tuple[exp.Table, str]]:
    """Classify every table reference; unknown tables and table functions are refused."""
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for node in tree.find_all(exp.From):
        if not isinstance(node.this, (exp.Table, exp.Subquery)):
            raise HogQLError(f"Unknown table `{_printable(node.this.sql(dialect='clickhouse'))}`.")
    found: dict[int, tuple[exp.Table, str]] = {}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            func = table.this
            if isinstance(func, exp.Anonymous) and func.name.lower() == "numbers":
                found[id(table)] = (table, "numbers")
                continue
            raise HogQLError(f"Unknown table `{_printable(func.sql(dialect='clickhouse'))}`.")
        name, db = table.name, table.db
        if table.args.get("catalog"):
            raise HogQLError(f"Unknown table `{table.sql(dialect='clickhouse')}`.")
        if db == "system":
            kind = "system"
            if system_table_sql(name, None) is None:
                raise HogQLError(f"Unknown table `system.{name}`.")
        elif db:
            if warehouse.table(f"{db}.{name}") is None:
                raise HogQLError(f"Unknown table `{db}.{name}`.")
            kind = "warehouse"
        elif name in ctes:
            kind = "cte"
        elif name in HOGQL_TABLES:
            kind = name
        elif warehouse.table(name) is not None:
            kind = "warehouse"
        else:
            raise HogQLError(f"Unknown table `{name}`.")
        found[id(table)] = (table, kind)
    return found


@dataclass(frozen=True)
class _View:
    """How a query sees the store's tables: DateTime columns in `timezone`, and the PostHog
    fields the store lacks (`EXTRA_FIELDS`) that the query names."""

    db: str
    timezone: str
    team_id: int
    named: set[str]

    def place(self, table: exp.Table, name: str, alias: str) -> None:
        extras = {k: v for k, v in EXTRA_FIELDS.get(name, {}).items() if k in self.named}
        target = exp.TableAlias(this=exp.to_identifier(alias, quoted=True))
        if self.timezone == "UTC" and not extras:
            table.set("this", exp.to_identifier(name))
            table.set("db", exp.to_identifier(self.db))
            table.set("alias", target)
            return
        projections: list[Any] = []
        for column, type_name in engine.columns(self.db, name):
            ref: Any = exp.column(column, quoted=True)
            if self.timezone != "UTC" and _strip_type(type_name).startswith("DateTime"):
                ref = exp.alias_(
                    exp.Anonymous(
                        this="toTimeZone", expressions=[ref, exp.Literal.string(self.timezone)]
                    ),
                    column,
                    quoted=True,
                )
            projections.append(ref)
        for field_name, sql in extras.items():
            value = sqlglot.parse_one(sql.format(team=int(self.team_id)), read="clickhouse")
            projections.append(exp.alias_(value, field_name, quoted=True))
        select = exp.select(*projections).from_(exp.table_(name, db=self.db))
        table.replace(exp.Subquery(this=select, alias=target))


def _map_tables(
    tables: dict[int, tuple[exp.Table, str]],
    system_tables: Mapping[str, list[dict[str, Any]]],
    view: _View,
    warehouse: Warehouse,
) -> None:
    for table, kind in tables.values():
        alias = table.alias_or_name
        if kind in HOGQL_TABLES:
            view.place(table, kind, alias)
        elif kind == "warehouse":
            synced = warehouse.table(".".join(p for p in (table.db, table.name) if p))
            assert synced is not None
            view.place(table, synced.store_table, alias)
        elif kind == "system":
            sql = system_table_sql(table.name, system_tables.get(table.name) or [])
            assert sql is not None
            sub = sqlglot.parse_one(f"SELECT * FROM ({sql}) AS x", read="clickhouse")
            subquery = sub.args["from_"].this
            subquery.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
            table.replace(subquery)


# HogQL's own conversion functions, which return NULL where ClickHouse's would throw.
_CAST_FUNCTIONS = {"tofloat": "Float64", "toint": "Int64"}


# WeekStartDay.clickhouse_mode in PostHog: Sunday 0, Monday 3.
_WEEK_MODES = {0: 0, 1: 3}


def _map_functions(tree: exp.Expression, week_start_day: int) -> None:
    for call in list(tree.find_all(exp.Anonymous)):
        if call.name == "toStartOfWeek" and len(call.expressions) == 1:
            # If week mode hasn't been specified, PostHog's printer uses the project's.
            call.append("expressions", exp.Literal.number(_WEEK_MODES[week_start_day]))
            continue
        target = _CAST_FUNCTIONS.get(call.name.lower())
        if target and len(call.expressions) == 1:
            call.replace(
                exp.Anonymous(
                    this="accurateCastOrNull",
                    expressions=[call.expressions[0], exp.Literal.string(target)],
                )
            )


def _finalise(tree: exp.Expression, names: list[str | None], view: _View) -> exp.Expression:
    """Name the top-level columns as PostHog does, and point injected joins at the store."""
    for table in list(tree.find_all(exp.Table)):
        name = table.name
        if len(name) > 4 and name.startswith("__") and name.endswith("__"):
            view.place(table, name[2:-2], table.alias_or_name)
    top = tree
    if isinstance(tree, exp.SetOperation):
        limit = tree.args.get("limit")
        tree.set("limit", None)
        top = exp.select("*").from_(
            exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier("__union")))
        )
        top.set("limit", limit)
        first: exp.Expression = tree
        while isinstance(first, exp.SetOperation):
            first = first.this
        _name_projections(first, names)
    elif isinstance(tree, exp.Select):
        _name_projections(tree, names)
    return top


def _name_projections(select: exp.Expression, names: list[str | None]) -> None:
    if not isinstance(select, exp.Select):
        return
    projections = list(select.expressions)
    for projection, name in zip(projections, names):
        if name is None or isinstance(projection, exp.Alias):
            continue
        if isinstance(projection, exp.Column) and not projection.table and projection.name == name:
            continue
        projection.replace(exp.alias_(projection.copy(), name, quoted=True))


def _engine_message(message: str, db: str) -> str:
    text = message.replace(f"{db}.", "")
    code = re.search(r"\(([A-Z_]+)\)\s*$", text.strip())
    code_name = code.group(1) if code else ""
    if code_name == "UNKNOWN_IDENTIFIER":
        found = re.search(r"identifier `([^`]+)`", text) or re.search(r"columns: '([^']+)'", text)
        if found:
            return f"Unable to resolve field: {found.group(1)}"
    if code_name == "UNKNOWN_FUNCTION":
        found = re.search(r"[Ff]unction (?:with name )?`?'?([A-Za-z0-9_]+)", text)
        if found:
            # PostHog's words (printer visit_call); check_hogql refuses these names first.
            return f"Unsupported function call '{found.group(1)}(...)'"
    if code_name == "UNKNOWN_TABLE":
        found = re.search(r"[Tt]able (?:expression identifier )?[`']?([A-Za-z0-9_.]+)", text)
        if found:
            return f"Unknown table `{found.group(1)}`."
    text = re.sub(r"^Code: \d+\. DB::Exception: ", "", text.strip())
    text = re.sub(r"\s*In scope .*", "", text, flags=re.S)
    text = re.sub(r"\s*\([A-Z_]+\)\s*$", "", text)
    return text or "Query failed"


def _strip_type(type_name: str) -> str:
    while True:
        match = re.match(r"^(Nullable|LowCardinality)\((.*)\)$", type_name)
        if not match:
            return type_name
        type_name = match.group(2)


_TYPE_ZONE = re.compile(r"'([^']+)'\)$")


def _iso_with_offset(type_name: str, session_zone: str) -> Callable[[str], str]:
    """ClickHouse's local wall time as PostHog's orjson renders it: RFC 3339 with the offset of
    the column's timezone (the session's for a type without one, such as `now()`'s), `Z` for
    UTC, microseconds only when not zero."""
    zone = _TYPE_ZONE.search(type_name)
    name = zone.group(1) if zone else session_zone
    if name == "UTC":

        def utc(text: str) -> str:
            # ClickHouse's own text ("2026-01-02 03:04:05[.123456]") reshaped as isoformat
            # would: a string splice costs a fraction of parsing it.
            if len(text) == 26 and text[19] == "." and text[10] == " ":
                fraction = text[20:]
                tail = "Z" if fraction == "000000" else "." + fraction + "Z"
                return text[:10] + "T" + text[11:19] + tail
            if len(text) == 19 and text[10] == " ":
                return text[:10] + "T" + text[11:] + "Z"
            moment = datetime.fromisoformat(text)
            return (
                moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds") + "Z"
            )

        return utc
    info = ZoneInfo(name)

    def local(text: str) -> str:
        moment = datetime.fromisoformat(text).replace(tzinfo=info)
        return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")

    return local


def _converter(type_name: str, session_zone: str) -> Callable[[Any], Any] | None:
    """How a column of ClickHouse type `type_name` reaches the response (None: as it is).

    Chosen once per column: an answer can hold 50,000 rows, and working out the type per cell
    (regexes over the type text) cost several times ClickHouse's own time for the query."""
    base = _strip_type(type_name)
    if base.startswith("DateTime"):
        formatted = _iso_with_offset(base, session_zone)
        return lambda value: None if value is None else formatted(str(value))
    if base.startswith("Array("):
        inner = _converter(base[len("Array(") : -1], session_zone)
        if inner is None:
            return None
        convert = inner
        return lambda value: [convert(v) for v in value] if isinstance(value, list) else value
    if base.startswith(("Int", "UInt")):
        return lambda value: int(value) if isinstance(value, str) else value
    if base.startswith("Float"):
        # ClickHouse's JSON prints 50.0 as 50; PostHog's native client reads a Python float.
        return lambda value: float(value) if isinstance(value, int) else value
    return None


def _convert_rows(
    rows: list[list[Any]], meta: list[dict[str, str]], session_zone: str
) -> list[list[Any]]:
    """`rows` as PostHog's response carries them, converted a column at a time."""
    converters = [_converter(column["type"], session_zone) for column in meta]
    for index, convert in enumerate(converters):
        if convert is None:
            continue
        for row in rows:
            row[index] = convert(row[index])
    return rows
