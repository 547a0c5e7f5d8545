"""One client after login: the simple and extended query protocols over a ``Backend``.

Simple query (``Q``) runs each statement of the string in turn. The extended protocol keeps
named and unnamed prepared statements (Parse) and portals (Bind, ``portals.py``); a portal starts
its statement when it is first described or executed and then streams: ``Execute`` with a row
limit sends that many rows and ``PortalSuspended``, the next ``Execute`` continues. Session
commands (SET, SHOW, transactions, SQL cursors) are answered by ``sessioncommands.py``.
After an error, messages are skipped until ``Sync``, as PostgreSQL does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from posthog_dbapi.exceptions import (
    DataError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)
from posthog_dbapi.pgwire.codec import OID, ProtocolError, Reader, Writer, format_formats
from posthog_dbapi.pgwire.commands import Command, parse_command, split
from posthog_dbapi.pgwire.copyout import parse_copy
from posthog_dbapi.pgwire.errors import QueryCanceled, error_fields
from posthog_dbapi.pgwire.execute import Backend
from posthog_dbapi.pgwire.paramcodec import decode_param
from posthog_dbapi.pgwire.portals import Portal, Prepared, send_rows
from posthog_dbapi.pgwire.sessioncommands import REPORTED_SETTINGS, SessionCommands

__all__ = ["REPORTED_SETTINGS", "Session"]


class Session(SessionCommands):
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
                        send_rows(self.writer, portal, 0, self.cancel)
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
        send_rows(self.writer, portal, limit, self.cancel)

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
