"""Translator rules for SQLite functions and operators beyond the basic ones: ``%``, aggregate
``FILTER (WHERE ...)``, ``GLOB``, ``typeof``, window functions, ``[NOT] EXISTS``, the text
functions ``instr``, ``replace``, ``trim``/``ltrim``/``rtrim`` and ``nullif``, and constant
expressions (``datetime('now', '-7 days')``, ``julianday('now')``).

A constant expression (no column, no subquery, no aggregate) is computed by SQLite itself when
the statement is translated, and travels as a value: the answer is SQLite's by construction.
``'now'`` is then the moment of translation, a few milliseconds before SQLite would read it.

A correlated ``EXISTS (SELECT ... WHERE inner = outer AND ...)`` is the semi-join
``outer IN (SELECT inner ... WHERE ...)`` (ClickHouse runs no correlated subquery); the
outer value is checked for NULL first, because SQLite's equality never matches NULL while
ClickHouse's ``IN`` may (``transform_null_in``, UNVERIFIED whether PostHog sets it).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Any, cast

from sqlglot import exp

from posthog_dbapi.sql.pushdown_joins import conjuncts
from posthog_dbapi.sql.pushdown_model import (
    NO_CONST,
    ORDERABLE,
    PARAM,
    Scope,
    TranslatorBase,
    Typed,
    Unsupported,
    fn,
)

__all__ = ["FunctionRules", "glob_regex"]

# Functions whose value may change between two calls in one statement: never computed once.
_VOLATILE = frozenset(
    {"rand", "random", "randomblob", "changes", "total_changes", "last_insert_rowid"}
)
_NOT_CONSTANT = (exp.Column, exp.Star, exp.Subquery, exp.Select, exp.AggFunc, exp.Window)
_TYPEOF = {"int": "integer", "float": "real", "str": "text", "uuid": "text", "dt": "text",
           "json": "text"}  # fmt: skip
_RANKING = {"RowNumber": "row_number", "Rank": "rank", "DenseRank": "dense_rank"}


def glob_regex(pattern: str) -> str | None:
    """The RE2 pattern that matches exactly what SQLite's ``GLOB pattern`` matches, or None."""
    out = ["(?s)^"]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("]", "^") else i + 1)
            if end < 0:
                return None  # SQLite matches nothing for an unclosed class; keep it local
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            if not body or "\\" in body or "[" in body:
                return None
            out.append("[" + ("^" if negate else "") + body.replace("]", "\\]") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return "".join(out)


def call(name: str, *args: exp.Expression) -> exp.Expression:
    """A call under HogQL's exact, case-sensitive name (sqlglot renames some of its own)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _function_names(node: exp.Expression) -> set[str]:
    names = set()
    for sub in node.walk():
        if isinstance(sub, exp.Anonymous):
            names.add(sub.name.lower())
        elif isinstance(sub, exp.Func):
            names.add(sub.sql_name().lower())
    return names


def _ascii(text: str) -> bool:
    return all(ord(ch) < 128 for ch in text)


class FunctionRules(TranslatorBase):
    """Rules for the functions above (a mixin of the translator)."""

    def constant(self, node: exp.Expression) -> Typed | None:
        """`node` computed by SQLite now, when it reads no row and is deterministic."""
        if not isinstance(node, exp.Func) or node.find(*_NOT_CONSTANT) is not None:
            return None
        if _function_names(node) & _VOLATILE:
            return None
        binds: dict[str, Any] = {}
        for holder in node.find_all(exp.Placeholder):
            if not holder.name.startswith(PARAM):
                return None
            binds[holder.name] = self.param(holder)
        try:
            with sqlite3.connect(":memory:") as db:
                (value,) = db.execute(f"SELECT {node.sql(dialect='sqlite')}", binds).fetchone()
        except (sqlite3.Error, ValueError) as exc:
            raise Unsupported(f"cannot compute {node.sql(dialect='sqlite')[:60]}: {exc}") from exc
        kind = {str: "str", int: "int", float: "float", type(None): "null"}.get(type(value))
        if kind is None:
            raise Unsupported("a constant of type blob")
        return Typed(self.value(value), kind, value)

    def x_Mod(self, node: exp.Mod, scope: Scope, alias_ok: bool) -> Typed:
        left = self.expr(node.this, scope, alias_ok)
        right = self.expr(node.expression, scope, alias_ok)
        if left.kind != "int" or right.kind != "int":
            return self.number_mod(left, right)  # `pushdown_numconv`
        # Both take the sign of the dividend; SQLite's x % 0 is NULL where ClickHouse raises.
        built = fn("if", exp.EQ(this=right.node.copy(), expression=exp.Literal.number(0)),
                   exp.Null(), fn("modulo", left.node, right.node))  # fmt: skip
        return Typed(built, "int", agg=left.agg or right.agg)

    def x_Filter(self, node: exp.Filter, scope: Scope, alias_ok: bool) -> Typed:
        aggregate, where = node.this, node.expression
        if not isinstance(aggregate, exp.AggFunc) or not isinstance(where, exp.Where):
            raise Unsupported("FILTER on something other than an aggregate")
        condition = where.this
        if isinstance(aggregate, exp.Count) and (
            aggregate.this is None or isinstance(aggregate.this, exp.Star)
        ):
            cond = self.expr(condition, scope, alias_ok)
            if cond.kind not in ("int", "null") or cond.agg:
                raise Unsupported("FILTER (WHERE) of a non-boolean value")
            return Typed(fn("countIf", cond.node), "int", agg=True)
        rebuilt: exp.Expression = cast(exp.Expression, aggregate).copy()
        target = rebuilt.this
        holder: exp.Expression = rebuilt
        if isinstance(target, exp.Distinct):
            if len(target.expressions) != 1:
                raise Unsupported("FILTER over DISTINCT of several values")
            holder, target = target, target.expressions[0]
        # An aggregate skips NULLs in both engines, so a filtered-out row becomes a NULL.
        masked = exp.If(this=condition.copy(), true=target.copy(), false=exp.Null())
        if holder is rebuilt:
            rebuilt.set("this", masked)
        else:
            holder.set("expressions", [masked])
        return self.expr(rebuilt, scope, alias_ok)

    def x_Like(self, node: exp.Like, scope: Scope, alias_ok: bool) -> Typed:
        left = self.expr(node.this, scope, alias_ok)
        pattern = self.expr(node.expression, scope, alias_ok)
        # A `json` column (properties) is the same text on both routes, the Query API's string,
        # unless the other route re-encodes it (a REST table's, `normalise`).
        json_text = left.kind == "json" and not left.normalise
        if (left.kind not in ("str", "jval") and not json_text) or not isinstance(
            pattern.const, str
        ):
            raise Unsupported("LIKE on a non-text value or with a computed pattern")
        if not _ascii(pattern.const):
            raise Unsupported("LIKE with a non-ASCII pattern (case folding differs)")
        # SQLite LIKE folds ASCII case only and has no escape character; ClickHouse `lower`
        # folds ASCII only, and `\` escapes in its LIKE, so it is doubled.
        folded = "".join(ch.lower() if ch.isascii() else ch for ch in pattern.const)
        pattern_node = self.value(folded.replace("\\", "\\\\"))
        subject = left.text if left.kind == "jval" else left.node
        assert subject is not None
        built: exp.Expression = exp.Like(this=fn("lower", subject), expression=pattern_node)
        if left.kind == "jval":
            built = cast(
                exp.Expression,
                exp.and_(fn("startsWith", left.node, exp.Literal.string('"')), built),
            )
        if node.args.get("negate"):
            built = exp.Not(this=exp.Paren(this=built))
        return Typed(exp.Paren(this=built), "int", agg=left.agg)

    def x_Glob(self, node: exp.Glob, scope: Scope, alias_ok: bool) -> Typed:
        subject = self.expr(node.this, scope, alias_ok)
        pattern = self.expr(node.expression, scope, alias_ok)
        if subject.kind != "str" or not isinstance(pattern.const, str):
            raise Unsupported("GLOB on a non-text value or with a computed pattern")
        regex = glob_regex(pattern.const)
        if regex is None:
            raise Unsupported("a GLOB pattern with an unusual character class")
        return Typed(fn("match", subject.node, self.value(regex)), "int", agg=subject.agg)

    def x_Typeof(self, node: exp.Typeof, scope: Scope, alias_ok: bool) -> Typed:
        inner = self.expr(node.this, scope, alias_ok)
        if inner.kind == "null":
            return Typed(self.value("null"), "str", "null")
        name = _TYPEOF.get(inner.kind)
        if name is None:
            return self.number_typeof(inner)  # `pushdown_numconv`
        built = fn("if", fn("isNull", inner.node), self.value("null"), self.value(name))
        return Typed(built, "str", agg=inner.agg)

    def x_Window(self, node: exp.Window, scope: Scope, alias_ok: bool) -> Typed:
        if node.args.get("spec") or node.args.get("alias") or not node.args.get("over"):
            raise Unsupported("a window with a frame, a named window or FILTER")
        partition = []
        for item in node.args.get("partition_by") or []:
            typed = self.expr(item, scope)
            if typed.kind not in ORDERABLE:
                raise Unsupported(f"PARTITION BY a {typed.kind} value")
            partition.append(typed.node if typed.kind != "uuid" else fn("toString", typed.node))
        order = None
        if node.args.get("order") is not None:
            keys = []
            for item in node.args["order"].expressions:
                typed = self.expr(item.this, scope)
                if typed.kind not in ORDERABLE:
                    raise Unsupported(f"a window ORDER BY a {typed.kind} value")
                key = typed.node if typed.kind != "uuid" else fn("toString", typed.node)
                desc = bool(item.args.get("desc"))
                keys.append(exp.Ordered(this=key, desc=desc, nulls_first=not desc))
            order = exp.Order(expressions=keys)

        def over(call: exp.Expression) -> exp.Expression:
            return exp.Window(this=call, partition_by=[p.copy() for p in partition],
                              order=order.copy() if order else None, over="OVER")  # fmt: skip

        function = node.this
        name = type(function).__name__
        if name in _RANKING:
            # An anonymous call keeps the lower case HogQL's registry matches exactly.
            return Typed(over(exp.Anonymous(this=_RANKING[name])), "int")
        if isinstance(function, (exp.Count, exp.Sum, exp.Min, exp.Max, exp.Avg)):
            typed = self.expr(cast(exp.Expression, function), scope, alias_ok)
            if typed.kind == "num" or typed.num is not None:
                raise Unsupported("a window aggregate of a value SQLite types row by row")
            # The aggregate rules wrap their call as if(count(x) > 0, f(x), NULL) so no rows
            # give NULL; each aggregate call inside gets the same window.
            built = typed.node.transform(
                lambda sub: (
                    over(cast(exp.Expression, sub)) if isinstance(sub, exp.AggFunc) else sub
                ),
                copy=True,
            )
            return Typed(built, typed.kind)
        if isinstance(function, (exp.Lag, exp.Lead)) and order is not None:
            return self.shifted(function, over, scope)
        raise Unsupported(f"the window function {name}")

    def shifted(self, function: exp.Lag | exp.Lead, over: Callable[[exp.Expression],
                exp.Expression], scope: Scope) -> Typed:  # fmt: skip
        """lag()/lead() as lagInFrame/leadInFrame over the whole partition (their default frame
        ends at the current row). toNullable makes a missing row NULL, as in SQLite, not the
        type's default value."""
        value = self.expr(function.this, scope)
        offset = self.expr(function.args["offset"], scope) if function.args.get("offset") else None
        if value.kind not in ORDERABLE or value.agg:
            raise Unsupported(f"{type(function).__name__.lower()} of a {value.kind} value")
        if offset is not None and not (isinstance(offset.const, int) and offset.const >= 0):
            raise Unsupported("lag/lead by other than a constant non-negative offset")
        args = [fn("toNullable", value.node), offset.node if offset else exp.Literal.number(1)]
        if function.args.get("default") is not None:
            default = self.expr(function.args["default"], scope)
            if default.kind not in (value.kind, "null") or default.const is NO_CONST:
                raise Unsupported("lag/lead with a default of another type or not a constant")
            args.append(default.node)
        name = "lagInFrame" if isinstance(function, exp.Lag) else "leadInFrame"
        frame = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                               end="UNBOUNDED", end_side="FOLLOWING")  # fmt: skip
        built = over(exp.Anonymous(this=name, expressions=args))
        built.set("spec", frame)
        return Typed(built, value.kind, textual=value.textual)

    def x_Exists(self, node: exp.Exists, scope: Scope, alias_ok: bool) -> Typed:
        inner = node.this
        if not isinstance(inner, exp.Select) or inner.args.get("group") or inner.args.get(
            "having") or inner.args.get("limit") or inner.args.get("with_"):  # fmt: skip
            raise Unsupported("EXISTS over a grouped, limited or compound SELECT")
        own = set()
        from_ = inner.args.get("from_")
        for source in [from_.this if from_ else None] + [
            j.this for j in inner.args.get("joins") or []
        ]:
            if not isinstance(source, exp.Table) or not source.alias_or_name:
                raise Unsupported("EXISTS over something other than tables")
            own.add(source.alias_or_name)
            if source.name in self.tables:
                own.update(f"\0{c}" for c in self.tables[source.name].column_names)

        def outer_only(part: exp.Expression) -> bool:
            columns = list(part.find_all(exp.Column))
            return bool(columns) and all(
                c.table not in own if c.table else f"\0{c.name}" not in own for c in columns
            )

        where = inner.args.get("where")
        parts = conjuncts(where.this) if where is not None else []
        links = [p for p in parts if isinstance(p, exp.EQ) and (
            outer_only(p.this) != outer_only(p.expression))]  # fmt: skip
        if len(links) != 1 or any(outer_only(p) for p in parts if p not in links):
            raise Unsupported("EXISTS correlated other than by one equality")
        link = links[0]
        outer_side, inner_side = (
            (link.this, link.expression) if outer_only(link.this) else (link.expression, link.this)
        )
        rest = [p for p in parts if p is not link]
        semi = exp.Select(expressions=[inner_side.copy()])
        semi.set("from_", inner.args["from_"].copy())
        if inner.args.get("joins"):
            semi.set("joins", [j.copy() for j in inner.args["joins"]])
        if rest:
            condition = rest[0].copy()
            for part in rest[1:]:
                condition = exp.And(this=condition, expression=part.copy())
            semi.set("where", exp.Where(this=condition))
        outer = self.expr(outer_side, scope, alias_ok)
        found = self.expr(exp.In(this=outer_side.copy(), query=exp.Subquery(this=semi)), scope)
        guarded = exp.and_(fn("isNotNull", outer.node.copy()), exp.Paren(this=found.node))
        return Typed(exp.Paren(this=guarded), "int", agg=outer.agg)

    # Text functions: each only over text, where ClickHouse's answer is SQLite's.
    def _texts(self, nodes: list[exp.Expression], scope: Scope, alias_ok: bool, what: str
               ) -> list[Typed]:  # fmt: skip
        typed = [self.expr(n, scope, alias_ok) for n in nodes]
        if any(t.kind != "str" for t in typed):
            raise Unsupported(f"{what} of a value that is not text")
        return typed

    def x_StrPosition(self, node: exp.StrPosition, scope: Scope, alias_ok: bool) -> Typed:
        if node.args.get("position") is not None or node.args.get("occurrence") is not None:
            raise Unsupported("INSTR with a start position")
        text, part = self._texts([node.this, node.args["substr"]], scope, alias_ok, "INSTR")
        # Both count characters from 1 and answer 0 when absent.
        return Typed(fn("positionUTF8", text.node, part.node), "int", agg=text.agg or part.agg)

    def x_Replace(self, node: exp.Replace, scope: Scope, alias_ok: bool) -> Typed:
        parts = self._texts([node.this, node.expression, node.args["replacement"]], scope,
                            alias_ok, "REPLACE")  # fmt: skip
        # Both leave the text as it is when the pattern is empty.
        return Typed(call("replaceAll", *[p.node for p in parts]), "str",
                     agg=any(p.agg for p in parts))  # fmt: skip

    def x_Trim(self, node: exp.Trim, scope: Scope, alias_ok: bool) -> Typed:
        if node.expression is not None or node.args.get("collation") is not None:
            raise Unsupported("TRIM of characters other than spaces")
        (text,) = self._texts([node.this], scope, alias_ok, "TRIM")
        # SQLite's one-argument trims remove spaces only, as trimLeft/trimRight do.
        position = str(node.args.get("position") or "").upper()
        built = text.node
        if position in ("", "BOTH", "LEADING"):
            built = call("trimLeft", built)
        if position in ("", "BOTH", "TRAILING"):
            built = call("trimRight", built)
        return Typed(built, "str", agg=text.agg)

    def x_Nullif(self, node: exp.Nullif, scope: Scope, alias_ok: bool) -> Typed:
        left = self.expr(node.this, scope, alias_ok)
        right = self.expr(node.expression, scope, alias_ok)
        if left.kind not in ("str", "int", "float") or right.kind not in ("str", "int", "float"):
            raise Unsupported("NULLIF of values that are not text or numbers")
        equal = self.comparison(exp.EQ, left, right)
        built = exp.Case(ifs=[exp.If(this=equal, true=exp.Null())], default=left.node.copy())
        return Typed(built, left.kind, agg=left.agg or right.agg)
