"""Translator rules for text SQLite computes in ways HogQL cannot copy row for row:
``group_concat`` and result columns the client finishes with SQLite itself.

``group_concat(x [, sep])`` / ``group_concat(DISTINCT x)`` of text, integers or UUIDs is
``arrayStringConcat(arraySort(groupArray(x)), sep)`` (``groupUniqArray`` for DISTINCT), NULL when
no value is not NULL: SQLite skips NULLs and answers NULL for none, ClickHouse's ``groupArray``
skips NULLs too. SQLite concatenates in the order rows reach the aggregate, which it does not
define for a virtual table, so every order is one of SQLite's answers; the parts are sorted so
the answer does not change between runs. The separator is a constant (a value placeholder);
NULL joins with nothing, as in SQLite.

A JSON property's text is not always HogQL's: SQLite prints a REAL by its own float formatting,
which in 3.54 is not the shortest round-trip text (``123456789012345.6`` prints as
``123456789012345.59``; of random 14- and 15-digit decimals 43% and 83% print with 17 digits,
measured with apsw), so no HogQL expression gives it for every row. Such text is finished by the
client, by SQLite itself (`SqliteEval`, an in-memory apsw connection: the SQLite of the fallback):

- ``group_concat`` of a property (or of REALs and timestamps): HogQL answers ``groupArray`` of
  the raw JSON values; the client decodes them as ``json_extract`` would, drops NULLs (and
  duplicates under DISTINCT, by SQLite's equality: 1 and true are equal, 1 and '1' not), takes
  each value's text as SQLite's ``CAST(x AS TEXT)`` gives it, sorts and joins.
- A result column of a statement without aggregates that HogQL cannot compute (``lower``,
  ``upper``, ``length``, ``trim``, ``substr``, ``replace``, ``||``, ``printf``/``format``,
  ``strftime`` of any specifier, ... of properties, columns and constants): HogQL answers the
  leaves (columns, properties as raw JSON), each decoded to the value the fallback holds, and
  the client runs the expression in SQLite over them, so the answer is SQLite's by construction.
- GROUP BY such a column: grouped by what it reads, merged by the client (`pushdown_regroup`).

Kept local (`Unsupported`), because these values must exist inside HogQL and cannot be exact:
WHERE, HAVING, DISTINCT and ORDER BY over such a value in HogQL (a REAL's text decides which
rows pass), and a finished column inside a subquery, CTE or compound SELECT. Only
deterministic functions of SQLite's core are evaluated (`_NODES`, `_FUNCTIONS`): a function
registered on a connection, or one whose value depends on the connection (``random()``,
``changes()``) or on the clock (``'now'``, read once per statement), is never.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import apsw
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from posthog_dbapi.exceptions import OperationalError
from posthog_dbapi.sql.pushdown_model import (
    PARAM,
    Scope,
    TranslatorBase,
    Typed,
    Unsupported,
    fn,
)
from posthog_dbapi.sql.pushdown_regroup import sqlite_group_key
from posthog_dbapi.sql.pushdown_types import decode_json_value
from posthog_dbapi.sql.time_shape import uses_local_times
from posthog_dbapi.types import parse_timestamp, utc_text

__all__ = ["Finish", "SqliteEval", "TextRules"]

# Expression nodes the client may evaluate: sqlglot renders each back to the same SQLite text
# (tests/pushdown/test_finished_text.py runs each on both routes).
_NODES = (
    exp.Paren, exp.Literal, exp.Null, exp.Boolean, exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.Div,
    exp.Mod, exp.DPipe, exp.Lower, exp.Upper, exp.Length, exp.Trim, exp.Substring, exp.Replace,
    exp.StrPosition, exp.Coalesce, exp.Nullif, exp.Abs, exp.Round, exp.Case, exp.If, exp.EQ,
    exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.Not, exp.And, exp.Or, exp.TimeToStr,
    exp.TsOrDsToTimestamp, exp.Typeof, exp.Hex, exp.Format, exp.Date, exp.Cast, exp.DataType,
    exp.Identifier, exp.Unicode,
)  # fmt: skip
_FUNCTIONS = frozenset({"printf", "format", "strftime", "datetime", "time", "julianday", "quote",
                        "ltrim", "rtrim", "char", "unixepoch"})  # fmt: skip
_LEAF_KINDS = ("str", "int", "float", "uuid", "dt", "jval")
_GROUPED = ("str", "int", "uuid")
_CODES = {"julianday": "float", "unixepoch": "integer"}


def _type_code(node: exp.Expression) -> str:
    """The PEP 249 type code of a finished column, where its SQLite type is fixed."""
    if isinstance(node, (exp.Length, exp.StrPosition, exp.Unicode)):
        return "integer"
    if isinstance(node, exp.Anonymous):
        return _CODES.get(node.name.lower(), "string")
    # SQLite's type may change row by row. A reader of "string" still looks at a value that is
    # not text (the PostgreSQL front gives it the value's type), where "json" would decode it.
    return "string"


@dataclass
class Finish:
    """A result column the client finishes: HogQL answers its leaves as one tuple."""

    leaves: list[exp.Expression]
    decode: Callable[[Sequence[Any]], Any]
    code: str = "string"

    def column(self) -> Callable[[Any], Any]:
        def one(answer: Any) -> Any:
            items = list(answer) if isinstance(answer, (list, tuple)) else [answer]
            return self.decode(items)

        return one


class SqliteEval:
    """SQLite's own evaluation of one expression over bound values, in a private in-memory
    connection (no tables, no attached files) of the library the fallback runs on."""

    _local = threading.local()

    def __init__(self, sql: str) -> None:
        self.sql = f"SELECT {sql}"

    def _db(self) -> apsw.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = apsw.Connection(":memory:")
            db.limit(apsw.SQLITE_LIMIT_ATTACHED, 0)
            self._local.db = db
        return db

    def check(self, binds: dict[str, Any]) -> None:
        """Run once; apsw's error if SQLite refuses the expression."""
        self._db().execute(self.sql, binds).fetchall()

    def __call__(self, binds: dict[str, Any]) -> Any:
        db = self._db()
        try:
            row = db.execute(self.sql, binds).fetchone()
        except apsw.Error as exc:
            raise OperationalError(
                f"SQLite could not compute a result column: {exc}", {"reason": str(exc)},
                suggestion="Run the statement with pushdown='off' to see SQLite's own error.",
            ) from exc  # fmt: skip
        return None if row is None else row[0]


