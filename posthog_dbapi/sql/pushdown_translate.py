"""Translate one SQLite-dialect SELECT into a HogQL tree with exactly the same result.

Input is SQL as SQLAlchemy's SQLite compiler and Superset emit it (qmark ``?`` parameters,
``json_extract(properties, '$.plan')`` / ``properties ->> '$.plan'`` for properties, SQLite time
grain expressions). Every node is checked against an allow-list; each allowed node has a HogQL
form that gives the same value as SQLite would over the fallback's rows (the representation of
`pushdown_tables`). Anything else raises `Unsupported` and the statement runs in SQLite.

Injection safety comes from the shape of the output, not from escaping:
- every string a user typed (literal or parameter) becomes a ``{pN}`` placeholder whose value
  travels in the Query API's ``values``; numbers are rendered by sqlglot from Python ints/floats;
- every identifier in the output is either a known column of the connection's HogQL tables
  (quoted by `pushdown_dialect.identifier`) or a generated name (``t0``, ``c0``, ``cte0``): user
  aliases are mapped, never copied.

The translator lives in modules along its seams; this one holds `translate()`, the entry point
the planner and the adapters import:

- `pushdown_model`: the shapes (`Typed`, `Scope`, `Translation`, ...) and value placeholders;
- `pushdown_statements`: SELECT, FROM, CTEs, subqueries, compound SELECTs, GROUP BY, ORDER BY,
  LIMIT/OFFSET;
- `pushdown_joins`: JOIN clauses, with SQLite's NULL padding of outer joins;
- `pushdown_expressions`: operators, functions, CASE, CAST, aggregates;
- `pushdown_functions`: `%`, FILTER, LIKE, GLOB, typeof, windows, EXISTS, constants SQLite computes;
- `pushdown_properties`: JSON property paths and timestamps (comparisons, strftime, grains);
- `pushdown_numbers` (with `pushdown_numexpr` and `pushdown_client`): numbers SQLite types row
  by row, arithmetic and aggregates over JSON properties;
- `pushdown_text`: ``group_concat``, and text SQLite formats (of properties, ``printf``, ...)
  finished by SQLite on the client; `pushdown_regroup`: such a GROUP BY key, merged by the
  client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from posthog_dbapi.sql.pushdown_model import OutputColumn, Scope, Translation, Unsupported
from posthog_dbapi.sql.pushdown_statements import Translator, constant_int
from posthog_dbapi.sql.pushdown_tables import HOGQL_BUILTIN_TABLES, HogQLTable
from posthog_dbapi.sql.pushdown_tokens import number_params, projection_texts
from posthog_dbapi.sql.statements import AGGREGATE_NAMES

__all__ = ["OutputColumn", "Translation", "Unsupported", "translate"]


def translate(
    sql: str, params: Sequence[Any] = (), tables: dict[str, HogQLTable] | None = None
) -> Translation:
    """Translate `sql` (one SELECT, SQLite dialect) or raise `Unsupported`."""
    numbered = number_params(sql)
    try:
        statements = [s for s in sqlglot.parse(numbered, read="sqlite") if s is not None]
    except SqlglotError as exc:
        raise Unsupported(f"sqlglot cannot parse it: {str(exc)[:120]}") from exc
    if len(statements) != 1:
        raise Unsupported("not exactly one statement")
    tree = statements[0]
    if isinstance(tree, (exp.Union, exp.Intersect, exp.Except)):
        tree = _compound_as_select(tree, sql)
    if not isinstance(tree, exp.Select):
        raise Unsupported(f"{type(tree).__name__} (only SELECT is pushed down)")
    translator = Translator(params, dict(tables if tables is not None else HOGQL_BUILTIN_TABLES))
    limit = constant_int(tree.args.get("limit"), translator)
    offset = constant_int(tree.args.get("offset"), translator) or 0
    if tree.args.get("limit") is not None and limit is not None and limit < 0:
        limit = None
    if offset < 0:
        offset = 0
    body = tree.copy()
    body.set("limit", None)
    body.set("offset", None)
    out, columns, scope = translator.select(body)
    texts = projection_texts(sql)
    expanded = any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and
                   isinstance(p.this, exp.Star)) for p in tree.expressions)  # fmt: skip
    if not expanded and len(texts) == len(columns):
        for column, text, proj in zip(columns, texts, tree.expressions):
            if not isinstance(proj, (exp.Alias, exp.Column)):
                column.name = text
    aggregated = bool(
        body.args.get("group") or body.args.get("distinct") or body.args.get("having")
        or any(node.find(exp.AggFunc) or _anonymous_aggregate(node) for node in body.expressions)
    )  # fmt: skip
    source = next(iter(scope.sources.values()))
    key_sources, unpaged, padded, table = _paging(scope, body, aggregated)
    used = {node.name for node in out.find_all(exp.Placeholder)}
    for name in [n for n in translator.values if n not in used]:
        del translator.values[name]  # a constant the translation turned into another value
    order = out.args.get("order")
    order_keys = scope.order_keys if scope.keyset_order and key_sources else []
    regroup = translator.regroup
    if regroup is not None:
        # Its groups are merged, ordered and limited by the client (`pushdown_regroup`).
        regroup.limit, regroup.offset = limit, offset
        limit, offset = None, 0
    return Translation(
        tree=out,
        values=translator.values,
        columns=columns,
        limit=limit,
        offset=offset,
        aggregated=aggregated,
        ordered=order is not None,
        table=table,
        source_alias=source.alias,
        order_keys=order_keys,
        key_sources=key_sources,
        padded=padded,
        unpaged=unpaged,
        finish_rows=regroup,
    )


def _paging(
    scope: Scope, body: exp.Select, aggregated: bool
) -> tuple[list[tuple[str, HogQLTable]], str, dict[str, str], HogQLTable | None]:
    """How an answer past one page is paged: the key sources (alias, table), why it cannot be
    (empty when it can), the padded sides' markers and the single table, if it is one."""
    # A join multiplies rows, so one table's keys do not page it, but all its tables' keys do
    # (a side an outer join pads pages by NULL-safe keys, see `pushdown_planner._keys`); a
    # window sees the whole table, so a page (rows after the last key) would change its values.
    pageable = not aggregated and body.find(exp.Window) is None
    key_sources: list[tuple[str, HogQLTable]] = []
    for s in scope.sources.values():
        keyed = s.table or s.keys  # a table, or a derived table that carries its tables' keys
        if keyed is not None and keyed.keys:
            key_sources.append((s.alias, keyed))
    unpaged = ""
    if not pageable or len(key_sources) != len(scope.sources):
        key_sources = []
        unpaged = (
            "its aggregate, GROUP BY or DISTINCT" if aggregated
            else "its window function" if pageable is False
            else "a subquery or CTE in FROM that limits, groups or deduplicates rows"
        )  # fmt: skip
    padded = {s.alias: s.marker for s in scope.sources.values() if s.marker and key_sources}
    source = next(iter(scope.sources.values()))
    table = source.table if key_sources and len(scope.sources) == 1 else None
    return key_sources, unpaged, padded, table


