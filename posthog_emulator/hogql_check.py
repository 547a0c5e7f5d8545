"""PostHog's own judgement of a HogQL text: its parser, its function registries, its fields.

Owns `check_hogql(text)`, which answers what PostHog would refuse before running anything:
- the text is parsed by PostHog's published parser (`hogql-parser` on PyPI, the C++/ANTLR
  grammar PostHog runs), so a syntax PostHog does not accept is refused with its message;
- every function call must be in HogQL's registries (exact name, or any letter case for the
  names PostHog marks case-insensitive): `Unsupported function call 'x(...)'`;
- every field of `events`, `persons`, `sessions`, `person_distinct_ids` and `groups`, the lazy
  joins reached by dotted access (`person.`, `pdi.`, `session.`, `group_0.`, `poe.`), and of
  the project's other tables the caller names (`system.*`, warehouse tables, saved views) must
  exist: `Unable to resolve field: x`.

The field check is deliberately conservative: a name that could come from a subquery, a CTE, a
table this module does not know or an alias is let through, so a refusal here is always one
PostHog would give too. The tables and registries are `hogql_registry_data.py`, generated from
PostHog's source by `scripts/gen_hogql_registry.py`.

The parser's extension module imports `posthog.hogql.errors` when it loads; outside PostHog that
module does not exist, so a stand-in with PostHog's exception classes is registered first
(only under that dotted name: an installed `posthog` SDK package is left as it is).
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .hogql_registry_data import CASE_INSENSITIVE, FUNCTIONS, GOE_FIELDS, POE_FIELDS, TABLE_FIELDS

__all__ = ["HogQLRefusal", "check_hogql", "parse_hogql"]

SYNTAX_ERROR = "hogql_syntax_error"
QUERY_ERROR = "hogql_query_error"


@dataclass(frozen=True)
class HogQLRefusal:
    """What PostHog answers with 400: `{"type": "validation_error", "code", "detail", "attr"}`.

    `code` is the error class's `code_name` (posthog/hogql/errors.py), which `api/query.py`
    passes to DRF's ValidationError.
    """

    code: str
    message: str

    def body(self) -> dict[str, str | None]:
        return {"type": "validation_error", "code": self.code, "detail": self.message, "attr": None}


def _import_parser() -> Any:
    """`hogql_parser`, with a stand-in `posthog.hogql.errors` registered for its import."""
    added: list[str] = []
    if "posthog.hogql.errors" not in sys.modules:
        errors = types.ModuleType("posthog.hogql.errors")

        class BaseHogQLError(Exception):
            def __init__(self, message: str = "", *args: Any, **kwargs: Any) -> None:
                super().__init__(message)
                self.start = kwargs.get("start")
                self.end = kwargs.get("end")

        class ExposedHogQLError(BaseHogQLError):
            code_name = "hogql_error"

        class InternalHogQLError(BaseHogQLError):
            pass

        classes: dict[str, type] = {
            "BaseHogQLError": BaseHogQLError,
            "ExposedHogQLError": ExposedHogQLError,
            "InternalHogQLError": InternalHogQLError,
            "SyntaxError": type("SyntaxError", (ExposedHogQLError,), {"code_name": SYNTAX_ERROR}),
            "QueryError": type("QueryError", (ExposedHogQLError,), {"code_name": QUERY_ERROR}),
            "NotImplementedError": type("NotImplementedError", (InternalHogQLError,), {}),
            "ParsingError": type("ParsingError", (InternalHogQLError,), {}),
            "ImpossibleASTError": type("ImpossibleASTError", (InternalHogQLError,), {}),
            "ResolutionError": type("ResolutionError", (InternalHogQLError,), {}),
        }
        for name, cls in classes.items():
            cls.__module__ = errors.__name__
            setattr(errors, name, cls)
        for parent in ("posthog", "posthog.hogql"):
            if parent not in sys.modules:
                sys.modules[parent] = types.ModuleType(parent)
                added.append(parent)
        sys.modules[errors.__name__] = errors
    try:
        return importlib.import_module("hogql_parser")
    finally:
        # The stand-in parents go again, so a later `import posthog` finds the real SDK if it
        # is installed; `posthog.hogql.errors` stays for the parser, which looks it up by name.
        for parent in added:
            sys.modules.pop(parent, None)


hogql_parser = _import_parser()

# -- parsing -------------------------------------------------------------------------------------


def parse_hogql(text: str) -> dict[str, Any] | HogQLRefusal:
    """PostHog's AST of one SELECT (as JSON objects), or the refusal its parser gives."""
    try:
        doc = json.loads(hogql_parser.parse_select_json(text))
    except Exception as exc:  # the extension raises its own classes on internal failures
        return HogQLRefusal(SYNTAX_ERROR, str(exc) or "Syntax error")
    if isinstance(doc, dict) and doc.get("error"):
        kind = doc.get("type")
        code = SYNTAX_ERROR if kind == "SyntaxError" else QUERY_ERROR
        return HogQLRefusal(code, str(doc.get("message") or "Syntax error"))
    if not isinstance(doc, dict):
        return HogQLRefusal(SYNTAX_ERROR, "Syntax error")
    return doc


