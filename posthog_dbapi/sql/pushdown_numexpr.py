"""HogQL building blocks for numbers SQLite types row by row (`pushdown_numbers`): operators
with only the parentheses HogQL's precedence needs, flat CASEs, and `Num`, a value carried as its
INTEGER and REAL parts.

PostHog's parser slows down steeply with each nested call and parenthesis, while CASE, IS NULL
and operators stay cheap, so everything here is built from those.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

__all__ = [
    "INTEGER_TEXT",
    "PREFIX",
    "WHOLE_INTEGER_TEXT",
    "Num",
    "and_",
    "as_real",
    "case",
    "int_lit",
    "is_min_int",
    "is_null",
    "not_null",
    "op",
    "or_",
    "overflow_of",
    "text_lit",
    "tidy",
]

# SQLite's numeric prefix of a text (sqlite3AtoF): whitespace of sqlite3Isspace, a sign, digits
# with an optional point, an exponent only when digits follow ('1e' reads as 1).
PREFIX = r"^[\t\n\v\f\r ]*([+-]?(?:[0-9]+[.]?[0-9]*|[.][0-9]+)(?:[eE][+-]?[0-9]+)?)"
INTEGER_TEXT = r"^[+-]?[0-9]+$"
# A text SUM's numeric affinity reads as an INTEGER: digits only, spaces around allowed.
WHOLE_INTEGER_TEXT = r"^[\t\n\v\f\r ]*[+-]?[0-9]+[\t\n\v\f\r ]*$"
_MIN_INT64_PLUS_ONE = 9223372036854775807


def int_lit(value: int | str) -> exp.Expression:
    if isinstance(value, int) and value < 0:
        return exp.Neg(this=exp.Literal.number(-value))
    return exp.Literal.number(value)


def text_lit(text: str) -> exp.Expression:
    return exp.Literal.string(text)


_BINARY: dict[type[exp.Expression], int] = {
    exp.Or: 1, exp.And: 2, exp.EQ: 5, exp.NEQ: 5, exp.GT: 5, exp.GTE: 5, exp.LT: 5,
    exp.LTE: 5, exp.Like: 5, exp.Add: 6, exp.Sub: 6, exp.Mul: 7, exp.Div: 7,
}  # fmt: skip


def _rank(node: exp.Expression) -> int:
    if isinstance(node, exp.Not):
        return 3
    if isinstance(node, (exp.Is, exp.In)):
        return 4
    if isinstance(node, exp.Neg):
        return 8
    return _BINARY.get(type(node), 10)


def tidy(node: exp.Expression) -> exp.Expression:
    """`node` with the parentheses HogQL's precedence needs and no others: PostHog's parser
    slows down steeply with each nested parenthesis (as with each nested call)."""

    def bare(child: exp.Expression) -> exp.Expression:
        while isinstance(child, exp.Paren):
            child = child.this
        return child

    def wrap(child: exp.Expression, needed: bool) -> exp.Expression:
        return exp.Paren(this=child) if needed else child

    def fix(current: exp.Expression) -> exp.Expression:
        rank = _rank(current)
        if type(current) in _BINARY:
            left, right = bare(current.this), bare(current.expression)
            # Comparisons do not chain; the right side of - and / binds first.
            same = 1 if rank == 5 else 0
            current.set("this", wrap(left, _rank(left) < rank + same))
            current.set("expression", wrap(right, _rank(right) <= rank))
        elif isinstance(current, (exp.Not, exp.Is, exp.Neg)):
            inner = bare(current.this)
            floor = {3: 3, 4: 6, 8: 10}[rank]
            current.set("this", wrap(inner, _rank(inner) < floor))
        return current

    return node.transform(fix, copy=False)


def case(*branches: tuple[exp.Expression, exp.Expression],
          default: exp.Expression | None = None) -> exp.Expression:  # fmt: skip
    return exp.Case(ifs=[exp.If(this=c.copy(), true=t.copy()) for c, t in branches],
                    default=None if default is None else default.copy())  # fmt: skip


def is_null(node: exp.Expression) -> exp.Expression:
    return exp.Is(this=node.copy(), expression=exp.Null())


def not_null(node: exp.Expression) -> exp.Expression:
    # ``x IS NOT NULL``: ``NOT (x IS NULL)`` costs PostHog's parser a parenthesis.
    return exp.Is(this=node.copy(), expression=exp.Not(this=exp.Null()))


def and_(*parts: exp.Expression) -> exp.Expression:
    out = parts[0].copy()
    for part in parts[1:]:
        out = exp.And(this=out, expression=part.copy())
    return out


def or_(*parts: exp.Expression) -> exp.Expression:
    out = parts[0].copy()
    for part in parts[1:]:
        out = exp.Or(this=out, expression=part.copy())
    return out


def op(kind: type[exp.Expression], left: exp.Expression, right: exp.Expression
        ) -> exp.Expression:  # fmt: skip
    return kind(this=left.copy(), expression=right.copy())


def as_real(node: exp.Expression) -> exp.Expression:
    """An Int64 as Float64 by an operator (a call would nest)."""
    return op(exp.Mul, node, exp.Literal.number("1.0"))


def is_min_int(node: exp.Expression) -> exp.Expression:
    return op(exp.LT, node, int_lit(-_MIN_INT64_PLUS_ONE))


@dataclass
class Num:
    """A value SQLite types row by row, as HogQL expressions over shallow columns."""

    w: exp.Expression
    """The value where SQLite's is an INTEGER, else NULL."""
    r: exp.Expression
    """The value where SQLite's is a REAL, else NULL."""
    static: str | None = None
    """``"int"`` or ``"float"`` when the type is the same on every row."""
    summed_int: exp.Expression | None = None
    """A property's: the INTEGER SUM adds for the row, NULL where it adds a REAL or nothing
    (SUM reads text other than arithmetic does)."""
    summed_real: exp.Expression | None = None
    """A property's: the REAL SUM adds for the row, NULL where it adds an INTEGER or nothing."""
    summed_double: exp.Expression | None = None
    """A property's: `summed_int` as a Float64."""
    summed_any: exp.Expression | None = None
    """A property's: the Float64 SUM adds for the row (INTEGER or REAL), NULL if nothing."""
    lowest_int: exp.Expression | None = None
    """A property's: the INTEGER MIN/MAX compare, NULL on other rows."""
    lowest_real: exp.Expression | None = None
    """A property's: the REAL MIN/MAX compare, NULL on other rows."""
    cls: exp.Expression | None = None
    """A property's: 0 NULL, 1 INTEGER, 2 REAL, 3 a JSON string, 4 an object or array."""
    text: exp.Expression | None = None
    """A property's: SQLite's TEXT value of a string, object or array row, else NULL."""
    overflow: exp.Expression | None = None
    """True where SQLite's SUM would stop with "integer overflow"."""
    layer: int | None = None
    """Row by row, read from a column of the source's subqueries: the layer after which it
    exists (a property's parts: 3). None: an expression of the statement itself."""
    order_key: exp.Expression | None = None
    """An aggregate's: a Float64 that orders like its value, shorter than `real_view`."""

    def __post_init__(self) -> None:
        for name in (
            "w",
            "r",
            "summed_int",
            "summed_real",
            "summed_double",
            "summed_any",
            "cls",
            "text",
            "overflow",
            "lowest_int",
            "lowest_real",
        ):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, tidy(value))

    def real_view(self) -> exp.Expression:
        """The value as a Float64, as SQLite converts it for a REAL operation."""
        if self.static == "int":
            return tidy(as_real(self.w))
        if self.static == "float":
            return self.r.copy()
        return tidy(case((not_null(self.w), as_real(self.w)), default=self.r))

    def present(self) -> exp.Expression:
        if self.static == "int":
            return not_null(self.w)
        if self.static == "float":
            return not_null(self.r)
        return or_(not_null(self.w), not_null(self.r))


def overflow_of(*nums: Num) -> exp.Expression | None:
    flags = [n.overflow for n in nums if n.overflow is not None]
    return or_(*flags) if flags else None
