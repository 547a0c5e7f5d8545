"""Which columns of a statement SQLite runs join an event-scale table to a REST table.

A statement that joins a REST table (dashboards, feature flags, ...) with a HogQL table (events,
sessions, ...) runs in SQLite, which asks the HogQL table once per REST row with an equality on
the join column. Answering each of those asks with its own Query API request would cost a
request per row; fetching the whole HogQL table costs every row of it. `join_keys` finds the
equalities ``hogql_alias.column = rest_alias.column`` (in ``ON`` or ``WHERE``, any join kind) so
the cursor can read the REST side's distinct keys first and the HogQL adapter can fetch every
row those asks can match with one ``IN`` list (`posthog_dbapi.adapters.hogql_adapter`).

Only a hint: the adapter uses the key set only when the value SQLite asks for is in it, so a
wrong or partial hint costs at most the REST read, never a row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

__all__ = ["JoinKey", "join_keys"]


@dataclass(frozen=True)
class JoinKey:
    """``hogql_table.hogql_column = rest_table.rest_column`` somewhere in the statement."""

    hogql_table: str
    hogql_column: str
    rest_table: str
    rest_column: str


def _scope_tables(select: exp.Select) -> dict[str, str]:
    """alias (or name) -> table name of the tables this SELECT itself reads."""
    sources: list[exp.Expression] = []
    from_ = select.args.get("from") or select.args.get("from_")
    if from_ is not None:
        sources.append(from_.this)
    sources.extend(join.this for join in select.args.get("joins") or ())
    tables: dict[str, str] = {}
    for source in sources:
        if isinstance(source, exp.Table) and not source.args.get("db"):
            tables[source.alias_or_name] = source.name
    return tables


def _equalities(select: exp.Select) -> Iterator[exp.EQ]:
    conditions: list[exp.Expression] = []
    where = select.args.get("where")
    if where is not None:
        conditions.append(where.this)
    conditions.extend(j.args["on"] for j in select.args.get("joins") or () if j.args.get("on"))
    for condition in conditions:
        for part in condition.flatten() if isinstance(condition, exp.And) else (condition,):
            if isinstance(part, exp.EQ):
                yield part


def join_keys(
    sql: str, hogql_tables: Mapping[str, str], rest_tables: Collection[str]
) -> list[JoinKey]:
    """The REST-to-HogQL equality joins of ``sql``. ``hogql_tables``: the connection's HogQL
    table names mapped to the HogQL table each reads; ``rest_tables``: its REST table names.
    Unqualified columns are not resolved (the hint is skipped, never guessed)."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except SqlglotError:
        return []
    found: list[JoinKey] = []
    for select in tree.find_all(exp.Select):
        scope = _scope_tables(select)
        for eq in _equalities(select):
            left, right = eq.this, eq.expression
            if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
                continue
            if not (left.table and right.table):
                continue
            a, b = scope.get(left.table, ""), scope.get(right.table, "")
            for (h, hcol), (r, rcol) in (((a, left.name), (b, right.name)),
                                         ((b, right.name), (a, left.name))):  # fmt: skip
                if h in hogql_tables and r in rest_tables:
                    key = JoinKey(hogql_tables[h], hcol, r, rcol)
                    if key not in found:
                        found.append(key)
    return found
