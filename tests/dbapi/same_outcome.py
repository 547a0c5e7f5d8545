"""One statement on two connections that must answer alike: what a user sees of it, and the
REST requests each sends (the rest route against SQLite, a native copy against the virtual table).
"""

from __future__ import annotations

from typing import Any

from posthog_dbapi.exceptions import Error

__all__ = ["api_requests", "outcome", "same_outcome"]


def outcome(cursor: Any, sql: str, params: Any = None, *, message: bool = True) -> tuple[Any, ...]:
    """What a user sees of a statement: description, rows and the type of every value, or the
    class of its error (and its message, unless ``message=False``)."""
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    except Error as exc:
        return ("error", type(exc).__name__, str(exc)) if message else ("error", type(exc).__name__)
    types = [[type(v).__name__ for v in row] for row in rows]
    return ("ok", cursor.description, rows, types)


def api_requests(emulator: Any) -> list[tuple[str, str, dict[str, list[str]]]]:
    return [(r.method, r.path, r.query) for r in emulator.app.request_log if "/api/" in r.path]


def same_outcome(
    first: Any, second: Any, emulator: Any, sql: str, params: Any = None, *, message: bool = True
) -> tuple[tuple[Any, ...], Any, Any]:
    """``sql``'s outcome on connection ``first``, asserted equal to ``second``'s, requests
    included (each connection's schema is fetched before the log is read); and both cursors."""
    cursor, other = first.cursor(), second.cursor()
    for c in (cursor, other):
        outcome(c, sql, params, message=message)
    emulator.app.request_log.clear()
    seen = outcome(cursor, sql, params, message=message)
    sent = api_requests(emulator)
    emulator.app.request_log.clear()
    assert seen == outcome(other, sql, params, message=message), sql
    assert sent == api_requests(emulator), sql
    return seen, cursor, other
