"""posthog:// URL forms and their errors, table-driven (no server involved)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import ArgumentError

from posthog_dbapi.dialect.url import connect_args_from_url

CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "posthog://:phx_k@us.posthog.com/123",
        {"api_url": "https://us.posthog.com", "api_key": "phx_k", "project_id": "123"},
    ),
    (
        "posthog://:phx_k@eu.posthog.com/7",
        {"api_url": "https://eu.posthog.com", "api_key": "phx_k", "project_id": "7"},
    ),
    (
        "posthog://:phx_k@posthog.example.com:8443/7",
        {"api_url": "https://posthog.example.com:8443", "api_key": "phx_k", "project_id": "7"},
    ),
    (
        "posthog://:phx_k@localhost:8010/1?scheme=http",
        {"api_url": "http://localhost:8010", "api_key": "phx_k", "project_id": "1"},
    ),
    # No project id: the driver discovers it from the key.
    ("posthog://:phx_k@us.posthog.com", {"api_url": "https://us.posthog.com", "api_key": "phx_k"}),
    (
        "posthog://:phx_k@/5?region=eu",
        {"api_url": "https://eu.posthog.com", "api_key": "phx_k", "project_id": "5"},
    ),
    ("posthog://", {}),  # everything from POSTHOG_API_URL / _KEY / _PROJECT_ID
    ("posthog://?statement_timeout=30", {"statement_timeout": 30.0}),
    # The driver's reading of a project id: leading zeros dropped, @current kept explicit.
    (
        "posthog://:phx_k@us.posthog.com/007",
        {"api_url": "https://us.posthog.com", "api_key": "phx_k", "project_id": "7"},
    ),
    (
        "posthog://:phx_k@us.posthog.com/@current",
        {"api_url": "https://us.posthog.com", "api_key": "phx_k", "project_id": "@current"},
    ),
    (
        "posthog://:phx_k@/1?region=us&hogql=T&debug=off",
        {
            "api_url": "https://us.posthog.com",
            "api_key": "phx_k",
            "project_id": "1",
            "hogql": True,
            "debug": False,
        },
    ),
    # A user name is allowed (some tools insist on one) and ignored.
    (
        "posthog://me:phx_k@us.posthog.com/1",
        {"api_url": "https://us.posthog.com", "api_key": "phx_k", "project_id": "1"},
    ),
    (
        "posthog://:phx_k@us.posthog.com/1?timeout=12.5&max_retries=5&verify=false"
        "&ca_bundle=/etc/ca.pem&rate_budget=off&retry_after_cap=30&debug=true"
        "&pushdown=required&hogql=false&prefetch_pages=2&query_timeout=90",
        {
            "api_url": "https://us.posthog.com",
            "api_key": "phx_k",
            "project_id": "1",
            "timeout": 12.5,
            "max_retries": 5,
            "verify": False,
            "ca_bundle": "/etc/ca.pem",
            "rate_budget": False,
            "retry_after_cap": 30.0,
            "debug": True,
            "pushdown": "required",
            "hogql": False,
            "prefetch_pages": 2,
            "query_timeout": 90.0,
        },
    ),
]

ERRORS: list[tuple[str, str]] = [
    ("posthog://phx_k@us.posthog.com/1", "password position"),
    ("posthog://:phx_k@us.posthog.com/abc", "not a project id"),
    ("posthog://:phx_k@us.posthog.com/1?timeot=5", "Unknown option 'timeot'"),
    ("posthog://:phx_k@us.posthog.com/1?timeout=soon", "URL option timeout must be a number >= 0"),
    ("posthog://:phx_k@us.posthog.com/1?max_retries=-1", "max_retries must be a whole number >= 0"),
    ("posthog://:phx_k@us.posthog.com/1?verify=maybe", "verify must be true or false"),
    ("posthog://:phx_k@us.posthog.com/1?scheme=ftp", "scheme must be one of https, http"),
    ("posthog://:phx_k@us.posthog.com/1?region=eu", "give one of them"),
    ("posthog://:phx_k@us.posthog.com/1?region=asia", "region must be one of us, eu"),
    ("posthog://:phx_k@us.posthog.com/1?pushdown=maybe", "pushdown must be one of auto, off"),
    ("posthog://:phx_k@us.posthog.com/1?hogql=treu", "hogql must be true or false, not 'treu'"),
    ("posthog://:phx_k@us.posthog.com/-1", "not a project id"),
    ("posthog://:phx_k@us.posthog.com/1.5", "not a project id"),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_url_forms(url: str, expected: dict[str, Any]) -> None:
    assert connect_args_from_url(make_url(url)) == expected


@pytest.mark.parametrize(("url", "message"), ERRORS)
def test_url_errors(url: str, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        connect_args_from_url(make_url(url))


def test_key_is_masked_in_url_and_engine_repr() -> None:
    import sqlalchemy as sa

    url = make_url("posthog://:phx_secret_value@us.posthog.com/1")
    engine = sa.create_engine(url)
    assert "phx_secret_value" not in repr(url)
    assert "phx_secret_value" not in repr(engine)
    assert "phx_secret_value" not in url.render_as_string(hide_password=True)
