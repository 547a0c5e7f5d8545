"""SQLAlchemy Core over PostHog: reflect a table, then select, insert, update and delete.

Usage: ``python examples/sqlalchemy_core.py posthog://:<key>@<host>/<project id>``.
The flag it creates is deleted again (a soft delete, as PostHog does it).
"""

from __future__ import annotations

import sys

import sqlalchemy as sa


def main(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        flags = sa.Table("feature_flags", sa.MetaData(), autoload_with=engine)
        print("columns:", ", ".join(c.name for c in list(flags.columns)[:8]), "...")
        with engine.begin() as conn:
            active = conn.execute(
                sa.select(sa.func.count()).select_from(flags).where(flags.c.active.is_(True))
            ).scalar_one()
            print(f"{active} active flags")

            conn.execute(sa.insert(flags).values(key="core-example", name="Core example"))
            flag_id = conn.execute(
                sa.select(flags.c.id).where(flags.c.key == "core-example")
            ).scalar_one()
            print(f"inserted flag {flag_id}")
            conn.execute(sa.update(flags).where(flags.c.id == flag_id).values(active=False))
            row = conn.execute(sa.select(flags.c.key, flags.c.active).where(flags.c.id == flag_id))
            print("updated:", tuple(row.one()))
            conn.execute(sa.delete(flags).where(flags.c.id == flag_id))
            left = conn.execute(sa.select(flags.c.id).where(flags.c.key == "core-example")).all()
            print(f"deleted; {len(left)} rows left with that key")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
