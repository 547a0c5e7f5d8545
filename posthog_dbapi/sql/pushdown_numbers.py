"""Translator rules for numbers SQLite types row by row: arithmetic, comparisons and SUM, TOTAL,
AVG, MIN, MAX and COUNT over JSON properties, with SQLite's type rules.

SQLite's ``json_extract`` returns an INTEGER, a REAL, TEXT or NULL depending on the row, and
arithmetic reads text by its numeric prefix (``'12abc' + 0`` is the INTEGER 12, ``'1.5x' + 0``
the REAL 1.5, ``'abc' + 0`` the INTEGER 0), while SUM reads only a whole numeric text as a number
(``'12'`` is 12, ``'12abc'`` the REAL 12.0). A ClickHouse column has one type, so such a value
(kind ``num``) travels as a pair of columns, `Num`: ``w``, its value when SQLite's is an INTEGER
(else NULL), and ``r``, its value when SQLite's is a REAL (else NULL); both NULL is NULL.

PostHog's parser slows down steeply with nested calls, parentheses and CASEs inside CASEs,
while flat CASEs, IS NULL and operators stay cheap. So a property's parts are computed once, in
small subqueries over its table (`wrap_number_sources`: the JSON value and its text; their
conversions; flat CASEs of those; what the aggregates add), and so is an operation on one
table's numbers (`_layered`). A condition or ORDER BY then reads a few columns. A result column
sends only its leaves (a property's two parts, a SUM's sums and counts), which the client
finishes by SQLite's rules (`pushdown_client`), ``round()`` included.

Conversions (CAST, %, typeof, abs) are `pushdown_numconv`'s, ``sum(x * 2)`` `pushdown_numagg`'s.
Not pushed (they stay in SQLite): GROUP BY, DISTINCT, a set operation or a subquery column over
such a value (SQLite merges 5 with 5.0 and keeps whichever row came first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp

from posthog_dbapi.sql.pushdown_client import (
    Client,
    decode_extreme,
    decode_pair,
    decode_sum,
    decode_total,
)
from posthog_dbapi.sql.pushdown_dialect import identifier
from posthog_dbapi.sql.pushdown_model import (
    NO_CONST,
    Source,
    TranslatorBase,
    Typed,
    Unsupported,
    fn,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    INTEGER_TEXT,
    PREFIX,
    WHOLE_INTEGER_TEXT,
    Num,
    tidy,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    and_ as _and,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    as_real as _real,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    case as _case,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    int_lit as _num,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    is_min_int as _is_min_int,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    is_null as _null,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    not_null as _set,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    op as _op,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    or_ as _or,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    overflow_of as _overflow_of,
)
from posthog_dbapi.sql.pushdown_numexpr import (
    text_lit as _s,
)

__all__ = ["Num", "NumberRules"]


def _float(values: Sequence[Any]) -> float | None:
    return None if values[0] is None else float(values[0])


class NumberRules(TranslatorBase):
    """Rules for row-typed numbers (a mixin of the translator)."""

    number_layers: dict[str, list[list[tuple[str, exp.Expression]]]]
    number_paths: dict[tuple[str, tuple[str, ...]], Num]

    def _number_state(self) -> None:
        if not hasattr(self, "number_layers"):
            self.number_layers = {}
            self.number_paths = {}

    # --- values --------------------------------------------------------------------------
    def as_num(self, typed: Typed) -> Num:
        """`typed` as a `Num`, or Unsupported."""
        if typed.num is not None:
            if typed.num.text is not None and typed.num.cls is None:
                raise Unsupported("arithmetic on MIN/MAX of a property (it may be text)")
            return typed.num
        if typed.kind == "int":
            return Num(typed.node.copy(), exp.Null(), "int")
        if typed.kind == "float":
            return Num(exp.Null(), typed.node.copy(), "float")
        if typed.kind == "null":
            return Num(exp.Null(), exp.Null(), "int")
        if typed.kind == "jval" and typed.prop is not None:
            if typed.fallback is not None:
                return self.coalesced_num(typed)  # `pushdown_numconv`
            return self.property_num(*typed.prop)
        raise Unsupported(f"arithmetic on a value of kind {typed.kind}")

    def property_num(self, source: Source, column: str, keys: tuple[str, ...]) -> Num:
        """A property's parts, as columns of the subquery that will read `source`'s table."""
        self._number_state()
        known = self.number_paths.get((source.alias, (column, *keys)))
        if known is not None:
            return known
        base = f"n{len(self.number_paths)}"
        layers = self.number_layers.setdefault(source.alias, [[], [], [], []])

        def at(layer: int, name: str) -> exp.Expression:
            return exp.column(identifier(f"{base}{name}"), identifier(f"{source.alias}l{layer}"))

        # Three subqueries (`wrap_number_sources`), each reading the one before: the JSON value
        # and its text; then the conversions; then flat CASEs of those. No call nests more than
        # two deep and no CASE nests in another: PostHog's parser slows down steeply with both.
        table = exp.column(identifier(column), identifier(f"{source.alias}l0"))
        keys_of = [self.value(k) for k in keys]
        text_of = fn("JSONExtractString", table.copy(), *[k.copy() for k in keys_of])
        layers[0] += [
            (f"{base}raw", fn("JSONExtractRaw", table, *keys_of)),
            (f"{base}s", text_of),
            (
                f"{base}p",
                exp.Anonymous(this="extract", expressions=[text_of.copy(), self.value(PREFIX)]),
            ),
        ]
        raw, text, prefix = at(1, "raw"), at(1, "s"), at(1, "p")
        # UNVERIFIED: that PostHog's ClickHouse writes JSONExtractRaw's number text as the
        # emulator's does: a JSON `100.0` comes back as `100` (read as an INTEGER here, a REAL
        # by SQLite); PostHog's ingestion stores such a number as `100` in the first place.
        cls = _case((_or(_op(exp.EQ, raw, _s("")), _op(exp.EQ, raw, _s("null"))), _num(0)),
                    (_or(_op(exp.EQ, raw, _s("true")), _op(exp.EQ, raw, _s("false"))), _num(1)),
                    (exp.Like(this=raw.copy(), expression=_s('"%')), _num(3)),
                    (_or(exp.Like(this=raw.copy(), expression=_s("{%")),
                         exp.Like(this=raw.copy(), expression=_s("[%"))), _num(4)),
                    (_set(fn("toInt", raw.copy())), _num(1)), default=_num(2))  # fmt: skip
        layers[1] += [
            (f"{base}c", cls),
            (f"{base}ri", fn("toInt", raw.copy())),
            (f"{base}fr", fn("toFloat", raw.copy())),
            (f"{base}pi", fn("toInt", prefix.copy())),
            (f"{base}fp", fn("toFloat", prefix.copy())),
            (f"{base}pm", fn("match", prefix.copy(), self.value(INTEGER_TEXT))),
            (f"{base}wm", fn("match", text.copy(), self.value(WHOLE_INTEGER_TEXT))),
        ]
        raw, text, prefix = at(2, "raw"), at(2, "s"), at(2, "p")
        c, ri, fr, pi, fp = (at(2, n) for n in ("c", "ri", "fr", "pi", "fp"))
        pm, wm = at(2, "pm"), at(2, "wm")

        def is_(value: int) -> exp.Expression:
            return _op(exp.EQ, c, _num(value))

        string_empty = _and(is_(3), _op(exp.EQ, prefix, _s("")))
        string_int = _and(is_(3), pm, _set(pi))
        w = _case((is_(0), exp.Null()), (_op(exp.EQ, raw, _s("true")), _num(1)),
                  (_op(exp.EQ, raw, _s("false")), _num(0)), (is_(1), ri), (is_(4), _num(0)),
                  (string_empty, _num(0)), (string_int, pi))  # fmt: skip
        r = _case((is_(2), fr), (string_int, exp.Null()),
                  (_and(is_(3), _op(exp.NEQ, prefix, _s(""))), fp))  # fmt: skip
        # SUM reads a text that is not a whole integer as the REAL of its prefix (0.0 if none).
        summed_int = _case((is_(1), _num(1)), (_and(string_int, wm), _num(1)),
                           default=_num(0))  # fmt: skip
        summed_real = _case((is_(2), fr), (_or(is_(4), string_empty), exp.Literal.number("0.0")),
                            default=fp)  # fmt: skip
        value_text = _case((is_(3), text), (is_(4), raw))
        layers[2] += [
            (f"{base}{n}", tidy(node))
            for n, node in (
                ("w", w),
                ("r", r),
                ("sf", summed_int),
                ("sv", summed_real),
                ("x", value_text),
            )
        ]
        num = self._summed(base, source, layers[3], at)
        self.number_paths[(source.alias, (column, *keys))] = num
        return num

    def _summed(self, base: str, source: Source, layer: list[tuple[str, exp.Expression]],
                at: Callable[[int, str], exp.Expression]) -> Num:  # fmt: skip
        """The last layer's columns of a property (what aggregates add or compare); its `Num`."""
        # What the aggregates add or compare, NULL where they skip the row.
        c, w, fr = at(3, "c"), at(3, "w"), at(3, "fr")
        sf, sv = at(3, "sf"), at(3, "sv")
        present = _op(exp.GT, c, _num(0))
        layer += [(f"{base}{n}", tidy(node)) for n, node in (
            ("si", _case((_and(_op(exp.EQ, sf, _num(1)), present), w))),
            # A column of its own: ClickHouse rewrites sum(x * 1.0) as sum(x) * 1.0, which
            # would wrap past Int64 before turning REAL (and HogQL's toFloat of an Int64 past
            # 2**53 is NULL: an accurate cast).
            ("sd", _case((_and(_op(exp.EQ, sf, _num(1)), present), _real(w)))),
            ("sr", _case((_and(_op(exp.EQ, sf, _num(0)), present), sv))),
            # Whatever SUM adds, as a Float64: AVG is its average.
            ("af", _case((_and(_op(exp.EQ, sf, _num(1)), present), _real(w)), (present, sv))),
            ("mi", _case((_op(exp.EQ, c, _num(1)), w))),
            ("mr", _case((_op(exp.EQ, c, _num(2)), fr))),
        )]  # fmt: skip
        named = {n: exp.column(identifier(f"{base}{n}"), identifier(source.alias))
                 for n in ("c", "w", "r", "si", "sd", "sr", "af", "x", "mi", "mr")}  # fmt: skip
        num = Num(named["w"], named["r"], layer=3, summed_int=named["si"], summed_real=named["sr"],
                  summed_double=named["sd"], summed_any=named["af"],
                  cls=named["c"], text=named["x"], lowest_int=named["mi"],
                  lowest_real=named["mr"])  # fmt: skip
        return num

    def wrap_number_sources(self, out: exp.Select, sources: list[Source]) -> None:
        """Read each table whose properties were used as numbers through a subquery that adds
        their parts as columns (the table's own columns pass through under their names)."""
        self._number_state()
        for source in sources:
            layers = self.number_layers.pop(source.alias, None)
            if not layers:
                continue
            target = next((t for t in out.find_all(exp.Table) if t.alias == source.alias), None)
            if target is None or source.table is None:
                raise Unsupported("a property read as a number from a derived table")
            used = {col.name for col in out.find_all(exp.Column) if col.table == source.alias}
            needed = used | set(source.table.keys)
            # Only the parts the statement reads, and the parts those read.
            kept: list[list[tuple[str, exp.Expression]]] = []
            for columns in reversed(layers):
                mine = [(name, part) for name, part in columns if name in needed]
                for _, part in mine:
                    needed |= {col.name for col in part.find_all(exp.Column)}
                kept.insert(0, mine)
            node: exp.Expression = target.copy()
            for depth, columns in enumerate(kept):
                alias = f"{source.alias}l{depth}"
                node.set("alias", exp.TableAlias(this=identifier(alias)))
                if not columns and depth:
                    continue  # the next layer reads this one's input under this alias
                # ``*`` passes the columns below through: naming each would cost PostHog's
                # parser more than the parts themselves. UNVERIFIED: that PostHog's ``*`` over
                # a table gives every column the statement reads from it (the emulator's does;
                # PostHog leaves lazy joins out of ``*``, and these tables' columns are fields).
                select = exp.Select(expressions=[exp.Star()] + [
                    exp.alias_(part, identifier(name)) for name, part in columns])  # fmt: skip
                select.set("from_", exp.From(this=node))
                node = exp.Subquery(this=select)
            node.set("alias", exp.TableAlias(this=identifier(source.alias)))
            target.replace(node)

    # --- the client's part ---------------------------------------------------------------
    def client_of(self, typed: Typed) -> Client:
        """`typed` as a leaf or tree the client evaluates (`pushdown_client`)."""
        if typed.client is not None:
            return typed.client
        if typed.kind in ("int", "float", "null") and typed.const is not NO_CONST:
            return Client("const", value=typed.const)
        if typed.kind == "int":
            return Client("leaf", nodes=[typed.node.copy()],
                          decode=lambda v: None if v[0] is None else int(v[0]))  # fmt: skip
        if typed.kind == "float":
            return Client("leaf", nodes=[typed.node.copy()],
                          decode=lambda v: None if v[0] is None else float(v[0]))  # fmt: skip
        num = self.as_num(typed)
        if num.cls is None:
            raise Unsupported("a computed number the client cannot finish")
        return Client("leaf", nodes=[num.w.copy(), num.r.copy()], decode=decode_pair)

    # --- arithmetic ----------------------------------------------------------------------
    def num_arith(self, kind: type[exp.Expression], left: Typed, right: Typed) -> Typed:
        a, b = self.as_num(left), self.as_num(right)
        agg = left.agg or right.agg
        if a.static and b.static:
            raise Unsupported("static arithmetic belongs to the plain rules")
        wa, wb = a.w, b.w
        known = [_set(w) for w in (wa, wb) if not isinstance(w, exp.Literal)]
        both = _and(*known) if known else exp.true()
        fa, fb = a.real_view(), b.real_view()
        if kind is exp.Div:
            safe = _case((_or(_op(exp.EQ, wb, _num(0)), _op(exp.EQ, wb, _num(-1))), _num(1)),
                         default=wb)  # fmt: skip
            dividend = _case((_null(wa), _num(0)), default=wa)
            w = _case((_or(_null(wa), _null(wb), _op(exp.EQ, wb, _num(0))), exp.Null()),
                      (_and(_op(exp.EQ, wb, _num(-1)), _is_min_int(wa)), exp.Null()),
                      (_op(exp.EQ, wb, _num(-1)), _op(exp.Sub, _num(0), wa)),
                      default=fn("intDiv", dividend, safe))  # fmt: skip
            # Flat CASEs: PostHog's parser slows down steeply with a CASE inside a CASE.
            r = _case((_and(both, _op(exp.EQ, wb, _num(-1)), _is_min_int(wa)),
                       exp.Literal.number("9223372036854775808.0")), (both, exp.Null()),
                      (_op(exp.EQ, fb, exp.Literal.number("0.0")), exp.Null()),
                      default=_op(exp.Div, fa, fb))  # fmt: skip
        else:
            result = _op(kind, wa, wb)
            zero = _num(0)
            # Int64 wraps: the result has the wrong sign exactly when it overflowed.
            if kind is exp.Add:
                overflow = _or(_and(_op(exp.GT, wa, zero), _op(exp.GT, wb, zero),
                                    _op(exp.LT, result, zero)),
                               _and(_op(exp.LT, wa, zero), _op(exp.LT, wb, zero),
                                    _op(exp.GTE, result, zero)))  # fmt: skip
            elif kind is exp.Sub:
                overflow = _or(_and(_op(exp.GTE, wa, zero), _op(exp.LT, wb, zero),
                                    _op(exp.LT, result, zero)),
                               _and(_op(exp.LT, wa, zero), _op(exp.GT, wb, zero),
                                    _op(exp.GTE, result, zero)))  # fmt: skip
            else:
                divisor = _case((_or(_op(exp.EQ, wa, _num(0)), _op(exp.EQ, wa, _num(-1))),
                                 _num(1)), default=wa)  # fmt: skip
                quotient = fn("intDiv", result, divisor)
                overflow = _case((_op(exp.EQ, wa, _num(0)), _num(0)),
                                 (_op(exp.EQ, wa, _num(-1)), _is_min_int(wb)),
                                 default=_op(exp.NEQ, quotient, wb))  # fmt: skip
            w = _case((overflow, exp.Null()), default=result)
            # Past Int64, SQLite redoes the operation on the operands as REALs.
            r = _case((_and(both, overflow), _op(kind, _real(wa), _real(wb))), (both, exp.Null()),
                      default=_op(kind, fa, fb))  # fmt: skip
        num = self._layered(a, b, w, r) or Num(w, r, overflow=_overflow_of(a, b))
        symbols: dict[type[exp.Expression], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*",
                                                    exp.Div: "/"}  # fmt: skip
        symbol = symbols[kind]
        client = Client(symbol, [self.client_of(left), self.client_of(right)])
        return Typed(num.real_view(), "num", agg=agg, num=num, client=client)

    def _layered(self, a: Num, b: Num, w: exp.Expression, r: exp.Expression) -> Num | None:
        """The result of an operation on one source's row-typed numbers (and constants), as two
        columns of one more subquery over that source: conditions and orders that use it then
        read two columns, not the nested expression (PostHog's parser is slow over those)."""
        self._number_state()
        layers = [n.layer for n in (a, b) if n.static is None]
        if None in layers or not layers:
            return None
        tables = {c.table for c in (*w.find_all(exp.Column), *r.find_all(exp.Column))}
        literal_only = all(isinstance(n.w, (exp.Literal, exp.Null, exp.Neg)) and isinstance(
            n.r, (exp.Literal, exp.Null, exp.Neg)) for n in (a, b) if n.static)  # fmt: skip
        if len(tables) != 1 or not literal_only:
            return None
        alias = tables.pop()
        if alias not in self.number_layers:
            return None
        depth = max(layer for layer in layers if layer is not None) + 1
        stack = self.number_layers[alias]
        while len(stack) <= depth:
            stack.append([])
        inner = identifier(f"{alias}l{depth}")
        base = f"a{sum(len(layer) for layer in stack)}"
        named = {}
        for suffix, node in (("w", w), ("r", r)):
            local = node.copy().transform(
                lambda n: (
                    exp.column(identifier(n.name), inner.copy())
                    if isinstance(n, exp.Column) and n.table == alias
                    else n
                )
            )
            local = tidy(local)
            # The same operation twice (avg(x + 1), max(x + 1)) reads one column.
            name = next((n for n, part in stack[depth] if n.endswith(suffix) and part == local),
                        f"{base}{suffix}")  # fmt: skip
            if name == f"{base}{suffix}":
                stack[depth].append((name, local))
            named[suffix] = exp.column(identifier(name), identifier(alias))
        return Num(named["w"], named["r"], layer=depth)

    def num_comparison(self, op: type[exp.Expression], left: Typed, right: Typed
                       ) -> exp.Expression:  # fmt: skip
        """Numbers compared exactly, INTEGER with INTEGER, INTEGER with REAL (ClickHouse
        compares Int64 with Float64 exactly, as SQLite does) or REAL with REAL."""
        a, b = self.as_num(left), self.as_num(right)
        for side, num in ((left, a), (right, b)):
            if side.kind == "jval" and num.cls is not None:
                # json_extract's TEXT (a string, object or array) sorts after every number;
                # only its numbers compare by value.
                after = op in (exp.LT, exp.LTE, exp.NEQ) if side is right else op in (
                    exp.GT, exp.GTE, exp.NEQ)  # fmt: skip
                plain = Typed(num.real_view(), "num", num=Num(num.w, num.r))
                rest = self.num_comparison(op, plain if side is left else left,
                                           plain if side is right else right)  # fmt: skip
                other = b if side is left else a
                missing = _and(_null(other.w), _null(other.r))
                return tidy(_case((_op(exp.EQ, num.cls, _num(0)), exp.Null()),
                                  (missing, exp.Null()),
                                  (_op(exp.GTE, num.cls, _num(3)), _num(1 if after else 0)),
                                  default=rest))  # fmt: skip
        if a.static == "int" or b.static == "int" or a.static == "float" or b.static == "float":
            fixed_a = a.w if a.static == "int" else a.r if a.static == "float" else None
            fixed_b = b.w if b.static == "int" else b.r if b.static == "float" else None
            if fixed_a is not None:
                return tidy(_case((_set(b.w), _op(op, fixed_a, b.w)),
                                  default=_op(op, fixed_a, b.r)))  # fmt: skip
            assert fixed_b is not None
            return tidy(_case((_set(a.w), _op(op, a.w, fixed_b)), default=_op(op, a.r, fixed_b)))
        return tidy(_case((_and(_set(a.w), _set(b.w)), _op(op, a.w, b.w)),
                          (_set(a.w), _op(op, a.w, b.r)), (_set(b.w), _op(op, a.r, b.w)),
                          default=_op(op, a.r, b.r)))  # fmt: skip

    # --- aggregates ----------------------------------------------------------------------
    def num_aggregate(self, name: str, inner: Typed) -> Typed:
        """SUM, TOTAL, AVG, MIN, MAX and COUNT of a property, or TOTAL of a number column, as
        SQLite computes them.

        SUM adds INTEGERs exactly while every value is one, then turns REAL. Float sums are
        added in ClickHouse's order, not SQLite's (which compensates rounding, Kahan-Babuska-
        Neumaier), so a REAL result may differ in its last bits (the README says so)."""
        if inner.agg:
            raise Unsupported("nested aggregate")
        a = self.as_num(inner)
        if a.static is not None:
            if name != "total":
                raise Unsupported(f"{name.upper()} of a plain number belongs to the plain rules")
            value = a.real_view()
            # total() of no rows is 0.0, where sum() is NULL.
            return Typed(_case((_op(exp.GT, fn("count", value), _num(0)), fn("sum", value.copy())),
                               default=exp.Literal.number("0.0")), "float", agg=True)  # fmt: skip
        if a.cls is None:
            return self.arith_aggregate(name, a)  # `pushdown_numagg`
        if a.summed_int is None or a.summed_real is None or a.summed_double is None:
            raise Unsupported(f"{name.upper()} of a property's part")
        count = fn("countIf", _op(exp.GT, a.cls, _num(0)))
        if name == "count":
            return Typed(count, "int", agg=True)
        if name in ("min", "max"):
            return self._extreme(name, a)
        ints = fn("sum", a.summed_int.copy())
        ints_real = fn("sum", a.summed_double.copy())
        reals = fn("sum", a.summed_real.copy())
        reals_count = fn("count", a.summed_real.copy())
        all_int = _op(exp.EQ, reals_count, _num(0))
        # The client tells an Int64 sum that wrapped from its REAL sum (`decode_sum`).
        float_total = _op(exp.Add, reals, ints_real)
        pieces = [count.copy(), reals_count.copy(), ints.copy(), ints_real.copy(), reals.copy()]
        if name == "total":
            return Typed(float_total, "float", agg=True,
                         client=Client("leaf", nodes=pieces, decode=decode_total))  # fmt: skip
        if name == "avg" and a.summed_any is not None:
            # SQLite divides its (compensated) sum by the count; ClickHouse's avg adds in its
            # own order: the same up to the last bits of a REAL (README).
            average = fn("avg", a.summed_any.copy())
            return Typed(average, "float", agg=True,
                         client=Client("leaf", nodes=[average.copy()], decode=_float))  # fmt: skip
        # In a condition or an order (the result column is the client's, `decode_sum`): an
        # INTEGER sum past Int64 reads as its REAL sum here, where SQLite would stop.
        w = _case((_and(all_int, _op(exp.GT, count, _num(0))), ints))
        r = _case((_op(exp.GT, reals_count, _num(0)), float_total))
        num = Num(w, r, order_key=float_total.copy())
        return Typed(num.real_view(), "num", agg=True, num=num,
                     client=Client("leaf", nodes=pieces, decode=decode_sum))  # fmt: skip

    def _extreme(self, name: str, a: Num) -> Typed:
        """MIN/MAX: numbers compare by value (an INTEGER with a REAL exactly), every number
        sorts before every text, texts compare byte by byte (SQLite's BINARY collation)."""
        assert a.lowest_int is not None and a.lowest_real is not None and a.text is not None
        best_w = fn(name, a.lowest_int.copy())
        best_r = fn(name, a.lowest_real.copy())
        best_text = fn(name, a.text.copy())
        better, strictly = (exp.LTE, exp.LT) if name == "min" else (exp.GTE, exp.GT)
        # A tie between an INTEGER and a REAL of one value keeps the row SQLite met first;
        # the INTEGER here. UNVERIFIED: that an object's text (ClickHouse's JSONExtractRaw)
        # is SQLite's minified JSON; it matters only where an object is the MAX.
        if name == "max":
            w = _case((_or(_set(best_text), _null(best_w)), exp.Null()),
                      (_or(_null(best_r), _op(better, best_w, best_r)), best_w))  # fmt: skip
            r = _case((_or(_set(best_text), _null(best_r)), exp.Null()),
                      (_or(_null(best_w), _op(strictly, best_r, best_w)), best_r))  # fmt: skip
            text = best_text
        else:
            w = _case((_null(best_w), exp.Null()),
                      (_or(_null(best_r), _op(better, best_w, best_r)), best_w))  # fmt: skip
            r = _case((_null(best_r), exp.Null()),
                      (_or(_null(best_w), _op(strictly, best_r, best_w)), best_r))  # fmt: skip
            text = _case((_and(_null(best_w), _null(best_r)), best_text))
        num = Num(w, r, text=text)
        leaf = Client("leaf", nodes=[best_w.copy(), best_r.copy(), best_text.copy()],
                      decode=decode_extreme(name))  # fmt: skip
        return Typed(num.real_view(), "num", agg=True, num=num, client=leaf)
