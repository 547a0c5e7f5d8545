"""From what a user writes to what the driver requests: resource names, paths, keys and limits.

``find_route`` turns a resource name into its route (with a did-you-mean when it is unknown);
``parse_read_path`` splits ``read()``'s ``"/dashboards/123?search=x"`` into route, record key and
filters; ``path_key`` checks a record key against the resource's lookup type (a key of the wrong
kind cannot exist, so it fails without a request); ``endpoint_path`` places ``call_endpoint()``'s
path under the project. Nothing here sends a request.
"""

from __future__ import annotations

import uuid as _uuid
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from posthog_dbapi import exceptions as exc
from posthog_dbapi.driver.budget import RateCategory
from posthog_dbapi.driver.routes import ResourceRoute, get_directory
from posthog_dbapi.driver.transport import Transport, is_absolute_url
from posthog_dbapi.names import close_names, did_you_mean

__all__ = [
    "category_for",
    "check_limit",
    "check_open",
    "endpoint_path",
    "find_route",
    "parse_read_path",
    "path_key",
    "pop_int",
]


def check_open(transport: Transport) -> None:
    if transport.closed:
        raise exc.InterfaceError("The driver is closed", suggestion="Create a new PostHogDriver.")


def find_route(name: str) -> ResourceRoute:
    directory = get_directory()
    if not isinstance(name, str):
        raise exc.InterfaceError(
            f"A resource name must be a string, not {type(name).__name__}",
            suggestion="Call list_objects() to see the names.",
        )
    try:
        return directory.route(name)
    except KeyError:
        pass
    names = directory.names()
    close = close_names(name, names)
    hint = f". {did_you_mean(close)}" if close else ""
    raise exc.ObjectNotFoundError(
        f"Object '{name}' not found{hint}",
        {"object": name, "available": names, "did_you_mean": close},
        suggestion="Use one of the names in details['available'] (driver.list_objects()).",
    )


def parse_read_path(
    query: str, project_id: str, transport: Transport
) -> tuple[ResourceRoute, str | None, dict[str, Any]]:
    """The route, the record key (``None`` for a list) and the query parameters of a path."""
    if not isinstance(query, str) or not query.strip():
        raise exc.InterfaceError(
            "read() needs a path such as '/dashboards' or '/dashboards/123'",
            suggestion="Call list_objects() to see the resource names.",
        )
    text = query.strip()
    try:
        parts = urlsplit(text)
    except ValueError as e:
        raise exc.InterfaceError(
            f"{query!r} is not a valid path or URL: {e}",
            suggestion="Use a path such as '/dashboards' or '/dashboards/123'.",
        ) from None
    if is_absolute_url(text):
        transport.url_for(text)  # raises on another host
    params: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
    segments = [s for s in parts.path.split("/") if s]
    if segments[:1] == ["api"]:
        segments = segments[1:]
        if len(segments) >= 2 and segments[0] in ("projects", "environments"):
            if segments[1] not in (project_id, "@current"):
                raise exc.ValidationError(
                    f"The path names project {segments[1]}, but this driver uses project "
                    f"{project_id}",
                    {"path": parts.path},
                    suggestion="Create a driver with that project_id.",
                )
            segments = segments[2:]
    if not segments:
        raise exc.InterfaceError(
            f"{query!r} names no resource",
            suggestion="Use a path such as '/dashboards' (see list_objects()).",
        )
    directory = get_directory()
    best: tuple[int, ResourceRoute] | None = None
    for name in directory.names():
        route = directory.route(name)
        for candidate in (route.path.split("/"), [route.name]):
            n = len(candidate)
            if segments[:n] == candidate and (best is None or n > best[0]):
                best = (n, route)
    if best is None:
        find_route(segments[0])  # raises ObjectNotFoundError with the did-you-mean
        raise AssertionError("unreachable")
    used, route = best
    rest = segments[used:]
    if len(rest) > 1:
        raise exc.ValidationError(
            f"read() reads lists and records; {parts.path!r} is a sub-resource",
            {"path": parts.path},
            suggestion=f"Use call_endpoint({parts.path!r}) for it.",
        )
    return route, (rest[0] if rest else None), params


def check_limit(route: ResourceRoute, value: int | None, what: str) -> int | None:
    if value is None:
        return None
    if value < 1:
        raise exc.ValidationError(
            f"{what} must be >= 1, not {value}", {what: value}, suggestion=f"Use {what}=100."
        )
    if route.max_page_size is not None and value > route.max_page_size:
        raise exc.ValidationError(
            f"limit cannot exceed {route.max_page_size}",
            {what: value, "max": route.max_page_size, "resource": route.name},
            suggestion=f"Use {what}<={route.max_page_size}, or read_batched() for more.",
        )
    return value


def path_key(route: ResourceRoute, key: str | int) -> str:
    """The record key as it goes in the path; a key of the wrong kind cannot exist, so it
    raises ``ObjectNotFoundError`` without a request."""
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise exc.InterfaceError(f"A record key must be a string or int, not {type(key).__name__}")
    text = str(key).strip()
    ok = bool(text)
    kind = {"int": "whole numbers", "uuid": "UUIDs", "str": "non-empty strings"}[route.lookup_type]
    if ok and route.lookup_type == "int":
        ok = text.isdigit()
    elif ok and route.lookup_type == "uuid" and not text.isdigit():
        # Persons also take their numeric pk.
        try:
            _uuid.UUID(text)
        except ValueError:
            ok = False
    if not ok:
        raise exc.ObjectNotFoundError(
            f"Resource '{text}' not found: {route.name} are looked up by "
            f"{route.lookup_field}, which are {kind}",
            {"resource": route.name, "key": text, "lookup_field": route.lookup_field},
            suggestion=f"Use a {route.lookup_field} from read('/{route.name}').",
        )
    return quote(text, safe="")


def pop_int(params: dict[str, Any], name: str, explicit: int | None) -> int | None:
    """``name`` taken out of a path's query parameters, unless given explicitly."""
    raw = params.pop(name, None)
    value: Any = explicit if explicit is not None else raw
    if value is None:
        return None
    if isinstance(value, bool):
        value = str(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exc.ValidationError(
            f"{name} must be a whole number, not {value!r}",
            {name: value},
            suggestion=f"Use e.g. {name}=100.",
        ) from None


def endpoint_path(endpoint: str, project_id: str, transport: Transport) -> str:
    """``"/dashboards"`` under the project, ``"/api/..."`` as is, a URL on the API's host."""
    if is_absolute_url(endpoint):
        return transport.url_for(endpoint)
    path, _, query = endpoint.partition("?")
    if not path.startswith("/"):
        path = "/" + path
    if not path.startswith("/api/"):
        path = f"/api/projects/{project_id}{path}"
    if not path.endswith("/"):
        path += "/"
    return path + (f"?{query}" if query else "")


def category_for(path: str) -> RateCategory:
    """The rate-limit category PostHog counts a raw call against."""
    bare = urlsplit(path).path
    if "/query/" in bare or "/endpoints/" in bare:
        return "query"
    if any(f"/{part}/" in bare for part in ("events", "persons", "session_recordings")):
        return "analytics"
    return "crud"
