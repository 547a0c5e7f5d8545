"""The guard around a connection's SQLite engine: what SQL may do there, and for how long.

SQL reaches the local engine from people the host does not fully trust (Superset's SQL Lab,
clients of ``serve-pg``, apps that pass user SQL to ``pandas.read_sql``). ``Sandbox`` installs on
one apsw connection:

- an authorizer: reads of the PostHog tables, INSERT, UPDATE and DELETE on them, and temporary
  tables, views and indexes (``CREATE TEMP ...``, held in memory, private to the connection) are
  allowed. ATTACH and DETACH (``VACUUM INTO`` attaches its target file), ANALYZE, REINDEX,
  schema changes outside the temp schema, triggers, virtual tables, PRAGMAs other than a short
  read-only list, and ``load_extension`` are refused with ``NotSupportedError`` naming what was
  refused and what the connection allows. Temporary objects may not take a PostHog table's name.
- settings that keep files out: no attached databases (``SQLITE_LIMIT_ATTACHED`` 0), temporary
  storage in memory, defensive mode (no writable schema), schema code untrusted;
- a deadline (``statement_timeout``): SQLite's progress handler stops local evaluation once the
  statement has run that long, and a watchdog thread cancels the Query API queries it started
  (a request blocked on HTTP runs no SQLite code the progress handler could stop);
- ``stop()``, callable from any thread (``Connection.interrupt()``, serve-pg's cancel request
  and closed clients), which ends the running statement the same way.

Memory: SQLite's heap limit is process-wide (``sqlite3_hard_heap_limit64``), not per connection.
The first sandbox sets it to ``HEAP_LIMIT`` unless the process already set one; a statement that
needs more fails with ``OperationalError`` and the connection stays usable.
``set_heap_limit()`` changes it for the whole process.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import apsw

from posthog_dbapi.exceptions import (
    Error,
    NotSupportedError,
    OperationalError,
    TimeoutError,
)
from posthog_dbapi.options import check_number

__all__ = [
    "ALLOWED",
    "DEFAULT_STATEMENT_TIMEOUT",
    "HEAP_LIMIT",
    "Sandbox",
    "check_statement_timeout",
    "heap_limit",
    "set_heap_limit",
]

DEFAULT_STATEMENT_TIMEOUT = 600.0
"""Seconds of work a statement may take unless the connection says otherwise: generous for a
local evaluation that pages many Query API results, finite so a runaway statement ends."""

HEAP_LIMIT = 1 << 30
"""Bytes SQLite may allocate in this process (1 GiB) unless the process set its own limit."""

PROGRESS_STEPS = 10_000
"""SQLite virtual-machine steps between deadline checks: a few microseconds apart, and cheap
(a check every 1,000 steps cost ~10% on a tight recursive CTE, every 10,000 nothing measurable)."""

WATCHDOG_TICK = 0.1
"""Seconds between the watchdog's looks at running statements' deadlines."""

ALLOWED = (
    "A PostHog connection reads the PostHog tables and changes them with INSERT, UPDATE and "
    "DELETE; CREATE TEMP TABLE and CREATE TEMP VIEW hold intermediate results in memory. "
    "It does not attach or write files, change the PostHog tables' schema, or change settings."
)

# PRAGMAs that only report. The first group takes a table or index name as its argument.
_NAMED_PRAGMAS = frozenset(
    {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
     "foreign_key_list"}
)  # fmt: skip
_REPORT_PRAGMAS = frozenset(
    {"database_list", "collation_list", "function_list", "module_list", "pragma_list",
     "compile_options", "encoding", "data_version", "schema_version", "user_version",
     "foreign_keys", "read_uncommitted", "temp_store"}
)  # fmt: skip

# Eponymous tables of the main schema that only compute: the schema table and JSON walkers.
_READABLE = frozenset(
    {"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema",
     "json_each", "json_tree", "jsonb_each", "jsonb_tree"}
)  # fmt: skip

_SQLITE_REFUSAL = re.compile(
    r"not authorized|may not be (?:altered|indexed|modified)|cannot create triggers on virtual"
)
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema"})
_REFUSED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer"})

_CREATE = {
    apsw.SQLITE_CREATE_TABLE: "CREATE TABLE",
    apsw.SQLITE_CREATE_VIEW: "CREATE VIEW",
    apsw.SQLITE_CREATE_INDEX: "CREATE INDEX",
    apsw.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER",
    apsw.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TEMP TRIGGER",
    apsw.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE",
}
_DROP = {
    apsw.SQLITE_DROP_TABLE: "DROP TABLE",
    apsw.SQLITE_DROP_VIEW: "DROP VIEW",
    apsw.SQLITE_DROP_INDEX: "DROP INDEX",
    apsw.SQLITE_DROP_TRIGGER: "DROP TRIGGER",
    apsw.SQLITE_DROP_TEMP_TRIGGER: "DROP TRIGGER",
    apsw.SQLITE_DROP_VTABLE: "DROP TABLE",
}
_TEMP_CREATE = {
    apsw.SQLITE_CREATE_TEMP_TABLE: "CREATE TEMP TABLE",
    apsw.SQLITE_CREATE_TEMP_VIEW: "CREATE TEMP VIEW",
    apsw.SQLITE_CREATE_TEMP_INDEX: "CREATE TEMP INDEX",
}
_TEMP_DROP = frozenset(
    {apsw.SQLITE_DROP_TEMP_TABLE, apsw.SQLITE_DROP_TEMP_VIEW, apsw.SQLITE_DROP_TEMP_INDEX}
)
_ALWAYS = frozenset(
    {apsw.SQLITE_SELECT, apsw.SQLITE_RECURSIVE, apsw.SQLITE_TRANSACTION, apsw.SQLITE_SAVEPOINT}
)
_WRITES = {apsw.SQLITE_INSERT: "INSERT INTO", apsw.SQLITE_UPDATE: "UPDATE",
           apsw.SQLITE_DELETE: "DELETE FROM"}  # fmt: skip

_heap_lock = threading.Lock()
_heap_set = False


def set_heap_limit(limit: int) -> None:
    """Cap the memory SQLite may allocate in this process, in bytes (0: no cap).

    Process-wide: every apsw connection shares it, which is what protects the host."""
    global _heap_set
    if limit < 0:
        raise ValueError("The heap limit is a number of bytes, 0 for none.")
    with _heap_lock:
        apsw.hard_heap_limit(limit)
        _heap_set = True


def heap_limit() -> int:
    """The process's SQLite heap limit in bytes (0: none)."""
    return int(apsw.hard_heap_limit(-1))


