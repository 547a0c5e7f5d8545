"""One ``posthog-sql`` session: runs statements and dot commands on a connection and prints them.

``Session`` is shared by the one-shot, script and interactive modes. A statement's result goes
to ``out`` in the chosen format, then (when ``footer`` is on) one line with the row count, the
time and the number of API requests. Errors go to ``err`` as ``Error: <message>`` and
``Hint: <suggestion>``, never as a traceback unless ``debug``. Ctrl-C (``KeyboardInterrupt``)
during a statement closes its cursor, which stops the driver paging, and says what had already
been written when the statement was a write: PostHog applies each row at once.

Scripts are split into statements with SQLite's own ``complete()`` test, so a ``;`` inside a
string or a comment does not end a statement.
"""

from __future__ import annotations

import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

import apsw

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.catalog.reference import operations
from posthog_dbapi.catalog.tables import TableInfo
from posthog_dbapi.cli.config import Redactor, new_redactor
from posthog_dbapi.cli.output import FORMATS, make_writer
from posthog_dbapi.cli.progress import Progress, RequestCounter, StatementStats
from posthog_dbapi.exceptions import Error, PartialWriteError
from posthog_dbapi.names import close_names, did_you_mean
from posthog_dbapi.sql.statements import StatementKind, classify

if TYPE_CHECKING:
    from posthog_dbapi.dbapi import Connection

__all__ = ["LastStatement", "Session", "split_statements"]

FETCH_BATCH = 500
HELP = """\
Statements end with ; and may span lines. Dot commands:
  .tables              every table (schema.table outside the default schema), its
                       operations and what it holds
  .schema TABLE        the columns of TABLE with their types (e.g. .schema stripe.charge)
  .format NAME         output format: table, csv, jsonl or markdown
  .last                how the last statement ran: route, HogQL sent, requests
  .help                this text
  .quit                leave (Ctrl-D does too)
Ctrl-C cancels the running statement; TAB completes table and column names."""


def split_statements(text: str) -> tuple[list[str], str]:
    """Complete statements in ``text`` and the unfinished rest."""
    statements: list[str] = []
    start = 0
    index = text.find(";")
    while index != -1:
        candidate = text[start : index + 1]
        if apsw.complete(candidate):
            if candidate.strip(" \t\r\n;"):
                statements.append(candidate.strip())
            start = index + 1
        index = text.find(";", index + 1)
    return statements, text[start:]


def _is_resource(table: TableInfo) -> bool:
    return table.schema is None and table.name in RESOURCES


def _operations(table: TableInfo) -> str:
    """The statements ``table`` takes: a resource's route decides; the others are read-only."""
    return operations(RESOURCES[table.name]) if _is_resource(table) else "SELECT"


def _unquote(name: str) -> str:
    """``"stripe"."charge"`` or ``stripe.charge`` as the SQL name ``stripe.charge``."""
    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', name)
    return ".".join(quoted.replace('""', '"') if quoted else bare for quoted, bare in parts)


def _has_sql(text: str) -> bool:
    """Whether ``text`` holds more than whitespace and ``--`` comments."""
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


@dataclass
class LastStatement:
    sql: str = ""
    route: str | None = None
    hogql: str | None = None
    stats: StatementStats = field(default_factory=StatementStats)
    queries: list[str] = field(default_factory=list)
    """The HogQL of each Query API request the statement sent (the cursor's live list)."""
    estimated: int | None = None


