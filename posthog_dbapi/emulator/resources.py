"""The emulator's own definitions of PostHog's REST resources.

Each ``ResourceDef`` holds what the emulator needs to serve one resource: its path, scope, id and
lookup, pagination, delete behaviour, ordering, list filters and fields (see ``fields.py`` for the
field table syntax). Field names, types, read-only flags and enums follow PostHog's serializers as
published in its OpenAPI schema; defaults are what a freshly created object carries.

This is deliberately independent of ``posthog_dbapi.catalog``: the emulator is a second
implementation of the API contract, so the two can be tested against each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import validation_error
from .fields import Field, parse_fields

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


# Who "created" rows; the emulator has one user per key, see state.user_basic().
_DASHBOARD = parse_fields(
    """
    id                            int        ro
    name                          str?       max=400
    description                   str
    pinned                        bool
    created_at                    datetime   ro
    created_by                    user       ro
    last_accessed_at              datetime?
    last_viewed_at                datetime?  ro
    is_shared                     bool       ro
    deleted                       bool
    creation_mode                 str        ro enum=default|template|duplicate|unlisted ="default"
    filters                       obj        ro detail
    variables                     obj?       ro detail ={}
    breakdown_colors              json       detail =[]
    data_color_theme_id           int?       detail
    tags                          list
    restriction_level             int        enum=21|37 =21
    effective_restriction_level   int        ro enum=21|37 =21
    effective_privilege_level     int        ro enum=21|37 =37
    user_access_level             str?       ro ="editor"
    access_control_version        str        ro ="v2"
    last_refresh                  datetime?
    persisted_filters             obj?       ro detail ={}
    persisted_variables           obj?       ro detail ={}
    team_id                       int        ro
    tiles                         list?      ro detail =[]
    use_template                  str        wo detail
    use_dashboard                 int?       wo detail
    delete_insights               bool       wo detail
    """
)

_BATCH_EXPORT = parse_fields(
    """
    id                 uuid       ro
    team_id            int        ro
    name               str        req
    model              str?       enum=events|persons|sessions|"" ="events"
    destination        obj        req
    interval           str        req enum='hour|day|week|every 5 minutes'
    paused             bool
    created_at         datetime   ro
    last_updated_at    datetime   ro
    last_paused_at     datetime?
    start_at           datetime?
    end_at             datetime?
    latest_runs        list       ro
    hogql_query        str
    schema             json       ro
    filters            json
    """
)

_DATASET = parse_fields(
    """
    id           uuid       ro
    name         str        req max=400
    description  str?
    metadata     json
    created_at   datetime   ro
    updated_at   datetime?  ro
    deleted      bool?      =false
    created_by   user       ro
    team         int        ro
    """
)

_DATASET_ITEM = parse_fields(
    """
    id             uuid       ro
    dataset        uuid       req
    input          json
    output         json
    metadata       json
    ref_trace_id   str?       max=255
    ref_timestamp  datetime?
    ref_source_id  str?       max=255
    deleted        bool?      =false
    created_at     datetime   ro
    updated_at     datetime?  ro
    created_by     user       ro
    team           int        ro
    """
)

_DESKTOP_RECORDING = parse_fields(
    """
    id                    uuid       ro
    team                  int        ro
    created_by            int?       ro
    sdk_upload_id         uuid       ro
    recall_recording_id   uuid?
    platform              str        enum=zoom|teams|meet|desktop_audio|slack ="desktop_audio"
    meeting_title         str?       max=255
    meeting_url           str?       max=200
    duration_seconds      int?
    status                str        enum=recording|uploading|processing|ready|error ="recording"
    notes                 str?
    error_message         str?
    video_url             str?       max=200
    video_size_bytes      int?
    participants          list
    transcript_text       str        ro
    transcript_segments   list
    summary               str?
    extracted_tasks       list
    tasks_generated_at    datetime?
    summary_generated_at  datetime?
    started_at            datetime
    completed_at          datetime?
    created_at            datetime   ro
    updated_at            datetime   ro
    """
)

_FEATURE_FLAG = parse_fields(
    """
    id                            int        ro
    name                          str
    key                           str        req max=400
    filters                       obj        \
        ={"groups": [{"properties": [], "rollout_percentage": 0}]}
    deleted                       bool
    active                        bool       =true
    created_by                    user       ro
    created_at                    datetime
    updated_at                    datetime?  ro
    version                       int        =1
    last_modified_by              user       ro
    is_simple_flag                bool       ro
    rollout_percentage            int?       ro
    ensure_experience_continuity  bool?      =false
    experiment_set                list       ro
    surveys                       list       ro
    features                      list       ro
    rollback_conditions           json
    performed_rollback            bool?      =false
    can_edit                      bool       ro =true
    tags                          list
    evaluation_tags               list       wo
    usage_dashboard               int?       ro
    analytics_dashboards          list
    has_enriched_analytics        bool?      =false
    user_access_level             str?       ro ="editor"
    creation_context              str        wo enum=@creation_context ="feature_flags"
    is_remote_configuration       bool?      =false
    has_encrypted_payloads        bool?      =false
    status                        str        ro ="ACTIVE"
    evaluation_runtime            str?       enum=server|client|all|"" ="all"
    last_called_at                datetime?
    """,
    {
        "creation_context": (
            "feature_flags",
            "experiments",
            "surveys",
            "early_access_features",
            "web_experiments",
        )
    },
)

_INSIGHT = parse_fields(
    """
    id                            int        ro
    short_id                      str        ro
    name                          str?       max=400
    derived_name                  str?       max=400
    query                         obj?
    order                         int?
    deleted                       bool
    dashboards                    list
    dashboard_tiles               list       ro
    last_refresh                  datetime?  ro
    cache_target_age              str?       ro
    next_allowed_client_refresh   datetime?  ro
    result                        json       ro
    hasMore                       bool?      ro
    columns                       list?      ro
    created_at                    datetime?  ro
    created_by                    user       ro
    description                   str?       max=400
    updated_at                    datetime   ro
    tags                          list
    favorited                     bool
    last_modified_at              datetime   ro
    last_modified_by              user       ro
    is_sample                     bool       ro
    effective_restriction_level   int        ro enum=21|37 =21
    effective_privilege_level     int        ro enum=21|37 =37
    user_access_level             str?       ro ="editor"
    timezone                      str        ro ="UTC"
    is_cached                     bool       ro
    query_status                  obj?       ro
    hogql                         str?       ro
    types                         list?      ro
    alerts                        list       ro
    last_viewed_at                datetime?  ro
    """
)

_COHORT = parse_fields(
    """
    id                   int        ro
    name                 str?       max=400
    description          str        max=1000
    groups               json       =[]
    deleted              bool
    filters              json
    query                json
    is_calculating       bool       ro
    created_by           user       ro
    created_at           datetime?  ro
    last_calculation     datetime?  ro
    errors_calculating   int        ro
    count                int?       ro
    is_static            bool
    cohort_type          str?       enum=static|person_property|behavioral|realtime|analytical|""
    experiment_set       list       ro
    """
)

_ANNOTATION = parse_fields(
    """
    id                     int        ro
    content                str?       max=400
    date_marker            datetime?
    creation_type          str        enum=USR|GIT ="USR"
    dashboard_item         int?
    dashboard_id           int?       ro
    dashboard_name         str?       ro
    insight_short_id       str?       ro
    insight_name           str?       ro
    insight_derived_name   str?       ro
    created_by             user       ro
    created_at             datetime?  ro
    updated_at             datetime   ro
    deleted                bool
    scope                  str        enum=@scope ="project"
    """,
    {"scope": ("dashboard_item", "dashboard", "project", "organization", "recording")},
)

_ACTION = parse_fields(
    """
    id                    int        ro
    name                  str?       max=400
    description           str
    tags                  list
    post_to_slack         bool
    slack_message_format  str        max=1200
    steps                 list
    created_at            datetime   ro
    created_by            user       ro
    deleted               bool
    is_calculating        bool       ro
    last_calculated_at    datetime
    team_id               int        ro
    is_action             bool       ro =true
    bytecode_error        str?       ro
    pinned_at             datetime?
    creation_context      str?       ro
    user_access_level     str?       ro ="editor"
    """
)

_EXPERIMENT = parse_fields(
    """
    id                               int        ro
    name                             str        req max=400
    description                      str?       max=400
    start_date                       datetime?
    end_date                         datetime?
    feature_flag_key                 str        req
    feature_flag                     obj        ro
    holdout                          obj?       ro
    holdout_id                       int?
    exposure_cohort                  int?       ro
    parameters                       json
    secondary_metrics                json
    saved_metrics                    list       ro
    saved_metrics_ids                list?
    filters                          json       ={}
    archived                         bool
    deleted                          bool?      =false
    created_by                       user       ro
    created_at                       datetime   ro
    updated_at                       datetime   ro
    type                             str?       enum=web|product|"" ="product"
    exposure_criteria                json
    metrics                          json       =[]
    metrics_secondary                json       =[]
    stats_config                     json
    conclusion                       str?       enum=won|lost|inconclusive|stopped_early|invalid|""
    conclusion_comment               str?
    primary_metrics_ordered_uuids    json
    secondary_metrics_ordered_uuids  json
    user_access_level                str?       ro ="editor"
    """
)

_SURVEY = parse_fields(
    """
    id                                uuid       ro
    name                              str        req max=400
    description                       str
    type                              str        req enum=popover|widget|external_survey|api
    schedule                          str?       ="once"
    linked_flag                       obj?       ro
    linked_flag_id                    int?
    targeting_flag                    obj?       ro
    internal_targeting_flag           obj?       ro
    questions                         json       =[]
    conditions                        obj?       ro
    appearance                        json
    created_at                        datetime   ro
    created_by                        user       ro
    start_date                        datetime?
    end_date                          datetime?
    archived                          bool
    responses_limit                   int?
    feature_flag_keys                 list       ro
    iteration_count                   int?
    iteration_frequency_days          int?
    iteration_start_dates             list?
    current_iteration                 int?
    current_iteration_start_date      datetime?
    response_sampling_start_date      datetime?
    response_sampling_interval_type   str?       enum=day|week|month|""
    response_sampling_interval        int?
    response_sampling_limit           int?
    response_sampling_daily_limits    json
    enable_partial_responses          bool?      =false
    user_access_level                 str?       ro ="editor"
    """
)

_NOTEBOOK = parse_fields(
    """
    id                  uuid       ro
    short_id            str        ro
    title               str?       max=256
    content             json       detail
    text_content        str?       detail
    version             int        detail
    deleted             bool
    created_at          datetime   ro
    created_by          user       ro
    last_modified_at    datetime   ro
    last_modified_by    user       ro
    user_access_level   str?       ro ="editor"
    """
)

_EARLY_ACCESS_FEATURE = parse_fields(
    """
    id                 uuid       ro
    feature_flag       obj?       ro
    feature_flag_id    int        wo
    name               str        req max=200
    description        str
    stage              str        req enum=draft|concept|alpha|beta|general-availability|archived
    documentation_url  str        max=800
    created_at         datetime   ro
    """
)

_HOG_FUNCTION = parse_fields(
    """
    id               uuid       ro
    type             str?       enum=@type ="destination"
    name             str?       max=400
    description      str
    created_at       datetime   ro
    created_by       user       ro
    updated_at       datetime   ro
    enabled          bool
    deleted          bool       wo
    hog              str
    bytecode         json       ro detail
    transpiled       str?       ro detail
    inputs_schema    list       detail
    inputs           obj        detail
    filters          obj        ={"source": "events", "events": [], "actions": [], "properties": []}
    masking          obj?       detail
    mappings         list?      detail
    icon_url         str?
    template         obj?       ro
    template_id      str?       wo max=400
    status           obj?       ro ={"state": 1, "tokens": 10000}
    execution_order  int?
    """,
    {
        "type": (
            "destination",
            "site_destination",
            "internal_destination",
            "source_webhook",
            "site_app",
            "transformation",
        )
    },
)

_SESSION_RECORDING = parse_fields(
    """
    id                     str        ro
    distinct_id            str?       ro
    viewed                 bool       ro
    viewers                list       ro
    recording_duration     int        ro
    active_seconds         int?       ro
    inactive_seconds       int?       ro
    start_time             datetime?  ro
    end_time               datetime?  ro
    click_count            int?       ro
    keypress_count         int?       ro
    mouse_activity_count   int?       ro
    console_log_count      int?       ro
    console_warn_count     int?       ro
    console_error_count    int?       ro
    start_url              str?       ro
    person                 obj?
    storage                str        ro ="object_storage"
    retention_period_days  int?       ro =30
    expiry_time            str        ro
    recording_ttl          str        ro ="30"
    snapshot_source        str?       ro ="web"
    ongoing                bool       ro
    activity_score         num?       ro
    """
)

_ENDPOINT = parse_fields(
    """
    id                  uuid       ro
    name                str        req max=128
    description         str
    query               obj        req
    parameters          obj        ro
    is_active           bool       =true
    cache_age_seconds   int?
    endpoint_path       str        ro
    created_at          datetime   ro
    updated_at          datetime   ro
    created_by          user       ro
    is_materialized     bool
    materialization     obj        ro ={"can_materialize": true, "status": null}
    """
)

_ERROR_TRACKING_ISSUE = parse_fields(
    """
    id               uuid       ro
    status           str        enum=archived|active|resolved|pending_release|suppressed ="active"
    name             str?
    description      str?
    first_seen       datetime   ro
    assignee         obj?
    external_issues  list       ro
    cohort           obj?       ro
    """
)


def _defs() -> dict[str, ResourceDef]:
    defs = [
        ResourceDef(
            "batch_exports",
            "batch_exports",
            "batch_export",
            _BATCH_EXPORT,
            "BatchExport",
            "BatchExport",
            id_type="uuid",
            delete="hard",
        ),
        ResourceDef(
            "dashboards",
            "dashboards",
            "dashboard",
            _DASHBOARD,
            "DashboardBasic",
            "Dashboard",
            ordering=("-pinned", "name"),
            retrieve_deleted=False,
            filters={"search": _icontains("name", "description")},
        ),
        ResourceDef(
            "datasets",
            "datasets",
            "dataset",
            _DATASET,
            "Dataset",
            "Dataset",
            id_type="uuid",
            filters={"search": _icontains("name", "description", "metadata"), "id__in": _id_in},
        ),
        ResourceDef(
            "dataset_items",
            "dataset_items",
            "dataset",
            _DATASET_ITEM,
            "DatasetItem",
            "DatasetItem",
            id_type="uuid",
            filters={"dataset": _equals("dataset")},
        ),
        ResourceDef(
            "desktop_recordings",
            "desktop_recordings",
            "desktop_recording",
            _DESKTOP_RECORDING,
            "DesktopRecording",
            "DesktopRecording",
            id_type="uuid",
            delete="hard",
        ),
        ResourceDef(
            "error_tracking",
            "error_tracking/issues",
            "error_tracking",
            _ERROR_TRACKING_ISSUE,
            "ErrorTrackingIssue",
            "ErrorTrackingIssue",
            id_type="uuid",
            ordering=("-first_seen",),
            filters={"status": _equals("status")},
        ),
        ResourceDef(
            "endpoints",
            "endpoints",
            "endpoint",
            _ENDPOINT,
            "Endpoint",
            "Endpoint",
            id_type="uuid",
            lookup="name",
            pagination="plain",
            delete="hard",
            validate=_validate_endpoint,
            rate_category="query",
            filters={"is_active": _bool_param("is_active")},
        ),
        ResourceDef(
            "feature_flags",
            "feature_flags",
            "feature_flag",
            _FEATURE_FLAG,
            "FeatureFlag",
            "FeatureFlag",
            filters={
                "search": _icontains("key", "name"),
                "active": _flag_active,
                "type": _flag_type,
            },
        ),
        ResourceDef(
            "insights",
            "insights",
            "insight",
            _INSIGHT,
            "Insight",
            "Insight",
            ordering=("order", "-last_modified_at"),
            filters={
                "short_id": _equals("short_id"),
                "saved": _bool_param("saved"),
                "search": _icontains("name", "derived_name", "description"),
            },
        ),
        ResourceDef("cohorts", "cohorts", "cohort", _COHORT, "Cohort", "Cohort"),
        ResourceDef(
            "annotations",
            "annotations",
            "annotation",
            _ANNOTATION,
            "Annotation",
            "Annotation",
            ordering=("-date_marker",),
            filters={"search": _icontains("content")},
        ),
        ResourceDef("actions", "actions", "action", _ACTION, "Action", "Action"),
        ResourceDef(
            "experiments", "experiments", "experiment", _EXPERIMENT, "Experiment", "Experiment"
        ),
        ResourceDef(
            "surveys",
            "surveys",
            "survey",
            _SURVEY,
            "Survey",
            "Survey",
            id_type="uuid",
            delete="hard",
            filters={"search": _icontains("name", "description")},
        ),
        ResourceDef(
            "notebooks",
            "notebooks",
            "notebook",
            _NOTEBOOK,
            "NotebookMinimal",
            "Notebook",
            id_type="uuid",
            lookup="short_id",
            ordering=("-last_modified_at",),
            filters={"created_by": lambda r, v: str((r.get("created_by") or {}).get("uuid")) == v},
        ),
        ResourceDef(
            "early_access_features",
            "early_access_feature",
            "early_access_feature",
            _EARLY_ACCESS_FEATURE,
            "EarlyAccessFeature",
            "EarlyAccessFeature",
            id_type="uuid",
            delete="hard",
        ),
        ResourceDef(
            "hog_functions",
            "hog_functions",
            "hog_function",
            _HOG_FUNCTION,
            "HogFunctionMinimal",
            "HogFunction",
            id_type="uuid",
            ordering=("execution_order", "-created_at"),
            filters={
                "search": _icontains("name", "description"),
                "type": _hog_type,
                "enabled": _bool_param("enabled"),
            },
        ),
        ResourceDef(
            "session_recordings",
            "session_recordings",
            "session_recording",
            _SESSION_RECORDING,
            "SessionRecording",
            "SessionRecording",
            id_type="str",
            pagination="has_next",
            delete="hard",
            can_create=False,
            ordering=("-start_time",),
            rate_category="analytics",
        ),
    ]
    return {d.name: d for d in defs}


RESOURCES: dict[str, ResourceDef] = _defs()
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