# -- functions -----------------------------------------------------------------------------------


def function_known(name: str) -> bool:
    """HogQL's lookup (functions/mapping.py `_find_function`): exact key, else lower-cased key
    when that entry is case-insensitive."""
    return name in FUNCTIONS or name.lower() in CASE_INSENSITIVE


# -- fields --------------------------------------------------------------------------------------

# Where a dotted step leads: a field of one table that is itself another table's row.
_JOINS: dict[tuple[str, str], str] = {
    ("events", "pdi"): "person_distinct_ids",
    ("events", "person"): "persons",
    ("events", "session"): "sessions",
    ("events", "poe"): "__poe",
    ("persons", "pdi"): "person_distinct_ids",
    ("person_distinct_ids", "person"): "persons",
    **{("events", f"group_{i}"): "groups" for i in range(5)},
    **{("events", f"goe_{i}"): "__goe" for i in range(5)},
}
_FIELDS: dict[str, Mapping[str, str]] = {**TABLE_FIELDS, "__poe": POE_FIELDS, "__goe": GOE_FIELDS}
_OPEN_FIELD_CLASSES = ("StringJSONDatabaseField", "DatabaseField")


@dataclass
class _Source:
    alias: str
    table: str | None  # a key of _FIELDS, or None when its columns are not known here


@dataclass
class _Scope:
    sources: list[_Source] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # aliases, lambda arguments, CTE names

    def by_name(self, name: str) -> _Source | None:
        for source in self.sources:
            if source.alias == name:
                return source
        return None