class Session:
    """Runs statements and dot commands on ``connection``; ``ok`` turns false on any error."""

    def __init__(
        self,
        connection: Connection,
        *,
        fmt: str = "table",
        out: TextIO | None = None,
        err: TextIO | None = None,
        footer: bool = False,
        echo: bool = False,
        progress: bool = False,
        debug: bool = False,
        redact: Redactor | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connection = connection
        self.format = fmt
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.footer = footer
        self.echo = echo
        self.progress = progress
        self.debug = debug
        self.redact = redact or new_redactor()
        self.clock = clock
        self.counter = RequestCounter()
        self.last = LastStatement()
        self.quit = False
        self.interrupted = False
        """Set when Ctrl-C cancelled a statement; a script stops there."""

    def __enter__(self) -> Session:
        self.counter.attach(self.connection.driver)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.counter.detach()

    # --- scripts ------------------------------------------------------------------------------

    def run_script(self, lines: Iterator[str] | list[str], *, stop_on_error: bool = True) -> bool:
        """Run every statement and dot command in ``lines``; false if any failed."""
        ok = True
        buffer = ""
        for line in lines:
            stripped = line.strip()
            if not _has_sql(buffer):
                if stripped.startswith("."):
                    buffer = ""
                    ok = self.run_dot(stripped) and ok
                    if self.quit or (not ok and stop_on_error):
                        return ok
                    continue
                if stripped.startswith("--") and self.echo:
                    self._write(stripped + "\n")
                    continue
            buffer += line if line.endswith("\n") else line + "\n"
            statements, buffer = split_statements(buffer)
            for sql in statements:
                ok = self.run_statement(sql) and ok
                if self.quit or self.interrupted or (not ok and stop_on_error):
                    return ok
        if _has_sql(buffer):
            # One-shot input need not end with a semicolon.
            ok = self.run_statement(buffer.strip()) and ok
        return ok

    # --- statements ---------------------------------------------------------------------------

    def run_statement(self, sql: str) -> bool:
        """Run one statement and print its result; false if it failed or was cancelled."""
        if self.echo:
            self._write(f"posthog> {sql}\n")
        stats = self.counter.reset()
        self.last = LastStatement(sql=sql, stats=stats)
        started = self.clock()
        cursor = self.connection.cursor()
        writer = None
        try:
            with Progress(stats, self.err, enabled=self.progress) as progress:
                cursor.execute(sql)
                self.last.route = getattr(cursor, "route", None)
                self.last.hogql = getattr(cursor, "hogql", None)
                self.last.queries = getattr(cursor, "queries", [])
                self.last.estimated = getattr(cursor, "estimated_queries", None)
                if cursor.description is not None:
                    writer = make_writer(self.format, self.out)
                    writer.start([d[0] for d in cursor.description])
                    while batch := cursor.fetchmany(FETCH_BATCH):
                        with progress.quiet():
                            writer.rows(batch)
            if writer is not None:
                writer.finish()
                self._footer(self._rows_text(writer.written), started, stats)
            else:
                changed = self._rows_text(max(cursor.rowcount, 0)) + " changed"
                new_id = None
                if classify(sql).kind is StatementKind.INSERT and cursor.lastrowid is not None:
                    new_id = f"new id {cursor.lastrowid}"
                self._footer(changed, started, stats, new_id)
            return True
        except KeyboardInterrupt:
            if writer is not None:
                writer.finish()
            self._cancelled(sql, writer.written if writer is not None else None)
            return False
        except Error as exc:
            self.report(exc)
            return False
        finally:
            cursor.close()

    def _rows_text(self, count: int) -> str:
        return f"{count:,} row{'' if count == 1 else 's'}"

    def _footer(
        self, what: str, started: float, stats: StatementStats, extra: str | None = None
    ) -> None:
        if not self.footer:
            return
        elapsed = self.clock() - started
        requests = f"{stats.requests} API request" + ("" if stats.requests == 1 else "s")
        sent = len(self.last.queries)
        parts = [f"{what} in {elapsed:.2f} s", requests]
        if sent or self.last.estimated:
            parts.append(f"{sent} Query API quer" + ("y" if sent == 1 else "ies"))
        if extra:
            parts.append(extra)
        if self.last.route == "hogql":
            parts.append("run in PostHog as HogQL")
        self._write(f"({', '.join(parts)})\n")

    def _cancelled(self, sql: str, printed: int | None) -> None:
        self.interrupted = True
        applied = list(self.connection.state.statement.applied)
        kind = classify(sql).kind
        if kind in (StatementKind.INSERT, StatementKind.UPDATE, StatementKind.DELETE):
            if applied:
                ids = ", ".join(str(i) for i in applied)
                message = (
                    f"Cancelled. PostHog had already applied this statement to "
                    f"{len(applied)} row(s): ids {ids}."
                )
            else:
                message = "Cancelled. PostHog had applied this statement to no row."
            in_flight = self.last.stats.in_flight
            if in_flight and not in_flight.startswith("GET "):
                message += (
                    f" The request {in_flight} was on its way and may still be applied; "
                    "check that row."
                )
            message += " No other row was sent."
        elif printed:
            message = f"Cancelled after {printed:,} rows."
        else:
            message = "Cancelled."
        self.err.write(message + "\n")
        self.err.flush()

    def report(self, exc: BaseException) -> None:
        """Print ``exc`` as one message and its suggestion (and the traceback with debug)."""
        if self.debug:
            self.err.write(self.redact("".join(traceback.format_exception(exc))))
        if isinstance(exc, Error):
            self.err.write(self.redact(f"Error: {exc.message}") + "\n")
            applied = exc.details.get("applied")
            if isinstance(exc, PartialWriteError) or applied:
                ids = ", ".join(str(i) for i in applied or [])
                self.err.write(self.redact(f"Applied before the error: ids {ids or 'none'}") + "\n")
            uncertain = exc.details.get("uncertain")
            if uncertain is not None:
                self.err.write(self.redact(f"Maybe applied (check it): id {uncertain}") + "\n")
            elif exc.details.get("maybe_applied"):
                self.err.write(
                    "Note: PostHog may have applied this write; check before repeating it.\n"
                )
            if exc.suggestion:
                self.err.write(self.redact(f"Hint: {exc.suggestion}") + "\n")
        else:
            self.err.write(self.redact(f"Error: {exc}") + "\n")
        self.err.flush()

    # --- dot commands -------------------------------------------------------------------------

    def run_dot(self, command: str) -> bool:
        name, _, arg = command.partition(" ")
        arg = arg.strip().rstrip(";").strip()
        if self.echo:
            self._write(f"posthog> {command}\n")
        if name in (".quit", ".exit", ".q"):
            self.quit = True
            return True
        if name == ".help":
            self._write(HELP + "\n")
            return True
        if name == ".tables":
            return self._tables()
        if name == ".schema":
            return self._schema(arg)
        if name == ".format":
            if arg not in FORMATS:
                self.err.write(
                    f"Error: unknown format {arg!r}\nHint: use one of {', '.join(FORMATS)}\n"
                )
                return False
            self.format = arg
            return True
        if name == ".last":
            return self._last()
        self.err.write(f"Error: unknown command {name}\nHint: .help lists the commands.\n")
        return False

    def _table(self, columns: list[str], rows: list[tuple[Any, ...]]) -> bool:
        writer = make_writer(self.format, self.out)
        writer.start(columns)
        writer.rows(rows)
        writer.finish()
        return True

    def _listing(self) -> list[TableInfo] | None:
        """The connection's tables, or ``None`` after printing why they could not be listed."""
        try:
            return self.connection.tables()
        except Error as exc:
            self.report(exc)
            return None

    def _tables(self) -> bool:
        tables = self._listing()
        if tables is None:
            return False
        rows = [(t.sql_name, _operations(t), t.kind, t.comment) for t in tables]
        return self._table(["table", "operations", "kind", "description"], rows)

    def _schema(self, name: str) -> bool:
        if not name:
            self.err.write("Error: .schema needs a table name\nHint: .tables lists them.\n")
            return False
        tables = self._listing()
        if tables is None:
            return False
        wanted = _unquote(name)
        table = next((t for t in tables if t.sql_name == wanted), None)
        if table is None:
            hint = did_you_mean(close_names(wanted, [t.sql_name for t in tables]))
            hint = f"{hint} " if hint else ""
            self.err.write(f"Error: no table {name}\nHint: {hint}.tables lists them.\n")
            return False
        # The REST resources' write rules (read-only, required) come with their fields.
        fields = self.connection.get_fields(table.name) if _is_resource(table) else {}
        references = {fk.column: f"{fk.table}.{fk.table_column}" for fk in table.foreign_keys}
        rows = [
            (
                column.name,
                column.type.value,
                "key" if column.name in table.primary_key else "",
                bool(fields.get(column.name, {}).get("read_only", not table.writable)),
                bool(fields.get(column.name, {}).get("required")),
                column.nullable,
                references.get(column.name, ""),
            )
            for column in table.columns
        ]
        header = ["column", "type", "key", "read_only", "required", "nullable", "references"]
        return self._table(header, rows)

    def _last(self) -> bool:
        last = self.last
        if not last.sql:
            self._write("No statement has run yet.\n")
            return True
        route = last.route or "sqlite"
        where = {
            "hogql": "run whole inside PostHog as one HogQL query (pushdown)",
            "sqlite": "run in local SQLite over the API's virtual tables",
            "rest": "answered whole by the REST list, without SQLite",
        }.get(route, route)
        lines = [f"statement: {last.sql}", f"route:     {route} ({where})"]
        if last.hogql:
            lines.append(f"HogQL:     {last.hogql}")
        lines.append(f"requests:  {last.stats.requests}")
        for path in last.stats.paths:
            lines.append(f"           {path}")
        estimate = "" if last.estimated is None else f" (estimated {last.estimated})"
        lines.append(f"queries:   {len(last.queries)} to the Query API{estimate}")
        self._write("\n".join(lines) + "\n")
        return True

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
