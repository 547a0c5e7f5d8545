"""In-memory REST state of one project: a table per resource, server-set fields, references.

Rows are stored in their full (retrieve) shape. Lists project them onto the list fields, so no
request deep-copies the state. A table caches its ordered row list until the next write, so paging
a 50,000-row table does not sort it on every request.
"""

from __future__ import annotations

import datetime as dt
import functools
import pickle
import random
import re
import string
import threading
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any

from .errors import ApiError, not_found
from .fields import format_datetime, validate_input
from .resources import RESOURCES, ResourceDef

__all__ = ["ProjectState", "Table", "user_basic"]

Row = dict[str, Any]

DEMO_USER_ID = 1
DEMO_USER_UUID = "0192c9a4-0000-7000-8000-000000000001"


def user_basic(user_id: int = DEMO_USER_ID) -> dict[str, Any]:
    """The UserBasic object PostHog embeds as ``created_by``."""
    return {
        "id": user_id,
        "uuid": DEMO_USER_UUID,
        "distinct_id": "demo-user",
        "first_name": "Demo",
        "last_name": "User",
        "email": "demo@posthog.local",
        "is_email_verified": True,
        "hedgehog_config": None,
        "role_at_organization": "engineering",
    }


def _now() -> str:
    return format_datetime(dt.datetime.now(dt.timezone.utc))


def _sort_key(value: Any) -> tuple[int, Any]:
    # None sorts last ascending (first descending), as Postgres does; mixed types never compare.
    if value is None:
        return (2, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, str(value).lower())


def _row_key(name: str, row: Row) -> tuple[int, Any]:
    return _sort_key(row.get(name))


class Table:
    """The rows of one resource in one project."""

    def __init__(self, definition: ResourceDef) -> None:
        self.definition = definition
        self.rows: dict[str, Row] = {}
        self.version = 0
        self._ordered: tuple[int, list[Row]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.definition.name, "rows": self.rows, "version": self.version}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.definition = RESOURCES[state["name"]]
        self.rows = state["rows"]
        self.version = state["version"]
        self._ordered = None

    def touch(self) -> None:
        self.version += 1

    def ordered(self) -> list[Row]:
        """All rows (deleted ones too) in the resource's ordering, then by id."""
        cached = self._ordered
        if cached is not None and cached[0] == self.version:
            return cached[1]
        rows = list(self.rows.values())
        rows.sort(key=lambda r: _sort_key(r.get("id")))
        for key in reversed(self.definition.ordering):
            name = key.lstrip("-")
            rows.sort(key=functools.partial(_row_key, name), reverse=key.startswith("-"))
        self._ordered = (self.version, rows)
        return rows

    def find(self, key: str) -> Row | None:
        d = self.definition
        if d.lookup == "id":
            if d.id_type == "uuid":
                try:
                    key = str(uuid.UUID(key))
                except ValueError:
                    return None
            return self.rows.get(key)
        for row in self.rows.values():
            if str(row.get(d.lookup)) == key:
                return row
        return None


QUERY_TIERS = ("default", "api-queries")


class ProjectSettings:
    """What PostHog keeps on the team and the emulator honours: the timezone and first day of
    the week HogQL answers in (``/api/projects/{id}/`` reports both), and the query tier that
    picks ``/query/``'s throttles (``default``: 120 HogQL queries an hour per key;
    ``api-queries``: 240 a minute, 2,400 an hour and a concurrency limit)."""

    def __init__(self, timezone: str, week_start_day: int, query_tier: str) -> None:
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {timezone!r}; use an IANA name such as 'Europe/Berlin'"
            ) from None
        if week_start_day not in (0, 1):
            raise ValueError("week_start_day is 0 (Sunday) or 1 (Monday), as in PostHog")
        if query_tier not in QUERY_TIERS:
            raise ValueError(f"query_tier is one of {', '.join(QUERY_TIERS)}")
        self.timezone = timezone
        self.week_start_day = week_start_day
        self.query_tier = query_tier


