"""``serve-pg``: the command line and the Python entry point of the wire server.

``serve(...)`` builds a ``PgServer`` and runs it until interrupted; ``main(argv)`` parses the
arguments of ``posthog-sql serve-pg`` (also ``python -m posthog_dbapi.pgwire``). Secrets come
from the environment rather than the command line, where other users could read them:
``POSTHOG_API_KEY`` is used only with ``--fixed-key``, the password from ``PGWIRE_PASSWORD``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from posthog_dbapi.dbapi.sandbox import DEFAULT_STATEMENT_TIMEOUT
from posthog_dbapi.pgwire.server import PgServer, ServerConfig

__all__ = ["build_parser", "main", "serve"]


def serve(
    host: str = "127.0.0.1",
    port: int = 5432,
    *,
    api_url: str | None = None,
    api_key: str | None = None,
    password: str | None = None,
    auth_method: str = "scram-sha-256",
    project_id: int | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    ready: Any = None,
    statement_timeout: float | None = DEFAULT_STATEMENT_TIMEOUT,
    max_statements_per_client: int = 8,
    **driver_options: Any,
) -> None:
    """Serve until interrupted. ``ready(server)`` is called once the port is bound."""
    config = ServerConfig(
        api_url=api_url or os.environ.get("POSTHOG_API_URL"),
        api_key=api_key,
        password=password,
        auth_method=auth_method,
        project_id=project_id,
        certfile=certfile,
        keyfile=keyfile,
        driver_options=driver_options,
        statement_timeout=statement_timeout or None,
        max_statements_per_client=max_statements_per_client,
    )
    with PgServer(config, host, port) as server:
        if ready is not None:
            ready(server)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posthog-sql serve-pg",
        description="Serve PostHog's tables over the PostgreSQL protocol (for Metabase, psql, "
        "JDBC). The database name selects the project; the password is the PostHog personal "
        "API key, or PGWIRE_PASSWORD with --fixed-key.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--api-url", default=None, help="PostHog host (default POSTHOG_API_URL)")
    parser.add_argument("--project-id", type=int, default=None,
                        help="project for database names that are not numbers")  # fmt: skip
    parser.add_argument("--fixed-key", action="store_true",
                        help="use POSTHOG_API_KEY for every client; clients log in with "
                        "PGWIRE_PASSWORD")  # fmt: skip
    parser.add_argument("--auth", choices=["scram-sha-256", "md5"], default="scram-sha-256")
    parser.add_argument("--tls-cert", default=None, help="PEM certificate: enables TLS")
    parser.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    parser.add_argument(
        "--statement-timeout",
        type=_seconds,
        default=DEFAULT_STATEMENT_TIMEOUT,
        metavar="SECONDS",
        help="longest a statement may run; clients may SET a lower one "
        f"(default {DEFAULT_STATEMENT_TIMEOUT:g}, 0: none)",
    )
    parser.add_argument(
        "--max-statements-per-client",
        type=_positive,
        default=8,
        metavar="N",
        help="statements one client address may run at once (default 8)",
    )
    return parser


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError("a number of seconds, 0 or more")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("1 or more")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    api_key = password = None
    if args.fixed_key:
        api_key = os.environ.get("POSTHOG_API_KEY")
        password = os.environ.get("PGWIRE_PASSWORD")
        if not api_key or not password:
            print("--fixed-key needs POSTHOG_API_KEY and PGWIRE_PASSWORD set.", file=sys.stderr)
            return 2

    def ready(server: PgServer) -> None:
        host = server.server_address[0]
        print(f"Serving PostHog over the PostgreSQL protocol at {host!s}:{server.port}", flush=True)

    try:
        serve(args.host, args.port, api_url=args.api_url, api_key=api_key, password=password,
              auth_method=args.auth, project_id=args.project_id, certfile=args.tls_cert,
              keyfile=args.tls_key, ready=ready, statement_timeout=args.statement_timeout,
              max_statements_per_client=args.max_statements_per_client)  # fmt: skip
    except OSError as exc:
        print(f"Cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
