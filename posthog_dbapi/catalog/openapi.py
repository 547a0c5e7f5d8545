"""Deriving a resource's columns from an OpenAPI document (the server's ``/api/schema/``).

PostHog's schema is drf-spectacular output: a list operation answers with a ``Paginated<X>List``
envelope whose ``results`` items reference the list-item component; the create (or, failing that,
partial update) request body names the component that says which fields are required and
writable. This module turns that into ``Column`` tuples. It reads a document already parsed into
a dict; fetching and caching the document is the driver's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from posthog_dbapi.catalog.spec import Column, ColumnType
from posthog_dbapi.driver.routes import ResourceRoute

__all__ = [
    "columns_from_openapi",
    "find_operation",
    "list_item_component",
    "request_component",
    "schema_to_column",
]

_DESCRIPTION_LIMIT = 300

Schema = Mapping[str, Any]


def _component_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _components(doc: Schema) -> Mapping[str, Any]:
    comps = doc.get("components")
    schemas = comps.get("schemas") if isinstance(comps, Mapping) else None
    return schemas if isinstance(schemas, Mapping) else {}


def _deref(doc: Schema, node: Any) -> Any:
    """Follow ``$ref`` links to components until a concrete schema is reached."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            break
        seen.add(ref)
        node = _components(doc).get(_component_name(ref))
    return node


def find_operation(doc: Schema, route: ResourceRoute, method: str, *, detail: bool) -> Any:
    """The operation object for ``method`` on the resource's collection (or detail) path.

    Both prefixes are tried, the route's own first, and any name for the project path parameter
    is accepted, since newer schemas call it ``{environment_id}`` under ``/api/environments/``.
    """
    paths = doc.get("paths")
    if not isinstance(paths, Mapping):
        return None
    suffix = re.escape(route.path) + (r"/\{[^}/]+\}/" if detail else "/")
    prefixes = [route.prefix] + [p for p in ("projects", "environments") if p != route.prefix]
    for prefix in prefixes:
        pattern = re.compile(rf"^/api/{prefix}/\{{[^}}/]+\}}/{suffix}$")
        for path, item in paths.items():
            if isinstance(path, str) and pattern.match(path) and isinstance(item, Mapping):
                op = item.get(method.lower())
                if isinstance(op, Mapping):
                    return op
    return None


def _json_schema_of(node: Any) -> Any:
    if not isinstance(node, Mapping):
        return None
    content = node.get("content")
    if not isinstance(content, Mapping):
        return None
    media = content.get("application/json")
    return media.get("schema") if isinstance(media, Mapping) else None


def list_item_component(doc: Schema, route: ResourceRoute) -> Mapping[str, Any] | None:
    """The schema of one item of the resource's list response, or ``None`` if undocumented."""
    op = find_operation(doc, route, "get", detail=False)
    if op is None:
        return None
    responses = op.get("responses")
    if not isinstance(responses, Mapping):
        return None
    body = _deref(doc, _json_schema_of(responses.get("200")))
    if not isinstance(body, Mapping):
        return None
    if body.get("type") == "array":
        item = _deref(doc, body.get("items"))
    else:
        results = body.get("properties", {}).get("results")
        item = _deref(doc, results.get("items")) if isinstance(results, Mapping) else None
    return item if isinstance(item, Mapping) and "properties" in item else None


def request_component(
    doc: Schema, route: ResourceRoute, *, update: bool = False
) -> Mapping[str, Any] | None:
    """The create body's schema; with ``update=True`` the partial (else full) update body's."""
    attempts = (("patch", True), ("put", True)) if update else (("post", False),)
    for method, detail in attempts:
        op = find_operation(doc, route, method, detail=detail)
        if op is None:
            continue
        body = _deref(doc, _json_schema_of(op.get("requestBody")))
        if isinstance(body, Mapping) and "properties" in body:
            return body
    return None


def _accepts(body: Mapping[str, Any] | None, name: str) -> bool:
    prop = body.get("properties", {}).get(name) if body else None
    return isinstance(prop, Mapping) and not prop.get("readOnly")


def _variants(doc: Schema, prop: Mapping[str, Any]) -> list[Any]:
    for key in ("oneOf", "anyOf", "allOf"):
        if isinstance(prop.get(key), list):
            return [_deref(doc, v) for v in prop[key]]
    return []


