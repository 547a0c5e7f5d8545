"""Columns of the product resources: dashboards, insights, flags, experiments, surveys and more.

Each tuple lists the fields of the resource's LIST item component in PostHog's OpenAPI schema
(2025-11-19), in the schema's order, typed; ``required`` comes from the create request
component. Write-only fields are left out (a scan never returns them).
"""

from __future__ import annotations

from posthog_dbapi.catalog.spec import Column
from posthog_dbapi.catalog.spec import ColumnType as T

# actions: list item ?
ACTIONS: tuple[Column, ...] = (
    Column("id", T.INTEGER, nullable=False, read_only=True),
    Column("name", T.STRING, max_length=400),
    Column("description", T.STRING, nullable=False),
    Column("tags", T.JSON, nullable=False),
    Column("post_to_slack", T.BOOLEAN, nullable=False),
    Column("slack_message_format", T.STRING, nullable=False, max_length=1200),
    Column("steps", T.JSON, nullable=False),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("deleted", T.BOOLEAN, nullable=False),
    Column("is_calculating", T.BOOLEAN, nullable=False, read_only=True),
    Column("last_calculated_at", T.DATETIME, nullable=False),
    Column("team_id", T.INTEGER, nullable=False, read_only=True),
    Column("is_action", T.BOOLEAN, nullable=False, read_only=True),
    Column("bytecode_error", T.STRING, read_only=True),
    Column("pinned_at", T.DATETIME),
    Column("creation_context", T.STRING, nullable=False, read_only=True),
    Column(
        "user_access_level",
        T.STRING,
        read_only=True,
        description="The effective access level the user has for this object",
    ),
)

# annotations: list item ?
ANNOTATIONS: tuple[Column, ...] = (
    Column("id", T.INTEGER, nullable=False, read_only=True),
    Column("content", T.STRING, max_length=400),
    Column("date_marker", T.DATETIME),
    Column("creation_type", T.STRING, nullable=False, enum=("USR", "GIT")),
    Column("dashboard_item", T.INTEGER),
    Column("dashboard_id", T.INTEGER, read_only=True),
    Column("dashboard_name", T.STRING, read_only=True),
    Column("insight_short_id", T.STRING, read_only=True),
    Column("insight_name", T.STRING, read_only=True),
    Column("insight_derived_name", T.STRING, read_only=True),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("created_at", T.DATETIME, read_only=True),
    Column("updated_at", T.DATETIME, nullable=False, read_only=True),
    Column("deleted", T.BOOLEAN, nullable=False),
    Column(
        "scope",
        T.STRING,
        nullable=False,
        enum=("dashboard_item", "dashboard", "project", "organization", "recording"),
    ),
)

# cohorts: list item ?
COHORTS: tuple[Column, ...] = (
    Column("id", T.INTEGER, nullable=False, read_only=True),
    Column("name", T.STRING, max_length=400),
    Column("description", T.STRING, nullable=False, max_length=1000),
    Column("groups", T.JSON, nullable=False),
    Column("deleted", T.BOOLEAN, nullable=False),
    Column("filters", T.JSON, description="Filters for the cohort."),
    Column("query", T.JSON),
    Column("is_calculating", T.BOOLEAN, nullable=False, read_only=True),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("created_at", T.DATETIME, read_only=True),
    Column("last_calculation", T.DATETIME, read_only=True),
    Column("errors_calculating", T.INTEGER, nullable=False, read_only=True),
    Column("count", T.INTEGER, read_only=True),
    Column("is_static", T.BOOLEAN, nullable=False),
    Column(
        "cohort_type",
        T.STRING,
        enum=("static", "person_property", "behavioral", "realtime", "analytical", ""),
        description="Type of cohort based on filter complexity",
    ),
    Column("experiment_set", T.JSON, nullable=False, read_only=True),
)

# dashboards: list item ?
DASHBOARDS: tuple[Column, ...] = (
    Column("id", T.INTEGER, nullable=False, read_only=True),
    Column("name", T.STRING),
    Column("description", T.STRING, nullable=False),
    Column("pinned", T.BOOLEAN, nullable=False),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("last_accessed_at", T.DATETIME),
    Column("last_viewed_at", T.DATETIME, read_only=True),
    Column("is_shared", T.BOOLEAN, nullable=False, read_only=True),
    Column("deleted", T.BOOLEAN, nullable=False),
    Column(
        "creation_mode",
        T.STRING,
        nullable=False,
        read_only=True,
        enum=("default", "template", "duplicate", "unlisted"),
    ),
    Column("tags", T.JSON, nullable=False),
    Column("restriction_level", T.INTEGER, nullable=False),
    Column("effective_restriction_level", T.INTEGER, nullable=False, read_only=True),
    Column("effective_privilege_level", T.INTEGER, nullable=False, read_only=True),
    Column(
        "user_access_level",
        T.STRING,
        read_only=True,
        description="The effective access level the user has for this object",
    ),
    Column("access_control_version", T.STRING, nullable=False, read_only=True),
    Column("last_refresh", T.DATETIME),
    Column("team_id", T.INTEGER, nullable=False, read_only=True),
)

