"""Fixtures of the driver tests: a driver on the emulator whose sleeps are recorded, not slept."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from posthog_dbapi.driver import PostHogDriver


@pytest.fixture
def make_driver(emulator: Any, sleeps: Any) -> Iterator[Any]:
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
