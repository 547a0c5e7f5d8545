"""Error mapping: the one place where HTTP failures become ``posthog_dbapi.exceptions``.

Two kinds of failure come here. An *answer* with an error status becomes the exception class of
that status, carrying PostHog's ``code``, ``attr`` and ``detail`` (drf-exceptions-hog's body) and
a suggestion. A *send failure* (``requests`` could not connect, timed out, got a cut-off body)
becomes ``ConnectionError``, ``TimeoutError`` or ``MalformedResponseError``, together with whether
a retry is safe: only when the request certainly never reached PostHog or cannot apply a write
twice. Messages and details show URLs without their query string and never the API key.
"""

from __future__ import annotations

import json as _json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from posthog_dbapi import exceptions as exc

__all__ = [
    "error_for_response",
    "error_payload",
    "malformed_response",
    "not_a_posthog_api",
    "origin_of",
    "query_failed",
    "record_not_found",
    "send_failure",
    "strip_query",
]

Scrub = Callable[[str], str]
"""Replaces the API key in a text that came from outside (a server message, a socket error)."""


def strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, without any ``user:password@`` (a server could put
    the key there)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an invalid URL)"
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


def send_failure(
    error: requests.exceptions.RequestException,
    *,
    method: str,
    url: str,
    base_url: str,
    timeout: float,
    idempotent: bool,
    fail_fast: bool,
    scrub: Scrub,
) -> tuple[exc.Error, bool]:
    """The exception for a request that got no usable answer, and whether to retry it.

    ``fail_fast`` (construction) reports an unreachable host at once instead of retrying.
    """
    shown = strip_query(url)
    if isinstance(error, requests.exceptions.SSLError):
        return (
            exc.ConnectionError(
                f"TLS error talking to {base_url}: {scrub(str(error))}",
                {"url": shown},
                suggestion="Pass ca_bundle= with your CA file, or verify=False on a trusted "
                "network only.",
            ),
            False,
        )
    if isinstance(error, requests.exceptions.ConnectTimeout):
        # Never connected, so nothing was sent: any method may retry.
        return (
            exc.TimeoutError(
                f"Connecting to {base_url} timed out after {timeout}s",
                {"url": shown, "timeout": timeout},
            ),
            not fail_fast,
        )
    if isinstance(error, requests.exceptions.ReadTimeout):
        return (
            exc.TimeoutError(
                f"Request timed out: {method} {shown} got no answer within {timeout}s",
                # The request was sent: PostHog may have applied it.
                {"url": shown, "timeout": timeout, "maybe_applied": not idempotent},
            ),
            idempotent and not fail_fast,
        )
    if isinstance(
        error, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
    ):
        return (
            exc.MalformedResponseError(
                f"The answer to {method} {shown} was cut off",
                {"url": shown, "maybe_applied": not idempotent},
            ),
            idempotent,
        )
    if isinstance(error, requests.exceptions.ConnectionError):
        sent = not _failed_before_sending(error)
        mapped = exc.ConnectionError(
            f"Cannot reach PostHog API at {base_url}"
            if not sent
            else f"The connection to {base_url} broke during {method} {shown}",
            {"url": shown, "reason": scrub(_reason(error)), "maybe_applied": sent},
        )
        if fail_fast and not sent:
            return mapped, False
        return mapped, (not sent or idempotent)
    return (
        exc.ConnectionError(
            f"Request to {base_url} failed: {scrub(_reason(error))}", {"url": shown}
        ),
        False,
    )


def malformed_response(
    resp: requests.Response, method: str, url: str, what: str, scrub: Scrub
) -> exc.MalformedResponseError:
    return exc.MalformedResponseError(
        f"PostHog answered {method} {strip_query(url)} with {what}",
        {
            "url": strip_query(url),
            "content_type": resp.headers.get("Content-Type", ""),
            "body_start": scrub(resp.text[:200]),
        },
        status=resp.status_code,
    )


def error_payload(resp: requests.Response) -> dict[str, Any]:
    """PostHog's JSON error body, or ``{"html": True}`` when a proxy answered with a page."""
    try:
        body = _json.loads(resp.content) if resp.content.strip() else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    payload: dict[str, Any] = {}
    ctype = resp.headers.get("Content-Type", "")
    if resp.content.strip() and ("html" in ctype or resp.text.lstrip().startswith("<")):
        payload["html"] = True
    return payload


@dataclass(frozen=True)
class _Refusal:
    """What an error status other than 400 and 5xx becomes."""

    error: type[exc.Error]
    code: str | None
    """PostHog's ``code`` when the body gives none."""
    message: str
    """The message without the detail, over ``{where}``, ``{method}``, ``{url}``, ``{status}``."""
    with_detail: str
    """How the body's detail joins the message: ``{message}``, ``{detail}``."""
    suggestion: str | None = None


_REFUSALS: dict[int, _Refusal] = {
    401: _Refusal(exc.AuthenticationError, "authentication_failed", "Invalid PostHog API key",
                  "{message}: {detail}"),
    403: _Refusal(exc.PermissionDeniedError, "permission_denied", "PostHog denied {where}",
                  "{detail}"),
    404: _Refusal(exc.ObjectNotFoundError, "not_found", "Not found: {where}",
                  "{message} ({detail})",
                  "Check the id and the project; list the resource to see what exists."),
    405: _Refusal(exc.NotSupportedError, "method_not_allowed",
                  "PostHog does not allow {method} on {url}", "{message}",
                  "Soft-deleted resources are removed with PATCH {'deleted': true}; "
                  "driver.delete() does that."),
    409: _Refusal(exc.IntegrityError, "conflict", "{where} conflicts with existing data",
                  "{detail}", "Reload the record and apply the change again."),
    429: _Refusal(exc.RateLimitError, "throttled", "API rate limit exceeded",
                  "{message}: {detail}"),
}  # fmt: skip
_OTHER_REFUSAL = _Refusal(
    exc.ProgrammingError, None, "PostHog answered {status} to {where}", "{detail}"
)


