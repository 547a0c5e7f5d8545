"""The PEP 249 ``Connection``: one in-memory SQLite database whose tables are PostHog resources.

Each table becomes a virtual table the first time a statement names it. The tables are the
catalog's resources (REST resources and PostHog's own event-scale tables) and, learned lazily
from PostHog's ``DatabaseSchemaQuery`` the first time a statement, ``tables()`` or reflection
names a table the catalog does not have, every other HogQL table of the project: data warehouse
tables (``stripe.customer``), saved views, ``system.*``. Those are read-only; their SELECTs run
as HogQL. The connection owns its driver (HTTP session) and its apsw connection; ``close()``
closes both and can be called any number of times. An ``atexit`` hook closes connections a program
forgot, because apsw crashes at interpreter exit while a connection with virtual tables is still
open.

The SQLite database is sandboxed (``sandbox``): no file access, no schema changes of the PostHog
tables, and each statement bounded by ``statement_timeout``.

Transactions: PostHog has none. Every write is applied by the API as the statement runs, so
``commit()`` has nothing to do and ``rollback()`` raises ``NotSupportedError``.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any, cast

import apsw

from posthog_dbapi.adapters.state import (
    ConnectionState,
    DriverLike,
    register_state,
    unregister_state,
)
from posthog_dbapi.adapters.vtable import MODULE_NAME, PostHogVTModule, create_table_sql
from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.catalog.directory import field_infos
from posthog_dbapi.catalog.hogql_schema import HogQLSchema, load_hogql_schema
from posthog_dbapi.catalog.spec import Column
from posthog_dbapi.catalog.tables import TableInfo, list_tables
from posthog_dbapi.dbapi.cursor import Cursor
from posthog_dbapi.dbapi.errors import translate
from posthog_dbapi.dbapi.plans import PlanCache
from posthog_dbapi.dbapi.sandbox import (
    DEFAULT_STATEMENT_TIMEOUT,
    Sandbox,
    check_statement_timeout,
)
from posthog_dbapi.exceptions import (
    AuthenticationError,
    Error,
    InterfaceError,
    NotSupportedError,
    ProgrammingError,
    RateLimitError,
)
from posthog_dbapi.names import close_names, did_you_mean
from posthog_dbapi.options import check_flag, check_number
from posthog_dbapi.sql.cost import DEFAULT_MAX_QUERIES, check_max_queries
from posthog_dbapi.sql.pushdown_planner import check_pushdown_mode
from posthog_dbapi.sql.pushdown_tables import HogQLTable, builtin_tables, table_from_schema
from posthog_dbapi.sql.qualified_names import quote_qualified
from posthog_dbapi.sql.statements import Statement, classify

__all__ = [
    "Connection",
    "TableInfo",
    "check_hogql_flag",
    "check_pushdown_mode",
    "check_query_timeout",
    "check_statement_timeout",
]

_NO_SUCH_TABLE = re.compile(r"no such table: (?:main\.)?(?P<name>\S+)")
# Names SQLite itself answers: naming them needs nothing from PostHog.
_SQLITE_NAMES = ("sqlite_", "pragma_")
_SQLITE_DBS = frozenset({"main", "temp"})

logger = logging.getLogger(__name__)

_open: weakref.WeakSet[Connection] = weakref.WeakSet()
_open_lock = threading.Lock()


def _close_all_at_exit() -> None:
    with _open_lock:
        connections = list(_open)
    for connection in connections:
        try:
            connection.close()
        except Exception:
            pass


atexit.register(_close_all_at_exit)


def check_hogql_flag(value: bool | str) -> bool:
    """``hogql`` as a bool; a URL or CLI gives it as text."""
    return bool(
        check_flag("hogql", value, fix="Use hogql=True to send statements verbatim as HogQL.")
    )


def check_query_timeout(value: float | str | None) -> float | None:
    """``query_timeout`` as seconds, ``None`` for no limit beyond the HTTP timeout."""
    seconds: float | None = check_number(
        "query_timeout", value, above=True, fix="Use e.g. query_timeout=60, or leave it out."
    )
    return seconds


class Connection:
    """A PEP 249 connection to one PostHog project."""

    def __init__(
        self,
        driver: DriverLike,
        *,
        owns_driver: bool = True,
        pushdown: str = "auto",
        hogql: bool | str = False,
        query_timeout: float | str | None = None,
        statement_timeout: float | str | None = DEFAULT_STATEMENT_TIMEOUT,
        max_queries: int | str | None = DEFAULT_MAX_QUERIES,
    ) -> None:
        self.pushdown = check_pushdown_mode(pushdown)
        """``auto``: SELECTs over event tables run as HogQL when they translate exactly, else in
        SQLite; ``off``: always SQLite; ``required``: refuse what cannot run as HogQL."""
        self.query_timeout = check_query_timeout(query_timeout)
        """Seconds a Query API query may run; then it is cancelled inside PostHog and the
        statement raises ``TimeoutError``. ``None``: no limit beyond the HTTP timeout."""
        self._statement_timeout = check_statement_timeout(statement_timeout)
        self.max_queries = check_max_queries(max_queries)
        """The most Query API requests one statement may be expected to need (None: any); a
        statement estimated above it is refused before anything is sent."""
        self.native_hogql = check_hogql_flag(hogql)
        """Send every statement verbatim to the Query API as HogQL (parameters as values)."""
        self.hogql_tables: dict[str, HogQLTable] = builtin_tables()
        """The tables a SELECT can be pushed down to, by connection table name; the tables
        learned from ``DatabaseSchemaQuery`` join them when first needed (``load_tables``)."""
        self.rest_shared_tables = frozenset(n for n, t in self.hogql_tables.items() if t.partial)
        """Tables whose own route is REST (``persons``): a SELECT over them runs as HogQL when
        it uses only columns HogQL has, else on the REST route, which is not a degradation, so
        ``pushdown="required"`` does not refuse it."""
        self.rest_tables = frozenset(n for n in RESOURCES if n not in self.hogql_tables)
        """Tables read only through their REST list: a plain SELECT of them runs on the
        ``"rest"`` route, without SQLite (``direct.py``)."""
        self.native_scans = True
        """Run a SELECT that reads one REST table whole (an aggregate, GROUP BY, ORDER BY) on a
        native SQLite copy of the rows it reads instead of the virtual table (``native.py``);
        False: always on the virtual table."""
        self._hogql_schema: HogQLSchema | None = None
        self._schema_loaded = False
        self._schema_lock = threading.Lock()
        self.state = ConnectionState(driver)
        self.state.hogql_tables = self.hogql_tables
        self.plans = PlanCache()
        """The route plans of recent SELECTs over HogQL tables (``plans.py``)."""
        self._owns_driver = owns_driver
        self._db = apsw.Connection(":memory:")
        self._db.createmodule(
            MODULE_NAME,
            PostHogVTModule(),  # type: ignore[arg-type]
            use_bestindex_object=True,
        )
        self._sandbox = Sandbox(self._db, self.is_table, self._cancel_query)
        self.state.on_query = self._sandbox.query_started
        self._created: set[str] = set()
        self._cursors: weakref.WeakSet[Cursor] = weakref.WeakSet()
        self._closed = False
        register_state(self.state)
        with _open_lock:
            _open.add(self)

    @property
    def driver(self) -> DriverLike:
        return self.state.driver

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def statement_timeout(self) -> float | None:
        """Seconds of work a statement may take (executing and fetching, not the time between
        fetches); then its local evaluation stops, its Query API queries are cancelled and it
        raises ``OperationalError``. ``None``: no limit. Set it to 0 or ``None`` to lift it."""
        return self._statement_timeout

    @statement_timeout.setter
    def statement_timeout(self, value: float | str | None) -> None:
        self._statement_timeout = check_statement_timeout(value)

    def interrupt(self) -> None:
        """Stop the statement running on this connection, from any thread: its local
        evaluation ends within moments and its Query API queries are cancelled inside
        PostHog; the statement raises ``OperationalError``. Does nothing when none runs."""
        self._sandbox.stop("cancelled")

    def _cancel_query(self, query_id: str) -> None:
        cast(Any, self.state.driver).cancel_query(query_id)

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError(
                "The connection is closed.",
                suggestion="Open a new connection with posthog_dbapi.connect().",
            )

    def cursor(self) -> Cursor:
        self._check_open()
        cursor = Cursor(self)
        self._cursors.add(cursor)
        return cursor

    def commit(self) -> None:
        """Nothing to do: PostHog applies every write as its statement runs."""
        self._check_open()

    def rollback(self) -> None:
        self._check_open()
        raise NotSupportedError(
            "PostHog has no transactions; writes are applied as each statement runs.",
            suggestion="Undo a change with another statement (UPDATE or DELETE).",
        )

    def close(self) -> None:
        """Close the SQLite database and the HTTP session; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        for cursor in list(self._cursors):
            cursor.close()
        try:
            self._db.close(True)
        except apsw.Error as exc:
            raise translate(exc) from exc
        finally:
            unregister_state(self.state.token)
            with _open_lock:
                _open.discard(self)
            if self._owns_driver:
                self.state.driver.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- tables -------------------------------------------------------------------------------

    def load_tables(self) -> HogQLSchema | None:
        """Learn the project's HogQL tables from ``DatabaseSchemaQuery`` (once per driver: the
        answer is cached with it) and add them to this connection. A server that does not
        answer the query (an older PostHog, a 4xx) leaves the built-in tables only, with a
        warning in the log; ``None`` then."""
        with self._schema_lock:
            if self._schema_loaded:
                return self._hogql_schema
            try:
                schema: HogQLSchema | None = load_hogql_schema(self.state.driver)
            except (AuthenticationError, RateLimitError):
                raise  # the key or the budget: every other request would fail the same way
            except Error as exc:
                status = getattr(exc, "status", None)
                if status is not None and not 400 <= int(status) < 500:
                    raise  # a server or network failure: try again with the next statement
                logger.warning(
                    "PostHog did not answer DatabaseSchemaQuery (%s); only its built-in tables "
                    "(events, persons, sessions, groups, person_distinct_ids) are offered.",
                    type(exc).__name__,
                )
                schema = None
            if schema is not None:
                for key, table in schema.tables.items():
                    # A name the catalog has is the catalog's table (see catalog/tables.py).
                    if key not in RESOURCES and key not in self.hogql_tables and table.columns:
                        self.hogql_tables[key] = table_from_schema(table)
                for key, table in schema.tables.items():
                    # PostHog's flat alias (stripe_customer) reads the same table; it is not
                    # listed by tables(), and a real name of that spelling wins.
                    for alias in table.aliases:
                        if key in self.hogql_tables and not self.is_table(alias):
                            self.hogql_tables[alias] = table_from_schema(table, name=alias)
            self._hogql_schema = schema
            self._schema_loaded = True
            return schema

    def tables(self) -> list[TableInfo]:
        """Every table this connection offers: schema, name, kind, columns with their kinds,
        primary key, foreign keys, comment and whether it is writable (``catalog.tables``).
        Costs PostHog's ``/api/schema/`` and ``DatabaseSchemaQuery`` once each per connection."""
        self._check_open()
        schema = self.load_tables()
        return list_tables({name: self.state.fields(name) for name in RESOURCES}, schema)

    def table_names(self) -> list[str]:
        """Every table of the connection, sorted (learned HogQL tables once they are known)."""
        return sorted(set(RESOURCES) | set(self.hogql_tables))

    @staticmethod
    def is_resource(name: str) -> bool:
        return name in RESOURCES

    def is_table(self, name: str) -> bool:
        """A table of the connection: a catalog resource or a HogQL table it learned."""
        return name in RESOURCES or name in self.hogql_tables

    def resolve_names(self, operation: str, statement: Statement) -> tuple[str, Statement]:
        """The statement as SQLite and the translator must see it: when it names a table the
        catalog does not have, the project's HogQL tables are learned first, and a
        schema-qualified name (``stripe.customer``) becomes one identifier
        (``sql/qualified_names.py``). A statement over catalog tables only is returned as it is,
        without any request."""
        if self.native_hogql:
            return operation, statement  # HogQL reads stripe.customer itself
        unknown = [
            name
            for name in statement.tables
            if not self.is_table(name)
            and name not in statement.ctes
            and not name.lower().startswith(_SQLITE_NAMES)
        ]
        # SQLite's own schema names (main.events) need nothing from PostHog.
        qualified = [q for q in statement.qualified if q.split(".")[0].lower() not in _SQLITE_DBS]
        if not unknown and not qualified:
            return operation, statement
        self.load_tables()
        rewritten = quote_qualified(operation, self.hogql_tables)
        if rewritten == operation:
            return operation, statement
        return rewritten, classify(rewritten)

    def get_fields(self, table: str) -> dict[str, dict[str, Any]]:
        """The columns of ``table`` as ``get_fields`` reports them (the schema is fetched once)."""
        self._check_open()
        if table not in RESOURCES:
            learned = self.hogql_tables.get(table) if self.load_tables() is not None else None
            if learned is not None:
                return field_infos(tuple(
                    Column(name, kind, read_only=True)
                    for (name, _), kind in zip(learned.columns, learned.types)
                ))  # fmt: skip
            raise ProgrammingError(
                f"No table {table}.",
                {"table": table},
                suggestion=self._did_you_mean(table, self.table_names(), "table"),
            )
        return self.state.fields(table)

    def ping(self) -> None:
        """One cheap authenticated request; raises the driver's error if PostHog is unreachable."""
        self._check_open()
        self.state.driver.call_endpoint(f"/api/projects/{self.state.driver.project_id}/")

    @staticmethod
    def _did_you_mean(name: str, choices: list[str], what: str) -> str:
        hint = did_you_mean(close_names(name, choices))
        return f"{hint} The {what}s are: {', '.join(sorted(choices))}.".lstrip()

    def _column_kind(self, table: str | None, column: str | None) -> str | None:
        if not table or not column or table not in self._created:
            return None
        if table not in RESOURCES:
            learned = self.hogql_tables.get(table)
            known = learned is not None and column in learned.column_names
            return learned.column_type(column).value if learned and known else None
        info = self.state.fields(table).get(column)
        return None if info is None else str(info.get("type", "string"))

    def _create_table(self, name: str) -> None:
        if not self.is_table(name) and not name.lower().startswith(_SQLITE_NAMES):
            self.load_tables()
        if not self.is_table(name):
            raise ProgrammingError(
                f"No table {name}.",
                {"table": name},
                suggestion=self._did_you_mean(name, self.table_names(), "table"),
            )
        # Not cached: a statement prepared while trusted must not be reusable by a user's text.
        with self._sandbox.trusted():
            self._db.cursor().execute(create_table_sql(name, self.state.token), can_cache=False)
        self._created.add(name)

    def _run(self, sql: str, bindings: Any, trace: Callable[..., bool]) -> apsw.Cursor:
        """Run ``sql`` on SQLite, creating each resource's table the first time it is named."""
        self._check_open()
        attempted: set[str] = set()
        while True:
            cursor = self._db.cursor()
            cursor.exec_trace = trace
            try:
                return cursor.execute(sql, bindings)
            except apsw.SQLError as exc:
                match = _NO_SUCH_TABLE.search(str(exc))
                if match is None:
                    raise
                name = match.group("name").strip("\"'`[]")
                if name in attempted:
                    raise translate(exc) from exc
                attempted.add(name)
                self._create_table(name)

    def _changes(self) -> int:
        return int(self._db.changes())
