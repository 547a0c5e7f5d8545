"""Catalog-query idioms SQLite lacks, rewritten on the sqlglot tree before it is written out.

Clients' catalog queries (SQLAlchemy's reflection, pgjdbc's ``getPrimaryKeys``, psqlODBC's
``SQLStatistics``) use PostgreSQL features the SQLite catalog database has no form for:

- set-returning functions in the select list (``unnest(arr)``, ``generate_subscripts(arr, 1)``,
  ``generate_series(a, b)``, ``information_schema._pg_expandarray(arr)`` with its ``(...).x``
  and ``(...).n``) become a ``json_each`` joined to the query's FROM (arrays are JSON text);
- ``arr[i]`` becomes ``pg_subscript`` (1-based; ``int2vector`` columns such as ``indkey``
  0-based, as in PostgreSQL); ``bool_column = 't'`` compares with 1; a bare column in a JOIN's
  ON that a derived table outputs is qualified with it (PostgreSQL's scoping);
- ``(record).field`` on such a column reads the column itself;
- ``array_agg``/``bool_and``/``bool_or``/``json_build_object``/``string_agg`` become SQLite's
  ``json_group_array``/``min``/``max``/``json_object``/``group_concat``;
- ``FROM unnest(arr) x`` and ``ARRAY(SELECT ...)`` (psql's ``\\d``) become ``json_each`` and
  ``json_group_array``;
- ``E'...'`` strings become plain literals.
"""

from __future__ import annotations

from typing import cast

from sqlglot import exp

from posthog_dbapi.pgwire.pgschema import BOOL_COLUMNS

__all__ = ["rewrite_catalog"]

_SRF_NAMES = ("generate_subscripts", "_pg_expandarray")


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
        node = cast(exp.Expression, node.expression)
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.Explode):
        return "unnest"
    if isinstance(node, (exp.GenerateSeries, exp.ExplodingGenerateSeries)):
        return "generate_series"
    return ""


def _srf_array(node: exp.Expression) -> exp.Expression | None:
    name = _function_name(node)
    if name == "unnest":
        return node.this if isinstance(node, exp.Explode) else None
    if name in _SRF_NAMES:
        func = node.expression if isinstance(node, exp.Dot) else node
        return func.expressions[0] if func.expressions else None
    if name == "generate_series":
        parts = [node.args.get(k) for k in ("start", "end", "step")]
        args = [p.copy() for p in parts if isinstance(p, exp.Expression)]
        return exp.Anonymous(this="pg_series", expressions=args)
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


# int2vector/oidvector columns count from 0; every other array from 1.
_VECTORS = frozenset({"indkey", "indclass", "indoption", "indcollation"})


def _subscript(node: exp.Bracket) -> exp.Expression | None:
    """``arr[i]`` as ``pg_subscript(arr, i, base)`` (NULL out of range, as in PostgreSQL)."""
    if len(node.expressions) != 1 or isinstance(node.expressions[0], exp.Slice):
        return None
    array, index = node.this, node.expressions[0]
    while isinstance(array, exp.Paren):
        array = array.this
    base = 0 if isinstance(array, exp.Column) and array.name in _VECTORS else 1
    return exp.Anonymous(this="pg_subscript", expressions=[array, index, exp.Literal.number(base)])


_BOOL_TEXT = {"t": 1, "true": 1, "f": 0, "false": 0, "y": 1, "n": 0, "yes": 1, "no": 0}
_AGGREGATES = {"bool_and": "MIN", "bool_or": "MAX", "every": "MIN"}


def _rewrite(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, (exp.EQ, exp.NEQ)) and isinstance(node.this, exp.Column):
        other = node.expression
        if (
            node.this.name in BOOL_COLUMNS
            and isinstance(other, exp.Literal)
            and other.is_string
            and other.this.lower() in _BOOL_TEXT
        ):
            # SQLite keeps booleans as 0/1: psqlODBC's "i.indisprimary = 't'" must match.
            node.set("expression", exp.Literal.number(_BOOL_TEXT[other.this.lower()]))
            return node
    if isinstance(node, exp.Bracket):
        return _subscript(node)
    if isinstance(node, exp.Array):
        return _array_subquery(node)
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


def _qualify_join_columns(tree: exp.Expression) -> None:
    """Qualifies a bare column in a JOIN's ON with the derived table that outputs it.

    PostgreSQL resolves ``ON a1.attnum = conkey[i]`` among the tables joined so far; SQLite
    sees every table of the FROM and calls ``conkey`` ambiguous when a later join
    (psqlODBC's ``LEFT JOIN pg_constraint cn``) has one too."""
    outputs: dict[str, set[str]] = {}
    for subquery in tree.find_all(exp.Subquery):
        if subquery.alias and isinstance(subquery.this, exp.Select):
            outputs[subquery.alias] = {e.alias_or_name for e in subquery.this.expressions}
    if not outputs:
        return
    for join in tree.find_all(exp.Join):
        condition = join.args.get("on")
        if condition is None:
            continue
        for column in list(condition.find_all(exp.Column)):
            if column.table:
                continue
            owners = [alias for alias, names in outputs.items() if column.name in names]
            if len(owners) == 1:
                column.set("table", exp.to_identifier(owners[0]))


def _unnest_tables(tree: exp.Expression) -> None:
    """``FROM unnest(arr) x`` and ``FROM generate_series(a, b) pos(n)`` (pgjdbc's
    getImportedKeys) become ``json_each`` tables; ``x``, ``pos.n`` read their ``value``."""
    for table in list(tree.find_all(exp.Table)):
        function = table.this
        if isinstance(function, exp.Explode):
            array = function.this
        elif isinstance(function, (exp.GenerateSeries, exp.ExplodingGenerateSeries)):
            array = _srf_array(function)
        else:
            continue
        alias_node = table.args.get("alias")
        alias = table.alias or "unnest"
        names = {alias}
        if isinstance(alias_node, exp.TableAlias):
            names |= {c.name for c in alias_node.columns}
        table.set("this", exp.Anonymous(this="json_each", expressions=[array]))
        table.set("db", None)
        table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        select = table.find_ancestor(exp.Select)
        if select is None:
            continue
        for column in list(select.find_all(exp.Column)):
            bare = not column.table and column.name in names
            if bare or (column.table == alias and column.name in names):
                column.replace(exp.column("value", table=alias))


def _array_subquery(node: exp.Array) -> exp.Expression | None:
    """``ARRAY(SELECT x ...)`` as the JSON array the catalog uses for arrays."""
    if len(node.expressions) != 1 or not isinstance(node.expressions[0], exp.Select):
        return None
    inner = node.expressions[0]
    if len(inner.expressions) != 1:
        return None
    projection = inner.expressions[0]
    inner.set("expressions", [exp.alias_(projection.unalias(), "_element")])
    outer = exp.select(exp.Anonymous(this="json_group_array", expressions=[exp.column("_element")]))
    return exp.Subquery(this=outer.from_(exp.Subquery(this=inner, alias="_array")))


def rewrite_catalog(tree: exp.Expression) -> exp.Expression:
    """``tree`` with the idioms above in SQLite's forms (for the catalog database only)."""
    _qualify_join_columns(tree)
    _unnest_tables(tree)
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
