"""The benchmarks' emulator process: the stock emulator with rate limits off and a request counter.

Run as ``python -m benchmarks.emulator --port P [--events N] [--rows RESOURCE=N ...]``. It prints
``ready <url>`` once it listens. It is a separate process so that client and server never share
an interpreter (or its GIL).

Why not ``python -m posthog_emulator --no-rate-limits``: it has no request counter, and the
counter must wrap the WSGI app in the server's process. This launcher uses the emulator's Python
API (``app.limits``) and its CLI's ``RESOURCE=COUNT`` parser; rate limits are off because the naive
``/events/`` baseline needs about a thousand analytics requests a run (PostHog allows 240 a minute).

The counter answers ``GET /_bench/requests`` with the requests served since the last
``POST /_bench/reset``, by kind (``query``, ``events``, ``schema``, ``rest``), so a benchmark can
report how many requests each approach made, as the server saw them; ``GET /_bench/seconds``
with the seconds the server spent on them, by kind (from a request's arrival to its last body
byte written), so a benchmark can tell the server's share of a difference from the client's.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from posthog_emulator.__main__ import resource_rows
from posthog_emulator.app import Emulator

__all__ = ["CountingApp", "kind_of", "main"]


def kind_of(path: str) -> str:
    """The benchmark's name for the kind of API request at ``path``."""
    if path.startswith("/api/schema"):
        return "schema"
    if "/query" in path:
        return "query"
    if "/events" in path:
        return "events"
    return "rest"


class CountingApp:
    """Wraps the emulator's WSGI app; counts requests by kind, serves ``/_bench/*``."""

    def __init__(self, app: Emulator) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_bench/"):
            with self._lock:
                if environ.get("REQUEST_METHOD") == "POST":
                    self.counts.clear()
                    self.seconds.clear()
                served = self.seconds if path == "/_bench/seconds" else self.counts
                body = json.dumps(dict(served)).encode()
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        kind = kind_of(path)
        with self._lock:
            self.counts[kind] += 1
        return _Timed(self, kind, time.perf_counter(), self.app(environ, start_response))

    def add_seconds(self, kind: str, seconds: float) -> None:
        with self._lock:
            self.seconds[kind] += seconds


class _Timed:
    """A response body that adds its request's seconds to the counter once it is written
    (werkzeug writes each chunk as it is yielded, so a streamed body is timed whole)."""

    def __init__(self, app: CountingApp, kind: str, start: float, body: Iterable[bytes]) -> None:
        self._app, self._kind, self._start, self._body = app, kind, start, body

    def __iter__(self) -> Iterator[bytes]:
        yield from self._body

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._app.add_seconds(self._kind, time.perf_counter() - self._start)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.emulator")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--rows", type=resource_rows, action="append", default=[])
    parser.add_argument("--api-key", default="phx_demo")
    args = parser.parse_args(argv)

    app = Emulator(api_key=args.api_key)
    app.load_demo(events=args.events, persons=args.persons, rows=dict(args.rows))
    # Lifted so that every approach is measured at the API's speed, not at PostHog's quota; the
    # benchmarks report request counts so the quota cost of each approach stays visible.
    app.limits.configure(enabled=False)
    server = make_server(
        "127.0.0.1", args.port, CountingApp(app), threaded=True, request_handler=_QuietHandler
    )
    print(f"ready http://127.0.0.1:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
