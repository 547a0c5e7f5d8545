"""The one request path: every HTTP call the driver makes goes through ``Transport.request``.

It owns the session and the auth header, timeouts, the client-side rate budget, retries (429 after
``Retry-After``; 5xx, dropped connections and broken bodies with exponential backoff and jitter,
only where a retry cannot apply a write twice), redirects (followed on the configured origin only,
so the key never leaves it), and it is the only place that turns HTTP failures into exceptions of
``posthog_dbapi.exceptions``, carrying PostHog's ``code``, ``attr`` and ``detail``.
"""

from __future__ import annotations

import email.utils
import json as _json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase

from posthog_dbapi import exceptions as exc
from posthog_dbapi.driver.budget import RateBudget

__all__ = ["Response", "Transport", "parse_retry_after"]

logger = logging.getLogger("posthog_dbapi.driver")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
BACKOFF_BASE = 1.0
BACKOFF_MAX = 30.0
MAX_REDIRECTS = 5


@dataclass
class Response:
    """A successful answer: status, headers and the parsed JSON body (``None`` when empty)."""

    status: int
    body: Any
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


class _BearerAuth(AuthBase):
    """Sets the header; its repr never shows the key. Passing an auth object also stops requests
    from replacing the header with credentials from ~/.netrc."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._key}"
        return r

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class _Retryable(Exception):
    """Internal: one attempt failed in a way that a retry may fix."""

    def __init__(self, error: exc.Error, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


class Transport:
    """Session, auth, retries, budgets and error mapping for one PostHog origin and key."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30,
        max_retries: int = 3,
        retry_after_cap: float = 60.0,
        verify: bool | str = True,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        budget: RateBudget | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        origin = urlsplit(self.base_url)
        self._origin = (origin.scheme, origin.netloc.lower())
        self._key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_after_cap = retry_after_cap
        self.verify = verify
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()
        self.session.headers.setdefault("Accept", "application/json")
        self.session.headers.setdefault("User-Agent", "posthog-dbapi/0.1")
        self.clock = clock
        self.sleep = sleep
        self.rng = rng if rng is not None else random.Random()
        self.budget = budget
        self.last_retry_after: float | None = None
        self.last_retry_after_at: float | None = None
        self.closed = False
        logger.debug(
            "Session created for %s: timeout=%ss, max_retries=%d, retry_after_cap=%ss, "
            "backoff %s..%ss with jitter, rate budget %s, Authorization: Bearer ***",
            self.base_url,
            timeout,
            max_retries,
            retry_after_cap,
            BACKOFF_BASE,
            BACKOFF_MAX,
            "on" if budget is not None else "off",
        )

    # -- URLs ---------------------------------------------------------------------------------

    def url_for(self, path_or_url: str) -> str:
        """An absolute URL on the configured origin; a URL on any other origin raises."""
        if "://" in path_or_url:
            if not self.same_origin(path_or_url):
                raise exc.MalformedResponseError(
                    "PostHog sent a link to another host "
                    f"({_origin_of(path_or_url)}); the driver only follows links on "
                    f"{self.base_url}",
                    {"url": _origin_of(path_or_url), "api_url": self.base_url},
                    suggestion="A proxy may be rewriting links; if PostHog really lives on that "
                    "host, set api_url to it.",
                )
            return path_or_url
        path = path_or_url if path_or_url.startswith("/") else "/" + path_or_url
        return self.base_url + path

    def same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme.lower(), parts.netloc.lower()) == self._origin

    # -- the request path ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        category: str = "crud",
        idempotent: bool | None = None,
        fail_fast: bool = False,
        timeout: float | None = None,
    ) -> Response:
        """Send one logical request, retrying as the policy allows; return the parsed answer.

        ``idempotent`` overrides the method's default (the Query API's POST only reads, a soft
        delete's PATCH can be repeated). ``fail_fast`` turns off retries of connection failures
        and timeouts (construction must report an unreachable host at once).
        """
        if self.closed:
            raise exc.InterfaceError(
                "The driver is closed", suggestion="Create a new PostHogDriver."
            )
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = self.url_for(path_or_url)
        attempt = 0
        while True:
            self._wait_for_budget(category)
            try:
                return self._attempt(
                    method,
                    url,
                    params,
                    json,
                    idempotent,
                    fail_fast,
                    timeout or self.timeout,
                    category,
                )
            except exc.Error as error:
                if attempt:
                    # A DELETE that answers 404 after a failed try was most likely applied by
                    # that try; the caller can tell from this.
                    error.details.setdefault("attempts", attempt + 1)
                raise
            except _Retryable as failure:
                if attempt >= self.max_retries:
                    if attempt:
                        failure.error.details.setdefault("attempts", attempt + 1)
                    raise failure.error from None
                wait = failure.wait if failure.wait is not None else self._backoff(attempt)
                attempt += 1
                logger.debug(
                    "Retry %d of %d for %s %s in %.2fs after: %s",
                    attempt,
                    self.max_retries,
                    method,
                    _strip_query(url),
                    wait,
                    failure.error.message,
                )
                self.sleep(wait)

    def _wait_for_budget(self, category: str) -> None:
        if self.budget is None:
            return
        wait = self.budget.reserve(category)
        if wait > 0:
            logger.debug("Rate budget '%s' exhausted: waiting %.2fs", category, wait)
            self.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        base = min(BACKOFF_MAX, BACKOFF_BASE * (2**attempt))
        # +-25% jitter, so that many clients that failed together do not retry together.
        return float(base * (0.75 + 0.5 * self.rng.random()))

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        idempotent: bool,
        fail_fast: bool,
        timeout: float,
        category: str,
    ) -> Response:
        for _hop in range(MAX_REDIRECTS + 1):
            shown_params = dict(params or {}) or _query_of(url)
            logger.debug(
                "%s %s%s%s",
                method,
                _strip_query(url),
                f" params={shown_params}" if shown_params else "",
                f" json={_json.dumps(body, default=str)[:500]}" if body is not None else "",
            )
            resp = self._send(method, url, params, body, idempotent, fail_fast, timeout)
            logger.debug("-> %d %s (%d bytes)", resp.status_code, resp.reason, len(resp.content))
            if resp.is_redirect or resp.status_code in (301, 302, 303, 307, 308):
                location = resp.headers.get("Location")
                if not location:
                    raise self._malformed(resp, method, url, "a redirect without a Location")
                target = urljoin(url, location)
                if not self.same_origin(target):
                    raise exc.ConnectionError(
                        f"{self.base_url} redirected to another host ({_origin_of(target)}); "
                        "the driver does not send the API key there",
                        {"url": _strip_query(url), "location": _origin_of(target)},
                        status=resp.status_code,
                        suggestion=f"If PostHog lives at {_origin_of(target)}, set api_url to it.",
                    )
                url = target
                params = None  # the Location already carries the query string
                if resp.status_code == 303:
                    method, body = "GET", None
                continue
            return self._handle(resp, method, url, idempotent, category)
        raise exc.ConnectionError(
            f"Too many redirects from {_strip_query(url)}",
            {"url": _strip_query(url)},
            suggestion="Check the API URL; a proxy may be redirecting in a loop.",
        )

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        idempotent: bool,
        fail_fast: bool,
        timeout: float,
    ) -> requests.Response:
        shown = _strip_query(url)
        try:
            resp = self.session.request(
                method,
                url,
                params=_encode_params(params),
                json=body,
                auth=_BearerAuth(self._key),
                timeout=timeout,
                allow_redirects=False,
                verify=self.verify,
            )
            _ = resp.content  # read the whole body now, so a cut-off body fails here
            return resp
        except requests.exceptions.SSLError as e:
            raise exc.ConnectionError(
                f"TLS error talking to {self.base_url}: {self._scrub(str(e))}",
                {"url": shown},
                suggestion="Pass ca_bundle= with your CA file, or verify=False on a trusted "
                "network only.",
            ) from None
        except requests.exceptions.ConnectTimeout:
            # Never connected, so nothing was sent: any method may retry.
            error: exc.Error = exc.TimeoutError(
                f"Connecting to {self.base_url} timed out after {timeout}s",
                {"url": shown, "timeout": timeout},
            )
            if fail_fast:
                raise error from None
            raise _Retryable(error) from None
        except requests.exceptions.ReadTimeout:
            error = exc.TimeoutError(
                f"Request timed out: {method} {shown} got no answer within {timeout}s",
                # The request was sent: PostHog may have applied it.
                {"url": shown, "timeout": timeout, "maybe_applied": not idempotent},
            )
            if idempotent and not fail_fast:
                raise _Retryable(error) from None
            raise error from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            error = exc.MalformedResponseError(
                f"The answer to {method} {shown} was cut off",
                {"url": shown, "maybe_applied": not idempotent},
            )
            if idempotent:
                raise _Retryable(error) from None
            raise error from None
        except requests.exceptions.ConnectionError as e:
            sent = not _failed_before_sending(e)
            error = exc.ConnectionError(
                f"Cannot reach PostHog API at {self.base_url}"
                if not sent
                else f"The connection to {self.base_url} broke during {method} {shown}",
                {"url": shown, "reason": self._scrub(_reason(e)), "maybe_applied": sent},
            )
            if fail_fast and not sent:
                raise error from None
            if not sent or idempotent:
                raise _Retryable(error) from None
            raise error from None
        except requests.exceptions.RequestException as e:
            raise exc.ConnectionError(
                f"Request to {self.base_url} failed: {self._scrub(_reason(e))}", {"url": shown}
            ) from None

    def _handle(
        self, resp: requests.Response, method: str, url: str, idempotent: bool, category: str
    ) -> Response:
        status = resp.status_code
        if 200 <= status < 300:
            body = self._parse_json(resp, method, url, idempotent)
            return Response(status, body, url, resp.headers)
        payload = self._error_payload(resp)
        if status == 429:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            self.last_retry_after = retry_after
            self.last_retry_after_at = self.clock()
            error = self._error(resp, method, url, payload)
            error.details["retry_after"] = (
                retry_after if retry_after is not None else self._backoff(0)
            )
            if self.budget is not None:
                self.budget.drain(category, float(error.details["retry_after"]))
            if retry_after is not None and retry_after > self.retry_after_cap:
                # Waiting longer than the cap inside a call would look like a hang; hand the
                # wait to the caller, who can decide.
                raise error
            raise _Retryable(error, retry_after)
        error = self._error(resp, method, url, payload)
        if status >= 500 or status == 408:
            if idempotent:
                raise _Retryable(error)
            # A server error can come after the write was applied (or from a proxy before it
            # reached PostHog); the client cannot tell, so it must not repeat it blindly.
            error.details["maybe_applied"] = True
        raise error

    def _parse_json(self, resp: requests.Response, method: str, url: str, idempotent: bool) -> Any:
        if not resp.content.strip():
            logger.debug("Parsed empty body")
            return None
        try:
            body = _json.loads(resp.content)
        except ValueError:
            error = self._malformed(resp, method, url, "a body that is not JSON")
            if idempotent:
                raise _Retryable(error) from None
            raise error from None
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            logger.debug("Parsed wrapped response with %d records", len(body["results"]))
        elif isinstance(body, list):
            logger.debug("Parsed list response with %d records", len(body))
        else:
            logger.debug("Parsed %s response", type(body).__name__)
        return body

    def _malformed(
        self, resp: requests.Response, method: str, url: str, what: str
    ) -> exc.MalformedResponseError:
        return exc.MalformedResponseError(
            f"PostHog answered {method} {_strip_query(url)} with {what}",
            {
                "url": _strip_query(url),
                "content_type": resp.headers.get("Content-Type", ""),
                "body_start": self._scrub(resp.text[:200]),
            },
            status=resp.status_code,
        )

    def _error_payload(self, resp: requests.Response) -> dict[str, Any]:
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

    def _error(
        self, resp: requests.Response, method: str, url: str, payload: Mapping[str, Any]
    ) -> exc.Error:
        status = resp.status_code
        shown = _strip_query(url)
        code = payload.get("code") if isinstance(payload.get("code"), str) else None
        detail = payload.get("detail")
        detail_text = self._scrub(str(detail)) if detail is not None else ""
        attr = payload.get("attr")
        details: dict[str, Any] = {"method": method, "url": shown, "status": status}
        if detail is not None:
            details["detail"] = detail_text
        if attr is not None:
            details["attr"] = attr
        if isinstance(payload.get("type"), str):
            details["type"] = payload["type"]
        where = f"{method} {shown}"
        if status == 400:
            if code == "required" and attr:
                details["missing_fields"] = [attr]
            msg = detail_text or f"PostHog refused {where} as invalid"
            if attr and attr not in msg:
                msg = f"{attr}: {msg}"
            return exc.ValidationError(msg, details, status=status, code=code or "invalid_input")
        if status == 401:
            return exc.AuthenticationError(
                "Invalid PostHog API key" + (f": {detail_text}" if detail_text else ""),
                details,
                status=status,
                code=code or "authentication_failed",
            )
        if status == 403:
            return exc.PermissionDeniedError(
                detail_text or f"PostHog denied {where}",
                details,
                status=status,
                code=code or "permission_denied",
            )
        if status == 404:
            return exc.ObjectNotFoundError(
                f"Not found: {where}" + (f" ({detail_text})" if detail_text else ""),
                details,
                status=status,
                code=code or "not_found",
                suggestion="Check the id and the project; list the resource to see what exists.",
            )
        if status == 405:
            return exc.NotSupportedError(
                f"PostHog does not allow {method} on {shown}",
                details,
                status=status,
                code=code or "method_not_allowed",
                suggestion="Soft-deleted resources are removed with PATCH {'deleted': true}; "
                "driver.delete() does that.",
            )
        if status == 409:
            return exc.IntegrityError(
                detail_text or f"{where} conflicts with existing data",
                details,
                status=status,
                code=code or "conflict",
                suggestion="Reload the record and apply the change again.",
            )
        if status == 429:
            return exc.RateLimitError(
                "API rate limit exceeded" + (f": {detail_text}" if detail_text else ""),
                details,
                status=status,
                code=code or "throttled",
            )
        if status >= 500:
            if payload.get("html"):
                msg = (
                    f"PostHog's API at {self.base_url} answered {status} with an HTML page "
                    "(a proxy or load balancer answered instead of PostHog)"
                )
            else:
                msg = f"PostHog server error {status} on {where}" + (
                    f": {detail_text}" if detail_text else ""
                )
            return exc.PostHogServerError(msg, details, status=status, code=code)
        return exc.ProgrammingError(
            detail_text or f"PostHog answered {status} to {where}",
            details,
            status=status,
            code=code,
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self._own_session:
                self.session.close()
            logger.debug("Session closed for %s", self.base_url)


def _encode_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (dict, list, tuple)) and not (
            isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        ):
            # PostHog takes structured filters (properties, tags) as JSON in the query string.
            out[key] = _json.dumps(value)
        else:
            out[key] = value
    return out


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


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def _query_of(url: str) -> str:
    return url.split("?", 1)[1] if "?" in url else ""


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
