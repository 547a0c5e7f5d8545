"""A PostgreSQL wire-protocol server over the package's tables (``posthog-sql serve-pg``).

Metabase, Tableau, Grafana, DBeaver, psql and any JDBC or ODBC tool speak the PostgreSQL
protocol, not Python. This package serves the PostHog tables over it: each client connection
gets its own ``posthog_dbapi`` connection; queries arrive in PostgreSQL's dialect and are
translated to SQLite's with sqlglot (so the DB-API's HogQL pushdown still applies); catalog
queries (``pg_catalog``, ``information_schema``) are answered from an emulated catalog built
from the package's resource catalog.

Modules: ``codec`` (wire format) and ``binvalues`` (numeric/interval/time binary forms),
``auth`` (SCRAM-SHA-256, MD5, cleartext), ``commands`` (SET/SHOW/transactions/cursors),
``copyout`` (COPY TO STDOUT), ``translate`` (SQL), ``paramtypes`` (parameter and result types a
statement implies), ``catalogsql`` (catalog-query idioms SQLite lacks), ``pgschema`` (catalog
relations), ``pgcatalog`` (their contents), ``pgfunctions`` (catalog SQL functions),
``pgtypes`` (built-in types), ``hints`` (column types SQLite loses), ``errors`` (SQLSTATEs),
``execute`` (running statements), ``session`` (query protocols), ``server`` (TCP, TLS, cancel),
``cli`` (``main``).

Layer: like the dialect, it sits on top of the DB-API and imports from every layer below.
"""

from __future__ import annotations

from posthog_dbapi.pgwire.cli import main, serve
from posthog_dbapi.pgwire.server import PgServer, ServerConfig

__all__ = ["PgServer", "ServerConfig", "main", "serve"]
