"""Translator rules for SUM, TOTAL, AVG, MIN, MAX and COUNT of arithmetic over JSON properties
(``sum(json_extract(properties, '$.revenue') * 2)``, ``avg(x / 100.0)``, ``max(x + 1)``),
with SQLite's type rules.

Arithmetic never gives text, so each row's value is an INTEGER (`Num`'s ``w``) or a REAL
(``r``) or NULL, and the aggregates follow from those two columns as for a property
(`pushdown_numbers`): SUM adds INTEGERs exactly while every value is one, then turns REAL
(the client tells an Int64 sum that wrapped, SQLite's "integer overflow", `decode_sum`); TOTAL
and AVG are REALs; MIN and MAX compare an INTEGER with a REAL exactly. As for a property, a REAL
sum is added in ClickHouse's order, not with SQLite's compensation (README), and a MIN/MAX tie
between an INTEGER and a REAL of one value gives the INTEGER where SQLite keeps the row it met
first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlglot import exp

from posthog_dbapi.sql.pushdown_client import Client, decode_sum, decode_total
from posthog_dbapi.sql.pushdown_model import Typed, Unsupported, fn
from posthog_dbapi.sql.pushdown_numbers import NumberRules
from posthog_dbapi.sql.pushdown_numexpr import (
    Num,
    and_,
    as_real,
    case,
    int_lit,
    not_null,
    op,
    or_,
)

__all__ = ["ArithAggregateRules"]


class ArithAggregateRules(NumberRules):
    """Aggregates of row-typed arithmetic (a mixin of the translator)."""

    def arith_aggregate(self, name: str, a: Num) -> Typed:
        """`name` of an arithmetic result `a` (never text: no class, no text part)."""
        if a.cls is not None or a.text is not None:
            raise Unsupported(f"{name.upper()} of a value that may be text")
        w, r = a.w, a.r
        present = or_(not_null(w), not_null(r))
        count = fn("countIf", present)
        if name == "count":
            return Typed(count, "int", agg=True)
        if name in ("min", "max"):
            return self._extreme(name, Num(w, r, lowest_int=w, lowest_real=r, text=exp.Null()))
        if name == "avg":
            average = fn("avg", a.real_view())
            return Typed(average, "float", agg=True,
                         client=Client("leaf", nodes=[average.copy()],
                                       decode=_float))  # fmt: skip
        # A CASE, not sum(w * 1.0): ClickHouse rewrites that as sum(w) * 1.0, which wraps past
        # Int64 before turning REAL.
        ints, ints_real = fn("sum", w.copy()), fn("sum", case((not_null(w), as_real(w))))
        reals, reals_count = fn("sum", r.copy()), fn("count", r.copy())
        pieces = [count.copy(), reals_count.copy(), ints.copy(), ints_real.copy(), reals.copy()]
        float_total = op(exp.Add, fn("coalesce", reals, exp.Literal.number("0.0")),
                         fn("coalesce", ints_real, exp.Literal.number("0.0")))  # fmt: skip
        if name == "total":
            return Typed(float_total, "float", agg=True,
                         client=Client("leaf", nodes=pieces, decode=decode_total))  # fmt: skip
        all_int = op(exp.EQ, reals_count, int_lit(0))
        total_w = case((and_(all_int, op(exp.GT, count, int_lit(0))), ints))
        total_r = case((op(exp.GT, reals_count, int_lit(0)), float_total))
        num = Num(total_w, total_r, order_key=float_total.copy())
        return Typed(num.real_view(), "num", agg=True, num=num,
                     client=Client("leaf", nodes=pieces, decode=decode_sum))  # fmt: skip


def _float(values: Sequence[Any]) -> float | None:
    return None if values[0] is None else float(values[0])
