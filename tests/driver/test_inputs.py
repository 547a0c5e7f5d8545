"""Python values a caller hands the driver: what it sends, and the PEP 249 error for what it
cannot send (never a bare TypeError from inside ``requests``), before any request is made.

Also the driver's view of paths that merely contain a URL.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from posthog_dbapi.driver import PostHogDriver
from posthog_dbapi.exceptions import DataError, InterfaceError
from tests.oracle import middle_timestamp, stored_events

UTC = dt.timezone.utc


def _requests_to(emulator: Any, fragment: str) -> list[Any]:
    return [r for r in emulator.app.request_log if fragment in r.path]


def test_query_values_take_datetimes(driver: PostHogDriver, emulator: Any) -> None:
    sql = "SELECT count() FROM events WHERE timestamp >= {t}"
    events = stored_events(emulator.app.projects[1].events)
    middle = middle_timestamp(events)
    expected = sum(1 for e in events if e["timestamp"] >= middle)
    assert 0 < expected < len(events)  # a bound inside the data decides the count
    # The same instant, written in a zone 5:45 ahead of UTC: the value is an instant, not text.
    kathmandu = middle.astimezone(ZoneInfo("Asia/Kathmandu"))
    assert driver.query(sql, {"t": kathmandu}).results[0][0] == expected
    assert driver.query(sql, {"t": middle}).results[0][0] == expected


def test_writes_take_dates_decimals_and_uuids(driver: PostHogDriver) -> None:
    created = driver.create("dashboards", {"name": "typed", "description": dt.date(2024, 1, 2)})
    assert created["description"] == "2024-01-02"
    updated = driver.update("dashboards", created["id"], {"description": decimal.Decimal("1.5")})
    assert str(updated["description"]) == "1.5"
    key = uuid.UUID(int=5)
    updated = driver.update("dashboards", created["id"], {"description": key})
    assert updated["description"] == str(key)


@pytest.mark.parametrize(
    ("data", "field", "kind"),
    [
        ({"name": float("nan")}, "name", "float"),
        ({"name": decimal.Decimal("Infinity")}, "name", "Decimal"),
        ({"name": "x", "tags": ["a", b"raw"]}, "tags[1]", "bytes"),
        ({"name": "x", "filters": {"ids": {1, 2}}}, "filters.ids", "set"),
        ({"name": object()}, "name", "object"),
    ],
)
def test_a_value_json_cannot_carry_is_a_data_error_before_any_request(
    emulator: Any, driver: PostHogDriver, data: dict[str, Any], field: str, kind: str
) -> None:
    emulator.app.request_log.clear()
    with pytest.raises(DataError, match="Cannot send") as info:
        driver.create("dashboards", data)
    assert info.value.details["field"] == field
    assert info.value.details["type"] == kind
    assert field in info.value.message
    assert _requests_to(emulator, "/dashboards") == []


def test_update_and_query_refuse_unsendable_values(driver: PostHogDriver) -> None:
    with pytest.raises(DataError, match="description"):
        driver.update("dashboards", 1, {"description": float("inf")})
    with pytest.raises(DataError, match="when"):
        driver.query("SELECT {when}", {"when": complex(1, 2)})


@pytest.mark.parametrize("values", [[1], ("a",), "name=x", 5])
def test_query_values_must_be_a_mapping(driver: PostHogDriver, values: Any) -> None:
    with pytest.raises(InterfaceError, match="values must be a mapping"):
        driver.query("SELECT 1", values)


def test_call_endpoint_checks_params_and_method(emulator: Any, driver: PostHogDriver) -> None:
    emulator.app.request_log.clear()
    with pytest.raises(InterfaceError, match="params must be a mapping"):
        driver.call_endpoint("/dashboards", params=5)  # type: ignore[arg-type]
    with pytest.raises(InterfaceError, match="HTTP method"):
        driver.call_endpoint("/dashboards", method=None)  # type: ignore[arg-type]
    assert _requests_to(emulator, "/dashboards") == []
    since = {"search": "a", "created_after": dt.datetime(2000, 1, 1, tzinfo=UTC)}
    answer = driver.call_endpoint("/dashboards", params=since)
    assert isinstance(answer["results"], list)
    sent = _requests_to(emulator, "/dashboards")[-1].query
    assert sent["created_after"] == ["2000-01-01T00:00:00+00:00"]


def test_a_url_in_a_filter_value_is_not_a_link(emulator: Any, driver: PostHogDriver) -> None:
    assert driver.read("/dashboards?search=http://example.com/x") == []
    sent = _requests_to(emulator, "/dashboards")[-1].query
    assert sent["search"] == ["http://example.com/x"]
    assert isinstance(driver.call_endpoint("/dashboards?search=https://x"), dict)


def test_an_absolute_url_on_the_api_host_still_works(emulator: Any, driver: PostHogDriver) -> None:
    url = f"{emulator.url}/api/projects/1/dashboards/?limit=2"
    assert len(driver.read(url)) == 2