class ProjectState:
    """REST state of one project, with the server-side rules PostHog applies on writes."""

    def __init__(
        self,
        project_id: int,
        *,
        seed: int = 0,
        timezone: str = "UTC",
        week_start_day: int = 0,
        query_tier: str = "default",
    ) -> None:
        self.project_id = project_id
        self.settings = ProjectSettings(timezone, week_start_day, query_tier)
        self.lock = threading.RLock()
        self.tables: dict[str, Table] = {name: Table(d) for name, d in RESOURCES.items()}
        self.next_int_id = 1
        self.rng = random.Random(seed)
        self._events: Any = None

    # -- snapshots -------------------------------------------------------------------------
    def snapshot(self) -> bytes:
        with self.lock:
            return pickle.dumps((self.tables, self.next_int_id, self.rng.getstate()))

    def restore(self, snapshot: bytes) -> None:
        tables, next_id, rng_state = pickle.loads(snapshot)
        with self.lock:
            self.tables = tables
            self.next_int_id = next_id
            self.rng.setstate(rng_state)

    @property
    def events(self) -> Any:
        """The project's EventStore (``eventstore.py``), empty until events are added."""
        if self._events is None:
            from .eventstore import EventStore

            self._events = EventStore()
        return self._events

    @events.setter
    def events(self, store: Any) -> None:
        self._events = store

    # -- reads -----------------------------------------------------------------------------
    def table(self, name: str) -> Table:
        return self.tables[name]

    def get(self, name: str, key: str, *, include_deleted: bool = False) -> Row:
        row = self.tables[name].find(key)
        if row is None or (row.get("deleted") and not include_deleted):
            raise not_found()
        return row

    # -- writes ----------------------------------------------------------------------------
    def create(
        self, name: str, data: Any, *, user_id: int = DEMO_USER_ID, trusted: bool = False
    ) -> Row:
        """Validate ``data`` and add a row with PostHog's server-set fields.

        ``trusted`` (demo and bulk data) also accepts read-only fields from ``data``.
        """
        d = RESOURCES[name]
        clean = validate_input(d.fields, data, partial=False)
        if d.validate:
            d.validate(clean)
        with self.lock:
            table = self.tables[name]
            if d.lookup != "id" and table.find(str(clean.get(d.lookup))) is not None:
                raise ApiError(
                    400,
                    "validation_error",
                    "unique",
                    f"An endpoint named {clean[d.lookup]!r} already exists.",
                    attr=d.lookup,
                )
            row: Row = {f.name: f.default() for f in d.fields if not f.write_only}
            now = _now()
            for auto in (
                "created_at",
                "updated_at",
                "last_modified_at",
                "last_updated_at",
                "first_seen",
                "started_at",
                "last_calculated_at",
            ):
                if auto in row:
                    row[auto] = now
            for who in ("created_by", "last_modified_by"):
                if who in row and d.field(who) and d.field(who).type == "user":  # type: ignore[union-attr]
                    row[who] = user_basic(user_id)
            for team in ("team_id", "team"):
                if team in row:
                    row[team] = self.project_id
            if d.id_type == "int":
                row["id"] = self.next_int_id
                self.next_int_id += 1
            elif d.id_type == "uuid":
                row["id"] = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            row.update({k: v for k, v in clean.items() if k in row})
            if trusted and isinstance(data, dict):
                row.update({k: v for k, v in data.items() if k in row})
            _CREATE_HOOKS.get(name, _no_hook)(self, row, clean)
            _derive(self, name, row)
            table.rows[str(row["id"])] = row
            table.touch()
            return row

    def update(
        self, name: str, key: str, data: Any, *, partial: bool, user_id: int = DEMO_USER_ID
    ) -> Row:
        d = RESOURCES[name]
        with self.lock:
            row = self.tables[name].find(key)
            undelete = isinstance(data, dict) and data == {"deleted": False}
            if row is None or (row.get("deleted") and not d.retrieve_deleted and not undelete):
                raise not_found()
            clean = validate_input(d.fields, data, partial=partial)
            if d.validate:
                d.validate(clean)
            if "name" in clean and d.lookup == "name" and clean["name"] != row["name"]:
                other = self.tables[name].find(str(clean["name"]))
                if other is not None:
                    raise ApiError(
                        400,
                        "validation_error",
                        "unique",
                        f"An endpoint named {clean['name']!r} already exists.",
                        attr="name",
                    )
            for k, v in clean.items():
                if k in row:
                    row[k] = v
            if name == "hog_functions" and clean.get("deleted"):
                row["_deleted"] = True  # write-only on HogFunction, yet it hides the row
            now = _now()
            for auto in ("updated_at", "last_modified_at", "last_updated_at"):
                if auto in row:
                    row[auto] = now
            if "last_modified_by" in row:
                row["last_modified_by"] = user_basic(user_id)
            if "version" in row and name in ("feature_flags", "notebooks"):
                row["version"] = int(row.get("version") or 0) + 1
            _derive(self, name, row)
            self.tables[name].touch()
            return row

    def delete(self, name: str, key: str) -> None:
        with self.lock:
            table = self.tables[name]
            row = table.find(key)
            if row is None or row.get("deleted"):
                raise not_found()
            del table.rows[str(row["id"])]
            table.touch()

    def flag_by_key(self, key: str) -> Row | None:
        for row in self.tables["feature_flags"].rows.values():
            if row["key"] == key and not row.get("deleted"):
                return row
        return None

    def short_id(self) -> str:
        return "".join(self.rng.choices(string.ascii_letters + string.digits, k=8))


