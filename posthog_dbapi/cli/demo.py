"""``posthog-sql demo`` (``make demo``): a short guided tour of SQL on PostHog, on the emulator.

Starts the PostHog API emulator with demo data on a free loopback port (a subprocess), runs
``TOUR`` through ``posthog-sql`` (``python -m posthog_dbapi --echo``, so each statement is shown
above its result), stops the emulator and returns the tour's exit code. When stdin and stdout are
a terminal it first offers the interactive shell on the same demo data.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

__all__ = ["TOUR", "main"]

TOUR = """\
-- 1. Every PostHog resource is a table. What each one allows:
.tables
-- 2. Read dashboards and feature flags like any table.
SELECT id, name, pinned, created_at FROM dashboards ORDER BY id LIMIT 5;
SELECT id, key, active, rollout_percentage FROM feature_flags ORDER BY id LIMIT 5;
-- 3. Create, change and delete a feature flag with SQL. Each write is an API call, applied at once.
INSERT INTO feature_flags (key, name, active) VALUES ('tour-flag', 'Created by the tour', 1);
SELECT id, key, name, active FROM feature_flags WHERE key = 'tour-flag';
UPDATE feature_flags SET active = 0, name = 'Switched off by the tour' WHERE key = 'tour-flag';
SELECT id, key, name, active FROM feature_flags WHERE key = 'tour-flag';
-- PostHog soft-deletes flags: DELETE becomes PATCH {"deleted": true}; lists leave it out.
DELETE FROM feature_flags WHERE key = 'tour-flag';
SELECT count(*) AS flags_with_that_key FROM feature_flags WHERE key = 'tour-flag';
-- 4. An aggregate over every demo event. It runs inside PostHog as one HogQL query (pushdown),
--    however many events there are; .last shows the HogQL that was sent and the requests made.
SELECT event, count(*) AS events FROM events GROUP BY event ORDER BY events DESC;
.last
"""


def _start_emulator(events: int, persons: int) -> tuple[subprocess.Popen[str], str]:
    # Port 0: the emulator binds a free port itself and prints its URL, so nothing can race us.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "posthog_emulator",
            "--demo",
            "--quiet",
            "--port",
            "0",
            "--events",
            str(events),
            "--persons",
            str(persons),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if "Serving PostHog API emulator at" not in line:
        process.kill()
        process.wait(timeout=10)
        raise RuntimeError(f"the emulator did not start (it printed {line!r})")
    return process, line.rsplit(" ", 1)[1]


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="posthog-sql demo", description="A guided tour of SQL on the PostHog API emulator."
    )
    parser.add_argument("--events", type=int, default=20_000, help="demo events (default 20000)")
    parser.add_argument("--persons", type=int, default=500, help="demo persons (default 500)")
    parser.add_argument(
        "--no-shell", action="store_true", help="do not offer the interactive shell afterwards"
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    print("Starting the PostHog API emulator with demo data ...", flush=True)
    try:
        process, url = _start_emulator(args.events, args.persons)
    except (OSError, RuntimeError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        print("Hint: install the emulator extra: pip install 'posthog-dbapi[emulator]'")
        return 1
    host = url.split("://", 1)[1]
    shown_url = f"posthog://:***@{host}/1?scheme=http"
    sql_url = f"posthog://:phx_demo@{host}/1?scheme=http"
    try:
        print(f"Emulator at {url} (API key phx_demo, project 1).\n")
        print(f"$ posthog-sql --url '{shown_url}' --echo < tour.sql\n", flush=True)
        tour = subprocess.run(
            [sys.executable, "-m", "posthog_dbapi", "--url", sql_url, "--echo", "-"],
            input=TOUR,
            text=True,
            check=False,
        )
        print(f"\nTour finished in {time.monotonic() - started:.1f} s.", flush=True)
        if tour.returncode == 0 and not args.no_shell and _offer_shell():
            subprocess.run([sys.executable, "-m", "posthog_dbapi", "--url", sql_url], check=False)
    finally:
        _stop(process)
        print("Emulator stopped.")
    if tour.returncode == 0:
        print(
            "Next: connect to your own PostHog with\n"
            "  posthog-sql --url 'posthog://:<personal api key>@us.posthog.com/<project id>'"
        )
    return tour.returncode


def _offer_shell() -> bool:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        answer = input("\nOpen the interactive shell on the demo data? [Y/n] ")
    except (EOFError, KeyboardInterrupt):
        print()
        return False
    return answer.strip().lower() in ("", "y", "yes")


if __name__ == "__main__":
    raise SystemExit(main())
