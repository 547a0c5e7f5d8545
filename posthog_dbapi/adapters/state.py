"""Per-connection state the adapters reach through an opaque token, and per-statement caches.

SQLite builds a virtual table from the text of its ``CREATE VIRTUAL TABLE`` statement, which stays
readable in ``sqlite_master``. So the text carries only the table name and a random token; the
token is looked up here to find the connection's driver. The API key never leaves the driver.

``ConnectionState`` also owns:

- the field infos of each table (``driver.get_fields``), fetched once per connection;
- the stable mapping between string/UUID record keys and SQLite's integer rowids;
- the current ``StatementContext``: pages fetched during one statement, shared by every scan of
  that statement, so a join does not refetch the inner table once per outer row
  (shillelagh issue 224), and the ids a multi-row write has already applied. A statement that
  reads each table once (``replay`` False) keeps no rows: its scans stream.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

from posthog_dbapi.exceptions import InterfaceError

if TYPE_CHECKING:
    from posthog_dbapi.sql.pushdown_tables import HogQLTable

__all__ = [
    "CachedScan",
    "ConnectionState",
    "DriverLike",
    "StatementContext",
    "lookup_state",
    "register_state",
    "unregister_state",
]


class DriverLike(Protocol):
    """The part of ``PostHogDriver`` (contract D) the adapters use."""

    project_id: str

    def get_fields(self, object_name: str) -> dict[str, dict[str, Any]]: ...

    def iter_records(
        self,
        name: str,
        params: Any = None,
        *,
        page_size: int | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]: ...

    def retrieve(self, name: str, key: str | int) -> dict[str, Any]: ...

    def create(self, object_name: str, data: dict[str, Any]) -> dict[str, Any]: ...

    def update(self, object_name: str, record_id: Any, data: dict[str, Any]) -> dict[str, Any]: ...

    def delete(self, object_name: str, record_id: Any) -> bool: ...

    def query(
        self, hogql: str, values: Any = None, *, refresh: str = ..., timeout: float | None = None
    ) -> Any: ...

    def call_endpoint(
        self,
        endpoint: str,
        method: str = "GET",
        params: Any = None,
        data: Any = None,
        **kwargs: Any,
    ) -> Any: ...

    def close(self) -> None: ...


class CachedScan:
    """One list request's rows, fetched lazily and replayable.

    The first consumer pulls pages from the driver as it iterates; later consumers within the same
    statement replay what is already fetched and continue from there. A page is requested only
    when a consumer needs a row beyond what has been fetched.

    With ``keep=False`` the rows pass through without being kept (a statement that reads the
    table once: a million-row scan must not hold a million rows); such a scan cannot be
    replayed (``replayable`` is False once a row has gone by).
    """

    def __init__(self, source: Iterator[dict[str, Any]], *, keep: bool = True) -> None:
        self._source: Iterator[dict[str, Any]] | None = source
        self._rows: list[dict[str, Any]] = []
        self.keep = keep
        self._started = False

    @property
    def replayable(self) -> bool:
        """Whether a new consumer would see every row (kept, or none consumed yet)."""
        return self.keep or not self._started

    @property
    def complete(self) -> bool:
        return self._source is None

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self._rows

    def take(self, start: int, count: int) -> list[dict[str, Any]]:
        """Rows ``start`` to ``start + count`` (fewer at the end), pulling from the driver only
        those not fetched yet, by one C-level loop rather than a generator step per row."""
        rows = self._rows
        missing = start + count - len(rows)
        if missing > 0 and self._source is not None:
            before = len(rows)
            # ``extend`` keeps the rows pulled before a failing page, as a row-wise pull would.
            rows.extend(islice(self._source, missing))
            if len(rows) - before < missing:
                self._source = None
        return rows[start : start + count]

    def _pull(self) -> bool:
        if self._source is None:
            return False
        try:
            self._rows.append(next(self._source))
        except StopIteration:
            self._source = None
            return False
        return True

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if not self.keep:
            return self._stream()
        return self._replay()

    def _stream(self) -> Iterator[dict[str, Any]]:
        if self._started:
            raise RuntimeError("a scan that keeps no rows was read twice")  # a bug, not input
        self._started = True
        source = self._source
        if source is not None:
            yield from source
        self._source = None

    def _replay(self) -> Iterator[dict[str, Any]]:
        # Runs once per row of every REST scan: pulls inline rather than through ``_pull``.
        rows = self._rows
        index = 0
        while True:
            if index < len(rows):
                yield rows[index]
                index += 1
                continue
            source = self._source
            if source is None:
                return
            record = next(source, None)
            if record is None:
                self._source = None
                return
            rows.append(record)
            index += 1
            yield record

    def fill(self) -> list[dict[str, Any]]:
        """Fetch every remaining page and return all rows."""
        if not self.keep:
            raise RuntimeError("fill() of a scan that keeps no rows")  # a bug, not input
        while self._pull():
            pass
        return self._rows


@dataclass
class StatementContext:
    """What one SQL statement fetched and wrote."""

    scans: dict[tuple[Any, ...], CachedScan] = field(default_factory=dict)
    lookups: dict[str, int] = field(default_factory=dict)
    """How many single-record retrieves each table has made in this statement."""
    seen: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    """The API record behind each (table, rowid) this statement read; UPDATE diffs against it."""
    applied: list[Any] = field(default_factory=list)
    """Ids of the records this statement has already created, changed or deleted."""
    created_rowid: int | None = None
    queries: list[str] = field(default_factory=list)
    """The HogQL text of every Query API request the statement's scans sent."""
    on_more: Callable[[int], None] | None = None
    """Told of the requests a scan needs beyond the statement's estimate, before they are
    sent (the cursor grows its estimate and may refuse them)."""
    replay: bool = True
    """Whether SQLite may read a table more than once in this statement (a join, a subquery, a
    table named twice, an OR it may scan once per branch): only then do scans keep their rows
    to replay them. The cursor sets False for a SELECT that reads one table once."""
    probe: list[Any] | None = None
    """Set while the cursor asks SQLite how it would run the statement (`posthog_dbapi.dbapi.
    native`): each scan notes its arguments here (``bulk.ProbedScan``) and reads nothing."""
    join_keys: dict[tuple[str, str], set[Any]] = field(default_factory=dict)
    """(HogQL table, column) -> the values a REST table joined on that column holds, read
    before the statement runs, so the table is fetched once with them as an IN list."""


