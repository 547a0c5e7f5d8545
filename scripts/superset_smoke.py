"""Drives Superset's REST API against posthog:// (run by scripts/superset-smoke in its venv).

Each step prints one line; any mismatch between what Superset returns and what the DB-API returns
for the same question exits non-zero. The schema and table pickers must list what the DB-API's
``Connection.tables()`` lists (``main``, the Stripe warehouse schema ``stripe``, ``system``), and
a chart is built from the warehouse table ``stripe.charge``. One step plays a hostile analyst:
SQL Lab on a database with DML allowed sends ATTACH and VACUUM INTO, which must be refused
without creating a file.
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
from typing import Any

from sqlalchemy.engine.url import make_url
from superset.app import create_app

import posthog_dbapi

URI = os.environ["POSTHOG_SMOKE_URI"]


def check(condition: bool, what: str) -> None:
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        sys.exit(1)


def dbapi_rows(sql: str) -> list[tuple[Any, ...]]:
    url = make_url(URI)
    with posthog_dbapi.connect(
        api_url=f"http://{url.host}:{url.port}", api_key=url.password, project_id=url.database
    ) as conn:
        cursor = conn.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def dbapi_tables() -> list[Any]:
    url = make_url(URI)
    with posthog_dbapi.connect(
        api_url=f"http://{url.host}:{url.port}", api_key=url.password, project_id=url.database
    ) as conn:
        return list(conn.tables())


def _day(value: Any) -> str:
    """A chart row's time bucket as YYYY-MM-DD (Superset sends epoch milliseconds in JSON)."""
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value / 1000, datetime.timezone.utc).strftime(
            "%Y-%m-%d"
        )
    return str(value)[:10]


def main() -> None:
    app = create_app()
    client = app.test_client()
    login = client.post(
        "/api/v1/security/login",
        json={"username": "admin", "password": "admin", "provider": "db", "refresh": True},
    )
    check(login.status_code == 200, f"login -> {login.status_code}")
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}

    test = client.post(
        "/api/v1/database/test_connection/",
        json={"database_name": "PostHog", "sqlalchemy_uri": URI},
        headers=headers,
    )
    check(test.status_code == 200, f"test connection -> {test.status_code} {test.json}")

    created = client.post(
        "/api/v1/database/",
        json={"database_name": "PostHog", "sqlalchemy_uri": URI, "expose_in_sqllab": True},
        headers=headers,
    )
    check(created.status_code == 201, f"add database by posthog:// URL -> {created.status_code}")
    database_id = created.json["id"]

    listing = dbapi_tables()
    schemas = client.get(f"/api/v1/database/{database_id}/schemas/", headers=headers)
    picked = set(schemas.json.get("result", []))
    wanted = {"main", *(t.schema for t in listing if t.schema)}
    check(
        {"main", "stripe", "system"} <= picked and picked == wanted,
        f"SQL Lab schema picker lists {sorted(picked)}",
    )
    for schema in sorted(wanted):
        tables = client.get(
            f"/api/v1/database/{database_id}/tables/?q=(schema_name:{schema})", headers=headers
        )
        names = {t["value"] for t in tables.json.get("result", [])}
        expected_names = {t.name for t in listing if (t.schema or "main") == schema}
        must = {"main": {"feature_flags", "events", "daily_signups"}, "stripe": {"charge"}}
        shown = ", ".join(sorted(names)) if len(names) < 5 else f"{len(names)} tables and views"
        check(
            names == expected_names and must.get(schema, set()) <= names,
            f"table picker in {schema} lists {shown}",
        )

    sql = "SELECT key, active FROM feature_flags ORDER BY id"
    run = client.post(
        "/api/v1/sqllab/execute/",
        json={"database_id": database_id, "sql": sql, "runAsync": False, "schema": "main"},
        headers=headers,
    )
    check(run.status_code == 200, f"SQL Lab query -> {run.status_code}")
    got = [(r["key"], r["active"]) for r in run.json["data"]]
    expected = [(key, bool(active)) for key, active in dbapi_rows(sql)]
    got = [(key, bool(active)) for key, active in got]
    check(got == expected, f"SQL Lab returned the DB-API's {len(expected)} feature flags")

    hostile_sql_lab(client, headers)

    dataset_ids = {}
    for table in ("feature_flags", "events"):
        made = client.post(
            "/api/v1/dataset/",
            json={"database": database_id, "schema": "main", "table_name": table},
            headers=headers,
        )
        check(made.status_code == 201, f"dataset on {table} -> {made.status_code}")
        dataset_ids[table] = made.json["id"]

    daily = daily_chart(
        client, headers, dataset_ids["events"], "timestamp", "count", "daily events", ordered=True
    )
    expected_daily = {
        str(day)[:10]: count
        for day, count in dbapi_rows(
            "SELECT date(timestamp) AS day, count(*) FROM events GROUP BY day"
        )
    }
    check(
        daily == expected_daily,
        f"chart data has {len(daily)} days, {sum(daily.values())} events, as the DB-API",
    )
    stripe_chart(client, headers, database_id)
    print("superset smoke passed")


