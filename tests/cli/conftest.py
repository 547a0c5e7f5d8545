"""Fixtures for the ``posthog-sql`` tests: the emulator's URL and an in-process CLI runner."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from posthog_dbapi.cli import main


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def url(emulator: Any) -> str:
    host = emulator.url.split("://", 1)[1]
    return f"posthog://:{emulator.api_key}@{host}/{emulator.project_id}?scheme=http"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Runs ``posthog-sql`` in process; ``stdin=`` feeds text as a pipe would."""
    for name in ("POSTHOG_API_URL", "POSTHOG_API_KEY", "POSTHOG_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str, stdin: str | None = None) -> Run:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
