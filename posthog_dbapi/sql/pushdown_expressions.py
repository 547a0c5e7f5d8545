"""Translator rules for expressions: columns, literals, logic, comparisons, IN, BETWEEN, LIKE,
arithmetic, text functions, COALESCE, CASE, CAST, aggregates and scalar subqueries.

Each rule accepts only forms whose HogQL gives exactly the value SQLite gives over the fallback's
rows, and raises `Unsupported` for anything else.
"""

from __future__ import annotations

import json
from typing import cast

from sqlglot import exp

from posthog_dbapi.sql.pushdown_dialect import identifier
from posthog_dbapi.sql.pushdown_model import (
    NO_CONST,
    ORDERABLE,
    Scope,
    Typed,
    Unsupported,
    fn,
)
from posthog_dbapi.sql.pushdown_numconv import ConversionRules

__all__ = ["ExpressionRules"]

# The first 19 characters of a stored timestamp (`2024-01-05T10:00:00`) in formatDateTime.
_STORED_SECONDS = "%Y-%m-%dT%H:%i:%S"


_NUMERIC = ("int", "float", "null", "num", "jval")
"""Kinds arithmetic accepts; ``num`` and a property (``jval``) go through `pushdown_numbers`."""


def _row_typed(*sides: Typed) -> bool:
    kinds = {side.kind for side in sides}
    return bool(kinds & {"num", "jval"}) and kinds <= set(_NUMERIC)


