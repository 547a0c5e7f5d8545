"""The emulator's WSGI application: its state, routing, auth, faults and the request log.

Routes mirror PostHog's: every resource under both ``/api/projects/{id}/`` and
``/api/environments/{id}/``, optional trailing slash, ``@current``; plus the root routes a client
uses to find its project, and ``/api/schema/``. The handlers live in ``rest_handlers.py``
(resources, root routes) and ``analytics_handlers.py`` (persons, events, Query API); they return
``(status, body, headers)`` and raise ``ApiError``, which is rendered here in one place, as are
injected faults.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from werkzeug.wrappers import Request

from . import analytics_handlers, rest_handlers
from .auth import ApiKey, KeyRing, check_project, check_scope, check_unscoped_endpoint, find_key
from .errors import ApiError, EmptyResponse, endpoint_not_found, method_not_allowed, not_found
from .faults import AFTER_HANDLING_KINDS, Fault, FaultInjector, mangle
from .pagination import offset_page, page_params
from .queries import QueryService
from .ratelimit import RateLimiter, SystemClock
from .resources import resource_for_path
from .state import ProjectState
from .wire import WRITE_METHODS, Result, dumps, error_result, status_line

__all__ = ["Emulator", "RequestRecord"]

_PROJECT_ROUTE = re.compile(r"^/api/(projects|environments)/([^/]+)(?:/(.*?))?/?$")


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    host: str
    had_auth: bool


class RequestLog(list[RequestRecord]):
    """What the emulator was asked, for tests; ``personal_api_key`` values are redacted."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, item: RequestRecord) -> None:
        with self._lock:
            self.append(item)


