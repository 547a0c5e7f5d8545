"""Fixtures of the driver tests: a driver on the emulator whose sleeps are recorded, not slept."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest

from posthog_dbapi.driver import PostHogDriver, reset_budgets


class Sleeps:
    """Stands in for time.sleep: records each requested wait and advances a fake clock."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 0.0

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


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
    # The emulator's limits are reset before each test; the client-side budgets must be too.
    reset_budgets()
    yield
    reset_budgets()


@pytest.fixture
def make_driver(emulator: Any, sleeps: Sleeps) -> Iterator[Any]:
    made: list[PostHogDriver] = []

    def make(**options: Any) -> PostHogDriver:
        options.setdefault("api_url", emulator.url)
        options.setdefault("api_key", emulator.api_key)
        options.setdefault("sleep", sleeps)
        options.setdefault("clock", sleeps.clock)
        options.setdefault("rng", random.Random(0))
        driver = PostHogDriver(**options)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()


@pytest.fixture
def driver(make_driver: Any) -> PostHogDriver:
    driver: PostHogDriver = make_driver(project_id=1)
    return driver
