"""Rate limits (with an injected clock) and fault injection, over real HTTP."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from posthog_emulator import EmulatorServer, FakeClock


def _get(emulator: EmulatorServer, path: str = "/api/projects/1/dashboards/") -> requests.Response:
    return requests.get(
        emulator.url + path, headers={"Authorization": f"Bearer {emulator.api_key}"}, timeout=10
    )


def test_crud_limit_gives_429_with_retry_after_and_recovers(emulator: EmulatorServer) -> None:
    clock = FakeClock()
    emulator.app.clock = clock
    emulator.app.limits.configure(crud=(3, 100))
    assert [_get(emulator).status_code for _ in range(3)] == [200, 200, 200]
    r = _get(emulator)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "60"
    assert r.json() == {
        "type": "throttled_error",
        "code": "throttled",
        "attr": None,
        "detail": "Request was throttled. Expected available in 60 seconds.",
    }
    clock.advance(61)
    assert _get(emulator).status_code == 200


def test_analytics_limit_is_separate(emulator: EmulatorServer) -> None:
    emulator.app.clock = FakeClock()
    emulator.app.limits.configure(analytics=(1, 100))
    assert _get(emulator, "/api/projects/1/persons/?limit=1").status_code == 200
    assert _get(emulator, "/api/projects/1/persons/?limit=1").status_code == 429
    assert _get(emulator).status_code == 200


def test_status_faults_fire_as_configured(emulator: EmulatorServer) -> None:
    emulator.app.faults.add("503", path="dashboards", times=1, after=1)
    assert [_get(emulator).status_code for _ in range(3)] == [200, 503, 200]
    assert [f.kind for f in emulator.app.faults.injected] == ["503"]


def test_reset_closes_the_connection_without_a_response(emulator: EmulatorServer) -> None:
    emulator.app.faults.add("reset", times=1)
    with pytest.raises(requests.ConnectionError):
        _get(emulator)
    assert _get(emulator).status_code == 200


def test_truncate_sends_less_than_its_content_length(emulator: EmulatorServer) -> None:
    emulator.app.faults.add("truncate", times=1)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        _get(emulator).json()


@pytest.mark.parametrize("kind", ["html", "garbage"])
def test_non_json_bodies(emulator: EmulatorServer, kind: str) -> None:
    emulator.app.faults.add(kind, times=1)
    r = _get(emulator)
    with pytest.raises(ValueError):
        r.json()


def test_foreign_next_and_redirect(emulator: EmulatorServer) -> None:
    emulator.app.faults.add("foreign_next", times=1)
    page = _get(emulator, "/api/projects/1/annotations/?limit=2").json()
    assert page["next"].startswith("https://attacker.example.com/api/projects/1/annotations/")
    emulator.app.faults.add("redirect_foreign", times=1)
    r = requests.get(
        emulator.url + "/api/projects/1/annotations/",
        allow_redirects=False,
        headers={"Authorization": "Bearer phx_demo"},
    )
    assert r.status_code == 302 and r.headers["Location"].startswith("https://attacker.example.com")


def test_random_faults_are_reproducible(emulator: EmulatorServer) -> None:
    def run() -> list[int]:
        emulator.app.faults.clear()
        emulator.app.faults.set_random(0.5, kinds=["500", "503"], seed=7)
        return [_get(emulator).status_code for _ in range(12)]

    first = run()
    assert first == run() and {500, 503} & set(first) and 200 in first


def test_reset_waits_for_answers_still_being_held(emulator: EmulatorServer) -> None:
    # A held answer that finished after reset() would log (and write) into the next test's state.
    emulator.app.faults.add("delay", path="dashboards", delay=0.5)
    answers: list[int] = []
    worker = threading.Thread(target=lambda: answers.append(_get(emulator).status_code))
    worker.start()
    deadline = time.monotonic() + 10
    while not emulator.app.faults.counts().get("delay"):  # the fault holds the request now
        assert time.monotonic() < deadline, "the request never reached the emulator"
        time.sleep(0.005)
    emulator.app.reset()  # waits for the held answer, whose log line it then clears
    worker.join(10)
    assert answers == [200]
    assert list(emulator.app.request_log) == []


def test_fault_counts_are_per_kind_and_cleared(emulator: EmulatorServer) -> None:
    emulator.app.faults.add("503", path="dashboards", times=2)
    emulator.app.faults.add("500", path="dashboards", times=1)
    statuses = [_get(emulator).status_code for _ in range(4)]
    assert statuses == [503, 503, 500, 200]
    assert emulator.app.faults.counts() == {"503": 2, "500": 1}
    emulator.app.faults.clear()
    assert emulator.app.faults.counts() == {}
