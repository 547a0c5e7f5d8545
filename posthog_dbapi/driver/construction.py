"""What ``PostHogDriver()`` checks and decides before it is usable (fail fast).

The argument checks (key present, numbers in range, a warning when TLS verification is off), the
rate budget a driver shares with others on the same host and key, the ``debug=True`` log handler,
and the project resolution: the explicit id, else the key's only scoped project, else the user's
current project. Resolution makes the driver's first requests, so a wrong key or host fails here.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from posthog_dbapi import exceptions as exc
from posthog_dbapi.driver.budget import (
    BudgetLimits,
    QueryTier,
    RateBudget,
    get_shared_budget,
    query_tier,
)
from posthog_dbapi.driver.config import ENV_API_KEY
from posthog_dbapi.driver.errors import not_a_posthog_api
from posthog_dbapi.driver.transport import Transport

__all__ = [
    "InsecureTLSWarning",
    "check_api_key",
    "check_query_tier",
    "check_schema_cache_dir",
    "enable_debug_logging",
    "make_budget",
    "missing_key_error",
    "resolve_project",
    "warn_if_insecure",
]

logger = logging.getLogger("posthog_dbapi.driver")

MISSING_KEY_FIX = (
    "Set POSTHOG_API_KEY=phx_... (export POSTHOG_API_KEY=your_personal_api_key) or pass "
    "api_key=; create a personal API key in Account settings > Personal API keys."
)


class InsecureTLSWarning(UserWarning):
    """Issued when a driver is created with TLS certificate verification turned off."""


def missing_key_error() -> exc.AuthenticationError:
    return exc.AuthenticationError(
        "Missing PostHog API key", {"env_var": ENV_API_KEY}, suggestion=MISSING_KEY_FIX
    )


def check_api_key(key: Any) -> str:
    """The key, stripped; ``AuthenticationError`` before any request when it is missing."""
    if not isinstance(key, str) or not key.strip():
        raise missing_key_error()
    return key.strip()


def check_schema_cache_dir(value: Any) -> None:
    """``schema_cache_dir`` is a directory path or None."""
    if value is not None and not isinstance(value, (str, os.PathLike)):
        raise exc.InterfaceError(
            f"schema_cache_dir must be a directory path, not {type(value).__name__}",
            suggestion="Pass e.g. schema_cache_dir='/var/cache/posthog', or leave it out.",
        )


def warn_if_insecure(verify: bool, ca_bundle: str | None) -> None:
    if verify is False and not ca_bundle:
        warnings.warn(
            "TLS certificate verification is off (verify=False): anyone on the network "
            "path can read the API key. Use ca_bundle= for a private CA instead.",
            InsecureTLSWarning,
            # The user's PostHogDriver(...) line: this function, then __init__, then the caller.
            stacklevel=3,
        )


def check_query_tier(value: Any) -> QueryTier | None:
    """The declared ``query_tier`` (``None``: not declared); ``InterfaceError`` when unreadable."""
    if value is None:
        return None
    try:
        return query_tier(value)
    except ValueError as e:
        raise exc.InterfaceError(str(e), {"query_tier": value}) from None


def make_budget(
    setting: bool | RateBudget | Mapping[str, tuple[int | None, int | None]],
    host: str,
    key: str,
    clock: Callable[[], float],
    tier: QueryTier | None = None,
) -> RateBudget | None:
    if isinstance(setting, RateBudget):
        if tier is not None:
            setting.set_query_tier(tier)
        return setting
    if setting is False or setting is None:
        return None
    if setting is True:
        return get_shared_budget(host, key, clock=clock, tier=tier)
    if isinstance(setting, Mapping):
        try:
            limits = {
                name: BudgetLimits(*(None if n is None else int(n) for n in (pm, ph)))
                for name, (pm, ph) in setting.items()
            }
        except (TypeError, ValueError):
            raise exc.InterfaceError(
                "rate_budget must map categories to (per_minute, per_hour)",
                suggestion="e.g. rate_budget={'crud': (480, 4800), 'hogql': (None, 120)}",
            ) from None
        return get_shared_budget(host, key, clock=clock, limits=limits, tier=tier)
    raise exc.InterfaceError(
        f"rate_budget must be True, False, a RateBudget or a mapping, not {setting!r}"
    )


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test capture replaces it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def enable_debug_logging() -> None:
    root = logging.getLogger("posthog_dbapi")
    root.setLevel(logging.DEBUG)
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
        root.addHandler(handler)


def resolve_project(transport: Transport, api_url: str, explicit: str | None) -> str:
    """The explicit id, else the key's only scoped project, else the user's current one.
    The first call also proves the key (401 -> AuthenticationError) and the host."""
    key_info: Any = None
    try:
        key_info = transport.request("GET", "/api/personal_api_keys/@current/", fail_fast=True).body
    except (exc.PermissionDeniedError, exc.ObjectNotFoundError, exc.NotSupportedError):
        # Not a personal API key (an OAuth token), or a PostHog too old for @current.
        key_info = None
    except exc.MalformedResponseError as e:
        raise not_a_posthog_api(e, api_url) from None
    scoped = key_info.get("scoped_teams") if isinstance(key_info, dict) else None
    scoped_ids = [str(t) for t in scoped] if isinstance(scoped, list) else []
    if explicit is not None:
        if scoped_ids and explicit not in scoped_ids:
            raise exc.PermissionDeniedError(
                f"The API key may only use project(s) {', '.join(scoped_ids)}, not {explicit}",
                {"project_id": explicit, "scoped_teams": scoped_ids},
                suggestion="Use one of the key's projects, or widen the key's project access.",
            )
        return explicit
    if len(scoped_ids) == 1:
        logger.debug("Project %s: the key's only scoped project", scoped_ids[0])
        return scoped_ids[0]
    me = transport.request("GET", "/api/users/@me/", fail_fast=True).body
    team = me.get("team") if isinstance(me, dict) else None
    current = None
    if isinstance(team, dict):
        current = team.get("project_id") or team.get("id")
    if current is None:
        raise exc.ProgrammingError(
            "Cannot tell which PostHog project to use",
            suggestion="Pass project_id= or set POSTHOG_PROJECT_ID (Project settings).",
        )
    current_id = str(current)
    if scoped_ids and current_id not in scoped_ids:
        raise exc.ProgrammingError(
            f"The API key may use projects {', '.join(scoped_ids)}; pick one",
            {"scoped_teams": scoped_ids},
            suggestion="Pass project_id= or set POSTHOG_PROJECT_ID.",
        )
    logger.debug("Project %s: the user's current project", current_id)
    return current_id
