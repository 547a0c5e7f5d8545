"""Types a statement implies before it runs: each ``$n`` parameter's, and its result columns'.

PostgreSQL's Describe tells the client each parameter's type, and clients such as asyncpg
encode their values by it (``$1`` compared with a boolean column must be sent as ``bool``).
``infer_param_types`` reads the parsed statement (PostgreSQL dialect, before any rewrite): a
cast (``$1::int``) gives its type; a comparison, ``IN``, ``BETWEEN``, ``LIKE`` or arithmetic
with a column or typed expression gives that one's; ``LIMIT``/``OFFSET`` are ``int8``; an
``INSERT``'s VALUES and an ``UPDATE``'s SET take their target column's. Anything else stays
unknown and the server reports ``text``, as PostgreSQL does for an untyped literal.

``static_columns`` types a SELECT's result columns the same way when every one is a table
column, ``count``, ``date_trunc`` or a cast: Describe then answers without running the query,
so a client that describes before it executes (asyncpg, pgjdbc) costs one Query API request,
not two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from sqlglot import exp

from posthog_dbapi.pgwire.codec import OID
from posthog_dbapi.pgwire.pgtypes import PG_TYPES, type_oid

__all__ = ["ColumnType", "infer_param_types", "parameter_number", "static_columns"]

ColumnType = Callable[[str, str, str], "int | None"]
"""(schema, table, column) -> type OID, or ``None`` when unknown."""

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike,
                exp.NullSafeEQ, exp.NullSafeNEQ, exp.Add, exp.Sub, exp.Mul, exp.Div,
                exp.Coalesce)  # fmt: skip


def parameter_number(node: exp.Expression) -> int | None:
    """The 0-based index of a ``$n`` parameter node, else ``None``."""
    if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal):
        text = str(node.this.this)
        return int(text) - 1 if text.isdigit() else None
    return None


def _parent(node: exp.Expression) -> exp.Expression | None:
    parent = cast("exp.Expression | None", node.parent)
    while isinstance(parent, exp.Paren):
        parent = cast("exp.Expression | None", parent.parent)
    return parent


class _Inference:
    def __init__(self, tree: exp.Expression, column_type: ColumnType) -> None:
        self.column_type = column_type
        self.aliases: dict[str, tuple[str, str]] = {}
        self.tables: list[tuple[str, str]] = []
        for table in tree.find_all(exp.Table):
            if isinstance(table.this, exp.Func):
                continue
            key = (table.db or "", table.name)
            self.tables.append(key)
            self.aliases[table.alias_or_name] = key
            self.aliases.setdefault(table.name, key)

    def column(self, column: exp.Column) -> int | None:
        if column.table:
            found = self.aliases.get(column.table)
            return None if found is None else self.column_type(*found, column.name)
        for schema, table in self.tables:
            oid = self.column_type(schema, table, column.name)
            if oid is not None:
                return oid
        return None

    def expression(self, node: exp.Expression, known: dict[int, int]) -> int | None:
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Column):
            return self.column(node)
        if isinstance(node, exp.Cast):
            return type_oid(node.to.sql("postgres"))
        if isinstance(node, exp.Boolean):
            return OID.BOOL
        if isinstance(node, exp.Literal):
            if node.is_string:
                return None
            return OID.NUMERIC if "." in str(node.this) else OID.INT4
        if isinstance(node, (exp.Count, exp.Length)):
            return OID.INT8
        if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc, exp.CurrentTimestamp)):
            return OID.TIMESTAMPTZ
        if isinstance(node, (exp.Lower, exp.Upper, exp.Concat, exp.DPipe)):
            return OID.TEXT
        number = parameter_number(node)
        if number is not None:
            return known.get(number)
        if isinstance(node, (exp.Min, exp.Max, exp.Sum, exp.Abs)):
            return self.expression(node.this, known)
        return None

    def target(self, node: exp.Expression, known: dict[int, int]) -> int | None:
        """The type the parameter ``node`` takes from its surroundings."""
        parent = _parent(node)
        if parent is None:
            return None
        if isinstance(parent, exp.Cast):
            return type_oid(parent.to.sql("postgres"))
        if isinstance(parent, exp.Any) and isinstance(parent.parent, exp.EQ):
            element = self.expression(parent.parent.this, known)
            known_type = PG_TYPES.get(element) if element is not None else None
            return known_type.array if known_type is not None and known_type.array else None
        if isinstance(parent, (exp.Limit, exp.Offset, exp.Fetch)):
            return OID.INT8
        if isinstance(parent, exp.Coalesce):
            others = [parent.this, *parent.expressions]
            return next(
                (t for o in others if o is not node and (t := self.expression(o, known))), None
            )
        if isinstance(parent, _COMPARISONS):
            other = parent.expression if _inside(node, parent.this) else parent.this
            found = self.expression(other, known)
            if isinstance(parent, (exp.Add, exp.Sub)) and found in (
                OID.TIMESTAMP,
                OID.TIMESTAMPTZ,
                OID.DATE,
            ):
                return OID.INTERVAL
            return found
        if isinstance(parent, (exp.In, exp.Between)) and not _inside(node, parent.this):
            return self.expression(parent.this, known)
        if isinstance(parent, exp.Tuple) and isinstance(parent.parent, exp.Values):
            return self._insert_column(parent, node)
        return None

    def _insert_column(self, row: exp.Tuple, node: exp.Expression) -> int | None:
        insert = row.find_ancestor(exp.Insert)
        if insert is None or not isinstance(insert.this, exp.Schema):
            return None
        table = insert.this.this
        columns = insert.this.expressions
        position = next((i for i, e in enumerate(row.expressions) if _inside(node, e)), None)
        if position is None or position >= len(columns) or not isinstance(table, exp.Table):
            return None
        return self.column_type(table.db or "", table.name, columns[position].name)


def _inside(node: exp.Expression, ancestor: exp.Expression) -> bool:
    current: exp.Expression | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = cast("exp.Expression | None", current.parent)
    return False


def infer_param_types(tree: exp.Expression, column_type: ColumnType) -> dict[int, int]:
    """0-based parameter index -> type OID, for the parameters whose type the SQL implies."""
    inference = _Inference(tree, column_type)
    nodes = cast(list[exp.Expression], list(tree.walk()))
    parameters = [(n, node) for node in nodes if (n := parameter_number(node)) is not None]
    known: dict[int, int] = {}
    # Two passes: a parameter compared with another (``$1 = $2``) can take its type second.
    for _ in range(2):
        for number, node in parameters:
            if number in known:
                continue
            oid = inference.target(node, known)
            if oid is not None:
                known[number] = oid
    return known


def static_columns(
    tree: exp.Expression, column_type: ColumnType, fields: Callable[[str, str], list[str]]
) -> list[tuple[str, int]] | None:
    """(name, type OID) of each result column of a plain SELECT, or ``None`` when one of them
    needs the query run to be known. ``fields(schema, table)`` lists a table's columns (for
    ``*``)."""
    if not isinstance(tree, exp.Select):
        return None
    inference = _Inference(tree, column_type)
    out: list[tuple[str, int]] = []
    for projection in tree.expressions:
        inner = projection.unalias() if isinstance(projection, exp.Alias) else projection
        if isinstance(inner, exp.Star) or (
            isinstance(inner, exp.Column) and isinstance(inner.this, exp.Star)
        ):
            if len(inference.tables) != 1:
                return None
            schema, table = inference.tables[0]
            for name in fields(schema, table):
                known = column_type(schema, table, name)
                if known is None:
                    return None
                out.append((name, known))
            continue
        if isinstance(inner, (exp.TimestampTrunc, exp.DateTrunc)):
            # as the run reports it (hints.py): SQLite's text moment, typed timestamp
            oid: int | None = OID.TIMESTAMP
        elif isinstance(inner, (exp.Column, exp.Count, exp.Cast)):
            oid = inference.expression(inner, {})
        else:
            oid = None
        if oid is None or oid in (OID.NUMERIC, OID.INT4, OID.INT2):
            return None
        out.append((projection.alias_or_name, oid))
    return out
