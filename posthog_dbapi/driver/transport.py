"""The one request path: every HTTP call the driver makes goes through ``Transport.request``.

It owns the session and the auth header, timeouts, the client-side rate budget, the request loop
that applies the retry policy of ``retry.py`` (429 after ``Retry-After``; 5xx, dropped connections
and broken bodies with backoff, only where a retry cannot apply a write twice), redirects
(followed on the configured origin only, so the key never leaves it), the parsing of answers, and
the ``RequestEvent``\\ s it reports to listeners (``listeners.py``). Bodies and query parameters
are encoded by ``encoding.py`` before anything is sent. Failures are turned into exceptions by
``errors.py``; this module only raises what that module builds.
"""

from __future__ import annotations

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
from posthog_dbapi.driver.budget import RateBudget, RateCategory
from posthog_dbapi.driver.collector import collector_paused
from posthog_dbapi.driver.encoding import encode_body, encode_params
from posthog_dbapi.driver.errors import (
    error_for_response,
    error_payload,
    malformed_response,
    origin_of,
    send_failure,
    strip_query,
)
from posthog_dbapi.driver.listeners import EventKind, Listeners, RequestEvent
from posthog_dbapi.driver.retry import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    IDEMPOTENT_METHODS,
    Retryable,
    backoff,
    parse_retry_after,
)
from posthog_dbapi.driver.sent import SignallingAdapter
from posthog_dbapi.redact import Redactor

__all__ = ["Response", "Transport", "is_absolute_url", "parse_retry_after"]

logger = logging.getLogger("posthog_dbapi.driver")

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


@dataclass
class _Call:
    """What one logical request's events share."""

    method: str
    url: str
    category: RateCategory
    attempt: int = 1
    raw: bool = False


