"""The HTTP layer of ``/query/``: HogQLQuery requests, async runs with polling, cancel.

Queries run on the project's ``EventStore``; ``system.*`` tables see snapshots of the REST state.
Async queries run on a background thread. ``hold()`` keeps new async queries pending until
``release()``, so tests can observe the 202 "still running" answer without timing.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError, method_not_allowed, not_found, validation_error
from .fields import format_datetime

if TYPE_CHECKING:
    from .state import ProjectState

__all__ = ["QueryService"]

ASYNC_MODES = {"async", "force_async", "lazy_async", "async_except_on_cache_miss"}
REFRESH_MODES = ASYNC_MODES | {"blocking", "force_blocking", "force_cache"}
SYSTEM_TABLES = ("dashboards", "insights", "cohorts", "feature_flags", "experiments", "surveys")


@dataclass
class _Job:
    status: dict[str, Any]
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


def _now() -> str:
    return format_datetime(dt.datetime.now(dt.timezone.utc))


class QueryService:
    def __init__(self) -> None:
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._gate = threading.Event()
        self._gate.set()

    def hold(self) -> None:
        """Keep async queries pending until ``release()``."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def reset(self) -> None:
        self.release()
        with self._lock:
            self._jobs.clear()

    @staticmethod
    def parse(body: Any) -> tuple[str, dict[str, Any] | None, str, str | None]:
        """(hogql, values, refresh, client_query_id) from a QueryRequest body."""
        if not isinstance(body, dict):
            raise validation_error("Invalid data. Expected a dictionary.")
        query = body.get("query")
        if query is None:
            raise validation_error("This field is required.", code="required", attr="query")
        if not isinstance(query, dict) or query.get("kind") != "HogQLQuery":
            kind = query.get("kind") if isinstance(query, dict) else None
            # The emulator runs HogQL only; PostHog accepts many more kinds.
            raise validation_error(
                f"Query kind {kind!r} is not supported by the emulator; send a HogQLQuery.",
                attr="query",
            )
        text = query.get("query")
        if not isinstance(text, str) or not text.strip():
            raise validation_error("Field required", attr="query__query")
        values = query.get("values")
        if values is not None and not isinstance(values, dict):
            raise validation_error("Input should be a valid dictionary", attr="query__values")
        refresh = body.get("refresh") or ("async" if body.get("async") else "blocking")
        if refresh not in REFRESH_MODES:
            raise validation_error(
                f"Input should be one of {sorted(REFRESH_MODES)}", attr="refresh"
            )
        client_id = body.get("client_query_id")
        return text, values, refresh, str(client_id) if client_id else None

    def run_sync(self, state: ProjectState, text: str, values: dict[str, Any] | None) -> Any:
        from .eventstore import HogQLError
        from .hogql_check import check_hogql

        # PostHog parses and resolves before any database work: refuse what it refuses.
        refusal = check_hogql(text)
        if refusal is not None:
            raise ApiError(400, "validation_error", refusal.code, refusal.message)
        try:
            return state.events.run_hogql(
                text, values, system_tables=system_tables(state), allow_offset=False
            )
        except HogQLError as exc:
            raise ApiError(
                400,
                "validation_error",
                getattr(exc, "code", "invalid_input"),
                getattr(exc, "message", str(exc)),
            ) from None

    def start_async(
        self, state: ProjectState, text: str, values: dict[str, Any] | None, client_id: str | None
    ) -> dict[str, Any]:
        query_id = client_id or uuid.uuid4().hex
        status = {
            "id": query_id,
            "team_id": state.project_id,
            "complete": False,
            "error": False,
            "error_message": None,
            "results": None,
            "start_time": _now(),
            "pickup_time": None,
            "end_time": None,
            "expiration_time": None,
            "query_async": True,
            "query_progress": None,
            "task_id": None,
            "insight_id": None,
            "dashboard_id": None,
            "labels": None,
        }
        job = _Job(status)
        with self._lock:
            self._jobs[query_id] = job
        threading.Thread(target=self._run, args=(job, state, text, values), daemon=True).start()
        return dict(status)

    def _run(
        self, job: _Job, state: ProjectState, text: str, values: dict[str, Any] | None
    ) -> None:
        self._gate.wait()
        job.status["pickup_time"] = _now()
        try:
            result = self.run_sync(state, text, values)
        except ApiError as exc:
            job.status.update(error=True, error_message=exc.detail)
        except Exception:
            job.status.update(error=True, error_message=None)
        else:
            if not job.status.get("cancelled"):
                job.status["results"] = result
        job.status.update(complete=True, end_time=_now())
        job.done.set()

    def poll(self, project_id: int, query_id: str) -> tuple[int, dict[str, Any]]:
        job = self._jobs.get(query_id)
        if job is None or job.status["team_id"] != project_id:
            raise not_found()
        status = {k: v for k, v in job.status.items() if k != "cancelled"}
        if not status["complete"]:
            return 202, {"query_status": status}
        if status["error"]:
            return (400 if status["error_message"] else 500), {"query_status": status}
        return 200, {"query_status": status}

    def cancel(self, project_id: int, query_id: str) -> dict[str, Any]:
        job = self._jobs.get(query_id)
        if job is None or job.status["team_id"] != project_id:
            raise not_found()
        job.status["cancelled"] = True
        job.status.update(complete=True, error=True, error_message="Query cancelled.")
        return {"message": "Query cancelled"}

    def handle(self, method: str, sub: str) -> None:
        if sub and "/" in sub:
            raise not_found("Endpoint not found.")
        if not sub and method != "POST":
            raise method_not_allowed(method)
        if sub and method not in ("GET", "DELETE"):
            raise method_not_allowed(method)
