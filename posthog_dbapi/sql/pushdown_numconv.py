"""Translator rules for values SQLite converts to numbers: ``CAST(... AS INTEGER/REAL)`` of text
and of JSON properties, text in arithmetic (``strftime('%H', timestamp) / 6``), ``%`` of
anything numeric, ``typeof()`` and ``abs()`` of a property, and ``-x`` and ``abs()`` of
arithmetic, with SQLite's rules (checked in SQLite 3.54 itself):

- CAST(text AS INTEGER) reads the longest integer prefix after leading spaces (``'12.9'`` 12,
  ``' 7x'`` 7, ``'1e3'`` 1, ``'abc'`` 0) and clamps past 64 bits; CAST(text AS REAL) reads the
  numeric prefix (``'abc'`` 0.0); a REAL truncates toward zero, clamped; a JSON object is text.
- Text in arithmetic is its numeric prefix, an INTEGER when that is a whole number that fits.
- ``x % y`` converts both sides by CAST's rule; it is an INTEGER when both sides are INTEGERs
  in arithmetic, else the REAL of the integer remainder (``5.5 % 2`` is 1.0); ``% 0`` is NULL.
- ``typeof(json_extract(...))``: a JSON true is ``'integer'``, an object ``'text'``.
- ``abs()`` of an INTEGER is one (the smallest raises "integer overflow"); of anything else it is
  the REAL of its numeric value (``abs('12')`` is 12.0).

- ``coalesce(property, number)`` in arithmetic and aggregates is the property, or the number
  where it is missing or null.

A property's conversions, and those of text computed from one table's row (``substr(...)``),
are more columns of the subqueries `pushdown_numbers` reads the table through, so each is
computed once and statements stay shallow for PostHog's parser; other text converts inline.
``strftime`` of digits only (``'%H'``, ``'%Y%m'``) is a plain INTEGER. ``CAST('-0' AS REAL)``
gives 0.0 (SQLite -0.0): ClickHouse would group it apart from 0.0, where SQLite merges them,
and the Query API's JSON loses the sign anyway.

Kept in SQLite: GROUP BY, DISTINCT or a set operation over ``%`` or ``abs()`` of a value that
may be an INTEGER on one row and a REAL on another (SQLite merges 1 with 1.0 and keeps
whichever row came first; ``%`` is a REAL when either side is one, so ``x % 3`` of a property
is such a value), as for the rest of `pushdown_numbers`; CAST, ``%`` or ``typeof()`` of
``coalesce(property, number)`` (its text converts by CAST's rules).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from posthog_dbapi.exceptions import OperationalError
from posthog_dbapi.sql.pushdown_client import Client, decode_pair
from posthog_dbapi.sql.pushdown_dialect import identifier
from posthog_dbapi.sql.pushdown_model import NO_CONST, Typed, Unsupported, fn
from posthog_dbapi.sql.pushdown_numagg import ArithAggregateRules
from posthog_dbapi.sql.pushdown_numexpr import (
    INTEGER_TEXT,
    PREFIX,
    Num,
    and_,
    as_real,
    case,
    int_lit,
    is_null,
    not_null,
    op,
    or_,
    text_lit,
    tidy,
)

__all__ = ["ConversionRules", "sqlite_int"]

# sqlite3Atoi64: spaces of sqlite3Isspace, a sign, digits.
INTEGER_PREFIX = r"^[\t\n\v\f\r ]*([+-]?[0-9]+)"
_MAX = 2**63 - 1
# strftime specifiers whose text is digits only (%s may carry a minus sign: still an integer).
_DIGITS = frozenset({"%Y", "%m", "%d", "%H", "%i", "%S", "%j", "%W", "%U", "%w", "%u", "%s"})


def sqlite_int(value: float) -> int:
    """A REAL as SQLite's CAST AS INTEGER gives it: truncated toward zero, clamped."""
    if value >= 9223372036854775808.0:
        return _MAX
    if value <= -9223372036854775808.0:
        return -_MAX - 1
    return int(value)


def _min_int() -> exp.Expression:
    return op(exp.Sub, int_lit(-_MAX), int_lit(1))


