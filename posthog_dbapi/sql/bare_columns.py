"""Whether an aggregating SELECT reads a column outside its aggregates and GROUP BY keys.

SQLite answers ``SELECT event, count(*) FROM events`` with the ``event`` of one of the rows it
read (of the row holding the extreme, beside a lone ``min()`` or ``max()``). ClickHouse refuses
it: "Column ... is not under aggregate function and not in GROUP BY keys". Such a SELECT is not
pushed down, so the user gets SQLite's answer rather than PostHog's error.

The check reads the statement as written (sqlglot's SQLite AST), before translation: a column is
covered when it is inside an aggregate, inside an expression that is a GROUP BY key (a key may
name a result column by alias or position), or, in HAVING and ORDER BY, names a result column.
A subquery is checked on its own, when it is translated.
"""

from __future__ import annotations

from sqlglot import exp

from posthog_dbapi.sql.statements import AGGREGATE_NAMES

__all__ = ["bare_column"]


def bare_column(select: exp.Select) -> str | None:
    """The SQL text of the first column ``select`` reads outside its aggregates and GROUP BY
    keys, when it aggregates (a GROUP BY, HAVING, or an aggregate among its result columns);
    ``None`` when every column is covered or it does not aggregate."""
    group = select.args.get("group")
    having = select.args.get("having")
    results: list[exp.Expression] = [
        p.this if isinstance(p, exp.Alias) else p for p in select.expressions
    ]
    names = [p.alias if isinstance(p, exp.Alias) else None for p in select.expressions]
    if group is None and having is None and not any(map(_aggregates, results)):
        return None
    aliases = {name for name in names if name}
    keys = _keys(group, results, names)
    for result in results:
        found = _uncovered(result, keys, set())
        if found:
            return found
    order = select.args.get("order")
    tails = ([having.this] if having is not None else []) + [
        o.this for o in (order.expressions if order is not None else [])
    ]
    for tail in tails:
        if isinstance(tail, exp.Literal) and tail.is_int:
            continue  # ORDER BY 2: a result column, checked above
        found = _uncovered(tail, keys, aliases)
        if found:
            return found
    return None


def _is_aggregate(node: exp.Expr) -> bool:
    if isinstance(node.parent, exp.Window):
        return False
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in AGGREGATE_NAMES
    return isinstance(node, exp.AggFunc)


def _aggregates(node: exp.Expression) -> bool:
    return any(_is_aggregate(f) for f in node.find_all(exp.AggFunc, exp.Anonymous))


def _keys(
    group: exp.Group | None, results: list[exp.Expression], names: list[str | None]
) -> list[exp.Expression]:
    """The GROUP BY keys as expressions: a position or a result column's alias stands for that
    result column's expression (SQLite reads a name as a table's column first; either way the
    key covers what it names)."""
    keys: list[exp.Expression] = []
    for item in group.expressions if group is not None else []:
        keys.append(item)
        if isinstance(item, exp.Literal) and item.is_int:
            position = int(item.name)
            if 1 <= position <= len(results):
                keys.append(results[position - 1])
        elif isinstance(item, exp.Column) and not item.table:
            keys += [r for r, name in zip(results, names, strict=True) if name == item.name]
    return keys


def _same_column(a: exp.Column, b: exp.Column) -> bool:
    return a.name == b.name and (not a.table or not b.table or a.table == b.table)


def _uncovered(node: exp.Expression, keys: list[exp.Expression], aliases: set[str]) -> str | None:
    if any(_is_key(node, key) for key in keys):
        return None
    if isinstance(node, (exp.Subquery, exp.Select)):
        return None
    if _is_aggregate(node):
        return None
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.AggFunc):
        return None  # count(*) FILTER (WHERE event = ...): the condition is the aggregate's
    if isinstance(node, exp.Star):
        return "*"
    if isinstance(node, exp.Column):
        if isinstance(node.this, exp.Star):
            return node.sql(dialect="sqlite")
        if not node.table and node.name in aliases:
            return None  # HAVING or ORDER BY naming a result column, checked as a result
        return node.sql(dialect="sqlite")
    for child in node.iter_expressions():
        found = _uncovered(child, keys, aliases)
        if found:
            return found
    return None


def _is_key(node: exp.Expression, key: exp.Expression) -> bool:
    if isinstance(node, exp.Column) and isinstance(key, exp.Column):
        return _same_column(node, key)
    return node == key
