"""Making drivers on the emulator whose waits are recorded, not slept (``sleeps``, a
``FakeTime``), with a seeded jitter, and closing them after the test: the one factory behind the
``make_driver`` fixtures of the driver and reliability suites, which differ only in defaults."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from posthog_dbapi.driver import PostHogDriver


@contextmanager
def recorded_drivers(
    emulator: Any, sleeps: Any, **defaults: Any
) -> Iterator[Callable[..., PostHogDriver]]:
    """A ``make(**options)`` that builds drivers on ``emulator``; ``options`` override
    ``defaults``, which override the emulator's address and key and the recorded clock. Every
    driver made is closed on exit."""
    made: list[PostHogDriver] = []

    def make(**options: Any) -> PostHogDriver:
        driver = PostHogDriver(
            **{
                "api_url": emulator.url,
                "api_key": emulator.api_key,
                "sleep": sleeps,
                "clock": sleeps.clock,
                "rng": random.Random(0),
                **defaults,
                **options,
            }
        )
        made.append(driver)
        return driver

    try:
        yield make
    finally:
        for driver in made:
            driver.close()
