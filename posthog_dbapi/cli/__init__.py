"""``posthog-sql`` (and ``python -m posthog_dbapi``): SQL on PostHog or the emulator from a shell.

This module owns the command line: the argument parser, the choice between one-shot (``-e``),
script (a file or piped stdin) and interactive mode, and the subcommands handed to other parts of
the package (``serve-pg``, ``emulator``, ``demo``). Connection settings are in ``config``,
result formats in ``output``, statement running in ``session``, the prompt in ``shell`` and the
progress line in ``progress``.

Exit codes: 0 when every statement ran, 1 when one failed (or the connection could not be made),
2 for a usage error, 130 when Ctrl-C cancelled a one-shot or script run.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from posthog_dbapi.cli.config import (
    RedactingFormatter,
    Redactor,
    new_redactor,
    settings_from_args,
)
from posthog_dbapi.cli.output import FORMATS
from posthog_dbapi.exceptions import Error, InterfaceError

__all__ = ["build_parser", "main"]

EPILOG = """\
subcommands (give them first):
  posthog-sql serve-pg ...    serve PostHog over the PostgreSQL wire protocol
  posthog-sql emulator ...    start the local PostHog API emulator (--demo for demo data)
  posthog-sql demo            the guided tour on the emulator's demo data

Connection, strongest first: --api-url/--api-key/--project-id, then --url, then the
POSTHOG_API_URL, POSTHOG_API_KEY and POSTHOG_PROJECT_ID environment variables.
Prefer --url or POSTHOG_API_KEY to --api-key: other users of the machine can read command lines.

examples:
  posthog-sql --url 'posthog://:phx_...@eu.posthog.com/12345'
  posthog-sql -e 'SELECT key, active FROM feature_flags' --format csv
  posthog-sql --url 'posthog://:phx_demo@127.0.0.1:8010/1?scheme=http' queries.sql
"""


def _module_main(module: str, what: str) -> Callable[[list[str]], int]:
    """A subcommand that runs ``module.main(argv)``, imported only when used."""

    def run(argv: list[str]) -> int:
        try:
            target = importlib.import_module(module)
        except ImportError as exc:
            if exc.name and exc.name != module and not module.startswith(exc.name + "."):
                # The module exists but one of its own dependencies is missing.
                print(f"Error: {what} needs {exc.name}, which is not installed.", file=sys.stderr)
                print("Hint: pip install 'posthog-dbapi[emulator]'", file=sys.stderr)
            else:
                print(f"Error: {what} is not available in this version.", file=sys.stderr)
                print("Hint: upgrade posthog-dbapi.", file=sys.stderr)
            return 1
        entry = getattr(target, "main", None)
        if entry is None:
            print(f"Error: {what} is not available in this version.", file=sys.stderr)
            return 1
        return int(entry(argv) or 0)

    return run


SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {
    "serve-pg": _module_main("posthog_dbapi.pgwire", "The PostgreSQL wire server"),
    "emulator": _module_main("posthog_emulator.__main__", "The emulator"),
    "demo": _module_main("posthog_dbapi.cli.demo", "The demo"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posthog-sql",
        description="Query and change a PostHog project with SQL.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    conn = parser.add_argument_group("connection")
    conn.add_argument(
        "--url", help="posthog://:<api key>@<host>[:port]/<project id>[?options], as in SQLAlchemy"
    )
    conn.add_argument("--api-url", help="https://us.posthog.com, https://eu.posthog.com, us, eu")
    conn.add_argument("--api-key", help="personal API key (phx_...)")
    conn.add_argument("--project-id", help="project id (from Project settings)")

    run = parser.add_argument_group("input and output")
    run.add_argument(
        "-e",
        "--execute",
        action="append",
        metavar="SQL",
        help="run SQL (statements separated by ;) and exit; may be repeated",
    )
    run.add_argument("file", nargs="?", help="a file of statements to run; - reads stdin")
    run.add_argument("--format", choices=FORMATS, default="table", help="result format")
    run.add_argument("--echo", action="store_true", help="print each statement before its result")
    run.add_argument(
        "--footer",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a line with row count, time and requests after each result "
        "(default: on in the shell and with --echo)",
    )
    run.add_argument(
        "--keep-going", action="store_true", help="in a script, go on after a failed statement"
    )
    run.add_argument(
        "--no-progress", action="store_true", help="no progress line on stderr for slow statements"
    )
    run.add_argument("--history", type=Path, help="history file of the interactive shell")
    run.add_argument(
        "--debug", action="store_true", help="log each request and show tracebacks (keys hidden)"
    )
    return parser


def _enable_debug(redact: Redactor) -> Callable[[], None]:
    """Log the package's debug records to stderr; returns the function that undoes it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("[debug] %(name)s: %(message)s", redact))
    root = logging.getLogger("posthog_dbapi")
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)

    def undo() -> None:
        root.removeHandler(handler)
        root.setLevel(level)

    return undo


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]](argv[1:])
    args = build_parser().parse_args(argv)
    redact = new_redactor()
    undo_debug = _enable_debug(redact) if args.debug else None
    try:
        return _main(args, redact)
    finally:
        if undo_debug is not None:
            undo_debug()


