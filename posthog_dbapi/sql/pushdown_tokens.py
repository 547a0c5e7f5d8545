"""The translator's two readings of a statement's tokens: numbering its ``?`` parameters, and
the source text of each projection (SQLite's column names)."""

from __future__ import annotations

from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from posthog_dbapi.sql.pushdown_model import PARAM, Unsupported

__all__ = ["number_params", "projection_texts"]


def number_params(sql: str) -> str:
    """Give each ``?`` a name by its position, so the tree says which parameter it is."""
    try:
        tokens = SQLite().tokenize(sql)
    except SqlglotError as exc:
        raise Unsupported(f"cannot tokenize: {exc}") from exc
    out: list[str] = []
    last = 0
    index = 0
    for token in tokens:
        if token.token_type == TokenType.PLACEHOLDER and token.text == "?":
            out.append(sql[last : token.start])
            out.append(f":{PARAM}{index}")
            index += 1
            last = token.end + 1
        elif token.token_type in (TokenType.COLON, TokenType.PARAMETER):
            raise Unsupported("named parameters; the paramstyle is qmark (?)")
        elif token.token_type == TokenType.VAR and token.text.startswith("$"):
            # SQLite reads a bare $name as a parameter, so it must not become a column here.
            raise Unsupported(
                f'{token.text} is a SQLite parameter; quote the column: "{token.text}"'
            )
    out.append(sql[last:])
    return "".join(out)


def projection_texts(sql: str) -> list[str]:
    """The source text of each top-level projection, which SQLite uses as the column name."""
    tokens = SQLite().tokenize(sql)
    depth = 0
    i = 0
    # Skip a leading WITH clause: its SELECTs are inside parentheses.
    while i < len(tokens):
        tok = tokens[i]
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif tok.token_type == TokenType.SELECT and depth == 0:
            break
        i += 1
    i += 1
    if i < len(tokens) and tokens[i].token_type in (TokenType.DISTINCT, TokenType.ALL):
        i += 1
    stops = {
        TokenType.FROM, TokenType.WHERE, TokenType.GROUP_BY, TokenType.ORDER_BY,
        TokenType.LIMIT, TokenType.UNION, TokenType.HAVING, TokenType.SEMICOLON,
    }  # fmt: skip
    texts: list[str] = []
    start: int | None = None
    end = 0
    for tok in tokens[i:]:
        if depth == 0 and (tok.token_type in stops or tok.token_type == TokenType.COMMA):
            if start is not None:
                texts.append(sql[start : end + 1])
            start = None
            if tok.token_type != TokenType.COMMA:
                break
            continue
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        if start is None:
            start = tok.start
        end = tok.end
    else:
        if start is not None:
            texts.append(sql[start : end + 1])
    return texts
