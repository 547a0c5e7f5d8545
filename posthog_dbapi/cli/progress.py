"""Request counting and the progress line ``posthog-sql`` shows while a statement runs.

The driver reports what it does only through debug records on the ``posthog_dbapi.driver``
logger (one per response, per parsed page, per retry and per rate-budget wait), so
``RequestCounter`` is a logging handler that counts those records into the current
``StatementStats``. The counts feed the line after each result ("1 request") and ``Progress``, a
thread that, when stderr is a terminal and the statement has run longer than half a second,
redraws one stderr line with rows fetched, requests and waits until the statement ends.

The record texts matched here are the driver's own (``posthog_dbapi/driver/transport.py``); if
they change, the counts read zero, nothing breaks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO
from urllib.parse import urlsplit

__all__ = ["Progress", "RequestCounter", "StatementStats"]

DRIVER_LOGGER = "posthog_dbapi.driver"
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


class RequestCounter(logging.Handler):
    """Counts the driver's debug records into ``self.stats``; install with ``attach()``."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.stats = StatementStats()
        self._logger = logging.getLogger(DRIVER_LOGGER)
        self._previous_level = self._logger.level

    def attach(self) -> None:
        # The records are DEBUG; without lowering the level the logger drops them before any
        # handler. Nothing else prints them unless --debug added a handler of its own.
        self._previous_level = self._logger.level
        if self._logger.getEffectiveLevel() > logging.DEBUG:
            self._logger.setLevel(logging.DEBUG)
        self._logger.addHandler(self)

    def detach(self) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._previous_level)

    def reset(self) -> StatementStats:
        self.stats = StatementStats()
        return self.stats

    def emit(self, record: logging.LogRecord) -> None:
        template = str(record.msg)
        stats = self.stats
        if template == "%s %s%s%s" and isinstance(record.args, tuple) and len(record.args) > 1:
            stats.requests += 1
            path = urlsplit(str(record.args[1])).path
            stats.paths.append(path)
            stats.in_flight = f"{record.args[0]} {path}"
        elif template.startswith("-> "):
            stats.in_flight = None
        elif template.startswith(("Parsed wrapped response", "Parsed list response")):
            if isinstance(record.args, tuple) and record.args:
                count = record.args[0]
                stats.records += count if isinstance(count, int) else 0
        elif template.startswith("Retry "):
            stats.retries += 1
        elif template.startswith("Rate budget"):
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
