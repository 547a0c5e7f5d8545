"""``PostHogDriver``: the seed spec's driver, over PostHog's real private API.

It validates its configuration and the key at construction (fail fast), resolves the project,
and maps each public method onto the resource's real HTTP semantics (paths, lookup keys, soft or
hard deletes, pagination styles) taken from the route directory the catalog registers. Every HTTP
call goes through ``Transport``; paging lives in ``pagination.py`` and ``events.py``.
"""

from __future__ import annotations

import difflib
import logging
import os
import random
import sys
import time
import uuid as _uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from posthog_dbapi import exceptions as exc
from posthog_dbapi.driver import events as _events
from posthog_dbapi.driver.budget import BudgetLimits, RateBudget, get_shared_budget
from posthog_dbapi.driver.config import (
    DEFAULT_API_URL,
    ENV_API_KEY,
    env_settings,
    normalize_api_url,
    normalize_project_id,
)
from posthog_dbapi.driver.pagination import paginate
from posthog_dbapi.driver.query import QueryResult, cancel_query, run_query
from posthog_dbapi.driver.routes import (
    DeleteStyle,
    PaginationStyle,
    ResourceRoute,
    get_directory,
)
from posthog_dbapi.driver.schema import SCHEMA_PATH, SchemaSource
from posthog_dbapi.driver.transport import Transport

__all__ = ["DriverCapabilities", "InsecureTLSWarning", "PostHogDriver"]

logger = logging.getLogger("posthog_dbapi.driver")

_MISSING_KEY_FIX = (
    "Set POSTHOG_API_KEY=phx_... (export POSTHOG_API_KEY=your_personal_api_key) or pass "
    "api_key=; create a personal API key in Account settings > Personal API keys."
)
_CALL_KWARGS = frozenset({"json", "timeout", "idempotent", "category"})


@dataclass(frozen=True)
class DriverCapabilities:
    """What this driver can do (the seed spec's fields, plus per-resource detail)."""

    read: bool = True
    write: bool = True
    update: bool = True
    delete: bool = True
    batch_operations: bool = True
    streaming: bool = True
    pagination: PaginationStyle = PaginationStyle.OFFSET
    """The style most resources use; ``pagination_by_resource`` has each one."""
    max_page_size: int | None = 1000
    default_page_size: int = 100
    query: bool = True
    """HogQL through the Query API (``driver.query``)."""
    pagination_by_resource: Mapping[str, PaginationStyle] = field(default_factory=dict)


class InsecureTLSWarning(UserWarning):
    """Issued when a driver is created with TLS certificate verification turned off."""


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test capture replaces it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _enable_debug_logging() -> None:
    root = logging.getLogger("posthog_dbapi")
    root.setLevel(logging.DEBUG)
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
        root.addHandler(handler)


