"""Fixtures of the driver tests: a driver on the emulator whose sleeps are recorded, not slept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from posthog_dbapi.driver import PostHogDriver
from tests.recorded_drivers import recorded_drivers


@pytest.fixture
def make_driver(emulator: Any, sleeps: Any) -> Iterator[Any]:
    with recorded_drivers(emulator, sleeps) as make:
        yield make


@pytest.fixture
def driver(make_driver: Any) -> PostHogDriver:
    driver: PostHogDriver = make_driver(project_id=1)
    return driver