def _main(args: argparse.Namespace, redact: Redactor) -> int:
    err = sys.stderr
    try:
        settings = settings_from_args(args.url, args.api_url, args.api_key, args.project_id, redact)
        from posthog_dbapi.dbapi import connect

        connection = connect(**settings.kwargs)
    except Error as exc:
        _report_early(exc, redact, args.debug)
        return 1
    except ValueError as exc:
        # The driver's URL checks can let a malformed host through as a plain ValueError.
        error = InterfaceError(
            f"Cannot use these connection settings: {exc}",
            suggestion="Check --url or --api-url: https://us.posthog.com, https://eu.posthog.com "
            "or your own host.",
        )
        _report_early(error, redact, args.debug)
        return 1

    from posthog_dbapi.cli.session import Session

    interactive = not args.execute and args.file is None and sys.stdin.isatty()
    footer = args.footer if args.footer is not None else (interactive or args.echo)
    session = Session(
        connection,
        fmt=args.format,
        footer=footer,
        echo=args.echo,
        progress=not args.no_progress and err.isatty(),
        debug=args.debug,
        redact=redact,
    )
    try:
        with session:
            if interactive:
                from posthog_dbapi.cli.shell import default_history_path, run_shell

                banner = (
                    f"posthog-sql: connected to {settings.describe()}.\n"
                    "Statements end with ;   .help for help   .quit to leave"
                )
                run_shell(session, args.history or default_history_path(), banner)
                return 0
            ok = _run_input(session, args)
            if session.interrupted:
                return 130
            return 0 if ok else 1
    except KeyboardInterrupt:
        err.write("Cancelled.\n")
        return 130
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        connection.close()


def _run_input(session: object, args: argparse.Namespace) -> bool:
    from posthog_dbapi.cli.session import Session

    assert isinstance(session, Session)
    stop = not args.keep_going
    if args.execute:
        return session.run_script("\n".join(args.execute).splitlines(), stop_on_error=stop)
    if args.file is None or args.file == "-":
        return session.run_script(iter(sys.stdin), stop_on_error=stop)
    try:
        with open(args.file, encoding="utf-8") as handle:
            return session.run_script(iter(handle), stop_on_error=stop)
    except OSError as exc:
        session.err.write(f"Error: cannot read {args.file}: {exc.strerror}\n")
        session.err.write("Hint: give the path of a file of SQL statements, or - for stdin.\n")
        return False


def _report_early(exc: Error, redact: Redactor, debug: bool) -> None:
    if debug:
        import traceback

        sys.stderr.write(redact("".join(traceback.format_exception(exc))))
    sys.stderr.write(redact(f"Error: {exc.message}") + "\n")
    if exc.suggestion:
        sys.stderr.write(redact(f"Hint: {exc.suggestion}") + "\n")
