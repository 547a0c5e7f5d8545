"""Every script in examples/ runs against the emulator and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def url(emulator: Any) -> str:
    host = emulator.url.split("://", 1)[1]
    return f"posthog://:{emulator.api_key}@{host}/{emulator.project_id}?scheme=http"


def _count(emulator: Any, table: str) -> int:
    import posthog_dbapi

    with posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id) as conn:
        cursor = conn.cursor()
        cursor.execute(f"SELECT count(*) FROM {table}")
        return int(cursor.fetchone()[0])


def test_pandas_frames(url: str, emulator: Any) -> None:
    out = run("pandas_frames.py", url)
    assert f"{_count(emulator, 'feature_flags')} feature flags; created_at is datetime64" in out
    assert "month  dashboards" in out


def test_sqlalchemy_core(url: str) -> None:
    out = run("sqlalchemy_core.py", url)
    assert "inserted flag" in out
    assert "updated: ('core-example', False)" in out
    assert "deleted; 0 rows left with that key" in out


def test_superset_connection(url: str, emulator: Any) -> None:
    out = run("superset_connection.py", url)
    assert "test connection: OK" in out
    total = emulator.app.projects[1].events.event_count()
    assert f"days, {total} events" in out
    assert "phx_demo" not in out
