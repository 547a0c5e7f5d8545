"""The HTTP route of every resource: where it lives, how it pages, looks up and deletes.

Facts come from PostHog's OpenAPI schema (2025-11-19) and the API reference; where the two
disagree the real API wins and ``deviations.py`` records why.
"""

from __future__ import annotations

from posthog_dbapi.driver.routes import DeleteStyle, PaginationStyle, ResourceRoute

__all__ = ["ROUTES"]

_EXACT = "exact"
_NARROWING = "narrowing"

# The Query API caps one response at 50,000 rows (MAX_SELECT_RETURNED_ROWS).
QUERY_API_MAX_ROWS = 50_000


def _hogql_only(name: str, *, key: str, reason: str) -> ResourceRoute:
    """A table PostHog offers only through the Query API: no REST path (``can_list`` and
    ``can_retrieve`` are off, so the driver never builds one); a connection reads it by keyset,
    ``key`` identifies a row, and it cannot be written (``reason`` says what PostHog does
    instead)."""
    return ResourceRoute(
        name=name,
        path="query",
        scope="query",
        id_field=key,
        id_type="str",
        lookup_field=key,
        lookup_type="str",
        pagination=PaginationStyle.KEYSET,
        max_page_size=QUERY_API_MAX_ROWS,
        delete_style=DeleteStyle.NONE,
        can_list=False,
        can_retrieve=False,
        can_create=False,
        can_update=False,
        rate_category="query",
        create_unsupported_reason=reason,
    )


