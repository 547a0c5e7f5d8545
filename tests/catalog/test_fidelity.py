"""Every catalog spec checked against PostHog's real OpenAPI schema.

A difference is accepted only when ``posthog_dbapi/catalog/deviations.py`` lists it. Each check
collects every mismatch and fails with one line per (resource, field): expected vs actual.
The expected column types are computed here from the raw schema, independently of the catalog's
own derivation (``catalog/openapi.py``), which is checked separately on the same schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from openapi_schema import find_operation, load_openapi, resolve

from posthog_dbapi.catalog import RESOURCES, Column, Resource
from posthog_dbapi.catalog.deviations import DEVIATIONS
from posthog_dbapi.catalog.openapi import columns_from_openapi
from posthog_dbapi.driver.routes import DeleteStyle, PaginationStyle

# The rule for tables without a REST path: a resource that is `hogql_only` (a HogQL table such as
# `sessions`, with neither list nor retrieve) has nothing in the REST schema to be checked
# against, so the REST checks below skip it; `test_hogql_only_tables_have_no_rest_path` proves
# the rule cannot hide a REST resource.
NAMES = sorted(name for name, resource in RESOURCES.items() if not resource.hogql_only)
HOGQL_ONLY = sorted(name for name, resource in RESOURCES.items() if resource.hogql_only)


def _deviates(resource: str, aspect: str) -> bool:
    return (resource, aspect) in DEVIATIONS


def _names_without(*aspects: str) -> list[str]:
    """The REST resources none of whose ``aspects`` is a listed deviation.

    A check that a deviation exempts is not parametrised over that resource at all, instead of
    passing it with an early ``return`` that reports a check that never ran. The `columns`
    exemptions are themselves checked by ``test_column_exemptions_are_still_needed``.
    """
    return [n for n in NAMES if not any(_deviates(n, aspect) for aspect in aspects)]


# `columns`: the catalog's columns do not follow the schema's list item (endpoints: no list
# body documented; error_tracking: not in the schema; events: HogQL's table, not the REST list).
COLUMN_CHECKED = _names_without("columns")
COLUMN_EXEMPT = sorted(set(NAMES) - set(COLUMN_CHECKED))


def _fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def _collection(resource: Resource) -> str:
    return f"/api/{resource.route.prefix}/{{project_id}}/{resource.route.path}/"


def _detail(resource: Resource) -> str:
    """The schema's detail path template of the resource, whatever its key is called."""
    base = _collection(resource)
    for path in load_openapi()["paths"]:
        key = path[len(base) :]
        if (
            path.startswith(base)
            and key.startswith("{")
            and key.endswith("}/")
            and "/" not in key[:-1]
        ):
            return str(path)
    return f"{base}{{{resource.route.lookup_field}}}/"


