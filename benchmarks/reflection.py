"""Benchmark 4: ``inspect(engine)`` of every table's columns, cold and warm.

Cold runs in a fresh interpreter (no schema fetched yet by anyone); warm repeats the reflection
on the same engine with a new inspector, as a BI tool does when it refreshes. Requests are
counted by the emulator, per kind; the target is about ``/api/schema/`` requests.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import requests

from benchmarks.common import Env, Result, child_json

__all__ = ["run"]


def _counts(url: str, session: requests.Session) -> dict[str, int]:
    body: dict[str, int] = session.get(url + "/_bench/requests", timeout=10).json()
    return body


def reflect_all(engine: Any) -> int:
    """Columns reflected, over every table ``inspect`` lists."""
    import sqlalchemy as sa

    inspector = sa.inspect(engine)
    return sum(len(inspector.get_columns(table)) for table in inspector.get_table_names())


def child(url: str, key: str) -> dict[str, Any]:
    import sqlalchemy as sa

    host = url.split("://", 1)[1]
    session = requests.Session()
    engine = sa.create_engine(f"posthog://:{key}@{host}/1?scheme=http&rate_budget=false")
    out: dict[str, Any] = {}
    for phase in ("cold", "warm"):
        session.post(url + "/_bench/reset", timeout=10)
        start = time.perf_counter()
        columns = reflect_all(engine)
        seconds = time.perf_counter() - start
        out[phase] = {"seconds": seconds, "columns": columns, "requests": _counts(url, session)}
    engine.dispose()
    return out


def run(env: Env) -> Result:
    data = child_json("benchmarks.reflection", env.emulator.url, env.emulator.api_key)
    cold, warm = data["cold"], data["warm"]
    cold_schema = cold["requests"].get("schema", 0)
    warm_schema = warm["requests"].get("schema", 0)
    met = cold_schema <= 1 and warm_schema == 0
    result = Result(
        4,
        f"Reflection of every table's columns ({cold['columns']:,} columns)",
        "at most one schema request cold, none warm",
        met,
        f"{cold_schema} schema request cold, {warm_schema} warm; warm/cold time "
        f"{warm['seconds'] / cold['seconds']:.2f}x",
    )
    for phase, values in (("cold (fresh interpreter)", cold), ("warm (same engine)", warm)):
        made = ", ".join(f"{v} {k}" for k, v in sorted(values["requests"].items())) or "none"
        result.add(phase, f"{values['seconds'] * 1000:,.0f} ms; requests: {made}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reflection")
    parser.add_argument("url")
    parser.add_argument("key")
    args = parser.parse_args()
    print(json.dumps(child(args.url, args.key)))


if __name__ == "__main__":
    main()
