"""``posthog://`` URLs: turning a SQLAlchemy URL into ``posthog_dbapi.connect()`` arguments.

The form is ``posthog://:<personal api key>@<host>[:port]/<project id>?<options>``. The key sits
in the password position so that SQLAlchemy masks it in reprs and logs (``***``). A missing host
means ``POSTHOG_API_URL``, else the US cloud (or ``?region=eu``); a missing project id means the
driver discovers it from the key. Options map to driver and connection options; an unknown
option is an error that lists the known ones, so a typo is never silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError

from posthog_dbapi.driver.config import REGIONS, normalize_project_id
from posthog_dbapi.exceptions import InterfaceError
from posthog_dbapi.options import PUSHDOWN_MODES, check_choice, check_flag, check_number

__all__ = ["OPTIONS", "connect_args_from_url"]

# The driver owns the regions; a URL names the host.
_REGION_HOSTS = {name: urlsplit(url).netloc for name, url in REGIONS.items()}


def _checked(check: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    """A URL option read by the package's own checker (``posthog_dbapi.options``), its
    ``InterfaceError`` given as the ``ArgumentError`` SQLAlchemy raises for a bad URL."""

    def convert(name: str, raw: str) -> Any:
        try:
            return check(name, raw)
        except InterfaceError as error:
            fix = f" {error.suggestion}" if error.suggestion else ""
            raise ArgumentError(f"URL option {error.message}.{fix}") from None

    return convert


def _number(*, whole: bool) -> Callable[[str, str], Any]:
    return _checked(lambda name, raw: check_number(name, raw, whole=whole, optional=False, fix=""))


def _choice(*choices: str) -> Callable[[str, str], str]:
    return _checked(lambda name, raw: check_choice(name, raw, choices, fix=""))


_bool = _checked(lambda name, raw: check_flag(name, raw, fix=""))


def _text(name: str, raw: str) -> str:
    return raw


# URL option -> (connect() keyword, converter). ``scheme`` and ``region`` shape the API URL.
OPTIONS: Mapping[str, tuple[str, Callable[[str, str], Any]]] = {
    "scheme": ("", _choice("https", "http")),
    "region": ("", _choice(*_REGION_HOSTS)),
    "timeout": ("timeout", _number(whole=False)),
    "max_retries": ("max_retries", _number(whole=True)),
    "retry_after_cap": ("retry_after_cap", _number(whole=False)),
    "verify": ("verify", _bool),
    "ca_bundle": ("ca_bundle", _text),
    "rate_budget": ("rate_budget", _bool),
    "query_tier": ("query_tier", _text),
    "timezone": ("timezone", _text),
    "debug": ("debug", _bool),
    "prefetch_pages": ("prefetch_pages", _number(whole=True)),
    "query_timeout": ("query_timeout", _number(whole=False)),
    "statement_timeout": ("statement_timeout", _number(whole=False)),
    "query_cache_ttl": ("query_cache_ttl", _number(whole=False)),
    "max_queries": ("max_queries", _number(whole=True)),
    "pushdown": ("pushdown", _choice(*PUSHDOWN_MODES)),
    "hogql": ("hogql", _bool),
}


def _single(name: str, value: str | tuple[str, ...]) -> str:
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise ArgumentError(f"URL option {name} is given more than once with different values.")
        return value[0]
    return value


def connect_args_from_url(url: URL) -> dict[str, Any]:
    """The keyword arguments of ``posthog_dbapi.connect()`` for ``url``."""
    options: dict[str, Any] = {}
    scheme = "https"
    region: str | None = None
    for name, raw_value in url.query.items():
        if name not in OPTIONS:
            raise ArgumentError(
                f"Unknown option {name!r} in the posthog:// URL. "
                f"Known options: {', '.join(sorted(OPTIONS))}."
            )
        keyword, convert = OPTIONS[name]
        value = convert(name, _single(name, raw_value))
        if name == "scheme":
            scheme = value
        elif name == "region":
            region = value
        else:
            options[keyword] = value

    if url.username and url.password is None:
        raise ArgumentError(
            "Put the API key in the password position of the URL, after a colon: "
            "posthog://:<key>@host/<project id>. SQLAlchemy masks the password, not the user name."
        )

    host = url.host
    if host and region is not None and host != _REGION_HOSTS[region]:
        raise ArgumentError(
            f"The URL names host {host!r} and region {region!r}; give one of them, not both."
        )
    if not host and url.port is not None:
        raise ArgumentError("The URL has a port but no host.")
    if not host and region is not None:
        host = _REGION_HOSTS[region]

    args: dict[str, Any] = dict(options)
    if host:
        args["api_url"] = f"{scheme}://{host}" + (f":{url.port}" if url.port is not None else "")
    # Without a host, connect() falls back to POSTHOG_API_URL, then to the US cloud.
    if url.password:
        args["api_key"] = str(url.password)
    if url.database:
        try:
            project = normalize_project_id(url.database.strip("/"))
        except InterfaceError:
            raise ArgumentError(
                f"The URL path {url.database!r} is not a project id; use the number from "
                "Project settings, e.g. posthog://:<key>@us.posthog.com/12345."
            ) from None
        # "@current" (None here) stays explicit, so POSTHOG_PROJECT_ID does not override it.
        args["project_id"] = project if project is not None else "@current"
    return args
