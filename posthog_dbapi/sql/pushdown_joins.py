"""Translator rules for joins: INNER, LEFT, RIGHT, FULL and CROSS joins among HogQL tables.

A join is pushed down only in forms whose HogQL answer is exactly SQLite's:

- the ``ON`` condition is split into conjuncts. Equalities between an expression of the new
  table and one of the tables before it are the join keys. For an inner join every other
  conjunct moves to ``WHERE`` (the same rows); for a LEFT join a conjunct over the new table
  alone filters that table before the join (the same rows again); anything else stays local.
- A side an outer join may pad with NULLs is read through a subquery that adds a marker column
  (``mk``, 1 on every real row). ClickHouse pads with default values (0, ``''``) unless
  ``join_use_nulls`` is set, where SQLite pads with NULL; every reference to a padded side reads
  ``if(t.mk = 1, t.col, NULL)``, which is NULL on a padded row whichever way the server pads.
- A RIGHT or FULL join pads every table before it: each is read through the marker subquery
  too (a side an earlier LEFT join padded already has one; its padded rows stay NULL either
  way). It is not pushed after an inner join whose extra ``ON`` conditions moved to ``WHERE``,
  which would then drop the rows the RIGHT join keeps.
- Past one answer, a join pages by the keys of all its sides; a padded side's keys are read
  NULL-safe through its marker (`pushdown_planner._keys`).
"""

from __future__ import annotations

from sqlglot import exp

from posthog_dbapi.sql.pushdown_dialect import identifier
from posthog_dbapi.sql.pushdown_model import Scope, Source, TranslatorBase, Unsupported

__all__ = ["MARKER", "JoinRules"]

MARKER = "mk"


def conjuncts(node: exp.Expression) -> list[exp.Expression]:
    """``a AND (b AND c)`` -> [a, b, c] (parentheses around ANDs are looked through)."""
    if isinstance(node, exp.Paren) and isinstance(node.this, exp.And):
        return conjuncts(node.this)
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


class JoinRules(TranslatorBase):
    """Rules for JOIN clauses (a mixin of the translator)."""

    def _owners(self, node: exp.Expression, scope: Scope) -> set[str]:
        """The user names of the sources `node` reads."""
        if node.find(exp.Subquery, exp.Select, exp.Exists):
            raise Unsupported("a subquery in a JOIN condition")
        owners: set[str] = set()
        for column in node.find_all(exp.Column):
            if isinstance(column.this, exp.Star):
                raise Unsupported("* in a JOIN condition")
            source, _ = scope.resolve(column.name, column.table)
            owners.update(k for k, s in scope.sources.items() if s is source)
        return owners

    def join(self, join: exp.Join, scope: Scope, out: exp.Select) -> list[exp.Expression]:
        """Add one JOIN to `out`; returns the conditions an inner join moves to WHERE."""
        if join.args.get("method") or join.args.get("using"):
            raise Unsupported("NATURAL JOIN or JOIN ... USING")
        side = (join.args.get("side") or "").upper()
        kind = (join.args.get("kind") or "").upper()
        if kind not in ("", "INNER", "OUTER", "CROSS") or side not in ("", "LEFT", "RIGHT", "FULL"):
            raise Unsupported(f"{side} {kind} JOIN")
        earlier = list(scope.sources)
        target = join.this
        user = target.alias_or_name if not isinstance(target, exp.Subquery) else target.alias
        if not user or user in scope.sources:
            raise Unsupported("a joined table without a name of its own (add an alias)")
        table_node = self.source(target, scope)
        added = scope.sources[user]
        on = join.args.get("on")
        if kind == "CROSS" or on is None:
            if side:
                raise Unsupported(f"{side} JOIN without ON")
            out.append("joins", exp.Join(this=table_node, kind="CROSS"))
            return []
        keys: list[exp.Expression] = []
        moved: list[exp.Expression] = []
        own: list[exp.Expression] = []
        for part in conjuncts(on):
            if isinstance(part, exp.EQ):
                left, right = self._owners(part.this, scope), self._owners(part.expression, scope)
                if left and right and {user} in (left, right) and user not in left & right:
                    keys.append(self.comparison(
                        exp.EQ, self.expr(part.this, scope), self.expr(part.expression, scope)
                    ))  # fmt: skip
                    continue
            owners = self._owners(part, scope)
            if not side:
                moved.append(self.expr(part, scope).node)
            elif side == "LEFT" and owners == {user}:
                own.append(part)
            else:
                raise Unsupported(f"a {side} JOIN condition that is not an equality of both sides")
        if not keys:
            if side:
                raise Unsupported(f"a {side} JOIN without an equality of both sides")
            out.append("joins", exp.Join(this=table_node, kind="CROSS"))
            return moved
        if side in ("LEFT", "FULL"):
            table_node = self._padded(added, table_node, own, user)
        if side in ("RIGHT", "FULL"):
            self._pad_earlier(scope, earlier, out)
        condition = keys[0]
        for key in keys[1:]:
            condition = exp.And(this=condition, expression=key)
        out.append("joins", exp.Join(this=table_node, on=condition, side=side or None))
        return moved

    def _pad_earlier(self, scope: Scope, earlier: list[str], out: exp.Select) -> None:
        """Read every source before a RIGHT or FULL join through the marker subquery."""
        from_ = out.args["from_"]
        joins = {join.this.alias: join for join in out.args.get("joins") or []}
        for position, name in enumerate(earlier):
            source = scope.sources[name]
            if source.marker:
                continue
            if position == 0:
                from_.set("this", self._padded(source, from_.this, [], name))
            else:
                holder = joins[source.alias]
                holder.set("this", self._padded(source, holder.this, [], name))

    def _padded(self, source: Source, node: exp.Expression, where: list[exp.Expression],
                user: str) -> exp.Expression:  # fmt: skip
        """`node` (a table or subquery aliased ``source.alias``) as a subquery with the marker,
        filtered by `where` (conditions over this source alone, in the user's SQL)."""
        inner_alias = f"{source.alias}i"
        inner = node.copy()
        inner.set("alias", exp.TableAlias(this=identifier(inner_alias)))
        # A derived table's key columns (`Source.keys`) go through too, so it still pages.
        carried = [c.hogql for c in source.columns.values()] + list(
            source.keys.keys if source.keys is not None else ()
        )
        select = exp.Select(expressions=[
            exp.alias_(exp.column(identifier(name), identifier(inner_alias)), identifier(name))
            for name in carried
        ] + [exp.alias_(exp.Literal.number(1), identifier(MARKER))])  # fmt: skip
        select.set("from_", exp.From(this=inner))
        if where:
            alone = Scope(sources={user: Source(inner_alias, source.columns, source.order,
                                                 source.table, keys=source.keys)})  # fmt: skip
            parts = [self.expr(w, alone).node for w in where]
            condition = parts[0]
            for part in parts[1:]:
                condition = exp.And(this=condition, expression=part)
            select.set("where", exp.Where(this=condition))
        source.marker = MARKER
        return exp.Subquery(this=select, alias=exp.TableAlias(this=identifier(source.alias)))
