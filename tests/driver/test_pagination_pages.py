"""Paging a page at a time: de-duplication by id across and within pages, ids told apart by
class, and LIMIT cut inside a page. The pages are served by a function (``paginate``'s fetch
argument), so each case shows exactly the pages a list could send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posthog_dbapi.driver.pagination import paginate, paginate_pages
from posthog_dbapi.driver.routes import PaginationStyle, ResourceRoute

ROUTE = ResourceRoute("things", "things", "thing", pagination=PaginationStyle.CURSOR)


def cursor_pages(*pages: list[Any]) -> Any:
    """A cursor list of these pages (ids only), each linking to the next."""

    def fetch(target: str, query: Mapping[str, Any] | None) -> Any:
        index = int(target.rsplit("=", 1)[1]) if "page=" in target else 0
        nxt = f"http://h/things/?page={index + 1}" if index + 1 < len(pages) else None
        return {"results": [{"id": key, "n": index} for key in pages[index]], "next": nxt}

    return fetch


def ids(records: Any) -> list[Any]:
    return [record["id"] for record in records]


def test_a_record_seen_on_an_earlier_page_or_the_same_page_is_dropped() -> None:
    fetch = cursor_pages([1, 2, 3], [3, 4, 4, 5], [5, 6])
    assert ids(paginate(ROUTE, fetch, "things")) == [1, 2, 3, 4, 5, 6]


def test_ids_of_different_classes_are_different_records() -> None:
    fetch = cursor_pages([1, "1", True], [1.0, "1", None, None], [2])
    assert ids(paginate(ROUTE, fetch, "things")) == [1, "1", True, 1.0, None, None, 2]


def test_pages_come_whole_and_deduplicated_and_a_limit_cuts_inside_a_page() -> None:
    fetch = cursor_pages([1, 2, 3], [3, 4, 5], [6])
    pages = list(paginate_pages(ROUTE, fetch, "things"))
    assert [ids(page) for page in pages] == [[1, 2, 3], [4, 5], [6]]
    limited = list(paginate_pages(ROUTE, fetch, "things", limit=4))
    assert [ids(page) for page in limited] == [[1, 2, 3], [4]]
