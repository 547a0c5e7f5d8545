"""The emulator's independence, its /api/schema/ document, and its command line."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests
import yaml

from posthog_emulator import EmulatorServer
from posthog_emulator.resources import RESOURCES

EMULATOR_DIR = Path(__file__).resolve().parents[2] / "posthog_dbapi" / "emulator"


def test_emulator_imports_nothing_from_the_rest_of_the_package() -> None:
    offenders = []
    for path in sorted(EMULATOR_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
                if node.level > 1:
                    names = [f"{'.' * node.level}{node.module}"]
            else:
                continue
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if (n.startswith("posthog_dbapi") and not n.startswith("posthog_emulator"))
                or n.startswith("..")
            ]
    assert offenders == []


def test_schema_is_yaml_by_default_and_json_on_request(emulator: EmulatorServer) -> None:
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    doc = yaml.safe_load(requests.get(f"{emulator.url}/api/schema/", headers=headers).text)
    as_json = requests.get(f"{emulator.url}/api/schema/?format=json", headers=headers).json()
    assert doc == json.loads(json.dumps(as_json))
    op = doc["paths"]["/api/projects/{project_id}/dashboards/"]["get"]
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/PaginatedDashboardBasicList"
    item = doc["components"]["schemas"]["PaginatedDashboardBasicList"]["properties"]["results"]
    assert item["items"]["$ref"] == "#/components/schemas/DashboardBasic"
    for d in RESOURCES.values():
        assert f"/api/projects/{{project_id}}/{d.path}/" in doc["paths"]
    assert requests.get(f"{emulator.url}/api/schema/").status_code == 401


def test_cli_serves_demo_data_and_logs_access_lines(emulator_process) -> None:  # type: ignore[no-untyped-def]
    r = requests.get(
        f"{emulator_process.url}/api/projects/1/dashboards/?personal_api_key=phx_demo", timeout=10
    )
    assert r.status_code == 200 and r.json()["count"] > 0
    r = requests.post(
        f"{emulator_process.url}/api/projects/1/query/",
        timeout=30,
        headers={"Authorization": "Bearer phx_demo"},
        json={"query": {"kind": "HogQLQuery", "query": "SELECT count() FROM events"}},
    )
    assert r.json()["results"] == [[2000]]
    emulator_process.process.terminate()
    _, err = emulator_process.process.communicate(timeout=10)
    assert "GET /api/projects/1/dashboards/ 200" in err
    assert "phx_demo" not in err


def test_cli_can_lift_rate_limits_for_benchmarks(start_emulator: Any) -> None:
    proc = start_emulator("--no-rate-limits", "--quiet")
    session = requests.Session()
    session.headers["Authorization"] = "Bearer phx_demo"
    # PostHog allows 480 CRUD requests a minute per key; 500 in a row would meet a 429.
    statuses = {
        session.get(f"{proc.url}/api/projects/1/dashboards/", timeout=10).status_code
        for _ in range(500)
    }
    assert statuses == {200}


def test_cli_sets_the_project_timezone_week_start_and_query_tier(start_emulator: Any) -> None:
    proc = start_emulator(
        "--quiet", "--timezone", "Asia/Kathmandu", "--week-start-day", "1", "--query-tier",
        "api-queries",
    )  # fmt: skip
    session = requests.Session()
    session.headers["Authorization"] = "Bearer phx_demo"
    project = session.get(f"{proc.url}/api/projects/1/", timeout=10).json()
    assert (project["timezone"], project["week_start_day"]) == ("Asia/Kathmandu", 1)
    body = session.post(
        f"{proc.url}/api/projects/1/query/",
        json={"query": {"kind": "HogQLQuery", "query": "SELECT now(), today()"}},
        timeout=30,
    ).json()
    assert body["timezone"] == "Asia/Kathmandu"
    assert body["results"][0][0].endswith("+05:45")
    # 121 HogQL queries would meet a 429 in PostHog's default tier, not in this one.
    statuses = {
        session.post(
            f"{proc.url}/api/projects/1/query/",
            json={"query": {"kind": "HogQLQuery", "query": "SELECT 1"}},
            timeout=30,
        ).status_code
        for _ in range(121)
    }
    assert statuses == {200}


def test_cli_refuses_an_unknown_timezone() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "posthog_emulator", "--timezone", "Mars/Olympus"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown timezone 'Mars/Olympus'" in done.stderr