class Transport:
    """Session, auth, retries, budgets and listeners for one PostHog origin and key."""

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
        self._redact = Redactor(api_key)
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_after_cap = retry_after_cap
        self.verify = verify
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()
        if self._own_session:
            # Its connections tell a read-ahead scan when a request is on the wire (sent.py).
            adapter = SignallingAdapter()
            self.session.mount("https://", adapter)
            self.session.mount("http://", adapter)
        self.session.headers.setdefault("Accept", "application/json")
        self.session.headers.setdefault("User-Agent", "posthog-dbapi/0.1")
        self.clock = clock
        self.sleep = sleep
        self.rng = rng if rng is not None else random.Random()
        self.budget = budget
        self.listeners = Listeners()
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
        if is_absolute_url(path_or_url):
            if not self.same_origin(path_or_url):
                raise exc.MalformedResponseError(
                    "PostHog sent a link to another host "
                    f"({origin_of(path_or_url)}); the driver only follows links on "
                    f"{self.base_url}",
                    {"url": origin_of(path_or_url), "api_url": self.base_url},
                    suggestion="A proxy may be rewriting links; if PostHog really lives on that "
                    "host, set api_url to it.",
                )
            return path_or_url
        path = path_or_url if path_or_url.startswith("/") else "/" + path_or_url
        return self.base_url + path

    def same_origin(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return (parts.scheme.lower(), parts.netloc.lower()) == self._origin

    # -- the request loop ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        category: RateCategory = "crud",
        idempotent: bool | None = None,
        fail_fast: bool = False,
        timeout: float | None = None,
        raw: bool = False,
    ) -> Response:
        """Send one logical request, retrying as the policy allows; return the parsed answer.

        ``idempotent`` overrides the method's default (the Query API's POST only reads, a soft
        delete's PATCH can be repeated). ``fail_fast`` turns off retries of connection failures
        and timeouts (construction must report an unreachable host at once). ``raw`` leaves a
        successful answer undecoded, for ``decode`` (a scan that sends its next request before
        it decodes this answer, ``readahead.py``); its broken JSON is not retried here.
        """
        if self.closed:
            raise exc.InterfaceError(
                "The driver is closed", suggestion="Create a new PostHogDriver."
            )
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = self.url_for(path_or_url)
        # Encoded once, before anything is sent: a value JSON cannot carry is the caller's
        # DataError, not a failure halfway through a request.
        query = encode_params(params)
        body = encode_body(json) if json is not None else None
        call = _Call(method, url, category, raw=raw)
        while True:
            self._wait_for_budget(call)
            try:
                return self._attempt(call, query, body, idempotent, fail_fast, timeout)
            except exc.Error as error:
                if call.attempt > 1:
                    # A DELETE that answers 404 after a failed try was most likely applied by
                    # that try; the caller can tell from this.
                    error.details.setdefault("attempts", call.attempt)
                raise
            except Retryable as failure:
                retries = call.attempt - 1
                if retries >= self.max_retries:
                    if retries:
                        failure.error.details.setdefault("attempts", call.attempt)
                    raise failure.error from None
                wait = failure.wait if failure.wait is not None else backoff(retries, self.rng)
                logger.debug(
                    "Retry %d of %d for %s %s in %.2fs after: %s",
                    call.attempt,
                    self.max_retries,
                    method,
                    strip_query(url),
                    wait,
                    failure.error.message,
                )
                self._emit("retry", call, status=failure.error.status, wait_seconds=wait)
                call.attempt += 1
                self.sleep(wait)

    def _wait_for_budget(self, call: _Call) -> None:
        if self.budget is None:
            return
        wait = self.budget.reserve(call.category)
        if wait > 0:
            logger.debug("Rate budget '%s' exhausted: waiting %.2fs", call.category, wait)
            self._emit("rate_wait", call, wait_seconds=wait)
            self.sleep(wait)

    def _emit(
        self,
        kind: EventKind,
        call: _Call,
        *,
        url: str | None = None,
        method: str | None = None,
        status: int | None = None,
        wait_seconds: float | None = None,
        records: int | None = None,
    ) -> None:
        if not self.listeners:
            return
        self.listeners.emit(
            RequestEvent(
                kind=kind,
                method=method or call.method,
                path=urlsplit(url or call.url).path,
                attempt=call.attempt,
                status=status,
                wait_seconds=wait_seconds,
                records=records,
                category=call.category,
            )
        )

    def _attempt(
        self,
        call: _Call,
        params: Mapping[str, Any] | None,
        body: bytes | None,
        idempotent: bool,
        fail_fast: bool,
        timeout: float | None,
    ) -> Response:
        """One try, following same-origin redirects."""
        method, url = call.method, call.url
        seconds = timeout or self.timeout
        for _hop in range(MAX_REDIRECTS + 1):
            shown_params = self._scrub(str(dict(params or {}) or _query_of(url)))
            shown_body = self._scrub(body[:500].decode("utf-8", "replace")) if body else ""
            logger.debug(
                "%s %s%s%s",
                method,
                strip_query(url),
                f" params={shown_params}" if params or _query_of(url) else "",
                f" json={shown_body}" if body is not None else "",
            )
            self._emit("request", call, url=url, method=method)
            resp = self._send(method, url, params, body, idempotent, fail_fast, seconds)
            logger.debug("-> %d %s (%d bytes)", resp.status_code, resp.reason, len(resp.content))
            if resp.is_redirect or resp.status_code in (301, 302, 303, 307, 308):
                self._emit("response", call, url=url, method=method, status=resp.status_code)
                location = resp.headers.get("Location")
                if not location:
                    raise self._malformed(resp, method, url, "a redirect without a Location")
                target = urljoin(url, location)
                if not self.same_origin(target):
                    raise exc.ConnectionError(
                        f"{self.base_url} redirected to another host ({origin_of(target)}); "
                        "the driver does not send the API key there",
                        {"url": strip_query(url), "location": origin_of(target)},
                        status=resp.status_code,
                        suggestion=f"If PostHog lives at {origin_of(target)}, set api_url to it.",
                    )
                url = target
                params = None  # the Location already carries the query string
                if resp.status_code == 303:
                    method, body = "GET", None
                continue
            try:
                answer = self._handle(resp, method, url, idempotent, call.category, call.raw)
            except BaseException:
                self._emit("response", call, url=url, method=method, status=resp.status_code)
                raise
            self._emit(
                "response",
                call,
                url=url,
                method=method,
                status=resp.status_code,
                records=_record_count(answer.body),
            )
            return answer
        raise exc.ConnectionError(
            f"Too many redirects from {strip_query(url)}",
            {"url": strip_query(url)},
            suggestion="Check the API URL; a proxy may be redirecting in a loop.",
        )

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: bytes | None,
        idempotent: bool,
        fail_fast: bool,
        timeout: float,
    ) -> requests.Response:
        try:
            resp = self.session.request(
                method,
                url,
                params=params,
                data=body,
                headers={"Content-Type": "application/json"} if body is not None else None,
                auth=_BearerAuth(self._key),
                timeout=timeout,
                allow_redirects=False,
                verify=self.verify,
            )
            _ = resp.content  # read the whole body now, so a cut-off body fails here
            return resp
        except requests.exceptions.RequestException as e:
            error, retryable = send_failure(
                e,
                method=method,
                url=url,
                base_url=self.base_url,
                timeout=timeout,
                idempotent=idempotent,
                fail_fast=fail_fast,
                scrub=self._scrub,
            )
        if retryable:
            raise Retryable(error) from None
        raise error from None

    def _handle(
        self,
        resp: requests.Response,
        method: str,
        url: str,
        idempotent: bool,
        category: str,
        raw: bool = False,
    ) -> Response:
        status = resp.status_code
        if 200 <= status < 300:
            if raw:
                return Response(status, resp, url, resp.headers)
            body = self._parse_json(resp, method, url, idempotent)
            return Response(status, body, url, resp.headers)
        payload = error_payload(resp)
        error = error_for_response(
            resp, method, url, payload, base_url=self.base_url, scrub=self._scrub
        )
        if status == 429:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            self.last_retry_after = retry_after
            self.last_retry_after_at = self.clock()
            error.details["retry_after"] = (
                retry_after if retry_after is not None else backoff(0, self.rng)
            )
            if self.budget is not None:
                self.budget.drain(category, float(error.details["retry_after"]))
            if retry_after is not None and retry_after > self.retry_after_cap:
                # Waiting longer than the cap inside a call would look like a hang; hand the
                # wait to the caller, who can decide.
                raise error
            raise Retryable(error, retry_after)
        if status >= 500 or status == 408:
            if idempotent:
                raise Retryable(error)
            # A server error can come after the write was applied (or from a proxy before it
            # reached PostHog); the client cannot tell, so it must not repeat it blindly.
            error.details["maybe_applied"] = True
        raise error

    def _parse_json(self, resp: requests.Response, method: str, url: str, idempotent: bool) -> Any:
        if not resp.content.strip():
            logger.debug("Parsed empty body")
            return None
        try:
            with collector_paused():  # a large answer is a large acyclic tree (collector.py)
                body = _json.loads(resp.content)
        except ValueError:
            error = self._malformed(resp, method, url, "a body that is not JSON")
            if idempotent:
                raise Retryable(error) from None
            raise error from None
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            logger.debug("Parsed wrapped response with %d records", len(body["results"]))
        elif isinstance(body, list):
            logger.debug("Parsed list response with %d records", len(body))
        else:
            logger.debug("Parsed %s response", type(body).__name__)
        return body

    def decode(self, answer: Response) -> Any:
        """The parsed JSON body of an answer received with ``raw=True`` (``MalformedResponseError``
        when it is not JSON; the caller may send the request again without ``raw``)."""
        resp = answer.body
        if not isinstance(resp, requests.Response):
            return resp  # decoded already
        return self._parse_json(resp, resp.request.method or "GET", answer.url, False)

    def _malformed(
        self, resp: requests.Response, method: str, url: str, what: str
    ) -> exc.MalformedResponseError:
        return malformed_response(resp, method, url, what, self._scrub)

    def _scrub(self, text: str) -> str:
        return self._redact(text)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self._own_session:
                self.session.close()
            logger.debug("Session closed for %s", self.base_url)


def _record_count(body: Any) -> int | None:
    """Records in a list answer: a page's ``results`` or a plain list."""
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return len(body["results"])
    if isinstance(body, list):
        return len(body)
    return None


def is_absolute_url(text: str) -> bool:
    """True for a URL that names a host (``https://h/x``, ``//h/x``); a path whose query
    carries a URL (``/dashboards?search=http://x``) is a path."""
    try:
        parts = urlsplit(text)
    except ValueError:
        # An unclosed IPv6 bracket: only a URL with a host can have one.
        return True
    return bool(parts.netloc) or parts.scheme.lower() in ("http", "https")


def _query_of(url: str) -> str:
    return url.split("?", 1)[1] if "?" in url else ""
