"""``/api/schema/``: an OpenAPI 3.0 document generated from the emulator's own resources.

Component and path names follow PostHog's drf-spectacular output (``PaginatedDashboardBasicList``
-> ``DashboardBasic``, ``Patched<Name>``, operation ids ``dashboards_list``), so a client reads the
emulator's schema exactly as it reads PostHog's. YAML by default; JSON with ``?format=json`` or
``Accept: application/json``, as drf-spectacular does.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from werkzeug.wrappers import Request

from .fields import Field
from .resources import RESOURCES, ResourceDef

__all__ = ["build_schema", "schema_response"]

_PROJECT_PARAM = {
    "in": "path",
    "name": "project_id",
    "required": True,
    "schema": {"type": "string"},
    "description": "Project ID of the project you're trying to access. To find the ID of the "
    "project, make a call to /api/projects/.",
}
_PAGE_PARAMS = [
    {
        "in": "query",
        "name": "limit",
        "required": False,
        "schema": {"type": "integer"},
        "description": "Number of results to return per page.",
    },
    {
        "in": "query",
        "name": "offset",
        "required": False,
        "schema": {"type": "integer"},
        "description": "The initial index from which to return the results.",
    },
]
_TYPES: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "num": {"type": "number", "format": "double"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "uuid": {"type": "string", "format": "uuid"},
    "json": {},
    "obj": {"type": "object", "additionalProperties": {}},
    "list": {"type": "array", "items": {}},
}


def _field_schema(field: Field) -> dict[str, Any]:
    if field.type == "user":
        schema: dict[str, Any] = {"allOf": [{"$ref": "#/components/schemas/UserBasic"}]}
    else:
        schema = dict(_TYPES[field.type])
    if field.enum is not None:
        schema["enum"] = list(field.enum)
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    if field.nullable:
        schema["nullable"] = True
    if field.read_only:
        schema["readOnly"] = True
    if field.write_only:
        schema["writeOnly"] = True
    return schema


def _component(fields: tuple[Field, ...], *, patched: bool = False) -> dict[str, Any]:
    props = {f.name: _field_schema(f) for f in fields}
    required = sorted(f.name for f in fields if (f.required or f.read_only) and not patched)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def _paginated(item: str, style: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{item}"}
    if style == "has_next":
        return {
            "type": "object",
            "required": ["results", "has_next"],
            "properties": {
                "results": {"type": "array", "items": ref},
                "has_next": {"type": "boolean"},
                "version": {"type": "integer"},
            },
        }
    if style == "plain":
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"results": {"type": "array", "items": ref}},
        }
    uri = {"type": "string", "nullable": True, "format": "uri"}
    return {
        "type": "object",
        "required": ["count", "results"],
        "properties": {
            "count": {"type": "integer"},
            "next": uri,
            "previous": uri,
            "results": {"type": "array", "items": ref},
        },
    }


def _ref(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _operations(d: ResourceDef, prefix: str) -> dict[str, dict[str, Any]]:
    op = ("environments_" if prefix == "environments" else "") + d.name
    security = lambda action: [{"PersonalAPIKeyAuth": [f"{d.scope}:{action}"]}]  # noqa: E731
    envelope = f"Paginated{d.list_component}List"
    collection: dict[str, Any] = {
        "get": {
            "operationId": f"{op}_list",
            "tags": [d.name],
            "security": security("read"),
            "parameters": [
                _PROJECT_PARAM,
                *_PAGE_PARAMS,
                *(
                    {"in": "query", "name": n, "required": False, "schema": {"type": "string"}}
                    for n in d.filters
                ),
            ],
            "responses": {"200": {"description": "", **_ref(envelope)}},
        },
    }
    if d.can_create:
        collection["post"] = {
            "operationId": f"{op}_create",
            "tags": [d.name],
            "security": security("write"),
            "parameters": [_PROJECT_PARAM],
            "requestBody": {"required": True, **_ref(d.detail_component)},
            "responses": {"201": {"description": "", **_ref(d.detail_component)}},
        }
    key_param = {
        "in": "path",
        "name": d.lookup,
        "required": True,
        "schema": {"type": "integer" if d.id_type == "int" and d.lookup == "id" else "string"},
    }
    params = [_PROJECT_PARAM, key_param]
    detail: dict[str, Any] = {
        "get": {
            "operationId": f"{op}_retrieve",
            "parameters": params,
            "security": security("read"),
            "responses": {"200": {"description": "", **_ref(d.detail_component)}},
        },
        "put": {
            "operationId": f"{op}_update",
            "parameters": params,
            "security": security("write"),
            "requestBody": _ref(d.detail_component),
            "responses": {"200": {"description": "", **_ref(d.detail_component)}},
        },
        "patch": {
            "operationId": f"{op}_partial_update",
            "parameters": params,
            "security": security("write"),
            "requestBody": _ref(f"Patched{d.detail_component}"),
            "responses": {"200": {"description": "", **_ref(d.detail_component)}},
        },
        "delete": {
            "operationId": f"{op}_destroy",
            "parameters": params,
            "security": security("write"),
            "responses": {"405" if d.delete == "soft" else "204": {"description": ""}},
        },
    }
    base = f"/api/{prefix}/{{project_id}}/{d.path}/"
    return {base: collection, f"{base}{{{d.lookup}}}/": detail}


_USER_BASIC = {
    "type": "object",
    "required": ["email", "hedgehog_config", "id", "uuid"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "uuid": {"type": "string", "format": "uuid", "readOnly": True},
        "distinct_id": {"type": "string", "nullable": True, "maxLength": 200},
        "first_name": {"type": "string", "maxLength": 150},
        "last_name": {"type": "string", "maxLength": 150},
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "is_email_verified": {"type": "boolean", "nullable": True},
        "hedgehog_config": {"type": "object", "nullable": True, "readOnly": True},
        "role_at_organization": {"type": "string", "nullable": True},
    },
}


@functools.lru_cache(maxsize=1)
def build_schema() -> dict[str, Any]:
    schemas: dict[str, Any] = {"UserBasic": _USER_BASIC}
    paths: dict[str, Any] = {}
    for d in RESOURCES.values():
        schemas[d.detail_component] = _component(d.fields)
        schemas[f"Patched{d.detail_component}"] = _component(d.fields, patched=True)
        if d.list_component != d.detail_component:
            schemas[d.list_component] = _component(tuple(f for f in d.fields if f.in_list))
        schemas[f"Paginated{d.list_component}List"] = _paginated(d.list_component, d.pagination)
        for prefix in ("projects", "environments"):
            paths.update(_operations(d, prefix))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "PostHog API (emulator)",
            "version": "1.0.0",
            "description": "Generated by posthog_dbapi's local PostHog API emulator.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"PersonalAPIKeyAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


@functools.lru_cache(maxsize=2)
def _rendered(as_json: bool) -> bytes:
    if as_json:
        return json.dumps(build_schema()).encode()
    import yaml

    return yaml.safe_dump(build_schema(), sort_keys=False).encode()


def schema_response(request: Request) -> tuple[int, bytes, dict[str, str]]:
    as_json = request.args.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    )
    content_type = "application/vnd.oai.openapi+json" if as_json else "application/vnd.oai.openapi"
    return 200, _rendered(as_json), {"Content-Type": content_type + "; charset=utf-8"}