def _anonymous_aggregate(node: exp.Expression) -> bool:
    """An aggregate sqlglot reads as an unknown function (SQLite's ``total()``, ...)."""
    return any(f.name.lower() in AGGREGATE_NAMES for f in node.find_all(exp.Anonymous))


def _compound_as_select(tree: exp.SetOperation, sql: str) -> exp.Select:
    """``a UNION b ORDER BY x LIMIT n`` as ``SELECT * FROM (a UNION b) ORDER BY x LIMIT n``, the
    first member's unnamed columns named by their text (SQLite's names for the result)."""
    first: exp.Expression = tree
    while isinstance(first, exp.SetOperation):
        first = first.this
    if not isinstance(first, exp.Select):
        raise Unsupported("a compound SELECT whose first member is not a SELECT")
    texts = projection_texts(sql)
    if len(texts) == len(first.expressions):
        first.set("expressions", [
            p if isinstance(p, (exp.Alias, exp.Column, exp.Star)) else exp.alias_(p, text)
            for p, text in zip(first.expressions, texts)
        ])  # fmt: skip
    bare = tree.copy()
    for arg in ("order", "limit", "offset"):
        bare.set(arg, None)
    wrapper = exp.Select(expressions=[exp.Star()]).from_(
        exp.Subquery(this=bare, alias=exp.TableAlias(this=exp.to_identifier("u")))
    )
    for arg in ("order", "limit", "offset"):
        wrapper.set(arg, tree.args.get(arg))
    return wrapper
