"""Schema-qualified table names (``stripe.customer``) in SQL the connection runs.

PostHog names a data warehouse table ``<schema>.<table>`` (``stripe.customer``) and its system
tables ``system.<table>``. SQLite would read ``stripe.customer`` as table ``customer`` of an
attached database ``stripe``, and the connection attaches none: its table is called
``stripe.customer``, one identifier. ``quote_qualified`` rewrites each ``schema.table`` the
connection knows (either part bare or quoted: ``stripe.customer``, ``"stripe"."customer"``,
``system.dashboards``) into that one quoted identifier, ``"stripe.customer"``, before SQLite or
the HogQL translator sees the statement. It works on sqlglot's tokens, so text in string
literals and comments is left alone, and everything else keeps its exact spelling.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from posthog_dbapi.names import quote_identifier

__all__ = ["quote_qualified"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})


def _name(token: Token) -> str | None:
    if token.token_type in _NAME_TOKENS or _WORD.fullmatch(token.text):
        return token.text
    return None


def quote_qualified(sql: str, tables: Collection[str]) -> str:
    """``sql`` with every ``schema.table`` naming one of ``tables`` written as one quoted
    identifier. ``tables`` holds the dotted names; text sqlglot cannot tokenize is returned
    unchanged (SQLite reports its own error)."""
    dotted = {name.lower(): name for name in tables if "." in name}
    if not dotted or "." not in sql:
        return sql
    try:
        tokens = SQLite().tokenize(sql)
    except (SqlglotError, ValueError):
        return sql
    edits: list[tuple[int, int, str]] = []
    i = 0
    while i + 2 < len(tokens):
        first, dot, second = tokens[i], tokens[i + 1], tokens[i + 2]
        after_dot = i > 0 and tokens[i - 1].token_type is TokenType.DOT
        if dot.token_type is TokenType.DOT and not after_dot:
            schema, table = _name(first), _name(second)
            known = dotted.get(f"{schema}.{table}".lower()) if schema and table else None
            if known is not None:
                edits.append((first.start, second.end + 1, quote_identifier(known)))
                i += 3
                continue
        i += 1
    for start, end, text in reversed(edits):
        sql = sql[:start] + text + sql[end:]
    return sql
