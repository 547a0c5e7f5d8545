"""Sending a scan's next request before its current answer is decoded.

A read-ahead scan (``readahead.py``) overlaps the caller's work with the next request, but the
next request of a limit/offset list is known only from the page before it: sent after that page
is decoded, its decoding stays between two requests (issue 17's timeline: server time, then
decoding, then the next request, page after page). A limit/offset window can be predicted
before its page is decoded: when the page comes back full, the next window starts at its last
row (``pagination._AnchoredScan``). ``RequestPipeline`` sends that predicted request from its
own thread the moment the answer before it has arrived, while the scan decodes that answer (all
the scan's requests go through that thread, in order); the scan then asks for the request it
really needs, and gets the answer already received when the prediction was right. A wrong
prediction (a short page, a list that shifted) costs one request whose answer is dropped, never
a wrong row: only an answer to the very request asked for is used. At most one predicted
request is in flight or waiting.

The thread's request needs the GIL to go out, and decoding a page holds the GIL throughout (one
C call): when a predicted request is due, the scan waits until it has been written
(``sent.when_sent``, at most ``SENT_WAIT``) before decoding the page before it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from posthog_dbapi.driver.sent import when_sent
from posthog_dbapi.exceptions import MalformedResponseError

__all__ = ["SENT_WAIT", "RequestPipeline"]

SENT_WAIT = 0.05
"""Seconds the scan waits for the predicted request to be written before decoding anyway (a
connection that sends no signal: a session the caller passed in, a proxy)."""

Send = Callable[[str, Mapping[str, Any] | None], Any]
"""``send(path_or_url, params)`` -> an undecoded answer (one request, with its retries)."""


_Job = tuple[Future[Any], threading.Event, str, Mapping[str, Any] | None]
"""A request for the thread: its answer, set once it is written, and what to send."""


class RequestPipeline:
    """``fetch`` for a paginator that sends its requests from one background thread, with
    ``expect`` to name the request likely to follow the next one."""

    def __init__(self, send: Send, decode: Callable[[Any], Any], fetch: Send) -> None:
        self._send = send
        self._decode = decode
        self._fetch = fetch  # the plain request with decoding (and its retries of bad JSON)
        # Re-entrant: cancelling a future runs its callback (`_answered`) in the same thread.
        self._lock = threading.RLock()
        self._jobs: queue.Queue[_Job | None]
        self._jobs = queue.Queue()
        self._predicted: tuple[str, Future[Any], threading.Event] | None = None  # the one
        # predicted request: its target, its answer, and whether it has been written
        self._current: Future[Any] | None = None  # the answer the scan waits for
        self._current_in = False  # whether that answer has arrived
        self._then: str | None = None  # named by `expect` for after the next `fetch`
        self._hint: str | None = None  # to send as soon as the current answer arrives
        self._closed = False
        self._worker: threading.Thread | None = None

    def expect(self, target: str) -> None:
        """``target`` (a URL with its query) is likely the request after the next ``fetch``:
        send it as soon as that fetch's answer has arrived."""
        with self._lock:
            self._then = target

    def fetch(self, target: str, query: Mapping[str, Any] | None) -> Any:
        """The decoded answer to ``target``: the predicted request's when it is this one."""
        with self._lock:
            then, self._then = self._then, None
            predicted, self._predicted = self._predicted, None
            if predicted is not None and query is None and predicted[0] == target:
                future = predicted[1]
            else:
                if predicted is not None:
                    predicted[1].cancel()  # a wrong guess: not sent if it can still be stopped
                future = self._submit(target, query)[0]
            self._current, self._current_in, self._hint = future, future.done(), None
            if then is not None and not self._closed:
                if self._current_in:
                    self._predicted = (then, *self._submit(then, None))
                else:
                    self._hint = then
        answer = future.result()
        with self._lock:
            hint, self._hint = self._hint, None
            if hint is not None and future is self._current and not self._closed:
                # The answer is in but its callback (`_answered`) has not run yet: send the
                # request it would have sent, now, so that it is not queued behind the decoding.
                self._current_in = True
                self._predicted = (hint, *self._submit(hint, None))
            following = self._predicted
        if following is not None:
            following[2].wait(SENT_WAIT)  # the next request out before the GIL is taken
        try:
            return self._decode(answer)
        except MalformedResponseError:
            return self._fetch(target, query)  # a broken body: the plain path retries it

    def close(self) -> None:
        """Stop the thread; a request in flight finishes and its answer is dropped."""
        with self._lock:
            self._closed = True
            self._hint = self._then = None
            if self._predicted is not None:
                self._predicted[1].cancel()
                self._predicted = None
        self._jobs.put(None)

    def _submit(
        self, target: str, query: Mapping[str, Any] | None
    ) -> tuple[Future[Any], threading.Event]:
        future: Future[Any] = Future()
        sent = threading.Event()
        future.add_done_callback(self._answered)
        self._jobs.put((future, sent, target, query))
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._work, name="posthog_dbapi-pipeline", daemon=True
            )
            self._worker.start()
        return future, sent

    def _answered(self, future: Future[Any]) -> None:
        with self._lock:
            if future is not self._current:
                return
            self._current_in = True
            hint, self._hint = self._hint, None
            if hint is not None and not self._closed:
                self._predicted = (hint, *self._submit(hint, None))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, sent, target, query = job
            if not future.set_running_or_notify_cancel():
                sent.set()
                continue
            try:
                with when_sent(sent.set):
                    answer = self._send(target, query)
            except BaseException as exc:  # raised by `fetch` where the page would have been
                future.set_exception(exc)
            else:
                future.set_result(answer)
