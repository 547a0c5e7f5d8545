"""Columns of the data, pipeline and people resources, and of those the schema lacks.

Batch exports, datasets, dataset items, desktop recordings, hog functions, persons and session
recordings follow their LIST item component in PostHog's OpenAPI schema (2025-11-19); events,
endpoints and error tracking issues are written from the API reference because the schema has no
list item for them (see ``deviations.py``).
"""

from __future__ import annotations

from posthog_dbapi.catalog.spec import Column
from posthog_dbapi.catalog.spec import ColumnType as T

# batch_exports: list item ?
BATCH_EXPORTS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column(
        "team_id",
        T.INTEGER,
        nullable=False,
        read_only=True,
        description="The team this belongs to.",
    ),
    Column(
        "name",
        T.STRING,
        nullable=False,
        required=True,
        description="A human-readable name for this BatchExport.",
    ),
    Column(
        "model",
        T.STRING,
        enum=("events", "persons", "sessions", ""),
        description="Which model this BatchExport is exporting.",
    ),
    Column(
        "destination",
        T.JSON,
        nullable=False,
        required=True,
        description="Serializer for an BatchExportDestination model.",
    ),
    Column(
        "interval",
        T.STRING,
        nullable=False,
        required=True,
        enum=("hour", "day", "week", "every 5 minutes"),
    ),
    Column(
        "paused",
        T.BOOLEAN,
        nullable=False,
        description="Whether this BatchExport is paused or not.",
    ),
    Column(
        "created_at",
        T.DATETIME,
        nullable=False,
        read_only=True,
        description="The timestamp at which this BatchExport was created.",
    ),
    Column(
        "last_updated_at",
        T.DATETIME,
        nullable=False,
        read_only=True,
        description="The timestamp at which this BatchExport was last updated.",
    ),
    Column(
        "last_paused_at",
        T.DATETIME,
        description="The timestamp at which this BatchExport was last paused.",
    ),
    Column(
        "start_at",
        T.DATETIME,
        description="Time before which any Batch Export runs won't be triggered.",
    ),
    Column(
        "end_at",
        T.DATETIME,
        description="Time after which any Batch Export runs won't be triggered.",
    ),
    Column("latest_runs", T.JSON, nullable=False, read_only=True),
    Column("hogql_query", T.STRING, nullable=False),
    Column(
        "schema",
        T.JSON,
        read_only=True,
        description="A schema of custom fields to select when exporting data.",
    ),
    Column("filters", T.JSON),
)

# datasets: list item ?
DATASETS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column("name", T.STRING, nullable=False, required=True, max_length=400),
    Column("description", T.STRING),
    Column("metadata", T.JSON),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("updated_at", T.DATETIME, read_only=True),
    Column("deleted", T.BOOLEAN),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("team", T.INTEGER, nullable=False, read_only=True),
)

# dataset_items: list item ?
DATASET_ITEMS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column("dataset", T.UUID, nullable=False, required=True),
    Column("input", T.JSON),
    Column("output", T.JSON),
    Column("metadata", T.JSON),
    Column("ref_trace_id", T.STRING, max_length=255),
    Column("ref_timestamp", T.DATETIME),
    Column("ref_source_id", T.STRING, max_length=255),
    Column("deleted", T.BOOLEAN),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("updated_at", T.DATETIME, read_only=True),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("team", T.INTEGER, nullable=False, read_only=True),
)

# desktop_recordings: list item ?
DESKTOP_RECORDINGS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column("team", T.INTEGER, nullable=False, read_only=True),
    Column("created_by", T.INTEGER, read_only=True),
    Column("sdk_upload_id", T.UUID, nullable=False, read_only=True),
    Column("recall_recording_id", T.UUID),
    Column(
        "platform",
        T.STRING,
        nullable=False,
        enum=("zoom", "teams", "meet", "desktop_audio", "slack"),
    ),
    Column("meeting_title", T.STRING, max_length=255),
    Column("meeting_url", T.STRING, max_length=200),
    Column("duration_seconds", T.INTEGER),
    Column(
        "status",
        T.STRING,
        nullable=False,
        enum=("recording", "uploading", "processing", "ready", "error"),
    ),
    Column("notes", T.STRING),
    Column("error_message", T.STRING),
    Column("video_url", T.STRING, max_length=200),
    Column("video_size_bytes", T.INTEGER),
    Column("participants", T.JSON, nullable=False, description="List of participant names"),
    Column("transcript_text", T.STRING, nullable=False, read_only=True),
    Column(
        "transcript_segments",
        T.JSON,
        nullable=False,
        description="Transcript segments with timestamps",
    ),
    Column("summary", T.STRING),
    Column(
        "extracted_tasks",
        T.JSON,
        nullable=False,
        description="AI-extracted tasks from transcript",
    ),
    Column("tasks_generated_at", T.DATETIME),
    Column("summary_generated_at", T.DATETIME),
    Column("started_at", T.DATETIME, nullable=False),
    Column("completed_at", T.DATETIME),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("updated_at", T.DATETIME, nullable=False, read_only=True),
)

