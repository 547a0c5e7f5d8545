"""The last step of a pushed-down number, done by the client: SQLite's arithmetic, aggregates and
``round()`` over the few plain values HogQL returns for a result column.

A result column such as ``sum(json_extract(properties, '$.revenue')) / count(*)`` or
``round(avg(...), 2)`` would need deeply nested HogQL to reproduce SQLite's typing row by row and
group by group, and PostHog's parser slows down steeply with nesting. So HogQL returns only the
leaves (a property's INTEGER and REAL parts, a SUM's integer and REAL sums and counts, a
``count(*)``) as one tuple column, and `Client.evaluate` computes the rest here by SQLite's rules:
INTEGER arithmetic until it overflows, then REAL; ``/`` truncating between INTEGERs; ``x / 0``
NULL; no NaN (NULL instead); SUM an INTEGER while every value is one; AVG and TOTAL REALs;
``round()`` as SQLite rounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from posthog_dbapi.exceptions import OperationalError
from posthog_dbapi.sql.pushdown_types import sqlite_round

__all__ = ["Client", "decode_extreme", "decode_pair", "decode_sum", "decode_total"]

_MIN, _MAX = -(2**63), 2**63 - 1


def _overflow() -> OperationalError:
    return OperationalError(
        "integer overflow: the SUM of this column's integers is past the 64-bit range",
        {"reason": "integer overflow"},
        suggestion="Use total() or CAST the values AS REAL to add them as floats.",
    )


def _number(value: Any) -> int | float | None:
    """A value of a JSON answer: 64-bit integers may arrive quoted."""
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return float(text)


def _real(value: float) -> float | None:
    return None if value != value else value


def decode_pair(values: Sequence[Any]) -> Any:
    """A property read as a number: (INTEGER or NULL, REAL or NULL)."""
    whole, real = values
    if whole is not None:
        return int(whole)
    # A REAL with no fraction may arrive as JSON integer text.
    return None if real is None else float(real)


def _sums(values: Sequence[Any]) -> tuple[int, int, int, float, float, bool]:
    count, reals, whole, whole_real, real = (_number(v) for v in values)
    whole_real = float(whole_real or 0.0)
    # ClickHouse wraps an Int64 sum; the REAL sum of the same values tells whether it did.
    wrapped = abs(whole_real - float(whole or 0)) > 1e18
    if not wrapped:
        # The exact sum, as a REAL: adding the integers one by one as REALs can lose small
        # ones next to large ones, which SQLite's compensated sum keeps.
        whole_real = float(whole or 0)
    return (
        int(count or 0),
        int(reals or 0),
        int(whole or 0),
        whole_real,
        float(real or 0.0),
        wrapped,
    )


def decode_sum(values: Sequence[Any]) -> Any:
    """SUM from (values, REAL values, INTEGER sum, its REAL sum, REAL sum)."""
    count, reals, whole, whole_real, real, wrapped = _sums(values)
    if not count:
        return None
    if not reals:
        if wrapped:
            raise _overflow()
        return whole
    return _real(real + whole_real)


def decode_total(values: Sequence[Any]) -> Any:
    """TOTAL: the same sums, always a REAL, 0.0 over no values."""
    count, reals, whole, whole_real, real, wrapped = _sums(values)
    if count and not reals and not wrapped:
        return float(whole)
    return _real(real + whole_real)


def decode_extreme(name: str) -> Callable[[Sequence[Any]], Any]:
    """MIN/MAX from (INTEGER extreme, REAL extreme, text extreme): numbers before texts, an
    INTEGER and a REAL compared exactly (a tie keeps the INTEGER)."""

    def one(values: Sequence[Any]) -> Any:
        whole = None if values[0] is None else int(values[0])
        real = None if values[1] is None else float(values[1])
        text = values[2]
        numbers = [v for v in (whole, real) if v is not None]
        if name == "max":
            if text is not None:
                return text
            return max(numbers) if numbers else None
        if numbers:
            return min(numbers)
        return text

    return one


def _arith(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, int) and isinstance(b, int):
        if op == "/":
            if b == 0:
                return None
            quotient = abs(a) // abs(b)
            result = quotient if (a < 0) == (b < 0) else -quotient
        else:
            result = a + b if op == "+" else a - b if op == "-" else a * b
        if _MIN <= result <= _MAX:
            return result
        # Past 64 bits SQLite redoes the operation on REALs.
    x, y = float(a), float(b)
    if op == "/":
        return None if y == 0 else _real(x / y)
    return _real(x + y if op == "+" else x - y if op == "-" else x * y)


@dataclass
class Client:
    """An expression the client finishes: a leaf of HogQL values, a constant, or an operation."""

    op: str
    """``leaf``, ``const``, ``+``, ``-``, ``*``, ``/``, ``abs`` or ``round``."""
    args: list[Client] = field(default_factory=list)
    nodes: list[exp.Expression] = field(default_factory=list)
    """leaf: the HogQL expressions whose values it reads."""
    decode: Callable[[Sequence[Any]], Any] | None = None
    value: Any = None
    digits: int = 0

    def leaves(self) -> list[exp.Expression]:
        """Every HogQL expression the tree reads, in evaluation order."""
        if self.op == "leaf":
            return [n.copy() for n in self.nodes]
        return [node for arg in self.args for node in arg.leaves()]

    def evaluate(self, values: Iterator[Any]) -> Any:
        if self.op == "leaf":
            mine = [next(values) for _ in self.nodes]
            assert self.decode is not None
            return self.decode(mine)
        if self.op == "const":
            return self.value
        found = [arg.evaluate(values) for arg in self.args]
        if self.op == "round":
            return None if found[0] is None else sqlite_round(self.digits)(found[0])
        if self.op == "abs":
            (x,) = found
            if x is None:
                return None
            if isinstance(x, int) and x == _MIN:
                raise OperationalError("integer overflow: abs() of the smallest integer",
                                       {"reason": "integer overflow"})  # fmt: skip
            return abs(x)
        return _arith(self.op, found[0], found[1])

    def column(self) -> Callable[[Any], Any]:
        """The decoder of the result column: HogQL answers the leaves as one tuple."""

        def one(answer: Any) -> Any:
            items = list(answer) if isinstance(answer, (list, tuple)) else [answer]
            return self.evaluate(iter(items))

        return one