def _clean_description(text: Any) -> str:
    if not isinstance(text, str) or text.lstrip().startswith("* `"):
        return ""  # drf-spectacular's enum listing repeats the enum itself
    # drop the enum listing drf-spectacular appends ("... * `server` - Server * `client` ...")
    flat = " ".join(text.split()).split(" * `", 1)[0].strip()
    if len(flat) > _DESCRIPTION_LIMIT:
        flat = flat[: _DESCRIPTION_LIMIT - 1].rstrip() + "\u2026"
    return flat


def schema_to_column(doc: Schema, name: str, prop: Any) -> Column:
    """One property of a component as a column (type, nullability, enum, max length)."""
    raw = prop if isinstance(prop, Mapping) else {}
    resolved = _deref(doc, raw)
    resolved = resolved if isinstance(resolved, Mapping) else {}
    nullable = bool(raw.get("nullable") or resolved.get("nullable"))
    enum_values: list[str] | None = None
    concrete: Mapping[str, Any] = resolved
    variants = _variants(doc, resolved) or _variants(doc, raw)
    if variants:
        picked: Mapping[str, Any] | None = None
        for variant in variants:
            if not isinstance(variant, Mapping):
                continue
            values = variant.get("enum")
            if isinstance(values, list) and values in ([None], []):
                nullable = True  # drf-spectacular's NullEnum
                continue
            if variant.get("nullable"):
                nullable = True
            if isinstance(values, list):
                enum_values = (enum_values or []) + [v for v in values if v is not None]
                if None in values:
                    nullable = True
            if picked is None or (values and picked.get("enum") == [""]):
                picked = variant
        concrete = picked or {}
        if len([v for v in variants if isinstance(v, Mapping)]) > 1 and enum_values is None:
            concrete = {}  # a genuine union of shapes: leave it to JSON
    elif isinstance(resolved.get("enum"), list):
        values = resolved["enum"]
        enum_values = [v for v in values if v is not None]
        nullable = nullable or None in values
    col_type = _column_type(concrete, enum=enum_values is not None)
    enum_tuple = None
    if enum_values is not None and col_type is ColumnType.STRING:
        enum_tuple = tuple(dict.fromkeys(str(v) for v in enum_values))
    max_length = resolved.get("maxLength", raw.get("maxLength"))
    description = raw.get("description") or resolved.get("description")
    return Column(
        name=name,
        type=col_type,
        nullable=nullable,
        read_only=bool(raw.get("readOnly") or resolved.get("readOnly")),
        description=_clean_description(description),
        enum=enum_tuple,
        max_length=max_length if isinstance(max_length, int) else None,
    )


_STRING_FORMATS: dict[object, ColumnType] = {
    "date-time": ColumnType.DATETIME,
    "date": ColumnType.DATE,
    "uuid": ColumnType.UUID,
}
_SCALAR_TYPES: dict[object, ColumnType] = {
    "integer": ColumnType.INTEGER,
    "number": ColumnType.FLOAT,
    "boolean": ColumnType.BOOLEAN,
}


def _column_type(node: Mapping[str, Any], *, enum: bool) -> ColumnType:
    """The column type of an OpenAPI schema node; an enum without a type is a string, and an
    object, array or untyped node is JSON."""
    kind = node.get("type")
    if kind == "string" or (enum and kind is None):
        return _STRING_FORMATS.get(node.get("format"), ColumnType.STRING)
    return _SCALAR_TYPES.get(kind, ColumnType.JSON)


def columns_from_openapi(doc: Schema, route: ResourceRoute) -> tuple[Column, ...] | None:
    """The resource's columns as the document describes them, or ``None`` if it lacks the list.

    Write-only properties are left out: a scan never returns them. A column is writable when
    the create or partial-update body accepts it (or, with neither documented, when the list
    item does not mark it read-only); it is required when the create body requires it.
    """
    item = list_item_component(doc, route)
    if item is None:
        return None
    create = request_component(doc, route) if route.can_create else None
    update = request_component(doc, route, update=True) if route.can_update else None
    bodies = [body for body in (create, update) if body is not None]
    create_required = set(create.get("required", ())) if create else set()
    columns = []
    for name, prop in item.get("properties", {}).items():
        if isinstance(prop, Mapping) and prop.get("writeOnly"):
            continue  # input-only: a scan never returns it
        col = schema_to_column(doc, name, prop)
        if bodies:
            # List serializers often mark everything read-only (DashboardBasic, NotebookMinimal);
            # what a write accepts is the request bodies' word.
            writable = any(_accepts(body, name) for body in bodies)
        else:
            writable = not col.read_only and (route.can_create or route.can_update)
        columns.append(
            replace(
                col,
                read_only=not writable,
                required=bool(create) and name in create_required and _accepts(create, name),
            )
        )
    return tuple(columns)
