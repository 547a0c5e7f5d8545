"""Translator rules for what a SELECT reads from: HogQL tables, subqueries and CTEs, each under
a generated alias (``t0``, ``cte0``), with the keys a derived table carries for paging.
"""

from __future__ import annotations

from sqlglot import exp

from posthog_dbapi.sql.pushdown_dialect import identifier
from posthog_dbapi.sql.pushdown_model import Col, Scope, Source, TranslatorBase, Unsupported
from posthog_dbapi.sql.pushdown_tables import HogQLTable
from posthog_dbapi.sql.pushdown_types import dt_text, normalise_json

__all__ = ["SourceRules"]


class SourceRules(TranslatorBase):
    def with_clause(self, with_: exp.With) -> exp.With:
        """The CTEs, each under a generated name; later references resolve through `ctes`."""
        if with_.args.get("recursive"):
            raise Unsupported("WITH RECURSIVE")
        ctes = []
        for cte in with_.expressions:
            inner, cols, _ = self.select(cte.this)
            name = f"cte{self.counter['cte']}"
            self.counter["cte"] += 1
            self.ctes[cte.alias_or_name] = Source(
                name,
                {
                    c.name: Col(f"c{i}", c.kind, c.decode is normalise_json, c.decode is dt_text)
                    for i, c in enumerate(cols)
                },
                [c.name for c in cols],
            )
            if len({c.name for c in cols}) != len(cols):
                raise Unsupported("a CTE with duplicate column names")
            ctes.append(exp.CTE(this=inner, alias=exp.TableAlias(this=identifier(name))))
        return exp.With(expressions=ctes)

    def source(self, node: exp.Expression, scope: Scope) -> exp.Expression:
        alias = f"t{self.counter['t']}"
        self.counter["t"] += 1
        user_alias = node.alias_or_name if not isinstance(node, exp.Subquery) else node.alias
        if isinstance(node, exp.Table):
            if (
                node.args.get("db")
                or node.args.get("catalog")
                or not isinstance(node.this, exp.Identifier)
            ):
                raise Unsupported("a qualified or function table")
            name = node.name
            if name in self.ctes:
                cte = self.ctes[name]
                scope.sources[user_alias] = Source(alias, cte.columns, cte.order)
                return exp.Table(this=identifier(cte.alias),
                                 alias=exp.TableAlias(this=identifier(alias)))  # fmt: skip
            table = self.tables.get(name)
            if table is None:
                raise Unsupported(f"table {name} is not a HogQL table")
            scope.sources[user_alias] = Source(
                alias,
                {c: Col(c, k, table.normalise_json and k == "json") for c, k in table.columns},
                table.column_names,
                table,
            )
            reference = table.node()
            reference.set("alias", exp.TableAlias(this=identifier(alias)))
            return reference
        if isinstance(node, exp.Subquery):
            inner, cols, inner_scope = self.select(node.this)
            if len({c.name for c in cols}) != len(cols):
                raise Unsupported("a subquery with duplicate column names")
            if any(c.kind in ("jval", "num") for c in cols):
                raise Unsupported("a JSON value selected in a subquery")
            scope.sources[user_alias or alias] = Source(
                alias,
                {
                    c.name: Col(f"c{i}", c.kind, c.decode is normalise_json, c.decode is dt_text)
                    for i, c in enumerate(cols)
                },
                [c.name for c in cols],
                keys=_carry_keys(inner, inner_scope, node.this),
            )
            return exp.Subquery(this=inner, alias=exp.TableAlias(this=identifier(alias)))
        raise Unsupported(f"FROM {type(node).__name__}")


def _carry_keys(inner: exp.Select, scope: Scope, node: exp.Expression) -> HogQLTable | None:
    """Add the keys of the tables `inner` reads to its columns (as ``sk0``, ``sk1``...), when
    its rows are theirs one for one: no aggregate, DISTINCT, window or LIMIT (a LIMIT picks rows
    by an order that may tie, so a rerun per page could pick others), and no side an outer
    join pads (its keys are not values). Returns the key columns as a table, else None (the
    derived table is then not paged)."""
    if not isinstance(node, exp.Select) or any(node.args.get(a) for a in (
        "group", "having", "distinct", "limit", "offset"
    )) or node.find(exp.Window) or any(p.find(exp.AggFunc) for p in node.expressions):  # fmt: skip
        return None
    sources = list(scope.sources.values())
    if not sources or any(s.table is None or not s.table.keys or s.marker for s in sources):
        return None
    keys: list[tuple[str, str]] = []
    for source in sources:
        assert source.table is not None
        for name in source.table.keys:
            kind = source.table.kind(name) or "str"
            hidden = f"sk{len(keys)}"
            column = exp.column(identifier(name), identifier(source.alias))
            inner.append("expressions", exp.alias_(column, identifier(hidden)))
            keys.append((hidden, kind))
    return HogQLTable("(subquery)", tuple(keys), tuple(k for k, _ in keys))