class ExpressionRules(ConversionRules):
    """Rules for expressions (a mixin of the translator)."""

    # --- expressions ---------------------------------------------------------------------
    def expr(self, node: exp.Expression, scope: Scope, alias_ok: bool = False) -> Typed:
        folded = self.constant(node)
        if folded is not None:
            return folded
        handler = getattr(self, f"x_{type(node).__name__}", None)
        if handler is None:
            raise Unsupported(f"{type(node).__name__} ({node.sql(dialect='sqlite')[:60]})")
        result: Typed = handler(node, scope, alias_ok)
        return result

    def x_Paren(self, node: exp.Paren, scope: Scope, alias_ok: bool) -> Typed:
        inner = self.expr(node.this, scope, alias_ok)
        return Typed(exp.Paren(this=inner.node), inner.kind, inner.const, inner.agg,
                     text=inner.text, num=inner.num, prop=inner.prop, client=inner.client,
                     fallback=inner.fallback,
                     rounding=inner.rounding)  # fmt: skip

    def x_Column(self, node: exp.Column, scope: Scope, alias_ok: bool) -> Typed:
        name, table = node.name, node.table
        if alias_ok and not table and name in scope.outputs:
            if any(name in s.columns for s in scope.sources.values()):
                raise Unsupported(f"{name} names both a column and a result alias")
            if name in scope.nums:
                same = scope.nums[name]
                return Typed(same.node.copy(), same.kind, agg=same.agg, num=same.num,
                             rounding=same.rounding)  # fmt: skip
            alias, kind = scope.outputs[name]
            return Typed(exp.column(identifier(alias)), kind)
        source, col = scope.resolve(name, table)
        return Typed(source.ref(col), col.kind, normalise=col.normalise, textual=col.textual)

    def x_Literal(self, node: exp.Literal, scope: Scope, alias_ok: bool) -> Typed:
        if node.is_string:
            return Typed(self.value(node.this), "str", node.this)
        text = node.this
        try:
            number: int | float = int(text)
            kind = "int"
        except ValueError:
            number = float(text)
            kind = "float"
        return Typed(self.value(number), kind, number)

    def x_Placeholder(self, node: exp.Placeholder, scope: Scope, alias_ok: bool) -> Typed:
        value = self.param(node)
        kind = {str: "str", int: "int", float: "float", bool: "int", type(None): "null"}[
            type(value)
        ]
        return Typed(self.value(value), kind, value)

    def x_Null(self, node: exp.Null, scope: Scope, alias_ok: bool) -> Typed:
        return Typed(exp.Null(), "null", None)

    def x_Boolean(self, node: exp.Boolean, scope: Scope, alias_ok: bool) -> Typed:
        value = 1 if node.this else 0
        return Typed(exp.Literal.number(value), "int", value)

    def x_Neg(self, node: exp.Neg, scope: Scope, alias_ok: bool) -> Typed:
        inner = self.expr(node.this, scope, alias_ok)
        if _row_typed(inner):
            return self.num_negate(inner)
        if inner.kind not in ("int", "float"):
            raise Unsupported("minus of a non-number")
        const = -inner.const if inner.const is not NO_CONST else NO_CONST
        if const is not NO_CONST:
            return Typed(self.value(const), inner.kind, const)
        return Typed(exp.Neg(this=inner.node), inner.kind, agg=inner.agg)

    # Boolean logic.
    def _logic(self, node: exp.Expression, scope: Scope, alias_ok: bool) -> Typed:
        left = self.expr(node.this, scope, alias_ok)
        right = self.expr(node.expression, scope, alias_ok)
        for side in (left, right):
            if side.kind not in ("int", "null"):
                raise Unsupported("AND/OR over a non-boolean value")
        return Typed(type(node)(this=left.node, expression=right.node), "int",
                      agg=left.agg or right.agg)  # fmt: skip

    x_And = _logic
    x_Or = _logic

    def x_Not(self, node: exp.Not, scope: Scope, alias_ok: bool) -> Typed:
        inner = self.expr(node.this, scope, alias_ok)
        if inner.kind not in ("int", "null"):
            raise Unsupported("NOT of a non-boolean value")
        return Typed(exp.Not(this=exp.Paren(this=inner.node)), "int", agg=inner.agg)

    # Comparisons.
    def _compare(self, node: exp.Expression, scope: Scope, alias_ok: bool) -> Typed:
        cased = self.cased_json_comparison(node, scope, alias_ok)
        if cased is not None:
            return cased
        left = self.expr(node.this, scope, alias_ok)
        right = self.expr(node.expression, scope, alias_ok)
        agg = left.agg or right.agg
        built = self.comparison(type(node), left, right)
        return Typed(built, "int", agg=agg)

    x_EQ = _compare
    x_NEQ = _compare
    x_GT = _compare
    x_GTE = _compare
    x_LT = _compare
    x_LTE = _compare

    def comparison(self, op: type[exp.Expression], left: Typed, right: Typed) -> exp.Expression:
        flipped: dict[type[exp.Expression], type[exp.Expression]] = {
            exp.GT: exp.LT, exp.LT: exp.GT, exp.GTE: exp.LTE, exp.LTE: exp.GTE
        }  # fmt: skip
        if "num" in (left.kind, right.kind) and _row_typed(left, right):
            if "null" in (left.kind, right.kind):
                return exp.Null()
            return self.num_comparison(op, left, right)
        if right.kind in ("dt", "jval", "uuid") and left.kind not in ("dt", "jval", "uuid"):
            left, right = right, left
            op = flipped.get(op, op)
        lk, rk = left.kind, right.kind
        if "null" in (lk, rk):
            return exp.Null()  # any comparison with NULL is NULL in both engines
        if (lk == rk and lk in ("str", "int", "float", "dt")) or {lk, rk} == {"int", "float"}:
            return op(this=left.node, expression=right.node)
        if lk == "uuid" and rk in ("uuid", "str"):
            rnode = fn("toString", right.node) if rk == "uuid" else right.node
            return op(this=fn("toString", left.node), expression=rnode)
        if lk == "dt" and rk == "str" and isinstance(right.const, str):
            return self.dt_comparison(op, left.node, right.const)
        if lk == "jval" and rk == "str" and op in (exp.EQ, exp.NEQ):
            raw, text = left.node, left.text
            assert text is not None
            is_string = fn("startsWith", raw, exp.Literal.string('"'))
            equal = exp.and_(is_string, exp.EQ(this=text, expression=right.node))
            if op is exp.EQ:
                return exp.Paren(this=equal)
            present = exp.Not(this=exp.In(this=raw.copy(), expressions=[
                exp.Literal.string(""), exp.Literal.string("null")]))  # fmt: skip
            return exp.Paren(this=exp.and_(present, exp.Not(this=exp.Paren(this=equal))))
        if lk == "jval" and rk in ("int", "float"):
            return self.json_number_comparison(op, left, right)
        raise Unsupported(f"comparing {lk} with {rk}")

    def x_Is(self, node: exp.Is, scope: Scope, alias_ok: bool) -> Typed:
        left = self.expr(node.this, scope, alias_ok)
        if not isinstance(node.expression, exp.Null):
            raise Unsupported("IS with something other than NULL")
        if left.kind == "jval":
            raw = left.node
            return Typed(
                exp.In(this=raw, expressions=[exp.Literal.string(""), exp.Literal.string("null")]),
                "int",
            )
        return Typed(exp.Is(this=left.node, expression=exp.Null()), "int", agg=left.agg)

    def x_In(self, node: exp.In, scope: Scope, alias_ok: bool) -> Typed:
        left = self.expr(node.this, scope, alias_ok)
        query = node.args.get("query")
        if query is not None:
            inner, cols, _ = self.select(query.this if isinstance(query, exp.Subquery) else query)
            if len(cols) != 1 or cols[0].kind != left.kind or left.kind not in ORDERABLE:
                raise Unsupported("IN (subquery) of another kind")
            subject = left.node
            if left.kind == "uuid":
                if not isinstance(inner, exp.Select) or isinstance(inner, exp.SetOperation):
                    raise Unsupported("IN over a compound SELECT of UUIDs")
                # Both sides as text, the way the fallback compares its UUID text.
                subject = fn("toString", subject)
                for projection in inner.expressions:
                    projection.set("this", fn("toString", projection.this))
            return Typed(exp.In(this=subject, query=exp.Subquery(this=inner)), "int",
                          agg=left.agg)  # fmt: skip
        if node.args.get("unnest") or node.args.get("field"):
            raise Unsupported("IN UNNEST")
        items = [self.expr(e, scope, alias_ok) for e in node.expressions]
        if any(i.kind == "null" for i in items):
            raise Unsupported("NULL in an IN list")
        if not items:
            raise Unsupported("empty IN list")
        parts = [self.comparison(exp.EQ, left, item) for item in items]
        if left.kind in ("str", "int", "float") and all(
            i.kind == left.kind or {i.kind, left.kind} == {"int", "float"} for i in items
        ):
            return Typed(exp.In(this=left.node, expressions=[i.node for i in items]), "int",
                          agg=left.agg)  # fmt: skip
        if left.kind == "uuid" and all(i.kind == "str" for i in items):
            # One flat IN: a chain of thousands of ORs nests too deep for a parser (a 500 from
            # the emulator's sqlglot for `person_id IN (SELECT id FROM persons)` run locally).
            flat = exp.In(this=fn("toString", left.node), expressions=[i.node for i in items])
            return Typed(flat, "int", agg=left.agg)
        condition: exp.Expression = parts[0]
        for part in parts[1:]:
            condition = cast(exp.Expression, exp.or_(condition, part))
        return Typed(exp.Paren(this=condition), "int", agg=left.agg)

    def x_Between(self, node: exp.Between, scope: Scope, alias_ok: bool) -> Typed:
        value = self.expr(node.this, scope, alias_ok)
        low = self.expr(node.args["low"], scope, alias_ok)
        high = self.expr(node.args["high"], scope, alias_ok)
        both = exp.and_(self.comparison(exp.GTE, value, low),
                        self.comparison(exp.LTE, value, high))  # fmt: skip
        return Typed(exp.Paren(this=both), "int", agg=value.agg)

    # Arithmetic.
    def _arith(self, node: exp.Expression, scope: Scope, alias_ok: bool) -> Typed:
        left = self.expr(node.this, scope, alias_ok)
        right = self.expr(node.expression, scope, alias_ok)
        if {left.kind, right.kind} & {"str"} and {left.kind, right.kind} <= {"str", *_NUMERIC}:
            # Text reads as its numeric prefix (`pushdown_numconv`).
            left, right = (self.text_number(s) if s.kind == "str" else s for s in (left, right))
        if _row_typed(left, right) and "null" not in (left.kind, right.kind):
            return self.num_arith(type(node), left, right)
        if left.kind not in ("int", "float") or right.kind not in ("int", "float"):
            raise Unsupported("arithmetic on non-numbers")
        kind = "int" if left.kind == right.kind == "int" else "float"
        agg = left.agg or right.agg
        if isinstance(node, exp.Div):
            divide = (
                fn("intDiv", left.node, right.node)
                if kind == "int"
                else exp.Div(this=left.node, expression=right.node)
            )
            guarded = fn(
                "if", exp.EQ(this=right.node.copy(), expression=exp.Literal.number(0)),
                exp.Null(), divide,
            )  # fmt: skip
            return Typed(guarded, kind, agg=agg)
        return Typed(exp.Paren(this=type(node)(this=left.node, expression=right.node)), kind,
                      agg=agg)  # fmt: skip

    x_Add = _arith
    x_Sub = _arith
    x_Mul = _arith
    x_Div = _arith

    def x_DPipe(self, node: exp.DPipe, scope: Scope, alias_ok: bool) -> Typed:
        left = self.expr(node.this, scope, alias_ok)
        right = self.expr(node.expression, scope, alias_ok)
        if left.kind != "str" or right.kind != "str":
            raise Unsupported("|| on non-text values")
        return Typed(fn("concat", left.node, right.node), "str",
                      agg=left.agg or right.agg)  # fmt: skip

    # Functions.
    def _text_fn(self, node: exp.Expression, scope: Scope, alias_ok: bool) -> Typed:
        inner = self.expr(node.this, scope, alias_ok)
        if inner.kind != "str":
            raise Unsupported(f"{type(node).__name__} of a non-text value")
        name = {"Lower": "lower", "Upper": "upper", "Length": "lengthUTF8"}[type(node).__name__]
        return Typed(fn(name, inner.node), "int" if name == "lengthUTF8" else "str",
                      agg=inner.agg)  # fmt: skip

    x_Lower = _text_fn
    x_Upper = _text_fn
    x_Length = _text_fn

    def x_Substring(self, node: exp.Substring, scope: Scope, alias_ok: bool) -> Typed:
        inner = self.expr(node.this, scope, alias_ok)
        start = self.expr(node.args["start"], scope, alias_ok)
        args = [inner.node, start.node]
        ok = inner.kind == "str" and isinstance(start.const, int) and start.const >= 1
        length = node.args.get("length")
        if length is not None:
            size = self.expr(length, scope, alias_ok)
            ok = ok and isinstance(size.const, int) and size.const >= 0
            args.append(size.node)
        if not ok and inner.kind == "dt" and length is not None:
            # A stored timestamp's text starts with 19 characters of one fixed form in UTC
            # (`adapters.values.stored_timestamp`); after them its fraction and offset vary.
            ok = isinstance(start.const, int) and start.const >= 1 and isinstance(size.const, int)
            ok = (
                ok
                and size.const >= 0
                and start.const + size.const - 1 <= len("YYYY-mm-ddTHH:MM:SS")
            )
            args[0] = fn("formatDateTime", inner.node, self.value(_STORED_SECONDS))
        if not ok:
            raise Unsupported("SUBSTR other than of text from a positive position")
        return Typed(fn("substringUTF8", *args), "str", agg=inner.agg)

    def x_Abs(self, node: exp.Abs, scope: Scope, alias_ok: bool) -> Typed:
        inner = self.expr(node.this, scope, alias_ok)
        if inner.kind == "num":
            return self.num_abs(inner)
        if inner.kind == "jval" and inner.prop is not None:
            return self.property_abs(inner)
        if inner.kind not in ("int", "float"):
            raise Unsupported("ABS of a non-number")
        return Typed(fn("abs", inner.node), inner.kind, agg=inner.agg)

    def x_Coalesce(self, node: exp.Coalesce, scope: Scope, alias_ok: bool) -> Typed:
        args = [self.expr(node.this, scope, alias_ok)] + [
            self.expr(e, scope, alias_ok) for e in node.expressions
        ]
        kinds = {a.kind for a in args} - {"null"}
        first, rest = args[0], args[1:]
        if first.kind == "jval" and len(rest) == 1 and isinstance(rest[0].const, (str, int, float)):
            # coalesce(json_extract(...), 'none'): a missing or null property reads as the
            # constant, carried as the JSON text it decodes from (values, never HogQL text).
            assert first.text is not None
            missing = exp.In(this=first.node.copy(), expressions=[
                exp.Literal.string(""), exp.Literal.string("null")])  # fmt: skip
            constant = rest[0].const
            raw = fn("if", missing, self.value(json.dumps(constant)), first.node)
            text = fn("if", missing.copy(), self.value(str(constant)), first.text)
            number = constant if isinstance(constant, (int, float)) else None
            # As a number (`pushdown_numconv.coalesced_num`): the property, or the constant.
            return Typed(raw, "jval", agg=first.agg, text=text, fallback=number,
                         prop=first.prop if number is not None else None)  # fmt: skip
        if len(kinds) != 1 or kinds & {"jval", "json", "unknown", "num"}:
            raise Unsupported("COALESCE over values of different kinds")
        return Typed(fn("coalesce", *[a.node for a in args]), kinds.pop(),
                      agg=any(a.agg for a in args))  # fmt: skip

    def x_Case(self, node: exp.Case, scope: Scope, alias_ok: bool) -> Typed:
        if node.this is not None:
            # CASE x WHEN v THEN ... compares x = v branch by branch, as the searched form does.
            searched = [
                exp.If(
                    this=exp.EQ(this=node.this.copy(), expression=b.this.copy()),
                    true=b.args["true"],
                )
                for b in node.args.get("ifs") or []
            ]
            return self.x_Case(exp.Case(ifs=searched, default=node.args.get("default")), scope,
                               alias_ok)  # fmt: skip
        ifs = []
        kinds: set[str] = set()
        agg = False
        for branch in node.args.get("ifs") or []:
            cond = self.expr(branch.this, scope, alias_ok)
            then = self.expr(branch.args["true"], scope, alias_ok)
            if cond.kind not in ("int", "null"):
                raise Unsupported("CASE WHEN over a non-boolean value")
            kinds.add(then.kind)
            agg = agg or cond.agg or then.agg
            ifs.append(exp.If(this=cond.node, true=then.node))
        default = node.args.get("default")
        default_node: exp.Expression | None = None
        if default is not None:
            typed = self.expr(default, scope, alias_ok)
            kinds.add(typed.kind)
            default_node = typed.node
            agg = agg or typed.agg
        kinds.discard("null")
        if len(kinds) > 1 or kinds & {"jval", "json", "unknown", "num"}:
            raise Unsupported("CASE branches of different kinds")
        return Typed(exp.Case(ifs=ifs, default=default_node), kinds.pop() if kinds else "null",
                      agg=agg)  # fmt: skip

    def x_If(self, node: exp.If, scope: Scope, alias_ok: bool) -> Typed:
        case = exp.Case(ifs=[exp.If(this=node.this, true=node.args["true"])],
                        default=node.args.get("false"))  # fmt: skip
        return self.x_Case(case, scope, alias_ok)

    def x_Cast(self, node: exp.Cast, scope: Scope, alias_ok: bool) -> Typed:
        inner = self.expr(node.this, scope, alias_ok)
        target = node.to.this
        T = exp.DataType.Type
        if target in (T.TEXT, T.VARCHAR) and inner.kind in ("str", "uuid", "int"):
            built = inner.node if inner.kind == "str" else fn("toString", inner.node)
            return Typed(built, "str", agg=inner.agg)
        # HogQL's names: toInt is accurateCastOrNull(x, 'Int64'), NULL for a fraction, so a
        # float is truncated first, as SQLite's CAST does.
        if target in (T.INT, T.BIGINT) and inner.kind == "int":
            return Typed(inner.node, "int", inner.const, agg=inner.agg)
        if target in (T.INT, T.BIGINT) and inner.kind == "float":
            return Typed(fn("toInt", fn("trunc", inner.node)), "int", agg=inner.agg)
        if target in (T.FLOAT, T.DOUBLE) and inner.kind in ("int", "float"):
            return Typed(fn("toFloat", inner.node), "float", agg=inner.agg)
        number = {T.INT: "int", T.BIGINT: "int", T.FLOAT: "float", T.DOUBLE: "float"}.get(target)
        converted = self.number_cast(inner, number) if number else None
        if converted is not None:
            return converted
        raise Unsupported(f"CAST of {inner.kind} AS {node.to.sql(dialect='sqlite')}")

    # Aggregates.
    def x_Count(self, node: exp.Count, scope: Scope, alias_ok: bool) -> Typed:
        arg = node.this
        if arg is None or isinstance(arg, exp.Star):
            return Typed(fn("count"), "int", agg=True)
        if isinstance(arg, exp.Distinct):
            if len(arg.expressions) != 1:
                raise Unsupported("COUNT(DISTINCT a, b)")
            inner = self.expr(arg.expressions[0], scope, alias_ok)
            if inner.kind not in ORDERABLE or inner.agg:
                raise Unsupported(f"COUNT(DISTINCT) of {inner.kind}")
            # UNVERIFIED: HogQL's count(DISTINCT x) is exact (uniqExact), like ClickHouse's
            # default count_distinct_implementation.
            return Typed(exp.Count(this=exp.Distinct(expressions=[inner.node])), "int", agg=True)
        inner = self.expr(arg, scope, alias_ok)
        if inner.kind == "jval" and not inner.agg:
            # json_extract is NULL for a missing key and for JSON null.
            present = exp.Not(this=exp.In(this=inner.node, expressions=[
                exp.Literal.string(""), exp.Literal.string("null")]))  # fmt: skip
            return Typed(fn("countIf", present), "int", agg=True)
        if inner.kind == "num":
            return self.num_aggregate("count", inner)
        if inner.kind not in (*ORDERABLE, "json") or inner.agg:
            raise Unsupported(f"COUNT of {inner.kind}")
        return Typed(fn("count", inner.node), "int", agg=True)

    def _aggregate(self, node: exp.Expression, scope: Scope, alias_ok: bool) -> Typed:
        name = type(node).__name__.lower()
        inner = self.expr(node.this, scope, alias_ok)
        if inner.agg:
            raise Unsupported("nested aggregate")
        if inner.kind in ("num", "jval"):
            return self.num_aggregate(name, inner)
        numeric = inner.kind in ("int", "float")
        if (name in ("sum", "avg") and not numeric) or inner.kind not in ORDERABLE:
            raise Unsupported(f"{name.upper()} of {inner.kind}")
        value = inner.node if inner.kind != "uuid" else fn("toString", inner.node)
        kind = "float" if name == "avg" else ("str" if inner.kind == "uuid" else inner.kind)
        # ClickHouse's min/max/sum of no rows is a default value, SQLite's is NULL.
        built = fn(
            "if",
            exp.GT(this=fn("count", value.copy()), expression=exp.Literal.number(0)),
            fn(name, value),
            exp.Null(),
        )
        return Typed(built, kind, agg=True)

    x_Min = _aggregate
    x_Max = _aggregate
    x_Sum = _aggregate
    x_Avg = _aggregate

    def x_Subquery(self, node: exp.Subquery, scope: Scope, alias_ok: bool) -> Typed:
        inner, cols, _ = self.select(node.this)
        if len(cols) != 1 or cols[0].kind in ("jval", "json", "num"):
            raise Unsupported("a scalar subquery of more than one column")
        # SQLite takes the first row of a scalar subquery; ClickHouse refuses more than one.
        # One row in the subquery's own order is the same row; without an order it is not.
        one_row = not inner.args.get("group") and any(
            e.find(exp.AggFunc) for e in inner.expressions
        )
        if not one_row:
            if inner.args.get("order") is None:
                raise Unsupported("a scalar subquery of several rows without ORDER BY")
            current = inner.args.get("limit")
            if current is None or int(current.expression.name) > 1:
                inner.set("limit", exp.Limit(expression=exp.Literal.number(1)))
        return Typed(exp.Subquery(this=inner), cols[0].kind)
