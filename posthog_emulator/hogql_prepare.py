"""HogQL text to a sqlglot tree: the lexical pre-pass, parsing, and placeholder values.

Owns what happens before the query is rewritten for ClickHouse:
- a scanner that walks the text once, honouring string literals, quoted identifiers and comments,
  so that `$`-names (`properties.$browser`, `$session_id`) become quoted identifiers and `{name}`
  placeholders become marker identifiers, and nothing inside a string is touched;
- parsing with sqlglot's ClickHouse dialect, with PostHog-like syntax errors;
- turning `values` into sqlglot literal nodes, so a value is always one constant in the tree and
  is never spliced into SQL text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any, cast
from uuid import UUID

import sqlglot
from sqlglot import exp
from sqlglot.dialects.clickhouse import ClickHouse
from sqlglot.errors import ParseError, TokenError

PLACEHOLDER_PREFIX = "__hogql_placeholder_"
_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")
_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


# Functions sqlglot would rewrite (toStartOfDay -> dateTrunc('DAY', ...), dateDiff -> DATE_DIFF,
# if -> CASE, ...): parsed as plain calls instead, so the SQL that runs and the column names
# PostHog prints keep the function as the user wrote it.
_AS_WRITTEN = frozenset(
    {
        *(k for k in ClickHouse.Parser.FUNCTIONS if k.startswith("TOSTARTOF")),
        "DATEDIFF", "DATE_DIFF", "DATEADD", "DATE_ADD", "DATESUB", "DATE_SUB", "TOMONDAY",
        "DATETRUNC", "DATE_TRUNC", "LENGTH", "CONCAT", "SUBSTRING", "FLOOR", "POSITION", "IF",
        "SPLITBYCHAR", "MEDIAN", "TIMESTAMP_SUB", "TIMESTAMP_ADD", "CEIL", "ROUND",
    }
)  # fmt: skip


class HogQLDialect(ClickHouse):
    """ClickHouse's grammar, with the calls in `_AS_WRITTEN` left as written."""

    class Parser(ClickHouse.Parser):  # type: ignore[misc,valid-type]
        # sqlglot reads these class attributes; they are never mutated.
        FUNCTIONS = {k: v for k, v in ClickHouse.Parser.FUNCTIONS.items() if k not in _AS_WRITTEN}  # noqa: RUF012
        FUNCTION_PARSERS = {  # noqa: RUF012
            k: v for k, v in ClickHouse.Parser.FUNCTION_PARSERS.items() if k not in _AS_WRITTEN
        }


class HogQLError(Exception):
    """A query PostHog answers with 400 validation_error; `message` is the user-facing detail."""

    def __init__(self, message: str, code: str = "invalid_input") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1)


def _syntax_error(text: str, index: int, what: str) -> HogQLError:
    line, col = _line_col(text, index)
    return HogQLError(f"Syntax error at line {line}, column {col}: {what}")


def _skip_quoted(text: str, start: int, quote: str) -> int:
    """Index just past the quoted text opened at `start` (backslash and doubling escape)."""
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    kind = "string" if quote == "'" else "identifier"
    raise _syntax_error(text, start, f"unterminated quoted {kind}")


def scan(text: str) -> tuple[str, list[str]]:
    """Rewrite HogQL lexical forms; return the new text and placeholder names in order."""
    out: list[str] = []
    names: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"`":
            end = _skip_quoted(text, i, ch)
            out.append(text[i:end])
            i = end
        elif text.startswith("--", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            out.append(text[i:end])
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise _syntax_error(text, i, "unterminated comment")
            out.append(text[i : end + 2])
            i = end + 2
        elif ch == "{":
            match = _PLACEHOLDER.match(text, i)
            if not match:
                raise _syntax_error(text, i, "expected a placeholder name like {name}")
            out.append(f" {PLACEHOLDER_PREFIX}{len(names)} ")
            names.append(match.group(1))
            i = match.end()
        elif ch.isalpha() or ch in "_$":
            match = _WORD.match(text, i)
            assert match is not None
            word = match.group(0)
            out.append(f"`{word}`" if "$" in word else word)
            i = match.end()
        elif ch.isdigit():
            # A number (possibly 1e5 or 0x1F): copy it whole so its tail is not read as a name.
            match = re.compile(r"[0-9A-Za-z_.]+").match(text, i)
            assert match is not None
            out.append(match.group(0))
            i = match.end()
        else:
            out.append(ch)
            i += 1
    return "".join(out), names


def parse(text: str) -> exp.Expression:
    """Parse one HogQL SELECT (after `scan`) into a sqlglot tree; HogQLError otherwise."""
    try:
        statements = [s for s in sqlglot.parse(text, read=HogQLDialect) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line, col = first.get("line", 1), first.get("col", 0)
        what = first.get("description") or str(exc)
        raise HogQLError(f"Syntax error at line {line}, column {col}: {what}") from exc
    except TokenError as exc:
        raise HogQLError(f"Syntax error at line 1, column 0: {exc}") from exc
    if not statements:
        raise HogQLError("Syntax error at line 1, column 0: empty query")
    if len(statements) > 1:
        raise HogQLError("Syntax error at line 1, column 0: only one statement can be run")
    tree = statements[0]
    if not isinstance(tree, exp.Query) or isinstance(tree, exp.Subquery):
        keyword = text.strip().split(None, 1)[0].upper() if text.strip() else ""
        # Only reached when PostHog's parser (hogql_check) was bypassed: /query/ refuses
        # non-SELECT text there first, with the parser's own message.
        raise HogQLError(
            f"Syntax error at line 1, column 0: mismatched input '{keyword}' expecting "
            "SELECT or WITH; only SELECT queries are supported"
        )
    return cast(exp.Expression, tree)


def to_literal(value: Any, name: str) -> exp.Expression:
    """One placeholder value as a constant node (lists and tuples become tuples)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return exp.Anonymous(
                this="toFloat64", expressions=[exp.Literal.string(str(value).lower())]
            )
        return exp.Literal.number(repr(value))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, UUID):
        return exp.Literal.string(str(value))
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        text = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        return exp.Anonymous(
            this="toDateTime64",
            expressions=[
                exp.Literal.string(text),
                exp.Literal.number(6),
                exp.Literal.string("UTC"),
            ],
        )
    if isinstance(value, date):
        return exp.Anonymous(this="toDate", expressions=[exp.Literal.string(value.isoformat())])
    if isinstance(value, (list, tuple)):
        return exp.Tuple(expressions=[to_literal(v, name) for v in value])
    raise HogQLError(
        f"Placeholder {{{name}}} has a value of type {type(value).__name__}; "
        "supported are str, int, float, bool, None, date, datetime, UUID, list and tuple"
    )


def substitute(tree: exp.Expression, names: list[str], values: Mapping[str, Any] | None) -> None:
    """Replace every placeholder marker in `tree` with its value as a constant."""
    values = values or {}
    missing = [n for n in names if n not in values]
    if missing:
        available = ", ".join(sorted(values)) or "none"
        # UNVERIFIED: wording of PostHog's error for an unknown placeholder.
        raise HogQLError(
            f"Placeholder {{{missing[0]}}} is not available in this context. "
            f"Values given: {available}"
        )
    for column in list(tree.find_all(exp.Column)):
        if column.table or not column.name.startswith(PLACEHOLDER_PREFIX):
            continue
        index = int(column.name[len(PLACEHOLDER_PREFIX) :])
        literal = to_literal(values[names[index]], names[index])
        column.replace(literal)
