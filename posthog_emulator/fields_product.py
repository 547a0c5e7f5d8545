"""Field tables of PostHog's product resources, as the emulator serves them.

Dashboards, insights, feature flags, experiments, surveys, cohorts, annotations, actions,
notebooks, early access features, endpoints and error tracking issues. Names, types, read-only
flags and enums follow PostHog's serializers in its OpenAPI schema; defaults are what a freshly
created object carries (syntax in ``fields.py``). ``created_by`` users are the key's one user
(``state.user_basic()``).
"""

from __future__ import annotations

from .fields import Field, parse_fields

__all__ = [
    "ACTION",
    "ANNOTATION",
    "COHORT",
    "DASHBOARD",
    "EARLY_ACCESS_FEATURE",
    "ENDPOINT",
    "ERROR_TRACKING_ISSUE",
    "EXPERIMENT",
    "FEATURE_FLAG",
    "INSIGHT",
    "NOTEBOOK",
    "SURVEY",
]


DASHBOARD: tuple[Field, ...] = parse_fields(
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


FEATURE_FLAG: tuple[Field, ...] = parse_fields(
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


INSIGHT: tuple[Field, ...] = parse_fields(
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


COHORT: tuple[Field, ...] = parse_fields(
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


ANNOTATION: tuple[Field, ...] = parse_fields(
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


ACTION: tuple[Field, ...] = parse_fields(
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


EXPERIMENT: tuple[Field, ...] = parse_fields(
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


SURVEY: tuple[Field, ...] = parse_fields(
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


NOTEBOOK: tuple[Field, ...] = parse_fields(
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


EARLY_ACCESS_FEATURE: tuple[Field, ...] = parse_fields(
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


ENDPOINT: tuple[Field, ...] = parse_fields(
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


ERROR_TRACKING_ISSUE: tuple[Field, ...] = parse_fields(
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