_ROUTES: tuple[ResourceRoute, ...] = (
    ResourceRoute(
        name="actions",
        path="actions",
        scope="action",
    ),
    ResourceRoute(
        name="annotations",
        path="annotations",
        scope="annotation",
        list_params={"search": _NARROWING},
    ),
    ResourceRoute(
        name="batch_exports",
        path="batch_exports",
        scope="batch_export",
        id_type="uuid",
        lookup_type="uuid",
        delete_style=DeleteStyle.HARD,
    ),
    ResourceRoute(
        name="cohorts",
        path="cohorts",
        scope="cohort",
    ),
    ResourceRoute(
        name="dashboards",
        path="dashboards",
        scope="dashboard",
    ),
    ResourceRoute(
        name="dataset_items",
        path="dataset_items",
        scope="dataset",
        id_type="uuid",
        lookup_type="uuid",
        list_params={"dataset": _EXACT},
    ),
    ResourceRoute(
        name="datasets",
        path="datasets",
        scope="dataset",
        id_type="uuid",
        lookup_type="uuid",
        list_params={"search": _NARROWING},
    ),
    # UNVERIFIED: only /api/environments/ serves desktop recordings in every copy found.
    ResourceRoute(
        name="desktop_recordings",
        path="desktop_recordings",
        scope="desktop_recording",
        prefix="environments",
        id_type="uuid",
        lookup_type="uuid",
        delete_style=DeleteStyle.HARD,
    ),
    ResourceRoute(
        name="early_access_features",
        path="early_access_feature",
        scope="early_access_feature",
        id_type="uuid",
        lookup_type="uuid",
        delete_style=DeleteStyle.HARD,
    ),
    # The list is one unpaged {"results": [...]}; records are addressed by name. Every
    # /endpoints/ request counts against the API-queries throttle.
    ResourceRoute(
        name="endpoints",
        path="endpoints",
        scope="endpoint",
        id_type="uuid",
        lookup_field="name",
        lookup_type="str",
        pagination=PaginationStyle.NONE,
        max_page_size=None,
        delete_style=DeleteStyle.HARD,
        rate_category="query",
        list_params={"is_active": _EXACT},
    ),
    # UNVERIFIED: issues are missing from the 2025-11 schema (scope INTERNAL then); mid-2026
    # clients show limit/offset lists, error_tracking scopes and DELETE answering 405.
    ResourceRoute(
        name="error_tracking",
        path="error_tracking/issues",
        scope="error_tracking",
        prefix="environments",
        id_type="uuid",
        lookup_type="uuid",
        can_create=False,
        create_unsupported_reason=(
            "PostHog creates error tracking issues from captured $exception events; "
            "send exceptions with a PostHog SDK."
        ),
    ),
    # Read through the Query API (HogQL) and paged by keyset on (timestamp, uuid);
    # /events/{uuid}/ still answers single-record lookups.
    ResourceRoute(
        name="events",
        path="events",
        scope="query",
        id_field="uuid",
        id_type="uuid",
        lookup_field="uuid",
        lookup_type="uuid",
        pagination=PaginationStyle.KEYSET,
        max_page_size=QUERY_API_MAX_ROWS,
        delete_style=DeleteStyle.NONE,
        can_create=False,
        can_update=False,
        rate_category="analytics",
        list_params={"event": _EXACT, "distinct_id": _EXACT, "person_id": _EXACT},
        create_unsupported_reason=(
            "Events are sent by capture (a PostHog SDK or POST /i/v0/e/ with the project API "
            "key), not through the private API; they cannot be changed or deleted one by one."
        ),
    ),
    ResourceRoute(
        name="experiments",
        path="experiments",
        scope="experiment",
    ),
    ResourceRoute(
        name="feature_flags",
        path="feature_flags",
        scope="feature_flag",
        list_params={"search": _NARROWING, "active": _EXACT, "type": _EXACT},
    ),
    ResourceRoute(
        name="hog_functions",
        path="hog_functions",
        scope="hog_function",
        id_type="uuid",
        lookup_type="uuid",
        list_params={"search": _NARROWING, "enabled": _EXACT, "type": _EXACT},
    ),
    ResourceRoute(
        name="insights",
        path="insights",
        scope="insight",
        list_params={"short_id": _EXACT, "search": _NARROWING},
    ),
    # Notebooks are addressed by short_id; their uuid id is not a path key.
    ResourceRoute(
        name="notebooks",
        path="notebooks",
        scope="notebook",
        id_type="uuid",
        lookup_field="short_id",
        lookup_type="str",
    ),
    # List items carry the person uuid as "id" (retrieve accepts it, or the int pk); the list
    # has no count; PUT/PATCH answer 202 and apply asynchronously; DELETE answers 202.
    ResourceRoute(
        name="persons",
        path="persons",
        scope="person",
        id_type="uuid",
        lookup_type="uuid",
        pagination=PaginationStyle.OFFSET_NO_COUNT,
        delete_style=DeleteStyle.HARD,
        can_create=False,
        rate_category="analytics",
        list_params={"distinct_id": _EXACT, "email": _EXACT, "search": _NARROWING},
        create_unsupported_reason=(
            "PostHog creates persons from events: send an $identify event with a PostHog SDK."
        ),
    ),
    # HogQL-only tables (_hogql_only): no REST path at all.
    _hogql_only(
        "person_distinct_ids",
        key="distinct_id",
        reason="PostHog links distinct ids to persons from events ($identify, alias) sent by "
        "capture.",
    ),
    # UNVERIFIED: the list's default and largest page size.
    ResourceRoute(
        name="session_recordings",
        path="session_recordings",
        scope="session_recording",
        id_type="str",
        lookup_type="str",
        pagination=PaginationStyle.HAS_NEXT,
        delete_style=DeleteStyle.HARD,
        can_create=False,
        rate_category="analytics",
        create_unsupported_reason=(
            "Recordings are captured by the PostHog browser and mobile SDKs."
        ),
    ),
    _hogql_only(
        "groups",
        key="key",
        reason="PostHog creates groups from events sent with $groups and $groupidentify.",
    ),
    _hogql_only(
        "sessions",
        key="session_id",
        reason="PostHog builds sessions from the events captured with a $session_id.",
    ),
    ResourceRoute(
        name="surveys",
        path="surveys",
        scope="survey",
        id_type="uuid",
        lookup_type="uuid",
        delete_style=DeleteStyle.HARD,
        list_params={"search": _NARROWING},
    ),
)

ROUTES: dict[str, ResourceRoute] = {route.name: route for route in _ROUTES}
