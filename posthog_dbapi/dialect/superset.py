"""Superset's engine spec for ``posthog://`` (loaded by Superset through an entry point).

It subclasses Superset's SQLite spec because statements compile to SQLite SQL; the time grains
are the SQLite expressions that the HogQL translator recognises and pushes down to PostHog's
``toStartOf...`` functions, so a daily chart over events is one Query API request. Unlike
SQLite's spec it lists tables per schema: SQL Lab's schema picker offers ``main`` (PostHog's own
tables, the REST resources and saved views), ``stripe`` and any other warehouse source, and
``system``; its table picker then lists that schema's tables, as the dialect reflects them.
This module imports Superset and is only ever imported by Superset.
"""

from __future__ import annotations

from typing import Any, ClassVar

from superset.db_engine_specs.base import BaseEngineSpec
from superset.db_engine_specs.sqlite import SqliteEngineSpec

from posthog_dbapi.dialect.time_grains import TIME_GRAINS

__all__ = ["PostHogEngineSpec"]


class PostHogEngineSpec(SqliteEngineSpec):
    engine = "posthog"
    engine_name = "PostHog"
    engine_aliases: ClassVar[set[str]] = set()
    default_driver = "apsw"
    drivers: ClassVar[dict[str, str]] = {"apsw": "posthog_dbapi (REST and HogQL)"}
    sqlalchemy_uri_placeholder = (
        "posthog://:<personal api key>@us.posthog.com/<project id>  "
        "(eu.posthog.com, or your host; add ?scheme=http for a local emulator)"
    )
    allows_joins = True
    allows_subqueries = True
    allows_alias_in_select = True
    allows_alias_in_orderby = True
    supports_file_upload = False
    # PostHog's Query API returns at most 50,000 rows per response; the cursor pages beyond it.
    max_column_name_length = 256

    _time_grain_expressions: ClassVar[dict[str | None, str]] = TIME_GRAINS

    # SqliteEngineSpec drops the schema (a SQLite file has one); PostHog's tables have several.
    @classmethod
    def get_table_names(cls, database: Any, inspector: Any, schema: str | None) -> set[str]:
        return BaseEngineSpec.get_table_names.__func__(cls, database, inspector, schema)

    @classmethod
    def get_view_names(cls, database: Any, inspector: Any, schema: str | None) -> set[str]:
        return BaseEngineSpec.get_view_names.__func__(cls, database, inspector, schema)

    @classmethod
    def get_function_names(cls, database: Any) -> list[str]:
        return ["json_extract", "count", "sum", "avg", "min", "max", "date", "datetime"]
