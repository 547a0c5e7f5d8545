"""Request counting and the progress line ``posthog-sql`` shows while a statement runs.

``RequestCounter`` is a request listener on the connection's driver
(``PostHogDriver.add_listener``): each ``RequestEvent`` the driver's one request path reports (a
request sent, its answer with the records of a page, a retry, a rate-budget wait) is counted into
the current ``StatementStats``. The counts feed the line after each result ("1 request") and
``Progress``, a thread that, when stderr is a terminal and the statement has run longer than half
a second, redraws one stderr line with rows fetched, requests and waits until the statement ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from posthog_dbapi.driver import RequestEvent

__all__ = ["Progress", "RequestCounter", "StatementStats"]

SHOW_AFTER = 0.5
REFRESH = 0.1


@dataclass
class StatementStats:
    """What the driver did during one statement."""

    requests: int = 0
    paths: list[str] = field(default_factory=list)
    """The path of each request sent, in order (retries included)."""
    in_flight: str | None = None
    """``"METHOD /path"`` of a request sent and not yet answered."""
    records: int = 0
    retries: int = 0
    waits: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class RequestCounter:
    """Counts a driver's request events into ``self.stats``; install with ``attach(driver)``."""

    def __init__(self) -> None:
        self.stats = StatementStats()
        self._detach: Callable[[], None] | None = None

    def attach(self, driver: Any) -> None:
        """Listen to ``driver``; a driver without listeners (a stand-in) leaves counts at zero."""
        self.detach()
        add = getattr(driver, "add_listener", None)
        remove = getattr(driver, "remove_listener", None)
        if add is None or remove is None:
            return
        add(self)
        self._detach = lambda: remove(self)

    def detach(self) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None

    def reset(self) -> StatementStats:
        self.stats = StatementStats()
        return self.stats

    def __call__(self, event: RequestEvent) -> None:
        stats = self.stats
        if event.kind == "request":
            stats.requests += 1
            stats.paths.append(event.path)
            stats.in_flight = f"{event.method} {event.path}"
        elif event.kind == "response":
            stats.in_flight = None
            stats.records += event.records or 0
        elif event.kind == "retry":
            stats.retries += 1
        elif event.kind == "rate_wait":
            stats.waits += 1


def describe(stats: StatementStats) -> str:
    parts = [f"{stats.records:,} rows fetched", _plural(stats.requests, "request")]
    if stats.retries:
        parts.append(_plural(stats.retries, "retry", "retries"))
    if stats.waits:
        parts.append(_plural(stats.waits, "rate-limit wait"))
    return ", ".join(parts)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


class Progress:
    """A redrawn stderr line while a statement runs; a no-op unless ``enabled``."""

    _SPINNER = "|/-\\"

    def __init__(self, stats: StatementStats, stream: TextIO, *, enabled: bool) -> None:
        self._stats = stats
        self._stream = stream
        self._enabled = enabled
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False
        self._lock = threading.Lock()

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Clear the line and hold redraws while the caller writes results."""
        with self._lock:
            if self._drawn:
                self._stream.write("\r\x1b[K")
                self._stream.flush()
                self._drawn = False
            yield

    def __enter__(self) -> Progress:
        if self._enabled:
            self._thread = threading.Thread(target=self._run, name="posthog-sql-progress")
            self._thread.daemon = True
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()

    def _run(self) -> None:
        if self._stop.wait(SHOW_AFTER):
            return
        tick = 0
        while not self._stop.is_set():
            spin = self._SPINNER[tick % len(self._SPINNER)]
            line = f"{spin} {describe(self._stats)}, {self._stats.elapsed:.1f} s (Ctrl-C cancels)"
            with self._lock:
                self._stream.write("\r\x1b[K" + line)
                self._stream.flush()
                self._drawn = True
            tick += 1
            self._stop.wait(REFRESH)
