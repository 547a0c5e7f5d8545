"""How each PostHog resource is reached over HTTP: the facts the driver needs, and nothing more.

A ``ResourceRoute`` says where a resource lives, how its lists are paged, how a record is looked
up and how it is deleted. Columns, types and SQL belong to the catalog (``posthog_dbapi.catalog``),
which sits above the driver and builds one route per resource. The driver reaches it only through
the ``ResourceDirectory`` protocol, and ``get_directory`` loads the catalog the first time a
resource is looked up, not when the driver is imported: importing either module has no side
effect on the other.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from posthog_dbapi.driver.budget import RateCategory

__all__ = [
    "DeleteStyle",
    "PaginationStyle",
    "ResourceDirectory",
    "ResourceRoute",
    "get_directory",
]


class PaginationStyle(enum.Enum):
    """How a list endpoint pages its results."""

    NONE = "none"
    """One response holds everything: ``{"results": [...]}`` (endpoints)."""
    OFFSET = "offset"
    """DRF limit/offset: ``{"count", "next", "previous", "results"}`` with absolute ``next``."""
    OFFSET_NO_COUNT = "offset_no_count"
    """Persons: limit/offset without ``count``; ``next`` is set whenever a page came back full."""
    CURSOR = "cursor"
    """Opaque ``next`` links (DRF cursor pagination, legacy events' ``before=``)."""
    HAS_NEXT = "has_next"
    """Session recordings: limit/offset with ``{"results", "has_next"}``."""
    KEYSET = "keyset"
    """Event-scale tables read through the Query API, ordered by ``(timestamp, uuid)``."""


class DeleteStyle(enum.Enum):
    """What deleting a record means for a resource."""

    SOFT = "soft"
    """DELETE answers 405; ``PATCH {"deleted": true}`` hides the record."""
    HARD = "hard"
    """``DELETE`` removes the record (204, or 202 for persons)."""
    NONE = "none"
    """PostHog offers no delete."""


IdType = Literal["int", "uuid", "str"]


@dataclass(frozen=True)
class ResourceRoute:
    """The HTTP facts of one resource."""

    name: str
    """The resource (and table) name, e.g. ``"dashboards"``."""
    path: str
    """The collection path under the project prefix, without slashes: ``"dashboards"``,
    ``"error_tracking/issues"``, ``"early_access_feature"``."""
    scope: str
    """The personal API key scope object, e.g. ``"dashboard"`` (``dashboard:read``)."""
    prefix: Literal["projects", "environments"] = "projects"
    """``projects`` unless PostHog serves the resource only under ``/api/environments/``."""
    id_field: str = "id"
    id_type: IdType = "int"
    lookup_field: str = "id"
    """The path key of a record: ``id``, or ``name`` (endpoints), ``short_id`` (notebooks)."""
    lookup_type: IdType = "int"
    pagination: PaginationStyle = PaginationStyle.OFFSET
    default_page_size: int = 100
    max_page_size: int | None = 1000
    """The largest ``limit`` one request may ask for; ``None`` when a list is not paged."""
    delete_style: DeleteStyle = DeleteStyle.SOFT
    can_list: bool = True
    can_retrieve: bool = True
    can_create: bool = True
    can_update: bool = True
    rate_category: RateCategory = "crud"
    """Which PostHog rate limit the resource's requests count against."""
    list_params: Mapping[str, str] = field(default_factory=dict)
    """List query parameters the API applies, mapped to how: ``"exact"`` (the API returns exactly
    the matching rows) or ``"narrowing"`` (a superset, such as ``search``)."""
    create_unsupported_reason: str | None = None
    """When ``can_create`` is false: what PostHog offers instead (events come by capture)."""

    def collection_path(self, project_id: str | int) -> str:
        return f"/api/{self.prefix}/{project_id}/{self.path}/"

    def detail_path(self, project_id: str | int, key: str | int) -> str:
        return f"/api/{self.prefix}/{project_id}/{self.path}/{key}/"


class ResourceDirectory(Protocol):
    """What the driver asks of the catalog."""

    def names(self) -> list[str]:
        """Every resource name, sorted."""
        ...

    def route(self, name: str) -> ResourceRoute:
        """The route of ``name``; raises ``KeyError`` for an unknown name."""
        ...

    def fields(self, name: str, schema: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
        """The fields of ``name`` in the seed's shape (``{"type", "required", ...}``), from the
        server's OpenAPI document when given, else from the catalog's own specs."""
        ...


def get_directory() -> ResourceDirectory:
    """The catalog's directory of resources, imported on first use.

    The import is here, at call time, because the catalog sits above the driver: the driver's
    modules never import it at load, so ``import posthog_dbapi.driver`` stays small."""
    from posthog_dbapi.catalog import DIRECTORY

    return DIRECTORY
