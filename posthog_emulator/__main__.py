"""``python -m posthog_emulator``: serve the emulator until interrupted."""

from __future__ import annotations

import argparse
import sys

from .app import Emulator
from .server import EmulatorServer
from .state import QUERY_TIERS


def resource_rows(text: str) -> tuple[str, int]:
    """`--rows RESOURCE=COUNT` as (resource, count); the benchmarks' launcher reads it too."""
    name, _, count = text.partition("=")
    if not name or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected RESOURCE=COUNT, got {text!r}")
    return name, int(count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m posthog_emulator", description="A local PostHog API emulator."
    )
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--demo", action="store_true", help="load demo data")
    parser.add_argument("--events", type=int, default=200_000, help="demo events")
    parser.add_argument("--persons", type=int, default=2000, help="demo persons")
    parser.add_argument(
        "--rows",
        type=resource_rows,
        action="append",
        default=[],
        metavar="RESOURCE=COUNT",
        help="extra rows, e.g. annotations=50000",
    )
    parser.add_argument("--api-key", default="phx_demo")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="share of requests answered with a random retryable fault",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="answer every request (benchmarks); PostHog's per-key limits apply otherwise",
    )
    parser.add_argument(
        "--timezone",
        default="UTC",
        help="the demo project's timezone (IANA name); HogQL answers in it, REST stays UTC",
    )
    parser.add_argument(
        "--week-start-day",
        type=int,
        choices=(0, 1),
        default=0,
        help="the demo project's first day of the week: 0 Sunday (default), 1 Monday",
    )
    parser.add_argument(
        "--query-tier",
        choices=QUERY_TIERS,
        default="default",
        help="default: 120 HogQL queries an hour per key, as PostHog; api-queries: PostHog's "
        "API-queries tier (240/minute, 2,400/hour, concurrency limit)",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)

    try:
        app = Emulator(
            api_key=args.api_key,
            seed=args.seed,
            access_log=None if args.quiet else sys.stderr,
            timezone=args.timezone,
            week_start_day=args.week_start_day,
            query_tier=args.query_tier,
        )
    except ValueError as exc:
        parser.error(str(exc))
    if args.demo or args.rows:
        app.load_demo(
            events=args.events, persons=args.persons, rows=dict(args.rows), with_events=args.demo
        )
    if args.no_rate_limits:
        app.limits.configure(enabled=False)
    if args.fault_rate:
        app.faults.set_random(args.fault_rate, seed=args.seed)
    server = EmulatorServer(app, host=args.host, port=args.port)
    # The socket listens once the server is constructed, so the line below means "ready".
    print(f"Serving PostHog API emulator at {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
