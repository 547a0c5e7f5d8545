"""The Superset connection, checked without Superset: the URL, a ping, and a daily time series.

Superset needs only the SQLAlchemy URI (Settings > Database connections > + Database > PostHog,
or "Other" with the URI). This script does what Superset does with it: "Test connection" (the
dialect's ``do_ping``), the table list, and the daily-grain SQL its charts emit for SQLite-style
dialects (``DATETIME(col, 'start of day')``).

Usage: ``python examples/superset_connection.py posthog://:<key>@<host>/<project id>``.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa


def main(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        print("SQLAlchemy URI for Superset:", repr(engine.url))
        with engine.connect() as conn:
            engine.dialect.do_ping(conn.connection.dbapi_connection)
            print("test connection: OK")
            tables = sa.inspect(conn).get_table_names()
            print(f"{len(tables)} tables, e.g. {', '.join(tables[:5])}")
            rows = conn.execute(
                sa.text(
                    "SELECT DATETIME(timestamp, 'start of day') AS day, COUNT(*) AS count "
                    "FROM events GROUP BY DATETIME(timestamp, 'start of day') ORDER BY day"
                )
            ).all()
        print(f"daily events: {len(rows)} days, {sum(r.count for r in rows)} events")
        for day, count in rows[-3:]:
            print(f"  {day}  {count}")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
