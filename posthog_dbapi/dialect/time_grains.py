"""The time-grain expressions charts use on ``posthog://`` (Superset's engine spec reads them).

They come from the one grain table, `posthog_dbapi.sql.grains`: SQLite expressions (statements
compile to SQLite SQL) that the HogQL planner recognises and pushes down as ``toStartOfMinute``
... ``toStartOfYear``, so a time series over events is one Query API request. Kept apart from
``superset.py`` (which imports Superset) so the tests can check every grain without Superset.
"""

from __future__ import annotations

from posthog_dbapi.sql.grains import superset_grains

__all__ = ["TIME_GRAINS"]

TIME_GRAINS: dict[str | None, str] = superset_grains()
