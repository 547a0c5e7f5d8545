"""``when_sent``: a read-ahead scan learns when its next request is on the wire (sent.py)."""

from __future__ import annotations

import time
from typing import Any

import requests

from posthog_dbapi.driver.sent import when_sent
from posthog_dbapi.driver.transport import Transport

HELD = 0.6
"""Seconds the emulator holds the answer: the request is written long before it comes back."""


def _dashboards(emulator: Any) -> str:
    return f"/api/projects/{emulator.project_id}/dashboards/"


def test_the_signal_comes_when_the_request_is_written_not_when_it_is_answered(
    emulator: Any,
) -> None:
    emulator.app.faults.add("delay", path=r"/dashboards/$", method="GET", delay=HELD, times=1)
    transport = Transport(emulator.url, emulator.api_key)
    fired: list[float] = []
    try:
        started = time.monotonic()
        with when_sent(lambda: fired.append(time.monotonic())):
            answer = transport.request("GET", _dashboards(emulator))
        answered = time.monotonic()
    finally:
        transport.close()
    assert answer.body["results"]
    assert emulator.app.faults.counts() == {"delay": 1}
    assert len(fired) == 1
    # Written at once, answered after the hold: the signal is the first.
    assert fired[0] - started < (answered - started) / 2
    assert answered - started >= HELD


def test_a_session_of_the_callers_signals_when_the_request_is_over(emulator: Any) -> None:
    # The caller's session keeps its own adapters: no signal from the connection, so the
    # waiter is released when the request ends, never left waiting.
    session = requests.Session()
    transport = Transport(emulator.url, emulator.api_key, session=session)
    fired: list[str] = []
    try:
        with when_sent(lambda: fired.append("sent")):
            transport.request("GET", _dashboards(emulator))
            assert fired == []
        assert fired == ["sent"]
    finally:
        transport.close()
        session.close()