def _real_branches(real: exp.Expression, *also: exp.Expression
                   ) -> list[tuple[exp.Expression, exp.Expression]]:  # fmt: skip
    """CASE branches of CAST(real AS INTEGER): truncated toward zero, clamped (doubleToInt64),
    each under the conditions `also`; flat, because PostHog's parser slows down steeply with a
    CASE inside a CASE."""
    limit = exp.Literal.number("9223372036854775808.0")
    return [
        (and_(*also, op(exp.GTE, real, limit)), int_lit(_MAX)),
        (and_(*also, op(exp.LTE, real, exp.Neg(this=limit.copy()))), _min_int()),
        (and_(*also, not_null(real)), fn("toInt", fn("trunc", real.copy()))),
    ]


def _real_to_int(real: exp.Expression) -> exp.Expression:
    return case(*_real_branches(real, exp.true()))


def _no_negative_zero(real: exp.Expression) -> exp.Expression:
    """`real`, with -0.0 (CAST('-0' AS REAL)) as 0.0: ClickHouse groups the two apart where
    SQLite merges them, and the Query API's JSON (``-0``) loses the sign anyway."""
    return op(exp.Add, real, exp.Literal.number("0.0"))


def _decode_abs(values: Any) -> Any:
    value = decode_pair(values)
    if isinstance(value, int) and value < 0:
        # ClickHouse's abs() of the smallest Int64 wraps; SQLite's stops.
        raise OperationalError("integer overflow: abs() of the smallest integer",
                               {"reason": "integer overflow"})  # fmt: skip
    return value


