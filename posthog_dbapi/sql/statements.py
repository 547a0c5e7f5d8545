"""Statement classification and the values a write statement sets, parsed with sqlglot.

The cursor uses this before it runs a statement, to refuse a bad write before any request: the
kind of statement, the target table, the columns it sets, and for each column the literal or the
``?`` parameter that supplies its value. Statements sqlglot cannot parse are classified as
``OTHER`` and left to SQLite, which reports its own error.

Parameters use the ``qmark`` style (``?``): SQLAlchemy's SQLite compiler emits it, SQLite binds it
natively, and the HogQL translator can number the placeholders into HogQL ``values``.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

__all__ = [
    "AGGREGATE_NAMES",
    "NOT_LITERAL",
    "Statement",
    "StatementKind",
    "ValueSource",
    "classify",
]


class StatementKind(enum.Enum):
    SELECT = "select"
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    OTHER = "other"


NOT_LITERAL = object()
"""The value of a column set by an expression that only SQLite can evaluate."""


@dataclass(frozen=True)
class ValueSource:
    """Where one set value comes from: a literal, or the ``param``-th ``?`` of the statement."""

    literal: Any = NOT_LITERAL
    param: int | None = None


@dataclass
class Statement:
    kind: StatementKind
    table: str | None = None
    tables: tuple[str, ...] = ()
    """Every table the statement names (for SELECT: what it reads)."""
    columns: tuple[str, ...] = ()
    """INSERT: the column list; UPDATE: the SET columns."""
    rows: list[list[ValueSource]] = field(default_factory=list)
    """INSERT ... VALUES: one list per row, aligned with ``columns``; UPDATE: one row."""
    qualified: tuple[str, ...] = ()
    """The tables named with a schema, as ``schema.table`` (``stripe.customer``)."""
    ctes: tuple[str, ...] = ()
    """The names its WITH clauses define (they are not tables)."""
    single_pass: bool = False
    """A SELECT that SQLite runs as one pass over one table: one table named once, without a
    join, subquery, CTE, compound or OR (SQLite may scan a virtual table once per OR branch).
    Its scans need not keep rows to replay them (`posthog_dbapi.adapters.state`)."""
    whole_scan: bool = False
    """A single-pass SELECT that SQLite answers only after reading its whole scan (an aggregate,
    GROUP BY, ORDER BY or a window function) and that reads nothing of the connection's own
    (rowid, ``changes()``, ``last_insert_rowid()``): it can run on a native copy of the scan's
    rows (`posthog_dbapi.dbapi.native`)."""


def _literal(node: exp.Expression, placeholders: dict[int, int]) -> ValueSource:
    if isinstance(node, exp.Placeholder):
        return ValueSource(param=placeholders.get(id(node)))
    if isinstance(node, exp.Null):
        return ValueSource(literal=None)
    if isinstance(node, exp.Boolean):
        return ValueSource(literal=bool(node.this))
    if isinstance(node, exp.Literal):
        if node.is_string:
            return ValueSource(literal=node.this)
        text = node.this
        try:
            return ValueSource(literal=int(text))
        except ValueError:
            return ValueSource(literal=float(text))
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and node.this.is_number:
        inner = _literal(node.this, placeholders)
        return ValueSource(literal=-inner.literal)
    return ValueSource()


# SQLite's aggregate functions sqlglot reads as plain function calls.
AGGREGATE_NAMES = frozenset({"total", "json_group_object", "jsonb_group_array",
                             "jsonb_group_object", "percentile", "percentile_cont",
                             "percentile_disc"})  # fmt: skip
# What a statement run on another database would answer differently: the connection's own state.
_CONNECTION_FUNCTIONS = frozenset({"changes", "total_changes", "last_insert_rowid"})
_ROWID_NAMES = frozenset({"rowid", "oid", "_rowid_"})


def _reads_whole_scan(tree: exp.Query) -> bool:
    """Whether SQLite reads every row of the SELECT's scan before its first result row, and the
    SELECT uses nothing but the rows (see ``Statement.whole_scan``)."""
    names = {f.name.lower() for f in tree.find_all(exp.Anonymous)}
    if names & _CONNECTION_FUNCTIONS:
        return False
    if any(c.name.lower() in _ROWID_NAMES for c in tree.find_all(exp.Column)):
        return False
    return bool(
        tree.args.get("group")
        or tree.args.get("order")
        or tree.args.get("having")
        or tree.find(exp.AggFunc, exp.Window) is not None
        or names & AGGREGATE_NAMES
    )


def _table_name(node: exp.Expression | None) -> str | None:
    if isinstance(node, exp.Schema):
        node = node.this
    if isinstance(node, exp.Table):
        return node.name
    return None


# What a statement is depends on its text alone; BI tools send the same few texts again and
# again, and parsing one costs more than a small Query API answer takes to decode. Every caller
# shares this one cache (the returned Statement is shared: read it, never change it).
@functools.lru_cache(maxsize=256)
def classify(sql: str) -> Statement:
    """What ``sql`` does; ``OTHER`` for anything sqlglot cannot read as one statement."""
    return _read(sql)


def _read(sql: str) -> Statement:
    try:
        parsed = sqlglot.parse(sql, read="sqlite")
    except (SqlglotError, ValueError):
        return Statement(StatementKind.OTHER)
    parsed = [p for p in parsed if p is not None]
    if len(parsed) != 1:
        return Statement(StatementKind.OTHER)
    tree = parsed[0]
    assert tree is not None
    placeholders = {
        id(node): index
        for index, node in enumerate(
            n for n in tree.walk(bfs=False) if isinstance(n, exp.Placeholder)
        )
    }
    found = [t for t in tree.find_all(exp.Table) if t.name]
    tables = tuple(dict.fromkeys(t.name for t in found))
    qualified = tuple(dict.fromkeys(f"{t.db}.{t.name}" for t in found if t.db))
    ctes = tuple(dict.fromkeys(c.alias for c in tree.find_all(exp.CTE) if c.alias))
    if isinstance(tree, exp.Insert):
        target = tree.this
        columns: tuple[str, ...] = ()
        if isinstance(target, exp.Schema):
            columns = tuple(c.name for c in target.expressions)
        rows: list[list[ValueSource]] = []
        values = tree.expression
        if isinstance(values, exp.Values):
            for row in values.expressions:
                items = row.expressions if isinstance(row, exp.Tuple) else [row]
                rows.append([_literal(item, placeholders) for item in items])
        return Statement(
            StatementKind.INSERT,
            _table_name(target),
            tables,
            columns,
            rows,
            qualified=qualified,
            ctes=ctes,
        )
    if isinstance(tree, exp.Update):
        sets = [e for e in tree.expressions if isinstance(e, exp.EQ)]
        columns = tuple(e.this.name for e in sets)
        row = [_literal(e.expression, placeholders) for e in sets]
        return Statement(
            StatementKind.UPDATE,
            _table_name(tree.this),
            tables,
            columns,
            [row],
            qualified=qualified,
            ctes=ctes,
        )
    if isinstance(tree, exp.Delete):
        return Statement(
            StatementKind.DELETE, _table_name(tree.this), tables, qualified=qualified, ctes=ctes
        )
    if isinstance(tree, exp.Query):
        single = (
            isinstance(tree, exp.Select)
            and len(found) == 1
            and sum(1 for _ in tree.find_all(exp.Query)) == 1
            and tree.find(exp.Join, exp.Subquery, exp.CTE, exp.Or) is None
        )
        return Statement(StatementKind.SELECT, None, tables, qualified=qualified, ctes=ctes,
                         single_pass=single,
                         whole_scan=single and _reads_whole_scan(tree))  # fmt: skip
    return Statement(StatementKind.OTHER, None, tables, qualified=qualified, ctes=ctes)
