"""A threaded HTTP server around the ``Emulator`` WSGI app, for tests, the CLI and the demo."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import Emulator

__all__ = ["EmulatorServer"]


class _QuietHandler(WSGIRequestHandler):
    # The app writes its own access line (without query strings, which may hold a key).
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            super().log(type, message, *args)


class EmulatorServer:
    """Serves an ``Emulator`` on a background thread; ``port=0`` picks a free port."""

    def __init__(
        self, app: Emulator | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = app or Emulator()
        self._server = make_server(
            host, port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.host = host
        self.port = int(self._server.server_port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="posthog-emulator", daemon=True
        )
        self._thread.start()

    def __repr__(self) -> str:
        return f"EmulatorServer(url={self.url!r})"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_key(self) -> str:
        return self.app.api_key

    @property
    def project_id(self) -> int:
        return 1

    def serve_forever(self) -> None:
        """Block until ``stop()`` (the CLI's main thread)."""
        self._thread.join()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
