"""Fixtures of the reliability suite: drivers and connections whose waits are recorded, not slept,
the fault mixes, and the figures each proof reports (printed at the end of the run).

The figures (runs, faults injected, rows compared, 429s, throughput) are what
``docs/reliability.md`` quotes; the terminal summary prints them so every run shows them.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

import posthog_dbapi.dbapi as dbapi
from tests.recorded_drivers import recorded_drivers

SEEDS = range(20)
RATES = (0.1, 0.3)


def injecting_seeds(rate: float, draws: int, count: int = len(SEEDS), start: int = 0) -> list[int]:
    """The first ``count`` seeds with which ``FaultInjector.set_random(rate, seed=...)`` fails
    at least one of its first ``draws`` requests (it draws one number per request, and fails
    the request when it is below ``rate``). A run that makes at least ``draws`` requests then
    meets a fault for certain, which the test asserts, instead of passing untested by luck
    (at 10%, one run in two of seven requests meets none)."""
    seeds: list[int] = []
    seed = start
    while len(seeds) < count:
        rng = random.Random(seed)
        if any(rng.random() < rate for _ in range(draws)):
            seeds.append(seed)
        seed += 1
    return seeds


def fault_runs(draws: int, count: int = len(SEEDS), start: int = 0) -> list[Any]:
    """``(rate, seed)`` parameters: ``count`` injecting seeds from ``start`` for each of
    ``RATES``."""
    return [
        pytest.param(rate, seed, id=f"{int(rate * 100)}%-seed{seed}")
        for rate in RATES
        for seed in injecting_seeds(rate, draws, count, start)
    ]


READ_FAULTS = ("429", "500", "502", "503", "504", "reset", "timeout", "truncate")
"""Every transient failure a read meets: throttles, server errors, resets, read timeouts and
bodies cut off."""
WRITE_FAULTS = (*READ_FAULTS, "applied_500")
"""Plus the ambiguous one: the write was applied, then the answer was a 500."""
MAX_RETRIES = 12
"""Enough that a 30% fault rate almost never exhausts a request's retries (0.3**13 per request)."""
CLIENT_TIMEOUT = 0.5
"""Seconds; the emulator's ``timeout`` fault holds its answer longer (``SERVER_HOLD``). Not
shorter: on a loaded machine a plain chDB query can take a tenth of a second, and a run then
failed on thirteen honest timeouts in a row (the waits between retries are not slept)."""
SERVER_HOLD = 0.75
"""Under twice ``CLIENT_TIMEOUT``, so at most two held answers overlap: with a third, the
emulator's limit of three concurrent queries answered the instant retries with 429s until they
ran out."""

FIGURES: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
_figures_lock = threading.Lock()


def record(scenario: str, **numbers: float) -> None:
    """Add to the figures of ``scenario`` (summed over the runs of the session)."""
    with _figures_lock:
        for name, value in numbers.items():
            FIGURES[scenario][name] += value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for scenario in sorted(FIGURES):
        parts = ", ".join(f"{k}={v:g}" for k, v in sorted(FIGURES[scenario].items()))
        terminalreporter.write_line(f"{scenario}: {parts}")


@pytest.fixture
def make_driver(emulator: Any, sleeps: Any) -> Iterator[Any]:
    """Drivers on the emulator with recorded sleeps, a seeded jitter and many retries."""
    with recorded_drivers(
        emulator,
        sleeps,
        project_id=1,
        max_retries=MAX_RETRIES,
        timeout=CLIENT_TIMEOUT,
        # Every statement must reach the emulator to meet its faults, not the answer cache.
        query_cache_ttl=0,
    ) as make:
        yield make


@pytest.fixture
def make_conn(make_driver: Any) -> Iterator[Any]:
    """DB-API connections over ``make_driver`` drivers (closed after the test)."""
    made: list[dbapi.Connection] = []

    def make(**options: Any) -> dbapi.Connection:
        conn = dbapi.connect(driver=make_driver(**options))
        made.append(conn)
        return conn

    yield make
    for conn in made:
        conn.close()


def faults_of(emulator: Any) -> dict[str, int]:
    """How many faults of each kind the emulator injected since its last reset."""
    counts: dict[str, int] = emulator.app.faults.counts()
    return counts