@dataclass(frozen=True)
class _Body:
    """The scrubbed fields of an error body (a server, or a proxy, may echo the key)."""

    code: str | None
    detail: str
    attr: str | None
    details: dict[str, Any]


def _read_body(
    payload: Mapping[str, Any], method: str, shown: str, status: int, scrub: Scrub
) -> _Body:
    code = scrub(payload["code"]) if isinstance(payload.get("code"), str) else None
    detail = payload.get("detail")
    detail_text = scrub(str(detail)) if detail is not None else ""
    attr = scrub(str(payload["attr"])) if payload.get("attr") is not None else None
    details: dict[str, Any] = {"method": method, "url": shown, "status": status}
    if detail is not None:
        details["detail"] = detail_text
    if attr is not None:
        details["attr"] = attr
    if isinstance(payload.get("type"), str):
        details["type"] = scrub(payload["type"])
    return _Body(code, detail_text, attr, details)


def _invalid(body: _Body, where: str) -> exc.Error:
    """A 400: the field PostHog names leads the message."""
    if body.code == "required" and body.attr:
        body.details["missing_fields"] = [body.attr]
    msg = body.detail or f"PostHog refused {where} as invalid"
    if body.attr and body.attr not in msg:
        msg = f"{body.attr}: {msg}"
    return exc.ValidationError(msg, body.details, status=400, code=body.code or "invalid_input")


def _server_error(body: _Body, status: int, where: str, html: bool, base_url: str) -> exc.Error:
    if html:
        msg = (
            f"PostHog's API at {base_url} answered {status} with an HTML page "
            "(a proxy or load balancer answered instead of PostHog)"
        )
    else:
        msg = f"PostHog server error {status} on {where}" + (
            f": {body.detail}" if body.detail else ""
        )
    return exc.PostHogServerError(msg, body.details, status=status, code=body.code)


def error_for_response(
    resp: requests.Response,
    method: str,
    url: str,
    payload: Mapping[str, Any],
    *,
    base_url: str,
    scrub: Scrub,
) -> exc.Error:
    """The exception for an answer with an error status (4xx, 5xx)."""
    status = resp.status_code
    shown = strip_query(url)
    body = _read_body(payload, method, shown, status, scrub)
    where = f"{method} {shown}"
    if status == 400:
        return _invalid(body, where)
    if status >= 500:
        return _server_error(body, status, where, bool(payload.get("html")), base_url)
    refusal = _REFUSALS.get(status, _OTHER_REFUSAL)
    message = refusal.message.format(where=where, method=method, url=shown, status=status)
    if body.detail:
        message = refusal.with_detail.format(message=message, detail=body.detail)
    return refusal.error(
        message,
        body.details,
        status=status,
        code=body.code or refusal.code,
        suggestion=refusal.suggestion,
    )


def _failed_before_sending(error: requests.exceptions.ConnectionError) -> bool:
    """True when the connection was never established (refused, DNS, connect timeout), so the
    server certainly did not see the request."""
    import urllib3.exceptions as u3

    seen: set[int] = set()
    stack: list[BaseException | None] = [error]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, (u3.NewConnectionError, u3.ConnectTimeoutError, u3.NameResolutionError)):
            return True
        if isinstance(cur, ConnectionRefusedError):
            return True
        reason = getattr(cur, "reason", None)
        stack.extend([reason if isinstance(reason, BaseException) else None])
        stack.extend(a for a in getattr(cur, "args", ()) if isinstance(a, BaseException))
        stack.extend([cur.__cause__, cur.__context__])
    return False


def _reason(error: BaseException) -> str:
    import urllib3.exceptions as u3

    cur: BaseException | None = error
    while cur is not None:
        if isinstance(cur, u3.MaxRetryError) and cur.reason is not None:
            cur = cur.reason
            continue
        args = getattr(cur, "args", ())
        inner = next((a for a in args if isinstance(a, BaseException)), None)
        if inner is None:
            break
        cur = inner
    return str(cur) if cur is not None else str(error)


def query_failed(status: Mapping[str, Any], query_id: str, http_status: int) -> exc.ValidationError:
    """An asynchronous query whose ``query_status`` reports an error: PostHog refused the HogQL
    (UNVERIFIED: a failure of PostHog itself is reported the same way)."""
    return exc.ValidationError(
        str(status.get("error_message") or "The query failed"),
        {"query_id": query_id},
        status=http_status,
        code="invalid_input",
        suggestion="Fix the HogQL named in the message.",
    )


def record_not_found(
    error: exc.ObjectNotFoundError, resource: str, key: str | int
) -> exc.ObjectNotFoundError:
    """A 404 on one record, restated with the record's key and resource."""
    return exc.ObjectNotFoundError(
        f"Resource '{key}' not found in {resource}",
        {**error.details, "resource": resource, "key": str(key)},
        status=error.status,
        code=error.code,
        suggestion=f"List the existing {resource} with read('/{resource}').",
    )


def not_a_posthog_api(error: exc.MalformedResponseError, api_url: str) -> exc.ConnectionError:
    """The first request's answer was not PostHog's: the API URL points elsewhere."""
    return exc.ConnectionError(
        f"{api_url} does not answer like a PostHog API",
        error.details,
        status=error.status,
        suggestion="Check the API URL: https://us.posthog.com, https://eu.posthog.com "
        "or your self-hosted PostHog.",
    )
