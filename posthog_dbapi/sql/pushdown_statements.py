"""Translator rules for statements: SELECT, FROM (tables, subqueries, CTEs), WHERE, GROUP BY,
HAVING, ORDER BY, LIMIT/OFFSET, and `translate()`, the entry point.

Every identifier in the output is either a known column of the HogQL tables (quoted by
`pushdown_dialect.identifier`) or a generated name (``t0``, ``c0``, ``cte0``): user aliases are
mapped, never copied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import sqlglot
from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from posthog_dbapi.sql.pushdown_dialect import identifier
from posthog_dbapi.sql.pushdown_expressions import ExpressionRules
from posthog_dbapi.sql.pushdown_functions import FunctionRules
from posthog_dbapi.sql.pushdown_joins import JoinRules
from posthog_dbapi.sql.pushdown_model import (
    ORDERABLE,
    PARAM,
    Col,
    OutputColumn,
    Scope,
    Source,
    Translation,
    Typed,
    Unsupported,
    fn,
)
from posthog_dbapi.sql.pushdown_properties import PropertyTimeRules
from posthog_dbapi.sql.pushdown_tables import HOGQL_BUILTIN_TABLES, HogQLTable
from posthog_dbapi.sql.pushdown_types import decode_json_value, dt_text, normalise_json

__all__ = ["Translator", "translate"]


def _number_params(sql: str) -> str:
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


def _projection_texts(sql: str) -> list[str]:
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


class Translator(ExpressionRules, PropertyTimeRules, FunctionRules, JoinRules):
    """One translation: the statement rules here, the expression and property rules mixed in."""

    # --- statements ----------------------------------------------------------------------
    def compound(self, node: exp.SetOperation) -> tuple[exp.Select, list[OutputColumn], Scope]:
        """UNION [ALL], INTERSECT, EXCEPT: the same operation over the translated members."""
        if node.args.get("order") or node.args.get("limit") or node.args.get("offset"):
            # ORDER BY / LIMIT of the whole compound: a SELECT * over it.
            bare = node.copy()
            for arg in ("order", "limit", "offset"):
                bare.set(arg, None)
            wrapper = exp.Select(expressions=[exp.Star()]).from_(
                exp.Subquery(this=bare, alias=exp.TableAlias(this=exp.to_identifier("u")))
            )
            for arg in ("order", "limit", "offset"):
                wrapper.set(arg, node.args.get(arg))
            return self.select(wrapper)
        distinct = bool(node.args.get("distinct"))
        if not isinstance(node, exp.Union) and not distinct:
            raise Unsupported(f"{type(node).__name__.upper()} ALL")
        if node.args.get("by_name") or node.args.get("side") or node.args.get("kind"):
            raise Unsupported("a compound SELECT with modifiers")
        left, left_cols, _ = self.select(node.this)
        right, right_cols, _ = self.select(node.expression)
        if len(left_cols) != len(right_cols):
            raise Unsupported("compound SELECTs of different widths")
        for i, (a, b) in enumerate(zip(left_cols, right_cols)):
            kinds = {a.kind, b.kind} - {"null"}
            if len(kinds) > 1 or kinds & {"jval", "json"}:
                raise Unsupported("compound SELECT columns of different or JSON kinds")
            left_cols[i] = OutputColumn(a.name, kinds.pop() if kinds else "null", a.decode)
        if isinstance(node, exp.Except):
            # HogQL has no EXCEPT DISTINCT, and ClickHouse's EXCEPT takes away one copy per
            # match; over members made distinct first that is SQLite's set difference.
            for member in (left, right):
                if isinstance(member, exp.SetOperation) or member.args.get("limit"):
                    raise Unsupported("EXCEPT of a compound or limited SELECT")
                member.set("distinct", exp.Distinct())
            built: exp.Expression = exp.Except(this=left, expression=right, distinct=False)
        else:
            built = type(node)(this=left, expression=right, distinct=distinct)
        # Typed as a SELECT for the callers: they use it only as a subquery or IN source.
        return cast(exp.Select, built), left_cols, Scope()

    def select(self, node: exp.Expression) -> tuple[exp.Select, list[OutputColumn], Scope]:
        if isinstance(node, (exp.Union, exp.Intersect, exp.Except)):
            return self.compound(node)
        if not isinstance(node, exp.Select):
            raise Unsupported(f"{type(node).__name__} (only plain SELECT is pushed down)")
        allowed = {"expressions", "from_", "from", "where", "group", "having", "order", "limit",
                   "offset", "distinct", "with_", "with", "joins"}  # fmt: skip
        for arg, val in node.args.items():
            if val and arg not in allowed:
                raise Unsupported(f"SELECT ... {arg.upper()}")
        with_ = node.args.get("with_") or node.args.get("with")
        out = exp.Select()
        if with_ is not None:
            if with_.args.get("recursive"):
                raise Unsupported("WITH RECURSIVE")
            ctes = []
            for cte in with_.expressions:
                inner, cols, _ = self.select(cte.this)
                name = f"cte{self.counter['cte']}"
                self.counter["cte"] += 1
                self.ctes[cte.alias_or_name] = Source(
                    name,
                    {
                        c.name: Col(
                            f"c{i}", c.kind, c.decode is normalise_json, c.decode is dt_text
                        )
                        for i, c in enumerate(cols)
                    },
                    [c.name for c in cols],
                )
                if len({c.name for c in cols}) != len(cols):
                    raise Unsupported("a CTE with duplicate column names")
                ctes.append(exp.CTE(this=inner, alias=exp.TableAlias(this=identifier(name))))
            out.set("with_", exp.With(expressions=ctes))
        scope = Scope()
        from_ = node.args.get("from_") or node.args.get("from")
        if from_ is None:
            raise Unsupported("SELECT without FROM")
        out.set("from_", exp.From(this=self.source(from_.this, scope)))
        moved: list[exp.Expression] = []
        for join in node.args.get("joins") or []:
            moved += self.join(join, scope, out)
        # Projections.
        projections: list[Typed] = []
        names: list[str] = []
        explicit: list[str | None] = []
        for proj in node.expressions:
            if isinstance(proj, exp.Star) or (
                isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)
            ):
                qualifier = proj.table if isinstance(proj, exp.Column) else ""
                sources = [scope.sources[qualifier]] if qualifier else list(scope.sources.values())
                if qualifier and qualifier not in scope.sources:
                    raise Unsupported(f"unknown table {qualifier}")
                for source in sources:
                    if source.table is not None and source.table.partial:
                        raise Unsupported(
                            f"SELECT * over {source.table.name}: the connection's table has "
                            "columns HogQL's lacks"
                        )
                    for name in source.order:
                        col = source.columns[name]
                        projections.append(
                            Typed(source.ref(col), col.kind, normalise=col.normalise)
                        )
                        names.append(name)
                        explicit.append(None)
                continue
            alias = proj.alias if isinstance(proj, exp.Alias) else None
            inner = proj.this if isinstance(proj, exp.Alias) else proj
            typed = self.expr(inner, scope)
            if typed.kind == "dt" and not isinstance(inner, exp.Column):
                typed.textual = True
            projections.append(typed)
            names.append(alias or (inner.name if isinstance(inner, exp.Column) else ""))
            same = isinstance(inner, exp.Column) and inner.name == alias
            explicit.append(alias if alias and not same else None)
        columns: list[OutputColumn] = []
        for i, (typed, name) in enumerate(zip(projections, names)):
            node_out = typed.node
            decode: Callable[[Any], Any] | None = None
            if typed.kind == "jval":
                decode = decode_json_value
            elif typed.kind == "json" and typed.normalise:
                decode = normalise_json
            elif typed.kind == "dt" and typed.textual:
                decode = dt_text
            out.append("expressions", exp.alias_(node_out, identifier(f"c{i}")))
            columns.append(OutputColumn(name, typed.kind, decode,
                                        "string" if decode is dt_text else None))  # fmt: skip
            if explicit[i]:
                scope.outputs.setdefault(str(explicit[i]), (f"c{i}", typed.kind))
        out.set("distinct", exp.Distinct() if node.args.get("distinct") else None)
        if node.args.get("distinct") and node.args["distinct"].args.get("on"):
            raise Unsupported("DISTINCT ON")
        if node.args.get("distinct") and any(p.kind == "jval" for p in projections):
            raise Unsupported("DISTINCT over a JSON value")
        where = node.args.get("where")
        if where is not None:
            cond = self.expr(where.this, scope)
            if cond.agg:
                raise Unsupported("aggregate in WHERE")
            moved.append(cond.node)
        if moved:
            condition = moved[0]
            for part in moved[1:]:
                condition = exp.And(this=exp.Paren(this=condition), expression=exp.Paren(this=part))
            out.set("where", exp.Where(this=condition))
        group = node.args.get("group")
        if group is not None:
            items = []
            for item in group.expressions:
                typed = self.ordinal(item, projections) or self.expr(item, scope, alias_ok=True)
                # A JSON value groups by its minified JSON text: the same groups as SQLite's
                # values, except numbers written two ways (1 and 1.0), which SQLite merges.
                items.append(typed.node)
            if set(group.args) - {"expressions"} and any(
                group.args.get(k) for k in group.args if k != "expressions"
            ):
                raise Unsupported("GROUP BY modifiers")
            out.set("group", exp.Group(expressions=items))
        having = node.args.get("having")
        if having is not None:
            out.set("having", exp.Having(this=self.expr(having.this, scope, alias_ok=True).node))
        order = node.args.get("order")
        if order is not None:
            ordered = []
            for item in order.expressions:
                typed = self.ordinal(item.this, projections) or self.expr(
                    item.this, scope, alias_ok=True
                )
                if typed.kind not in ORDERABLE and typed.kind != "null":
                    raise Unsupported(f"ORDER BY a value of kind {typed.kind}")
                key = typed.node
                if typed.kind == "uuid":
                    key = fn("toString", key)
                desc = bool(item.args.get("desc"))
                if isinstance(typed.node, exp.Column) and typed.kind in (
                    "str",
                    "int",
                    "dt",
                    "uuid",
                ):
                    scope.order_keys.append((key, desc, typed.kind))
                else:
                    scope.keyset_order = False
                # SQLite puts NULLs first ascending and last descending.
                ordered.append(exp.Ordered(this=key, desc=desc, nulls_first=not desc))
            out.set("order", exp.Order(expressions=ordered))
        # Only a nested SELECT still has these (`translate` takes the outermost ones off): the
        # Query API caps only the outermost LIMIT, so an inner one is kept as it is.
        if node.args.get("offset") is not None:
            raise Unsupported("OFFSET in a subquery (the Query API refuses OFFSET)")
        limit = _constant_int(node.args.get("limit"), self)
        if limit is not None and limit >= 0:
            out.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
        return out, columns, scope

    def ordinal(self, item: exp.Expression, projections: list[Typed]) -> Typed | None:
        if isinstance(item, exp.Literal) and item.is_int:
            index = int(item.name)
            if not 1 <= index <= len(projections):
                raise Unsupported("ORDER/GROUP BY position out of range")
            return Typed(projections[index - 1].node.copy(), projections[index - 1].kind,
                          agg=projections[index - 1].agg)  # fmt: skip
        return None

    def source(self, node: exp.Expression, scope: Scope) -> exp.Expression:
        alias = f"t{self.counter['t']}"
        self.counter["t"] += 1
        user_alias = node.alias_or_name if not isinstance(node, exp.Subquery) else node.alias
        if isinstance(node, exp.Table):
            if (
                node.args.get("db")
                or node.args.get("catalog")
                or not isinstance(node.this, exp.Identifier)
            ):
                raise Unsupported("a qualified or function table")
            name = node.name
            if name in self.ctes:
                cte = self.ctes[name]
                scope.sources[user_alias] = Source(alias, cte.columns, cte.order)
                return exp.Table(this=identifier(cte.alias),
                                 alias=exp.TableAlias(this=identifier(alias)))  # fmt: skip
            table = self.tables.get(name)
            if table is None:
                raise Unsupported(f"table {name} is not a HogQL table")
            scope.sources[user_alias] = Source(
                alias,
                {c: Col(c, k, table.normalise_json and k == "json") for c, k in table.columns},
                table.column_names,
                table,
            )
            reference = table.node()
            reference.set("alias", exp.TableAlias(this=identifier(alias)))
            return reference
        if isinstance(node, exp.Subquery):
            inner, cols, _ = self.select(node.this)
            if len({c.name for c in cols}) != len(cols):
                raise Unsupported("a subquery with duplicate column names")
            if any(c.kind == "jval" for c in cols):
                raise Unsupported("a JSON value selected in a subquery")
            scope.sources[user_alias or alias] = Source(
                alias,
                {
                    c.name: Col(f"c{i}", c.kind, c.decode is normalise_json, c.decode is dt_text)
                    for i, c in enumerate(cols)
                },
                [c.name for c in cols],
            )
            return exp.Subquery(this=inner, alias=exp.TableAlias(this=identifier(alias)))
        raise Unsupported(f"FROM {type(node).__name__}")

    # --- expressions ---------------------------------------------------------------------


def translate(
    sql: str, params: Sequence[Any] = (), tables: dict[str, HogQLTable] | None = None
) -> Translation:
    """Translate `sql` (one SELECT, SQLite dialect) or raise `Unsupported`."""
    numbered = _number_params(sql)
    try:
        statements = [s for s in sqlglot.parse(numbered, read="sqlite") if s is not None]
    except SqlglotError as exc:
        raise Unsupported(f"sqlglot cannot parse it: {str(exc)[:120]}") from exc
    if len(statements) != 1:
        raise Unsupported("not exactly one statement")
    tree = statements[0]
    if isinstance(tree, (exp.Union, exp.Intersect, exp.Except)):
        tree = _compound_as_select(tree, sql)
    if not isinstance(tree, exp.Select):
        raise Unsupported(f"{type(tree).__name__} (only SELECT is pushed down)")
    translator = Translator(params, dict(tables if tables is not None else HOGQL_BUILTIN_TABLES))
    limit = _constant_int(tree.args.get("limit"), translator)
    offset = _constant_int(tree.args.get("offset"), translator) or 0
    if tree.args.get("limit") is not None and limit is not None and limit < 0:
        limit = None
    if offset < 0:
        offset = 0
    body = tree.copy()
    body.set("limit", None)
    body.set("offset", None)
    out, columns, scope = translator.select(body)
    texts = _projection_texts(sql)
    expanded = any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and
                   isinstance(p.this, exp.Star)) for p in tree.expressions)  # fmt: skip
    if not expanded and len(texts) == len(columns):
        for column, text, proj in zip(columns, texts, tree.expressions):
            if not isinstance(proj, (exp.Alias, exp.Column)):
                column.name = text
    aggregated = bool(
        body.args.get("group") or body.args.get("distinct") or body.args.get("having")
        or any(node.find(exp.AggFunc) for node in body.expressions)
    )  # fmt: skip
    source = next(iter(scope.sources.values()))
    # A join multiplies rows, so no one table's keys page it; a window sees the whole table,
    # so a page (rows after the last key) would change its values.
    pageable = len(scope.sources) == 1 and body.find(exp.Window) is None
    table = source.table if not aggregated and pageable else None
    used = {node.name for node in out.find_all(exp.Placeholder)}
    for name in [n for n in translator.values if n not in used]:
        del translator.values[name]  # a constant the translation turned into another value
    order = out.args.get("order")
    order_keys = scope.order_keys if scope.keyset_order and table is not None else []
    return Translation(
        tree=out,
        values=translator.values,
        columns=columns,
        limit=limit,
        offset=offset,
        aggregated=aggregated,
        ordered=order is not None,
        table=table,
        source_alias=source.alias,
        order_keys=order_keys,
    )


def _compound_as_select(tree: exp.SetOperation, sql: str) -> exp.Select:
    """``a UNION b ORDER BY x LIMIT n`` as ``SELECT * FROM (a UNION b) ORDER BY x LIMIT n``, the
    first member's unnamed columns named by their text (SQLite's names for the result)."""
    first: exp.Expression = tree
    while isinstance(first, exp.SetOperation):
        first = first.this
    if not isinstance(first, exp.Select):
        raise Unsupported("a compound SELECT whose first member is not a SELECT")
    texts = _projection_texts(sql)
    if len(texts) == len(first.expressions):
        first.set("expressions", [
            p if isinstance(p, (exp.Alias, exp.Column, exp.Star)) else exp.alias_(p, text)
            for p, text in zip(first.expressions, texts)
        ])  # fmt: skip
    bare = tree.copy()
    for arg in ("order", "limit", "offset"):
        bare.set(arg, None)
    wrapper = exp.Select(expressions=[exp.Star()]).from_(
        exp.Subquery(this=bare, alias=exp.TableAlias(this=exp.to_identifier("u")))
    )
    for arg in ("order", "limit", "offset"):
        wrapper.set(arg, tree.args.get(arg))
    return wrapper


def _constant_int(node: exp.Expression | None, translator: Translator) -> int | None:
    if node is None:
        return None
    value_node = node.expression
    if isinstance(value_node, exp.Placeholder):
        value = translator.param(value_node)
    elif isinstance(value_node, exp.Literal) and value_node.is_int:
        value = int(value_node.name)
    elif isinstance(value_node, exp.Neg) and isinstance(value_node.this, exp.Literal):
        value = -int(value_node.this.name)
    else:
        raise Unsupported("LIMIT/OFFSET that is not a constant integer")
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unsupported("LIMIT/OFFSET that is not an integer")
    return value
