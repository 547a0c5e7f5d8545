"""Personal API keys: where PostHog looks for one, scopes, project scoping, and its error bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, permission_denied

__all__ = ["ApiKey", "KeyRing", "find_key"]

_BEARER = re.compile(r"^Bearer\s+(\S.+)$")


@dataclass(frozen=True)
class ApiKey:
    value: str = field(repr=False)
    scopes: tuple[str, ...] = ("*",)
    scoped_teams: tuple[int, ...] = ()
    user_id: int = 1
    label: str = "emulator key"

    def __repr__(self) -> str:
        return f"ApiKey(label={self.label!r}, scopes={self.scopes!r})"

    @property
    def mask(self) -> str:
        return self.value[:4] + "..." + self.value[-4:] if len(self.value) > 8 else "phx_..."

    def allows(self, scope_object: str, write: bool) -> bool:
        # A key with no scopes is a legacy key that may do anything.
        if not self.scopes or "*" in self.scopes:
            return True
        wanted = (
            {f"{scope_object}:write"}
            if write
            else {
                f"{scope_object}:read",
                f"{scope_object}:write",
            }
        )
        return bool(wanted & set(self.scopes))


def find_key(headers: Any, body: bytes, query: Any) -> tuple[str, str] | None:
    """(key, source) from the Authorization header, then the JSON body, then the query string."""
    header = headers.get("Authorization", "")
    match = _BEARER.match(header)
    if match:
        return match.group(1).strip(), "Authorization header"
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("personal_api_key"), str):
            return data["personal_api_key"], "body"
    value = query.get("personal_api_key")
    if value:
        return value, "query string"
    return None


class KeyRing:
    """The keys the emulator accepts."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}

    def add(
        self,
        key: str,
        scopes: Iterable[str] = ("*",),
        scoped_teams: Iterable[int] = (),
        user_id: int = 1,
    ) -> ApiKey:
        api_key = ApiKey(key, tuple(scopes), tuple(int(t) for t in scoped_teams), user_id)
        self._keys[key] = api_key
        return api_key

    def authenticate(self, found: tuple[str, str] | None) -> ApiKey:
        if found is None:
            raise ApiError(
                401,
                "authentication_error",
                "not_authenticated",
                "Authentication credentials were not provided.",
            )
        key, source = found
        api_key = self._keys.get(key)
        if api_key is None:
            raise ApiError(
                401,
                "authentication_error",
                "authentication_failed",
                f"Personal API key found in request {source} is invalid.",
            )
        return api_key


def check_scope(key: ApiKey, scope_object: str, write: bool) -> None:
    if not key.allows(scope_object, write):
        action = "write" if write else "read"
        raise permission_denied(f"API key missing required scope '{scope_object}:{action}'")


def check_project(key: ApiKey, project_id: int) -> None:
    if key.scoped_teams and project_id not in key.scoped_teams:
        raise permission_denied(
            f"API key does not have access to the requested project: ID {project_id}."
        )


def check_unscoped_endpoint(key: ApiKey) -> None:
    if key.scoped_teams:
        raise permission_denied(
            "API keys with scoped projects are only supported on project-based endpoints."
        )
