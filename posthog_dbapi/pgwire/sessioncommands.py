"""Answers to the session commands ``commands.parse_command`` recognises, as a ``Session`` mixin.

SET/SHOW over the session's settings (``statement_timeout`` capped by the server's), the
transaction status clients expect (PostHog has none: ``ROLLBACK`` after a write warns that the
writes were already applied), ``DEALLOCATE``, and SQL cursors (``DECLARE ... CURSOR``, ``FETCH``,
``CLOSE``), which are portals the session keeps by name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from posthog_dbapi.exceptions import InterfaceError, NotSupportedError, ProgrammingError
from posthog_dbapi.pgwire.codec import OID, Writer
from posthog_dbapi.pgwire.commands import Command
from posthog_dbapi.pgwire.execute import Backend, Result
from posthog_dbapi.pgwire.guard import format_timeout, parse_timeout
from posthog_dbapi.pgwire.portals import Portal, Prepared, chain

__all__ = ["REPORTED_SETTINGS", "SessionCommands"]

REPORTED_SETTINGS = {
    "application_name": "application_name", "client_encoding": "client_encoding",
    "datestyle": "DateStyle", "integer_datetimes": "integer_datetimes",
    "intervalstyle": "IntervalStyle", "is_superuser": "is_superuser",
    "server_encoding": "server_encoding", "server_version": "server_version",
    "session_authorization": "session_authorization",
    "standard_conforming_strings": "standard_conforming_strings", "timezone": "TimeZone",
}  # fmt: skip


class SessionCommands:
    """The session-command half of ``Session``: it owns the state these commands change."""

    backend: Backend
    writer: Writer
    settings: dict[str, str]
    status: bytes
    statements: dict[str, Prepared]
    portals: dict[str, Portal]
    max_timeout: float | None
    _wrote_in_transaction: bool

    def _prepare(self, sql: str, param_oids: list[int]) -> Prepared:
        raise NotImplementedError

    def _start(self, portal: Portal) -> None:
        raise NotImplementedError

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
            self._close_cursors(command.name)
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
        rows = chain(source.pending, source.result.rows)
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

    def _close_cursors(self, name: str) -> None:
        """``CLOSE name``, or every cursor for ``CLOSE ALL`` (an empty name)."""
        names = list(self.portals) if name == "" else [name]
        for each in names:
            portal = self.portals.pop(each, None)
            if portal is None and name:
                raise ProgrammingError(f'cursor "{each}" does not exist')
            if portal is not None:
                portal.close()
