"""Declarative resource specs: paths, ids, pagination, delete style, filters, columns and types.

``DIRECTORY`` is the catalog as the driver's ``ResourceDirectory``; the driver looks it up when
it first needs a route (``posthog_dbapi.driver.routes.get_directory``), so importing this package
changes nothing elsewhere.
"""

from __future__ import annotations

from posthog_dbapi.catalog.directory import CatalogDirectory
from posthog_dbapi.catalog.resources import RESOURCES, get_resource, resource_names
from posthog_dbapi.catalog.spec import Column, ColumnType, ForeignKey, Resource

__all__ = [
    "DIRECTORY",
    "RESOURCES",
    "CatalogDirectory",
    "Column",
    "ColumnType",
    "ForeignKey",
    "Resource",
    "get_resource",
    "resource_names",
]

DIRECTORY = CatalogDirectory()