_TEXT = SqliteEval("CAST(:v AS TEXT)")


def _sqlite_text(value: Any) -> str:
    """A non-NULL value as SQLite's text (a REAL by SQLite's float formatting)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return str(_TEXT({"v": value}))


def _timestamp_text(local: bool) -> Callable[[Any], Any]:
    """A timestamp HogQL answered as the text the fallback stores (`time_shape`): aware UTC
    text, or with ``timezone="project"`` the wall-clock time HogQL answered in, no offset."""

    def read(value: Any) -> Any:
        if value is None:
            return None
        moment = value if isinstance(value, dt.datetime) else parse_timestamp(str(value), None)
        return moment.replace(tzinfo=None).isoformat() if local else utc_text(moment)

    return read


def _leaf_decoder(kind: str) -> Callable[[Any], Any]:
    """The value the fallback holds for a leaf HogQL answered."""
    if kind == "jval":
        return decode_json_value
    if kind == "dt":
        return _timestamp_text(uses_local_times())
    if kind == "int":
        return lambda v: None if v is None else int(v)
    if kind == "float":
        return lambda v: None if v is None else float(v)
    return lambda v: v


def _renders_as_written(node: exp.Expression) -> bool:
    """Whether sqlglot writes `node` back as the same SQLite expression: it rewrites some forms
    into others (``instr(x, y, 2)``, which SQLite refuses, into an IIF that computes a value)."""
    try:
        again = sqlglot.parse_one(f"SELECT {node.sql(dialect='sqlite')}", read="sqlite")
    except SqlglotError:
        return False
    return (
        isinstance(again, exp.Select)
        and len(again.expressions) == 1
        and bool(again.expressions[0] == node)
    )


def _reads_the_clock(node: exp.Expression, binds: dict[str, Any]) -> bool:
    """Whether the expression reads 'now': SQLite reads it once per statement, and the client
    evaluates one statement per row."""
    texts = [lit.this for lit in node.find_all(exp.Literal) if lit.is_string]
    texts += [v for v in binds.values() if isinstance(v, str)]
    if any(t.strip().lower() == "now" for t in texts):
        return True
    return any(call.name.lower() in _FUNCTIONS and not call.expressions
               for call in node.find_all(exp.Anonymous))  # fmt: skip


class TextRules(TranslatorBase):
    """group_concat and client-finished result columns (a mixin of the translator)."""

    def x_GroupConcat(self, node: exp.GroupConcat, scope: Scope, alias_ok: bool) -> Typed:
        value, distinct, sep = self._group_concat_parts(node, scope, alias_ok)
        if value.kind not in _GROUPED:
            raise Unsupported(f"group_concat of a {value.kind} value outside a result column")
        text = value.node if value.kind == "str" else fn("toString", value.node)
        gathered = fn("groupUniqArray" if distinct else "groupArray", text)
        joined = exp.Anonymous(this="arrayStringConcat", expressions=[
            exp.Anonymous(this="arraySort", expressions=[gathered]), sep])  # fmt: skip
        present = exp.GT(this=fn("count", value.node.copy()), expression=exp.Literal.number(0))
        return Typed(fn("if", present, joined, exp.Null()), "str", agg=True)

    def _group_concat_parts(self, node: exp.GroupConcat, scope: Scope, alias_ok: bool
                            ) -> tuple[Typed, bool, exp.Expression]:  # fmt: skip
        target = node.this
        distinct = isinstance(target, exp.Distinct)
        if distinct:
            if len(target.expressions) != 1:
                raise Unsupported("group_concat(DISTINCT) of several values")
            target = target.expressions[0]
        separator = node.args.get("separator")
        if distinct and separator is not None:
            raise Unsupported("group_concat(DISTINCT x, sep) (SQLite refuses it)")
        sep: Any = ","
        if separator is not None:
            typed = self.expr(separator, scope, alias_ok)
            constant = typed.const
            if typed.kind == "null":
                sep = ""  # SQLite joins with nothing
            elif isinstance(constant, str) or (
                isinstance(constant, int) and not isinstance(constant, bool)
            ):
                sep = str(constant)
            else:
                raise Unsupported("a group_concat separator that is not a text constant")
        value = self.expr(target, scope, alias_ok)
        if value.agg:
            raise Unsupported("group_concat of an aggregate")
        return value, distinct, self.value(sep) if sep else exp.Literal.string("")

    def finished(self, node: exp.Expression, scope: Scope, select: exp.Select) -> Typed | None:
        """A result column of the outermost SELECT the client finishes, or None."""
        if isinstance(node, exp.GroupConcat):
            return self._finished_group_concat(node, scope)
        grouped = select.args.get("group") or select.args.get("having") or select.args.get(
            "distinct") or any(p.find(exp.AggFunc) for p in select.expressions)  # fmt: skip
        if getattr(self, "regroup", None) is not None:
            grouped = False  # grouped by this column's leaves (`pushdown_regroup`)
        if grouped or node.find(exp.AggFunc, exp.Window, exp.Subquery, exp.Select) is not None:
            return None
        leaves: list[exp.Expression] = []
        decoders: list[Callable[[Any], Any]] = []
        names: dict[str, Any] = {}

        def leaf(sub: exp.Expression) -> exp.Expression:
            if isinstance(sub, exp.Placeholder):
                if not sub.name.startswith(PARAM):
                    raise Unsupported("named parameters")
                name = f"u{len(names)}"
                names[name] = self.param(sub)
                return exp.Placeholder(this=name)
            if isinstance(sub, (exp.Column, exp.JSONExtractScalar)):
                typed = self.expr(sub, scope)
                if typed.kind not in _LEAF_KINDS:
                    raise Unsupported(f"a {typed.kind} value in a client-finished column")
                node = fn("toString", typed.node) if typed.kind == "uuid" else typed.node
                leaves.append(node)
                decoders.append(_leaf_decoder(typed.kind))
                return exp.Placeholder(this=f"l{len(leaves) - 1}")
            if isinstance(sub, exp.Anonymous):
                if sub.name.lower() not in _FUNCTIONS:
                    raise Unsupported(f"function {sub.name}")
                return sub
            if not isinstance(sub, _NODES):
                raise Unsupported(f"{type(sub).__name__} in a client-finished column")
            return sub

        if not _renders_as_written(node):
            return None
        try:
            local = node.copy().transform(leaf)
        except Unsupported:
            return None
        if not leaves or _reads_the_clock(local, names):
            return None
        evaluate = SqliteEval(local.sql(dialect="sqlite"))
        count = len(leaves)
        try:
            # Over NULLs: what SQLite refuses to prepare (a wrong argument count) stays local,
            # where SQLite's own error says so.
            evaluate.check({**names, **{f"l{i}": None for i in range(count)}})
        except apsw.Error:
            return None

        def decode(values: Sequence[Any]) -> Any:
            binds = dict(names)
            for i in range(count):
                binds[f"l{i}"] = decoders[i](values[i])
            return evaluate(binds)

        finish = Finish(leaves, decode, _type_code(node))
        return Typed(fn("tuple", *leaves), "finished", finish=finish)

    def _finished_group_concat(self, node: exp.GroupConcat, scope: Scope) -> Typed | None:
        try:
            value, distinct, sep_node = self._group_concat_parts(node, scope, False)
        except Unsupported:
            return None
        if value.kind not in _LEAF_KINDS:
            return None
        sep = "" if not isinstance(sep_node, exp.Placeholder) else self.values[sep_node.name]
        read = _leaf_decoder(value.kind)

        def decode(values: Sequence[Any]) -> Any:
            raws = values[0] if values else []
            decoded = [v for v in map(read, raws or []) if v is not None]
            if distinct:  # the first of each value SQLite finds equal (1 == 1.0 == true)
                first: dict[tuple[bool, Any], Any] = {}
                for v in decoded:
                    first.setdefault(sqlite_group_key(v), v)
                decoded = list(first.values())
            if not decoded:
                return None
            return str(sep).join(sorted(_sqlite_text(v) for v in decoded))

        gathered = fn("groupArray", value.node)
        finish = Finish([gathered], decode, "string")
        return Typed(fn("tuple", gathered.copy()), "finished", agg=True, finish=finish)