# hog_functions: list item ?
HOG_FUNCTIONS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column("type", T.STRING),
    Column("name", T.STRING),
    Column("description", T.STRING, nullable=False),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("updated_at", T.DATETIME, nullable=False, read_only=True),
    Column("enabled", T.BOOLEAN, nullable=False),
    Column("hog", T.STRING, nullable=False),
    Column("filters", T.JSON),
    Column("icon_url", T.STRING),
    Column("template", T.JSON, nullable=False, read_only=True),
    Column("status", T.JSON, read_only=True),
    Column("execution_order", T.INTEGER),
)

# persons: list item ?
# The list item's id is the person uuid, though the schema says int (deviations.py).
PERSONS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column("name", T.STRING, nullable=False, read_only=True),
    Column("distinct_ids", T.JSON, nullable=False, read_only=True),
    Column("properties", T.JSON, nullable=False),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("uuid", T.UUID, nullable=False, read_only=True),
)

# session_recordings: list item ?
SESSION_RECORDINGS: tuple[Column, ...] = (
    Column("id", T.STRING, nullable=False, read_only=True),
    Column("distinct_id", T.STRING, read_only=True),
    Column("viewed", T.BOOLEAN, nullable=False, read_only=True),
    Column("viewers", T.JSON, nullable=False, read_only=True),
    Column("recording_duration", T.INTEGER, nullable=False, read_only=True),
    Column("active_seconds", T.INTEGER, read_only=True),
    Column("inactive_seconds", T.INTEGER, read_only=True),
    Column("start_time", T.DATETIME, read_only=True),
    Column("end_time", T.DATETIME, read_only=True),
    Column("click_count", T.INTEGER, read_only=True),
    Column("keypress_count", T.INTEGER, read_only=True),
    Column("mouse_activity_count", T.INTEGER, read_only=True),
    Column("console_log_count", T.INTEGER, read_only=True),
    Column("console_warn_count", T.INTEGER, read_only=True),
    Column("console_error_count", T.INTEGER, read_only=True),
    Column("start_url", T.STRING, read_only=True),
    Column("person", T.JSON, nullable=False),
    Column("storage", T.STRING, nullable=False, read_only=True),
    Column("retention_period_days", T.INTEGER, read_only=True),
    Column("expiry_time", T.STRING, nullable=False, read_only=True),
    Column("recording_ttl", T.STRING, nullable=False, read_only=True),
    Column("snapshot_source", T.STRING, read_only=True),
    Column("ongoing", T.BOOLEAN, nullable=False, read_only=True),
    Column("activity_score", T.FLOAT, read_only=True),
)

# The columns of HogQL's events table: what a keyset scan through the Query API selects.
EVENTS: tuple[Column, ...] = (
    Column("uuid", T.UUID, nullable=False, read_only=True),
    Column("event", T.STRING, nullable=False, read_only=True),
    Column("distinct_id", T.STRING, nullable=False, read_only=True),
    Column("properties", T.JSON, nullable=False, read_only=True),
    Column("timestamp", T.DATETIME, nullable=False, read_only=True),
    Column("person_id", T.UUID, nullable=False, read_only=True),
    Column("elements_chain", T.STRING, nullable=False, read_only=True),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column(
        "$session_id",
        T.STRING,
        read_only=True,
        description="The session the event belongs to (from the $session_id property).",
    ),
    Column("$window_id", T.STRING, read_only=True),
    *(
        Column(
            f"$group_{i}",
            T.STRING,
            read_only=True,
            description=f"The key of the event's group of type index {i} ('' when none).",
        )
        for i in range(5)
    ),
)

