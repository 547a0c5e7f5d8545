"""The HogQL dialect: sqlglot's ClickHouse generator with HogQL placeholders and backticks.

Owns the one function that turns a name into a HogQL identifier (`identifier`) and the one
that renders a tree as HogQL text (`render`). Placeholders render as ``{p0}``; values never
become text here, they travel in the Query API's ``values``.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.clickhouse import ClickHouse

__all__ = ["HogQL", "identifier", "placeholder", "render"]

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER_NAME = re.compile(r"p[0-9]+")
# Words HogQL's grammar reserves; a column of that name is quoted to be read as a name.
_KEYWORDS = frozenset(
    [
        "all",
        "and",
        "anti",
        "any",
        "array",
        "as",
        "asc",
        "asof",
        "between",
        "both",
        "by",
        "case",
        "cast",
        "cohort",
        "collate",
        "cross",
        "cube",
        "current",
        "date",
        "desc",
        "distinct",
        "else",
        "end",
        "exists",
        "extract",
        "final",
        "first",
        "following",
        "for",
        "from",
        "full",
        "group",
        "having",
        "id",
        "if",
        "ilike",
        "in",
        "inf",
        "inner",
        "interval",
        "is",
        "join",
        "key",
        "last",
        "leading",
        "left",
        "like",
        "limit",
        "nan",
        "not",
        "null",
        "nulls",
        "offset",
        "on",
        "or",
        "order",
        "outer",
        "over",
        "partition",
        "preceding",
        "prewhere",
        "range",
        "return",
        "right",
        "rollup",
        "row",
        "rows",
        "sample",
        "select",
        "semi",
        "settings",
        "step",
        "ties",
        "then",
        "to",
        "top",
        "totals",
        "trailing",
        "trim",
        "true",
        "false",
        "unbounded",
        "union",
        "using",
        "when",
        "where",
        "window",
        "with",
    ]
)


class HogQL(ClickHouse):
    class Tokenizer(ClickHouse.Tokenizer):
        IDENTIFIERS = ["`", '"']  # noqa: RUF012 - sqlglot reads this class attribute

    class Generator(ClickHouse.Generator):  # type: ignore[misc,valid-type]
        def placeholder_sql(self, expression: exp.Placeholder) -> str:
            name = expression.name
            if not _PLACEHOLDER_NAME.fullmatch(name):
                # Only the translator makes placeholders, always named p<N>.
                raise ValueError(f"bad placeholder name {name!r}")
            return "{" + name + "}"


def identifier(name: str) -> exp.Identifier:
    """The HogQL identifier for `name`: bare when it is a plain word, else in backticks."""
    quoted = not _PLAIN.fullmatch(name) or name.lower() in _KEYWORDS
    return exp.Identifier(this=name, quoted=quoted)


def placeholder(name: str) -> exp.Placeholder:
    return exp.Placeholder(this=name)


def render(tree: exp.Expression) -> str:
    return tree.sql(dialect=HogQL)
