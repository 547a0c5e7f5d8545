"""Proof that we speak PostHog's HogQL: every text the driver sends is judged by PostHog's parser.

`HogQLRecorder` wraps the one function through which HogQL leaves the driver
(`posthog_dbapi.driver.calls.run_query`) and checks each text with `check_hogql`: PostHog's
published parser (`hogql-parser`) and its function registries and table fields (generated from
PostHog's source). A refused text fails the test that sent it, at once, with the text and
PostHog's message; nothing is mocked, the query still goes to the emulator.

The root conftest turns it on for the suites whose HogQL comes from this project's translator
(pushdown, differential, reliability, driver). A test that sends a user's own invalid HogQL on
purpose carries the marker ``sends_invalid_hogql``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from posthog_dbapi.driver import calls
from posthog_emulator.hogql_check import check_hogql

__all__ = ["HogQLRecorder", "RefusedHogQL"]


class RefusedHogQL(AssertionError):
    """A HogQL text PostHog's parser, registries or fields would refuse."""


@dataclass
class HogQLRecorder:
    texts: dict[str, str | None] = field(default_factory=dict)
    """Every distinct text sent, with PostHog's refusal message (None: accepted)."""
    strict: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _original: Callable[..., Any] | None = None

    def judge(self, text: str) -> str | None:
        with self._lock:
            if text in self.texts:
                return self.texts[text]
        refusal = check_hogql(text)
        message = None if refusal is None else f"{refusal.code}: {refusal.message}"
        with self._lock:
            self.texts[text] = message
        return message

    def install(self) -> None:
        original = calls.run_query
        self._original = original

        def checked(transport: Any, project_id: str, hogql: str, *args: Any, **kw: Any) -> Any:
            message = self.judge(hogql) if isinstance(hogql, str) else None
            if message is not None and self.strict:
                raise RefusedHogQL(f"PostHog would refuse this HogQL ({message}):\n{hogql}")
            return original(transport, project_id, hogql, *args, **kw)

        calls.run_query = checked  # type: ignore[assignment]

    def uninstall(self) -> None:
        if self._original is not None:
            calls.run_query = self._original  # type: ignore[assignment]
            self._original = None