# HogQL-only tables (no REST path), as the Query API returns them: the fields of PostHog's
# `sessions` (v2) and `groups` users ask for (all of them: reference/posthog-source facts).
_SESSION_TEXT = (
    "$channel_type",
    "$entry_current_url",
    "$entry_pathname",
    "$entry_hostname",
    "$end_current_url",
    "$end_pathname",
    "$exit_current_url",
    "$exit_pathname",
)
_SESSION_ENTRY = ("referring_domain", "utm_source", "utm_campaign", "utm_medium", "utm_term",
                  "utm_content", "gclid", "fbclid")  # fmt: skip
SESSIONS: tuple[Column, ...] = (
    Column("session_id", T.STRING, nullable=False, read_only=True),
    Column("distinct_id", T.STRING, nullable=False, read_only=True),
    Column("$start_timestamp", T.DATETIME, nullable=False, read_only=True),
    Column("$end_timestamp", T.DATETIME, nullable=False, read_only=True),
    Column(
        "$session_duration",
        T.INTEGER,
        nullable=False,
        read_only=True,
        description="Seconds between the first and the last event of the session.",
    ),
    *(Column(name, T.STRING, read_only=True) for name in _SESSION_TEXT),
    Column("$num_uniq_urls", T.INTEGER, read_only=True),
    *(Column(f"$entry_{name}", T.STRING, read_only=True) for name in _SESSION_ENTRY),
    Column("$pageview_count", T.INTEGER, nullable=False, read_only=True),
    Column("$autocapture_count", T.INTEGER, nullable=False, read_only=True),
    Column("$screen_count", T.INTEGER, nullable=False, read_only=True),
    Column(
        "$is_bounce",
        T.INTEGER,
        nullable=False,
        read_only=True,
        description="1 when the session bounced, else 0.",
    ),
)

GROUPS: tuple[Column, ...] = (
    Column(
        "index",
        T.INTEGER,
        nullable=False,
        read_only=True,
        description="The group type's index (0-4); events carry the key in $group_<index>.",
    ),
    Column("key", T.STRING, nullable=False, read_only=True),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("updated_at", T.DATETIME, read_only=True),
    Column("properties", T.JSON, read_only=True),
)

# HogQL's own `persons` (a subset of its 11 fields): what the translator reads when it is given
# no connection, and what the differential tests copy. A connection's `persons` is the REST
# resource above, which shares `id`, `created_at` and `properties` with it.
HOGQL_PERSONS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("properties", T.JSON, nullable=False, read_only=True),
    Column("is_identified", T.BOOLEAN, nullable=False, read_only=True),
)

PERSON_DISTINCT_IDS: tuple[Column, ...] = (
    Column("distinct_id", T.STRING, nullable=False, read_only=True),
    Column("person_id", T.UUID, nullable=False, read_only=True),
)

# The schema documents the list without a body; these follow _serialize_endpoint (the reference).
# UNVERIFIED: newer versions add display_name, current_version and versions.
ENDPOINTS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column(
        "name",
        T.STRING,
        nullable=False,
        required=True,
        max_length=128,
        description="URL-safe name for the endpoint: letters, digits, _ and -.",
    ),
    Column("description", T.STRING),
    Column(
        "query",
        T.JSON,
        nullable=False,
        required=True,
        description="The HogQLQuery (or insight query) the endpoint runs.",
    ),
    Column("parameters", T.JSON, read_only=True),
    Column("is_active", T.BOOLEAN, nullable=False),
    Column("cache_age_seconds", T.FLOAT),
    Column("endpoint_path", T.STRING, nullable=False, read_only=True),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("updated_at", T.DATETIME, read_only=True),
    Column("created_by", T.JSON, read_only=True),
    Column(
        "is_materialized",
        T.BOOLEAN,
        description="Whether this endpoint's query results are materialized to S3",
    ),
    Column("materialization", T.JSON, read_only=True),
)

# Issues are absent from the 2025-11 schema; these follow the generated ErrorTrackingIssueFullApi
# of mid-2026 clients (the reference). UNVERIFIED: PATCH accepts only active|resolved|suppressed.
ERROR_TRACKING: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column(
        "status",
        T.STRING,
        nullable=False,
        enum=("archived", "active", "resolved", "pending_release", "suppressed"),
    ),
    Column("name", T.STRING),
    Column("description", T.STRING),
    Column("first_seen", T.DATETIME, nullable=False, read_only=True),
    Column(
        "assignee", T.JSON, description="{id, type}: the user or role the issue is assigned to."
    ),
    Column("external_issues", T.JSON, read_only=True),
    Column("cohort", T.JSON, read_only=True),
)
