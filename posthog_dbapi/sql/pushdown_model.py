"""The shapes the HogQL translator works with, and the base of its rules: values and parameters.

`Typed` is a translated expression with its *kind* (how its value looks in the SQLite
fallback, see `pushdown_tables`); `Scope`, `Source` and `Col` resolve the user's names to
generated HogQL names; `Translation` is the result the planner pages. `TranslatorBase` turns
every constant a user supplied into a ``{pN}`` placeholder (strings) or a rendered number, so no
value ever becomes HogQL text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlglot import exp

from posthog_dbapi.sql.pushdown_dialect import identifier, placeholder
from posthog_dbapi.sql.pushdown_tables import HogQLTable
from posthog_dbapi.types import utc_text

if TYPE_CHECKING:
    from posthog_dbapi.sql.pushdown_client import Client
    from posthog_dbapi.sql.pushdown_numbers import Num
    from posthog_dbapi.sql.pushdown_text import Finish

__all__ = [
    "NO_CONST",
    "ORDERABLE",
    "PARAM",
    "Col",
    "OutputColumn",
    "Scope",
    "Source",
    "Translation",
    "TranslatorBase",
    "Typed",
    "Unsupported",
    "fn",
]

PARAM = "__qmark_"


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    """A HogQL function call (sqlglot maps known names to its own nodes)."""
    return cast(exp.Expression, exp.func(name, *args))


NO_CONST = object()
ORDERABLE = ("str", "int", "float", "dt", "uuid")


class Unsupported(Exception):
    """The statement has no exact HogQL equivalent; `reason` says which part."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Typed:
    node: exp.Expression
    kind: str  # str int float dt uuid json jval null num
    const: Any = NO_CONST
    agg: bool = False
    text: exp.Expression | None = None  # jval: the value as text when it is a JSON string
    normalise: bool = False
    """json: the table's other route holds this JSON as ``json.dumps`` text (see
    `HogQLTable.normalise_json`), so the output is re-encoded the same way."""
    textual: bool = False
    """dt: a computed timestamp, which SQLite hands out as its stored ISO text (it knows the
    column type only of a plain table column), so this route does too."""
    num: Num | None = None
    """num: the value's parts (`pushdown_numbers`); ``node`` is then its value as a Float64."""
    prop: tuple[Source, str, tuple[str, ...]] | None = None
    """jval: (source, column, keys) of a property read straight from a table, which
    `pushdown_numbers` can read as a number."""
    fallback: int | float | None = None
    """jval: ``coalesce(property, number)``'s number, which a missing or null `prop` reads as
    (`pushdown_numconv.coalesced_num`)."""
    rounding: int | None = None
    """A projection's ``round(x, digits)``, applied by SQLite's rule as the rows are decoded."""
    client: Client | None = None
    """As a result column, the part the client computes from HogQL's leaves
    (`pushdown_client`)."""
    finish: Finish | None = None
    """finished: a result column SQLite computes on the client (`pushdown_text`)."""


@dataclass
class OutputColumn:
    name: str
    kind: str
    decode: Callable[[Any], Any] | None = None
    code: str | None = None
    """The PEP 249 type code when `decode` changes the value's type."""


@dataclass
class Col:
    hogql: str
    kind: str
    normalise: bool = False
    textual: bool = False


@dataclass
class Source:
    alias: str  # generated
    columns: dict[str, Col]
    order: list[str]
    table: HogQLTable | None = None
    marker: str | None = None
    """The generated column that is 1 on this source's real rows: set when an outer join may
    pad the source with a row of NULLs (see `pushdown_joins`)."""
    keys: HogQLTable | None = None
    """A derived table (a subquery in FROM or JOIN) whose rows are one table's or join's rows,
    unaggregated and unlimited: the generated columns it carries besides its own, holding the
    keys of the tables it reads, as a table of those columns (its keys), so it pages by keyset
    like a table (see `pushdown_statements.Translator.source`)."""

    def ref(self, col: Col) -> exp.Expression:
        """A column of this source as HogQL: NULL on a padded row, as in SQLite."""
        node: exp.Expression = exp.column(identifier(col.hogql), identifier(self.alias))
        if self.marker is None:
            return node
        # ClickHouse pads with default values unless join_use_nulls is set (UNVERIFIED whether
        # PostHog sets it); the marker is 0 or NULL on a padded row either way.
        matched = exp.EQ(this=exp.column(identifier(self.marker), identifier(self.alias)),
                         expression=exp.Literal.number(1))  # fmt: skip
        return fn("if", matched, node, exp.Null())


