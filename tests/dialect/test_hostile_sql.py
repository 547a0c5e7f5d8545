"""Hostile SQL through the posthog:// dialect (what SQL Lab and pandas.read_sql send): file and
schema attacks are refused as SQLAlchemy's wrappers of the PEP 249 errors, and
``?statement_timeout=`` stops a runaway statement."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def _engine(emulator: Any, options: str = "") -> Iterator[sa.engine.Engine]:
    host = emulator.url.split("://", 1)[1]
    eng = sa.create_engine(
        f"posthog://:{emulator.api_key}@{host}/{emulator.project_id}?scheme=http{options}"
    )
    yield eng
    eng.dispose()


@pytest.fixture
def engine(emulator: Any) -> Iterator[sa.engine.Engine]:
    yield from _engine(emulator)


@pytest.fixture
def hurried(emulator: Any) -> Iterator[sa.engine.Engine]:
    # Only for local work: a REST read on a loaded machine could take 0.5 s by itself.
    yield from _engine(emulator, "&statement_timeout=0.5")


@pytest.mark.parametrize(
    "sql", ["ATTACH DATABASE '{path}' AS pwn", "VACUUM INTO '{path}'", "DROP TABLE feature_flags"]
)
def test_attacks_are_refused(engine: sa.engine.Engine, tmp_path: Path, sql: str) -> None:
    path = tmp_path / "pwn.db"
    with engine.connect() as conn:
        with pytest.raises(sa.exc.NotSupportedError, match="not allowed on a PostHog connection"):
            conn.execute(sa.text(sql.format(path=path)))
        assert conn.execute(sa.text("SELECT count(*) FROM feature_flags")).scalar() is not None
    assert not path.exists()


def test_statement_timeout_from_the_url_stops_a_runaway_statement(
    hurried: sa.engine.Engine,
) -> None:
    with hurried.connect() as conn:
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError, match=r"statement_timeout \(0.5s\)"):
            conn.execute(sa.text(RUNAWAY))
        assert time.monotonic() - started < 5
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
