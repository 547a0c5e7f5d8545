"""Translator rules for statements: SELECT, FROM (tables, subqueries, CTEs), WHERE, GROUP BY,
HAVING, ORDER BY, LIMIT/OFFSET (`pushdown_translate.translate` is the entry point; what a
SELECT reads from is `pushdown_sources`).

Every identifier in the output is either a known column of the HogQL tables (quoted by
`pushdown_dialect.identifier`) or a generated name (``t0``, ``c0``, ``cte0``): user aliases are
mapped, never copied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlglot import exp

from posthog_dbapi.sql.bare_columns import bare_column
from posthog_dbapi.sql.pushdown_client import Client
from posthog_dbapi.sql.pushdown_dialect import identifier
from posthog_dbapi.sql.pushdown_expressions import ExpressionRules
from posthog_dbapi.sql.pushdown_functions import FunctionRules
from posthog_dbapi.sql.pushdown_joins import JoinRules
from posthog_dbapi.sql.pushdown_model import (
    NO_CONST,
    ORDERABLE,
    OutputColumn,
    Scope,
    Typed,
    Unsupported,
    fn,
)
from posthog_dbapi.sql.pushdown_properties import PropertyTimeRules
from posthog_dbapi.sql.pushdown_regroup import Regroup, regroup_plan
from posthog_dbapi.sql.pushdown_sources import SourceRules
from posthog_dbapi.sql.pushdown_text import TextRules
from posthog_dbapi.sql.pushdown_types import (
    decode_json_value,
    decode_number,
    dt_text,
    normalise_json,
)

__all__ = ["Translator", "constant_int"]


class Translator(
    ExpressionRules, PropertyTimeRules, FunctionRules, TextRules, JoinRules, SourceRules
):
    """One translation: the statement rules here, the expression and property rules mixed in."""

    depth = 0
    """How many SELECTs enclose the one being translated (1: the outermost)."""
    regroup: Regroup | None = None
    """The outermost SELECT groups by a key the client computes: its merge (`pushdown_regroup`)."""

    # --- statements ----------------------------------------------------------------------
    def compound(self, node: exp.SetOperation) -> tuple[exp.Select, list[OutputColumn], Scope]:
        """UNION [ALL], INTERSECT, EXCEPT: the same operation over the translated members."""
        if node.args.get("order") or node.args.get("limit") or node.args.get("offset"):
            # ORDER BY / LIMIT of the whole compound: a SELECT * over it.
            bare = node.copy()
            for arg in ("order", "limit", "offset"):
                bare.set(arg, None)
            wrapper = exp.Select(expressions=[exp.Star()]).from_(
                exp.Subquery(this=bare, alias=exp.TableAlias(this=exp.to_identifier("u")))
            )
            for arg in ("order", "limit", "offset"):
                wrapper.set(arg, node.args.get(arg))
            return self.select(wrapper)
        distinct = bool(node.args.get("distinct"))
        if not isinstance(node, exp.Union) and not distinct:
            raise Unsupported(f"{type(node).__name__.upper()} ALL")
        if node.args.get("by_name") or node.args.get("side") or node.args.get("kind"):
            raise Unsupported("a compound SELECT with modifiers")
        left, left_cols, _ = self.select(node.this)
        right, right_cols, _ = self.select(node.expression)
        if len(left_cols) != len(right_cols):
            raise Unsupported("compound SELECTs of different widths")
        for i, (a, b) in enumerate(zip(left_cols, right_cols)):
            kinds = {a.kind, b.kind} - {"null"}
            if len(kinds) > 1 or kinds & {"jval", "json", "num"}:
                raise Unsupported("compound SELECT columns of different or JSON kinds")
            left_cols[i] = OutputColumn(a.name, kinds.pop() if kinds else "null", a.decode)
        if isinstance(node, exp.Except):
            # HogQL has no EXCEPT DISTINCT, and ClickHouse's EXCEPT takes away one copy per
            # match; over members made distinct first that is SQLite's set difference.
            for member in (left, right):
                if isinstance(member, exp.SetOperation) or member.args.get("limit"):
                    raise Unsupported("EXCEPT of a compound or limited SELECT")
                member.set("distinct", exp.Distinct())
            built: exp.Expression = exp.Except(this=left, expression=right, distinct=False)
        else:
            built = type(node)(this=left, expression=right, distinct=distinct)
        # Typed as a SELECT for the callers: they use it only as a subquery or IN source.
        return cast(exp.Select, built), left_cols, Scope()

    def select(self, node: exp.Expression) -> tuple[exp.Select, list[OutputColumn], Scope]:
        if isinstance(node, (exp.Union, exp.Intersect, exp.Except)):
            return self.compound(node)
        if not isinstance(node, exp.Select):
            raise Unsupported(f"{type(node).__name__} (only plain SELECT is pushed down)")
        self.depth += 1
        try:
            try:
                return self.plain_select(node)
            except Unsupported as refused:
                planned = None
                if self.depth == 1 and self.regroup is None and node.args.get("group"):
                    planned = regroup_plan(node)
                if planned is None:
                    raise
                # GROUP BY a key SQLite formats: grouped by what it reads, merged by the client.
                rewritten, self.regroup = planned
                try:
                    return self.plain_select(rewritten)
                except Unsupported:
                    self.regroup = None
                    raise refused from None
        finally:
            self.depth -= 1

    def plain_select(self, node: exp.Select) -> tuple[exp.Select, list[OutputColumn], Scope]:
        allowed = {"expressions", "from_", "from", "where", "group", "having", "order", "limit",
                   "offset", "distinct", "with_", "with", "joins"}  # fmt: skip
        for arg, val in node.args.items():
            if val and arg not in allowed:
                raise Unsupported(f"SELECT ... {arg.upper()}")
        bare = bare_column(node)
        if bare is not None:
            raise Unsupported(f"{bare} beside an aggregate, outside the GROUP BY keys")
        out = exp.Select()
        with_ = node.args.get("with_") or node.args.get("with")
        if with_ is not None:
            out.set("with_", self.with_clause(with_))
        scope = Scope()
        from_ = node.args.get("from_") or node.args.get("from")
        if from_ is None:
            return self.constant_row(node, out, scope)
        out.set("from_", exp.From(this=self.source(from_.this, scope)))
        moved: list[exp.Expression] = []
        for join in node.args.get("joins") or []:
            side = (join.args.get("side") or "").upper()
            if moved and side in ("RIGHT", "FULL"):
                # The earlier ON conditions would filter after this join, dropping its rows.
                raise Unsupported(f"a {side} JOIN after an inner join with extra ON conditions")
            moved += self.join(join, scope, out)
        projections, names, explicit = self.projections(node, scope)
        columns = self.output_columns(out, scope, projections, names, explicit)
        out.set("distinct", exp.Distinct() if node.args.get("distinct") else None)
        if node.args.get("distinct") and node.args["distinct"].args.get("on"):
            raise Unsupported("DISTINCT ON")
        if node.args.get("distinct") and any(
            p.kind in ("jval", "num", "finished") for p in projections
        ):
            raise Unsupported("DISTINCT over a JSON value or a value the client computes")
        self.where_clause(node, scope, moved, out)
        group = node.args.get("group")
        if group is not None:
            out.set("group", self.group_clause(group, scope, projections))
        having = node.args.get("having")
        if having is not None:
            for name in (c.name for c in having.this.find_all(exp.Column) if not c.table):
                if name in scope.nums and scope.nums[name].rounding is not None:
                    raise Unsupported("HAVING over a rounded result (rounded by the client)")
            out.set("having", exp.Having(this=self.expr(having.this, scope, alias_ok=True).node))
        order = node.args.get("order")
        if order is not None:
            out.set("order", self.order_clause(order, scope, projections))
        # Only a nested SELECT still has these (`translate` takes the outermost ones off): the
        # Query API caps only the outermost LIMIT, so an inner one is kept as it is.
        if node.args.get("offset") is not None:
            raise Unsupported("OFFSET in a subquery (the Query API refuses OFFSET)")
        limit = constant_int(node.args.get("limit"), self)
        if limit is not None and limit >= 0:
            out.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
        self.wrap_number_sources(out, list(scope.sources.values()))
        return out, columns, scope

    def constant_row(self, node: exp.Select, out: exp.Select, scope: Scope
                     ) -> tuple[exp.Select, list[OutputColumn], Scope]:  # fmt: skip
        """``SELECT 'a' AS x``, one row of constants, as a member of a compound SELECT or a
        subquery (an outermost one runs in SQLite, sending nothing)."""
        if self.depth == 1:
            raise Unsupported("SELECT without FROM")
        for arg in ("where", "group", "having", "order", "limit", "offset", "distinct", "joins",
                    "with_", "with"):  # fmt: skip
            if node.args.get(arg):
                raise Unsupported(f"SELECT without FROM with {arg.upper()}")
        projections, names, explicit = self.projections(node, scope)
        if any(p.const is NO_CONST or p.kind not in ("str", "int", "float", "null")
               for p in projections):  # fmt: skip
            raise Unsupported("SELECT without FROM of other than constants")
        columns = self.output_columns(out, scope, projections, names, explicit)
        return out, columns, scope

    def projections(
        self, node: exp.Select, scope: Scope
    ) -> tuple[list[Typed], list[str], list[str | None]]:
        """(translated projection, SQLite's column name, alias other clauses may use) of each
        output column, ``*`` and ``t.*`` expanded."""
        projections: list[Typed] = []
        names: list[str] = []
        explicit: list[str | None] = []
        for proj in node.expressions:
            if isinstance(proj, exp.Star) or (
                isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)
            ):
                for name, typed in self.star(proj, scope):
                    projections.append(typed)
                    names.append(name)
                    explicit.append(None)
                continue
            alias = proj.alias if isinstance(proj, exp.Alias) else None
            inner = proj.this if isinstance(proj, exp.Alias) else proj
            try:
                typed = self.rounded(inner, scope) if isinstance(inner, exp.Round) else self.expr(
                    inner, scope)  # fmt: skip
            except Unsupported:
                # The outermost SELECT's result column may be finished by SQLite on the client.
                finished = self.finished(inner, scope, node) if self.depth == 1 else None
                if finished is None:
                    raise
                typed = finished
            if typed.kind == "dt" and not isinstance(inner, exp.Column):
                typed.textual = True
            projections.append(typed)
            names.append(alias or (inner.name if isinstance(inner, exp.Column) else ""))
            same = isinstance(inner, exp.Column) and inner.name == alias
            explicit.append(alias if alias and not same else None)
        return projections, names, explicit

    def rounded(self, node: exp.Round, scope: Scope) -> Typed:
        """``round(x[, digits])`` as a result column: x as a Float64, rounded by SQLite's rule
        as the rows are decoded (ClickHouse's round differs in ties and in its decimal steps)."""
        digits = self.expr(node.args["decimals"], scope) if node.args.get("decimals") else None
        places = 0 if digits is None else digits.const
        if not isinstance(places, int) or isinstance(places, bool):
            raise Unsupported("round() to a number of digits that is not a constant integer")
        inner = self.expr(node.this, scope)
        if inner.kind not in ("int", "float", "num", "jval"):
            raise Unsupported(f"round() of {inner.kind}")
        # SQLite's round of text reads its numeric prefix, as arithmetic does.
        value = inner.node if inner.kind == "float" else self.as_num(inner).real_view()
        client = Client("round", [self.client_of(inner)], digits=max(0, min(30, places)))
        return Typed(value, "float", agg=inner.agg, rounding=client.digits, client=client)

    def star(self, proj: exp.Expression, scope: Scope) -> list[tuple[str, Typed]]:
        """The columns ``*`` (every source) or ``t.*`` stands for, in SQLite's order."""
        qualifier = proj.table if isinstance(proj, exp.Column) else ""
        if qualifier and qualifier not in scope.sources:
            raise Unsupported(f"unknown table {qualifier}")
        sources = [scope.sources[qualifier]] if qualifier else list(scope.sources.values())
        expanded: list[tuple[str, Typed]] = []
        for source in sources:
            if source.table is not None and source.table.partial:
                raise Unsupported(
                    f"SELECT * over {source.table.name}: the connection's table has "
                    "columns HogQL's lacks"
                )
            for name in source.order:
                col = source.columns[name]
                expanded.append((name, Typed(source.ref(col), col.kind, normalise=col.normalise)))
        return expanded

    def output_columns(
        self,
        out: exp.Select,
        scope: Scope,
        projections: list[Typed],
        names: list[str],
        explicit: list[str | None],
    ) -> list[OutputColumn]:
        """Add the projections to `out` as ``c0``, ``c1``...; each output column with the
        decoding that gives SQLite's value (JSON values, timestamps computed as text)."""
        columns: list[OutputColumn] = []
        for i, (typed, name) in enumerate(zip(projections, names)):
            decode: Callable[[Any], Any] | None = None
            if typed.kind == "jval":
                decode = decode_json_value
            elif typed.kind == "json" and typed.normalise:
                decode = normalise_json
            elif typed.kind == "dt" and typed.textual:
                decode = dt_text
            node = typed.node
            code = "string" if decode is dt_text else None
            if typed.num is not None:
                num = typed.num
                # One tuple column: SQLite's type is decided row by row (`decode_number`).
                node = fn("tuple", num.w, num.r,
                          num.overflow if num.overflow is not None else exp.Literal.number(0),
                          num.text if num.text is not None else exp.Null())  # fmt: skip
                decode, code = decode_number, "float"
            if typed.client is not None:
                # The client finishes the value from HogQL's leaves (`pushdown_client`).
                node = fn("tuple", *typed.client.leaves())
                decode, code = typed.client.column(), "float"
            if typed.finish is not None:
                # SQLite finishes the value on the client (`pushdown_text`).
                decode, code = typed.finish.column(), typed.finish.code
            out.append("expressions", exp.alias_(node, identifier(f"c{i}")))
            columns.append(OutputColumn(name, typed.kind, decode, code))
            if explicit[i]:
                scope.outputs.setdefault(str(explicit[i]), (f"c{i}", typed.kind))
                if typed.num is not None or typed.client is not None:
                    # Other clauses read the value's HogQL, not the client's tuple.
                    scope.nums.setdefault(str(explicit[i]), typed)
        return columns

    def where_clause(
        self, node: exp.Select, scope: Scope, moved: list[exp.Expression], out: exp.Select
    ) -> None:
        """WHERE, with the conditions joins `moved` there, all ANDed."""
        where = node.args.get("where")
        if where is not None:
            # SQLite lets WHERE name a result alias (a table's column wins, see x_Column), but
            # refuses one that stands for an aggregate or a window: SQLite raises that error.
            computed = {
                p.alias
                for p in node.expressions
                if isinstance(p, exp.Alias) and p.this.find(exp.AggFunc, exp.Window)
            }
            if any(not c.table and c.name in computed for c in where.this.find_all(exp.Column)):
                raise Unsupported("WHERE names the alias of an aggregate or window")
            cond = self.expr(where.this, scope, alias_ok=True)
            if cond.agg:
                raise Unsupported("aggregate in WHERE")
            if cond.kind == "finished":
                raise Unsupported("WHERE over a value the client computes")
            moved.append(cond.node)
        if moved:
            condition = moved[0]
            for part in moved[1:]:
                condition = exp.And(this=exp.Paren(this=condition), expression=exp.Paren(this=part))
            out.set("where", exp.Where(this=condition))

    def group_clause(self, group: exp.Group, scope: Scope, projections: list[Typed]) -> exp.Group:
        if set(group.args) - {"expressions"} and any(
            group.args.get(k) for k in group.args if k != "expressions"
        ):
            raise Unsupported("GROUP BY modifiers")
        items = []
        for item in group.expressions:
            typed = self.ordinal(item, projections) or self.expr(item, scope, alias_ok=True)
            if typed.kind == "num" or typed.rounding is not None or typed.client is not None:
                # SQLite groups 5 with 5.0 and shows whichever row came first.
                raise Unsupported("GROUP BY a number SQLite types row by row")
            if typed.kind == "finished" and self.regroup is None:
                raise Unsupported("GROUP BY a text SQLite formats on the client (pushdown_text)")
            # A JSON value groups by its minified JSON text: the same groups as SQLite's
            # values, except numbers written two ways (1 and 1.0), which SQLite merges.
            items.append(typed.node)
        return exp.Group(expressions=items)

    def order_clause(self, order: exp.Order, scope: Scope, projections: list[Typed]) -> exp.Order:
        """ORDER BY with SQLite's NULL placement; plain columns become the keyset's keys."""
        ordered = []
        for item in order.expressions:
            if isinstance(item.this, exp.Rand) and not item.this.args:
                # SQLite's random() order is an arbitrary order; so is rand()'s.
                scope.keyset_order = False
                ordered.append(exp.Ordered(this=exp.Anonymous(this="rand")))
                continue
            typed = self.ordinal(item.this, projections) or self.expr(
                item.this, scope, alias_ok=True
            )
            if typed.rounding is not None:
                # The unrounded value orders the same rows; only ties (which SQLite leaves in
                # no particular order) may come in another order.
                typed = Typed(typed.node, "float", agg=typed.agg)
            desc = bool(item.args.get("desc"))
            if typed.num is not None and typed.num.text is None:
                # By value, then INTEGER after a REAL of the same Float64 (SQLite compares
                # them exactly); NULLs first ascending, as SQLite.
                scope.keyset_order = False
                first = typed.num.order_key or typed.num.real_view()
                for key in (first, typed.num.w):
                    ordered.append(exp.Ordered(this=key.copy(), desc=desc, nulls_first=not desc))
                continue
            if typed.kind == "jval" and typed.text is None:
                # A result alias: order by the projection it names, whose text is known.
                typed = projections[int(typed.node.name[1:])]
            if typed.kind == "jval":
                scope.keyset_order = False
                for key in self.json_order_keys(typed):
                    ordered.append(exp.Ordered(this=key, desc=desc, nulls_first=not desc))
                continue
            if typed.kind not in ORDERABLE and typed.kind != "null":
                raise Unsupported(f"ORDER BY a value of kind {typed.kind}")
            key = typed.node
            if typed.kind == "uuid":
                key = fn("toString", key)
            if isinstance(typed.node, exp.Column) and typed.kind in ("str", "int", "dt", "uuid"):
                scope.order_keys.append((key, desc, typed.kind))
            else:
                scope.keyset_order = False
            # SQLite puts NULLs first ascending and last descending.
            ordered.append(exp.Ordered(this=key, desc=desc, nulls_first=not desc))
        return exp.Order(expressions=ordered)

    def ordinal(self, item: exp.Expression, projections: list[Typed]) -> Typed | None:
        if isinstance(item, exp.Literal) and item.is_int:
            index = int(item.name)
            if not 1 <= index <= len(projections):
                raise Unsupported("ORDER/GROUP BY position out of range")
            chosen = projections[index - 1]
            return Typed(chosen.node.copy(), chosen.kind, agg=chosen.agg, num=chosen.num,
                         rounding=chosen.rounding, client=chosen.client,
                         text=chosen.text.copy() if chosen.text is not None else None)  # fmt: skip
        return None


def constant_int(node: exp.Expression | None, translator: Translator) -> int | None:
    if node is None:
        return None
    value_node = node.expression
    if isinstance(value_node, exp.Placeholder):
        value = translator.param(value_node)
    elif isinstance(value_node, exp.Literal) and value_node.is_int:
        value = int(value_node.name)
    elif isinstance(value_node, exp.Neg) and isinstance(value_node.this, exp.Literal):
        value = -int(value_node.this.name)
    else:
        raise Unsupported("LIMIT/OFFSET that is not a constant integer")
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unsupported("LIMIT/OFFSET that is not an integer")
    return value