def _deref(node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        node = resolve(node["$ref"])
    return node


def _body(container: Any) -> Any:
    if not isinstance(container, Mapping):
        return None
    media = container.get("content", {}).get("application/json")
    return _deref(media.get("schema")) if isinstance(media, Mapping) else None


def _list_item(resource: Resource) -> Mapping[str, Any] | None:
    op = find_operation("get", _collection(resource))
    envelope = _body(op["responses"].get("200")) if op else None
    if not isinstance(envelope, Mapping):
        return None
    item = _deref(envelope.get("properties", {}).get("results", {}).get("items"))
    return item if isinstance(item, Mapping) else None


def _scopes(op: Mapping[str, Any]) -> set[str]:
    return {s for entry in op.get("security", []) for s in entry.get("PersonalAPIKeyAuth", [])}


def _expected_type(prop: Mapping[str, Any]) -> str:
    """Contract B's mapping, read straight off the schema."""
    node = _deref(prop)
    branches = node.get("oneOf") or node.get("anyOf") or node.get("allOf")
    if branches:
        concrete = [
            b
            for b in (_deref(x) for x in branches)
            if b.get("enum") not in ([None], [""]) or len(branches) == 1
        ]
        if len(concrete) != 1:
            return "json"
        node = concrete[0]
    kind, fmt = node.get("type"), node.get("format")
    if kind == "string":
        return {"date-time": "datetime", "date": "date", "uuid": "uuid"}.get(fmt, "string")
    if kind in ("integer", "boolean"):
        return str(kind)
    if kind == "number":
        return "number"
    return "json"


def _is_nullable(prop: Mapping[str, Any]) -> bool:
    node = _deref(prop)
    if prop.get("nullable") or node.get("nullable"):
        return True
    branches = node.get("oneOf") or node.get("anyOf") or []
    return any(_deref(b).get("enum") == [None] or _deref(b).get("nullable") for b in branches)


@pytest.mark.parametrize("name", NAMES)
def test_routes_exist_with_the_methods_the_spec_claims(name: str) -> None:
    resource = RESOURCES[name]
    route = resource.route
    if _deviates(name, "route:list"):
        assert find_operation("get", _collection(resource)) is None, (
            f"{name}: the schema now documents {_collection(resource)}; "
            "drop the route:list deviation and check the spec against it"
        )
        return
    problems = []
    claims = [
        ("get", _collection(resource), route.can_list and not _deviates(name, "route:read")),
        ("post", _collection(resource), route.can_create),
        ("get", _detail(resource), route.can_retrieve),
        ("patch", _detail(resource), route.can_update),
    ]
    for method, path, claimed in claims:
        op = find_operation(method, path)
        if claimed and op is None:
            problems.append(f"{name}: spec claims {method.upper()} {path}; schema has none")
        if op is not None and claimed:
            level = "read" if method == "get" else "write"
            wanted = f"{route.scope}:{level}"
            if wanted not in _scopes(op) and not _deviates(name, f"scope:{method}"):
                problems.append(
                    f"{name}: {method.upper()} {path} scope: expected {wanted!r}, "
                    f"schema says {sorted(_scopes(op))}"
                )
    if route.prefix == "environments" and find_operation(
        "get", f"/api/projects/{{project_id}}/{route.path}/"
    ):
        problems.append(f"{name}: served under /api/projects/ too; use prefix 'projects'")
    _fail_on(problems)


# Exempt: resources with no documented list (route:list) or a documented delete that PostHog's
# code contradicts (delete); each such deviation says why.
@pytest.mark.parametrize("name", _names_without("route:list", "delete"))
def test_delete_style_matches_the_documented_responses(name: str) -> None:
    resource = RESOURCES[name]
    op = find_operation("delete", _detail(resource))
    codes = sorted(op["responses"]) if op else []
    style = resource.route.delete_style
    actual = (
        DeleteStyle.NONE
        if op is None
        else DeleteStyle.SOFT
        if codes == ["405"]
        else DeleteStyle.HARD
    )
    assert style is actual, (
        f"{name}: delete style expected {actual.name} (DELETE responses {codes}), "
        f"spec says {style.name}"
    )


# Exempt: resources with no documented list (route:list) or a lookup the schema types wrongly.
@pytest.mark.parametrize("name", _names_without("route:list", "lookup"))
def test_lookup_key_and_type_match_the_detail_path(name: str) -> None:
    resource = RESOURCES[name]
    route = resource.route
    path = _detail(resource)
    item = load_openapi()["paths"].get(path)
    assert item is not None, f"{name}: no detail path {path} (lookup field {route.lookup_field!r})"
    params = list(item.get("parameters", []))
    for op in item.values():
        if isinstance(op, Mapping):
            params += op.get("parameters", [])
    keys = {p["name"]: p["schema"] for p in params if p.get("in") == "path"}
    assert route.lookup_field in keys, (
        f"{name}: lookup field expected one of {sorted(set(keys) - {'project_id'})}, "
        f"spec says {route.lookup_field!r}"
    )
    schema = keys[route.lookup_field]
    actual = (
        "int"
        if schema.get("type") == "integer"
        else "uuid"
        if schema.get("format") == "uuid"
        else "str"
    )
    assert route.lookup_type == actual, (
        f"{name}: lookup {route.lookup_field!r} type expected {actual!r}, spec says "
        f"{route.lookup_type!r}"
    )


# Exempt: resources the schema documents no list for (route:list).
@pytest.mark.parametrize("name", _names_without("route:list"))
def test_pagination_and_list_params_match_the_list_operation(name: str) -> None:
    resource = RESOURCES[name]
    route = resource.route
    op = find_operation("get", _collection(resource))
    assert op is not None
    query = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
    problems = []
    envelope = _body(op["responses"].get("200"))
    documented_offset = (
        isinstance(envelope, Mapping)
        and {"count", "next", "previous", "results"} <= set(envelope.get("properties", {}))
        and {"limit", "offset"} <= query
    )
    claims_offset = route.pagination is PaginationStyle.OFFSET
    if claims_offset != documented_offset and not _deviates(name, "pagination"):
        problems.append(
            f"{name}: pagination expected {'OFFSET' if documented_offset else 'not OFFSET'}, "
            f"spec says {route.pagination.name}"
        )
    for param in route.list_params:
        if param not in query and not _deviates(name, f"list_param:{param}"):
            problems.append(f"{name}: list param {param!r} not in the schema's {sorted(query)}")
    _fail_on(problems)


@pytest.mark.parametrize("name", COLUMN_CHECKED)
def test_columns_match_the_list_item_component(name: str) -> None:
    resource = RESOURCES[name]
    item = _list_item(resource)
    assert item is not None, f"{name}: the schema has no list item component"
    props = {k: v for k, v in item["properties"].items() if not v.get("writeOnly")}
    problems = []
    declared = resource.column_names
    if list(declared) != list(props):
        problems.append(
            f"{name}: columns expected {list(props)}, spec has {list(declared)} "
            f"(missing {sorted(set(props) - set(declared))}, "
            f"extra {sorted(set(declared) - set(props))})"
        )
    for field, prop in props.items():
        if not resource.has_column(field):
            continue
        col = resource.column(field)
        expected_type = _expected_type(prop)
        if col.type.value != expected_type and not _deviates(name, f"type:{field}"):
            problems.append(
                f"{name}.{field}: type expected {expected_type}, spec has {col.type.value}"
            )
        if col.nullable != _is_nullable(prop):
            problems.append(
                f"{name}.{field}: nullable expected {_is_nullable(prop)}, spec has {col.nullable}"
            )
        if col.max_length != _deref(prop).get("maxLength", prop.get("maxLength")):
            problems.append(f"{name}.{field}: max_length differs: spec has {col.max_length}")
    _fail_on(problems)


def _request_props(resource: Resource) -> tuple[dict[str, Any], set[str]]:
    """Fields the create or update bodies accept (not read-only), and those create requires."""
    accepted: dict[str, Any] = {}
    required: set[str] = set()
    route = resource.route
    ops = []
    if route.can_create:
        ops.append(("post", _collection(resource)))
    if route.can_update:
        ops += [("patch", _detail(resource))]
    for method, path in ops:
        op = find_operation(method, path)
        body = _body(op.get("requestBody")) if op else None
        if not isinstance(body, Mapping):
            continue
        for field, prop in body.get("properties", {}).items():
            if not prop.get("readOnly"):
                accepted[field] = prop
        if method == "post":
            required |= set(body.get("required", ()))
    return accepted, required


@pytest.mark.parametrize("name", COLUMN_CHECKED)
def test_writable_and_required_columns_match_the_request_components(name: str) -> None:
    resource = RESOURCES[name]
    accepted, required = _request_props(resource)
    problems = []
    for col in resource.columns:
        writable = col.name in accepted
        if writable == col.read_only:
            problems.append(
                f"{name}.{col.name}: read_only expected {not writable}, spec has {col.read_only}"
            )
        must = col.name in required and writable
        if must != col.required and not _deviates(name, f"required:{col.name}"):
            problems.append(f"{name}.{col.name}: required expected {must}, spec has {col.required}")
        enum = _enum_of(accepted.get(col.name))
        if enum is not None and col.enum is not None and not set(enum) <= set(col.enum):
            problems.append(f"{name}.{col.name}: enum expected {enum}, spec has {col.enum}")
    _fail_on(problems)


def _enum_of(prop: Any) -> list[str] | None:
    if not isinstance(prop, Mapping):
        return None
    node = _deref(prop)
    for branch in [node, *[_deref(b) for b in node.get("oneOf", []) + node.get("allOf", [])]]:
        values = branch.get("enum")
        if values and values not in ([None], [""]):
            return [v for v in values if v is not None]
    return None


@pytest.mark.parametrize("name", COLUMN_CHECKED)
def test_catalog_derivation_reproduces_the_declared_columns(name: str) -> None:
    """``fields(name, schema)`` on the real schema agrees with the declared columns."""
    resource = RESOURCES[name]
    derived = columns_from_openapi(load_openapi(), resource.route)
    assert resource.hogql_table is None, f"{name}: a HogQL table needs a columns deviation"
    assert derived is not None, f"{name}: the schema lacks its list item"
    problems = []
    by_name: dict[str, Column] = {c.name: c for c in derived}
    for col in resource.columns:
        got = by_name.get(col.name)
        if got is None:
            problems.append(f"{name}.{col.name}: missing from the derivation")
            continue
        for attr in ("type", "nullable", "read_only", "required", "enum", "max_length"):
            if attr == "type" and _deviates(name, f"type:{col.name}"):
                continue
            if getattr(got, attr) != getattr(col, attr):
                problems.append(
                    f"{name}.{col.name}: {attr} derived {getattr(got, attr)!r}, "
                    f"declared {getattr(col, attr)!r}"
                )
    _fail_on(problems)


@pytest.mark.parametrize("name", COLUMN_EXEMPT)
def test_column_exemptions_are_still_needed(name: str) -> None:
    """A `columns` deviation holds only while the schema cannot give the columns."""
    resource = RESOURCES[name]
    derived = columns_from_openapi(load_openapi(), resource.route)
    assert derived is None or resource.hogql_table is not None, (
        f"{name}: the schema now has its list item; drop the columns deviation"
    )


def test_every_deviation_names_a_known_resource() -> None:
    unknown = sorted({res for res, _ in DEVIATIONS} - set(RESOURCES))
    assert not unknown, f"deviations.py names unknown resources {unknown}"


def test_foreign_keys_point_at_existing_columns() -> None:
    problems = [
        f"{name}: {fk.column} -> {fk.table}.{fk.table_column}"
        for name, resource in RESOURCES.items()
        for fk in resource.foreign_keys
        if not resource.has_column(fk.column)
        or fk.table not in RESOURCES
        or not RESOURCES[fk.table].has_column(fk.table_column)
    ]
    _fail_on(problems)


def test_hogql_only_tables_have_no_rest_path() -> None:
    assert HOGQL_ONLY == ["groups", "person_distinct_ids", "sessions"]
    paths = list(load_openapi()["paths"])
    # PostHog's REST list of groups takes one group type at a time (group_type_index is
    # required); the table reads every group type with one HogQL query instead.
    assert "/api/projects/{project_id}/groups/" in paths
    for name in HOGQL_ONLY:
        resource = RESOURCES[name]
        route = resource.route
        assert not (route.can_list or route.can_retrieve or route.can_create or route.can_update)
        assert route.delete_style is DeleteStyle.NONE
        for prefix in ("projects", "environments"):
            if name == "groups":
                continue
            base = f"/api/{prefix}/{{project_id}}/{name}/"
            assert base not in paths, f"{name}: the schema now has {base}; check it as REST"
