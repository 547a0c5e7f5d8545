"""Several threads and connections sharing one key, against the emulator's real throttles scaled
down by configuration (CRUD 60/min, 600/h): no request fails, 429s stay near zero because the
client-side budget paces the work, and the throughput comes close to what the limit allows.

Time is simulated, not slept: the emulator's clock and every driver's ``clock`` are one
``FakeTime``, and a driver's ``sleep`` moves that clock forward to the end of its wait. So both
sides see the same minute windows, and the run takes seconds.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest

import posthog_dbapi.dbapi as dbapi
from tests.conftest import FakeTime

from .conftest import record

PER_MINUTE = 60
PER_HOUR = 600


def run_load(emulator: Any, threads: int, statements: int) -> dict[str, float]:
    shared = FakeTime(threads_wait_together=True)
    emulator.app.clock = shared
    emulator.app.limits.configure(crud=(PER_MINUTE, PER_HOUR))
    errors: list[BaseException] = []
    start = shared.now()

    def work(index: int) -> None:
        conn = dbapi.connect(
            emulator.url,
            emulator.api_key,
            1,
            clock=shared.now,
            sleep=shared.sleep,
            rate_budget={"crud": (PER_MINUTE, PER_HOUR)},
            max_retries=5,
        )
        try:
            cur = conn.cursor()
            for i in range(statements):
                # One GET per statement: a lookup by id.
                cur.execute("SELECT name FROM dashboards WHERE id = ?", (1 + (index + i) % 20,))
                cur.fetchall()
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = shared.now() - start
    log = [r for r in emulator.app.request_log if "/dashboards/" in r.path]
    throttled = sum(1 for r in log if r.status == 429)
    assert errors == []
    sent = len(log) - throttled
    return {
        "threads": threads,
        "requests": sent,
        "throttled_429": throttled,
        "simulated_seconds": elapsed,
        # A sliding minute window admits PER_MINUTE at once, then the next PER_MINUTE a
        # minute later, and so on (the hour limit is not reached by the short run).
        "best_possible_seconds": max(0, math.ceil(sent / PER_MINUTE) - 1) * 60,
    }


@pytest.mark.timeout(120)
def test_threads_sharing_a_key_are_paced_by_the_budget(emulator: Any) -> None:
    figures = run_load(emulator, threads=4, statements=50)
    assert figures["requests"] >= 200
    # Near zero: a 429 can only come from a request sent later than the slot it booked.
    assert figures["throttled_429"] <= 0.02 * figures["requests"]
    # The budget holds back no more than the limit requires, give or take one window; each 429
    # that does happen costs its Retry-After, one more window. (In simulated time the threads
    # race for the clock, so 0 to 2 of the 200 requests meet a 429 from run to run.)
    allowed = figures["best_possible_seconds"] + 60 * (1 + figures["throttled_429"])
    assert figures["simulated_seconds"] <= allowed
    record("load 4 threads, crud 60/min", **figures)


@pytest.mark.soak
@pytest.mark.timeout(900)
def test_soak_many_threads_for_an_hour_of_simulated_time(emulator: Any) -> None:
    figures = run_load(emulator, threads=8, statements=80)
    assert figures["throttled_429"] <= 0.02 * figures["requests"]
    record("soak load 8 threads, crud 60/min", **figures)
