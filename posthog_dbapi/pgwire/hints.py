"""Column types a statement implies but SQLite cannot carry: booleans and truncated timestamps.

SQLite has no boolean type, so ``has_table_privilege(...)`` or ``a IS NOT NULL`` come back as 0
and 1; Metabase (Clojure) would read 0 as true. ``projection_hints`` walks the outermost SELECT,
through CTEs and subqueries named in ``t.*``, and says which columns are ``"bool"``,
``"timestamp"`` (``date_trunc``, casts) or ``"date"``.
"""

from __future__ import annotations

from sqlglot import exp

__all__ = ["projection_hints"]

_BOOL_FUNCTIONS = frozenset({
    "has_table_privilege", "has_any_column_privilege", "has_column_privilege",
    "has_schema_privilege", "has_database_privilege", "pg_table_is_visible",
    "pg_type_is_visible", "pg_function_is_visible",
})  # fmt: skip


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _hint(node: exp.Expression) -> str | None:
    node = node.this if isinstance(node, exp.Alias) else node
    node = _unparen(node)
    if isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Interval):
        # Metabase's Sunday weeks: date_trunc('week', x + INTERVAL '1 day') + INTERVAL '-1 day'
        return _hint(node.this)
    if isinstance(node, (exp.Predicate, exp.Connector, exp.Not, exp.Boolean)):
        return "bool"
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Anonymous):
        node = node.expression
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in _BOOL_FUNCTIONS:
        return "bool"
    if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)):
        return "timestamp"
    if isinstance(node, exp.ArrayAgg):
        return "array"
    if isinstance(node, exp.Cast):
        if node.to.is_type(exp.DataType.Type.BOOLEAN):
            return "bool"
        if node.to.is_type(exp.DataType.Type.DATE):
            return "date"
        if node.to.is_type(*exp.DataType.TEMPORAL_TYPES):
            return "timestamp"
    return None


def projection_hints(
    tree: exp.Expression, ctes: dict[str, exp.Expression], depth: int
) -> list[str | None] | None:
    if depth > 5:
        return None
    while isinstance(tree, exp.SetOperation):
        tree = tree.this
    if isinstance(tree, exp.Subquery):
        tree = tree.this
    if not isinstance(tree, exp.Select):
        return None
    sources: dict[str, exp.Expression] = {}
    for source in [tree.args.get("from_") or tree.args.get("from"), *tree.args.get("joins", [])]:
        if source is None:
            continue
        item = source.this
        if isinstance(item, exp.Subquery):
            sources[item.alias_or_name] = item.this
        elif isinstance(item, exp.Table) and item.name in ctes and not item.db:
            sources[item.alias_or_name] = ctes[item.name]
    hints: list[str | None] = []
    for projection in tree.expressions:
        star = projection if isinstance(projection, exp.Star) else None
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            star = projection.this
            inner = sources.get(projection.table)
            expanded = None if inner is None else projection_hints(inner, ctes, depth + 1)
            if expanded is None:
                return None
            hints.extend(expanded)
            continue
        if star is not None:
            if len(sources) != 1:
                return None
            expanded = projection_hints(next(iter(sources.values())), ctes, depth + 1)
            if expanded is None:
                return None
            hints.extend(expanded)
            continue
        hint = _hint(projection)
        column = _unparen(projection.unalias())
        if hint is None and isinstance(column, exp.Column):
            inner = sources.get(column.table) if column.table else None
            if inner is not None and isinstance(inner, exp.Select):
                for candidate in inner.expressions:
                    if candidate.alias_or_name == column.name:
                        hint = _hint(candidate)
        hints.append(hint)
    return hints
