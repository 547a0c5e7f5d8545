"""The text a timestamp of a HogQL table has in SQLite, for the connection's calendar.

With ``timezone="UTC"`` (the default) the SQLite route stores a timestamp as its aware UTC ISO
text (``types.utc_text``: ``2024-05-01T12:03:22.123456+00:00``). With ``timezone="project"`` it
stores the project's local wall-clock time without an offset (``2024-05-01T14:03:22.123456``),
because SQLite's date functions read any offset as a shift to UTC: only offset-free local text
makes ``date()``, ``strftime()`` and ``datetime(..., 'start of day')`` bucket by the same calendar
as HogQL's ``toDate``/``toStartOfDay`` in the project's timezone.

The translator turns SQLite's text comparisons on timestamps into exact ranges of moments
(``pushdown_properties.first_moment``), so it must know which text the fallback stores. The
statement being planned says so through ``local_times()``, a context (not an argument) so the
planner's signatures stay as they are.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar

from posthog_dbapi.types import utc_text

__all__ = ["local_times", "stored_text", "uses_local_times"]

_LOCAL: ContextVar[bool] = ContextVar("posthog_dbapi_local_times", default=False)


@contextlib.contextmanager
def local_times(on: bool = True) -> Iterator[None]:
    """Within this block, HogQL-table timestamps are local wall-clock text (see module doc)."""
    token = _LOCAL.set(on)
    try:
        yield
    finally:
        _LOCAL.reset(token)


def uses_local_times() -> bool:
    return _LOCAL.get()


def stored_text(moment: dt.datetime) -> str:
    """The stored text of `moment` (a wall-clock time when local; taken as given, not
    converted: the caller passes the moment in the calendar the text is in)."""
    if _LOCAL.get():
        return moment.replace(tzinfo=None).isoformat()
    return utc_text(moment)