# insights: list item ?
INSIGHTS: tuple[Column, ...] = (
    Column("id", T.INTEGER, nullable=False, read_only=True),
    Column("short_id", T.STRING, nullable=False, read_only=True),
    Column("name", T.STRING, max_length=400),
    Column("derived_name", T.STRING, max_length=400),
    Column("query", T.JSON),
    Column("order", T.INTEGER),
    Column("deleted", T.BOOLEAN, nullable=False),
    Column("dashboards", T.JSON, nullable=False, description="DEPRECATED."),
    Column(
        "dashboard_tiles",
        T.JSON,
        nullable=False,
        read_only=True,
        description=(
            "A dashboard tile ID and dashboard_id for each of the dashboards that this insight is"
            " displayed on."
        ),
    ),
    Column(
        "last_refresh",
        T.STRING,
        nullable=False,
        read_only=True,
        description="The datetime this insight's results were generated.",
    ),
    Column(
        "cache_target_age",
        T.STRING,
        nullable=False,
        read_only=True,
        description="The target age of the cached results for this insight.",
    ),
    Column(
        "next_allowed_client_refresh",
        T.STRING,
        nullable=False,
        read_only=True,
        description=(
            "The earliest possible datetime at which we'll allow the cached results for this "
            "insight to be refreshed by querying the database."
        ),
    ),
    Column("result", T.STRING, nullable=False, read_only=True),
    Column("hasMore", T.STRING, nullable=False, read_only=True),
    Column("columns", T.STRING, nullable=False, read_only=True),
    Column("created_at", T.DATETIME, read_only=True),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("description", T.STRING, max_length=400),
    Column("updated_at", T.DATETIME, nullable=False, read_only=True),
    Column("tags", T.JSON, nullable=False),
    Column("favorited", T.BOOLEAN, nullable=False),
    Column("last_modified_at", T.DATETIME, nullable=False, read_only=True),
    Column("last_modified_by", T.JSON, nullable=False, read_only=True),
    Column("is_sample", T.BOOLEAN, nullable=False, read_only=True),
    Column("effective_restriction_level", T.INTEGER, nullable=False, read_only=True),
    Column("effective_privilege_level", T.INTEGER, nullable=False, read_only=True),
    Column(
        "user_access_level",
        T.STRING,
        read_only=True,
        description="The effective access level the user has for this object",
    ),
    Column(
        "timezone",
        T.STRING,
        nullable=False,
        read_only=True,
        description="The timezone this chart is displayed in.",
    ),
    Column("is_cached", T.STRING, nullable=False, read_only=True),
    Column("query_status", T.STRING, nullable=False, read_only=True),
    Column("hogql", T.STRING, nullable=False, read_only=True),
    Column("types", T.STRING, nullable=False, read_only=True),
    Column("alerts", T.STRING, nullable=False, read_only=True),
    Column("last_viewed_at", T.STRING, nullable=False, read_only=True),
)

# notebooks: list item ?
NOTEBOOKS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column("short_id", T.STRING, nullable=False, read_only=True),
    Column("title", T.STRING),
    Column("deleted", T.BOOLEAN, nullable=False),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("last_modified_at", T.DATETIME, nullable=False, read_only=True),
    Column("last_modified_by", T.JSON, nullable=False, read_only=True),
    Column(
        "user_access_level",
        T.STRING,
        read_only=True,
        description="The effective access level the user has for this object",
    ),
)

# early_access_features: list item ?
EARLY_ACCESS_FEATURES: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column("feature_flag", T.JSON, nullable=False, read_only=True),
    Column("name", T.STRING, nullable=False, required=True, max_length=200),
    Column("description", T.STRING, nullable=False),
    Column(
        "stage",
        T.STRING,
        nullable=False,
        required=True,
        enum=("draft", "concept", "alpha", "beta", "general-availability", "archived"),
    ),
    Column("documentation_url", T.STRING, nullable=False, max_length=800),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
)

# experiments: list item ?
EXPERIMENTS: tuple[Column, ...] = (
    Column("id", T.INTEGER, nullable=False, read_only=True),
    Column("name", T.STRING, nullable=False, required=True, max_length=400),
    Column("description", T.STRING, max_length=400),
    Column("start_date", T.DATETIME),
    Column("end_date", T.DATETIME),
    Column("feature_flag_key", T.STRING, nullable=False, required=True),
    Column("feature_flag", T.JSON, nullable=False, read_only=True),
    Column("holdout", T.JSON, nullable=False, read_only=True),
    Column("holdout_id", T.INTEGER),
    Column("exposure_cohort", T.INTEGER, read_only=True),
    Column("parameters", T.JSON),
    Column("secondary_metrics", T.JSON),
    Column("saved_metrics", T.JSON, nullable=False, read_only=True),
    Column("saved_metrics_ids", T.JSON),
    Column("filters", T.JSON, nullable=False),
    Column("archived", T.BOOLEAN, nullable=False),
    Column("deleted", T.BOOLEAN),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("updated_at", T.DATETIME, nullable=False, read_only=True),
    Column("type", T.STRING, enum=("web", "product", "")),
    Column("exposure_criteria", T.JSON),
    Column("metrics", T.JSON),
    Column("metrics_secondary", T.JSON),
    Column("stats_config", T.JSON),
    Column(
        "conclusion", T.STRING, enum=("won", "lost", "inconclusive", "stopped_early", "invalid", "")
    ),
    Column("conclusion_comment", T.STRING),
    Column("primary_metrics_ordered_uuids", T.JSON),
    Column("secondary_metrics_ordered_uuids", T.JSON),
    Column(
        "user_access_level",
        T.STRING,
        read_only=True,
        description="The effective access level the user has for this object",
    ),
)

