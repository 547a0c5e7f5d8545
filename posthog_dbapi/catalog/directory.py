"""The catalog as the driver's ``ResourceDirectory``: names, routes and field infos.

``fields`` prefers the server's own OpenAPI document (what that PostHog version really returns)
and falls back to the catalog's declared columns for anything the document does not describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from posthog_dbapi.catalog.deviations import TYPE_OVERRIDES
from posthog_dbapi.catalog.openapi import columns_from_openapi
from posthog_dbapi.catalog.resources import RESOURCES, get_resource, resource_names
from posthog_dbapi.catalog.spec import Column
from posthog_dbapi.driver.routes import ResourceRoute

__all__ = ["CatalogDirectory", "field_infos"]


def field_infos(columns: tuple[Column, ...]) -> dict[str, dict[str, Any]]:
    """Columns in the seed spec's ``get_fields`` shape, in column order."""
    return {col.name: col.field_info() for col in columns}


class CatalogDirectory:
    """Implements ``posthog_dbapi.driver.routes.ResourceDirectory`` over ``RESOURCES``."""

    def names(self) -> list[str]:
        return resource_names()

    def route(self, name: str) -> ResourceRoute:
        resource = RESOURCES.get(name)
        if resource is None:
            raise KeyError(name)
        return resource.route

    def fields(self, name: str, schema: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
        """Field infos of ``name``; ``ObjectNotFoundError`` (with a did-you-mean) if unknown.

        Resources read through HogQL keep their declared columns: the REST list schema (the
        legacy /events/ shape) is not what a scan of them returns.
        """
        resource = get_resource(name)
        if schema is not None and resource.hogql_table is None:
            derived = columns_from_openapi(schema, resource.route)
            if derived:
                return field_infos(_correct(name, derived, resource.columns))
        return field_infos(resource.columns)


def _correct(
    name: str, derived: tuple[Column, ...], declared: tuple[Column, ...]
) -> tuple[Column, ...]:
    """Undo the schema's known type errors (``deviations.TYPE_OVERRIDES``) in derived columns."""
    overridden = TYPE_OVERRIDES.get(name, frozenset())
    mine = {col.name: col for col in declared if col.name in overridden}
    return tuple(
        replace(col, type=mine[col.name].type) if col.name in mine else col for col in derived
    )
