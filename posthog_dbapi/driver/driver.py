"""``PostHogDriver``: the seed spec's driver, over PostHog's real private API.

This module assembles it: construction (the checks and project resolution of
``construction.py``), lifecycle, discovery (resource names, fields, the server's schema), request
listeners and the rate-limit status. The resource operations are ``records.py``'s, the Query API
and raw calls ``calls.py``'s. Every HTTP call goes through the one ``Transport``.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import requests

from posthog_dbapi.driver.addressing import check_open, find_route
from posthog_dbapi.driver.budget import RateBudget
from posthog_dbapi.driver.calls import QueryOperations
from posthog_dbapi.driver.config import (
    DEFAULT_API_URL,
    ENV_API_KEY,
    ENV_QUERY_TIER,
    env_settings,
    normalize_api_url,
    normalize_project_id,
)
from posthog_dbapi.driver.construction import (
    InsecureTLSWarning,
    check_api_key,
    check_query_tier,
    check_schema_cache_dir,
    enable_debug_logging,
    make_budget,
    missing_key_error,
    resolve_project,
    warn_if_insecure,
)
from posthog_dbapi.driver.listeners import RequestListener
from posthog_dbapi.driver.query_cache import key_digest
from posthog_dbapi.driver.records import RecordOperations
from posthog_dbapi.driver.routes import DeleteStyle, PaginationStyle, get_directory
from posthog_dbapi.driver.schema import SCHEMA_PATH, SchemaSource
from posthog_dbapi.driver.timezones import (
    UTC_CALENDAR,
    Calendar,
    calendar_from_project,
    check_timezone,
)
from posthog_dbapi.driver.transport import Transport
from posthog_dbapi.options import check_number

__all__ = ["DriverCapabilities", "InsecureTLSWarning", "PostHogDriver"]

logger = logging.getLogger("posthog_dbapi.driver")


def _seconds(name: str, value: Any, *, minimum: float = 0) -> float:
    seconds: float = check_number(
        name, value, minimum=minimum, optional=False, text=False, fix=f"Pass {name}= in seconds."
    )
    return seconds


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


class PostHogDriver(RecordOperations, QueryOperations):
    """A PostHog project as a set of resources you can list, read, create, update and delete.

    ``api_url`` takes ``https://us.posthog.com``, ``https://eu.posthog.com``, the legacy
    ``app.posthog.com``, ``"us"``/``"eu"`` or a self-hosted URL, with or without ``/api``. The key
    defaults to ``$POSTHOG_API_KEY``. The project is the given id, else the key's only scoped
    project, else the user's current project. ``clock``, ``sleep`` and ``rng`` are injectable so
    that retries and budgets can be tested without waiting.

    ``query_tier`` says how PostHog throttles the key's HogQL queries: ``"default"`` (120 an
    hour), ``"api-queries"`` (240 a minute, 2,400 an hour) or the team's own hourly number
    (``500`` or ``"500/hour"``); it defaults to ``$POSTHOG_QUERY_TIER``, else ``"default"``.
    ``timezone`` is ``"UTC"`` (HogQL answers in UTC, like REST) or ``"project"`` (the project's
    own timezone and week start, as PostHog's UI shows them).
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
        rate_budget: bool | RateBudget | Mapping[str, tuple[int | None, int | None]] = True,
        query_tier: str | int | None = None,
        timezone: str = "UTC",
        retry_after_cap: float = 60.0,
        schema_cache_dir: str | os.PathLike[str] | None = None,
        schema_cache_ttl: float = 3600,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
        prefetch_pages: int = 0,
        query_cache_ttl: float = 60,
    ) -> None:
        self.debug = bool(debug)
        if self.debug:
            enable_debug_logging()
        key = check_api_key(api_key if api_key is not None else os.environ.get(ENV_API_KEY, ""))
        timeout = _seconds("timeout", timeout, minimum=0.001)
        retry_after_cap = _seconds("retry_after_cap", retry_after_cap)
        schema_cache_ttl = _seconds("schema_cache_ttl", schema_cache_ttl)
        self.query_cache_ttl = _seconds("query_cache_ttl", query_cache_ttl)
        """Seconds a Query API answer is reused for the same HogQL and values (0: never);
        see ``posthog_dbapi.driver.query_cache``."""
        self._key_digest = key_digest(key)
        check_schema_cache_dir(schema_cache_dir)
        max_retries = check_number(
            "max_retries", max_retries, whole=True, optional=False, text=False,
            fix="Use e.g. max_retries=3 (0 turns retries off).",
        )  # fmt: skip
        self.prefetch_pages: int = check_number(
            "prefetch_pages", prefetch_pages, whole=True, optional=False, text=False,
            fix="Use e.g. prefetch_pages=2 (0, the default, turns read-ahead off).",
        )  # fmt: skip
        """REST list pages fetched ahead of the reader (0: none). Overlaps the reader's work with
        the next request; an abandoned scan costs at most this many extra pages."""
        warn_if_insecure(verify, ca_bundle)
        self.api_url = normalize_api_url(api_url)
        self.timeout = timeout
        self.max_retries = max_retries
        self.timezone = check_timezone(timezone)
        """``"UTC"`` or ``"project"``: the calendar HogQL answers in (``timezones.py``)."""
        self._calendar: Calendar | None = UTC_CALENDAR if self.timezone == "UTC" else None
        if query_tier is None:
            query_tier = os.environ.get(ENV_QUERY_TIER, "").strip() or None
        tier = check_query_tier(query_tier)
        clock_fn = clock if clock is not None else time.monotonic
        self._budget = make_budget(rate_budget, self.api_url, key, clock_fn, tier)
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
            self.api_url, self._fetch_schema, cache_dir=schema_cache_dir, ttl=schema_cache_ttl
        )
        self.project_id: str = self._connect_project(project_id)
        logger.debug("Connected to %s, project %s", self.api_url, self.project_id)

    def _fetch_schema(self) -> Any:
        """The body of ``/api/schema/`` (the schema source caches it)."""
        return self._transport.request(
            "GET", SCHEMA_PATH, params={"format": "json"}, category="crud"
        ).body

    def _connect_project(self, project_id: str | int | None) -> str:
        """The project the driver works in (see the class docstring); the transport is closed
        when there is none, so a failed constructor leaves no open session."""
        try:
            return resolve_project(self._transport, self.api_url, normalize_project_id(project_id))
        except BaseException:
            self._transport.close()
            raise

    @classmethod
    def from_env(cls, **overrides: Any) -> PostHogDriver:
        """A driver from ``POSTHOG_API_URL``, ``POSTHOG_API_KEY`` and ``POSTHOG_PROJECT_ID``;
        keyword arguments override them (``from_env(debug=True)``, ``from_env(timeout=60)``)."""
        settings: dict[str, Any] = dict(env_settings())
        settings.update(overrides)
        if not settings.get("api_key"):
            raise missing_key_error()
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

    # -- listeners ----------------------------------------------------------------------------

    def add_listener(self, listener: RequestListener) -> None:
        """Call ``listener`` with a ``RequestEvent`` at each step of every HTTP call this driver
        makes from now on: request sent, response, retry, rate-budget wait (see
        ``posthog_dbapi.driver.listeners``). It runs on the calling thread and should be quick;
        an exception it raises is logged and ignored."""
        self._transport.listeners.add(listener)

    def remove_listener(self, listener: RequestListener) -> None:
        """Stop calling ``listener``; one that is not registered is ignored."""
        self._transport.listeners.remove(listener)

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
        check_open(self._transport)
        return self._schema.get()

    def get_fields(self, object_name: str) -> dict[str, dict[str, Any]]:
        """The fields of a resource type: ``{name: {"type", "required", "nullable", ...}}``."""
        route = find_route(object_name)
        return get_directory().fields(route.name, self.get_schema())

    # -- time -----------------------------------------------------------------------------------

    def calendar(self) -> Calendar:
        """The calendar this driver's HogQL answers in: UTC, or (``timezone="project"``) the
        project's timezone and week start, read once from ``/api/projects/{id}/``."""
        if self._calendar is None:
            check_open(self._transport)
            project = self._transport.request(
                "GET", f"/api/projects/{self.project_id}/", category="crud"
            ).body
            self._calendar = calendar_from_project(project)
            logger.debug(
                "Project %s calendar: %s, week starts on %s",
                self.project_id,
                self._calendar.timezone,
                ("Sunday", "Monday")[self._calendar.week_start_day],
            )
        return self._calendar

    # -- rate limits --------------------------------------------------------------------------

    def get_rate_limit_status(self) -> dict[str, Any]:
        """The client-side budget: PostHog sends no rate-limit headers, so this reports what the
        driver has left per category this minute and hour, and the last ``Retry-After`` seen.

        ``hogql_remaining_hour`` is the number of HogQL queries (``query()``, pushed-down
        statements, HogQL table scans) the key may still send this hour under the declared
        ``query_tier`` (``None`` when a tier limits them only per minute)."""
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
            status.update(
                remaining=None,
                categories={},
                query_slots_free=None,
                query_tier=None,
                hogql_remaining_hour=None,
            )
            return status
        status["query_tier"] = self._budget.tier.name
        budget = self._budget.status()
        status["query_slots_free"] = budget.pop("query_slots_free")
        status["query_concurrency"] = budget.pop("query_concurrency")
        status["categories"] = budget
        status["remaining"] = budget["crud"]["remaining_minute"] if "crud" in budget else None
        hogql = budget.get("hogql")
        status["hogql_remaining_hour"] = hogql["remaining_hour"] if hogql else None
        return status
