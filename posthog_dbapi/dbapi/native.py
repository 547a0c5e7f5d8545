"""A SELECT over one REST table run by SQLite on a native copy of the rows it reads.

For a statement SQLite answers only after reading its one table whole (``Statement.whole_scan``:
an aggregate, GROUP BY, ORDER BY, window), the virtual table's per-row and per-cell callbacks
into Python are most of the cost (``benchmarks/RESULTS.md``, benchmark 5). Instead:

1. the statement runs once on the connection's database with the statement context's ``probe``
   set: SQLite plans it as always and calls the virtual table's ``Filter`` with the columns,
   filters and window it would push, which are noted and nothing is read (no request);
2. exactly that scan is read through the table's adapter (the same requests a virtual-table scan
   sends) and copied into a table of a private in-memory database, declared like the virtual
   table, one ``executemany`` a page (`posthog_dbapi.adapters.bulk`);
3. the statement, as the user wrote it and with the same parameters, runs on that database: every
   WHERE term is applied again by SQLite, natively.

The private database is the connection's sandbox's as well (authorizer, deadline, ``stop()``,
the process's heap limit), holds nothing but the copy, is named by nobody else, and is closed
when its rows are read, on the cursor's next statement, on ``close()`` and on any error: nothing
is left in the connection's own database, whatever happens.

Anything else runs on the virtual table, as before: a probe that saw no scan or several (an IN
list SQLite scans once per value), a HogQL table, a window SQLite pushed into the scan, a value
the native table's column affinity would change (``bulk.NotLoadable``; the virtual table then
replays the records already fetched, so no request is sent twice), or a copy that would not fit
the heap limit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import apsw

from posthog_dbapi.adapters.bulk import NotLoadable, ProbedScan, declaration, load
from posthog_dbapi.adapters.rest import RESTAdapter

if TYPE_CHECKING:
    from posthog_dbapi.dbapi.connection import Connection

__all__ = ["NativeRun", "run_native"]


class NativeRun:
    """A statement running on its private database: ``rows`` (an apsw cursor) and ``loaded``,
    the number of rows copied; ``close()`` ends both."""

    def __init__(self, db: apsw.Connection, rows: apsw.Cursor, loaded: int) -> None:
        self.db = db
        self.rows = rows
        self.loaded = loaded

    def close(self) -> None:
        self.db.close(True)


def _quiet(cursor: Any, sql: str, bindings: Any) -> bool:
    return True


def probe(connection: Connection, sql: str, bindings: Any) -> list[ProbedScan]:
    """The scans SQLite would make to run ``sql`` on the connection's database, read from the
    virtual tables' ``Filter`` calls; nothing is fetched. SQL and authorizer errors are the
    statement's own and are raised as they would be when it runs."""
    context = connection.state.statement
    scans: list[ProbedScan] = []
    context.probe = scans
    try:
        for _ in connection._run(sql, bindings, _quiet):
            pass  # the scan is empty: an aggregate's one row, at most
    finally:
        context.probe = None
    return scans


def run_native(
    connection: Connection,
    sql: str,
    bindings: Any,
    tables: Sequence[str],
    trace: Callable[..., bool],
) -> NativeRun | None:
    """Run the SELECT ``sql`` (naming ``tables``) on a native copy of the rows it reads, or
    return ``None`` when it must run on the virtual tables (see the module docstring)."""
    hogql = [connection.hogql_tables.get(name) for name in tables]
    if any(table is not None and not table.partial for table in hogql):
        return None  # read through the Query API, not a REST list: not probed at all
    scans = probe(connection, sql, bindings)
    if len(scans) != 1:
        return None
    scan = scans[0]
    if not isinstance(scan.adapter, RESTAdapter) or scan.limit is not None or scan.offset:
        # A window SQLite pushed into the scan is not applied again by SQLite; on the copy it
        # would be (an OFFSET twice).
        return None
    sandbox = connection._sandbox
    table = scan.adapter.table
    db = apsw.Connection(":memory:")
    try:
        sandbox.govern(db)
        with sandbox.trusted():  # the authorizer refuses CREATE TABLE to statements
            db.execute(declaration(table, scan.adapter), can_cache=False)
        try:
            loaded = load(db, table, scan)
        except (NotLoadable, apsw.NoMemError):
            db.close(True)
            return None
        # Only this statement reads the table: the records need not stay in the page cache.
        connection.state.statement.scans.clear()
        cursor = db.cursor()
        cursor.exec_trace = trace
        rows = cursor.execute(sql, bindings, can_cache=False)
    except BaseException:
        db.close(True)
        raise
    return NativeRun(db, rows, loaded)
