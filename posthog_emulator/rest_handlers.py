"""The emulator's handlers of plain REST routes: the catalogued resources and the root routes.

``resource`` serves list, create, retrieve, update and delete of every resource in
``resources.py`` from the project's in-memory state (list filters, ordering, the three pagination
styles, soft or hard deletes); ``project_info``, ``me`` and ``key_info`` are the bodies of the
routes a client uses to find its project (``/api/projects/{id}/``, ``/api/users/@me/``,
``/api/personal_api_keys/@current/``).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from werkzeug.wrappers import Request

from .auth import ApiKey, check_scope
from .errors import EmptyResponse, endpoint_not_found, method_not_allowed
from .pagination import offset_page, page_params
from .ratelimit import RateLimiter
from .resources import ResourceDef
from .state import ProjectSettings, ProjectState, is_hidden, user_basic
from .wire import WRITE_METHODS, Result, json_body

__all__ = ["key_info", "me", "project_info", "resource"]

ORG_ID = "0192c9a4-0000-7000-8000-0000000000aa"


def admit(
    key: ApiKey,
    key_hash: str,
    sub: str,
    limits: RateLimiter,
    scope: str,
    *,
    write: bool,
    category: str,
) -> None:
    """What every record route checks first, in PostHog's order: the path has no further
    segment, the key holds the scope, and the request fits the key's rate limit."""
    if "/" in sub:
        raise endpoint_not_found()
    check_scope(key, scope, write)
    limits.hit(key_hash, category)


def resource(
    request: Request,
    state: ProjectState,
    d: ResourceDef,
    key: ApiKey,
    key_hash: str,
    sub: str,
    limits: RateLimiter,
) -> Result:
    """One request on resource ``d``; ``sub`` is what follows its path (a record key or "")."""
    method = request.method
    write = method in WRITE_METHODS
    admit(key, key_hash, sub, limits, d.scope, write=write, category=d.rate_category)
    if not sub:
        if method == "GET":
            return 200, _list(request, state, d), {}
        if method == "POST":
            if not d.can_create:
                raise method_not_allowed(method)
            row = state.create(d.name, json_body(request), user_id=key.user_id)
            body = _project_row(row, d.detail_fields)
            if d.name == "desktop_recordings":
                # UNVERIFIED: a Recall.ai SDK upload token; the emulator makes one up.
                body["upload_token"] = "emu_" + uuid.uuid4().hex
            return 201, body, {}
        raise method_not_allowed(method)
    if method == "GET":
        row = state.get(d.name, sub, include_deleted=d.retrieve_deleted)
        return 200, _project_row(row, d.detail_fields), {}
    if method in ("PUT", "PATCH"):
        row = state.update(
            d.name, sub, json_body(request), partial=method == "PATCH", user_id=key.user_id
        )
        return 200, _project_row(row, d.detail_fields), {}
    if method == "DELETE":
        if d.delete == "soft":
            raise EmptyResponse(405)
        state.delete(d.name, sub)
        return 204, None, {}
    raise method_not_allowed(method)


def _list(request: Request, state: ProjectState, d: ResourceDef) -> dict[str, Any]:
    rows = [r for r in state.table(d.name).ordered() if not is_hidden(r)]
    for param, check in d.filters.items():
        value = request.args.get(param)
        if value is not None and value != "":
            rows = [r for r in rows if check(r, value)]
    if d.name == "datasets" and request.args.get("order_by"):
        rows = _order_by(rows, request.args.get("order_by", ""))
    fields = d.list_fields

    def project(row: dict[str, Any]) -> dict[str, Any]:
        return _project_row(row, fields)

    if d.pagination == "plain":
        return {"results": [project(r) for r in rows]}
    limit, offset = page_params(request)
    if d.pagination == "has_next":
        page = rows[offset : offset + limit]
        return {
            "results": [project(r) for r in page],
            "has_next": offset + limit < len(rows),
            "version": 4,
        }
    return offset_page(request, rows, limit, offset, project)


def _project_row(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: row.get(f) for f in fields}


def _order_by(rows: list[dict[str, Any]], spec: str) -> list[dict[str, Any]]:
    for key in reversed([k.strip() for k in spec.split(",") if k.strip()]):
        name = key.lstrip("-")
        if name in ("created_at", "updated_at"):
            field = name
            rows = sorted(rows, key=lambda r: str(r.get(field) or ""), reverse=key[0] == "-")
    return rows


# -- root routes ---------------------------------------------------------------------------


def project_info(project_id: int, settings: ProjectSettings) -> dict[str, Any]:
    return {
        "id": project_id,
        "project_id": project_id,
        "uuid": str(uuid.UUID(int=project_id, version=4)),
        "organization": ORG_ID,
        "api_token": f"phc_emulator{project_id:04d}",
        "name": f"Emulator project {project_id}",
        "completed_snippet_onboarding": True,
        "has_completed_onboarding_for": {},
        "ingested_event": True,
        "is_demo": False,
        "timezone": settings.timezone,
        "week_start_day": settings.week_start_day,
        "access_control": False,
    }


def me(current_project: int, settings: ProjectSettings) -> dict[str, Any]:
    user = user_basic()
    team = project_info(current_project, settings)
    return {
        **user,
        "date_joined": "2024-01-01T00:00:00Z",
        "is_staff": False,
        "team": team,
        "organization": {"id": ORG_ID, "name": "Emulator org", "slug": "emulator"},
        "organizations": [
            {"id": ORG_ID, "name": "Emulator org", "slug": "emulator", "membership_level": 15}
        ],
    }


def key_info(key: ApiKey) -> dict[str, Any]:
    return {
        "id": hashlib.sha256(key.value.encode()).hexdigest()[:24],
        "label": key.label,
        "value": None,
        "mask_value": key.mask,
        "created_at": "2024-01-01T00:00:00Z",
        "last_used_at": None,
        "user_id": key.user_id,
        "scopes": list(key.scopes) or ["*"],
        "scoped_teams": list(key.scoped_teams),
        "scoped_organizations": [],
        "last_rolled_at": None,
    }
