"""Which statements a cursor sends to the Query API whole, and how it pages their answers.

A SELECT that reads a HogQL table is planned by `posthog_dbapi.sql.pushdown_planner` (plans are
kept per connection, by text, parameters and pushdown mode); a connection with
``native_hogql=True`` sends the text as HogQL unchanged. What is not planned as HogQL runs in
SQLite, and the plan's reason is kept for ``cursor.route_reason``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from posthog_dbapi.driver.keyset import QUERY_MAX_ROWS
from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan, native_plan, plan
from posthog_dbapi.sql.statements import Statement, StatementKind
from posthog_dbapi.sql.time_shape import local_times

if TYPE_CHECKING:
    from posthog_dbapi.dbapi.connection import Connection

__all__ = ["PAGE_CELLS", "choose", "page_rows", "zone_of"]

# A decoded Query API page costs memory by its cells, not its rows (about 300 bytes a cell
# with the JSON body it came from); 50,000 rows of ``SELECT * FROM events`` held ~60 MB decoded
# plus the body, and a stream's peak stayed above 100 MB. Narrow selects keep the 50,000 pages.
PAGE_CELLS = 200_000


def page_rows(chosen: PushdownPlan) -> int:
    """Rows per keyset page for this plan, within the Query API's cap."""
    translation = chosen.translation
    if translation is None:
        return QUERY_MAX_ROWS
    width = len(translation.columns) + len(translation.table.keys if translation.table else ())
    return max(1000, min(QUERY_MAX_ROWS, PAGE_CELLS // max(1, width)))


def zone_of(connection: Any) -> dt.tzinfo | None:
    """The project's zone on a ``timezone="project"`` connection; ``None`` on a UTC one."""
    driver = connection.driver
    if getattr(driver, "timezone", "UTC") != "project":
        return None
    calendar = driver.calendar()
    if calendar.is_utc:
        return None  # the project's calendar is UTC: the same text and values as "UTC"
    zone: dt.tzinfo = calendar.zone
    return zone


def choose(
    connection: Connection,
    operation: str,
    statement: Statement,
    parameters: Any,
    bindings: Any,
) -> PushdownPlan | Fallback | None:
    """The Query API plan of a statement, the ``Fallback`` (with its reason) of a SELECT over a
    HogQL table that SQLite must run, or ``None`` for a statement that reads no HogQL table."""
    if connection.native_hogql:
        return native_plan(operation, parameters)
    if statement.kind is not StatementKind.SELECT or not any(
        table in connection.hogql_tables for table in statement.tables
    ):
        return None
    mode = connection.pushdown
    if mode == "required" and all(
        t in connection.rest_shared_tables or t not in connection.hogql_tables
        for t in statement.tables
    ):
        mode = "auto"  # only REST-backed tables: their REST route is no fallback
    if isinstance(bindings, Mapping):
        return Fallback("named parameters (use ? placeholders for pushdown)")
    with local_times(zone_of(connection) is not None):
        return connection.plans.get(
            (operation, tuple(bindings or ()), mode),
            lambda: plan(
                operation, list(bindings or ()), tables=connection.hogql_tables, pushdown=mode
            ),
        )
