"""``make demo``: start the PostHog API emulator, then reach it with SQL and with raw HTTP.

First the package's point: ``posthog_dbapi.connect()`` and plain SQL over PostHog resources
(SELECT with a join, INSERT, UPDATE and DELETE of a feature flag). Then what the emulator answers
underneath, with nothing but ``requests``: a page of dashboards, a soft delete, and one HogQL
aggregate through the Query API.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import requests

import posthog_dbapi

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def show(cursor: posthog_dbapi.dbapi.Cursor, sql: str, params: tuple[object, ...] = ()) -> None:
    print(f"sql> {sql}")
    cursor.execute(sql, params)
    if cursor.description is None:
        print(f"     {cursor.rowcount} row(s) changed")
        return
    for row in cursor.fetchall():
        print("    ", row)


def sql_tour(url: str) -> None:
    with posthog_dbapi.connect(url, "phx_demo", 1) as conn:
        cur = conn.cursor()
        show(cur, "SELECT id, name FROM dashboards ORDER BY id LIMIT 3")
        show(cur, "SELECT key, active FROM feature_flags WHERE active = 1 ORDER BY key LIMIT 3")
        show(
            cur,
            "SELECT f.key, count(e.id) AS experiments FROM feature_flags f "
            "JOIN experiments e ON e.feature_flag_key = f.key GROUP BY f.key LIMIT 3",
        )
        show(cur, "INSERT INTO feature_flags (key, name) VALUES (?, ?)", ("sql-flag", "From SQL"))
        print(f"     new flag id: {cur.lastrowid}")
        show(cur, "UPDATE feature_flags SET active = 0 WHERE key = ?", ("sql-flag",))
        show(cur, "SELECT key, active FROM feature_flags WHERE key = ?", ("sql-flag",))
        show(cur, "DELETE FROM feature_flags WHERE key = ?", ("sql-flag",))
        show(cur, "SELECT count(*) FROM feature_flags WHERE key = ?", ("sql-flag",))


def main() -> int:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "posthog_dbapi.emulator",
            "--demo",
            "--quiet",
            "--port",
            str(port),
            "--events",
            "20000",
            "--persons",
            "500",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        print(line)
        url = line.rsplit(" ", 1)[1]
        sql_tour(url)
        print()
        print("The same emulator, raw HTTP:")
        base = url + "/api/projects/1"
        s = requests.Session()
        s.headers["Authorization"] = "Bearer phx_demo"

        page = s.get(f"{base}/dashboards/", params={"limit": 3}).json()
        print(f"{page['count']} dashboards; first three:")
        for d in page["results"]:
            print(f"  #{d['id']} {d['name']}")

        flag = s.post(f"{base}/feature_flags/", json={"key": "demo-flag", "name": "Demo"}).json()
        print(f"created flag #{flag['id']} {flag['key']!r} active={flag['active']}")
        flag = s.patch(f"{base}/feature_flags/{flag['id']}/", json={"active": False}).json()
        print(f"patched flag active={flag['active']} version={flag['version']}")
        r = s.delete(f"{base}/feature_flags/{flag['id']}/")
        print(f"DELETE answers {r.status_code} (soft-delete model); PATCH deleted=true instead")
        s.patch(f"{base}/feature_flags/{flag['id']}/", json={"deleted": True}).raise_for_status()

        result = s.post(
            f"{base}/query/",
            json={
                "query": {
                    "kind": "HogQLQuery",
                    "query": "SELECT event, count() AS c FROM events "
                    "GROUP BY event ORDER BY c DESC LIMIT 5",
                }
            },
        ).json()
        print("top events:", result["results"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
