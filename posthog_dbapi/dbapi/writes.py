"""Checks a write statement must pass before any request is sent.

The cursor calls ``check_write`` with the statement as ``statements.classify`` read it and the
bound parameters: the target table must let one write (events do not: PostHog takes them by
capture), every column must exist and be writable, and every literal or bound value must fit its
column. Each refusal names what was wrong and how to fix it, and nothing has been sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from posthog_dbapi.adapters.values import to_api_value
from posthog_dbapi.catalog import get_resource
from posthog_dbapi.driver.routes import DeleteStyle
from posthog_dbapi.exceptions import NotSupportedError, ProgrammingError
from posthog_dbapi.sql.statements import NOT_LITERAL, Statement, StatementKind

if TYPE_CHECKING:
    from posthog_dbapi.dbapi.connection import Connection

__all__ = ["check_write"]


def check_write(connection: Connection, statement: Statement, bindings: Any) -> None:
    """Refuse a write before any request: a table PostHog does not let one write, an unknown or
    read-only column, a literal or bound value of the wrong type (``DataError``)."""
    if statement.kind not in (StatementKind.INSERT, StatementKind.UPDATE, StatementKind.DELETE):
        return
    table = statement.table
    if table is not None and not connection.is_resource(table) and connection.is_table(table):
        raise NotSupportedError(
            f"{table} is read only: PostHog fills it (a data warehouse sync, a saved view or "
            "PostHog itself) and offers it to HogQL for reading.",
            {"table": table},
            suggestion="Change the data at its source (or the view's query in PostHog).",
        )
    if table is None or not connection.is_resource(table):
        return
    route = get_resource(table).route
    reason = route.create_unsupported_reason
    if statement.kind is StatementKind.INSERT and not route.can_create:
        raise NotSupportedError(
            f"PostHog does not let one insert into {table}.",
            {"table": table},
            suggestion=reason or f"Create {table} in PostHog.",
        )
    if statement.kind is StatementKind.UPDATE and not route.can_update:
        raise NotSupportedError(
            f"PostHog does not let one update {table}.",
            {"table": table},
            suggestion=reason or f"Change {table} in PostHog.",
        )
    if statement.kind is StatementKind.DELETE:
        if route.delete_style is DeleteStyle.NONE:
            raise NotSupportedError(
                f"PostHog does not let one delete from {table}.",
                {"table": table},
                suggestion=reason or f"Delete {table} in PostHog.",
            )
        return
    infos = connection.state.fields(table)
    for name in statement.columns:
        if name not in infos:
            raise ProgrammingError(
                f"Table {table} has no column {name}.",
                {"table": table, "column": name},
                suggestion=connection._did_you_mean(name, list(infos), "column"),
            )
        if infos[name].get("read_only"):
            raise ProgrammingError(
                f"Column {table}.{name} is read-only.",
                {"table": table, "column": name},
                suggestion=f"Leave {name} out; PostHog sets it.",
            )
    for row in statement.rows:
        for name, source in zip(statement.columns, row):
            value = source.literal
            if source.param is not None:
                if not isinstance(bindings, tuple) or source.param >= len(bindings):
                    continue
                value = bindings[source.param]
            elif value is NOT_LITERAL:
                continue
            to_api_value(table, name, infos[name], value)
