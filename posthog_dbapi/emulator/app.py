"""The emulator's WSGI application: routing, auth, throttles, faults and the REST handlers.

Routes mirror PostHog's: every resource under both ``/api/projects/{id}/`` and
``/api/environments/{id}/``, optional trailing slash, ``@current``; plus the root routes a client
uses to find its project, and ``/api/schema/``. Handlers return ``(status, body, headers)``;
errors are raised as ``ApiError`` and rendered in one place.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from werkzeug.wrappers import Request

from .auth import ApiKey, KeyRing, check_project, check_scope, check_unscoped_endpoint, find_key
from .errors import (
    ApiError,
    EmptyResponse,
    endpoint_not_found,
    method_not_allowed,
    not_found,
    validation_error,
)
from .faults import AFTER_HANDLING_KINDS, Fault, FaultInjector, mangle
from .pagination import offset_page, page_params, page_url, persons_page
from .queries import QueryService
from .ratelimit import RateLimiter, SystemClock
from .resources import ResourceDef, resource_for_path
from .state import ProjectState, is_hidden, user_basic

__all__ = ["Emulator", "RequestRecord"]

Body = Any
Result = tuple[int, Body, dict[str, str]]

_PROJECT_ROUTE = re.compile(r"^/api/(projects|environments)/([^/]+)(?:/(.*?))?/?$")
_ORG_ID = "0192c9a4-0000-7000-8000-0000000000aa"
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


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
        self, *, api_key: str = "phx_demo", seed: int = 0, access_log: IO[str] | None = None
    ) -> None:
        self.keys = KeyRing()
        self.api_key = api_key
        self.keys.add(api_key)
        self.seed = seed
        self.projects: dict[int, ProjectState] = {}
        self.current_project = 1
        self.clock: Any = SystemClock()
        self.limits = RateLimiter(lambda: self.clock.now())
        self.faults = FaultInjector()
        self.request_log = RequestLog()
        self.queries = QueryService()
        self.access_log = access_log
        self._snapshots: dict[int, bytes] = {}
        self.add_project(1)

    # -- setup -----------------------------------------------------------------------------
    def add_key(
        self, key: str, scopes: Iterable[str] = ("*",), scoped_teams: Iterable[int] = ()
    ) -> ApiKey:
        return self.keys.add(key, scopes, scoped_teams)

    def add_project(self, project_id: int) -> ProjectState:
        """An empty project with its own REST state and an empty event store."""
        state = ProjectState(project_id, seed=self.seed + project_id)
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

    def reset(self) -> None:
        """Faults cleared, limits at defaults, log empty, REST state back to the snapshot."""
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
        start_response(_status_line(status), list(headers.items()))
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
        start_response(_status_line(status), list(headers.items()))
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
            return _error_result(ApiError(500, "server_error", "error", "A server error occurred."))
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
            return _error_result(err)
        if kind in ("500", "502", "503", "504"):
            status = fault.status or int(kind)
            if status == 500:
                return _error_result(
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
            status, body, headers = _error_result(exc)
            return status, body, headers
        except EmptyResponse as exc:
            return exc.status, b"", {}
        except Exception:
            import traceback

            traceback.print_exc(file=sys.stderr)
            return _error_result(ApiError(500, "server_error", "error", "A server error occurred."))
        if body is None:
            return status, b"", headers
        return status, body if isinstance(body, bytes) else _dumps(body), headers

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
            return 200, self._me(), {}
        if stripped == "/api/personal_api_keys/@current":
            return 200, _key_info(key), {}
        if stripped in ("/api/projects", "/api/environments"):
            check_unscoped_endpoint(key)
            check_scope(key, "project", write=False)
            items = [self._project_info(pid) for pid in sorted(self.projects)]
            limit, offset = page_params(request)
            return 200, offset_page(request, items, limit, offset), {}
        match = _PROJECT_ROUTE.match(path)
        if match is None:
            raise endpoint_not_found()
        project_id = self._resolve_project(match.group(2), key)
        rest = match.group(3) or ""
        state = self.projects[project_id]
        if not rest:
            check_scope(key, "project", write=method in _WRITE_METHODS)
            if method != "GET":
                raise method_not_allowed(method)
            return 200, self._project_info(project_id), {}
        key_hash = hashlib.sha256(key.value.encode()).hexdigest()
        head, _, sub = rest.partition("/")
        if head == "query":
            return self._query(request, state, key, key_hash, sub)
        if head == "persons":
            return self._persons(request, state, key, key_hash, sub)
        if head == "events":
            return self._events(request, state, key, key_hash, sub)
        found = resource_for_path(rest)
        if found is None:
            raise endpoint_not_found()
        definition, sub = found
        return self._resource(request, state, definition, key, key_hash, sub)

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

    # -- REST resources --------------------------------------------------------------------
    def _resource(
        self,
        request: Request,
        state: ProjectState,
        d: ResourceDef,
        key: ApiKey,
        key_hash: str,
        sub: str,
    ) -> Result:
        method = request.method
        if "/" in sub:
            raise endpoint_not_found()
        write = method in _WRITE_METHODS
        check_scope(key, d.scope, write)
        self.limits.hit(key_hash, d.rate_category)
        if not sub:
            if method == "GET":
                return 200, self._list(request, state, d), {}
            if method == "POST":
                if not d.can_create:
                    raise method_not_allowed(method)
                row = state.create(d.name, _json_body(request), user_id=key.user_id)
                body = _project_row(row, d.detail_fields)
                if d.name == "desktop_recordings":
                    # UNVERIFIED: a Recall.ai SDK upload token; the emulator makes one up.
                    body["upload_token"] = "emu_" + uuid.uuid4().hex
                return 201, body, {}
            raise method_not_allowed(method)
        if method == "GET":
            row = state.get(d.name, sub, include_deleted=d.retrieve_deleted)
            return 200, _project_row(row, d.detail_fields), {}
        if method in ("PUT", "PATCH"):
            row = state.update(
                d.name, sub, _json_body(request), partial=method == "PATCH", user_id=key.user_id
            )
            return 200, _project_row(row, d.detail_fields), {}
        if method == "DELETE":
            if d.delete == "soft":
                raise EmptyResponse(405)
            state.delete(d.name, sub)
            return 204, None, {}
        raise method_not_allowed(method)

    def _list(self, request: Request, state: ProjectState, d: ResourceDef) -> dict[str, Any]:
        rows = [r for r in state.table(d.name).ordered() if not is_hidden(r)]
        for param, check in d.filters.items():
            value = request.args.get(param)
            if value is not None and value != "":
                rows = [r for r in rows if check(r, value)]
        if d.name == "datasets" and request.args.get("order_by"):
            rows = _order_by(rows, request.args.get("order_by", ""))
        fields = d.list_fields

        def project(row: dict[str, Any]) -> dict[str, Any]:
            return _project_row(row, fields)

        if d.pagination == "plain":
            return {"results": [project(r) for r in rows]}
        limit, offset = page_params(request)
        if d.pagination == "has_next":
            page = rows[offset : offset + limit]
            return {
                "results": [project(r) for r in page],
                "has_next": offset + limit < len(rows),
                "version": 4,
            }
        return offset_page(request, rows, limit, offset, project)

    # -- persons and events (EventStore) ---------------------------------------------------
    def _persons(
        self, request: Request, state: ProjectState, key: ApiKey, key_hash: str, sub: str
    ) -> Result:
        method = request.method
        if "/" in sub:
            raise endpoint_not_found()
        check_scope(key, "person", method in _WRITE_METHODS)
        self.limits.hit(key_hash, "analytics")
        store = state.events
        if not sub:
            if method == "POST":
                # UNVERIFIED: the end of this message after "$identify event".
                raise method_not_allowed(
                    method,
                    "Creating persons via this API is not allowed. "
                    "Please create persons by sending an $identify event.",
                )
            if method != "GET":
                raise method_not_allowed(method)
            limit, offset = page_params(request)
            args = request.args
            results = store.list_persons(
                search=args.get("search") or None,
                distinct_id=args.get("distinct_id") or None,
                email=args.get("email") or None,
                limit=limit,
                offset=offset,
            )
            return 200, persons_page(request, results, limit, offset), {}
        if not (sub.isdigit() or _UUID.match(sub)):
            raise validation_error(
                "The ID provided does not look like a personID. If you are using a distinctId, "
                "please use /persons?distinct_id=... instead."
            )
        if method == "GET":
            person = store.get_person(sub)
            if person is None:
                raise not_found()
            return 200, person, {}
        if method in ("PUT", "PATCH"):
            body = _json_body(request)
            props = body.get("properties") if isinstance(body, dict) else None
            if props is None:
                raise validation_error(
                    "This field is required.", code="required", attr="properties"
                )
            if not isinstance(props, dict):
                raise validation_error(
                    f'Expected a dictionary of items but got type "{type(props).__name__}".',
                    code="not_a_dict",
                    attr="properties",
                )
            if not store.update_person_properties(sub, props):
                raise not_found()
            raise EmptyResponse(202)
        if method == "DELETE":
            if not store.delete_person(sub):
                raise not_found()
            raise EmptyResponse(202)
        raise method_not_allowed(method)

    def _events(
        self, request: Request, state: ProjectState, key: ApiKey, key_hash: str, sub: str
    ) -> Result:
        method = request.method
        if "/" in sub:
            raise endpoint_not_found()
        if method != "GET":
            raise method_not_allowed(method)
        check_scope(key, "query", write=False)
        self.limits.hit(key_hash, "analytics")
        store = state.events
        if sub:
            if not _UUID.match(sub):
                # A hand-built response in PostHog, without the usual attr key.
                return (
                    400,
                    {"detail": "Invalid UUID", "code": "invalid", "type": "validation_error"},
                    {},
                )
            event = store.get_event(sub)
            if event is None:
                raise not_found(f"No events exist for event UUID {sub}")
            return 200, event, {}
        args = request.args
        limit, _ = page_params(request, max_limit=1000)
        ascending = _ascending(args.get("orderBy"))
        try:
            rows = store.list_events(
                event=args.get("event") or None,
                distinct_id=args.get("distinct_id") or None,
                person_id=args.get("person_id") or None,
                after=args.get("after") or None,
                before=args.get("before") or None,
                limit=limit + 1,
                ascending=ascending,
            )
        except ValueError as exc:
            raise validation_error(str(exc)) from None
        next_url = None
        if len(rows) > limit:
            rows = rows[:limit]
            cursor = "after" if ascending else "before"
            next_url = page_url(request, **{cursor: rows[-1]["timestamp"]})
        return 200, {"next": next_url, "results": rows}, {}

    # -- query -----------------------------------------------------------------------------
    def _query(
        self, request: Request, state: ProjectState, key: ApiKey, key_hash: str, sub: str
    ) -> Result:
        method = request.method
        self.queries.handle(method, sub)
        check_scope(key, "query", write=False)
        self.limits.hit(key_hash, "query")
        if sub:
            if method == "DELETE":
                return 200, self.queries.cancel(state.project_id, sub), {}
            status, body = self.queries.poll(state.project_id, sub)
            return status, body, {}
        text, values, refresh, client_id = self.queries.parse(_json_body(request))
        if refresh in ("async", "force_async", "lazy_async", "async_except_on_cache_miss"):
            return (
                202,
                {"query_status": self.queries.start_async(state, text, values, client_id)},
                {},
            )
        self.limits.enter_query(key_hash)
        try:
            return 200, self.queries.run_sync(state, text, values), {}
        finally:
            self.limits.leave_query(key_hash)

    # -- root routes -----------------------------------------------------------------------
    def _project_info(self, project_id: int) -> dict[str, Any]:
        return {
            "id": project_id,
            "project_id": project_id,
            "uuid": str(uuid.UUID(int=project_id, version=4)),
            "organization": _ORG_ID,
            "api_token": f"phc_emulator{project_id:04d}",
            "name": f"Emulator project {project_id}",
            "completed_snippet_onboarding": True,
            "has_completed_onboarding_for": {},
            "ingested_event": True,
            "is_demo": False,
            "timezone": "UTC",
            "access_control": False,
        }

    def _me(self) -> dict[str, Any]:
        user = user_basic()
        team = self._project_info(self.current_project)
        return {
            **user,
            "date_joined": "2024-01-01T00:00:00Z",
            "is_staff": False,
            "team": team,
            "organization": {"id": _ORG_ID, "name": "Emulator org", "slug": "emulator"},
            "organizations": [
                {"id": _ORG_ID, "name": "Emulator org", "slug": "emulator", "membership_level": 15}
            ],
        }


def _key_info(key: ApiKey) -> dict[str, Any]:
    return {
        "id": hashlib.sha256(key.value.encode()).hexdigest()[:24],
        "label": key.label,
        "value": None,
        "mask_value": key.mask,
        "created_at": "2024-01-01T00:00:00Z",
        "last_used_at": None,
        "user_id": key.user_id,
        "scopes": list(key.scopes) or ["*"],
        "scoped_teams": list(key.scoped_teams),
        "scoped_organizations": [],
        "last_rolled_at": None,
    }


def _project_row(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: row.get(f) for f in fields}


def _json_body(request: Request) -> Any:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "invalid_request", "parse_error", f"JSON parse error - {exc}") from None


def _ascending(order_by: str | None) -> bool:
    if not order_by:
        return False
    try:
        keys = json.loads(order_by)
    except ValueError:
        return False
    return keys != ["-timestamp"]


def _order_by(rows: list[dict[str, Any]], spec: str) -> list[dict[str, Any]]:
    for key in reversed([k.strip() for k in spec.split(",") if k.strip()]):
        name = key.lstrip("-")
        if name in ("created_at", "updated_at"):
            field = name
            rows = sorted(rows, key=lambda r: str(r.get(field) or ""), reverse=key[0] == "-")
    return rows


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def _error_result(exc: ApiError) -> tuple[int, bytes, dict[str, str]]:
    return exc.status, _dumps(exc.body()), dict(exc.headers)


def _foreign_next(payload: bytes, foreign_host: str) -> bytes:
    try:
        body = json.loads(payload)
    except ValueError:
        return payload
    if isinstance(body, dict) and body.get("next"):
        _, _, rest = body["next"].partition("//")
        body["next"] = foreign_host + "/" + rest.partition("/")[2]
    return _dumps(body)


_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Unknown')}"
