"""Where the driver talks to and with what: API URL normalisation, regions, environment variables.

PostHog's private API lives at ``https://us.posthog.com`` (US), ``https://eu.posthog.com`` (EU) or a
self-hosted domain, always under ``/api/``. Users write the base URL many ways (with or without the
``/api`` suffix, without a scheme, ``us``/``eu`` shortcuts, the legacy ``app.posthog.com``); this
module turns each into one canonical ``scheme://host[:port]`` origin. Plain ``http`` is used only
when the user wrote ``http://`` explicitly (a local emulator or a self-hosted box on loopback).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from posthog_dbapi.exceptions import InterfaceError

__all__ = [
    "DEFAULT_API_URL",
    "ENV_API_KEY",
    "ENV_API_URL",
    "ENV_PROJECT_ID",
    "ENV_QUERY_TIER",
    "REGIONS",
    "env_settings",
    "normalize_api_url",
    "normalize_project_id",
]

DEFAULT_API_URL = "https://us.posthog.com"
ENV_API_URL = "POSTHOG_API_URL"
ENV_API_KEY = "POSTHOG_API_KEY"
ENV_PROJECT_ID = "POSTHOG_PROJECT_ID"
ENV_QUERY_TIER = "POSTHOG_QUERY_TIER"
"""The key's Query API tier when ``query_tier`` is not passed (``api-queries``, ``500/hour``)."""

REGIONS: Mapping[str, str] = {"us": "https://us.posthog.com", "eu": "https://eu.posthog.com"}

# app.posthog.com is the old name of the US cloud (PostHog's docs still show it); the private API
# is served at us.posthog.com, so we go there directly rather than through a cross-host redirect,
# which the transport refuses to follow with the key.
_HOST_ALIASES: Mapping[str, str] = {"app.posthog.com": "us.posthog.com"}

# Ingestion hosts serve a different API (capture, flags); a private API key is useless there.
_INGESTION_HOSTS: Mapping[str, str] = {
    "us.i.posthog.com": "https://us.posthog.com",
    "eu.i.posthog.com": "https://eu.posthog.com",
}

_URL_SUGGESTION = (
    "Use https://us.posthog.com, https://eu.posthog.com, 'us', 'eu', or your self-hosted "
    "https://host[:port]; write http:// explicitly for a local emulator."
)


def normalize_api_url(api_url: str | None) -> str:
    """Return the canonical origin (``scheme://host[:port]``, no ``/api``, no trailing slash)."""
    if api_url is None or not str(api_url).strip():
        return DEFAULT_API_URL
    if not isinstance(api_url, str):
        raise InterfaceError(
            f"api_url must be a string, not {type(api_url).__name__}", suggestion=_URL_SUGGESTION
        )
    raw = api_url.strip()
    if raw.lower() in REGIONS:
        return REGIONS[raw.lower()]
    if "://" not in raw:
        # No scheme given: TLS, never plain http by accident.
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
    except ValueError as exc:
        # An unclosed or invalid IPv6 bracket ("http://[broken").
        raise InterfaceError(
            f"api_url is not a valid URL: {exc}",
            {"api_url": _safe_origin(raw)},
            suggestion=_URL_SUGGESTION + " An IPv6 address goes in brackets: http://[::1]:8010.",
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InterfaceError(
            f"api_url has an unsupported scheme {parts.scheme!r}",
            {"api_url": _redact_userinfo(api_url)},
            suggestion=_URL_SUGGESTION,
        )
    if parts.username is not None or parts.password is not None:
        # A key pasted into the URL would end up in logs and error messages.
        raise InterfaceError(
            "api_url must not contain credentials; pass the key as api_key=",
            {"api_url": _redact_userinfo(api_url)},
            suggestion="Remove 'user:password@' from the URL and pass api_key= instead.",
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise InterfaceError(f"api_url {api_url!r} has no host name", suggestion=_URL_SUGGESTION)
    if parts.query or parts.fragment:
        raise InterfaceError(
            "api_url must not carry a query string or fragment",
            {"api_url": f"{scheme}://{host}"},
            suggestion=_URL_SUGGESTION,
        )
    if host in _INGESTION_HOSTS:
        raise InterfaceError(
            f"{host} is PostHog's ingestion host; the private API is at {_INGESTION_HOSTS[host]}",
            {"api_url": f"{scheme}://{host}"},
            suggestion=f"Use api_url={_INGESTION_HOSTS[host]!r}.",
        )
    host = _HOST_ALIASES.get(host, host)
    try:
        port = parts.port
    except ValueError as exc:
        raise InterfaceError(
            f"api_url has an invalid port: {exc}", suggestion=_URL_SUGGESTION
        ) from None
    path = parts.path.rstrip("/")
    if path.endswith("/api"):
        path = path[: -len("/api")]
    # A self-hosted PostHog may live under a path prefix (behind a reverse proxy); keep it.
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and not (
        (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
    ):
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{path}"


def normalize_project_id(project_id: str | int | None) -> str | None:
    """Return the project id as a string of digits, or ``None`` to resolve it from the key."""
    if project_id is None:
        return None
    if isinstance(project_id, bool):
        raise InterfaceError(
            "project_id must be a number", suggestion="Pass the numeric id from Project settings."
        )
    text = str(project_id).strip()
    if text in ("", "@current"):
        return None
    if not text.isdigit():
        raise InterfaceError(
            f"project_id must be a number, not {text!r}",
            {"project_id": text},
            suggestion="Copy the numeric Project ID from Project settings, or omit it to use "
            "the key's project.",
        )
    return str(int(text))


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The driver settings present in the environment (empty values count as absent)."""
    env = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for option, var in (
        ("api_url", ENV_API_URL),
        ("api_key", ENV_API_KEY),
        ("project_id", ENV_PROJECT_ID),
    ):
        value = env.get(var, "").strip()
        if value:
            out[option] = value
    return out


def _safe_origin(raw: str) -> str:
    """The scheme and host text of a URL that ``urlsplit`` refuses, without any credentials."""
    scheme, _, rest = raw.partition("://")
    host = rest.split("/", 1)[0].rpartition("@")[2]
    return f"{scheme}://{host}"


def _redact_userinfo(url: str) -> str:
    parts = urlsplit(url if "://" in url else "https://" + url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}"