class ConnectionState:
    """The driver and the caches of one DB-API connection."""

    def __init__(self, driver: DriverLike) -> None:
        self.token = secrets.token_hex(16)
        self.driver = driver
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}
        self._key_to_rowid: dict[str, dict[Any, int]] = {}
        self._rowid_to_key: dict[str, dict[int, Any]] = {}
        self._lock = threading.Lock()
        self.statement = StatementContext()
        self.hogql_tables: Mapping[str, HogQLTable] = {}
        """The connection's HogQL tables by table name (the connection fills it): the virtual
        table of such a name reads through the Query API."""
        self.on_query: Callable[[str], None] | None = None
        """Told the id of each Query API request a table sends before it is sent, so the
        connection can cancel it when the statement is stopped (it may raise to refuse it)."""

    def begin_statement(self) -> StatementContext:
        self.statement = StatementContext()
        return self.statement

    def fields(self, table: str) -> dict[str, dict[str, Any]]:
        if table not in self._fields:
            self._fields[table] = self.driver.get_fields(table)
        return self._fields[table]

    def rowid_for(self, table: str, key: Any, *, integer_keys: bool) -> int:
        """A stable integer rowid for a record key: the id itself when it is an integer."""
        if integer_keys:
            try:
                return int(key)
            except (TypeError, ValueError):
                pass
        with self._lock:
            forward = self._key_to_rowid.setdefault(table, {})
            if key not in forward:
                rowid = len(forward) + 1
                forward[key] = rowid
                self._rowid_to_key.setdefault(table, {})[rowid] = key
            return forward[key]

    def key_for(self, table: str, rowid: int, *, integer_keys: bool) -> Any:
        """The record key behind a rowid handed out by ``rowid_for``."""
        if integer_keys:
            return rowid
        return self._rowid_to_key.get(table, {}).get(rowid)


_states: dict[str, ConnectionState] = {}
_states_lock = threading.Lock()


def register_state(state: ConnectionState) -> None:
    with _states_lock:
        _states[state.token] = state


def unregister_state(token: str) -> None:
    with _states_lock:
        _states.pop(token, None)


def lookup_state(token: str) -> ConnectionState:
    state = _states.get(token)
    if state is None:
        raise InterfaceError(
            "The connection behind this table is closed.",
            suggestion="Open a new connection with posthog_dbapi.connect().",
        )
    return state