def is_hidden(row: Row) -> bool:
    """Soft-deleted rows leave list results."""
    return bool(row.get("deleted") or row.get("_deleted"))


def minimal_flag(flag: Row, project_id: int) -> dict[str, Any]:
    """PostHog's MinimalFeatureFlag, embedded in experiments, surveys and early access features."""
    keys = (
        "id",
        "team_id",
        "name",
        "key",
        "filters",
        "deleted",
        "active",
        "ensure_experience_continuity",
        "has_encrypted_payloads",
        "version",
        "evaluation_runtime",
    )
    out = {k: flag.get(k) for k in keys}
    out["team_id"] = project_id
    out["evaluation_tags"] = []
    return out


def _no_hook(state: ProjectState, row: Row, clean: Row) -> None:
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "feature"


def _ensure_flag(state: ProjectState, key: str, name: str) -> Row:
    flag = state.flag_by_key(key)
    if flag is None:
        flag = state.create("feature_flags", {"key": key, "name": name})
    return flag


def _create_experiment(state: ProjectState, row: Row, clean: Row) -> None:
    # PostHog creates the experiment's flag when no flag with that key exists.
    flag = _ensure_flag(state, row["feature_flag_key"], f"Feature flag for {row['name']}")
    flag.setdefault("experiment_set", [])
    flag["experiment_set"] = [*flag["experiment_set"], row["id"]]
    state.tables["feature_flags"].touch()
    row["feature_flag"] = minimal_flag(flag, state.project_id)


def _create_early_access(state: ProjectState, row: Row, clean: Row) -> None:
    flag_id = clean.get("feature_flag_id")
    flag = state.tables["feature_flags"].find(str(flag_id)) if flag_id is not None else None
    if flag is None:
        flag = _ensure_flag(state, _slug(row["name"]), row["name"])
    flag["features"] = [*flag.get("features", []), {"id": row["id"], "name": row["name"]}]
    state.tables["feature_flags"].touch()
    row["feature_flag"] = minimal_flag(flag, state.project_id)


def _create_survey(state: ProjectState, row: Row, clean: Row) -> None:
    linked = row.get("linked_flag_id")
    flag = state.tables["feature_flags"].find(str(linked)) if linked is not None else None
    row["linked_flag"] = minimal_flag(flag, state.project_id) if flag else None
    if flag is not None:
        row["feature_flag_keys"] = [{"key": "linked_flag_key", "value": flag["key"]}]


def _create_desktop_recording(state: ProjectState, row: Row, clean: Row) -> None:
    row["created_by"] = DEMO_USER_ID
    row["sdk_upload_id"] = str(uuid.UUID(int=state.rng.getrandbits(128), version=4))


def _create_short_id(state: ProjectState, row: Row, clean: Row) -> None:
    row["short_id"] = state.short_id()


def _create_endpoint(state: ProjectState, row: Row, clean: Row) -> None:
    row["parameters"] = {}


_CREATE_HOOKS: dict[str, Callable[[ProjectState, Row, Row], None]] = {
    "experiments": _create_experiment,
    "early_access_features": _create_early_access,
    "surveys": _create_survey,
    "desktop_recordings": _create_desktop_recording,
    "insights": _create_short_id,
    "notebooks": _create_short_id,
    "endpoints": _create_endpoint,
}


def _derive(state: ProjectState, name: str, row: Row) -> None:
    """Fields PostHog computes from others on every write."""
    if name == "feature_flags":
        filters = row.get("filters") or {}
        groups = filters.get("groups") or []
        simple = (
            len(groups) == 1 and not groups[0].get("properties") and not filters.get("multivariate")
        )
        row["is_simple_flag"] = simple
        row["rollout_percentage"] = groups[0].get("rollout_percentage") if simple else None
    elif name == "endpoints":
        row["endpoint_path"] = f"/api/environments/{state.project_id}/endpoints/{row['name']}/run"
    elif name == "notebooks" and row.get("text_content") is None and row.get("content"):
        row["text_content"] = _text_of(row["content"])
    elif name == "session_recordings":
        row.setdefault("expiry_time", _now())


def _text_of(node: Any) -> str:
    if isinstance(node, dict):
        text = node.get("text")
        own = text if isinstance(text, str) else ""
        return own + " ".join(_text_of(c) for c in node.get("content") or [])
    if isinstance(node, list):
        return " ".join(_text_of(c) for c in node)
    return ""