class _Refused(Exception):
    def __init__(self, refusal: HogQLRefusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def _unresolved(name: str) -> _Refused:
    return _Refused(HogQLRefusal(QUERY_ERROR, f"Unable to resolve field: {name}"))


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("start", "end"):
                yield value
    elif isinstance(node, list):
        yield from node


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every AST node under `node` (itself included), depth first."""
    if isinstance(node, dict) and "node" in node:
        yield node
    for child in _children(node):
        yield from _walk(child)


def _walk_own(node: Any) -> Iterator[dict[str, Any]]:
    """Nodes of this SELECT only: nested SELECTs are their own scopes, placeholders are values."""
    for child in _children(node):
        if isinstance(child, dict) and child.get("node") in (
            "SelectQuery",
            "SelectSetQuery",
            "Placeholder",
        ):
            continue
        if isinstance(child, dict) and "node" in child:
            yield child
        yield from _walk_own(child)


def _check_functions(tree: dict[str, Any]) -> None:
    for node in _walk(tree):
        if node.get("node") in ("Call", "WindowFunction"):
            name = str(node.get("name") or "")
            if name and not function_known(name):
                raise _Refused(
                    HogQLRefusal(QUERY_ERROR, f"Unsupported function call '{name}(...)'")
                )


Registry = Mapping[str, Mapping[str, str]]


def _table_sources(join: Any, ctes: set[str], fields: Registry) -> Iterator[_Source]:
    while isinstance(join, dict) and join.get("node") == "JoinExpr":
        table = join.get("table")
        alias = join.get("alias")
        if isinstance(table, dict) and table.get("node") == "Field":
            chain = [str(p) for p in table.get("chain") or []]
            name = chain[0] if len(chain) == 1 else ".".join(chain)
            known = name if name in fields and name not in ctes else None
            yield _Source(str(alias or name), known)
            if alias and known:
                # HogQL still resolves `events.x` when the table carries another alias.
                yield _Source(name, known)
        else:
            yield _Source(str(alias or ""), None)
        join = join.get("next_join")


def _check_chain(chain: list[str], scope: _Scope, outer: Iterable[str], fields: Registry) -> None:
    if not chain or chain[0] == "*":
        return
    head = chain[0]
    source = scope.by_name(head) if len(chain) > 1 else None
    rest = chain
    if source is not None:
        if source.table is None:
            return
        tables: list[str] = [source.table]
        rest = chain[1:]
    elif head in scope.names or head in outer:
        return
    else:
        if any(s.table is None for s in scope.sources) or not scope.sources:
            return
        tables = sorted({s.table for s in scope.sources if s.table})
    if not rest or rest[0] == "*":
        return
    owners = [t for t in tables if rest[0] in fields[t]]
    if not owners:
        raise _unresolved(rest[0])
    _check_path(owners[0], rest, fields)


def _check_path(table: str, rest: list[str], fields: Registry) -> None:
    """Follow lazy joins (`person.properties.email`, `session.$channel_type`)."""
    while len(rest) > 1:
        kind = fields[table].get(rest[0], "")
        if kind in _OPEN_FIELD_CLASSES:
            return
        target = _JOINS.get((table, rest[0]))
        if target is None:
            return  # a scalar with a tail (e.g. a tuple element): not judged here
        table, rest = target, rest[1:]
        if rest[0] != "*" and rest[0] not in fields[table]:
            raise _unresolved(rest[0])


def _check_select(
    node: dict[str, Any], outer: frozenset[str], ctes: set[str], fields: Registry
) -> None:
    kind = node.get("node")
    if kind == "SelectSetQuery":
        members = [node.get("initial_select_query")]
        members += [m.get("select_query") for m in node.get("subsequent_select_queries") or []]
        for member in members:
            if isinstance(member, dict):
                _check_select(member, outer, ctes, fields)
        return
    if kind != "SelectQuery":
        return
    own_ctes = set(ctes)
    for cte in node.get("ctes") or []:
        if isinstance(cte, dict):
            own_ctes.add(str(cte.get("name")))
    scope = _Scope()
    scope.sources = list(_table_sources(node.get("select_from"), own_ctes, fields))
    scope.names |= {n for n in own_ctes}
    for item in _walk_own(node):
        if item.get("node") == "Alias" and item.get("alias"):
            scope.names.add(str(item["alias"]))
        elif item.get("node") == "Lambda":
            scope.names |= {str(a) for a in item.get("args") or []}
    for item in _walk_own(node):
        if item.get("node") == "Field" and not _is_table_ref(node, item):
            _check_chain([str(p) for p in item.get("chain") or []], scope, outer, fields)
    inner_outer = frozenset(outer | scope.names | {s.alias for s in scope.sources})
    for nested in _nested_selects(node):
        _check_select(nested, inner_outer, own_ctes, fields)


def _is_table_ref(select: dict[str, Any], item: dict[str, Any]) -> bool:
    join = select.get("select_from")
    while isinstance(join, dict):
        if join.get("table") is item:
            return True
        join = join.get("next_join")
    return False


def _nested_selects(node: Any) -> Iterator[dict[str, Any]]:
    for child in _children(node):
        if isinstance(child, dict) and child.get("node") in ("SelectQuery", "SelectSetQuery"):
            yield child
        elif isinstance(child, dict) and child.get("node") == "Placeholder":
            continue
        else:
            yield from _nested_selects(child)


@functools.lru_cache(maxsize=2048)
def _parsed_and_called(text: str) -> dict[str, Any] | HogQLRefusal:
    """PostHog's tree of `text` once its function calls are known good, or the refusal.

    Cached by text: parsing takes tens of milliseconds, and clients send the same text again
    and again with other placeholder values (keyset pages, retries). The tree is only read."""
    parsed = parse_hogql(text)
    if isinstance(parsed, HogQLRefusal):
        return parsed
    try:
        _check_functions(parsed)
    except _Refused as exc:
        return exc.refusal
    return parsed


def check_hogql(text: str, tables: Registry | None = None) -> HogQLRefusal | None:
    """None when PostHog would accept `text` as far as parser, registries and fields tell;
    otherwise the refusal (code and message) PostHog gives. `tables` adds the project's own
    tables (name as queried -> field name -> HogQL field class) to PostHog's; the field check
    depends on them, so only parsing is cached."""
    if not isinstance(text, str) or not text.strip():
        return HogQLRefusal(SYNTAX_ERROR, "Empty query")
    parsed = _parsed_and_called(text)
    if isinstance(parsed, HogQLRefusal):
        return parsed
    try:
        _check_select(parsed, frozenset(), set(), {**(tables or {}), **_FIELDS})
    except _Refused as exc:
        return exc.refusal
    return None
