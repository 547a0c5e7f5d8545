"""Declarative resource specs: paths, ids, pagination, delete style, filters, columns and types.

Importing this package registers the catalog as the driver's ``ResourceDirectory``, so the driver
learns routes and fields without importing the catalog (dependencies point one way).
"""

from __future__ import annotations

from posthog_dbapi.catalog.directory import CatalogDirectory
from posthog_dbapi.catalog.resources import RESOURCES, get_resource, resource_names
from posthog_dbapi.catalog.spec import Column, ColumnType, ForeignKey, Resource
from posthog_dbapi.driver.routes import register_directory

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
register_directory(DIRECTORY)