def _default_heap_limit() -> None:
    global _heap_set
    with _heap_lock:
        if _heap_set:
            return
        _heap_set = True
        if apsw.hard_heap_limit(-1) == 0:  # the application's own limit wins
            apsw.hard_heap_limit(HEAP_LIMIT)


class _Watchdog:
    """One daemon thread for the process: stops statements whose deadline passed while they
    wait on something other than SQLite (a Query API request)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._watched: set[Sandbox] = set()
        self._thread: threading.Thread | None = None

    def watch(self, sandbox: Sandbox) -> None:
        with self._cond:
            self._watched.add(sandbox)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="posthog-dbapi-watchdog", daemon=True
                )
                self._thread.start()
            elif len(self._watched) == 1:
                self._cond.notify()

    def unwatch(self, sandbox: Sandbox) -> None:
        with self._cond:
            self._watched.discard(sandbox)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._watched:
                    self._cond.wait()
                now = time.monotonic()
                expired = [s for s in self._watched if s.expired(now)]
            for sandbox in expired:
                sandbox.stop("timeout")
            time.sleep(WATCHDOG_TICK)


_watchdog = _Watchdog()


class Sandbox:
    """The authorizer, limits and deadline of one apsw connection (see the module docstring)."""

    def __init__(
        self,
        db: apsw.Connection,
        is_table: Callable[[str], bool],
        cancel_query: Callable[[str], None],
    ) -> None:
        self._db = db
        self._is_table = is_table
        self._cancel_query = cancel_query
        self._trusted = 0
        self._refusal: str | None = None
        self._stop: str | None = None
        self._deadline: float | None = None
        self._timeout: float | None = None
        self._queries: list[str] = []
        self._watched = False  # under the watchdog until the current call ends
        self._lock = threading.Lock()
        _default_heap_limit()
        self.govern(db)

    def govern(self, db: apsw.Connection) -> None:
        """Put ``db`` under this sandbox: its settings, its authorizer, and its deadline and
        ``stop()`` (a private database a statement of this connection runs in, ``native.py``)."""
        # Our own settings go in before the authorizer, which would refuse these PRAGMAs.
        db.execute("PRAGMA temp_store = MEMORY")
        db.config(apsw.SQLITE_DBCONFIG_DEFENSIVE, 1)
        db.config(apsw.SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0)
        db.config(apsw.SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0)
        db.limit(apsw.SQLITE_LIMIT_ATTACHED, 0)
        db.authorizer = self._authorize
        db.set_progress_handler(self._progress, PROGRESS_STEPS)

    # --- authorizer ---------------------------------------------------------------------------

    @contextmanager
    def trusted(self) -> Iterator[None]:
        """Let the connection run its own statements (creating a PostHog table's virtual table)."""
        self._trusted += 1
        try:
            yield
        finally:
            self._trusted -= 1

    def _authorize(
        self, code: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None
    ) -> int:
        if self._trusted:
            return apsw.SQLITE_OK
        refusal = self._refusal_of(code, arg1, arg2, db)
        if refusal is None:
            return apsw.SQLITE_OK
        if self._refusal is None:
            self._refusal = refusal
        return apsw.SQLITE_DENY

    def _refusal_of(
        self, code: int, arg1: str | None, arg2: str | None, db: str | None
    ) -> str | None:
        """Why the action is refused, or None when it is allowed."""
        if code in _ALWAYS:
            return None
        temp = db == "temp"
        if code == apsw.SQLITE_READ:
            if db is None or temp or arg1 is None:
                return None  # a CTE, a subquery, or a temporary object
            if self._is_table(arg1) or arg1 in _READABLE or _readable_pragma(arg1):
                return None
            return f"Reading {arg1}"
        if code in _WRITES:
            if temp or (db == "main" and arg1 is not None and self._is_table(arg1)):
                return None
            if arg1 in _SCHEMA_TABLES:
                # A schema change writes the schema table first; the change's own action
                # (CREATE, DROP, ...) is refused next. SQLite refuses direct writes itself.
                return None
            return f"{_WRITES[code]} {arg1}"
        if code == apsw.SQLITE_FUNCTION:
            return f"{arg2}()" if (arg2 or "").lower() in _REFUSED_FUNCTIONS else None
        if code == apsw.SQLITE_PRAGMA:
            return _pragma_refusal(arg1 or "", arg2)
        if code in _TEMP_CREATE:
            if arg1 is not None and self._is_table(arg1) and code != apsw.SQLITE_CREATE_TEMP_INDEX:
                return f"{_TEMP_CREATE[code]} {arg1} (it would hide the PostHog table {arg1})"
            return None
        if code in _TEMP_DROP:
            return None
        if code in _CREATE:
            if (arg1 or "").startswith("sqlite_stat"):
                return "ANALYZE"  # it creates its statistics tables first
            return f"{_CREATE[code]} {arg1 or ''}".rstrip()
        if code in _DROP:
            return f"{_DROP[code]} {arg1 or ''}".rstrip()
        if code == apsw.SQLITE_ATTACH:
            return "ATTACH DATABASE (and VACUUM INTO, which attaches its target file)"
        if code == apsw.SQLITE_DETACH:
            return "DETACH DATABASE"
        if code == apsw.SQLITE_ALTER_TABLE:
            return f"ALTER TABLE {arg2 or ''}".rstrip()
        if code == apsw.SQLITE_ANALYZE:
            return "ANALYZE"
        if code == apsw.SQLITE_REINDEX:
            return None if temp else "REINDEX"
        return str(apsw.mapping_authorizer_function.get(code, f"action {code}"))

    def refused(self) -> NotSupportedError:
        what = self._refusal or "This statement"
        return NotSupportedError(
            f"{what} is not allowed on a PostHog connection.",
            {"refused": what},
            suggestion=ALLOWED,
        )

    # --- deadline and stop --------------------------------------------------------------------

    def begin(self, remaining: float | None, timeout: float | None) -> float:
        """A statement (or a fetch of its rows) starts with ``remaining`` seconds of its
        ``timeout`` left (``None``: no limit); returns the start time for ``end``.

        Runs around every execute and fetch call, so it only sets fields: the watchdog is
        joined by the first Query API request of the call (``query_started``), the one wait the
        progress handler cannot see. A fetch served from rows already received costs no lock
        of the watchdog's and no wake-up of its thread."""
        now = time.monotonic()
        with self._lock:
            self._stop = None
            self._refusal = None
            if self._queries:
                self._queries = []
            self._timeout = timeout
            self._deadline = None if remaining is None else now + max(remaining, 0.0)
        return now

    def end(self, start: float, remaining: float | None) -> float | None:
        """The call that ``begin`` returned ``start`` for is over; the timeout left after it."""
        with self._lock:
            self._deadline = None
            watched, self._watched = self._watched, False
        if watched:
            _watchdog.unwatch(self)
        if remaining is None:
            return None
        return remaining - (time.monotonic() - start)

    def expired(self, now: float) -> bool:
        deadline = self._deadline
        return deadline is not None and now >= deadline and self._stop is None

    def stop(self, reason: str = "cancelled") -> None:
        """End the running statement from any thread: SQLite stops at its next progress check,
        and each Query API query the statement has in flight is cancelled inside PostHog."""
        with self._lock:
            if self._stop is not None:
                return
            self._stop = reason
            queries, self._queries = self._queries, []
        if queries:
            # Unverified PostHog detail: that DELETE /query/{id}/ also ends a *blocking* query
            # (PostHog kills the ClickHouse query by its id); an async one is ended for sure.
            # Not on the caller's thread: the watchdog serves every connection, and the
            # statement's own thread is the one waiting on the request being cancelled.
            threading.Thread(
                target=self._cancel_all, args=(queries,), name="posthog-dbapi-cancel", daemon=True
            ).start()

    def _cancel_all(self, queries: list[str]) -> None:
        for query_id in queries:
            try:
                self._cancel_query(query_id)
            except Exception:  # finished, or PostHog unreachable: nothing left to stop
                pass

    def query_started(self, query_id: str) -> None:
        """A Query API request of the running statement is about to be sent under ``query_id``;
        raises the statement's error instead when it has been stopped or its deadline has
        passed. The first such request of a call with a deadline puts the statement under the
        watchdog, which cancels the request if the deadline passes while it is waiting."""
        with self._lock:
            stopped = self._stop
            deadline = self._deadline
            if stopped is None and deadline is not None and time.monotonic() >= deadline:
                stopped = self._stop = "timeout"
            watch = False
            if stopped is None:
                self._queries.append(query_id)
                watch = deadline is not None and not self._watched
                self._watched = self._watched or watch
        if stopped is not None:
            raise self._stopped_error(stopped)
        if watch:
            _watchdog.watch(self)

    def _progress(self) -> bool:
        if self._stop is not None:
            return True
        deadline = self._deadline
        if deadline is not None and time.monotonic() >= deadline:
            self._stop = "timeout"
            return True
        return False

    def _stopped_error(self, reason: str) -> Error:
        if reason == "timeout":
            return TimeoutError(
                f"The statement ran longer than its statement_timeout ({self._timeout or 0:g}s) "
                "and was stopped.",
                {"statement_timeout": self._timeout},
                suggestion="Narrow it (WHERE, LIMIT), or raise statement_timeout: "
                "connect(statement_timeout=seconds), ?statement_timeout= in a posthog:// URL, "
                "SET statement_timeout in serve-pg.",
            )
        return OperationalError(
            "The statement was cancelled.", suggestion="Run it again to get its result."
        )

    # --- errors -------------------------------------------------------------------------------

    def error_for(self, exc: BaseException) -> Error | None:
        """The error to raise for ``exc`` when the sandbox caused it, else None."""
        if self._stop is not None:
            return self._stopped_error(self._stop)
        if isinstance(exc, apsw.AuthError):
            return self.refused()
        if isinstance(exc, apsw.SQLError) and _SQLITE_REFUSAL.search(str(exc)):
            # SQLite itself refuses some of these before asking the authorizer.
            message = str(exc).split(": ", 1)[-1] if str(exc).startswith("SQLError") else str(exc)
            return NotSupportedError(
                f"{message[:1].upper()}{message[1:]}: not allowed on a PostHog connection.",
                {"refused": message},
                suggestion=ALLOWED,
            )
        if isinstance(exc, apsw.NoMemError):
            limit = heap_limit()
            size = f"{limit / 2**20:g} MiB" if limit else "what the host has"
            return OperationalError(
                f"The statement needed more memory than the local SQLite engine may use "
                f"({size} for the whole process).",
                {"heap_limit": limit},
                suggestion="Narrow it (WHERE, LIMIT, fewer columns), let it run whole as HogQL, "
                "or raise the limit with posthog_dbapi.dbapi.sandbox.set_heap_limit(bytes).",
            )
        return None


def _readable_pragma(name: str) -> bool:
    if not name.startswith("pragma_"):
        return False
    pragma = name[len("pragma_") :]
    return pragma in _NAMED_PRAGMAS or pragma in _REPORT_PRAGMAS


def _pragma_refusal(name: str, value: str | None) -> str | None:
    pragma = name.lower()
    if pragma in _NAMED_PRAGMAS or (pragma in _REPORT_PRAGMAS and value is None):
        return None
    return f"PRAGMA {name}" + (f" = {value}" if value is not None else "")


def check_statement_timeout(value: Any) -> float | None:
    """``statement_timeout`` as seconds, ``None`` for no limit (0 or ``None``)."""
    seconds: float | None = check_number(
        "statement_timeout",
        value,
        zero_means_none=True,
        fix=f"Use e.g. statement_timeout=60; the default is {DEFAULT_STATEMENT_TIMEOUT:g}.",
    )
    return seconds
