"""HogQL field chains on chDB: scopes, property access and lazy joins.

Owns how `properties.$browser`, `person.properties.email`, `session.$channel_type`,
`pdi.person_id` and `group_0.properties.name` become ClickHouse expressions: property access is
PostHog's (the raw JSON value with quotes stripped; empty and `null` are NULL); a lazy join is a
LEFT JOIN the query did not write, added once per source table and join name (PostHog's
LazyJoin and FieldTraverser fields of events, persons and person_distinct_ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from .hogql_prepare import HogQLError
from .hogql_tables import HOGQL_TABLES

__all__ = ["bracket_keys", "rewrite_fields", "scope_of"]

_PROPERTY_KINDS = ("events", "persons", "groups")


@dataclass(frozen=True)
class LazyJoin:
    """A dotted step into another table: `target` (a store table or view) joined on
    target.`on_target` = source.`on_source`, with groups also on their type index."""

    target: str
    kind: str  # the HogQL table the target's rows are
    on_source: str
    on_target: str
    group_index: int | None = None


_PERSON = LazyJoin("persons_raw", "persons", "person_id", "id")
LAZY_JOINS: dict[tuple[str, str], LazyJoin] = {
    ("events", "person"): _PERSON,
    ("events", "poe"): _PERSON,
    ("person_distinct_ids", "person"): _PERSON,
    ("events", "pdi"): LazyJoin(
        "person_distinct_ids", "person_distinct_ids", "distinct_id", "distinct_id"
    ),
    ("events", "session"): LazyJoin("sessions", "sessions", "$session_id", "session_id"),
    **{
        ("events", f"{prefix}_{i}"): LazyJoin("groups", "groups", f"$group_{i}", "key", i)
        for i in range(5)
        for prefix in ("group", "goe")
    },
}


@dataclass
class Source:
    alias: str
    kind: str  # a HOGQL_TABLES name, "system", "cte", "subquery" or "numbers"


@dataclass
class Scope:
    sources: dict[str, Source] = field(default_factory=dict)
    default: Source | None = None
    joins: dict[tuple[str, str], str] = field(default_factory=dict)  # (source, name) -> alias


def scope_of(select: exp.Select, tables: dict[int, tuple[exp.Table, str]]) -> Scope:
    scope = Scope()
    sources: list[exp.Expression] = []
    if select.args.get("from_") is not None:
        sources.append(select.args["from_"].this)
    sources.extend(join.this for join in select.args.get("joins") or [])
    for node in sources:
        if isinstance(node, exp.Table) and id(node) in tables:
            source = Source(node.alias_or_name, tables[id(node)][1])
        elif isinstance(node, exp.Subquery):
            source = Source(node.alias_or_name, "subquery")
        else:
            continue
        scope.sources[source.alias] = source
        if isinstance(node, exp.Table) and source.kind in HOGQL_TABLES:
            # HogQL still resolves `events.x` when the table has another alias.
            scope.sources.setdefault(node.name, source)
        if scope.default is None:
            scope.default = source
    return scope


def _property(base: exp.Expression, keys: list[str]) -> exp.Expression:
    """HogQL's property access: the raw JSON value, unquoted, as Nullable(String)."""
    raw = exp.Anonymous(
        this="JSONExtractRaw", expressions=[base, *(exp.Literal.string(k) for k in keys)]
    )
    inner = exp.Anonymous(this="nullIf", expressions=[raw, exp.Literal.string("")])
    outer = exp.Anonymous(this="nullIf", expressions=[inner, exp.Literal.string("null")])
    return exp.Anonymous(
        this="replaceRegexpAll",
        expressions=[outer, exp.Literal.string('^"|"$'), exp.Literal.string("")],
    )


def bracket_keys(node: exp.Bracket) -> list[str]:
    """`properties.a['b']['c']` -> ['a', 'b', 'c'] when every index is a string; else []."""
    keys: list[str] = []
    current: exp.Expression = node
    while isinstance(current, exp.Bracket):
        index = current.expressions
        if len(index) != 1 or not (isinstance(index[0], exp.Literal) and index[0].is_string):
            return []
        keys.insert(0, index[0].name)
        current = current.this
    if not isinstance(current, exp.Column):
        return []
    parts = [p.name for p in current.parts]
    return [*parts, *keys]


def _resolve_chain(parts: list[str], scope: Scope) -> exp.Expression | None:
    """A HogQL field chain as a ClickHouse expression, or None to leave the column unchanged."""
    source = scope.default
    rest = parts
    if len(parts) >= 2 and parts[0] in scope.sources:
        source, rest = scope.sources[parts[0]], parts[1:]
    if source is None or len(rest) < 2:
        return None
    if rest[0] == "properties" and source.kind in _PROPERTY_KINDS:
        return _property(exp.column("properties", table=source.alias, quoted=True), rest[1:])
    lazy = LAZY_JOINS.get((source.kind, rest[0]))
    if lazy is not None:
        join_alias = scope.joins.setdefault((source.alias, rest[0]), f"{source.alias}__{rest[0]}")
        tail = rest[1:]
        if tail[0] == "properties" and len(tail) > 1 and lazy.kind in _PROPERTY_KINDS:
            return _property(exp.column("properties", table=join_alias, quoted=True), tail[1:])
        if len(tail) == 1:
            return exp.column(tail[0], table=join_alias, quoted=True)
    if len(parts) >= 2 and parts[0] not in scope.sources:
        raise HogQLError(f"Unable to resolve field: {parts[0]}")
    return None


def rewrite_fields(select: exp.Select, scope: Scope) -> None:
    def owned(node: exp.Expression) -> bool:
        return node.find_ancestor(exp.Select) is select

    for bracket in list(select.find_all(exp.Bracket)):
        if not owned(bracket) or isinstance(bracket.parent, exp.Bracket):
            continue
        keys = bracket_keys(bracket)
        if keys:
            resolved = _resolve_chain(keys, scope)
            if resolved is not None:
                bracket.replace(resolved)
    for column in list(select.find_all(exp.Column)):
        if not owned(column) or isinstance(column.this, exp.Star):
            continue
        parts = [p.name for p in column.parts]
        if len(parts) < 2:
            continue
        resolved = _resolve_chain(parts, scope)
        if resolved is not None:
            column.replace(resolved)
    for (source_alias, name), join_alias in scope.joins.items():
        source = scope.sources[source_alias]
        lazy = LAZY_JOINS[(source.kind, name)]
        condition: exp.Expression = exp.EQ(
            this=exp.column(lazy.on_target, table=join_alias, quoted=True),
            expression=exp.column(lazy.on_source, table=source_alias, quoted=True),
        )
        if lazy.group_index is not None:
            by_type = exp.EQ(
                this=exp.column("index", table=join_alias, quoted=True),
                expression=exp.Literal.number(lazy.group_index),
            )
            condition = exp.And(this=condition, expression=by_type)
        target = exp.Table(
            this=exp.to_identifier(f"__{lazy.target}__"),
            alias=exp.TableAlias(this=exp.to_identifier(join_alias, quoted=True)),
        )
        select.append("joins", exp.Join(this=target, on=condition, side="LEFT"))
