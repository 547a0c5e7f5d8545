"""Request events: what the one request path reports to code that watches the driver.

``PostHogDriver.add_listener(callback)`` registers a callable that the transport calls with a
``RequestEvent`` at each step of every HTTP call: the request sent, its answer, a retry decided,
a wait for the client-side rate budget. Counting requests, drawing a progress line or exporting
metrics is then a listener, not a parser of debug log texts.

An event carries the method, the URL *path* (never the host's query string, never the key), the
attempt number and what the step measured. Listeners run synchronously on the calling thread; one
that raises is logged and skipped, so watching a driver can never break its requests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from posthog_dbapi.driver.budget import RateCategory
from posthog_dbapi.exceptions import InterfaceError

__all__ = ["EventKind", "Listeners", "RequestEvent", "RequestListener"]

logger = logging.getLogger("posthog_dbapi.driver")

EventKind = Literal["request", "response", "retry", "rate_wait"]


@dataclass(frozen=True)
class RequestEvent:
    """One step of an HTTP call.

    ``kind`` is one of:

    - ``"request"``: about to be sent (``status`` is ``None``). One per HTTP exchange, so a
      followed redirect or a retry is a new one.
    - ``"response"``: answered with ``status``; ``records`` is the number of records in a list
      answer (a page), ``None`` for other bodies and for errors. A ``"request"`` with no
      ``"response"`` after it got no answer (refused, reset or timed out).
    - ``"retry"``: the attempt failed and the call will be tried again after ``wait_seconds``;
      ``status`` is the failed answer's (429, 5xx) or ``None`` for a connection failure.
    - ``"rate_wait"``: the client-side rate budget of ``category`` is spent; the call waits
      ``wait_seconds`` before it is sent.
    """

    kind: EventKind
    method: str
    path: str
    """The URL path only, e.g. ``/api/projects/1/dashboards/``: no host, no query string."""
    attempt: int = 1
    """1 for the first try of a call, 2 for its first retry, ...; a ``"retry"`` event carries the
    number of the try that failed."""
    status: int | None = None
    wait_seconds: float | None = None
    records: int | None = None
    category: RateCategory = "crud"
    """The rate-limit category the call counts against (``budget.RATE_CATEGORIES``)."""


RequestListener = Callable[[RequestEvent], None]


class Listeners:
    """The registered listeners of one transport; safe to change while another thread emits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: tuple[RequestListener, ...] = ()

    def add(self, listener: RequestListener) -> None:
        if not callable(listener):
            raise InterfaceError(
                f"A listener must be callable, not {type(listener).__name__}",
                suggestion="Pass a function that takes one RequestEvent.",
            )
        with self._lock:
            self._items = (*self._items, listener)

    def remove(self, listener: RequestListener) -> None:
        """Remove ``listener`` (its latest registration); a listener not registered is ignored,
        so removing in a ``finally`` is always safe."""
        with self._lock:
            items = list(self._items)
            for index in range(len(items) - 1, -1, -1):
                if items[index] == listener:
                    del items[index]
                    break
            self._items = tuple(items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def emit(self, event: RequestEvent) -> None:
        for listener in self._items:
            try:
                listener(event)
            except Exception:
                logger.warning("A request listener raised; ignoring it", exc_info=True)
