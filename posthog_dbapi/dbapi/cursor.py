"""The PEP 249 ``Cursor``: runs one statement at a time on the connection's SQLite database.

Rows stream: SQLite pulls rows from the virtual tables as ``fetch*`` asks for them, and a virtual
table fetches an API page only when it runs out of rows, so reading the first rows of a large
table costs one page. ``rowcount`` is -1 for a SELECT (counting would mean fetching everything)
and the number of rows written for INSERT, UPDATE and DELETE.

Before a write runs, its target table, columns and literal or bound values are checked against
the catalog, so a read-only or unknown column, a value of the wrong type, or a table PostHog does
not let one write is refused before any request.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

import apsw

from posthog_dbapi.dbapi.describe import ColumnDescription, code_of_value, describe
from posthog_dbapi.dbapi.direct import DirectRows, direct_plan, run_direct
from posthog_dbapi.dbapi.errors import translate
from posthog_dbapi.dbapi.hogql_route import choose, page_rows
from posthog_dbapi.dbapi.join_prefetch import read_join_keys
from posthog_dbapi.dbapi.native import NativeRun, run_native
from posthog_dbapi.dbapi.writes import check_write
from posthog_dbapi.driver.collector import collector_paused
from posthog_dbapi.driver.keyset import QUERY_MAX_ROWS
from posthog_dbapi.exceptions import (
    Error,
    InterfaceError,
    ObjectNotFoundError,
    OperationalError,
    PartialWriteError,
    ProgrammingError,
)
from posthog_dbapi.sql.cost import check_budget, check_more, estimate
from posthog_dbapi.sql.pushdown_planner import Fallback, QueryRunner, execute
from posthog_dbapi.sql.statements import Statement, StatementKind, classify
from posthog_dbapi.types import utc_text

if TYPE_CHECKING:
    from posthog_dbapi.dbapi.connection import Connection

__all__ = ["Cursor"]


def _binding(value: Any) -> Any:
    """A bound parameter as a SQLite value (datetimes as the ISO text the tables hold)."""
    if value is None or isinstance(value, (int, float, str, bytes)):
        if isinstance(value, bool):
            return int(value)
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return utc_text(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value)


class Cursor:
    """A PEP 249 cursor. Not safe to share between threads."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.arraysize = 1
        self.description: list[ColumnDescription] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._closed = False
        self._rows: Iterator[tuple[Any, ...]] = iter(())
        self._peeked: list[tuple[Any, ...]] = []
        self._converters: list[Any] = []
        self._converting: list[tuple[int, Any]] = []
        self._batches: DirectRows | None = None
        self._native: NativeRun | None = None
        self._raw_description: tuple[tuple[Any, ...], ...] | None = None
        self.route: str | None = None
        """How the last statement ran: ``"hogql"`` (whole, inside PostHog, through the Query
        API), ``"rest"`` (whole, by one REST list: plain columns of one table, at most a
        LIMIT/OFFSET) or ``"sqlite"`` (in SQLite over the tables' adapters)."""
        self.route_reason: str | None = None
        """Why a SELECT over an event table ran in SQLite instead of as HogQL."""
        self.hogql: str | None = None
        """The HogQL text of the last statement's first Query API request (``"hogql"`` route)."""
        self.queries: list[str] = []
        """The HogQL text of every Query API request the last statement has sent so far, by
        either route (keyset pages add more as rows are read; cached answers are not sent)."""
        self.estimated_queries: int | None = None
        """The Query API requests the last statement was expected to need before it ran
        (`posthog_dbapi.sql.cost`); above the connection's ``max_queries`` it is refused. A scan
        without a LIMIT whose first page is full counts its rows and adds what is left here."""
        self.query_id: str | None = None
        """The Query API id of the statement's latest request (``client_query_id``)."""
        self.native_rows: int | None = None
        """The rows the last statement copied from a REST table into a native SQLite table and
        ran on there (``native.py``); ``None`` when SQLite read the virtual tables (or SQLite
        was not used)."""
        self._cancelled = False
        self._remaining: float | None = None
        self._running = False

    # --- PEP 249 ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed or self.connection.closed

    def _check_open(self) -> None:
        if self.closed:
            raise InterfaceError(
                "The cursor is closed.",
                suggestion="Open a new cursor with connection.cursor().",
            )

    def close(self) -> None:
        self._rows = iter(())
        self._batches = None
        self._end_native()
        self._peeked = []
        self._closed = True

    def setinputsizes(self, sizes: Any) -> None:
        """Accepted and ignored, as PEP 249 allows."""

    def setoutputsize(self, size: Any, column: int | None = None) -> None:
        """Accepted and ignored, as PEP 249 allows."""

    def cancel(self) -> None:
        """Cancel the statement's Query API query inside PostHog (``DELETE /query/{id}/``).

        Meant to be called from another thread while ``execute`` or a fetch waits on the Query
        API; that call then raises ``OperationalError`` ("cancelled"), and no further keyset
        page is requested. Does nothing when no Query API request has been made. A statement
        on the SQLite route is not interrupted; ``connection.interrupt()`` stops that too.
        """
        query_id = self.query_id
        if query_id is None:
            return
        self._cancelled = True
        driver = cast(Any, self.connection.driver)
        try:
            driver.cancel_query(query_id)
        except ObjectNotFoundError:
            pass  # it finished (or was never registered as async) before the cancel arrived

    def execute(
        self, operation: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Cursor:
        self._check_open()
        self._remaining = self.connection.statement_timeout
        try:
            with self._limited():
                self._execute(operation, parameters)
        except Exception as exc:  # every exception leaves as a PEP 249 class
            self._reset()
            error = self._error(exc)
            if error is exc:
                raise
            raise error from exc
        return self

    def executemany(
        self, operation: str, seq_of_parameters: Sequence[Sequence[Any] | Mapping[str, Any]]
    ) -> Cursor:
        self._check_open()
        if isinstance(seq_of_parameters, (str, bytes, Mapping)) or not isinstance(
            seq_of_parameters, Iterable
        ):
            raise ProgrammingError(
                "executemany() takes a sequence of parameter sets, not "
                f"{type(seq_of_parameters).__name__}.",
                suggestion="Pass e.g. [(1, 'a'), (2, 'b')]: one tuple (or mapping) per row.",
            )
        total = 0
        applied: list[Any] = []
        for index, parameters in enumerate(seq_of_parameters):
            try:
                self.execute(operation, parameters)
            except Error as exc:
                applied.extend(exc.details.get("applied", []))
                if not applied:
                    raise
                details: dict[str, Any] = {"applied": applied, "failed": index}
                if "uncertain" in exc.details:
                    details["uncertain"] = exc.details["uncertain"]
                raise PartialWriteError(
                    f"executemany stopped at parameter set {index} after writing "
                    f"{len(applied)} row(s): {exc.message}",
                    details,
                    status=exc.status,
                    code=exc.code,
                    suggestion=exc.details.get("suggestion"),
                ) from exc
            applied.extend(self.connection.state.statement.applied)
            total += max(self.rowcount, 0)
        self.rowcount = total
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        self._check_open()
        rows = self._take(1)
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        self._check_open()
        return self._take(self.arraysize if size is None else size)

    def fetchall(self) -> list[tuple[Any, ...]]:
        self._check_open()
        return self._take(None)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self

    def __next__(self) -> tuple[Any, ...]:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- internals ----------------------------------------------------------------------------

    def _reset(self) -> None:
        self.route = None
        self.route_reason = None
        self.hogql = None
        self.queries = []
        self.estimated_queries = None
        self.query_id = None
        self.native_rows = None
        self._end_native()
        self._cancelled = False
        self.description = None
        self.rowcount = -1
        self.lastrowid = None
        self._rows = iter(())
        self._peeked = []
        self._converters = []
        self._converting = []
        self._batches = None

    def _take(self, size: int | None) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        while self._peeked and (size is None or len(out) < size):
            out.append(self._peeked.pop(0))
        try:
            # The rows are tuples of values, which hold no reference cycles: no collection
            # while a batch of them is built (see ``collector.py``).
            with self._limited(), collector_paused():
                if self._batches is not None:
                    out += self._batches.take(None if size is None else size - len(out))
                if not self._converters:
                    # Rows that need no conversion (the HogQL route's, already Python values,
                    # or SQLite's without a converted column) are taken by one C-level loop.
                    out += islice(self._rows, None if size is None else max(0, size - len(out)))
                while self._converters and (size is None or len(out) < size):
                    raw = next(self._rows, None)
                    if raw is None:
                        break
                    out.append(self._convert(raw))
        except Exception as exc:
            self._rows = iter(())
            self._batches = None
            self._end_native()
            error = self._error(exc)
            if error is exc:
                raise
            raise error from exc
        except BaseException:  # KeyboardInterrupt: the private database must not outlive it
            self._end_native()
            raise
        if self._native is not None and (size is None or len(out) < size):
            self._end_native()  # every row is read
        return out

    def _end_native(self) -> None:
        """Close the private database of a statement that ran on a native copy (``native.py``)."""
        native, self._native = self._native, None
        if native is not None:
            self._rows = iter(())
            native.close()

    @contextmanager
    def _limited(self) -> Iterator[None]:
        """Run a call under what is left of the statement's ``statement_timeout`` (the time
        between fetches does not count); nested calls share the outer call's deadline."""
        if self._running:
            yield
            return
        sandbox = self.connection._sandbox
        self._running = True
        start = sandbox.begin(self._remaining, self.connection.statement_timeout)
        try:
            yield
        finally:
            self._running = False
            self._remaining = sandbox.end(start, self._remaining)

    def _error(self, exc: Exception) -> Error:
        return self._cancel_error(exc) or self.connection._sandbox.error_for(exc) or translate(exc)

    def _cancel_error(self, exc: Exception) -> Error | None:
        """The error of a statement ``cancel()`` stopped, or None if it was not cancelled."""
        if not self._cancelled:
            return None
        return OperationalError(
            "The query was cancelled.",
            {"query_id": self.query_id},
            suggestion="Run the statement again to get its rows.",
        )

    def _convert(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        if not self._converters:
            return tuple(raw)
        # Only the few columns with a converter are visited: this runs once per row.
        row = list(raw)
        for index, conv in self._converting:
            value = row[index]
            if value is not None:
                row[index] = conv(value)
        return tuple(row)

    def _execute(self, operation: str, parameters: Any) -> None:
        self._reset()
        if isinstance(parameters, Mapping):
            bindings: Any = {k: _binding(v) for k, v in parameters.items()}
        elif parameters is None:
            bindings = None
        elif isinstance(parameters, (str, bytes)):
            raise ProgrammingError(
                "Parameters must be a sequence of values, not a string.",
                suggestion="Wrap a single value in a tuple: execute(sql, (value,)).",
            )
        else:
            bindings = tuple(_binding(v) for v in parameters)
        operation, statement = self.connection.resolve_names(operation, classify(operation))
        if self._run_as_hogql(operation, statement, parameters, bindings):
            return
        if statement.kind is StatementKind.SELECT and self._run_direct(operation, bindings):
            return
        check_write(self.connection, statement, bindings)
        self.route = "sqlite"
        self._raw_description = None
        state = self.connection.state
        if statement.kind is StatementKind.SELECT:
            scanned = [t for t in statement.tables if t in self.connection.hogql_tables
                       and t not in self.connection.rest_shared_tables]  # fmt: skip
            if scanned:
                chosen = Fallback(self.route_reason or "a statement SQLite runs")
                self.estimated_queries = estimate(chosen, scanned, QUERY_MAX_ROWS)
                check_budget(self.estimated_queries, self.connection.max_queries, chosen)
        context = state.begin_statement()
        context.replay = not statement.single_pass
        self.queries = context.queries
        context.on_more = self._more
        if statement.kind is StatementKind.SELECT and self.estimated_queries is not None:
            read_join_keys(self.connection, operation, context)
        native = None
        if statement.whole_scan and self.connection.native_scans:
            native = run_native(self.connection, operation, bindings, statement.tables, self._trace)
        if native is not None:
            self._native = native
            self.native_rows = native.loaded
            apsw_cursor = native.rows
        else:
            apsw_cursor = self.connection._run(operation, bindings, self._trace)
        if statement.kind in (StatementKind.INSERT, StatementKind.UPDATE, StatementKind.DELETE):
            list(apsw_cursor)
            self.rowcount = self.connection._changes()
            if statement.kind is StatementKind.INSERT:
                self.lastrowid = context.created_rowid
            return
        self._rows = iter(apsw_cursor)
        self._describe()
        if self.description is not None:
            # The first row is already computed by SQLite; it fills the type codes of
            # expression columns, which carry no declared type.
            self._peeked = self._take(1)
            if self._peeked:
                first = self._peeked[0]
                self.description = [
                    (d[0], d[1] if d[1] is not None else code_of_value(first[i]), *d[2:])
                    for i, d in enumerate(self.description)
                ]

    def _run_direct(self, operation: str, bindings: Any) -> bool:
        """Answer a SELECT the REST API answers whole without SQLite; False otherwise."""
        connection = self.connection
        chosen = direct_plan(operation, bindings, connection.state, connection.rest_tables)
        if chosen is None:
            return False
        connection._check_open()
        self.route = "rest"
        rows = run_direct(chosen, connection.state)
        self.description = list(rows.description)
        self._batches = rows
        # Like SQLite, compute the first row now, so a failing request fails execute().
        self._peeked = self._take(1)
        return True

    def _trace(self, cursor: Any, sql: str, bindings: Any) -> bool:
        try:
            described = cursor.description_full
        except apsw.ExecutionCompleteError:
            described = ()
        if described:
            self._raw_description = described
        return True

    def _run_as_hogql(
        self, operation: str, statement: Statement, parameters: Any, bindings: Any
    ) -> bool:
        """Send the statement to the Query API when it can run there whole; False otherwise."""
        connection = self.connection
        chosen = choose(connection, operation, statement, parameters, bindings)
        if chosen is None:
            return False
        if isinstance(chosen, Fallback):
            self.route_reason = chosen.reason
            return False
        connection._check_open()
        self.estimated_queries = estimate(chosen, (), page_rows(chosen))
        check_budget(self.estimated_queries, connection.max_queries, chosen)

        def started(query_id: str) -> None:
            if self._cancelled:
                raise OperationalError("The query was cancelled.", {"query_id": self.query_id})
            connection._sandbox.query_started(query_id)
            self.query_id = query_id

        timeout = connection.query_timeout
        try:
            result = execute(
                cast(QueryRunner, connection.driver),
                chosen,
                queries=self.queries,
                page_size=page_rows(chosen),
                timeout=timeout,
                # With a timeout the query runs async and is polled, so PostHog can be told
                # to stop it when the time is up (a blocking request could only be abandoned).
                refresh="blocking" if timeout is None else "async",
                on_query=started,
                on_more=self._more,
            )
        except Exception as exc:
            stopped = self._cancel_error(exc) or connection._sandbox.error_for(exc)
            if stopped is None:
                raise
            raise stopped from exc
        self.route = "hogql"
        self.hogql = chosen.hogql
        self.description = [tuple(d) for d in result.description]  # type: ignore[misc]
        self._rows = iter(result)
        return True

    def _more(self, count: int) -> None:
        """A scan needs `count` requests beyond the estimate (`posthog_dbapi.sql.cost`)."""
        self.estimated_queries = (self.estimated_queries or 0) + count
        check_more(self.estimated_queries, self.connection.max_queries, len(self.queries))

    def _describe(self) -> None:
        described = self._raw_description
        if not described:
            self.description = None
            return
        self.description, converters = describe(self.connection, described)
        self._converters = converters if any(c is not None for c in converters) else []
        self._converting = [(i, c) for i, c in enumerate(converters) if c is not None]
