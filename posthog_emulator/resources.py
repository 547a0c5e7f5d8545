"""The emulator's own definitions of PostHog's REST resources.

Each ``ResourceDef`` holds what the emulator needs to serve one resource: its path, scope, id and
lookup, pagination, delete behaviour, ordering, list filters and fields. This module owns the
definitions and the list filters; the field tables are in ``fields_product.py`` (product
resources) and ``fields_data.py`` (data and pipeline resources), in the syntax of ``fields.py``.

This is deliberately independent of ``posthog_dbapi.catalog``: the emulator is a second
implementation of the API contract, so the two can be tested against each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import fields_data as data
from . import fields_product as product
from .errors import validation_error
from .fields import Field

__all__ = ["RESOURCES", "ResourceDef", "resource_for_path"]

Row = dict[str, Any]
Filter = Callable[[Row, str], bool]


@dataclass(frozen=True)
class ResourceDef:
    name: str
    path: str
    scope: str
    fields: tuple[Field, ...]
    list_component: str
    """PostHog's component name of a list item (``DashboardBasic``); the envelope is
    ``Paginated<list_component>List``."""
    detail_component: str
    id_type: Literal["int", "uuid", "str"] = "int"
    lookup: str = "id"
    pagination: Literal["offset", "plain", "has_next"] = "offset"
    delete: Literal["soft", "hard"] = "soft"
    ordering: tuple[str, ...] = ("-created_at",)
    """Sort keys, ``-`` for descending; the id is always the final tie-breaker."""
    filters: Mapping[str, Filter] = field(default_factory=dict)
    can_create: bool = True
    retrieve_deleted: bool = True
    """False where PostHog 404s on a soft-deleted object (dashboards)."""
    rate_category: Literal["crud", "analytics", "query"] = "crud"
    validate: Callable[[Row], None] | None = None
    """Extra checks on a create or update body after field validation."""

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def list_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.in_list and not f.write_only)

    @property
    def detail_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if not f.write_only)


def _icontains(*names: str) -> Filter:
    def check(row: Row, value: str) -> bool:
        needle = value.lower()
        return any(needle in str(row.get(n) or "").lower() for n in names)

    return check


def _equals(name: str) -> Filter:
    return lambda row, value: str(row.get(name)) == value


def _bool_param(name: str) -> Filter:
    return lambda row, value: bool(row.get(name)) == (value.lower() in ("true", "1", "yes"))


def _flag_active(row: Row, value: str) -> bool:
    if value == "STALE":
        # UNVERIFIED: PostHog's staleness rule (100% rollout, unchanged for 30 days); the
        # emulator treats fully rolled out active flags as stale.
        return bool(row.get("active")) and row.get("rollout_percentage") == 100
    return bool(row.get("active")) == (value.lower() == "true")


def _flag_type(row: Row, value: str) -> bool:
    filters = row.get("filters") or {}
    if value == "multivariant":
        return bool(filters.get("multivariate"))
    if value == "experiment":
        return bool(row.get("experiment_set"))
    if value == "boolean":
        return not filters.get("multivariate")
    return True


def _id_in(row: Row, value: str) -> bool:
    return str(row.get("id")) in {v.strip() for v in value.split(",")}


def _hog_type(row: Row, value: str) -> bool:
    return str(row.get("type")) in {v.strip() for v in value.split(",")}


ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")


def _validate_endpoint(row: Row) -> None:
    name = row.get("name")
    if name is not None and not ENDPOINT_NAME.match(str(name)):
        # PostHog raises a non-field ValidationError here, hence attr null.
        raise validation_error(
            "Endpoint name must be 1-128 characters of letters, digits, underscores or hyphens."
        )


def _resource(
    name: str,
    fields: tuple[Field, ...],
    component: str,
    detail_component: str | None = None,
    *,
    path: str | None = None,
    scope: str | None = None,
    **options: Any,
) -> ResourceDef:
    """A resource whose path is its name, whose scope is its name in the singular and whose
    detail component is its list component, unless told otherwise."""
    return ResourceDef(
        name,
        path or name,
        scope or name.removesuffix("s"),
        fields,
        component,
        detail_component or component,
        **options,
    )


def _created_by(row: Row, value: str) -> bool:
    return str((row.get("created_by") or {}).get("uuid")) == value


# fmt: off
RESOURCES: dict[str, ResourceDef] = {d.name: d for d in (
    _resource("batch_exports", data.BATCH_EXPORT, "BatchExport", id_type="uuid", delete="hard"),
    _resource("dashboards", product.DASHBOARD, "DashboardBasic", "Dashboard",
              ordering=("-pinned", "name"), retrieve_deleted=False,
              filters={"search": _icontains("name", "description")}),
    _resource("datasets", data.DATASET, "Dataset", id_type="uuid",
              filters={"search": _icontains("name", "description", "metadata"),
                       "id__in": _id_in}),
    _resource("dataset_items", data.DATASET_ITEM, "DatasetItem", scope="dataset",
              id_type="uuid", filters={"dataset": _equals("dataset")}),
    _resource("desktop_recordings", data.DESKTOP_RECORDING, "DesktopRecording", id_type="uuid",
              delete="hard"),
    _resource("error_tracking", product.ERROR_TRACKING_ISSUE, "ErrorTrackingIssue",
              path="error_tracking/issues", id_type="uuid", ordering=("-first_seen",),
              filters={"status": _equals("status")}),
    _resource("endpoints", product.ENDPOINT, "Endpoint", id_type="uuid", lookup="name",
              pagination="plain", delete="hard", validate=_validate_endpoint,
              rate_category="query", filters={"is_active": _bool_param("is_active")}),
    _resource("feature_flags", product.FEATURE_FLAG, "FeatureFlag",
              filters={"search": _icontains("key", "name"), "active": _flag_active,
                       "type": _flag_type}),
    _resource("insights", product.INSIGHT, "Insight", ordering=("order", "-last_modified_at"),
              filters={"short_id": _equals("short_id"), "saved": _bool_param("saved"),
                       "search": _icontains("name", "derived_name", "description")}),
    _resource("cohorts", product.COHORT, "Cohort"),
    _resource("annotations", product.ANNOTATION, "Annotation", ordering=("-date_marker",),
              filters={"search": _icontains("content")}),
    _resource("actions", product.ACTION, "Action"),
    _resource("experiments", product.EXPERIMENT, "Experiment"),
    _resource("surveys", product.SURVEY, "Survey", id_type="uuid", delete="hard",
              filters={"search": _icontains("name", "description")}),
    _resource("notebooks", product.NOTEBOOK, "NotebookMinimal", "Notebook", id_type="uuid",
              lookup="short_id", ordering=("-last_modified_at",),
              filters={"created_by": _created_by}),
    _resource("early_access_features", product.EARLY_ACCESS_FEATURE, "EarlyAccessFeature",
              path="early_access_feature", scope="early_access_feature", id_type="uuid",
              delete="hard"),
    _resource("hog_functions", data.HOG_FUNCTION, "HogFunctionMinimal", "HogFunction",
              id_type="uuid", ordering=("execution_order", "-created_at"),
              filters={"search": _icontains("name", "description"), "type": _hog_type,
                       "enabled": _bool_param("enabled")}),
    _resource("session_recordings", data.SESSION_RECORDING, "SessionRecording", id_type="str",
              pagination="has_next", delete="hard", can_create=False,
              ordering=("-start_time",), rate_category="analytics"),
)}
# fmt: on
"""Every REST resource the emulator serves from its own state, by name. ``persons`` and
``events`` are served from the project's ``EventStore`` (see ``app.py``)."""

_BY_PATH = sorted(RESOURCES.values(), key=lambda d: -len(d.path))


def resource_for_path(rest: str) -> tuple[ResourceDef, str] | None:
    """Split ``"error_tracking/issues/<id>"`` into the resource and what follows its path."""
    for d in _BY_PATH:
        if rest == d.path:
            return d, ""
        if rest.startswith(d.path + "/"):
            return d, rest[len(d.path) + 1 :]
    return None
