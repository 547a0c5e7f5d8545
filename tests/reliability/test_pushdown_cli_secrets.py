"""The key never appears in what ``posthog-sql`` prints: results, errors, ``--debug`` logs and
tracebacks, with a right key and a wrong one, by the pushdown (HogQL) and SQLite routes, and in
the native HogQL mode.
"""

from __future__ import annotations

from typing import Any

import pytest

from posthog_dbapi.cli import main

from .conftest import record

SECRET = "phx_cli_secret_93b1e7"
WRONG = "phx_WrOnGCliPushdownKey_0c4f22"

STATEMENTS = (
    "SELECT event, count(*) FROM events GROUP BY event",  # pushed down
    "SELECT round(avg(length(event)), 2) FROM events",  # SQLite over the events adapter
    'SELECT count(*) FROM sessions WHERE "$is_bounce" = 1',
    "SELECT id, properties FROM persons LIMIT 2",
    "SELECT nope FROM events",  # an error
    "SELECT * FROM no_such_table",
    f"SELECT count(*) FROM events WHERE distinct_id = '{SECRET[:6]}-is-not-the-key'",
)


def _url(emulator: Any, key: str, *options: str) -> str:
    host = emulator.url.split("://", 1)[1]
    query = "&".join(("scheme=http", *options))
    return f"posthog://:{key}@{host}/{emulator.project_id}?{query}"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("POSTHOG_API_URL", "POSTHOG_API_KEY", "POSTHOG_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)

    def go(*argv: str) -> tuple[int, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return go


def test_the_key_is_never_printed(emulator: Any, run: Any) -> None:
    emulator.app.add_key(SECRET)
    outputs: list[str] = []
    for key in (SECRET, WRONG):
        for extra in ((), ("pushdown=off",), ("hogql=true",)):
            for debug in ((), ("--debug",)):
                code, text = run(
                    "--url",
                    _url(emulator, key, *extra),
                    "--keep-going",
                    "--no-progress",
                    *debug,
                    "-e",
                    ";\n".join(STATEMENTS),
                )
                outputs.append(text)
                if key == WRONG:
                    assert code != 0
        code, text = run(
            "--api-url", emulator.url, "--api-key", key, "--project-id", "1", "--debug",
            "-e", "SELECT count(*) FROM events",
        )  # fmt: skip
        outputs.append(text)
    # The search had material: results, errors and debug lines were printed.
    joined = "\n".join(outputs)
    assert "$pageview" in joined and "[debug]" in joined and "rror" in joined
    for text in outputs:
        assert SECRET not in text
        assert WRONG not in text
    record("cli key search", runs=len(outputs), characters_searched=len(joined))
