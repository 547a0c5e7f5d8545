"""``make demo``'s tour: emulator up, the tour through posthog-sql, emulator down, exit 0."""

from __future__ import annotations

import re
import subprocess
import sys


def test_tour_runs_without_a_terminal() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "posthog_dbapi", "demo", "--events", "3000", "--persons", "100"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "posthog> .tables" in out and "feature_flags" in out
    # The flag is shown after each change: created active, switched off, then gone.
    created, updated = re.findall(r"^\s*\d+ \| tour-flag \| (.+?)\s*$", out, re.MULTILINE)
    assert created.split(" | ") == ["Created by the tour", "true"]
    assert updated.split(" | ") == ["Switched off by the tour", "false"]
    assert re.search(r"flags_with_that_key\n-+\n\s*0\n", out)
    # The aggregate went to PostHog as one HogQL query.
    assert "run in PostHog as HogQL" in out
    assert re.search(r"HogQL:\s+SELECT .*FROM events", out)
    assert "requests:  1\n           /api/projects/1/query/" in out
    assert "queries:   1 to the Query API (estimated 1)" in out
    assert "Emulator stopped." in out
    assert "Open the interactive shell" not in out
    assert "Traceback" not in done.stderr
