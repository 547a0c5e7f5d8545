"""Which calendar a connection's timestamps live in: UTC, or the PostHog project's own.

PostHog's HogQL converts every DateTime column to the project's timezone before selecting or
bucketing it (modifier ``convertToProjectTimezone``, on unless sent as ``false``), while its REST
API answers in UTC. A connection therefore chooses one calendar and keeps it on every route:

- ``"UTC"`` (the default) sends ``convertToProjectTimezone: false`` with each HogQL query, so
  HogQL, the SQLite fallback and REST all see UTC.
- ``"project"`` sends ``convertToProjectTimezone: true`` (a team may have turned it off in its own
  modifiers; the request's value wins) and reads the project's ``timezone`` and
  ``week_start_day`` from ``/api/projects/{id}/``, so the SQLite route can show the same local
  wall-clock times HogQL buckets by.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from posthog_dbapi.exceptions import InterfaceError, MalformedResponseError

__all__ = ["TIMEZONE_MODES", "UTC_CALENDAR", "Calendar", "calendar_from_project", "check_timezone"]

TIMEZONE_MODES = ("UTC", "project")


def check_timezone(value: Any) -> str:
    """``"UTC"`` or ``"project"`` (any letter case); ``InterfaceError`` naming the fix otherwise."""
    text = value.strip() if isinstance(value, str) else None
    for mode in TIMEZONE_MODES:
        if text is not None and text.lower() == mode.lower():
            return mode
    raise InterfaceError(
        f"timezone must be 'UTC' or 'project', not {value!r}",
        {"timezone": value},
        suggestion="Use timezone='UTC' (the same instants on every route, the default) or "
        "timezone='project' (PostHog's calendar: the project's timezone and week start).",
    )


@dataclass(frozen=True)
class Calendar:
    """A timezone and the first day of the week (0 Sunday, 1 Monday, as PostHog's
    ``week_start_day``)."""

    timezone: str
    week_start_day: int = 0

    @property
    def zone(self) -> dt.tzinfo:
        return dt.timezone.utc if self.timezone == "UTC" else ZoneInfo(self.timezone)

    @property
    def is_utc(self) -> bool:
        return self.timezone == "UTC"

    def local(self, value: dt.datetime) -> dt.datetime:
        """An instant as this calendar's naive wall-clock time (what SQLite's date functions
        must see so that their buckets match HogQL's). Naive input is taken as UTC."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(self.zone).replace(tzinfo=None)


UTC_CALENDAR = Calendar("UTC", 0)


def calendar_from_project(project: Any) -> Calendar:
    """The calendar a ``/api/projects/{id}/`` answer reports."""
    if not isinstance(project, dict):
        raise MalformedResponseError("The project answer is not an object")
    name = project.get("timezone") or "UTC"
    week = project.get("week_start_day")
    try:
        if name != "UTC":
            ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise MalformedResponseError(
            f"The project's timezone {name!r} is not one this Python knows",
            {"timezone": name},
            suggestion="Install the tzdata package, or use timezone='UTC'.",
        ) from None
    return Calendar(str(name), int(week) if isinstance(week, int) and week in (0, 1) else 0)
