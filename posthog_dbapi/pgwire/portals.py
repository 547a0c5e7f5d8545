"""Prepared statements and portals, and streaming a portal's rows to the client.

A ``Prepared`` statement is parsed and translated once (Parse); a ``Portal`` binds it to
parameters (Bind) and holds its running ``Result``. ``send_rows`` streams a portal: with a row
limit it stops after that many rows with ``PortalSuspended`` and keeps the next row pending, so
the next ``Execute`` (or SQL ``FETCH``) continues where it stopped.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from posthog_dbapi.exceptions import DataError
from posthog_dbapi.pgwire.codec import OID, Writer, encode_value, format_formats
from posthog_dbapi.pgwire.commands import Command
from posthog_dbapi.pgwire.copyout import CopyOut, send_copy
from posthog_dbapi.pgwire.errors import QueryCanceled
from posthog_dbapi.pgwire.execute import Result
from posthog_dbapi.pgwire.translate import Translation

__all__ = ["Portal", "Prepared", "chain", "send_rows"]


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


def chain(first: list[Sequence[Any]], rest: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """The pending rows, then the rest of the result."""
    # Not a generator with ``yield from``: closing it would close the portal's shared rows.
    return itertools.chain(first, rest)


def send_rows(writer: Writer, portal: Portal, limit: int, cancel: threading.Event) -> None:
    """Send the started portal's rows (at most ``limit`` when it is positive) and its tag."""
    result = portal.result
    assert result is not None
    if portal.columns is None:
        writer.command_complete(result.tag(0))
        portal.done = True
        return
    if portal.prepared.copy is not None:
        _send_copy(writer, portal, portal.prepared.copy, cancel)
        return
    formats = format_formats(len(portal.columns), portal.formats)
    oids = [oid for _, oid in portal.columns]
    sent = 0
    rows = chain(portal.pending, result.rows)
    portal.pending = []
    for row in rows:
        if cancel.is_set():
            raise QueryCanceled("canceling statement due to user request")
        if limit > 0 and sent >= limit:
            portal.pending = [row]
            writer.message(b"s")
            return
        try:
            values = [encode_value(v, o, f) for v, o, f in zip(row, oids, formats)]
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(f"Cannot send a value: {exc}") from exc
        writer.data_row(values)
        sent += 1  # noqa: SIM113 (also the row limit's counter)
        portal.sent += 1
        if sent % 500 == 0:
            writer.flush()
    portal.done = True
    writer.command_complete(result.tag(portal.sent))


def _send_copy(writer: Writer, portal: Portal, copy: CopyOut, cancel: threading.Event) -> None:
    result, columns = portal.result, portal.columns
    assert result is not None and columns is not None

    def rows() -> Iterator[Sequence[Any]]:
        for row in chain(portal.pending, result.rows):
            if cancel.is_set():
                raise QueryCanceled("canceling statement due to user request")
            yield row

    portal.pending = []
    portal.sent += send_copy(writer, copy, columns, rows())
    portal.done = True
    writer.command_complete(f"COPY {portal.sent}")
