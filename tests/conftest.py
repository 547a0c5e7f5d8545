"""Shared fixtures: the PostHog API emulator, in process (one per session) or as a CLI process.

``emulator_server`` serves demo data (a smaller event store than the CLI default, same
generator) for the whole session; ``emulator`` hands it to a test with faults cleared, rate
limits at their defaults, an empty request log and project 1's REST state as the demo left it.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from posthog_dbapi.driver import clear_query_cache, reset_budgets
from posthog_dbapi.driver.config import ENV_QUERY_TIER
from posthog_emulator import Emulator, EmulatorServer
from tests.hogql_proof import HogQLRecorder
from tests.query_cost_check import watch_estimates

REPO = Path(__file__).resolve().parents[1]

# Hypothesis: the default "ci" profile is derandomized (the same examples on every run, so a
# failure reproduces and a pass is not luck of the draw) and small; HYPOTHESIS_PROFILE=long
# explores with fresh random examples, for local runs (with --timeout=0).
# No `database` setting here: a loaded profile with database=None made
# tests/dbapi/test_sandbox.py::test_statement_timeout_cancels_its_query_api_query send its
# cancel twice and take a minute (seen, not understood); derandomize leaves the database unused.
_HYPOTHESIS_COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("ci", derandomize=True, max_examples=60, **_HYPOTHESIS_COMMON)
settings.register_profile("long", max_examples=2000, **_HYPOTHESIS_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


class FakeTime:
    """The one simulated clock of the tests, in each shape the code under test asks for time:

    - the driver's ``clock=`` (``fake.clock``) and ``sleep=`` (``fake`` itself): a sleep records
      the wait in ``waits`` and moves the clock instead of sleeping;
    - the emulator's ``app.clock`` (``now()`` and ``advance()``, as ``posthog_emulator.FakeClock``),
      so its throttles and the driver's budgets count the same time;
    - any other ``clock=`` callable (``QueryCache``, ``RateBudget``): ``fake.now``.

    ``real_pause``: each sleep also really sleeps up to that long, so the emulator's own worker
    threads (on real time) get on meanwhile. ``threads_wait_together``: a thread's sleep moves
    the clock to the time it last read plus the wait, unless it is already later, so threads
    waiting at once wait together as they would in real time. Safe to share between threads.
    """

    def __init__(
        self,
        start: float = 1_700_000_000.0,
        *,
        real_pause: float = 0.0,
        threads_wait_together: bool = False,
    ) -> None:
        self.start = start
        self.waits: list[float] = []
        self._now = start
        self._lock = threading.Lock()
        self._real_pause = real_pause
        self._together = threads_wait_together
        self._read = threading.local()

    def now(self) -> float:
        with self._lock:
            self._read.value = self._now
            return self._now

    clock = now

    @property
    def elapsed(self) -> float:
        """Simulated seconds since the start."""
        return self.now() - self.start

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            wait = max(0.0, seconds)
            if self._together:
                target = getattr(self._read, "value", self._now) + wait
                self._now = max(self._now, target)
                self._read.value = target
            else:
                self._now += wait
        if self._real_pause:
            time.sleep(min(seconds, self._real_pause))

    __call__ = sleep


@pytest.fixture
def sleeps() -> FakeTime:
    """A ``FakeTime`` for a driver's ``sleep=`` and ``clock=``."""
    return FakeTime()


@pytest.fixture(autouse=True)
def _restore_package_logging() -> Iterator[None]:
    # A driver made with debug=True adds a stderr handler to the package logger for the rest of
    # the process; without this, later tests (the CLI's) would see debug lines on stderr.
    root = logging.getLogger("posthog_dbapi")
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _fresh_budgets() -> Iterator[None]:
    # Client-side rate budgets are shared per process; each test starts with a fresh window.
    reset_budgets()
    clear_query_cache()  # answers are shared per process too; a test sees its own requests
    yield
    reset_budgets()
    clear_query_cache()


@pytest.fixture(autouse=True)
def _no_statement_costs_more_than_its_estimate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Issue 15: a statement's Query API requests never exceed the estimate the guard judged.
    with watch_estimates(monkeypatch):
        yield


@pytest.fixture(scope="session", autouse=True)
def _api_queries_tier() -> Iterator[None]:
    # The session emulator's project is in PostHog's API-queries tier (below); every driver the
    # suite makes declares that tier, as a user of such a team would. Tests of the default tier
    # pass query_tier="default" themselves.
    before = os.environ.get(ENV_QUERY_TIER)
    os.environ[ENV_QUERY_TIER] = "api-queries"
    yield
    if before is None:
        os.environ.pop(ENV_QUERY_TIER, None)
    else:
        os.environ[ENV_QUERY_TIER] = before


_PROVEN_SUITES = ("pushdown", "reliability", "driver", "dbapi")


@pytest.fixture(scope="session")
def hogql_recorder() -> Iterator[HogQLRecorder]:
    """Every HogQL text the session sends, judged by PostHog's parser (tests/hogql_proof.py)."""
    recorder = HogQLRecorder()
    recorder.install()
    yield recorder
    recorder.uninstall()


@pytest.fixture(autouse=True)
def _hogql_is_posthogs(
    request: pytest.FixtureRequest, hogql_recorder: HogQLRecorder
) -> Iterator[None]:
    # Suites whose HogQL comes from our translator fail on the first text PostHog would refuse.
    suite = request.node.path.parent.name
    hogql_recorder.strict = suite in _PROVEN_SUITES and not request.node.get_closest_marker(
        "sends_invalid_hogql"
    )
    yield
    hogql_recorder.strict = False


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    # The suite sends far more than PostHog's default 120 HogQL queries an hour, so the demo
    # project is in PostHog's API-queries tier (240/minute, 2,400/hour); tests of the default
    # tier make their own project or emulator.
    app = Emulator(query_tier="api-queries")
    app.load_demo(persons=500, events=20_000)
    server = EmulatorServer(app)
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorServer:
    emulator_server.app.reset()
    return emulator_server


@pytest.fixture
def posthog_env(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    monkeypatch.setenv("POSTHOG_API_URL", emulator.url)
    monkeypatch.setenv("POSTHOG_API_KEY", emulator.api_key)
    monkeypatch.setenv("POSTHOG_PROJECT_ID", str(emulator.project_id))
    return emulator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmulatorProcess:
    process: subprocess.Popen[str]
    url: str
    api_key: str = "phx_demo"
    project_id: int = 1


def start_emulator_process(*extra: str) -> EmulatorProcess:
    """``python -m posthog_emulator`` on a free port; returns once it prints its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "posthog_emulator", "--port", str(port), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "Serving PostHog API emulator at" not in line:
        process.kill()
        _, err = process.communicate(timeout=10)
        raise AssertionError(f"emulator did not start: {line!r} {err[-2000:]}")
    return EmulatorProcess(process, line.rsplit(" ", 1)[1].strip())


@pytest.fixture
def emulator_process() -> Iterator[EmulatorProcess]:
    """A separate emulator process started through the CLI (small demo)."""
    proc = start_emulator_process(
        "--demo", "--events", "2000", "--persons", "100", "--query-tier", "api-queries"
    )
    yield proc
    proc.process.terminate()
    try:
        proc.process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.process.kill()
        proc.process.communicate()


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., EmulatorProcess]]:
    """Starts emulator processes with the given CLI arguments; stops them after the test."""
    started: list[EmulatorProcess] = []

    def start(*args: str) -> EmulatorProcess:
        started.append(start_emulator_process(*args))
        return started[-1]

    yield start
    for proc in started:
        proc.process.terminate()
        proc.process.communicate(timeout=10)
