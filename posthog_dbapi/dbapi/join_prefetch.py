"""Read the REST side's keys of a REST-to-HogQL join before SQLite runs the statement.

SQLite asks the HogQL table of such a join once per REST row. With the REST keys known up front
(`posthog_dbapi.sql.join_keys` finds the equalities), the HogQL adapter fetches every row those
asks can match with one ``IN`` list, its values sent as Query API placeholders, instead of a
first scan and then the whole table. The keys are read through the connection's own SQLite, so
the REST rows land in the statement's scan cache and the statement itself reads them again free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import apsw

from posthog_dbapi.adapters.hogql_adapter import MAX_IN_VALUES
from posthog_dbapi.adapters.state import StatementContext
from posthog_dbapi.names import quote_identifier
from posthog_dbapi.sql.join_keys import join_keys

if TYPE_CHECKING:
    from posthog_dbapi.dbapi.connection import Connection

__all__ = ["read_join_keys"]


def _no_trace(*args: Any) -> bool:
    return True


def read_join_keys(connection: Connection, sql: str, context: StatementContext) -> None:
    """Fill ``context.join_keys`` for each REST-to-HogQL equality join of ``sql``. A key set
    longer than one IN list may carry is left out (the adapter then fetches as before)."""
    hogql = {name: table.name for name, table in connection.hogql_tables.items()
             if name not in connection.rest_shared_tables}  # fmt: skip
    for key in join_keys(sql, hogql, connection.rest_tables):
        column, table = quote_identifier(key.rest_column), quote_identifier(key.rest_table)
        query = f"SELECT DISTINCT {column} FROM {table}"
        try:
            values = {v for (v,) in connection._run(query, None, _no_trace) if v is not None}
        except apsw.SQLError:
            continue  # no such column: the statement itself reports it
        if len(values) <= MAX_IN_VALUES:
            context.join_keys.setdefault((key.hogql_table, key.hogql_column), set()).update(values)