class PostHogDriver:
    """A PostHog project as a set of resources you can list, read, create, update and delete.

    ``api_url`` takes ``https://us.posthog.com``, ``https://eu.posthog.com``, the legacy
    ``app.posthog.com``, ``"us"``/``"eu"`` or a self-hosted URL, with or without ``/api``. The key
    defaults to ``$POSTHOG_API_KEY``. The project is the given id, else the key's only scoped
    project, else the user's current project. ``clock``, ``sleep`` and ``rng`` are injectable so
    that retries and budgets can be tested without waiting.
    """

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        api_key: str | None = None,
        project_id: str | int | None = None,
        timeout: float = 30,
        max_retries: int = 3,
        debug: bool = False,
        *,
        verify: bool = True,
        ca_bundle: str | None = None,
        rate_budget: bool | RateBudget | Mapping[str, tuple[int, int]] = True,
        retry_after_cap: float = 60.0,
        schema_cache_dir: str | os.PathLike[str] | None = None,
        schema_cache_ttl: float = 3600,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.debug = bool(debug)
        if self.debug:
            _enable_debug_logging()
        key = api_key if api_key is not None else os.environ.get(ENV_API_KEY, "")
        if not isinstance(key, str) or not key.strip():
            raise exc.AuthenticationError(
                "Missing PostHog API key", {"env_var": ENV_API_KEY}, suggestion=_MISSING_KEY_FIX
            )
        key = key.strip()
        _check_number("timeout", timeout, minimum=0.001)
        _check_number("retry_after_cap", retry_after_cap, minimum=0)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise exc.InterfaceError(
                f"max_retries must be a whole number >= 0, not {max_retries!r}",
                suggestion="Use e.g. max_retries=3 (0 turns retries off).",
            )
        if verify is False and not ca_bundle:
            warnings.warn(
                "TLS certificate verification is off (verify=False): anyone on the network "
                "path can read the API key. Use ca_bundle= for a private CA instead.",
                InsecureTLSWarning,
                stacklevel=2,
            )
        self.api_url = normalize_api_url(api_url)
        self.timeout = timeout
        self.max_retries = max_retries
        clock_fn = clock if clock is not None else time.monotonic
        self._budget = _make_budget(rate_budget, self.api_url, key, clock_fn)
        self._transport = Transport(
            self.api_url,
            key,
            timeout=timeout,
            max_retries=max_retries,
            retry_after_cap=retry_after_cap,
            verify=ca_bundle if ca_bundle else verify,
            session=session,
            clock=clock_fn,
            sleep=sleep if sleep is not None else time.sleep,
            rng=rng,
            budget=self._budget,
        )
        self._schema = SchemaSource(
            self.api_url,
            lambda: (
                self._transport.request(
                    "GET", SCHEMA_PATH, params={"format": "json"}, category="crud"
                ).body
            ),
            cache_dir=schema_cache_dir,
            ttl=schema_cache_ttl,
        )
        try:
            self.project_id: str = self._resolve_project(normalize_project_id(project_id))
        except BaseException:
            self._transport.close()
            raise
        logger.debug("Connected to %s, project %s", self.api_url, self.project_id)

    @classmethod
    def from_env(cls, **overrides: Any) -> PostHogDriver:
        """A driver from ``POSTHOG_API_URL``, ``POSTHOG_API_KEY`` and ``POSTHOG_PROJECT_ID``;
        keyword arguments override them (``from_env(debug=True)``, ``from_env(timeout=60)``)."""
        settings: dict[str, Any] = dict(env_settings())
        settings.update(overrides)
        if not settings.get("api_key"):
            raise exc.AuthenticationError(
                "Missing PostHog API key", {"env_var": ENV_API_KEY}, suggestion=_MISSING_KEY_FIX
            )
        return cls(**settings)

    def __repr__(self) -> str:
        return f"PostHogDriver(api_url={self.api_url!r}, project_id={self.project_id!r})"

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release the HTTP session; later calls raise ``InterfaceError``."""
        self._transport.close()

    @property
    def closed(self) -> bool:
        return self._transport.closed

    def __enter__(self) -> PostHogDriver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- discovery ----------------------------------------------------------------------------

    def get_capabilities(self) -> DriverCapabilities:
        directory = get_directory()
        routes = [directory.route(name) for name in directory.names()]
        styles = Counter(r.pagination for r in routes if r.pagination is not PaginationStyle.KEYSET)
        common = styles.most_common(1)[0][0] if styles else PaginationStyle.OFFSET
        sizes = [r.max_page_size for r in routes if r.pagination is common and r.max_page_size]
        return DriverCapabilities(
            read=any(r.can_list or r.can_retrieve for r in routes),
            write=any(r.can_create for r in routes),
            update=any(r.can_update for r in routes),
            delete=any(r.delete_style is not DeleteStyle.NONE for r in routes),
            pagination=common,
            max_page_size=min(sizes) if sizes else None,
            default_page_size=Counter(r.default_page_size for r in routes).most_common(1)[0][0],
            pagination_by_resource={r.name: r.pagination for r in routes},
        )

    def list_objects(self) -> list[str]:
        """Every resource type (table) name, sorted."""
        return list(get_directory().names())

    def get_schema(self) -> dict[str, Any] | None:
        """The server's OpenAPI document (fetched once, optionally cached on disk), or ``None``
        when the server offers none."""
        self._check_open()
        return self._schema.get()

    def get_fields(self, object_name: str) -> dict[str, dict[str, Any]]:
        """The fields of a resource type: ``{name: {"type", "required", "nullable", ...}}``."""
        route = self._route(object_name)
        return get_directory().fields(route.name, self.get_schema())

    # -- reading ------------------------------------------------------------------------------

    def read(
        self, query: str, limit: int | None = None, offset: int | None = None
    ) -> list[dict[str, Any]]:
        """One page of a list (``"/dashboards"``, ``"/events?event=$pageview"``) or one record
        (``"/dashboards/123"``, as a one-element list)."""
        route, key, params = self._parse_path(query)
        limit = _pop_int(params, "limit", limit)
        offset = _pop_int(params, "offset", offset)
        if key is not None:
            return [self.retrieve(route.name, key)]
        limit = self._check_limit(route, limit, "limit")
        if offset is not None and offset < 0:
            raise exc.ValidationError(
                f"offset must be >= 0, not {offset}", {"offset": offset}, suggestion="Use offset=0."
            )
        size = limit if limit is not None else route.default_page_size
        return list(
            self.iter_records(route.name, params, page_size=size, offset=offset or 0, limit=size)
        )

    def read_batched(self, query: str, batch_size: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Yield lists of at most ``batch_size`` records, holding one batch in memory. A batch
        larger than one API page is filled from several pages."""
        route, key, params = self._parse_path(query)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise exc.ValidationError(
                f"batch_size must be a whole number >= 1, not {batch_size!r}",
                {"batch_size": batch_size},
                suggestion="Use e.g. batch_size=1000.",
            )
        limit = _pop_int(params, "limit", None)
        offset = _pop_int(params, "offset", None) or 0
        return self._batches(route, key, params, batch_size, offset, limit)

    def _batches(
        self,
        route: ResourceRoute,
        key: str | None,
        params: dict[str, Any],
        batch_size: int,
        offset: int,
        limit: int | None,
    ) -> Iterator[list[dict[str, Any]]]:
        if key is not None:
            yield [self.retrieve(route.name, key)]
            return
        page = batch_size if route.max_page_size is None else min(batch_size, route.max_page_size)
        batch: list[dict[str, Any]] = []
        for record in self.iter_records(
            route.name, params, page_size=page, offset=offset, limit=limit
        ):
            batch.append(record)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def iter_records(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Stream a resource's list lazily, following its own pagination; de-duplicated by id
        within the scan; never silently truncated."""
        self._check_open()
        route = self._route(name)
        if not route.can_list:
            raise exc.NotSupportedError(
                f"PostHog offers no list of {route.name}",
                {"resource": route.name},
                suggestion=f"Read one record with retrieve({route.name!r}, key).",
            )
        if route.pagination is PaginationStyle.KEYSET:
            return _events.iter_events(
                lambda hogql, values: self.query(hogql, values),
                params,
                page_size=page_size or max(route.default_page_size, 1000),
                offset=offset,
                limit=limit,
            )

        def fetch(target: str, query: Mapping[str, Any] | None) -> Any:
            return self._transport.request(
                "GET", target, params=query, category=route.rate_category
            ).body

        return paginate(
            route,
            fetch,
            route.collection_path(self.project_id),
            params,
            page_size=page_size,
            offset=offset,
            limit=limit,
        )

    def retrieve(self, name: str, key: str | int) -> dict[str, Any]:
        """One record by its lookup key (id, ``name`` for endpoints, ``short_id`` for
        notebooks); ``ObjectNotFoundError`` when it does not exist."""
        self._check_open()
        route = self._route(name)
        path_key = self._check_key(route, key)
        body = self._record_call(route, key, "GET", route.detail_path(self.project_id, path_key))
        return _record(body, route, "retrieve")

    # -- writing ------------------------------------------------------------------------------

    def create(self, object_name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record; returns it as PostHog stored it (with its id)."""
        self._check_open()
        route = self._route(object_name)
        if not route.can_create:
            raise exc.NotSupportedError(
                f"PostHog does not create {route.name} through its API",
                {"resource": route.name},
                suggestion=route.create_unsupported_reason or "Create them in the PostHog app.",
            )
        body = _check_data(data, "create")
        resp = self._transport.request(
            "POST",
            route.collection_path(self.project_id),
            json=body,
            category=route.rate_category,
        )
        return _record(resp.body, route, "create")

    def update(
        self, object_name: str, record_id: str | int, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change the given fields of a record (PATCH); returns the updated record."""
        self._check_open()
        route = self._route(object_name)
        if not route.can_update:
            raise exc.NotSupportedError(
                f"PostHog does not allow changing {route.name}",
                {"resource": route.name},
                suggestion=route.create_unsupported_reason or "Change them in the PostHog app.",
            )
        body = _check_data(data, "update")
        path_key = self._check_key(route, record_id)
        path = route.detail_path(self.project_id, path_key)
        result = self._record_call(route, record_id, "PATCH", path, json=body)
        if result is None:
            # Persons answer 202 with no body: the change is queued. Return the record as it is
            # now (UNVERIFIED how soon PostHog cloud shows the change).
            return self.retrieve(route.name, record_id)
        return _record(result, route, "update")

    def delete(self, object_name: str, record_id: str | int) -> bool:
        """Delete a record the way PostHog allows: ``PATCH {"deleted": true}`` for soft-deleted
        resources, ``DELETE`` for the others. Returns ``True``."""
        self._check_open()
        route = self._route(object_name)
        if route.delete_style is DeleteStyle.NONE:
            raise exc.NotSupportedError(
                f"PostHog does not delete {route.name} one by one",
                {"resource": route.name},
                suggestion=route.create_unsupported_reason or "Delete them in the PostHog app.",
            )
        path_key = self._check_key(route, record_id)
        path = route.detail_path(self.project_id, path_key)
        try:
            if route.delete_style is DeleteStyle.HARD:
                try:
                    self._record_call(route, record_id, "DELETE", path)
                    return True
                except exc.NotSupportedError:
                    # A PostHog version that soft-deletes this resource answers 405.
                    logger.debug("DELETE %s answered 405; soft-deleting instead", path)
            self._record_call(
                route, record_id, "PATCH", path, json={"deleted": True}, idempotent=True
            )
        except exc.ObjectNotFoundError as e:
            if e.details.get("attempts", 1) > 1:
                # Gone on a retry: the try whose answer was lost (a 5xx, a reset) deleted it.
                logger.debug("%s %s was gone on retry: already deleted", route.name, record_id)
                return True
            raise
        return True

    # -- queries and raw calls ----------------------------------------------------------------

    def query(
        self,
        hogql: str,
        values: Mapping[str, Any] | None = None,
        *,
        refresh: str = "blocking",
        timeout: float | None = None,
    ) -> QueryResult:
        """Run HogQL through the Query API; ``{name}`` placeholders take ``values``."""
        self._check_open()
        return run_query(
            self._transport, self.project_id, hogql, values, refresh=refresh, timeout=timeout
        )

    def cancel_query(self, query_id: str) -> None:
        self._check_open()
        cancel_query(self._transport, self.project_id, query_id)

    def call_endpoint(
        self,
        endpoint: str,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Call any API path: ``"/dashboards"`` is under the project, ``"/api/..."`` is taken as
        is. Returns the parsed JSON (``None`` for an empty answer). Accepts ``json=`` (alias of
        ``data``), ``timeout=``, ``idempotent=`` and ``category=``."""
        self._check_open()
        unknown = sorted(set(kwargs) - _CALL_KWARGS)
        if unknown:
            raise exc.InterfaceError(
                f"call_endpoint() got unexpected arguments: {', '.join(unknown)}",
                suggestion=f"Supported: {', '.join(sorted(_CALL_KWARGS))}.",
            )
        if not isinstance(endpoint, str) or not endpoint.strip():
            raise exc.InterfaceError("call_endpoint() needs an endpoint path such as '/dashboards'")
        body = data if data is not None else kwargs.get("json")
        target = self._endpoint_path(endpoint.strip())
        category = kwargs.get("category") or _category_for(target)
        resp = self._transport.request(
            method,
            target,
            params=params,
            json=body,
            category=category,
            idempotent=kwargs.get("idempotent"),
            timeout=kwargs.get("timeout"),
        )
        return resp.body

    def get_rate_limit_status(self) -> dict[str, Any]:
        """The client-side budget: PostHog sends no rate-limit headers, so this reports what the
        driver has left per category this minute and hour, and the last ``Retry-After`` seen."""
        transport = self._transport
        status: dict[str, Any] = {
            "enabled": self._budget is not None,
            "source": "client-side budget (PostHog sends no rate-limit headers)",
            "retry_after": transport.last_retry_after,
            "seconds_since_retry_after": (
                None
                if transport.last_retry_after_at is None
                else max(0.0, transport.clock() - transport.last_retry_after_at)
            ),
        }
        if self._budget is None:
            status.update(remaining=None, categories={}, query_slots_free=None)
            return status
        budget = self._budget.status()
        status["query_slots_free"] = budget.pop("query_slots_free")
        status["query_concurrency"] = budget.pop("query_concurrency")
        status["categories"] = budget
        status["remaining"] = budget["crud"]["remaining_minute"] if "crud" in budget else None
        return status

    # -- helpers ------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._transport.closed:
            raise exc.InterfaceError(
                "The driver is closed", suggestion="Create a new PostHogDriver."
            )

    def _resolve_project(self, explicit: str | None) -> str:
        """The explicit id, else the key's only scoped project, else the user's current one.
        The first call also proves the key (401 -> AuthenticationError) and the host."""
        key_info: Any = None
        try:
            key_info = self._transport.request(
                "GET", "/api/personal_api_keys/@current/", fail_fast=True
            ).body
        except (exc.PermissionDeniedError, exc.ObjectNotFoundError, exc.NotSupportedError):
            # Not a personal API key (an OAuth token), or a PostHog too old for @current.
            key_info = None
        except exc.MalformedResponseError as e:
            raise exc.ConnectionError(
                f"{self.api_url} does not answer like a PostHog API",
                e.details,
                status=e.status,
                suggestion="Check the API URL: https://us.posthog.com, https://eu.posthog.com "
                "or your self-hosted PostHog.",
            ) from None
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
        me = self._transport.request("GET", "/api/users/@me/", fail_fast=True).body
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

    def _route(self, name: str) -> ResourceRoute:
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
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise exc.ObjectNotFoundError(
            f"Object '{name}' not found{hint}",
            {"object": name, "available": names, "did_you_mean": close},
            suggestion="Use one of the names in details['available'] (driver.list_objects()).",
        )

    def _parse_path(self, query: str) -> tuple[ResourceRoute, str | None, dict[str, Any]]:
        if not isinstance(query, str) or not query.strip():
            raise exc.InterfaceError(
                "read() needs a path such as '/dashboards' or '/dashboards/123'",
                suggestion="Call list_objects() to see the resource names.",
            )
        text = query.strip()
        if "://" in text:
            self._transport.url_for(text)  # raises on another host
        parts = urlsplit(text)
        params: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        segments = [s for s in parts.path.split("/") if s]
        if segments[:1] == ["api"]:
            segments = segments[1:]
            if len(segments) >= 2 and segments[0] in ("projects", "environments"):
                if segments[1] not in (self.project_id, "@current"):
                    raise exc.ValidationError(
                        f"The path names project {segments[1]}, but this driver uses project "
                        f"{self.project_id}",
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
            self._route(segments[0])  # raises ObjectNotFoundError with the did-you-mean
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

    def _check_limit(self, route: ResourceRoute, value: int | None, what: str) -> int | None:
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

    def _check_key(self, route: ResourceRoute, key: str | int) -> str:
        """The record key as it goes in the path; a key of the wrong kind cannot exist, so it
        raises ``ObjectNotFoundError`` without a request."""
        if isinstance(key, bool) or not isinstance(key, (str, int)):
            raise exc.InterfaceError(
                f"A record key must be a string or int, not {type(key).__name__}"
            )
        text = str(key).strip()
        ok = bool(text)
        kind = {"int": "whole numbers", "uuid": "UUIDs", "str": "non-empty strings"}[
            route.lookup_type
        ]
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

    def _record_call(
        self,
        route: ResourceRoute,
        key: str | int,
        method: str,
        path: str,
        *,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        try:
            return self._transport.request(
                method, path, json=json, category=route.rate_category, idempotent=idempotent
            ).body
        except exc.ObjectNotFoundError as e:
            raise exc.ObjectNotFoundError(
                f"Resource '{key}' not found in {route.name}",
                {**e.details, "resource": route.name, "key": str(key)},
                status=e.status,
                code=e.code,
                suggestion=f"List the existing {route.name} with read('/{route.name}').",
            ) from None

    def _endpoint_path(self, endpoint: str) -> str:
        if "://" in endpoint:
            return self._transport.url_for(endpoint)
        path, _, query = endpoint.partition("?")
        if not path.startswith("/"):
            path = "/" + path
        if not path.startswith("/api/"):
            path = f"/api/projects/{self.project_id}{path}"
        if not path.endswith("/"):
            path += "/"
        return path + (f"?{query}" if query else "")


def _category_for(path: str) -> str:
    bare = urlsplit(path).path
    if "/query/" in bare or "/endpoints/" in bare:
        return "query"
    if any(f"/{part}/" in bare for part in ("events", "persons", "session_recordings")):
        return "analytics"
    return "crud"


def _make_budget(
    setting: bool | RateBudget | Mapping[str, tuple[int, int]],
    host: str,
    key: str,
    clock: Callable[[], float],
) -> RateBudget | None:
    if isinstance(setting, RateBudget):
        return setting
    if setting is False or setting is None:
        return None
    if setting is True:
        return get_shared_budget(host, key, clock=clock)
    if isinstance(setting, Mapping):
        try:
            limits = {name: BudgetLimits(int(pm), int(ph)) for name, (pm, ph) in setting.items()}
        except (TypeError, ValueError):
            raise exc.InterfaceError(
                "rate_budget must map categories to (per_minute, per_hour)",
                suggestion="e.g. rate_budget={'crud': (480, 4800), 'query': (240, 2400)}",
            ) from None
        return get_shared_budget(host, key, clock=clock, limits=limits)
    raise exc.InterfaceError(
        f"rate_budget must be True, False, a RateBudget or a mapping, not {setting!r}"
    )


def _check_number(name: str, value: Any, *, minimum: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise exc.InterfaceError(
            f"{name} must be a number >= {minimum}, not {value!r}",
            suggestion=f"Pass {name}= in seconds.",
        )


def _pop_int(params: dict[str, Any], name: str, explicit: int | None) -> int | None:
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


def _check_data(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise exc.InterfaceError(
            f"{what}() needs the fields as a dict, not {type(data).__name__}",
            suggestion="Pass e.g. {'name': 'My Dashboard'}.",
        )
    return dict(data)


def _record(body: Any, route: ResourceRoute, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise exc.MalformedResponseError(
            f"PostHog's answer to {what} on {route.name} is not an object",
            {"resource": route.name, "got": type(body).__name__},
        )
    return body
