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
report how many requests each approach made, as the server saw them.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
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
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_bench/"):
            with self._lock:
                if environ.get("REQUEST_METHOD") == "POST":
                    self.counts.clear()
                body = json.dumps(dict(self.counts)).encode()
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        with self._lock:
            self.counts[kind_of(path)] += 1
        return self.app(environ, start_response)


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