def stripe_chart(client: Any, headers: dict[str, str], database_id: int) -> None:
    """A dataset on the warehouse table stripe.charge and a chart of sum(amount) by day."""
    made = client.post(
        "/api/v1/dataset/",
        json={"database": database_id, "schema": "stripe", "table_name": "charge"},
        headers=headers,
    )
    check(made.status_code == 201, f"dataset on stripe.charge -> {made.status_code}")
    dataset = client.get(f"/api/v1/dataset/{made.json['id']}", headers=headers)
    columns = {c["column_name"] for c in dataset.json["result"]["columns"]}
    check({"amount", "created", "customer"} <= columns, f"stripe.charge has {len(columns)} columns")
    metric = {
        "expressionType": "SIMPLE",
        "column": {"column_name": "amount"},
        "aggregate": "SUM",
        "label": "amount",
    }
    daily = daily_chart(
        client, headers, made.json["id"], "created", metric, "stripe charges by day"
    )
    expected = {
        str(day)[:10]: amount
        for day, amount in dbapi_rows(
            "SELECT date(created) AS day, sum(amount) FROM stripe.charge GROUP BY day"
        )
    }
    check(
        bool(expected) and daily == expected,
        f"chart has {len(daily)} days, {sum(daily.values())} in charges, as the DB-API",
    )


def daily_chart(
    client: Any,
    headers: dict[str, str],
    dataset_id: int,
    time_column: str,
    metric: str | dict[str, Any],
    what: str,
    *,
    ordered: bool = False,
) -> dict[str, Any]:
    """Superset's chart data for ``metric`` by day of ``time_column`` (descending by the metric
    if ``ordered``), as {YYYY-MM-DD: value}; prints the SQL Superset sent."""
    query: dict[str, Any] = {
        "columns": [
            {
                "timeGrain": "P1D",
                "columnType": "BASE_AXIS",
                "sqlExpression": time_column,
                "label": time_column,
                "expressionType": "SQL",
            }
        ],
        "metrics": [metric],
        "row_limit": 10000,
        "time_range": "No filter",
    }
    if ordered:
        query["orderby"] = [[metric, False]]
    query_context = {
        "datasource": {"id": dataset_id, "type": "table"},
        "force": True,
        "queries": [query],
        "result_format": "json",
        "result_type": "full",
    }
    chart = client.post("/api/v1/chart/data", json=query_context, headers=headers)
    check(chart.status_code == 200, f"chart data ({what}) -> {chart.status_code}")
    result = chart.json["result"][0]
    print("      chart SQL:", " ".join(result["query"].split())[:300])
    label = metric if isinstance(metric, str) else metric["label"]
    return {_day(row[time_column]): row[label] for row in result["data"]}


def hostile_sql_lab(client: Any, headers: dict[str, str]) -> None:
    """An analyst with DML allowed sends the file attacks: refused, and no file appears."""
    created = client.post(
        "/api/v1/database/",
        json={
            "database_name": "PostHog (DML allowed)",
            "sqlalchemy_uri": URI,
            "expose_in_sqllab": True,
            "allow_dml": True,
        },
        headers=headers,
    )
    check(created.status_code == 201, f"add a database with DML allowed -> {created.status_code}")
    database_id = created.json["id"]
    target = os.path.join(tempfile.mkdtemp(prefix="smoke_"), "pwn.db")
    # Superset's own parser cannot read ATTACH for this engine and refuses it first; VACUUM
    # INTO it passes through as a command, so that refusal must be the sandbox's.
    attacks = ((f"ATTACH DATABASE '{target}' AS pwn", False), (f"VACUUM INTO '{target}'", True))
    for sql, ours_required in attacks:
        run = client.post(
            "/api/v1/sqllab/execute/",
            json={"database_id": database_id, "sql": sql, "runAsync": False, "schema": "main"},
            headers=headers,
        )
        text = run.get_data(as_text=True)
        ours = "not allowed on a PostHog connection" in text
        superset = "Error parsing" in text
        refused = run.status_code != 200 and (ours or (superset and not ours_required))
        by = "posthog-dbapi" if ours else "Superset's SQL parser" if superset else "?"
        verb = " ".join(sql.split()[:2])
        check(refused, f"SQL Lab {verb} with DML allowed refused by {by} -> {run.status_code}")
        check(not os.path.exists(target), f"no file after {verb}")
    flags = client.post(
        "/api/v1/sqllab/execute/",
        json={
            "database_id": database_id,
            "sql": "SELECT count(*) AS n FROM feature_flags",
            "runAsync": False,
            "schema": "main",
        },
        headers=headers,
    )
    check(
        flags.status_code == 200
        and flags.json["data"][0]["n"] == dbapi_rows("SELECT count(*) FROM feature_flags")[0][0],
        "feature_flags still answers after the attacks",
    )


if __name__ == "__main__":
    main()