# feature_flags: list item ?
FEATURE_FLAGS: tuple[Column, ...] = (
    Column("id", T.INTEGER, nullable=False, read_only=True),
    Column(
        "name",
        T.STRING,
        nullable=False,
        description=(
            "contains the description for the flag (field name `name` is kept for backwards-"
            "compatibility)"
        ),
    ),
    Column("key", T.STRING, nullable=False, required=True, max_length=400),
    Column("filters", T.JSON, nullable=False),
    Column("deleted", T.BOOLEAN, nullable=False),
    Column("active", T.BOOLEAN, nullable=False),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("created_at", T.DATETIME, nullable=False),
    Column("updated_at", T.DATETIME, read_only=True),
    Column("version", T.INTEGER, nullable=False),
    Column("last_modified_by", T.JSON, nullable=False, read_only=True),
    Column("is_simple_flag", T.BOOLEAN, nullable=False, read_only=True),
    Column("rollout_percentage", T.INTEGER, read_only=True),
    Column("ensure_experience_continuity", T.BOOLEAN),
    Column("experiment_set", T.STRING, nullable=False, read_only=True),
    Column("surveys", T.JSON, nullable=False, read_only=True),
    Column("features", T.JSON, nullable=False, read_only=True),
    Column("rollback_conditions", T.JSON),
    Column("performed_rollback", T.BOOLEAN),
    Column("can_edit", T.BOOLEAN, nullable=False, read_only=True),
    Column("tags", T.JSON, nullable=False),
    Column("usage_dashboard", T.INTEGER, nullable=False, read_only=True),
    Column("analytics_dashboards", T.JSON, nullable=False),
    Column("has_enriched_analytics", T.BOOLEAN),
    Column(
        "user_access_level",
        T.STRING,
        read_only=True,
        description="The effective access level the user has for this object",
    ),
    Column("is_remote_configuration", T.BOOLEAN),
    Column("has_encrypted_payloads", T.BOOLEAN),
    Column("status", T.STRING, nullable=False, read_only=True),
    Column(
        "evaluation_runtime",
        T.STRING,
        enum=("server", "client", "all", ""),
        description="Specifies where this feature flag should be evaluated",
    ),
    Column(
        "last_called_at",
        T.DATETIME,
        description="Last time this feature flag was called (from $feature_flag_called events)",
    ),
)

# surveys: list item ?
SURVEYS: tuple[Column, ...] = (
    Column("id", T.UUID, nullable=False, read_only=True),
    Column("name", T.STRING, nullable=False, required=True, max_length=400),
    Column("description", T.STRING, nullable=False),
    Column(
        "type",
        T.STRING,
        nullable=False,
        required=True,
        enum=("popover", "widget", "external_survey", "api"),
    ),
    Column("schedule", T.STRING),
    Column("linked_flag", T.JSON, nullable=False, read_only=True),
    Column("linked_flag_id", T.INTEGER),
    Column("targeting_flag", T.JSON, nullable=False, read_only=True),
    Column("internal_targeting_flag", T.JSON, nullable=False, read_only=True),
    Column("questions", T.JSON, description="The `array` of questions included in the survey."),
    Column("conditions", T.STRING, nullable=False),
    Column("appearance", T.JSON),
    Column("created_at", T.DATETIME, nullable=False, read_only=True),
    Column("created_by", T.JSON, nullable=False, read_only=True),
    Column("start_date", T.DATETIME),
    Column("end_date", T.DATETIME),
    Column("archived", T.BOOLEAN, nullable=False),
    Column("responses_limit", T.INTEGER),
    Column("feature_flag_keys", T.JSON, nullable=False, read_only=True),
    Column("iteration_count", T.INTEGER),
    Column("iteration_frequency_days", T.INTEGER),
    Column("iteration_start_dates", T.JSON),
    Column("current_iteration", T.INTEGER),
    Column("current_iteration_start_date", T.DATETIME),
    Column("response_sampling_start_date", T.DATETIME),
    Column("response_sampling_interval_type", T.STRING, enum=("day", "week", "month", "")),
    Column("response_sampling_interval", T.INTEGER),
    Column("response_sampling_limit", T.INTEGER),
    Column("response_sampling_daily_limits", T.JSON),
    Column("enable_partial_responses", T.BOOLEAN),
    Column(
        "user_access_level",
        T.STRING,
        read_only=True,
        description="The effective access level the user has for this object",
    ),
)
