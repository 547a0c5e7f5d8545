"""API URL normalisation, project ids and environment settings (no network)."""

from __future__ import annotations

import pytest

from posthog_dbapi.driver.config import env_settings, normalize_api_url, normalize_project_id
from posthog_dbapi.exceptions import InterfaceError


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "https://us.posthog.com"),
        ("us", "https://us.posthog.com"),
        ("EU", "https://eu.posthog.com"),
        ("https://us.posthog.com", "https://us.posthog.com"),
        ("https://eu.posthog.com/api", "https://eu.posthog.com"),
        ("https://eu.posthog.com/api/", "https://eu.posthog.com"),
        ("https://app.posthog.com/api", "https://us.posthog.com"),
        ("app.posthog.com", "https://us.posthog.com"),
        ("posthog.example.com", "https://posthog.example.com"),
        ("https://posthog.example.com:8443/api", "https://posthog.example.com:8443"),
        ("https://posthog.example.com:443", "https://posthog.example.com"),
        ("https://example.com/posthog/api", "https://example.com/posthog"),
        ("http://127.0.0.1:8010", "http://127.0.0.1:8010"),
        ("localhost:8000", "https://localhost:8000"),
    ],
)
def test_api_url_forms_normalise_to_one_origin(given: str | None, expected: str) -> None:
    assert normalize_api_url(given) == expected


def test_plain_http_only_when_written() -> None:
    assert normalize_api_url("127.0.0.1:8010").startswith("https://")
    assert normalize_api_url("http://127.0.0.1:8010").startswith("http://")


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ("ftp://us.posthog.com", "scheme"),
        ("https://user:phx_secret@us.posthog.com", "credentials"),
        ("https://us.posthog.com/api?x=1", "query string"),
        ("https://us.i.posthog.com", "ingestion"),
        ("https://", "no host"),
        ("http://[broken", "not a valid URL"),
        ("https://user:phx_secret@[::1", "not a valid URL"),
    ],
)
def test_bad_api_urls_are_refused_with_a_fix(given: str, needle: str) -> None:
    with pytest.raises(InterfaceError) as info:
        normalize_api_url(given)
    assert needle in info.value.message
    assert "phx_secret" not in str(info.value.details) + info.value.message
    assert info.value.details["suggestion"]


def test_connect_refuses_a_broken_ipv6_url_as_an_interface_error() -> None:
    import posthog_dbapi

    with pytest.raises(InterfaceError) as info:
        posthog_dbapi.connect(api_url="http://[broken", api_key="phx_secret", project_id=1)
    assert "Invalid IPv6 URL" in info.value.message
    assert "http://[::1]" in info.value.suggestion
    assert "phx_secret" not in str(info.value)


def test_project_ids() -> None:
    assert normalize_project_id(None) is None
    assert normalize_project_id("@current") is None
    assert normalize_project_id(" 12 ") == "12"
    assert normalize_project_id(7) == "7"
    with pytest.raises(InterfaceError, match="must be a number"):
        normalize_project_id("my-project")


def test_env_settings_skip_empty_values() -> None:
    env = {"POSTHOG_API_URL": "eu", "POSTHOG_API_KEY": "phx_x", "POSTHOG_PROJECT_ID": ""}
    assert env_settings(env) == {"api_url": "eu", "api_key": "phx_x"}
