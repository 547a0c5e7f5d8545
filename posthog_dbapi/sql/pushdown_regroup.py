"""GROUP BY a key the client computes (`pushdown_text`: ``lower(json_extract(...))``,
``typeof(...)``, a time bucket HogQL has no function for), as HogQL groups merged by the client.

HogQL groups by the key's leaves, the columns and properties it reads: finer groups than
SQLite's (``"Chrome"`` and ``"chrome"`` apart, a REAL apart from a string of its text, the
string ``"12"`` apart from the number 12). The client computes each group's key with SQLite and
merges the groups whose keys SQLite finds equal (`Regroup`): ``count`` adds, ``min``/``max``
compare by SQLite's order of values; then ORDER BY (of result columns, with SQLite's NULL
placement) and LIMIT/OFFSET run on the client. The statement must say which group each result
column belongs to: every GROUP BY item a result column, every other result column ``count``,
``min`` or ``max``. Other aggregates (``avg``, ``sum`` of REALs in another order, DISTINCT
counts), HAVING and DISTINCT cannot be merged so exactly, and stay in SQLite.

The finer groups cost what the leaves' distinct values cost: a key over a timestamp is one group
per distinct moment, paged by the group keys past 50,000 like any large aggregate; the fallback
would have fetched every row.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

__all__ = ["Regroup", "regroup_plan", "sqlite_group_key"]

_MERGED = {exp.Count: "count", exp.Min: "min", exp.Max: "max"}


def _order_key(value: Any) -> tuple[int, Any]:
    """SQLite's order of values in one column (BINARY text): NULL, numbers, text."""
    if value is None:
        return (0, 0)
    if isinstance(value, str):
        return (2, value)
    return (1, value)


def sqlite_group_key(value: Any) -> tuple[bool, Any]:
    """SQLite's GROUP BY equality: numbers by value (1 and 1.0 together), text with text."""
    return (isinstance(value, str), value)


@dataclass
class Regroup:
    """Groups HogQL answered finer (by a key's leaves), merged into SQLite's groups by the key
    the client computed, then ordered and limited as the statement says."""

    keys: list[int]
    merges: dict[int, str]
    order: list[tuple[int, bool, bool]]
    """(result column, descending, NULLs first) of each ORDER BY key."""
    limit: int | None = None
    offset: int = 0

    def __call__(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for row in rows:
            key = tuple(sqlite_group_key(row[i]) for i in self.keys)
            held = groups.get(key)
            if held is None:
                groups[key] = list(row)
                continue
            for i, how in self.merges.items():
                held[i] = _merge(how, held[i], row[i])
        merged = sorted(groups.values(), key=functools.cmp_to_key(self._compare))
        end = None if self.limit is None else self.offset + self.limit
        return iter([tuple(r) for r in merged[self.offset : end]])

    def _compare(self, a: list[Any], b: list[Any]) -> int:
        for index, desc, nulls_first in self.order:
            x, y = a[index], b[index]
            if x is None or y is None:
                if x is None and y is None:
                    continue
                return (-1 if nulls_first else 1) * (1 if x is None else -1)
            kx, ky = _order_key(x), _order_key(y)
            if kx != ky:
                return (1 if kx > ky else -1) * (-1 if desc else 1)
        return 0


def _merge(how: str, a: Any, b: Any) -> Any:
    if how == "count":
        return int(a or 0) + int(b or 0)
    if a is None or b is None:
        return b if a is None else a
    if how == "min":
        return a if _order_key(a) <= _order_key(b) else b
    return a if _order_key(a) >= _order_key(b) else b


def _leaves(node: exp.Expression) -> list[exp.Expression]:
    """The columns and properties an expression reads (a property as one leaf)."""
    found: list[exp.Expression] = []

    def walk(sub: exp.Expression) -> None:
        if isinstance(sub, (exp.Column, exp.JSONExtractScalar)):
            if not any(sub == seen for seen in found):
                found.append(sub.copy())
            return
        for child in sub.iter_expressions():
            walk(child)

    walk(node)
    return found


def regroup_plan(node: exp.Select) -> tuple[exp.Select, Regroup] | None:
    """A GROUP BY whose key SQLite formats on the client (``lower(json_extract(...))``), as a
    SELECT grouped by what the keys read (the key's leaves), and the merge that makes SQLite's
    groups of it; None
    when the statement is not of that shape: every GROUP BY item a result column, every other
    result column ``count``, ``min`` or ``max``, no HAVING, DISTINCT or CTE, ORDER BY over result
    columns."""
    if any(node.args.get(a) for a in ("having", "distinct", "with_", "with")):
        return None
    projections = [p.this if isinstance(p, exp.Alias) else p for p in node.expressions]
    aliases = [p.alias if isinstance(p, exp.Alias) else None for p in node.expressions]

    def position(item: exp.Expression) -> int | None:
        if isinstance(item, exp.Literal) and item.is_int:
            index = int(item.name) - 1
            return index if 0 <= index < len(projections) else None
        if isinstance(item, exp.Column) and not item.table and item.name in aliases:
            return aliases.index(item.name)
        return next((i for i, p in enumerate(projections) if p == item), None)

    keys: list[int] = []
    for item in node.args["group"].expressions:
        index = position(item)
        if index is None:
            return None
        keys.append(index)
    merges: dict[int, str] = {}
    for i, proj in enumerate(projections):
        if i in keys:
            if proj.find(exp.AggFunc, exp.Window, exp.Subquery, exp.Star) is not None:
                return None
            continue
        how = _MERGED.get(type(proj))
        if how is None or isinstance(proj.this, exp.Distinct) or proj.this is None:
            return None
        if proj.this.find(exp.AggFunc, exp.Window, exp.Subquery) is not None:
            return None
        merges[i] = how
    order: list[tuple[int, bool, bool]] = []
    if node.args.get("order") is not None:
        for ordered in node.args["order"].expressions:
            index = position(ordered.this)
            if index is None:
                return None
            desc = bool(ordered.args.get("desc"))
            nulls_first = ordered.args.get("nulls_first")
            order.append((index, desc, (not desc) if nulls_first is None else bool(nulls_first)))
    if not any(_leaves(projections[i]) for i in keys):
        return None
    # By position: a key the client computes is its leaves' tuple in HogQL (`finished`), so
    # HogQL's groups are finer than SQLite's, and the merge joins them.
    rewritten = node.copy()
    unique = list(dict.fromkeys(keys))
    rewritten.set("group", exp.Group(expressions=[exp.Literal.number(i + 1) for i in unique]))
    rewritten.set("order", None)
    return rewritten, Regroup(keys, merges, order)
