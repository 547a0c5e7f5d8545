"""Bounded work on the wire server: statement_timeout values, a per-client cap on running
statements, and a watcher that stops statements whose client has gone.

- ``parse_timeout``/``format_timeout``: PostgreSQL's ``statement_timeout`` text (``5000`` is
  milliseconds; ``'5s'``, ``'1min'``; ``0`` is none) to seconds and back.
- ``StatementSlots``: at most ``cap`` statements run at once for one client address, so one
  client cannot hold every thread and core; a statement over the cap is refused at once
  (SQLSTATE 53300) rather than queued behind work that may never end.
- ``AbandonWatch``: one thread that looks at the sockets of clients running a statement every
  ``tick`` seconds; a closed socket (or a pending cancel request) interrupts the statement, so
  a client that gives up does not leave a core busy behind it.
"""

from __future__ import annotations

import re
import select
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from posthog_dbapi.exceptions import DataError, OperationalError

__all__ = [
    "AbandonWatch",
    "StatementSlots",
    "TooManyStatements",
    "format_timeout",
    "parse_timeout",
]

_UNITS = {"us": 0.000001, "ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_TIMEOUT = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>us|ms|s|min|h|d)?\s*$", re.I)
# Linux reports a peer's close as POLLRDHUP without any data being read; elsewhere HUP/ERR only.
_CLOSED = getattr(select, "POLLRDHUP", 0) | select.POLLHUP | select.POLLERR | select.POLLNVAL


class TooManyStatements(OperationalError):
    """A client already runs as many statements as the server allows it at once."""


def parse_timeout(value: str) -> float | None:
    """``statement_timeout`` as PostgreSQL takes it, in seconds; ``None`` for 0 (no limit)."""
    text = value.strip().strip("'\"")
    match = _TIMEOUT.match(text)
    if match is None:
        raise DataError(
            f'invalid value for parameter "statement_timeout": "{value}"',
            suggestion="Use milliseconds (SET statement_timeout = 5000) or a unit: '5s', '1min'.",
        )
    unit = (match.group("unit") or "ms").lower()
    seconds = float(match.group("number")) * _UNITS[unit]
    return seconds or None


def format_timeout(seconds: float | None) -> str:
    """Seconds as ``SHOW statement_timeout`` prints them (``0`` for none)."""
    if not seconds:
        return "0"
    ms = round(seconds * 1000)
    if ms % 60_000 == 0:
        return f"{ms // 60_000}min"
    if ms % 1000 == 0:
        return f"{ms // 1000}s"
    return f"{ms}ms"


class StatementSlots:
    """Counts the statements each client address runs; ``take`` refuses one over ``cap``."""

    def __init__(self, cap: int) -> None:
        if cap < 1:
            raise ValueError("max_statements_per_client must be at least 1")
        self.cap = cap
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def take(self, client: str) -> Iterator[None]:
        with self._lock:
            running = self._running.get(client, 0)
            if running >= self.cap:
                raise TooManyStatements(
                    f"This client already runs {running} statements, the most the server "
                    "allows one client at once.",
                    {"running": running, "cap": self.cap},
                    suggestion="Wait for them to finish or cancel them, then run it again.",
                )
            self._running[client] = running + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running[client] - 1
                if left:
                    self._running[client] = left
                else:
                    del self._running[client]


class Watched(Protocol):
    """What the watch needs of a session."""

    busy: bool
    cancel: threading.Event

    def interrupt(self) -> None: ...


def peer_closed(sock: Any) -> bool:
    """Whether the client closed its end of ``sock`` (nothing is read from it)."""
    try:
        poller = select.poll()
        poller.register(sock.fileno(), _CLOSED)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True  # the socket is already closed


class AbandonWatch:
    """A daemon thread that interrupts busy sessions whose client left or asked to cancel."""

    def __init__(
        self,
        sessions: Callable[[], list[tuple[Watched, socket.socket | None]]],
        tick: float = 0.2,
    ) -> None:
        self._sessions = sessions
        self._tick = tick
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pgwire-abandon-watch", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self._tick):
            for session, sock in self._sessions():
                if not session.busy:
                    continue
                if sock is not None and peer_closed(sock):
                    session.cancel.set()
                # Repeated each tick: a cancel that arrived just before the statement started
                # running is not lost.
                if session.cancel.is_set():
                    session.interrupt()
