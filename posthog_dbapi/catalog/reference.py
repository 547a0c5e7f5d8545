"""The table reference (``docs/tables.md``), generated from the catalog so it cannot drift.

Every table gets its description, the SQL operations PostHog allows on it, what DELETE does, the
filters pushed into the API, and its columns with types and flags. ``render()`` returns the
Markdown; ``python -m posthog_dbapi.catalog.reference [--check] [PATH]`` writes it, or with
``--check`` exits 1 when the file on disk differs (a test does the same).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from posthog_dbapi.catalog.resources import RESOURCES
from posthog_dbapi.catalog.spec import Column, ColumnType, Resource
from posthog_dbapi.driver.routes import DeleteStyle, PaginationStyle

__all__ = ["DEFAULT_PATH", "main", "operations", "render"]

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "docs" / "tables.md"

# How each API type looks from Python (cursor values), beside its SQLite type.
_PYTHON_NOTE: dict[ColumnType, str] = {
    ColumnType.BOOLEAN: "0/1 in SQL, `bool` in Python",
    ColumnType.DATETIME: "`datetime`, UTC",
    ColumnType.UUID: "UUID",
    ColumnType.JSON: "`json_extract`",
}


def _type_text(kind: ColumnType) -> str:
    note = _PYTHON_NOTE.get(kind)
    sql = "JSON text" if kind is ColumnType.JSON else kind.types.sqlite.lower()
    sql = "text" if kind is ColumnType.UUID else sql
    return f"{sql} ({note})" if note else sql


_PAGING: dict[PaginationStyle, str] = {
    PaginationStyle.NONE: "one unpaged response",
    PaginationStyle.OFFSET: "limit/offset pages",
    PaginationStyle.OFFSET_NO_COUNT: "limit/offset pages without a count",
    PaginationStyle.CURSOR: "cursor (`next`) links",
    PaginationStyle.HAS_NEXT: "limit/offset pages with `has_next`",
    PaginationStyle.KEYSET: "Query API (HogQL), keyset on `(timestamp, uuid)`",
}


def _delete_text(resource: Resource) -> str:
    style = resource.route.delete_style
    if style is DeleteStyle.SOFT:
        return 'soft delete: `PATCH {"deleted": true}` hides the record (PostHog keeps it)'
    if style is DeleteStyle.HARD:
        return "hard delete: `DELETE` removes the record"
    return "not offered by PostHog (DELETE raises `NotSupportedError`)"


def operations(resource: Resource) -> str:
    """The SQL statements PostHog allows on ``resource``, e.g. ``"SELECT, UPDATE"``."""
    route = resource.route
    readable = route.can_list or route.can_retrieve or resource.hogql_table is not None
    ops = ["SELECT"] if readable else []
    if route.can_create:
        ops.append("INSERT")
    if route.can_update:
        ops.append("UPDATE")
    if route.delete_style is not DeleteStyle.NONE:
        ops.append("DELETE")
    return ", ".join(ops) or "none"


def _flags(column: Column, resource: Resource) -> str:
    flags: list[str] = []
    if column.name == resource.primary_key:
        flags.append("key")
    if column.read_only:
        flags.append("read-only")
    if column.required:
        flags.append("required on INSERT")
    if not column.nullable:
        flags.append("not null")
    if column.enum:
        flags.append("one of " + ", ".join(f"`{v}`" for v in column.enum))
    if column.max_length is not None:
        flags.append(f"max {column.max_length} chars")
    for fk in resource.foreign_keys:
        if fk.column == column.name:
            flags.append(f"→ `{fk.table}.{fk.table_column}`")
    return "; ".join(flags)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _resource_section(resource: Resource) -> list[str]:
    route = resource.route
    lines = [f"## `{resource.name}`", ""]
    if resource.description:
        lines += [resource.description, ""]
    lines.append(f"- **Operations:** {operations(resource)}")
    lines.append(f"- **DELETE:** {_delete_text(resource)}")
    if not route.can_create and route.create_unsupported_reason:
        lines.append(f"- **Why no INSERT:** {_cell(route.create_unsupported_reason)}")
    if resource.hogql_only:
        lines.append(
            f"- **API:** no REST path; HogQL table `{resource.hogql_table}` through "
            f"`/api/projects/{{project_id}}/query/`, keyset on `{route.lookup_field}`; "
            f"key scope `{route.scope}:read`"
        )
    else:
        lines.append(
            f"- **API:** `/api/{route.prefix}/{{project_id}}/{route.path}/`, "
            f"{_PAGING[route.pagination]}; key scope `{route.scope}:read`"
            + (f" / `{route.scope}:write`" if route.can_create or route.can_update else "")
        )
    lookup = f"`{route.lookup_field} = ?` is one retrieve request"
    if resource.hogql_only:
        lines.append(
            "- **Pushed into the API:** `=` and ranges on any column, LIMIT/OFFSET become "
            "the HogQL query's"
        )
    elif route.list_params:
        exact = [f"`{p}`" for p, how in sorted(route.list_params.items()) if how == "exact"]
        narrowing = [f"`{p}`" for p, how in sorted(route.list_params.items()) if how != "exact"]
        parts = [lookup]
        if exact:
            parts.append("`=` on " + ", ".join(exact) + " is sent as an API filter")
        if narrowing:
            parts.append(", ".join(narrowing) + " pre-filters in PostHog, SQLite finishes")
        lines.append("- **Pushed into the API:** " + "; ".join(parts))
    else:
        lines.append(f"- **Pushed into the API:** {lookup}; LIMIT/OFFSET become paging")
    if resource.hogql_table:
        lines.append(
            f"- **HogQL:** whole SELECTs over this table can run in PostHog as HogQL on "
            f"`{resource.hogql_table}`"
        )
    lines += ["", "| column | type | notes |", "|---|---|---|"]
    for column in resource.columns:
        lines.append(
            f"| `{column.name}` | {_type_text(column.type)} | {_cell(_flags(column, resource))} |"
        )
    lines.append("")
    return lines


def render() -> str:
    """The whole reference as Markdown."""
    names = sorted(RESOURCES)
    lines = [
        "# Table reference",
        "",
        "<!-- Generated by `python -m posthog_dbapi.catalog.reference` from the catalog; "
        "do not edit by hand. A test fails when this file is stale. -->",
        "",
        "Every PostHog resource is a table of a `posthog_dbapi` connection (and of the "
        "`posthog://` SQLAlchemy dialect). Column types are those of the API; SQLite does the "
        "SQL, and what the API can do exactly (id lookups, exact filters, LIMIT) is sent to it. "
        "Writes apply at once: PostHog has no transactions.",
        "",
        "A connection also offers the project's other HogQL tables, as PostHog reports them "
        "(`DatabaseSchemaQuery`): data warehouse tables in their schema (`stripe.customer`), "
        "saved views and `system.*` tables, read only; `conn.tables()` lists them all.",
        "",
        "| table | operations | DELETE | description |",
        "|---|---|---|---|",
    ]
    for name in names:
        resource = RESOURCES[name]
        delete = resource.route.delete_style.value
        lines.append(
            f"| [`{name}`](#{name}) | {operations(resource)} | {delete} | "
            f"{_cell(resource.description)} |"
        )
    lines.append("")
    for name in names:
        lines += _resource_section(RESOURCES[name])
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m posthog_dbapi.catalog.reference",
        description="Write the table reference generated from the catalog.",
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs from the catalog"
    )
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != text:
            print(
                f"{args.path} is stale; run: python -m posthog_dbapi.catalog.reference",
                file=sys.stderr,
            )
            return 1
        return 0
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(text, encoding="utf-8")
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
