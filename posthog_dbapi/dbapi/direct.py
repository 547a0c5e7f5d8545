"""SELECTs the REST API answers whole, run without SQLite (the cursor's ``"rest"`` route).

``SELECT <columns or *> FROM <REST table> [LIMIT n [OFFSET m]]`` holds no SQL logic for SQLite to
apply: its rows are the list's records in the API's order, and its window is pagination. Through
SQLite it would cost a virtual-table callback per cell and a conversion there and back
(``benchmarks/RESULTS.md``, benchmark 5). Here the table's adapter scans the list exactly as the
virtual table would (same requests, same pages, same LIMIT/OFFSET), and each batch the caller
fetches is converted a column at a time into the values the SQLite route returns: same rows, same
order, same types, same description.

Anything else (a WHERE, an expression, a join, ORDER BY, a table alias SQLite resolves
differently, more than one ``?``) is left to SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from posthog_dbapi.adapters.rest import RESTAdapter
from posthog_dbapi.adapters.rows import ColumnConverter, column_converter, python_rows
from posthog_dbapi.adapters.state import ConnectionState
from posthog_dbapi.catalog.spec import type_code_for

__all__ = ["DirectPlan", "DirectRows", "direct_plan", "run_direct"]

# Parts of a SELECT this route can answer; any other part set means SQL logic for SQLite.
_ALLOWED_PARTS = frozenset({"expressions", "from_", "from", "limit", "offset"})
# Rows converted at once when the caller asks for all of them.
_BATCH = 1000


@dataclass(frozen=True)
class DirectPlan:
    table: str
    columns: list[tuple[str, str]]
    """(output name, table column) in select-list order."""
    limit: int | None
    offset: int


def _window_value(node: exp.Expression | None, parameters: Sequence[Any]) -> int | bool | None:
    """A LIMIT/OFFSET operand as a whole number >= 0; ``False`` when it is anything else."""
    if node is None:
        return None
    if isinstance(node, exp.Placeholder) and node.this is None and len(parameters) == 1:
        value = parameters[0]
    elif isinstance(node, exp.Literal) and not node.is_string:
        try:
            value = int(node.this)
        except ValueError:
            return False
    else:
        return False
    if value.__class__ is not int or value < 0:
        return False
    return int(value)


def _select_list(
    tree: exp.Select, table: str, alias: str, names: list[str]
) -> list[tuple[str, str]] | None:
    by_lower = {n.lower(): n for n in names}
    # SQLite knows an aliased table by its alias only.
    qualifier_ok = (alias or table).lower()
    columns: list[tuple[str, str]] = []
    for item in tree.expressions:
        output = None
        if isinstance(item, exp.Alias) and isinstance(item.this, exp.Column):
            output = item.alias
            item = item.this
        if isinstance(item, exp.Star):
            columns += [(n, n) for n in names]
            continue
        if not isinstance(item, exp.Column) or item.args.get("db") or item.args.get("catalog"):
            return None
        qualifier = item.table
        if qualifier and qualifier.lower() != qualifier_ok:
            return None
        if isinstance(item.this, exp.Star):
            if output is not None:
                return None
            columns += [(n, n) for n in names]
            continue
        if not isinstance(item.this, exp.Identifier):
            return None
        name = by_lower.get(item.name.lower())
        if name is None:
            return None  # SQLite decides: an unknown name, or a double-quoted string literal
        columns.append((output or name, name))  # SQLite names a column by its declaration
    return columns


def direct_plan(
    sql: str,
    bindings: Sequence[Any] | Mapping[str, Any] | None,
    state: ConnectionState,
    rest_tables: Collection[str],
) -> DirectPlan | None:
    """The plan when ``sql`` is a SELECT the REST API answers whole, else ``None``.
    ``bindings``: the parameters as SQLite would bind them; ``rest_tables``: the tables whose
    rows come from a REST list."""
    if isinstance(bindings, Mapping):
        return None
    params = list(bindings or ())
    try:
        parsed = sqlglot.parse(sql, read="sqlite")
    except (SqlglotError, ValueError):
        return None
    if len(parsed) != 1 or not isinstance(parsed[0], exp.Select):
        return None
    tree = parsed[0]
    if any(value for key, value in tree.args.items() if key not in _ALLOWED_PARTS):
        return None
    source = tree.args.get("from_") or tree.args.get("from")
    if not isinstance(source, exp.From) or not isinstance(source.this, exp.Table):
        return None
    table_node = source.this
    if set(k for k, v in table_node.args.items() if v) - {"this", "alias"}:
        return None
    table = table_node.name
    alias = table_node.alias
    if not isinstance(table_node.this, exp.Identifier) or table not in rest_tables:
        return None
    if len(list(tree.find_all(exp.Placeholder))) != len(params) or len(params) > 1:
        return None
    limit_node = tree.args.get("limit")
    offset_node = tree.args.get("offset")
    if isinstance(limit_node, exp.Limit) and limit_node.args.get("offset") is not None:
        return None
    limit = _window_value(limit_node.expression if limit_node is not None else None, params)
    offset = _window_value(offset_node.expression if offset_node is not None else None, params)
    if limit is False or offset is False or (offset_node is not None and limit_node is None):
        return None
    names = list(state.fields(table))
    columns = _select_list(tree, table, alias, names)
    if not columns:
        return None
    return DirectPlan(table, columns, None if limit is None else int(limit), int(offset or 0))


class DirectRows:
    """The rows of a direct plan, converted a batch at a time as the cursor fetches them; a
    page is requested only when the rows fetched so far are used up."""

    def __init__(self, plan: DirectPlan, state: ConnectionState) -> None:
        adapter = RESTAdapter(plan.table, state)
        kinds = dict(zip(adapter.column_names, adapter.kinds))
        converters: dict[str, ColumnConverter] = {}
        self._columns: list[tuple[str, ColumnConverter]] = []
        for _, name in plan.columns:
            convert = converters.get(name) or converters.setdefault(
                name, column_converter(kinds[name])
            )
            self._columns.append((name, convert))
        self.description = [
            (output, type_code_for(kinds[name]), None, None, None, None, True)
            for output, name in plan.columns
        ]
        self._take: Callable[[int], list[dict[str, Any]]] | None = adapter.list_taker(
            limit=plan.limit, offset=plan.offset
        )

    def take(self, size: int | None) -> list[tuple[Any, ...]]:
        """The next ``size`` rows (all the rest when ``None``); fewer at the end."""
        take = self._take
        if take is None:
            return []
        if size is not None:
            return python_rows(take(size), self._columns)
        out: list[tuple[Any, ...]] = []
        while True:
            batch = python_rows(take(_BATCH), self._columns)
            out += batch
            if len(batch) < _BATCH:
                return out

    def close(self) -> None:
        self._take = None


def run_direct(plan: DirectPlan, state: ConnectionState) -> DirectRows:
    state.begin_statement()
    return DirectRows(plan, state)
