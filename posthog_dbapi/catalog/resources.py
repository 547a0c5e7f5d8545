"""The catalog: every PostHog resource exposed as a table, with its route, columns and keys.

``RESOURCES`` maps each table name to its ``Resource``; ``get_resource`` looks one up and names
the nearest match when the name is wrong. Foreign keys are only those PostHog's schema shows.
"""

from __future__ import annotations

from posthog_dbapi.catalog import columns_data as data
from posthog_dbapi.catalog import columns_product as product
from posthog_dbapi.catalog.routes_table import ROUTES
from posthog_dbapi.catalog.spec import Column, ForeignKey, Resource
from posthog_dbapi.exceptions import ObjectNotFoundError
from posthog_dbapi.names import close_names, did_you_mean

__all__ = ["RESOURCES", "get_resource", "resource_names"]

_COLUMNS: dict[str, tuple[Column, ...]] = {
    "actions": product.ACTIONS,
    "annotations": product.ANNOTATIONS,
    "batch_exports": data.BATCH_EXPORTS,
    "cohorts": product.COHORTS,
    "dashboards": product.DASHBOARDS,
    "dataset_items": data.DATASET_ITEMS,
    "datasets": data.DATASETS,
    "desktop_recordings": data.DESKTOP_RECORDINGS,
    "early_access_features": product.EARLY_ACCESS_FEATURES,
    "endpoints": data.ENDPOINTS,
    "error_tracking": data.ERROR_TRACKING,
    "events": data.EVENTS,
    "experiments": product.EXPERIMENTS,
    "feature_flags": product.FEATURE_FLAGS,
    "groups": data.GROUPS,
    "hog_functions": data.HOG_FUNCTIONS,
    "insights": product.INSIGHTS,
    "notebooks": product.NOTEBOOKS,
    "person_distinct_ids": data.PERSON_DISTINCT_IDS,
    "persons": data.PERSONS,
    "session_recordings": data.SESSION_RECORDINGS,
    "sessions": data.SESSIONS,
    "surveys": product.SURVEYS,
}

_FOREIGN_KEYS: dict[str, tuple[ForeignKey, ...]] = {
    "annotations": (
        ForeignKey("dashboard_item", "insights", "id"),
        ForeignKey("dashboard_id", "dashboards", "id"),
    ),
    "dataset_items": (ForeignKey("dataset", "datasets", "id"),),
    "events": (ForeignKey("person_id", "persons", "id"),),
    "person_distinct_ids": (ForeignKey("person_id", "persons", "id"),),
    "experiments": (ForeignKey("feature_flag_key", "feature_flags", "key"),),
    "surveys": (ForeignKey("linked_flag_id", "feature_flags", "id"),),
}

_DESCRIPTIONS: dict[str, str] = {
    "actions": "Named combinations of events and element matches.",
    "annotations": "Notes pinned to a point in time on charts.",
    "batch_exports": "Scheduled exports of events, persons or sessions to a warehouse.",
    "cohorts": "Groups of persons defined by properties or behaviour, or static lists.",
    "dashboards": "Dashboards (list fields; tiles come with a single dashboard).",
    "dataset_items": "Items of LLM analytics datasets.",
    "datasets": "LLM analytics datasets.",
    "desktop_recordings": "Meeting and desktop audio recordings with transcripts.",
    "early_access_features": "Features users can opt into before release.",
    "endpoints": "Named, optionally materialized saved queries served over HTTP.",
    "error_tracking": "Error tracking issues (groups of captured exceptions).",
    "events": "Captured events, read through the Query API (HogQL).",
    "experiments": "A/B tests and their feature flags.",
    "feature_flags": "Feature flags and their release conditions.",
    "groups": "Groups (companies, organizations...) of every group type (read through HogQL).",
    "hog_functions": "CDP destinations, transformations and site apps.",
    "insights": "Saved insights (trends, funnels, SQL and others).",
    "notebooks": "Notebooks (list fields; content comes with a single notebook).",
    "person_distinct_ids": "Which person each distinct id belongs to (read through HogQL).",
    "persons": "Persons: the people behind distinct ids, with their properties.",
    "session_recordings": "Session replays.",
    "sessions": "Sessions built from events: duration, entry and exit pages (read through HogQL).",
    "surveys": "Surveys and their questions.",
}

# Resources whose rows live in a HogQL table of the same rows, with the columns that order it
# for keyset paging. `sessions`, `groups` and `person_distinct_ids` exist only there
# (`Resource.hogql_only`: no REST path). These are the built-in description of PostHog's own
# tables: what the connection offers beside what `DatabaseSchemaQuery` reports, and all it
# offers when PostHog does not answer that query.
_HOGQL_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "events": ("events", ("timestamp", "uuid")),
    "groups": ("groups", ("index", "key")),
    "person_distinct_ids": ("person_distinct_ids", ("distinct_id",)),
    "sessions": ("sessions", ("session_id",)),
}
# `persons` is the REST resource (writable); HogQL's `persons` holds the same `id` (the person
# UUID), `created_at` and `properties`, so a SELECT over those runs as HogQL. `name`,
# `distinct_ids` and `uuid` are REST-only.
_HOGQL_SHARED: dict[str, tuple[str, ...]] = {"persons": ("id", "created_at", "properties")}


def _build() -> dict[str, Resource]:
    missing = set(ROUTES) ^ set(_COLUMNS)
    if missing:  # a route without columns (or the reverse) is a bug in this package
        raise AssertionError(f"catalog routes and columns disagree on {sorted(missing)}")
    return {
        name: Resource(
            route=ROUTES[name],
            columns=_COLUMNS[name],
            foreign_keys=_FOREIGN_KEYS.get(name, ()),
            description=_DESCRIPTIONS.get(name, ""),
            hogql_table=_HOGQL_TABLES[name][0] if name in _HOGQL_TABLES else None,
            hogql_keys=_HOGQL_TABLES[name][1]
            if name in _HOGQL_TABLES
            else (("id",) if name in _HOGQL_SHARED else ()),
            hogql_shared=_HOGQL_SHARED.get(name, ()),
        )
        for name in sorted(ROUTES)
    }


RESOURCES: dict[str, Resource] = _build()


def resource_names() -> list[str]:
    """Every table name, sorted."""
    return sorted(RESOURCES)


def get_resource(name: str) -> Resource:
    """The resource called ``name``; ``ObjectNotFoundError`` naming the closest one if unknown."""
    resource = RESOURCES.get(name)
    if resource is not None:
        return resource
    available = resource_names()
    guess = close_names(str(name), available, most=1)
    if not guess:
        # Users often type the PostHog path (early_access_feature, error_tracking/issues).
        guess = [n for n in available if RESOURCES[n].route.path == name][:1]
    hint = f" {did_you_mean(guess)}" if guess else ""
    raise ObjectNotFoundError(
        f"Unknown PostHog resource {name!r}.{hint}",
        {"object": name, "available": available, "did_you_mean": guess[0] if guess else None},
        suggestion=(
            f"Use {guess[0]!r}, or one of: {', '.join(available)}."
            if guess
            else f"Use one of: {', '.join(available)}."
        ),
    )
