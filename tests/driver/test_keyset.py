"""The one keyset pager (``driver/keyset.py``): offsets and limits across page edges, the page
sizes it asks for, and a page that does not move on."""

from __future__ import annotations

from typing import Any

import pytest

from posthog_dbapi.driver.keyset import QUERY_MAX_ROWS, keyset_pages
from posthog_dbapi.exceptions import MalformedResponseError


def test_offset_and_limit_across_page_edges(make_driver: Any, emulator: Any) -> None:
    driver = make_driver()
    whole = [e["uuid"] for e in driver.iter_records("events", page_size=QUERY_MAX_ROWS)]
    assert len(whole) > 200
    emulator.app.request_log.clear()
    window = [e["uuid"] for e in driver.iter_records("events", page_size=40, offset=55, limit=100)]
    assert window == whole[55:155]
    queries = [r for r in emulator.app.request_log if r.path.endswith("/query/")]
    # 155 rows wanted at 40 a page: 4 pages, the last asking only for the 35 still wanted.
    assert len(queries) == 4


class _Page:
    def __init__(self, results: list[list[Any]]) -> None:
        self.results = results


def test_a_page_that_does_not_move_on_is_an_error_not_a_loop() -> None:
    asked: list[tuple[Any, int]] = []

    def fetch(after: Any, rows: int) -> _Page:
        asked.append((after, rows))
        return _Page([[1, "a"], [2, "b"]])  # a server that ignores the keyset condition

    pages = keyset_pages(fetch, lambda row: row, page_size=2)
    assert next(pages) == [[1, "a"], [2, "b"]]
    assert next(pages) == [[1, "a"], [2, "b"]]
    with pytest.raises(MalformedResponseError, match="did not move past"):
        next(pages)
    assert asked == [(None, 2), ([2, "b"], 2)]  # no third request


def test_a_single_page_read_asks_for_nothing_more() -> None:
    first = _Page([[1], [2], [3]])
    rows = list(keyset_pages(None, lambda row: row, page_size=3, offset=1, limit=1, first=first))
    assert rows == [[[2]]]
