"""The suite-wide check that no statement costs more Query API requests than its estimate.

Every DB-API cursor a test opens in this process (directly, through SQLAlchemy, the shell or
the PostgreSQL front) is watched: when it starts its next statement, and when the test ends,
the statement it ran last must have sent at most ``estimated_queries`` requests (and a
statement that sent any must have had an estimate). A test that breaks this fails at teardown,
naming the HogQL it sent.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from posthog_dbapi.dbapi.cursor import Cursor


def _over(cursor: Any) -> str | None:
    sent = len(cursor.queries)
    planned = cursor.estimated_queries
    if sent == 0 or (planned is not None and sent <= planned):
        return None
    return f"{sent} Query API requests against an estimate of {planned}: {cursor.queries}"


@contextmanager
def watch_estimates(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Yield the list of violations found so far; fail the test with them at the end."""
    found: list[str] = []
    cursors: weakref.WeakSet[Any] = weakref.WeakSet()
    init, reset = Cursor.__init__, Cursor._reset

    def watched_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        cursors.add(self)

    def judged_reset(self: Any) -> None:
        problem = _over(self)
        if problem is not None:
            found.append(problem)
        reset(self)

    monkeypatch.setattr(Cursor, "__init__", watched_init)
    monkeypatch.setattr(Cursor, "_reset", judged_reset)
    yield found
    found.extend(p for p in (_over(c) for c in list(cursors)) if p is not None)
    if found:
        pytest.fail("A statement cost more than its estimate:\n" + "\n".join(found[:5]))
