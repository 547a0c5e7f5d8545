"""One client after login: the simple and extended query protocols over a ``Backend``.

Simple query (``Q``) runs each statement of the string in turn. The extended protocol keeps
named and unnamed prepared statements (Parse) and portals (Bind); a portal starts its statement
when it is first described or executed and then streams: ``Execute`` with a row limit sends that
many rows and ``PortalSuspended``, the next ``Execute`` continues. SQL cursors (``DECLARE ...
CURSOR``, ``FETCH``, ``CLOSE``), as psycopg's server-side cursors use them, are portals too.
After an error, messages are skipped until ``Sync``, as PostgreSQL does.

Transactions: PostHog has none. ``BEGIN``/``COMMIT`` only track the status clients expect;
``ROLLBACK`` after a write succeeds with a WARNING notice that the writes were already applied.
An error inside a transaction does not put it in the failed state.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from posthog_dbapi.exceptions import (
    DataError,
    InterfaceError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)
from posthog_dbapi.pgwire.codec import (
    OID,
    ProtocolError,
    Reader,
    Writer,
    encode_value,
    format_formats,
)
from posthog_dbapi.pgwire.commands import Command, parse_command, split
from posthog_dbapi.pgwire.copyout import CopyOut, parse_copy, send_copy
from posthog_dbapi.pgwire.errors import QueryCanceled, error_fields
from posthog_dbapi.pgwire.execute import Backend, Result
from posthog_dbapi.pgwire.guard import format_timeout, parse_timeout
from posthog_dbapi.pgwire.paramcodec import decode_param
from posthog_dbapi.pgwire.translate import Translation

__all__ = ["REPORTED_SETTINGS", "Session"]

REPORTED_SETTINGS = {
    "application_name": "application_name", "client_encoding": "client_encoding",
    "datestyle": "DateStyle", "integer_datetimes": "integer_datetimes",
    "intervalstyle": "IntervalStyle", "is_superuser": "is_superuser",
    "server_encoding": "server_encoding", "server_version": "server_version",
    "session_authorization": "session_authorization",
    "standard_conforming_strings": "standard_conforming_strings", "timezone": "TimeZone",
}  # fmt: skip


@dataclass
class Prepared:
    sql: str
    command: Command | None
    translation: Translation | None
    param_oids: list[int]
    described: list[tuple[str, int]] | None = None
    copy: CopyOut | None = None

    def param_oid(self, index: int) -> int:
        """The parameter's type: the client's OID, else the one the statement implies."""
        given = self.param_oids[index] if index < len(self.param_oids) else 0
        if given:
            return given
        inferred = self.translation.param_types if self.translation else {}
        return inferred.get(index, OID.TEXT)

    @property
    def param_count(self) -> int:
        translation = self.translation
        used = 0
        if translation is not None:
            numbers = [*translation.param_order, *translation.literal_params]
            used = max(numbers, default=-1) + 1
        return max(used, len(self.param_oids))


@dataclass
class Portal:
    prepared: Prepared
    params: list[Any]
    formats: list[int] = field(default_factory=list)
    result: Result | None = None
    columns: list[tuple[str, int]] | None = None
    pending: list[Sequence[Any]] = field(default_factory=list)
    sent: int = 0
    done: bool = False

    def close(self) -> None:
        if self.result is not None:
            self.result.close()


class Session:
    """The protocol state of one authenticated client."""

    def __init__(
        self,
        backend: Backend,
        writer: Writer,
        settings: dict[str, str],
        *,
        max_timeout: float | None = None,
    ) -> None:
        self.backend = backend
        self.writer = writer
        self.settings = settings
        self.status = b"I"
        self.statements: dict[str, Prepared] = {}
        self.portals: dict[str, Portal] = {}
        self.cancel = threading.Event()
        self.busy = False
        self._skip_until_sync = False
        self._wrote_in_transaction = False
        self.max_timeout = max_timeout
        """The server's statement_timeout: SET statement_timeout may lower it, not lift it."""
        self.admit: Callable[[], AbstractContextManager[None]] = nullcontext
        """Entered around each statement: the server's cap on one client's running statements."""

    # --- dispatch -----------------------------------------------------------------------------

    def handle(self, kind: bytes, body: bytes) -> bool:
        """Answer one message; ``False`` once the client said Terminate."""
        if kind == b"X":
            return False
        if kind == b"S":
            self._skip_until_sync = False
            self.cancel.clear()
            self.writer.ready(self.status)
            self.writer.flush()
            return True
        if kind == b"H":
            self.writer.flush()
            return True
        if kind == b"Q":
            self._simple_query(Reader(body).cstring())
            self.writer.ready(self.status)
            self.writer.flush()
            return True
        if self._skip_until_sync:
            return True
        handlers = {b"P": self._parse, b"B": self._bind, b"D": self._describe,
                    b"E": self._execute, b"C": self._close}  # fmt: skip
        handler = handlers.get(kind)
        self.busy = True
        try:
            if handler is None:
                raise NotSupportedError(
                    f"Message type {kind.decode(errors='replace')!r} is not supported.",
                    suggestion="Use the simple or extended query protocol (no COPY).",
                )
            with self.admit():
                handler(Reader(body))
        except ProtocolError:
            raise
        except Exception as exc:
            self._fail(exc)
            self._skip_until_sync = True
        finally:
            self.busy = False
        return True

    def interrupt(self) -> None:
        """Stop the running statement (a cancel request, or the client went away)."""
        self.backend.interrupt()

    def close(self) -> None:
        for portal in self.portals.values():
            portal.close()
        self.portals.clear()
        self.backend.close()

    def _fail(self, exc: BaseException) -> None:
        if self.cancel.is_set() and isinstance(exc, OperationalError):
            exc = QueryCanceled("canceling statement due to user request")
        self.writer.error(error_fields(exc))

    # --- simple query -------------------------------------------------------------------------

    def _simple_query(self, sql: str) -> None:
        statements = split(sql)
        if not statements:
            self.writer.message(b"I")
            return
        self.cancel.clear()
        self.busy = True
        try:
            with self.admit():
                for text in statements:
                    portal = Portal(self._prepare(text, []), [])
                    try:
                        self._start(portal)
                        if portal.columns is not None and portal.prepared.copy is None:
                            self.writer.row_description(portal.columns, [0] * len(portal.columns))
                        self._send_rows(portal, 0)
                    finally:
                        portal.close()
        except Exception as exc:
            self._fail(exc)
        finally:
            self.busy = False

    # --- extended protocol --------------------------------------------------------------------

    def _prepare(self, sql: str, param_oids: list[int]) -> Prepared:
        copy = parse_copy(sql)
        if copy is not None:
            return Prepared(sql, None, self.backend.translate(copy.query), param_oids, copy=copy)
        command = parse_command(sql)
        translation = None if command is not None else self.backend.translate(sql)
        return Prepared(sql, command, translation, param_oids)

    def _parse(self, reader: Reader) -> None:
        name = reader.cstring()
        sql = reader.cstring()
        oids = [reader.int32() & 0xFFFFFFFF for _ in range(reader.int16())]
        if name and name in self.statements:
            raise ProgrammingError(f'prepared statement "{name}" already exists')
        self.statements[name] = (
            self._prepare(sql, oids) if sql.strip() else Prepared(sql, Command("empty"), None, oids)
        )
        self.writer.message(b"1")

    def _bind(self, reader: Reader) -> None:
        portal_name = reader.cstring()
        statement = reader.cstring()
        prepared = self.statements.get(statement)
        if prepared is None:
            raise ProgrammingError(f'prepared statement "{statement}" does not exist')
        formats = [reader.int16() for _ in range(reader.int16())]
        count = reader.int16()
        raw: list[bytes | None] = []
        for _ in range(count):
            size = reader.int32()
            raw.append(None if size < 0 else reader.take(size))
        result_formats = [reader.int16() for _ in range(reader.int16())]
        param_formats = format_formats(count, formats)
        params = []
        for index, data in enumerate(raw):
            oid = prepared.param_oid(index)
            try:
                params.append(decode_param(data, oid, param_formats[index]))
            except (ValueError, UnicodeDecodeError) as exc:
                raise DataError(f"Cannot read parameter ${index + 1}: {exc}") from exc
        old = self.portals.pop(portal_name, None)
        if old is not None:
            old.close()
        self.portals[portal_name] = Portal(prepared, params, result_formats)
        self.writer.message(b"2")

    def _describe(self, reader: Reader) -> None:
        what = reader.take(1)
        name = reader.cstring()
        if what == b"S":
            prepared = self.statements.get(name)
            if prepared is None:
                raise ProgrammingError(f'prepared statement "{name}" does not exist')
            oids = [prepared.param_oid(i) for i in range(prepared.param_count)]
            self.writer.parameter_description(oids)
            columns = self._describe_statement(prepared)
            if columns is None:
                self.writer.message(b"n")
            else:
                self.writer.row_description(columns, [0] * len(columns))
            return
        portal = self._portal(name)
        self._start(portal)
        if portal.columns is None or portal.prepared.copy is not None:
            self.writer.message(b"n")
        else:
            formats = format_formats(len(portal.columns), portal.formats)
            self.writer.row_description(portal.columns, formats)

    def _describe_statement(self, prepared: Prepared) -> list[tuple[str, int]] | None:
        command = prepared.command
        if command is not None:
            return [(command.name, OID.TEXT)] if command.kind == "show" else None
        if prepared.copy is not None:
            return None
        assert prepared.translation is not None
        if prepared.translation.command != "SELECT":
            return None
        if prepared.translation.static_columns is not None:
            prepared.described = prepared.translation.static_columns
            return prepared.described
        result = self.backend.run(prepared.translation, [], describe_only=True)
        result.close()
        prepared.described = result.columns
        return result.columns

    def _portal(self, name: str) -> Portal:
        portal = self.portals.get(name)
        if portal is None:
            raise ProgrammingError(f'portal "{name}" does not exist')
        return portal

    def _execute(self, reader: Reader) -> None:
        portal = self._portal(reader.cstring())
        limit = reader.int32()
        if portal.done:
            self.writer.command_complete(f"SELECT {portal.sent}")
            return
        self._start(portal)
        self._send_rows(portal, limit)

    def _close(self, reader: Reader) -> None:
        what = reader.take(1)
        name = reader.cstring()
        if what == b"S":
            self.statements.pop(name, None)
        else:
            portal = self.portals.pop(name, None)
            if portal is not None:
                portal.close()
        self.writer.message(b"3")

    # --- running ------------------------------------------------------------------------------

    def _start(self, portal: Portal) -> None:
        if portal.result is not None:
            return
        prepared = portal.prepared
        if prepared.command is not None:
            portal.result = self._command(prepared.command, portal.params)
        else:
            translation = prepared.translation
            assert translation is not None
            if translation.literal_params:
                literals = {i: portal.params[i] for i in translation.literal_params
                            if i < len(portal.params)}  # fmt: skip
                translation = self.backend.translate(prepared.sql, literals)
            portal.result = self.backend.run(translation, portal.params)
            if translation.command != "SELECT":
                self._wrote_in_transaction = True
        if self.cancel.is_set():
            raise QueryCanceled("canceling statement due to user request")
        portal.columns = portal.result.columns
        described = prepared.described
        if described is not None and portal.columns is not None:
            # The client decodes rows by what Describe (statement) told it.
            portal.columns = described if len(described) == len(portal.columns) else portal.columns

    def _send_rows(self, portal: Portal, limit: int) -> None:
        result = portal.result
        assert result is not None
        if portal.columns is None:
            self.writer.command_complete(result.tag(0))
            portal.done = True
            return
        if portal.prepared.copy is not None:
            self._send_copy(portal, portal.prepared.copy)
            return
        formats = format_formats(len(portal.columns), portal.formats)
        oids = [oid for _, oid in portal.columns]
        sent = 0
        rows = _chain(portal.pending, result.rows)
        portal.pending = []
        for row in rows:
            if self.cancel.is_set():
                raise QueryCanceled("canceling statement due to user request")
            if limit > 0 and sent >= limit:
                portal.pending = [row]
                self.writer.message(b"s")
                return
            try:
                values = [encode_value(v, o, f) for v, o, f in zip(row, oids, formats)]
            except (ValueError, TypeError, OverflowError) as exc:
                raise DataError(f"Cannot send a value: {exc}") from exc
            self.writer.data_row(values)
            sent += 1  # noqa: SIM113 (also the row limit's counter)
            portal.sent += 1
            if sent % 500 == 0:
                self.writer.flush()
        portal.done = True
        self.writer.command_complete(result.tag(portal.sent))

    def _send_copy(self, portal: Portal, copy: CopyOut) -> None:
        result, columns = portal.result, portal.columns
        assert result is not None and columns is not None

        def rows() -> Iterator[Sequence[Any]]:
            for row in _chain(portal.pending, result.rows):
                if self.cancel.is_set():
                    raise QueryCanceled("canceling statement due to user request")
                yield row

        portal.pending = []
        portal.sent += send_copy(self.writer, copy, columns, rows())
        portal.done = True
        self.writer.command_complete(f"COPY {portal.sent}")

    def _command(self, command: Command, params: list[Any]) -> Result:
        kind = command.kind
        if kind == "empty":
            return Result(None, tag=lambda _n: "")
        if kind == "set":
            self._set(command.name, command.value)
            return Result(None, tag=lambda _n: "SET")
        if kind == "show":
            value = self.settings.get(command.name.replace(" ", "_"))
            value = self.settings.get(command.name, value)
            if value is None:
                raise ProgrammingError(f'unrecognized configuration parameter "{command.name}"')
            name = command.name.split(".")[-1].replace(" ", "_")
            return Result([(name, OID.TEXT)], iter([(value,)]), tag=lambda _n: "SHOW")
        if kind == "begin":
            self.status = b"T"
        elif kind == "commit":
            self.status, self._wrote_in_transaction = b"I", False
        elif kind == "rollback":
            if self._wrote_in_transaction:
                warning = (
                    "PostHog has no transactions: this transaction's writes were already "
                    "applied and were not rolled back."
                )
                fields = {"S": "WARNING", "V": "WARNING", "C": "01000", "M": warning}
                self.writer.error(fields, notice=True)
            self.status, self._wrote_in_transaction = b"I", False
        elif kind == "deallocate":
            if not command.name:
                self.statements.clear()
            elif self.statements.pop(command.name, None) is None:
                raise ProgrammingError(f'prepared statement "{command.name}" does not exist')
        elif kind == "declare":
            self._declare(command, params)
        elif kind == "fetch":
            return self._fetch(command)
        elif kind == "close":
            names = list(self.portals) if command.name == "" else [command.name]
            for name in names:
                portal = self.portals.pop(name, None)
                if portal is None and command.name:
                    raise ProgrammingError(f'cursor "{name}" does not exist')
                if portal is not None:
                    portal.close()
        tag = command.tag
        return Result(None, tag=lambda _n: tag)

    def _set(self, name: str, value: str) -> None:
        if name == "client_encoding" and value.upper().replace("-", "") not in ("UTF8", "UNICODE"):
            raise NotSupportedError(
                f"client_encoding {value} is not supported.", suggestion="Use UTF8."
            )
        if name == "time zone":
            name = "timezone"
        if name == "statement_timeout":
            value = self._set_timeout(value)
        self.settings[name] = value
        if name in REPORTED_SETTINGS:
            self.writer.parameter_status(REPORTED_SETTINGS[name], value)

    def _set_timeout(self, value: str) -> str:
        """Apply ``SET statement_timeout`` to the client's connection; the server's own limit
        stays the ceiling (a client cannot lift it), with a notice when it applies."""
        ceiling = self.max_timeout
        seconds = ceiling if value.strip().lower() == "default" else parse_timeout(value)
        if ceiling is not None and (seconds is None or seconds > ceiling):
            notice = (
                f"statement_timeout is capped at the server's {format_timeout(ceiling)}; "
                f"{format_timeout(seconds)} would lift it."
            )
            self.writer.error(
                {"S": "NOTICE", "V": "NOTICE", "C": "01000", "M": notice}, notice=True
            )
            seconds = ceiling
        self.backend.connection.statement_timeout = seconds
        return format_timeout(seconds)

    def _declare(self, command: Command, params: list[Any]) -> None:
        if command.name in self.portals:
            raise ProgrammingError(f'cursor "{command.name}" already exists')
        prepared = self._prepare(command.value, [])
        if prepared.command is not None:
            raise ProgrammingError("DECLARE CURSOR needs a SELECT query.")
        portal = Portal(prepared, params)
        self._start(portal)
        self.portals[command.name] = portal

    def _fetch(self, command: Command) -> Result:
        source = self.portals.get(command.name)
        if source is None:
            raise ProgrammingError(f'cursor "{command.name}" does not exist')
        if source.result is None or source.columns is None:
            raise InterfaceError(f'cursor "{command.name}" returns no rows')
        rows = _chain(source.pending, source.result.rows)
        source.pending = []
        limit = command.count

        def take() -> Iterator[Sequence[Any]]:
            count = 0
            while limit is None or count < limit:
                row = next(rows, None)
                if row is None:
                    return
                count += 1
                yield row

        return Result(list(source.columns), take(), tag=lambda n: f"FETCH {n}")


def _chain(first: list[Sequence[Any]], rest: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    # Not a generator with ``yield from``: closing it would close the portal's shared rows.
    return itertools.chain(first, rest)
