"""Paging edge cases and lists that change during a scan.

The guarantee (``docs/reliability.md``): a scan of a limit/offset list yields each id at most
once; every row that exists for the whole scan is yielded; rows created or deleted during the scan
may or may not be. A ``next`` link that does not advance or an empty page with ``next`` set raises
``MalformedResponseError`` (an ``OperationalError``) instead of looping or truncating; a short
page with more behind it is followed to the end.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from posthog_dbapi.exceptions import MalformedResponseError, OperationalError

from .conftest import SEEDS, record

FLAGS_LIST = r"/feature_flags/?$"


def ids(records: Any) -> list[Any]:
    return [r["id"] for r in records]


def test_short_pages_with_more_behind_them_are_followed(emulator: Any, make_driver: Any) -> None:
    driver = make_driver()
    expected = ids(driver.iter_records("feature_flags", page_size=6))
    emulator.app.faults.add("short_page", path=FLAGS_LIST, times=3)
    got = ids(driver.iter_records("feature_flags", page_size=6))
    assert got == expected
    # A server that cuts every page short, the last one too, cannot be read whole: the count
    # it sends gives it away, and the scan says so instead of stopping early.
    emulator.app.faults.clear()
    emulator.app.faults.add("short_page", path=FLAGS_LIST)
    with pytest.raises(MalformedResponseError, match="counts"):
        list(driver.iter_records("feature_flags", page_size=6))


def test_an_empty_page_with_next_set_raises_instead_of_truncating(
    emulator: Any, make_driver: Any, make_conn: Any
) -> None:
    driver = make_driver()
    emulator.app.faults.add("empty_page", path=FLAGS_LIST, after=1)
    with pytest.raises(MalformedResponseError, match="empty page"):
        list(driver.iter_records("feature_flags", page_size=6))
    emulator.app.faults.clear()
    emulator.app.faults.add("empty_page", path=FLAGS_LIST)
    with pytest.raises(OperationalError, match=r"empty page|stops at 0"):
        make_conn().cursor().execute("SELECT * FROM feature_flags").fetchall()


def test_a_next_link_that_does_not_advance_never_loops(emulator: Any, make_driver: Any) -> None:
    driver = make_driver()
    expected = ids(driver.iter_records("feature_flags", page_size=6))
    # Limit/offset lists are paged by the driver's own offsets: a stuck link cannot hold it.
    emulator.app.faults.add("stuck_next", path=FLAGS_LIST)
    assert ids(driver.iter_records("feature_flags", page_size=6)) == expected
    # Lists paged by their links alone (persons) stop with an error.
    emulator.app.faults.clear()
    emulator.app.faults.add("stuck_next", path=r"/persons/?$")
    with pytest.raises(MalformedResponseError, match="does not advance"):
        list(driver.iter_records("persons", page_size=10))


@pytest.mark.parametrize("seed", SEEDS)
def test_rows_that_exist_for_the_whole_scan_are_read_once(
    emulator: Any, make_driver: Any, seed: int
) -> None:
    """Between pages, another client creates and deletes flags (new flags sort first, so
    creations push rows onto the next page and deletions pull them back onto the last one)."""
    rng = random.Random(seed)
    reader = make_driver()
    writer = make_driver()
    at_start = set(ids(reader.iter_records("feature_flags")))
    created: set[Any] = set()
    deleted: set[Any] = set()
    seen: list[Any] = []
    for i, record_ in enumerate(reader.iter_records("feature_flags", page_size=5)):
        seen.append(record_["id"])
        if i % 5 != 4:
            continue
        for _ in range(rng.randint(0, 2)):
            flag = writer.create("feature_flags", {"key": f"churn-{seed}-{len(created)}"})
            created.add(flag["id"])
        alive = sorted((at_start | created) - deleted)
        for victim in rng.sample(alive, rng.randint(0, 2)):
            writer.delete("feature_flags", victim)
            deleted.add(victim)
    stable = at_start - deleted
    assert len(seen) == len(set(seen))  # no id twice
    assert stable <= set(seen)  # nothing that was there all along is lost
    assert set(seen) <= at_start | created  # nothing invented
    record(
        "changing list scans",
        runs=1,
        rows_created_during_scan=len(created),
        rows_deleted_during_scan=len(deleted),
        stable_rows_checked=len(stable),
    )
