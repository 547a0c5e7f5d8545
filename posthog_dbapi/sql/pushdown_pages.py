"""The HogQL of each page of a pushed-down statement: the keyset order and the condition that
continues after the last page's keys.

The Query API caps an answer at 50,000 rows and refuses OFFSET for personal API keys, so a
statement longer than one answer is read in pages, each continuing after the key values of the
page before's last row. A row scan or a join is keyed by its tables' unique keys (`_keys`); an
aggregate by its group keys, run whole as a subquery on each page (`group_outputs`). The pages'
sending and reading are `pushdown_planner`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlglot import exp

from posthog_dbapi.sql.pushdown_dialect import identifier, render
from posthog_dbapi.sql.pushdown_model import Translation, fn

__all__ = ["count_rows", "group_outputs", "page_tree"]


def _keys(translation: Translation) -> list[tuple[exp.Expression, bool]]:
    """The keyset order: the user's ORDER BY, then every table's keys as tie-breakers.

    A side an outer join pads has no key values on a padded row, and a NULL never compares
    greater than a placeholder. Its keys are therefore read NULL-safe: first whether the row is
    real (``if(t.mk = 1, 1, 0)``: 0 on a padded row whether the server pads with NULL or with
    default values), then each key as text, ``''`` on a padded row. A padded row is then one
    row per real row of the other side(s), whose keys are values, so the keys stay unique."""
    keys: list[tuple[exp.Expression, bool]] = [(k.copy(), d) for k, d, _ in translation.order_keys]
    seen = {render(k) for k, _ in keys}
    for alias, table in translation.key_sources:
        marker = translation.padded.get(alias)
        real: exp.Expression | None = None
        if marker is not None:
            real = exp.EQ(this=exp.column(identifier(marker), identifier(alias)),
                          expression=exp.Literal.number(1))  # fmt: skip
            keys.append((fn("if", real, exp.Literal.number(1), exp.Literal.number(0)), False))
        for name in table.keys:
            column: exp.Expression = exp.column(identifier(name), identifier(alias))
            if table.kind(name) == "uuid" or real is not None:
                # Text order, so the key compares the way the fallback's text column does (and,
                # on a padded side, one type with the padded rows' '').
                column = fn("toString", column)
            if real is not None:
                column = fn("if", real.copy(), column, exp.Literal.string(""))
            if render(column) not in seen:
                seen.add(render(column))
                keys.append((column, False))
    return keys


def group_outputs(translation: Translation) -> list[int] | None:
    """The output columns that tell an aggregated answer's rows apart: its GROUP BY keys when
    each is an output column, or every column of a SELECT DISTINCT. None when there are none
    (no aggregate, or a GROUP BY key that is not output: rows could then repeat)."""
    if not translation.aggregated:
        return None
    tree = translation.tree
    width = len(translation.columns)
    outputs = [e for e in tree.expressions[:width] if isinstance(e, exp.Alias)]
    if len(outputs) != width:
        return None
    group = tree.args.get("group")
    if group is None:
        return list(range(width)) if tree.args.get("distinct") else None
    by_alias = {e.alias: i for i, e in enumerate(outputs)}
    by_text = {render(e.this): i for i, e in enumerate(outputs)}
    found: set[int] = set()
    for item in group.expressions:
        if isinstance(item, exp.Column) and not item.table and item.name in by_alias:
            found.add(by_alias[item.name])
        elif render(item) in by_text:
            found.add(by_text[render(item)])
        else:
            return None
    return sorted(found)


def _grouped_tree(translation: Translation, after: list[Any] | None, limit: int,
                  names: list[str] | None) -> exp.Select:  # fmt: skip
    """The aggregate as a subquery, its rows ordered and continued by its group keys (NULL-safe:
    whether the key is NULL, then its text). The aggregate runs whole on each page, so HAVING
    filters the groups before they are paged."""
    width = len(translation.columns)
    inner = translation.tree.copy()
    inner.set("limit", None)

    def output(i: int) -> exp.Expression:
        return exp.column(identifier(f"c{i}"), identifier("g"))

    keys: list[tuple[exp.Expression, bool]] = []
    for i in group_outputs(translation) or []:
        keys.append((fn("isNull", output(i)), False))
        keys.append((fn("ifNull", fn("toString", output(i)), exp.Literal.string("")), False))
    tree = exp.select(*[exp.alias_(output(i), identifier(f"c{i}")) for i in range(width)])
    tree = tree.from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=identifier("g"))))
    for i, (key, _) in enumerate(keys):
        tree.append("expressions", exp.alias_(key.copy(), identifier(f"k{i}")))
    tree.set("order", exp.Order(expressions=[exp.Ordered(this=k.copy()) for k, _ in keys]))
    if after is not None:
        assert names is not None
        tree = tree.where(_after(keys, names), append=True)
    tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    return tree


def page_tree(translation: Translation, after: list[Any] | None, limit: int,
               names: list[str] | None = None, *, mode: str = "keyset") -> exp.Select:  # fmt: skip
    if mode == "grouped":
        return _grouped_tree(translation, after, limit, names)
    tree = translation.tree.copy()
    if translation.key_sources and (not translation.ordered or translation.order_keys):
        keys = _keys(translation)
        for i, (key, _) in enumerate(keys):
            tree.append("expressions", exp.alias_(key.copy(), identifier(f"k{i}")))
        tree.set("order", exp.Order(expressions=[
            exp.Ordered(this=k.copy(), desc=d, nulls_first=not d) for k, d in keys
        ]))  # fmt: skip
        if after is not None:
            assert names is not None
            tree = tree.where(_after(keys, names), append=True)
    tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    return tree


def _after(keys: list[tuple[exp.Expression, bool]], names: list[str]) -> exp.Expression:
    """(k0, k1, ...) strictly after the placeholders `names` in the keyset order."""
    branches: list[exp.Expression] = []
    for i, (key, desc) in enumerate(keys):
        parts: list[exp.Expression] = [
            exp.EQ(this=k.copy(), expression=exp.Placeholder(this=names[j]))
            for j, (k, _) in enumerate(keys[:i])
        ]
        op = exp.LT if desc else exp.GT
        parts.append(op(this=key.copy(), expression=exp.Placeholder(this=names[i])))
        branches.append(exp.Paren(this=exp.and_(*parts)))
    return exp.Paren(this=exp.or_(*branches))


def count_rows(send: Callable[[str, Mapping[str, Any]], Any], translation: Translation) -> int:
    """The rows a keyset scan yields in all (before its OFFSET), by one count request."""
    inner = translation.tree.copy()
    inner.set("order", None)
    inner.set("limit", None)
    tree = exp.select(exp.alias_(fn("count"), "c0")).from_(inner.subquery("t"))
    return int(send(render(tree), translation.values).results[0][0])
