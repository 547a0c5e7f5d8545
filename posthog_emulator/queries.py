"""The HTTP layer of ``/query/``: HogQLQuery requests, async runs with polling, cancel, and
DatabaseSchemaQuery (answered by ``database_schema.py``).

Queries run on the project's ``EventStore``; ``system.*`` tables see snapshots of the REST state.
Async queries run on a background thread. ``hold()`` keeps new async queries pending until
``release()``, so tests can observe the 202 "still running" answer without timing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError, method_not_allowed, not_found, validation_error
from .fields import format_datetime

if TYPE_CHECKING:
    from .state import ProjectState

__all__ = ["QueryRequest", "QueryService"]

ASYNC_MODES = {"async", "force_async", "lazy_async", "async_except_on_cache_miss"}
REFRESH_MODES = ASYNC_MODES | {"blocking", "force_blocking", "force_cache"}
SYSTEM_TABLES = ("dashboards", "insights", "cohorts", "feature_flags", "experiments", "surveys")
# QueryStatusManager.STATUS_TTL_SECONDS (execute_async.py): a status lives 20 minutes after it
# was last stored (enqueued, picked up, completed).
STATUS_TTL_SECONDS = 20 * 60
# Fields of CachedHogQLQueryResponse beyond what the run itself fills (schema.py): the /query/
# endpoint answers with the cached variant.
NEXT_REFRESH_SECONDS = 60  # UNVERIFIED: PostHog's minimum client refresh interval for HogQL.


@dataclass(frozen=True)
class QueryRequest:
    """The parts of a QueryRequest body the emulator acts on."""

    text: str
    values: dict[str, Any] | None
    refresh: str
    client_id: str | None
    convert_to_project_timezone: bool
    modifiers: dict[str, Any]


@dataclass
class _Job:
    status: dict[str, Any]
    stored_at: float
    done: threading.Event = field(default_factory=threading.Event)


def system_tables(state: ProjectState) -> dict[str, list[dict[str, Any]]]:
    """The REST rows behind HogQL's ``system.*`` tables (deleted rows included: they have a
    ``deleted`` column there)."""
    with state.lock:
        tables = {}
        for name in SYSTEM_TABLES:
            rows = []
            for row in state.tables[name].rows.values():
                item = dict(row)
                item.setdefault("team_id", state.project_id)
                rows.append(item)
            tables[name] = rows
        return tables


class QueryService:
    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._gate = threading.Event()
        self._gate.set()
        self.received: list[QueryRequest] = []
        """Every HogQL query run since the last ``reset``, as received (text and ``values``):
        tests check what a client sent, not what it says it sent."""

    def _stamp(self, seconds: float = 0.0) -> str:
        moment = dt.datetime.fromtimestamp(self._now() + seconds, dt.timezone.utc)
        return format_datetime(moment)

    def hold(self) -> None:
        """Keep async queries pending until ``release()``."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def reset(self) -> None:
        self.release()
        with self._lock:
            self._jobs.clear()
            self.received = []

    @staticmethod
    def kind(body: Any, path_kind: str | None = None) -> str | None:
        """The body's query kind; a 400 for a body without a query, or whose kind is not the
        one the URL names (``/query/<Kind>/``)."""
        if not isinstance(body, dict):
            raise validation_error("Invalid data. Expected a dictionary.")
        query = body.get("query")
        if query is None:
            raise validation_error("This field is required.", code="required", attr="query")
        kind = query.get("kind") if isinstance(query, dict) else None
        if path_kind is not None and kind != path_kind:
            # QueryViewSet.create_with_kind
            raise validation_error("Query kind mismatch")
        return kind if isinstance(kind, str) else None

    def database_schema(self, state: ProjectState, body: dict[str, Any]) -> dict[str, Any]:
        """DatabaseSchemaQuery: recomputed on every call, with no cache and no async run."""
        from .database_schema import database_schema, parse_schema_request

        return database_schema(state.events, parse_schema_request(body["query"]))

    @staticmethod
    def parse(body: Any) -> QueryRequest:
        """What to run, from a QueryRequest body; a 400 for what PostHog's models refuse."""
        QueryService.kind(body)
        query = body.get("query")
        if not isinstance(query, dict) or query.get("kind") != "HogQLQuery":
            kind = query.get("kind") if isinstance(query, dict) else None
            # The emulator runs HogQL only; PostHog accepts many more kinds.
            raise validation_error(
                f"Query kind {kind!r} is not supported by the emulator; send a HogQLQuery "
                "or a DatabaseSchemaQuery.",
                attr="query",
            )
        text = query.get("query")
        if not isinstance(text, str) or not text.strip():
            raise validation_error("Field required", attr="query__query")
        values = query.get("values")
        if values is not None and not isinstance(values, dict):
            raise validation_error("Input should be a valid dictionary", attr="query__values")
        modifiers = query.get("modifiers") or {}
        if not isinstance(modifiers, dict):
            raise validation_error("Input should be a valid dictionary", attr="query__modifiers")
        convert = modifiers.get("convertToProjectTimezone")
        if convert is not None and not isinstance(convert, bool):
            raise validation_error(
                "Input should be a valid boolean", attr="query__modifiers__convertToProjectTimezone"
            )
        refresh = body.get("refresh") or ("async" if body.get("async") else "blocking")
        if refresh not in REFRESH_MODES:
            raise validation_error(
                f"Input should be one of {sorted(REFRESH_MODES)}", attr="refresh"
            )
        client_id = body.get("client_query_id")
        return QueryRequest(
            text,
            values,
            refresh,
            str(client_id) if client_id else None,
            # set_default_modifier_values: None means on.
            convert is not False,
            {**modifiers, "convertToProjectTimezone": convert is not False},
        )

    def run_sync(self, state: ProjectState, request: QueryRequest) -> dict[str, Any]:
        from .database_schema import project_fields
        from .eventstore import HogQLError
        from .hogql_check import check_hogql

        with self._lock:
            self.received.append(request)
        # PostHog parses and resolves before any database work: refuse what it refuses.
        refusal = check_hogql(request.text, project_fields(state.events.warehouse))
        if refusal is not None:
            raise ApiError(400, "validation_error", refusal.code, refusal.message)
        settings = state.settings
        timezone = settings.timezone if request.convert_to_project_timezone else "UTC"
        try:
            body: dict[str, Any] = state.events.run_hogql(
                request.text,
                request.values,
                system_tables=system_tables(state),
                allow_offset=False,
                timezone=timezone,
                week_start_day=settings.week_start_day,
                team_id=state.project_id,
            )
        except HogQLError as exc:
            raise ApiError(
                400,
                "validation_error",
                getattr(exc, "code", "invalid_input"),
                getattr(exc, "message", str(exc)),
            ) from None
        cache_key = hashlib.sha256(
            f"{state.project_id}:{request.text}:{request.values}:{timezone}".encode()
        ).hexdigest()
        body.update(
            modifiers=request.modifiers,
            timezone=settings.timezone,
            is_cached=False,
            cache_key=f"cache_{cache_key[:32]}",
            last_refresh=self._stamp(),
            next_allowed_client_refresh=self._stamp(NEXT_REFRESH_SECONDS),
            cache_target_age=None,
            calculation_trigger=None,
            query_metadata=None,
            resolved_date_range=None,
            resolved_compare_date_range=None,
            warnings=None,
        )
        return body

    def start_async(self, state: ProjectState, request: QueryRequest) -> dict[str, Any]:
        query_id = request.client_id or uuid.uuid4().hex
        status = {
            "id": query_id,
            "team_id": state.project_id,
            "complete": False,
            "error": False,
            "error_message": None,
            "results": None,
            "start_time": self._stamp(),
            "pickup_time": None,
            "end_time": None,
            "expiration_time": self._stamp(STATUS_TTL_SECONDS),
            "query_async": True,
            "query_progress": None,
            "task_id": uuid.uuid4().hex,
            "insight_id": None,
            "dashboard_id": None,
            "labels": None,
        }
        job = _Job(status, self._now())
        with self._lock:
            self._jobs[query_id] = job
        threading.Thread(target=self._run, args=(job, state, request), daemon=True).start()
        return dict(status)

    def _store(self, job: _Job, **changes: Any) -> None:
        job.status.update(changes, expiration_time=self._stamp(STATUS_TTL_SECONDS))
        job.stored_at = self._now()

    def _run(self, job: _Job, state: ProjectState, request: QueryRequest) -> None:
        self._gate.wait()
        if job.status.get("cancelled"):
            job.done.set()
            return
        self._store(job, pickup_time=self._stamp())
        try:
            result = self.run_sync(state, request)
        except ApiError as exc:
            self._store(job, error=True, error_message=exc.detail)
        except Exception:
            self._store(job, error=True, error_message=None)
        else:
            self._store(job, results=result)
        self._store(job, complete=True, end_time=self._stamp())
        job.done.set()

    def _live(self, project_id: int, query_id: str) -> _Job | None:
        with self._lock:
            job = self._jobs.get(query_id)
            if job is None or job.status["team_id"] != project_id:
                return None
            if self._now() - job.stored_at > STATUS_TTL_SECONDS:
                del self._jobs[query_id]
                return None
            return job

    def poll(self, project_id: int, query_id: str) -> tuple[int, dict[str, Any]]:
        job = self._live(project_id, query_id)
        if job is None or job.status.get("cancelled"):
            # QueryNotFoundError, a DRF NotFound.
            raise not_found(f"Query {query_id} not found for team {project_id}")
        status = {k: v for k, v in job.status.items() if k != "cancelled"}
        if not status["complete"]:
            return 202, {"query_status": status}
        if status["error"]:
            return (400 if status["error_message"] else 500), {"query_status": status}
        return 200, {"query_status": status}

    def cancel(self, project_id: int, query_id: str, dequeue_only: bool) -> dict[str, Any]:
        """execute_async.cancel_query: 200 with a message, also for an id it does not know."""
        job = self._live(project_id, query_id)
        if job is not None and job.status["complete"]:
            return {"message": "Query already complete"}
        if job is not None:
            job.status["cancelled"] = True
        with self._lock:
            self._jobs.pop(query_id, None)
        if dequeue_only:
            return {"message": "Only tried to dequeue, not cancelling query on clickhouse"}
        return {"message": "Cancelled query on clickhouse"}

    def handle(self, method: str, sub: str) -> None:
        if sub and "/" in sub:
            raise not_found("Endpoint not found.")
        if not sub and method != "POST":
            raise method_not_allowed(method)
        if sub and method not in ("GET", "DELETE") and not kind_route(method, sub):
            raise method_not_allowed(method)


_KIND_PATH = re.compile(r"^[A-Z][A-Za-z]*$")


def kind_route(method: str, sub: str) -> bool:
    """``POST /query/<Kind>/`` (QueryViewSet.create_with_kind, url_path ``[A-Z][A-Za-z]*``)."""
    return method == "POST" and bool(_KIND_PATH.match(sub))
