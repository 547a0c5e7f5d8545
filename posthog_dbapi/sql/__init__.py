"""SQL with sqlglot: statement classification (``statements``) and the HogQL pushdown: the
translator (``pushdown_translate`` over ``pushdown_statements``, ``pushdown_expressions``,
``pushdown_properties``, ``pushdown_timegrains``), the planner and keyset executor
(``pushdown_planner``), result typing (``pushdown_types``) and the HogQL dialect."""

from posthog_dbapi.sql import sqlglot_log

sqlglot_log.install()
