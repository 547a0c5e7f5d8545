"""pandas over PostHog: tables and queries as typed DataFrames.

Usage: ``python examples/pandas_frames.py posthog://:<key>@<host>/<project id>``
(for the emulator: ``posthog://:phx_demo@127.0.0.1:8010/1?scheme=http``).
"""

from __future__ import annotations

import sys

import pandas as pd
import sqlalchemy as sa


def main(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        flags = pd.read_sql_table("feature_flags", engine)
        print(f"{len(flags)} feature flags; created_at is {flags['created_at'].dtype}")
        print(flags.groupby("active")["key"].count().rename("flags").to_string())

        per_month = pd.read_sql_query(
            "SELECT strftime('%Y-%m', created_at) AS month, count(*) AS dashboards "
            "FROM dashboards GROUP BY month ORDER BY month",
            engine,
        )
        print(per_month.to_string(index=False))
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
