"""Read-ahead of REST list pages (``prefetch_pages``): same records, bounded, errors in place."""

from __future__ import annotations

import time
from typing import Any

import pytest

from posthog_dbapi import InterfaceError, PostHogDriver, PostHogServerError

PAGE = 10
SMALL = 5
"""The demo's 24 dashboards make five pages of this size."""
TINY = 4
"""...and six of this one."""


def list_requests(emulator: Any) -> int:
    return sum(
        1 for r in emulator.app.request_log if r.method == "GET" and r.path.endswith("/dashboards/")
    )


def wait_for(condition: Any) -> None:
    assert eventually(condition, within=10)  # a safety net for a hung thread, not a timing claim


def eventually(condition: Any, within: float) -> bool:
    """Whether ``condition()`` holds at some point within ``within`` seconds (polled)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_same_records_with_and_without_read_ahead(emulator: Any) -> None:
    with PostHogDriver(emulator.url, emulator.api_key, emulator.project_id) as plain:
        expected = [r["id"] for r in plain.iter_records("dashboards", page_size=PAGE)]
    with PostHogDriver(
        emulator.url, emulator.api_key, emulator.project_id, prefetch_pages=2
    ) as driver:
        got = [r["id"] for r in driver.iter_records("dashboards", page_size=PAGE)]
    assert len(expected) > 2 * PAGE
    assert got == expected


def test_read_ahead_stays_within_its_depth_and_stops_when_abandoned(emulator: Any) -> None:
    with PostHogDriver(
        emulator.url, emulator.api_key, emulator.project_id, prefetch_pages=1
    ) as driver:
        pages = -(-len(list(driver.iter_records("dashboards", page_size=TINY))) // TINY)
        assert pages >= 6  # more pages than the read-ahead may fetch, so a runaway would show
        emulator.app.request_log.clear()
        records = driver.iter_records("dashboards", page_size=TINY)
        next(records)
        # The next pages are fetched while the reader is still on the first one, up to one
        # page handed over, one waiting, one being filled and the one predicted to follow it
        # (sent when the page before it arrives, pipeline.py)...
        wait_for(lambda: list_requests(emulator) == 4)
        # ...and no further. (A bound is a negative fact: the request log is given a moment,
        # counted from the fourth request, to show a fifth; an unbounded thread sends it at once.)
        assert not eventually(lambda: list_requests(emulator) > 4, within=0.3)
        records.close()  # type: ignore[attr-defined]
        assert not eventually(lambda: list_requests(emulator) > 4, within=0.3)
    assert list_requests(emulator) == 4


def test_the_next_request_is_sent_before_the_page_before_it_is_decoded(emulator: Any) -> None:
    """The overlap read-ahead exists for, shown by the order of events: each page's decoding
    waits until the server has received the request for the page after it. Without the
    pipeline that request would come only after this decoding, and the wait would time out."""
    with PostHogDriver(emulator.url, emulator.api_key, emulator.project_id) as plain:
        expected = [r["id"] for r in plain.iter_records("dashboards", page_size=SMALL)]
    pages = -(-len(expected) // SMALL)
    assert pages >= 4
    with PostHogDriver(
        emulator.url, emulator.api_key, emulator.project_id, prefetch_pages=1
    ) as driver:
        transport = driver._transport
        decode = transport.decode
        overlapped: list[bool] = []

        def decode_once_the_next_is_sent(answer: Any) -> Any:
            page = len(overlapped) + 1
            # The first page's request is the one that tells the count; the last has no next.
            if 2 <= page <= pages - 1:
                overlapped.append(eventually(lambda: list_requests(emulator) > page, within=10))
            else:
                overlapped.append(True)
            return decode(answer)

        transport.decode = decode_once_the_next_is_sent  # type: ignore[method-assign]
        emulator.app.request_log.clear()
        got = [r["id"] for r in driver.iter_records("dashboards", page_size=SMALL)]
    assert got == expected
    assert overlapped == [True] * pages
    assert list_requests(emulator) == pages  # every predicted request was the one needed


def test_an_error_is_raised_where_its_page_would_have_been(emulator: Any) -> None:
    emulator.app.faults.add("500", path=r"/dashboards/$", method="GET", after=2)
    with PostHogDriver(
        emulator.url, emulator.api_key, emulator.project_id, max_retries=0, prefetch_pages=2
    ) as driver:
        seen = []
        with pytest.raises(PostHogServerError):
            for record in driver.iter_records("dashboards", page_size=PAGE):
                seen.append(record["id"])
    assert len(seen) == 2 * PAGE


@pytest.mark.parametrize("value", [-1, 1.5, True, "2"])
def test_prefetch_pages_must_be_a_whole_number(value: Any, emulator: Any) -> None:
    with pytest.raises(InterfaceError, match="prefetch_pages"):
        PostHogDriver(emulator.url, emulator.api_key, emulator.project_id, prefetch_pages=value)
