"""Where ``posthog-sql`` gets its connection settings, and keeping the API key out of its output.

Settings come, strongest first, from ``--api-url``/``--api-key``/``--project-id``, then
``--url posthog://:KEY@host/PROJECT?options`` (parsed by the dialect's own URL parser, so both
accept the same options), then ``POSTHOG_API_URL``/``POSTHOG_API_KEY``/``POSTHOG_PROJECT_ID``
(which ``posthog_dbapi.connect()`` reads itself). ``Redactor`` replaces every key it knows of
with ``***`` in text the CLI prints: errors, tracebacks and debug log lines (``new_redactor``;
the scrubbing itself is ``posthog_dbapi.redact``'s, shared with the driver).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any

from posthog_dbapi.exceptions import InterfaceError
from posthog_dbapi.redact import Redactor

__all__ = [
    "ConnectionSettings",
    "RedactingFormatter",
    "Redactor",
    "new_redactor",
    "settings_from_args",
]

# Only to learn the key for redaction when the URL is too broken for SQLAlchemy to parse.
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@]*:(?P<key>[^@]+)@", re.IGNORECASE)


def new_redactor() -> Redactor:
    """The CLI's scrubber: values shorter than 4 characters are not taken as keys, since they
    would blank out ordinary words; real keys are long."""
    return Redactor(min_length=4)


class RedactingFormatter(logging.Formatter):
    """Scrubs each formatted log line (the driver already keeps the key out; belt and braces for
    ``--debug``). It formats rather than filters so other handlers see the record unchanged."""

    def __init__(self, fmt: str, redact: Redactor) -> None:
        super().__init__(fmt)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


@dataclass
class ConnectionSettings:
    """The arguments of ``posthog_dbapi.connect()``; ``describe()`` is safe to print."""

    kwargs: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        url = self.kwargs.get("api_url") or os.environ.get("POSTHOG_API_URL") or "(US cloud)"
        project = self.kwargs.get("project_id") or os.environ.get("POSTHOG_PROJECT_ID")
        return f"{url}, project {project}" if project else f"{url}, project from the key"


def settings_from_args(
    url: str | None,
    api_url: str | None,
    api_key: str | None,
    project_id: str | None,
    redact: Redactor,
) -> ConnectionSettings:
    """Merge ``--url`` and the explicit flags; raise ``InterfaceError`` on a bad URL."""
    redact.add(os.environ.get("POSTHOG_API_KEY"))
    redact.add(api_key)
    kwargs: dict[str, Any] = {}
    if url:
        match = _URL_PASSWORD.match(url)
        if match:
            redact.add(match.group("key"))
        kwargs.update(_parse_url(url, redact))
    if api_url:
        kwargs["api_url"] = api_url
    if api_key:
        kwargs["api_key"] = api_key
    if project_id:
        kwargs["project_id"] = project_id
    return ConnectionSettings(kwargs)


def _parse_url(url: str, redact: Redactor) -> dict[str, Any]:
    # SQLAlchemy is a dependency of the package; the dialect's parser is the one URL grammar.
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.exc import ArgumentError

    from posthog_dbapi.dialect.url import connect_args_from_url

    hint = "Use posthog://:<api key>@<host>[:port]/<project id>, e.g. posthog://:phx_...@us.posthog.com/12345."
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise InterfaceError(
            f"--url is not a valid URL: {redact(str(exc))}", suggestion=hint
        ) from None
    redact.add(None if parsed.password is None else str(parsed.password))
    if parsed.drivername.split("+", 1)[0] != "posthog":
        raise InterfaceError(
            f"--url must start with posthog://, not {parsed.drivername}://.", suggestion=hint
        )
    try:
        return connect_args_from_url(parsed)
    except ArgumentError as exc:
        raise InterfaceError(redact(str(exc)), suggestion=hint) from None
