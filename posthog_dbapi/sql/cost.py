"""What a statement will cost in Query API requests, known before the first is sent.

PostHog answers at most 120 HogQL queries an hour per personal API key by default, so a
statement's request count is its real cost. `estimate` gives the count a plan needs:

- pushed down whole: 1 (an aggregate, or rows that fit one 50,000-row answer); a keyset scan
  with a LIMIT: its pages;
- run in SQLite: each HogQL table the statement reads costs at most two scans (its first scan,
  then one whole fetch if SQLite asks it again with other bounds, see
  `posthog_dbapi.adapters.hogql_adapter`), one page each.

A keyset scan without a LIMIT (either route) is estimated at its first page. When that page
comes back full, the scan counts its rows (one request) before it asks for the second page and
adds the count and the pages still to come to the estimate (`check_more`), so before the
second page the estimate is what the statement will send, and the guard applies to it again.

`check_budget` refuses a statement whose estimate is above the connection's ``max_queries``
before anything is sent; `check_more` refuses the rest of a scan that outgrew it, having sent
only its first page and count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from posthog_dbapi.exceptions import OperationalError
from posthog_dbapi.options import check_number
from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan

__all__ = ["DEFAULT_MAX_QUERIES", "check_budget", "check_max_queries", "check_more", "estimate"]

DEFAULT_MAX_QUERIES = 10
FALLBACK_SCANS_PER_TABLE = 2


def check_max_queries(value: int | str | None) -> int | None:
    """``max_queries`` as an int; 0 or None turns the guard off."""
    number: int | None = check_number(
        "max_queries",
        value,
        whole=True,
        zero_means_none=True,
        fix=f"Use e.g. max_queries={DEFAULT_MAX_QUERIES} (the default), or 0 to send any number.",
    )
    return number


def estimate(chosen: PushdownPlan | Fallback, hogql_tables: Iterable[str], page_rows: int) -> int:
    """The Query API requests `chosen` needs; `hogql_tables`: the Query API tables it reads
    (for a fallback), `page_rows`: rows per keyset page."""
    if isinstance(chosen, Fallback):
        return FALLBACK_SCANS_PER_TABLE * len(set(hogql_tables))
    translation = chosen.translation
    if chosen.mode != "keyset" or translation is None or translation.limit is None:
        return 1
    wanted = translation.limit + translation.offset
    return max(1, math.ceil(wanted / max(1, page_rows)))


def check_budget(count: int, max_queries: int | None, chosen: PushdownPlan | Fallback) -> None:
    """Raise `OperationalError` when `count` requests are more than `max_queries` allows."""
    if max_queries is None or count <= max_queries:
        return
    if isinstance(chosen, Fallback):
        why = f"it runs in SQLite ({chosen.reason}), scanning each event table"
        suggestion = (
            "Rewrite the part named so the statement runs as one HogQL query, "
            f"or connect with max_queries={count} (or 0) to allow it."
        )
    else:
        why = "it pages rows through the Query API"
        suggestion = (
            "Lower the LIMIT or aggregate in SQL, "
            f"or connect with max_queries={count} (or 0) to allow it."
        )
    raise OperationalError(
        f"This statement needs about {count} Query API requests, more than max_queries="
        f"{max_queries} allows ({why}). Nothing was sent.",
        {"estimate": count, "max_queries": max_queries},
        suggestion=suggestion,
    )


def check_more(count: int, max_queries: int | None, sent: int) -> None:
    """Raise `OperationalError` when a scan that turned out longer than one page needs `count`
    requests in all, more than `max_queries` allows; `sent` have been sent so far."""
    if max_queries is None or count <= max_queries:
        return
    raise OperationalError(
        f"This statement needs about {count} Query API requests, more than max_queries="
        f"{max_queries} allows: a scan's first page was full, and counting its rows showed "
        f"the pages still to come. {sent} were sent; no further page was requested.",
        {"estimate": count, "max_queries": max_queries, "sent": sent},
        suggestion="Add a LIMIT, narrow the WHERE or aggregate in SQL, "
        f"or connect with max_queries={count} (or 0) to allow it.",
    )
