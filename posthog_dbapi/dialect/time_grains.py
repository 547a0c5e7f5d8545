"""The time-grain expressions charts use on ``posthog://`` (Superset's engine spec reads them).

They are SQLite expressions, because statements compile to SQLite SQL; the HogQL translator
recognises each one and pushes it down as ``toStartOfMinute`` ... ``toStartOfYear``, so a time
series over events is one Query API request. Kept apart from ``superset.py`` (which imports
Superset) so the tests can check every grain without Superset installed.
"""

from __future__ import annotations

__all__ = ["TIME_GRAINS"]

TIME_GRAINS: dict[str | None, str] = {
    None: "{col}",
    "PT1M": "DATETIME(STRFTIME('%Y-%m-%dT%H:%M:00', {col}))",
    "PT1H": "DATETIME(STRFTIME('%Y-%m-%dT%H:00:00', {col}))",
    "P1D": "DATETIME({col}, 'start of day')",
    # Weeks start on Sunday, as in Superset's SQLite spec.
    "P1W": "DATETIME({col}, 'start of day', -strftime('%w', {col}) || ' days')",
    "P1M": "DATETIME({col}, 'start of month')",
    "P3M": (
        "DATETIME({col}, 'start of month', printf('-%d month', (strftime('%m', {col}) - 1) % 3))"
    ),
    "P1Y": "DATETIME({col}, 'start of year')",
}
