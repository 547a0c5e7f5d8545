"""Translate one SQLite-dialect SELECT into a HogQL tree with exactly the same result.

Input is SQL as SQLAlchemy's SQLite compiler and Superset emit it (qmark ``?`` parameters,
``json_extract(properties, '$.plan')`` / ``properties ->> '$.plan'`` for properties, SQLite time
grain expressions). Every node is checked against an allow-list; each allowed node has a HogQL
form that gives the same value as SQLite would over the fallback's rows (the representation of
`pushdown_tables`). Anything else raises `Unsupported` and the statement runs in SQLite.

Injection safety comes from the shape of the output, not from escaping:
- every string a user typed (literal or parameter) becomes a ``{pN}`` placeholder whose value
  travels in the Query API's ``values``; numbers are rendered by sqlglot from Python ints/floats;
- every identifier in the output is either a known column of the connection's HogQL tables
  (quoted by `pushdown_dialect.identifier`) or a generated name (``t0``, ``c0``, ``cte0``): user
  aliases are mapped, never copied.

The translator lives in six modules along its seams; this one is the entry point the planner
and the adapters import:

- `pushdown_model`: the shapes (`Typed`, `Scope`, `Translation`, ...) and value placeholders;
- `pushdown_statements`: SELECT, FROM, CTEs, subqueries, compound SELECTs, GROUP BY, ORDER BY,
  LIMIT/OFFSET;
- `pushdown_joins`: JOIN clauses, with SQLite's NULL padding of outer joins;
- `pushdown_expressions`: operators, functions, CASE, CAST, aggregates;
- `pushdown_functions`: `%`, FILTER, GLOB, typeof, windows, EXISTS, constants SQLite computes;
- `pushdown_properties`: JSON property paths and timestamps (comparisons, strftime, grains).
"""

from __future__ import annotations

from posthog_dbapi.sql.pushdown_model import OutputColumn, Translation, Unsupported
from posthog_dbapi.sql.pushdown_statements import translate

__all__ = ["OutputColumn", "Translation", "Unsupported", "translate"]
