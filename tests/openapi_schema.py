"""PostHog's real OpenAPI schema for tests: loading, ``$ref`` resolution, JSON Schema conversion.

The schema (2025-11-19, third-party data) lives outside the repository, in
``<repo>/../shared/posthog-openapi.yaml``, and is never copied into the project. A test that
needs it fails (never skips) when it is missing, so CI cannot pass without checking fidelity.

API:
- ``load_openapi()``: the parsed document, loaded once per process.
- ``resolve(ref)``: the component a ``#/components/schemas/X`` reference names.
- ``component(name)``: a component schema by name.
- ``component_json_schema(name)``: the component as a JSON Schema (draft 2020-12) that
  ``jsonschema.Draft202012Validator`` accepts, with every referenced component under ``$defs``.
- ``to_json_schema(node)``: the same for any schema node (e.g. a response body schema).
- ``find_operation(method, path)``: the operation at a path template, or ``None``.
- ``match_path(path)``: the template and parameters matching a concrete path
  (``/api/projects/1/dashboards/5/`` -> ``("/api/projects/{project_id}/dashboards/{id}/", {...})``).
- ``response_schema(method, path, status)`` / ``request_schema(method, path)``: the JSON body
  schema of an operation (concrete paths accepted), or ``None`` when undocumented.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from tests.shared_reference import SHARED_DIR

__all__ = [
    "SCHEMA_PATH",
    "component",
    "component_json_schema",
    "find_operation",
    "load_openapi",
    "match_path",
    "request_schema",
    "resolve",
    "response_schema",
    "to_json_schema",
]

SCHEMA_PATH = SHARED_DIR / "posthog-openapi.yaml"

_REF_PREFIX = "#/components/schemas/"
# OpenAPI keywords with no JSON Schema meaning; examples also hold YAML-parsed datetimes.
_DROPPED = {"nullable", "example", "xml", "externalDocs", "discriminator"}


@functools.lru_cache(maxsize=1)
def load_openapi() -> dict[str, Any]:
    """The saved schema as a dict (about 1 s to parse; cached for the whole session)."""
    if not SCHEMA_PATH.is_file():
        pytest.fail(
            f"PostHog's OpenAPI schema was expected at {SCHEMA_PATH} (the shared/ folder beside "
            "the repository); the fidelity tests cannot run without it.",
            pytrace=False,
        )
    with SCHEMA_PATH.open("rb") as fh:
        doc = yaml.load(fh, Loader=yaml.CSafeLoader)
    assert isinstance(doc, dict) and "paths" in doc, f"{SCHEMA_PATH} is not an OpenAPI document"
    return doc


def component(name: str) -> dict[str, Any]:
    schemas = load_openapi()["components"]["schemas"]
    if name not in schemas:
        raise KeyError(f"no component schema {name!r}")
    result: dict[str, Any] = schemas[name]
    return result


def resolve(ref: str) -> dict[str, Any]:
    """The component a local ``$ref`` points at."""
    if not ref.startswith(_REF_PREFIX):
        raise ValueError(f"only component references are supported, not {ref!r}")
    return component(ref[len(_REF_PREFIX) :])


def _convert(node: Any, refs: set[str]) -> Any:
    if isinstance(node, list):
        return [_convert(item, refs) for item in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
            name = value[len(_REF_PREFIX) :]
            refs.add(name)
            out[key] = f"#/$defs/{name}"
        elif key == "properties" and isinstance(value, Mapping):
            # property names are data, not keywords: never drop one called "example"
            out[key] = {prop: _convert(sub, refs) for prop, sub in value.items()}
        else:
            out[key] = _convert(value, refs)
    if node.get("nullable"):
        kind = out.get("type")
        if isinstance(kind, str) and "$ref" not in out:
            out["type"] = [kind, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            # a $ref (drf-spectacular wraps it in allOf) or a combinator: null is one more branch
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def to_json_schema(node: Mapping[str, Any]) -> dict[str, Any]:
    """``node`` (an OpenAPI 3.0 schema) as JSON Schema 2020-12, self-contained via ``$defs``.

    ``nullable`` becomes a ``"null"`` type (or an ``anyOf`` branch); ``readOnly`` and
    ``writeOnly`` are kept (2020-12 annotations); ``example`` and OpenAPI-only keywords go.
    """
    refs: set[str] = set()
    root = _convert(node, refs)
    defs: dict[str, Any] = {}
    pending = set(refs)
    while pending:
        name = pending.pop()
        found: set[str] = set()
        defs[name] = _convert(component(name), found)
        pending |= found - defs.keys()
    if not isinstance(root, dict):
        raise TypeError("a schema node must be a mapping")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": defs}


def component_json_schema(name: str) -> dict[str, Any]:
    """Component ``name`` as a JSON Schema document."""
    return to_json_schema({"$ref": _REF_PREFIX + name})


def find_operation(method: str, path: str) -> dict[str, Any] | None:
    """The operation ``method`` at path template ``path`` (exactly as the schema spells it)."""
    item = load_openapi()["paths"].get(path)
    if not isinstance(item, Mapping):
        return None
    op = item.get(method.lower())
    return op if isinstance(op, dict) else None


@functools.lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern[str], str, list[str]]]:
    compiled = []
    for template in load_openapi()["paths"]:
        names = re.findall(r"\{([^}]+)\}", template)
        pattern = re.escape(template)
        for name in names:
            pattern = pattern.replace(re.escape("{" + name + "}"), "([^/]+)")
        # literal segments first, so /dashboards/create_from_template_json/ beats /{id}/
        compiled.append((re.compile(f"^{pattern}$"), template, names))
    compiled.sort(key=lambda entry: len(entry[2]))
    return compiled


def match_path(path: str) -> tuple[str, dict[str, str]] | None:
    """The path template matching a concrete path (query string ignored), with its parameters."""
    path = path.split("?", 1)[0]
    if not path.endswith("/"):
        path += "/"
    for pattern, template, names in _templates():
        found = pattern.match(path)
        if found:
            return template, dict(zip(names, found.groups()))
    return None


def _operation_for(method: str, path: str) -> dict[str, Any] | None:
    op = find_operation(method, path)
    if op is None and (matched := match_path(path)) is not None:
        op = find_operation(method, matched[0])
    return op


def _body_schema(container: Any) -> dict[str, Any] | None:
    if not isinstance(container, Mapping):
        return None
    media = container.get("content", {}).get("application/json")
    schema = media.get("schema") if isinstance(media, Mapping) else None
    return to_json_schema(schema) if isinstance(schema, Mapping) else None


def response_schema(method: str, path: str, status: int | str = 200) -> dict[str, Any] | None:
    """The JSON Schema of the ``status`` response body of an operation, or ``None``."""
    op = _operation_for(method, path)
    if op is None:
        return None
    return _body_schema(op.get("responses", {}).get(str(status)))


def request_schema(method: str, path: str) -> dict[str, Any] | None:
    """The JSON Schema of an operation's request body, or ``None``."""
    op = _operation_for(method, path)
    return _body_schema(op.get("requestBody")) if op is not None else None
