"""Read-ahead: fetch the next pages of a scan while the caller is still busy with earlier rows.

A scan's pages must be fetched in order (each ``next`` link comes with the page before it), so
the speed-up is overlap, not parallel requests: one background thread walks the scan, and the
caller's own work (decoding into rows, SQLite) runs while the next page is on the wire. Requests
still go through the one transport, so the rate budget paces them. The thread stays at most
``depth`` batches ahead, and stops once the caller stops reading: an abandoned scan costs at
most that many batches of extra requests, and the one predicted request a limit/offset scan may
have in flight (``pipeline.py``, which also keeps the decoding of a page from delaying the
request for the next).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["read_ahead", "read_pages_ahead"]

T = TypeVar("T")

_POLL_SECONDS = 0.05
_END = object()


def read_ahead(source: Iterator[T], *, depth: int, batch: int) -> Iterator[T]:
    """Yield ``source``'s items, pulled by a background thread up to ``depth`` batches of
    ``batch`` items ahead; an error in ``source`` is raised where its item would have been."""
    slots: queue.Queue[tuple[list[T], Any]] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def hand_over(items: list[T], signal: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put((items, signal), timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        items: list[T] = []
        try:
            for item in source:
                items.append(item)
                if len(items) >= batch:
                    if not hand_over(items, None):
                        return
                    items = []
            hand_over(items, _END)
        except BaseException as exc:  # handed to the caller, raised in its thread
            hand_over(items, exc)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="posthog_dbapi-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            items, signal = slots.get()
            yield from items
            if signal is _END:
                return
            if signal is not None:
                raise signal
    finally:
        stop.set()


def read_pages_ahead(pages: Iterator[Iterable[T]], *, depth: int) -> Iterator[T]:
    """The items of ``pages``, pulled a page at a time by ``read_ahead`` up to ``depth`` pages
    ahead; closing this iterator stops the background thread."""
    ahead = read_ahead(pages, depth=depth, batch=1)
    try:
        for page in ahead:
            yield from page
    finally:
        ahead.close()  # type: ignore[attr-defined]
