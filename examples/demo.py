"""``make demo``: start the PostHog API emulator, make a few raw API calls, stop it.

Shows what the emulator answers, with nothing but ``requests``: list dashboards, create, patch
and soft-delete a feature flag, and run one HogQL aggregate through the Query API.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        base = line.rsplit(" ", 1)[1] + "/api/projects/1"
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
