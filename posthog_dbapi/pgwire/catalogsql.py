"""Catalog-query idioms SQLite lacks, rewritten on the sqlglot tree before it is written out.

Clients' catalog queries (SQLAlchemy's reflection, pgjdbc's ``getPrimaryKeys``, psqlODBC's
``SQLStatistics``) use PostgreSQL features the SQLite catalog database has no form for:

- set-returning functions in the select list: ``unnest(arr)``, ``generate_subscripts(arr, 1)``
  and ``information_schema._pg_expandarray(arr)`` (with ``(...).x``/``(...).n``) become a
  ``json_each(arr)`` joined to the query's FROM (arrays are JSON text in the catalog);
- ``(record).field`` on such a column reads the column itself;
- ``array_agg``/``bool_and``/``bool_or``/``json_build_object``/``string_agg`` become SQLite's
  ``json_group_array``/``min``/``max``/``json_object``/``group_concat``;
- ``E'...'`` strings become plain literals.
"""

from __future__ import annotations

from typing import cast

from sqlglot import exp

__all__ = ["rewrite_catalog"]

_SRF_NAMES = ("generate_subscripts", "_pg_expandarray")


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
        node = cast(exp.Expression, node.expression)
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.Explode):
        return "unnest"
    return ""


def _srf_array(node: exp.Expression) -> exp.Expression | None:
    name = _function_name(node)
    if name == "unnest":
        return node.this if isinstance(node, exp.Explode) else None
    if name in _SRF_NAMES:
        func = node.expression if isinstance(node, exp.Dot) else node
        return func.expressions[0] if func.expressions else None
    return None


def _unnest_projections(select: exp.Select) -> None:
    joins: dict[str, exp.Identifier] = {}

    def source(array: exp.Expression) -> exp.Identifier:
        key = array.sql("postgres")
        if key not in joins:
            alias = exp.to_identifier(f"_srf{len(joins)}")
            joins[key] = alias
            table = exp.Table(
                this=exp.Anonymous(this="json_each", expressions=[array.copy()]),
                alias=exp.TableAlias(this=alias.copy()),
            )
            select.append("joins", exp.Join(this=table, kind="CROSS"))
        return joins[key]

    for projection in list(select.expressions):
        for node in list(projection.walk()):
            if not isinstance(node, exp.Expression) or node.find_ancestor(exp.Select) is not select:
                continue
            if isinstance(node, exp.Dot) and isinstance(node.this, exp.Paren):
                array = _srf_array(node.this.this)
                if array is not None and _function_name(node.this.this) == "_pg_expandarray":
                    alias = source(array)
                    field = node.expression.name.lower()
                    node.replace(_element(alias, "key" if field == "n" else "value"))
                continue
            array = _srf_array(node)
            if array is None:
                continue
            alias = source(array)
            subscript = _function_name(node) == "generate_subscripts"
            node.replace(_element(alias, "key" if subscript else "value"))


def _element(alias: exp.Identifier, part: str) -> exp.Expression:
    column = exp.column(part, table=alias.name)
    # PostgreSQL arrays count from 1 (pgjdbc's KEY_SEQ, SQLAlchemy's column order).
    return (
        exp.Paren(this=exp.Add(this=column, expression=exp.Literal.number(1)))
        if (part == "key")
        else column
    )


_AGGREGATES = {"bool_and": "MIN", "bool_or": "MAX", "every": "MIN"}


def _rewrite(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.ByteString):
        text = str(node.this).replace("\\\\", "\\").replace("\\'", "'")
        return exp.Literal.string(text)
    if isinstance(node, exp.Dot) and isinstance(node.this, exp.Paren):
        # (record).field where the record is already a plain column
        return node.this.this
    if isinstance(node, exp.ArrayAgg):
        inner = node.this
        order = None
        if isinstance(inner, exp.Order):
            order, inner = inner, inner.this
        aggregate = exp.Anonymous(this="json_group_array", expressions=[inner])
        if order is not None:
            # SQLite 3.44+ takes ORDER BY inside an aggregate's arguments.
            return exp.Anonymous(
                this="json_group_array",
                expressions=[exp.Order(this=inner, expressions=order.expressions)],
            )
        return aggregate
    if isinstance(node, (exp.LogicalAnd, exp.LogicalOr)):
        return exp.Anonymous(
            this="MIN" if isinstance(node, exp.LogicalAnd) else "MAX", expressions=[node.this]
        )
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in _AGGREGATES:
        return exp.Anonymous(this=_AGGREGATES[str(node.this).lower()], expressions=node.expressions)
    if isinstance(node, exp.JSONObject) or (
        isinstance(node, exp.Anonymous) and str(node.this).lower() == "json_build_object"
    ):
        return exp.Anonymous(this="json_object", expressions=list(node.expressions))
    return None


def rewrite_catalog(tree: exp.Expression) -> exp.Expression:
    """``tree`` with the idioms above in SQLite's forms (for the catalog database only)."""
    for dot in list(tree.find_all(exp.Dot)):
        schema_function = isinstance(dot.expression, exp.Func) and (
            dot.this.name == "information_schema"
        )
        if schema_function and _function_name(dot) != "_pg_expandarray":
            dot.replace(dot.expression)
    for select in list(tree.find_all(exp.Select)):
        _unnest_projections(select)
    for node in reversed(cast(list[exp.Expression], list(tree.walk(bfs=False)))):
        replacement = _rewrite(node)
        if replacement is not None:
            if node is tree:
                tree = replacement
            else:
                node.replace(replacement)
    return tree
