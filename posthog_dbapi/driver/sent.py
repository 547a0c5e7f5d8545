"""Knowing when a request has left: a callback run once its bytes are written.

``pipeline.py`` sends a scan's next request from a background thread while the scan decodes the
page before it. Decoding a page is one long C call (``json.loads``) that holds the GIL; the
request's last steps need the GIL too (after ``connect()``, which releases it, the write), so a
request started just before a page's decoding waited for the decoding to end, and the overlap
was lost (issue 17: 15-30 ms between a page's last byte and the next request's arrival, the
time of the decoding, on a server that closes each connection). With ``when_sent`` the decoding
waits, briefly, for the request to be on the wire.

The signal comes from the connection classes of the adapter the transport mounts on a session
it owns (``SignallingAdapter``): urllib3 reads the response (``getresponse``) right after the
request is written. A session the caller passed in, or a proxy's connections, send no signal;
the waiting side bounds its wait (``pipeline.SENT_WAIT``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["SignallingAdapter", "when_sent"]


class _Pending(threading.local):
    callback: Callable[[], None] | None = None


_pending = _Pending()


@contextmanager
def when_sent(callback: Callable[[], None]) -> Iterator[None]:
    """Run ``callback`` once the first request this thread sends in the block is written (or
    when the block ends without one being signalled, so a waiter is never left waiting)."""
    _pending.callback = callback
    try:
        yield
    finally:
        _fire()


def _fire() -> None:
    callback, _pending.callback = _pending.callback, None
    if callback is not None:
        callback()


class _HTTPConnection(HTTPConnection):
    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _fire()
        return super().getresponse(*args, **kwargs)


class _HTTPSConnection(HTTPSConnection):
    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _fire()
        return super().getresponse(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class SignallingAdapter(HTTPAdapter):
    """requests' adapter whose connections signal ``when_sent`` callbacks."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