class Emulator:
    """The PostHog API emulator as a WSGI callable."""

    def __init__(
        self,
        *,
        api_key: str = "phx_demo",
        seed: int = 0,
        access_log: IO[str] | None = None,
        timezone: str = "UTC",
        week_start_day: int = 0,
        query_tier: str = "default",
    ) -> None:
        """``timezone``, ``week_start_day`` (0 Sunday, 1 Monday) and ``query_tier``
        (``default`` or ``api-queries``) are project 1's settings; see ``add_project``."""
        self.keys = KeyRing()
        self.api_key = api_key
        self.keys.add(api_key)
        self.seed = seed
        self._in_flight = 0
        self._idle = threading.Condition()
        self.projects: dict[int, ProjectState] = {}
        self.current_project = 1
        self.clock: Any = SystemClock()
        self.limits = RateLimiter(lambda: self.clock.now())
        self.faults = FaultInjector()
        self.request_log = RequestLog()
        self.queries = QueryService(lambda: self.clock.now())
        self.access_log = access_log
        self._snapshots: dict[int, bytes] = {}
        self.add_project(1, timezone=timezone, week_start_day=week_start_day, query_tier=query_tier)

    # -- setup -----------------------------------------------------------------------------
    def add_key(
        self, key: str, scopes: Iterable[str] = ("*",), scoped_teams: Iterable[int] = ()
    ) -> ApiKey:
        return self.keys.add(key, scopes, scoped_teams)

    def add_project(
        self,
        project_id: int,
        *,
        timezone: str = "UTC",
        week_start_day: int = 0,
        query_tier: str = "default",
    ) -> ProjectState:
        """An empty project with its own REST state and an empty event store.

        HogQL answers in ``timezone`` (an IANA name) with weeks starting on ``week_start_day``;
        ``query_tier`` picks PostHog's ``/query/`` throttles. All three can be changed later
        on ``projects[id].settings``. Raises ValueError for a value PostHog would not hold."""
        state = ProjectState(
            project_id,
            seed=self.seed + project_id,
            timezone=timezone,
            week_start_day=week_start_day,
            query_tier=query_tier,
        )
        self.projects[project_id] = state
        return state

    def load_demo(
        self,
        *,
        events: int = 200_000,
        persons: int = 2000,
        rows: dict[str, int] | None = None,
        with_events: bool = True,
    ) -> None:
        """Fill project 1 with demo data and remember it as the state ``reset()`` restores."""
        from .demo import bulk, load_rest_demo

        state = self.projects[1]
        load_rest_demo(state, seed=self.seed)
        for name, count in (rows or {}).items():
            bulk(state, name, count, seed=self.seed)
        if with_events:
            from .eventstore import EventStore

            state.events = EventStore.demo(seed=self.seed, persons=persons, events=events)
        self.save_snapshot()

    def save_snapshot(self) -> None:
        self._snapshots = {pid: p.snapshot() for pid, p in self.projects.items()}

    def reset(self, *, drain_seconds: float = 5.0) -> None:
        """Faults cleared, limits at defaults, log empty, REST state back to the snapshot.

        Requests still being answered (a ``timeout`` or ``delay`` fault holds its answer) are
        waited for first, up to ``drain_seconds``: otherwise one would write, or log, into the
        state of whatever comes next."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=drain_seconds)
        self.faults.clear()
        self.limits.reset()
        self.request_log.clear()
        self.queries.reset()
        self.clock = SystemClock()
        for pid in list(self.projects):
            if pid not in self._snapshots:
                del self.projects[pid]
        for pid, snap in self._snapshots.items():
            self.projects[pid].restore(snap)

    # -- WSGI ------------------------------------------------------------------------------
    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with self._idle:
            self._in_flight += 1
        try:
            return self._serve(environ, start_response)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _serve(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        method, path = request.method, request.path
        fault = self.faults.pick(method, path) if path.startswith("/api/") else None
        had_auth = "Authorization" in request.headers or "personal_api_key" in request.args
        if fault is not None and fault.kind == "reset":
            self._record(request, 0, had_auth)
            self._reset_connection(environ)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay or 1.0)
        early = self._early_fault(fault, request) if fault is not None else None
        if early is not None:
            status, payload, headers = early
        else:
            status, payload, headers = self._respond(request)
            if fault is not None and fault.kind == "foreign_next" and isinstance(payload, bytes):
                payload = _foreign_next(payload, self.faults.foreign_host)
            if fault is not None and fault.kind in AFTER_HANDLING_KINDS:
                status, payload, headers = self._after_handling(
                    fault, status, payload, headers, request.url
                )
        headers.setdefault("Content-Type", "application/json")
        if fault is not None and fault.kind == "truncate" and len(payload) > 1:
            return self._truncated(
                environ, start_response, request, status, payload, headers, had_auth
            )
        headers["Content-Length"] = str(len(payload))
        self._record(request, status, had_auth)
        start_response(status_line(status), list(headers.items()))
        return [payload]

    def _record(self, request: Request, status: int, had_auth: bool) -> None:
        query = {k: (["***"] if k == "personal_api_key" else v) for k, v in request.args.lists()}
        self.request_log.record(
            RequestRecord(request.method, request.path, query, status, request.host, had_auth)
        )
        if self.access_log is not None:
            # The path only: a query string may carry a personal_api_key.
            print(f"{request.method} {request.path} {status}", file=self.access_log, flush=True)

    @staticmethod
    def _reset_connection(environ: dict[str, Any]) -> None:
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                # Linger 0 makes close() send RST: the client sees a reset, not a response.
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise ConnectionResetError("fault injection: connection reset")

    def _truncated(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        request: Request,
        status: int,
        payload: bytes,
        headers: dict[str, str],
        had_auth: bool,
    ) -> Iterable[bytes]:
        headers["Content-Length"] = str(len(payload))
        headers["Connection"] = "close"
        self._record(request, status, had_auth)
        start_response(status_line(status), list(headers.items()))
        sock = environ.get("werkzeug.socket")

        def body() -> Iterator[bytes]:
            yield payload[: len(payload) // 2]
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            raise ConnectionAbortedError("fault injection: truncated body")

        return body()

    def _after_handling(
        self, fault: Fault, status: int, payload: bytes, headers: dict[str, str], url: str
    ) -> tuple[int, bytes, dict[str, str]]:
        """The request was handled (a write applied); now break its answer."""
        if fault.kind == "timeout":
            # The client's read timeout fires while this thread waits; the write stands.
            time.sleep(fault.delay if fault.delay is not None else self.faults.timeout_delay)
            return status, payload, headers
        if fault.kind == "applied_500":
            return error_result(ApiError(500, "server_error", "error", "A server error occurred."))
        if 200 <= status < 300:
            return status, mangle(fault.kind, payload, url), headers
        return status, payload, headers

    def _early_fault(self, fault: Fault, request: Request) -> Result | None:
        kind = fault.kind
        if kind == "429":
            wait = fault.retry_after if fault.retry_after is not None else 1
            err = ApiError(
                429,
                "throttled_error",
                "throttled",
                f"Request was throttled. Expected available in {wait} "
                f"second{'' if wait == 1 else 's'}.",
                headers={"Retry-After": str(wait)},
            )
            return error_result(err)
        if kind in ("500", "502", "503", "504"):
            status = fault.status or int(kind)
            if status == 500:
                return error_result(
                    ApiError(500, "server_error", "error", "A server error occurred.")
                )
            return status, b"", {"Content-Type": "text/html"}
        if kind == "html":
            page = (
                b"<html><head><title>502 Bad Gateway</title></head><body><center>"
                b"<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
            )
            return fault.status or 502, page, {"Content-Type": "text/html"}
        if kind == "redirect_foreign":
            target = self.faults.foreign_host + request.full_path.rstrip("?")
            return fault.status or 302, b"", {"Location": target, "Content-Type": "text/html"}
        if kind == "echo_key":
            return _echo_key(fault, request)
        if kind == "garbage":
            return (
                fault.status or 200,
                b"<<not json>> \x00\x01",
                {"Content-Type": "application/json"},
            )
        return None

    # -- dispatch --------------------------------------------------------------------------
    def _respond(self, request: Request) -> tuple[int, bytes, dict[str, str]]:
        try:
            status, body, headers = self._dispatch(request)
        except ApiError as exc:
            status, body, headers = error_result(exc)
            return status, body, headers
        except EmptyResponse as exc:
            return exc.status, b"", {}
        except Exception:
            import traceback

            traceback.print_exc(file=sys.stderr)
            return error_result(ApiError(500, "server_error", "error", "A server error occurred."))
        if body is None:
            return status, b"", headers
        return status, body if isinstance(body, bytes) else dumps(body), headers

    def _dispatch(self, request: Request) -> Result:
        path = request.path
        if not path.startswith("/api/"):
            raise endpoint_not_found()
        key = self.keys.authenticate(
            find_key(request.headers, request.get_data(cache=True), request.args)
        )
        method = request.method
        stripped = path.rstrip("/")
        if stripped == "/api/schema":
            from .schema import schema_response

            return schema_response(request)
        if stripped == "/api/users/@me":
            check_unscoped_endpoint(key)
            check_scope(key, "user", write=False)
            current = self.projects[self.current_project].settings
            return 200, rest_handlers.me(self.current_project, current), {}
        if stripped == "/api/personal_api_keys/@current":
            return 200, rest_handlers.key_info(key), {}
        if stripped in ("/api/projects", "/api/environments"):
            check_unscoped_endpoint(key)
            check_scope(key, "project", write=False)
            items = [
                rest_handlers.project_info(pid, self.projects[pid].settings)
                for pid in sorted(self.projects)
            ]
            limit, offset = page_params(request)
            return 200, offset_page(request, items, limit, offset), {}
        match = _PROJECT_ROUTE.match(path)
        if match is None:
            raise endpoint_not_found()
        project_id = self._resolve_project(match.group(2), key)
        rest = match.group(3) or ""
        state = self.projects[project_id]
        if not rest:
            check_scope(key, "project", write=method in WRITE_METHODS)
            if method != "GET":
                raise method_not_allowed(method)
            return 200, rest_handlers.project_info(project_id, state.settings), {}
        key_hash = hashlib.sha256(key.value.encode()).hexdigest()
        head, _, sub = rest.partition("/")
        if head == "query":
            return analytics_handlers.query(
                request, state, key, key_hash, sub, self.limits, self.queries
            )
        if head == "persons":
            return analytics_handlers.persons(request, state, key, key_hash, sub, self.limits)
        if head == "events":
            return analytics_handlers.events(request, state, key, key_hash, sub, self.limits)
        found = resource_for_path(rest)
        if found is None:
            raise endpoint_not_found()
        definition, sub = found
        return rest_handlers.resource(request, state, definition, key, key_hash, sub, self.limits)

    def _resolve_project(self, raw: str, key: ApiKey) -> int:
        if raw == "@current":
            project_id = key.scoped_teams[0] if key.scoped_teams else self.current_project
        else:
            try:
                project_id = int(raw)
            except ValueError:
                raise not_found("Project not found.") from None
        check_project(key, project_id)
        if project_id not in self.projects:
            raise not_found("Project not found.")
        return project_id


def _echo_key(fault: Fault, request: Request) -> Result:
    """An answer that carries the request's key back (see ``faults.py``)."""
    found = find_key(request.headers, request.get_data(cache=True), request.args)
    key = found[0] if found is not None else ""
    status = fault.status or 401
    if 300 <= status < 400:
        # Same origin, so a client follows it and shows the URL wherever it logs URLs.
        location = f"{request.host_url.rstrip('/')}{request.path}?token={key}"
        return status, b"", {"Location": location, "Content-Type": "text/html"}
    if status < 300 or status >= 500:
        page = f"<html><body><h1>Error</h1><p>Bad token {key}</p></body></html>".encode()
        return status, page, {"Content-Type": "text/html"}
    body = {
        "type": f"invalid_request {key}",
        "code": f"bad_key_{key}",
        "detail": f"The key {key} is not valid here.",
        "attr": key,
    }
    return status, dumps(body), {}


def _foreign_next(payload: bytes, foreign_host: str) -> bytes:
    try:
        body = json.loads(payload)
    except ValueError:
        return payload
    if isinstance(body, dict) and body.get("next"):
        _, _, rest = body["next"].partition("//")
        body["next"] = foreign_host + "/" + rest.partition("/")[2]
    return dumps(body)