class ConversionRules(ArithAggregateRules):
    """Rules for conversions to numbers (a mixin of the translator)."""

    # --- text ----------------------------------------------------------------------------
    def digit_text(self, typed: Typed) -> bool:
        """Whether `typed` is ``strftime`` text of digits only: ``formatDateTime`` of digit
        specifiers, or `pushdown_properties`' computed %W, %U (zero-padded) and %s."""
        node = typed.node
        if isinstance(node, exp.Concat):
            return all(self.digit_text(Typed(e, "str")) for e in node.expressions)
        if not isinstance(node, exp.Anonymous):
            return False
        args = node.expressions
        if node.name == "leftPad" and len(args) == 3:
            return self._value_of(args[2]) == "0"
        if node.name == "toString" and len(args) == 1:
            return isinstance(args[0], exp.Anonymous) and args[0].name == "toUnixTimestamp"
        if node.name == "formatDateTime" and len(args) == 2:
            text = self._value_of(args[1])
            if not isinstance(text, str):
                return False
            parts = [text[i : i + 2] for i in range(0, len(text), 2)]
            return bool(parts) and all(part in _DIGITS for part in parts)
        return False

    def _value_of(self, node: exp.Expression | None) -> Any:
        if isinstance(node, exp.Placeholder):
            return self.values.get(node.name, NO_CONST)
        if isinstance(node, exp.Literal) and node.is_string:
            return node.this
        return NO_CONST

    def _text_parts(self, typed: Typed) -> dict[str, exp.Expression] | None:
        """Text of one table's row as a number (``w``, ``r``) and its CASTs (``ci``, ``cr``):
        columns of the subqueries `pushdown_numbers` reads the table through, so the text's
        conversions are computed once (PostHog's parser is slow over them nested); None when
        the text is not one table's row's."""
        node = typed.node
        if typed.agg or node.find(exp.AggFunc, exp.Window, exp.Subquery, exp.Select):
            return None
        tables = {c.table for c in node.find_all(exp.Column)}
        alias = tables.pop() if len(tables) == 1 else ""
        if not alias:
            return None
        self._number_state()
        known: dict[str, dict[str, exp.Expression]] = self.__dict__.setdefault("text_parts", {})
        key = f"{alias}:{node.sql()}"
        if key in known:
            return known[key]
        base = f"x{len(known)}"
        layers = self.number_layers.setdefault(alias, [[], [], [], []])

        def at(layer: int, name: str) -> exp.Expression:
            return exp.column(identifier(f"{base}{name}"), identifier(f"{alias}l{layer}"))

        layers[0].append((f"{base}s", node.copy().transform(
            lambda n: exp.column(identifier(n.name), identifier(f"{alias}l0"))
            if isinstance(n, exp.Column) and n.table == alias else n)))  # fmt: skip
        text = at(1, "s")
        layers[1] += [
            (f"{base}p", exp.Anonymous(this="extract", expressions=[text, self.value(PREFIX)])),
            (f"{base}d", exp.Anonymous(this="extract",
                                       expressions=[text.copy(), self.value(INTEGER_PREFIX)])),
        ]  # fmt: skip
        prefix = at(2, "p")
        layers[2] += [
            (f"{base}pi", fn("toInt", prefix)),
            (f"{base}pm", fn("match", prefix.copy(), self.value(INTEGER_TEXT))),
            (f"{base}fp", fn("toFloat", prefix.copy())),
            (f"{base}di", fn("toInt", at(2, "d"))),
        ]
        prefix, whole, fp = at(3, "p"), at(3, "pi"), at(3, "fp")
        digits, number = at(3, "d"), at(3, "di")
        empty = op(exp.EQ, prefix, text_lit(""))
        integral = and_(at(3, "pm"), not_null(whole))
        layers[3] += [(f"{base}{name}", tidy(part)) for name, part in (
            ("w", case((empty, int_lit(0)), (integral, whole))),
            ("r", case((or_(empty, integral), exp.Null()), default=fp)),
            ("ci", case((is_null(digits), exp.Null()),
                        (op(exp.EQ, digits, text_lit("")), int_lit(0)),
                        (not_null(number), number),
                        (exp.Like(this=digits.copy(), expression=text_lit("-%")), _min_int()),
                        default=int_lit(_MAX))),
            ("cr", case((empty, exp.Literal.number("0.0")), default=_no_negative_zero(fp))),
        )]  # fmt: skip
        known[key] = {n: self._column(alias, f"{base}{n}") for n in ("w", "r", "ci", "cr")}
        return known[key]

    def text_number(self, typed: Typed) -> Typed:
        """Text in arithmetic: its numeric prefix, an INTEGER when it is a whole one."""
        if self.digit_text(typed):
            return Typed(fn("toInt", typed.node.copy()), "int", agg=typed.agg)
        parts = self._text_parts(typed)
        if parts is not None:
            num = Num(parts["w"].copy(), parts["r"].copy(), layer=3)
        else:
            prefix = exp.Anonymous(this="extract", expressions=[typed.node.copy(),
                                                                self.value(PREFIX)])  # fmt: skip
            whole = fn("toInt", prefix.copy())
            integral = and_(fn("match", prefix.copy(), self.value(INTEGER_TEXT)),
                            not_null(whole))  # fmt: skip
            empty = op(exp.EQ, prefix, text_lit(""))
            w = case((empty, int_lit(0)), (integral, whole))
            r = case((or_(empty, integral), exp.Null()), default=fn("toFloat", prefix.copy()))
            num = Num(w, r)
        return Typed(num.real_view(), "num", agg=typed.agg, num=num,
                     client=Client("leaf", nodes=[num.w.copy(), num.r.copy()],
                                   decode=decode_pair))  # fmt: skip

    def text_int(self, typed: Typed) -> exp.Expression:
        """CAST(text AS INTEGER)."""
        if self.digit_text(typed):
            return fn("toInt", typed.node.copy())
        parts = self._text_parts(typed)
        if parts is not None:
            return parts["ci"].copy()
        pattern = self.value(INTEGER_PREFIX)
        digits = exp.Anonymous(this="extract", expressions=[typed.node.copy(), pattern])
        return self._clamped(digits)

    def _clamped(self, digits: exp.Expression) -> exp.Expression:
        """The integer of `digits` (an integer prefix, '' for none), clamped past 64 bits."""
        whole = fn("toInt", digits.copy())
        return tidy(case((is_null(digits), exp.Null()),
                         (op(exp.EQ, digits, text_lit("")), int_lit(0)),
                         (not_null(whole), whole),
                         (exp.Like(this=digits.copy(), expression=text_lit("-%")), _min_int()),
                         default=int_lit(_MAX)))  # fmt: skip

    def text_real(self, typed: Typed) -> exp.Expression:
        """CAST(text AS REAL)."""
        parts = self._text_parts(typed)
        if parts is not None:
            return parts["cr"].copy()
        prefix = exp.Anonymous(this="extract", expressions=[typed.node.copy(),
                                                            self.value(PREFIX)])  # fmt: skip
        return tidy(case((op(exp.EQ, prefix, text_lit("")), exp.Literal.number("0.0")),
                         default=_no_negative_zero(fn("toFloat", prefix.copy()))))  # fmt: skip

    # --- functions of numbers ------------------------------------------------------------
    def num_negate(self, inner: Typed) -> Typed:
        """``-x``: SQLite computes ``0 - x``."""
        zero = Typed(exp.Literal.number(0), "int", 0)
        return self.num_arith(exp.Sub, zero, inner)

    def num_abs(self, inner: Typed) -> Typed:
        """ABS of an arithmetic result (never text): an INTEGER stays one, a REAL stays one."""
        a = self.as_num(inner)
        if a.cls is not None:
            raise Unsupported("ABS of a property (SQLite turns its text into a REAL)")
        w = case((op(exp.LT, a.w, int_lit(0)), op(exp.Sub, int_lit(0), a.w)), default=a.w)
        r = case((op(exp.LT, a.r, exp.Literal.number("0.0")),
                  op(exp.Sub, exp.Literal.number("0.0"), a.r)), default=a.r)  # fmt: skip
        num = Num(w, r, overflow=a.overflow)
        return Typed(num.real_view(), "num", agg=inner.agg, num=num,
                     client=Client("abs", [self.client_of(inner)]))  # fmt: skip

    # --- properties ----------------------------------------------------------------------
    def _property_parts(self, typed: Typed) -> tuple[Num, str, str]:
        """A property's `Num`, its subqueries' alias and its parts' prefix; adds its
        conversions (CAST AS INTEGER and AS REAL) to the subqueries once."""
        assert typed.prop is not None
        if typed.fallback is not None:
            raise Unsupported("a conversion of coalesce(property, number) (text converts so)")
        num = self.property_num(*typed.prop)
        alias, base = num.w.table if isinstance(num.w, exp.Column) else "", num.w.name[:-1]
        if not alias:
            raise Unsupported("a property's parts outside its subqueries")
        layers = self.number_layers[alias]
        if any(name == f"{base}ci" for name, _ in layers[3]):
            return num, alias, base

        def at(layer: int, name: str) -> exp.Expression:
            return exp.column(identifier(f"{base}{name}"), identifier(f"{alias}l{layer}"))

        layers[1].append((f"{base}ip", exp.Anonymous(
            this="extract", expressions=[at(1, "s"), self.value(INTEGER_PREFIX)])))  # fmt: skip
        layers[2].append((f"{base}ii", fn("toInt", at(2, "ip"))))
        c = at(3, "c")

        def is_(value: int) -> exp.Expression:
            return op(exp.EQ, c, int_lit(value))

        digits, whole = at(3, "ip"), at(3, "ii")
        # A string's: JSONExtractString gives '' for every other value, so only class 3 reads it.
        as_int = case((is_(0), exp.Null()), (is_(1), at(3, "w")), (is_(4), int_lit(0)),
                      *_real_branches(at(3, "fr"), is_(2)),
                      (op(exp.EQ, digits, text_lit("")), int_lit(0)),
                      (not_null(whole), whole),
                      (exp.Like(this=digits.copy(), expression=text_lit("-%")), _min_int()),
                      default=int_lit(_MAX))  # fmt: skip
        as_float = case((is_(0), exp.Null()), (is_(1), as_real(at(3, "w"))), (is_(2), at(3, "fr")),
                        (or_(is_(4), op(exp.EQ, at(3, "p"), text_lit(""))),
                         exp.Literal.number("0.0")),
                        default=_no_negative_zero(at(3, "fp")))  # fmt: skip
        layers[3] += [(f"{base}ci", tidy(as_int)), (f"{base}cr", tidy(as_float))]
        return num, alias, base

    def _column(self, alias: str, name: str) -> exp.Expression:
        return exp.column(identifier(name), identifier(alias))

    def property_int(self, typed: Typed) -> Typed:
        _, alias, base = self._property_parts(typed)
        return Typed(self._column(alias, f"{base}ci"), "int", agg=typed.agg)

    def property_real(self, typed: Typed) -> Typed:
        _, alias, base = self._property_parts(typed)
        return Typed(self._column(alias, f"{base}cr"), "float", agg=typed.agg)

    def number_typeof(self, inner: Typed) -> Typed:
        """typeof() of a property, or of a row-typed number."""
        if inner.kind == "jval" and inner.prop is not None and inner.fallback is None:
            c = self.property_num(*inner.prop).cls
            assert c is not None
            built = case((op(exp.EQ, c, int_lit(0)), self.value("null")),
                         (op(exp.EQ, c, int_lit(1)), self.value("integer")),
                         (op(exp.EQ, c, int_lit(2)), self.value("real")),
                         default=self.value("text"))  # fmt: skip
            return Typed(tidy(built), "str", agg=inner.agg)
        if inner.kind == "num" and inner.num is not None and inner.num.cls is None \
                and inner.num.text is None:  # fmt: skip
            num = inner.num
            built = case((not_null(num.w), self.value("integer")),
                         (not_null(num.r), self.value("real")),
                         default=self.value("null"))  # fmt: skip
            return Typed(tidy(built), "str", agg=inner.agg)
        raise Unsupported(f"typeof of a {inner.kind} value")

    def property_abs(self, inner: Typed) -> Typed:
        """abs() of a property: an INTEGER stays one, anything else is the REAL of its value."""
        num, alias, base = self._property_parts(inner)
        assert num.cls is not None
        layers = self.number_layers[alias]
        while len(layers) < 5:
            layers.append([])
        if not any(name == f"{base}aw" for name, _ in layers[4]):
            c = exp.column(identifier(f"{base}c"), identifier(f"{alias}l4"))
            w = exp.column(identifier(f"{base}w"), identifier(f"{alias}l4"))
            real = exp.column(identifier(f"{base}cr"), identifier(f"{alias}l4"))
            layers[4] += [
                (f"{base}aw", tidy(case((op(exp.EQ, c, int_lit(1)), fn("abs", w))))),
                # Not ClickHouse's abs(): SQLite's keeps the sign of -0.0 (of '-0').
                (
                    f"{base}ar",
                    tidy(
                        case(
                            (
                                and_(
                                    op(exp.GT, c, int_lit(1)),
                                    op(exp.LT, real, exp.Literal.number("0.0")),
                                ),
                                op(exp.Sub, exp.Literal.number("0.0"), real),
                            ),
                            (op(exp.GT, c, int_lit(1)), real),
                        )
                    ),
                ),
            ]
        result = Num(self._column(alias, f"{base}aw"), self._column(alias, f"{base}ar"), layer=4)
        client = Client("leaf", nodes=[result.w.copy(), result.r.copy()], decode=_decode_abs)
        return Typed(result.real_view(), "num", agg=inner.agg, num=result, client=client)

    def coalesced_num(self, typed: Typed) -> Num:
        """``coalesce(property, number)`` as a number: the property's parts, with the
        number's on the rows where the property is missing or null, as columns of one more
        subquery over its table."""
        assert typed.prop is not None and typed.fallback is not None
        num = self.property_num(*typed.prop)
        alias, base = num.w.table if isinstance(num.w, exp.Column) else "", num.w.name[:-1]
        if not alias:
            raise Unsupported("a property's parts outside its subqueries")
        layers = self.number_layers[alias]
        while len(layers) < 5:
            layers.append([])
        value = typed.fallback
        whole = isinstance(value, int)
        number = self.value(value)
        real = self.value(float(value))
        # What each part is on a missing row (class 0): see `pushdown_numbers._summed`.
        missing = {"c": int_lit(1 if whole else 2), "w": number if whole else exp.Null(),
                   "r": exp.Null() if whole else number, "si": number if whole else exp.Null(),
                   "sd": real if whole else exp.Null(), "sr": exp.Null() if whole else real,
                   "af": real, "x": exp.Null(), "mi": number if whole else exp.Null(),
                   "mr": exp.Null() if whole else real}  # fmt: skip
        name = f"{base}k{sum(len(layer) for layer in layers)}"
        c = exp.column(identifier(f"{base}c"), identifier(f"{alias}l4"))
        absent = op(exp.EQ, c, int_lit(0))
        parts: dict[str, exp.Expression] = {}
        for part, there in missing.items():
            own = exp.column(identifier(f"{base}{part}"), identifier(f"{alias}l4"))
            layers[4].append((f"{name}{part}", tidy(case((absent, there), default=own))))
            parts[part] = self._column(alias, f"{name}{part}")
        return Num(parts["w"], parts["r"], layer=4, summed_int=parts["si"],
                   summed_real=parts["sr"], summed_double=parts["sd"], summed_any=parts["af"],
                   cls=parts["c"], text=parts["x"], lowest_int=parts["mi"],
                   lowest_real=parts["mr"])  # fmt: skip

    # --- CAST ----------------------------------------------------------------------------
    def number_cast(self, inner: Typed, target: str) -> Typed | None:
        """CAST(inner AS INTEGER) or AS REAL (`target` ``int`` or ``float``) of text, of a
        property or of a row-typed number; None for kinds the plain rules handle."""
        if inner.kind == "str":
            if target == "int":
                return Typed(self.text_int(inner), "int", agg=inner.agg)
            if self.digit_text(inner):
                return Typed(fn("toFloat", inner.node.copy()), "float", agg=inner.agg)
            return Typed(self.text_real(inner), "float", agg=inner.agg)
        if inner.kind == "jval" and inner.prop is not None:
            return self.property_int(inner) if target == "int" else self.property_real(inner)
        if inner.kind == "num" and inner.num is not None:
            num = self.as_num(inner)
            if target == "int":
                return Typed(tidy(case((not_null(num.w), num.w),
                                       *_real_branches(num.r, exp.true()))),
                             "int", agg=inner.agg)  # fmt: skip
            return Typed(num.real_view(), "float", agg=inner.agg)
        return None

    # --- % -------------------------------------------------------------------------------
    def _mod_side(self, typed: Typed) -> tuple[exp.Expression, exp.Expression | bool, Num | None]:
        """(its integer by CAST's rule, whether arithmetic reads it as an INTEGER, its `Num`
        when it is one of a source's columns or a constant)."""
        if typed.kind == "str":
            if self.digit_text(typed):
                return fn("toInt", typed.node.copy()), True, None
            as_num = self.text_number(typed)
            assert as_num.num is not None
            return self.text_int(typed), not_null(as_num.num.w), None
        if typed.kind == "int":
            return typed.node.copy(), True, self.as_num(typed)
        if typed.kind == "float":
            if isinstance(typed.const, float):
                return int_lit(sqlite_int(typed.const)), False, self.as_num(typed)
            return _real_to_int(typed.node), False, None
        if typed.kind == "jval" and typed.prop is not None:
            num, alias, base = self._property_parts(typed)
            return self._column(alias, f"{base}ci"), not_null(num.w), num
        if typed.kind == "num":
            num = self.as_num(typed)
            whole = tidy(case((not_null(num.w), num.w), *_real_branches(num.r, exp.true())))
            return whole, not_null(num.w), num
        raise Unsupported(f"% of a {typed.kind} value")

    def number_mod(self, left: Typed, right: Typed) -> Typed:
        """``left % right`` where a side is not a plain INTEGER."""
        agg = left.agg or right.agg
        if "null" in (left.kind, right.kind):
            return Typed(exp.Null(), "null", None)
        ia, int_a, num_a = self._mod_side(left)
        ib, int_b, num_b = self._mod_side(right)
        divisor = right.const
        if isinstance(divisor, float):
            divisor = sqlite_int(divisor)
        zero: exp.Expression
        if isinstance(divisor, int):
            # A constant divisor: its zero and -1 cases are decided here, not in HogQL.
            if divisor == 0:
                return Typed(exp.Null(), "null", None)
            safe = int_lit(1 if divisor == -1 else divisor)
            zero = exp.false()
        else:
            # ClickHouse raises on a zero divisor and wraps the smallest Int64 % -1 (SQLite 0).
            safe = case((or_(op(exp.EQ, ib, int_lit(0)), op(exp.EQ, ib, int_lit(-1))),
                         int_lit(1)), default=ib)  # fmt: skip
            zero = op(exp.EQ, ib, int_lit(0))
        remainder = fn("modulo", ia, safe)
        flags = [f for f in (int_a, int_b) if not isinstance(f, bool)]
        constant = isinstance(zero, exp.Boolean)
        if int_a is True and int_b is True:
            built = remainder if constant else case((zero, exp.Null()), default=remainder)
            return Typed(tidy(built), "int", agg=agg)
        if any(f is False for f in (int_a, int_b)):
            w: exp.Expression = exp.Null()
            r = as_real(remainder) if constant else case((zero, exp.Null()),
                                                         default=as_real(remainder))  # fmt: skip
        else:
            both = and_(*flags)
            w = case((both, remainder)) if constant else case((zero, exp.Null()), (both, remainder))
            r = case((or_(zero, both) if not constant else both, exp.Null()),
                     default=as_real(remainder))  # fmt: skip
        num = None
        if num_a is not None and num_b is not None:
            num = self._layered(num_a, num_b, w, r)
        num = num or Num(w, r)
        client = Client("leaf", nodes=[num.w.copy(), num.r.copy()], decode=decode_pair)
        return Typed(num.real_view(), "num", agg=agg, num=num, client=client)
