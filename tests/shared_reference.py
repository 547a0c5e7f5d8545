"""Where the tests find the shared reference beside the repository (``../shared``: facts read
from PostHog's source and its OpenAPI schema), and loading a facts file with a clear failure
when it is missing. The files are never committed here; they come from the shared folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
POSTHOG_SOURCE_FACTS = SHARED_DIR / "reference" / "posthog-source"


def load_posthog_source_facts(name: str, what: str) -> dict[str, Any]:
    """The JSON facts file ``name`` from ``shared/reference/posthog-source``; ``what`` says in
    the failure which facts they are (the tests that need them cannot run without the file)."""
    path = POSTHOG_SOURCE_FACTS / name
    if not path.is_file():
        pytest.fail(
            f"PostHog's {what} facts are missing: expected {path} (the shared/ folder beside "
            "the repository)",
            pytrace=False,
        )
    found: dict[str, Any] = json.loads(path.read_text())
    return found
