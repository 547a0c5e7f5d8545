"""Prototypes of driver changes, measured by the benchmarks before they are made in the package.

They wrap a real ``PostHogDriver`` (everything not overridden is delegated), so a connection
opened with ``driver=`` uses them and every request still goes through the driver's transport,
retries and rate budget.

- ``LargePages``: a full scan (no LIMIT) asks for the resource's largest page (1,000 rows for
  PostHog's REST lists) instead of the default 100. The change it models, in
  ``adapters/rest.py`` ``RESTAdapter._scan``: ``page_size = route.max_page_size`` when
  ``limit is None``.
- ``ReadAhead``: the scan's pages are fetched by a background thread, up to ``depth`` pages ahead
  of the rows SQLite has consumed, so the client's work (SQLite, value conversion) overlaps the
  server's and the network's. The driver's own pagination (anchored pages, de-duplication) and
  rate budget are untouched: the thread simply drives the same iterator.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from posthog_dbapi.catalog import get_resource

__all__ = ["LargePages", "ReadAhead", "read_ahead"]

_DONE = object()


class LargePages:
    """A driver whose full scans use the resource's largest page size."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def _page_size(self, name: str, page_size: int | None, limit: int | None) -> int | None:
        if page_size is None and limit is None:
            return get_resource(name).route.max_page_size
        return page_size

    def iter_records(
        self,
        name: str,
        params: Any = None,
        *,
        page_size: int | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        size = self._page_size(name, page_size, limit)
        return self._driver.iter_records(name, params, page_size=size, offset=offset, limit=limit)


class ReadAhead(LargePages):
    """``LargePages`` whose scans are read ahead by a background thread."""

    def __init__(self, driver: Any, *, depth: int = 2, chunk: int = 1000) -> None:
        super().__init__(driver)
        self.depth = depth
        self.chunk = chunk

    def iter_records(
        self,
        name: str,
        params: Any = None,
        *,
        page_size: int | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        size = self._page_size(name, page_size, limit)
        source = self._driver.iter_records(name, params, page_size=size, offset=offset, limit=limit)
        return read_ahead(source, depth=self.depth, chunk=size or self.chunk)


def read_ahead(
    source: Iterator[dict[str, Any]], *, depth: int = 2, chunk: int = 1000
) -> Iterator[dict[str, Any]]:
    """Iterate ``source`` on a background thread, at most ``depth`` chunks ahead of the caller.

    An exception in the thread is re-raised in the caller at the point it happened; closing the
    returned generator stops the thread at its next chunk.
    """
    pipe: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                pipe.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        batch: list[dict[str, Any]] = []
        try:
            for record in source:
                batch.append(record)
                if len(batch) >= chunk:
                    if not put(batch):
                        return
                    batch = []
            if batch and not put(batch):
                return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(exc)

    worker = threading.Thread(target=produce, name="posthog-read-ahead", daemon=True)
    worker.start()

    def consume() -> Iterator[dict[str, Any]]:
        try:
            while True:
                item = pipe.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield from item
        finally:
            stop.set()

    return consume()
