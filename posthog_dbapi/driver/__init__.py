"""The HTTP driver: config, one request path with retries and budgets, pagination, request
listeners, PostHogDriver."""

from __future__ import annotations

from posthog_dbapi.driver.budget import BudgetLimits, RateBudget, reset_budgets
from posthog_dbapi.driver.config import normalize_api_url
from posthog_dbapi.driver.driver import DriverCapabilities, InsecureTLSWarning, PostHogDriver
from posthog_dbapi.driver.listeners import RequestEvent, RequestListener
from posthog_dbapi.driver.query import QueryResult
from posthog_dbapi.driver.query_cache import clear_query_cache
from posthog_dbapi.driver.routes import (
    DeleteStyle,
    PaginationStyle,
    ResourceDirectory,
    ResourceRoute,
    get_directory,
)

__all__ = [
    "BudgetLimits",
    "DeleteStyle",
    "DriverCapabilities",
    "InsecureTLSWarning",
    "PaginationStyle",
    "PostHogDriver",
    "QueryResult",
    "RateBudget",
    "RequestEvent",
    "RequestListener",
    "ResourceDirectory",
    "ResourceRoute",
    "clear_query_cache",
    "get_directory",
    "normalize_api_url",
    "reset_budgets",
]