@dataclass
class Scope:
    sources: dict[str, Source] = field(default_factory=dict)  # user alias/name -> source
    outputs: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Explicit projection alias -> (c<N>, kind)."""
    nums: dict[str, Typed] = field(default_factory=dict)
    """Explicit projection alias -> its translation, for a row-typed number (`pushdown_numbers`):
    other clauses use its parts, not its output column."""
    order_keys: list[tuple[exp.Expression, bool, str]] = field(default_factory=list)
    keyset_order: bool = True

    def resolve(self, name: str, table: str | None) -> tuple[Source, Col]:
        if table:
            source = self.sources.get(table)
            if source is None or name not in source.columns:
                raise Unsupported(f"unknown column {table}.{name}")
            return source, source.columns[name]
        found = [(s, s.columns[name]) for s in self.sources.values() if name in s.columns]
        if len(found) != 1:
            raise Unsupported(f"unknown or ambiguous column {name}")
        return found[0]


@dataclass
class Translation:
    """A SELECT as HogQL: the tree (without LIMIT/OFFSET), its values and its output columns."""

    tree: exp.Select
    values: dict[str, Any]
    columns: list[OutputColumn]
    limit: int | None
    offset: int
    aggregated: bool
    """GROUP BY, DISTINCT, aggregates or HAVING at the top: one answer, no keyset paging."""
    ordered: bool
    table: HogQLTable | None
    """The one HogQL table a plain row scan reads (keyset paging is possible), else None."""
    source_alias: str | None = None
    order_keys: list[tuple[exp.Expression, bool, str]] = field(default_factory=list)
    """The user's ORDER BY as (HogQL expression, descending, kind) when every key is a plain
    non-null column (so a keyset can continue it); empty otherwise."""
    key_sources: list[tuple[str, HogQLTable]] = field(default_factory=list)
    """(HogQL alias, table) of every table a plain row scan reads, the one table or each table
    of an inner or cross join of tables: their keys together are unique per row, so they page it
    by keyset. Empty when the rows cannot be paged (aggregates, windows, derived tables that
    limit, group or deduplicate rows, CTEs)."""
    unpaged: str = ""
    """When `key_sources` is empty: the part of the statement that keeps it from paging."""
    padded: dict[str, str] = field(default_factory=dict)
    """HogQL alias -> marker column of each key source an outer join may pad with NULLs: its
    keys are read NULL-safe (`pushdown_planner._keys`)."""
    finish_rows: Callable[[Iterator[tuple[Any, ...]]], Iterator[tuple[Any, ...]]] | None = None
    """What the client does to all the decoded rows last (`pushdown_regroup.Regroup`)."""


class TranslatorBase:
    """Values and parameters of one translation; the rules are in the mixins."""

    def __init__(self, params: Sequence[Any], tables: dict[str, HogQLTable]) -> None:
        self.params = list(params)
        self.tables = tables
        self.values: dict[str, Any] = {}
        self.counter = {"t": 0, "cte": 0, "p": 0}
        self.ctes: dict[str, Source] = {}

    # --- values --------------------------------------------------------------------------
    def value(self, python: Any) -> exp.Expression:
        """A constant the user supplied, as a placeholder (strings) or a rendered number."""
        if python is None:
            return exp.Null()
        if isinstance(python, bool):
            return exp.Literal.number(int(python))
        if isinstance(python, int):
            return (
                exp.Literal.number(python)
                if python >= 0
                else exp.Neg(this=exp.Literal.number(-python))
            )
        if isinstance(python, float):
            if python != python or python in (float("inf"), float("-inf")):
                raise Unsupported("non-finite float")
            text = repr(python)
            lit = exp.Literal.number(text.lstrip("-"))
            return exp.Neg(this=lit) if text.startswith("-") else lit
        name = f"p{self.counter['p']}"
        self.counter["p"] += 1
        self.values[name] = python
        return placeholder(name)

    def timestamp_value(self, moment: dt.datetime) -> exp.Expression:
        # Wall-clock text without an offset: PostHog reads a string compared with a DateTime
        # in the query's timezone (posthog/hogql/transforms/property_types.py), which is UTC
        # when we send convertToProjectTimezone=false and the project's otherwise; the moment
        # is in that same calendar (`time_shape`). UNVERIFIED: that a `values` placeholder is
        # read like a literal there (placeholders are replaced by constants before printing).
        return self.value(moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f"))

    def const_of(self, node: exp.Expression) -> Any:
        """The Python value of a literal or parameter, without making a placeholder."""
        if isinstance(node, exp.Literal) and node.is_string:
            return node.this
        if isinstance(node, exp.Placeholder):
            return self.param(node)
        return NO_CONST

    def param(self, node: exp.Placeholder) -> Any:
        name = node.name
        if not name.startswith(PARAM):
            raise Unsupported("named parameters")
        index = int(name[len(PARAM) :])
        if index >= len(self.params):
            raise Unsupported("fewer parameters than placeholders")
        value = self.params[index]
        if isinstance(value, (dt.datetime, dt.date)):
            return utc_text(value)
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise Unsupported(f"parameter of type {type(value).__name__}")
        return value

    # --- implemented by the rule mixins ----------------------------------------------------
    def expr(self, node: exp.Expression, scope: Scope, alias_ok: bool = False) -> Typed:
        raise NotImplementedError

    def select(self, node: exp.Expression) -> tuple[exp.Select, list[OutputColumn], Scope]:
        raise NotImplementedError

    def source(self, node: exp.Expression, scope: Scope) -> exp.Expression:
        raise NotImplementedError

    def constant(self, node: exp.Expression) -> Typed | None:
        return None

    def json_number_comparison(self, op: type[exp.Expression], left: Typed, right: Typed
                               ) -> exp.Expression:  # fmt: skip
        raise NotImplementedError

    def comparison(self, op: type[exp.Expression], left: Typed, right: Typed) -> exp.Expression:
        raise NotImplementedError

    def cased_json_comparison(self, node: exp.Expression, scope: Scope, alias_ok: bool
                              ) -> Typed | None:  # fmt: skip
        raise NotImplementedError

    def num_aggregate(self, name: str, inner: Typed) -> Typed:
        raise NotImplementedError

    def arith_aggregate(self, name: str, a: Num) -> Typed:
        raise NotImplementedError

    def number_mod(self, left: Typed, right: Typed) -> Typed:
        raise NotImplementedError

    def number_typeof(self, inner: Typed) -> Typed:
        raise NotImplementedError

    def coalesced_num(self, typed: Typed) -> Num:
        raise NotImplementedError

    def dt_comparison(self, op: type[exp.Expression], column: exp.Expression, text: str
                      ) -> exp.Expression:  # fmt: skip
        raise NotImplementedError
