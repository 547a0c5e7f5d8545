"""Field tables of PostHog's data and pipeline resources, as the emulator serves them.

Batch exports, datasets and their items, desktop recordings, hog functions and session
recordings. Names, types, read-only flags and enums follow PostHog's serializers in its OpenAPI
schema; defaults are what a freshly created object carries (syntax in ``fields.py``).
"""

from __future__ import annotations

from .fields import Field, parse_fields

__all__ = [
    "BATCH_EXPORT",
    "DATASET",
    "DATASET_ITEM",
    "DESKTOP_RECORDING",
    "HOG_FUNCTION",
    "SESSION_RECORDING",
]


BATCH_EXPORT: tuple[Field, ...] = parse_fields(
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


DATASET: tuple[Field, ...] = parse_fields(
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


DATASET_ITEM: tuple[Field, ...] = parse_fields(
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


DESKTOP_RECORDING: tuple[Field, ...] = parse_fields(
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


HOG_FUNCTION: tuple[Field, ...] = parse_fields(
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


SESSION_RECORDING: tuple[Field, ...] = parse_fields(
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
