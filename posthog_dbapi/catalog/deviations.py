"""The one list of places where PostHog's real API and its saved OpenAPI schema disagree.

``DEVIATIONS`` maps (resource, field or aspect) to why the catalog follows the API (per
``shared/reference/posthog-api.md``) rather than the schema (2025-11-19). The fidelity test
accepts a difference between a spec and the schema only when it is listed here.
Aspects are written ``"<aspect>:<detail>"``: ``route:<what>``, ``pagination``, ``delete``,
``lookup``, ``required:<field>``, ``column:<field>`` (the field is missing from the schema's list
item), ``type:<field>``.
"""

from __future__ import annotations

__all__ = ["DEVIATIONS", "TYPE_OVERRIDES"]

DEVIATIONS: dict[tuple[str, str], str] = {
    # persons
    ("persons", "type:id"): (
        "List items carry the person UUID string as id (PostHog's own test asserts "
        "results[0]['id'] == str(person.uuid)); the schema's Person says integer, which is "
        "what retrieve returns."
    ),
    ("persons", "lookup"): (
        "Retrieve accepts the numeric pk or the UUID; the schema types the path id as integer. "
        "The catalog looks persons up by the UUID a scan returns."
    ),
    ("persons", "delete"): (
        "DELETE answers 202 (deletion is queued) in the code; the schema says 204."
    ),
    ("persons", "pagination"): (
        "The list has no count (only with the undocumented include_total); the schema's "
        "PaginatedPersonList claims one."
    ),
    ("persons", "update"): "PUT/PATCH answer 202 with an empty body; the schema says 200 Person.",
    # endpoints
    ("endpoints", "pagination"): (
        "The list returns one unpaged {'results': [...]}; the schema documents no body at all."
    ),
    ("endpoints", "columns"): (
        "The schema's list response has no body; the columns follow _serialize_endpoint in "
        "products/endpoints/backend/api.py."
    ),
    ("endpoints", "required:name"): (
        "EndpointRequest marks nothing required, but create fails without a valid name."
    ),
    ("endpoints", "required:query"): (
        "EndpointRequest marks nothing required, but create fails without a query."
    ),
    ("endpoints", "scope:patch"): (
        "The schema lists PATCH without a personal-API-key scope; the code treats update as an "
        "endpoint:write action like create and destroy."
    ),
    ("endpoints", "list_param:is_active"): (
        "The code filters the list with DjangoFilterBackend on is_active and created_by; the "
        "schema lists no query parameters."
    ),
    ("insights", "list_param:search"): (
        "The code (_filter_request in posthog/api/insight.py) filters on search over name, "
        "derived_name, tags and description; the schema does not list it."
    ),
    # events
    ("events", "route:read"): (
        "Scans go through the Query API (HogQL events table, keyset on (timestamp, uuid)); "
        "the legacy /events/ list is deprecated, clamps limit to 1000 and pages by timestamp."
    ),
    ("events", "columns"): (
        "Columns are HogQL's events table, not the legacy ClickhouseEvent list item."
    ),
    ("events", "pagination"): (
        "Keyset through /query/ (50,000 rows a page); the schema's /events/ list claims "
        "limit/offset with count, but it returns {'next', 'results'} with a before= cursor."
    ),
    ("events", "lookup"): (
        "The schema calls the path key of /events/{id}/ 'id'; it is the event uuid, which the "
        "HogQL events table (and so this catalog) calls 'uuid'."
    ),
    # error tracking
    ("error_tracking", "route:list"): (
        "Issue routes are missing from the 2025-11 schema (the viewset was INTERNAL then); "
        "mid-2026 clients show /error_tracking/issues/ with error_tracking scopes."
    ),
    ("error_tracking", "columns"): (
        "Written from the generated ErrorTrackingIssueFullApi of mid-2026 clients."
    ),
    ("error_tracking", "delete"): (
        "Mid-2026 clients show DELETE answering 405 'Hard delete of this model is not allowed'."
    ),
    # session recordings
    ("session_recordings", "lookup"): (
        "The path id is the session id string; the schema says format uuid."
    ),
    ("session_recordings", "pagination"): (
        "The list returns {'results', 'has_next', 'version'}; the schema claims count/next."
    ),
    # desktop recordings
    ("desktop_recordings", "route:prefix"): (
        "Served only under /api/environments/ in the 2025-11 schema; no public copy shows "
        "/api/projects/.../desktop_recordings/ (UNVERIFIED)."
    ),
}

# Columns whose declared type replaces the one a server's schema gives (see DEVIATIONS' type:*).
TYPE_OVERRIDES: dict[str, frozenset[str]] = {"persons": frozenset({"id"})}
