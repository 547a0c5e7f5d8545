"""PostHogDriver against the emulator: construction, project resolution, reads, writes, schema."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

from posthog_dbapi.driver import PaginationStyle, PostHogDriver
from posthog_dbapi.exceptions import (
    AuthenticationError,
    ConnectionError,
    InterfaceError,
    NotSupportedError,
    ObjectNotFoundError,
    PermissionDeniedError,
    TimeoutError,
    ValidationError,
)


def _paths(emulator: Any, method: str | None = None) -> list[str]:
    return [r.path for r in emulator.app.request_log if method is None or r.method == method]


# -- construction ---------------------------------------------------------------------------


def test_missing_key_fails_before_any_request(emulator: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("POSTHOG_API_KEY", raising=False)
    with pytest.raises(AuthenticationError) as info:
        PostHogDriver(api_url=emulator.url)
    assert info.value.message == "Missing PostHog API key"
    assert "POSTHOG_API_KEY" in info.value.details["suggestion"]
    assert _paths(emulator) == []
    with pytest.raises(AuthenticationError, match="Missing PostHog API key"):
        PostHogDriver.from_env(api_url=emulator.url)


def test_rejected_key(emulator: Any) -> None:
    with pytest.raises(AuthenticationError) as info:
        PostHogDriver(api_url=emulator.url, api_key="phx_wrong_key_123")
    assert info.value.message.startswith("Invalid PostHog API key")
    assert info.value.status == 401
    assert "phx_wrong_key_123" not in str(info.value) + repr(info.value) + str(info.value.details)


def test_unreachable_host_names_the_url(sleeps: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(ConnectionError) as info:
        PostHogDriver(api_url=url, api_key="phx_x", sleep=sleeps)
    assert url in info.value.message
    assert sleeps.waits == []  # fail fast: no backoff at construction


def test_slow_host_times_out(emulator: Any, sleeps: Any) -> None:
    emulator.app.faults.add("delay", path="personal_api_keys", delay=1.0)
    with pytest.raises(TimeoutError):
        PostHogDriver(api_url=emulator.url, api_key=emulator.api_key, timeout=0.2, sleep=sleeps)


def test_bad_options_are_interface_errors(emulator: Any) -> None:
    with pytest.raises(InterfaceError, match="max_retries"):
        PostHogDriver(api_url=emulator.url, api_key="phx_demo", max_retries=-1)
    with pytest.raises(InterfaceError, match="timeout"):
        PostHogDriver(api_url=emulator.url, api_key="phx_demo", timeout=0)


def test_project_from_users_me(make_driver: Any, emulator: Any) -> None:
    driver = make_driver()
    assert driver.project_id == "1"
    assert "/api/users/@me/" in _paths(emulator)


def test_project_from_the_keys_only_scoped_team(make_driver: Any, emulator: Any) -> None:
    emulator.app.add_project(2)
    emulator.app.add_key("phx_scoped", scoped_teams=(2,))
    driver = make_driver(api_key="phx_scoped")
    assert driver.project_id == "2"
    assert "/api/users/@me/" not in _paths(emulator)
    with pytest.raises(PermissionDeniedError, match="only use project"):
        make_driver(api_key="phx_scoped", project_id=1)


def test_from_env_and_overrides(posthog_env: Any) -> None:
    with PostHogDriver.from_env(timeout=60, max_retries=5) as driver:
        assert driver.project_id == "1"
        assert driver.timeout == 60
        assert driver.max_retries == 5
        assert posthog_env.api_key not in repr(driver)
    assert driver.closed
    with pytest.raises(InterfaceError, match="closed"):
        driver.read("/dashboards")


# -- discovery ------------------------------------------------------------------------------


def test_capabilities_and_objects(driver: PostHogDriver) -> None:
    caps = driver.get_capabilities()
    assert caps.read and caps.write and caps.update and caps.delete
    assert caps.pagination is PaginationStyle.OFFSET
    assert caps.pagination_by_resource["events"] is PaginationStyle.KEYSET
    assert caps.max_page_size and caps.max_page_size >= 100
    names = driver.list_objects()
    assert {"dashboards", "events", "persons", "feature_flags"} <= set(names)


def test_get_fields_fetches_the_schema_once(driver: PostHogDriver, emulator: Any) -> None:
    fields = driver.get_fields("dashboards")
    assert fields["name"]["type"] == "string"
    assert fields["id"]["read_only"] is True
    driver.get_fields("feature_flags")
    assert _paths(emulator).count("/api/schema/") == 1


def test_schema_disk_cache(make_driver: Any, emulator: Any, tmp_path: Any) -> None:
    first = make_driver(project_id=1, schema_cache_dir=tmp_path)
    assert first.get_schema() is not None
    second = make_driver(project_id=1, schema_cache_dir=tmp_path)
    assert second.get_fields("dashboards")
    assert _paths(emulator).count("/api/schema/") == 1
    cached = list(tmp_path.iterdir())
    assert len(cached) == 1
    assert emulator.api_key not in cached[0].name


def test_unknown_object_suggests_names(driver: PostHogDriver) -> None:
    with pytest.raises(ObjectNotFoundError) as info:
        driver.get_fields("dashbords")
    assert "dashboards" in info.value.message
    assert "dashboards" in info.value.details["available"]
    with pytest.raises(ObjectNotFoundError, match="Did you mean"):
        driver.read("/feature_flag")


# -- reading --------------------------------------------------------------------------------


def test_read_list_detail_and_missing(driver: PostHogDriver) -> None:
    dashboards = driver.read("/dashboards", limit=5)
    assert len(dashboards) == 5
    one = driver.read(f"/dashboards/{dashboards[0]['id']}")
    assert len(one) == 1 and one[0]["id"] == dashboards[0]["id"]
    with pytest.raises(ObjectNotFoundError) as info:
        driver.read("/dashboards/987654")
    assert "987654" in info.value.message
    with pytest.raises(ObjectNotFoundError):
        driver.read("/dashboards/some-dashboard-id")


def test_read_offset_pages_do_not_overlap(driver: PostHogDriver) -> None:
    page1 = driver.read("/dashboards", limit=5, offset=0)
    page2 = driver.read("/dashboards", limit=5, offset=5)
    assert {d["id"] for d in page1}.isdisjoint({d["id"] for d in page2})
    everything = [d["id"] for d in driver.read("/dashboards", limit=1000)]
    assert [d["id"] for d in page1 + page2] == everything[:10]


def test_limit_above_the_maximum(driver: PostHogDriver) -> None:
    with pytest.raises(ValidationError, match="limit cannot exceed 1000"):
        driver.read("/dashboards", limit=1001)


def test_read_events_with_filter(driver: PostHogDriver) -> None:
    events = driver.read("/events?event=$pageview", limit=20)
    assert len(events) == 20
    assert {e["event"] for e in events} == {"$pageview"}
    assert isinstance(events[0]["properties"], dict)
    with pytest.raises(ValidationError, match="cannot be filtered by"):
        driver.read("/events?colour=red")


def test_read_batched_serves_batches_larger_than_a_page(driver: PostHogDriver) -> None:
    all_ids = [d["id"] for d in driver.read("/dashboards", limit=1000)]
    batches = list(driver.read_batched("/dashboards", batch_size=7))
    assert all(len(b) == 7 for b in batches[:-1])
    assert [d["id"] for b in batches for d in b] == all_ids


def test_iter_records_is_lazy(driver: PostHogDriver, emulator: Any) -> None:
    emulator.app.request_log.clear()
    records = driver.iter_records("dashboards", page_size=2)
    assert _paths(emulator) == []
    first = next(records)
    assert first["id"]
    assert len(_paths(emulator)) == 1


def test_persons_pages_without_count(driver: PostHogDriver) -> None:
    people = list(driver.iter_records("persons", page_size=50, limit=120))
    assert len(people) == 120
    assert len({p["id"] for p in people}) == 120


# -- writing --------------------------------------------------------------------------------


def test_create_update_soft_delete(driver: PostHogDriver, emulator: Any) -> None:
    created = driver.create("dashboards", {"name": "My Dashboard", "description": "A test"})
    assert created["name"] == "My Dashboard"
    updated = driver.update("dashboards", created["id"], {"name": "Renamed"})
    assert updated["name"] == "Renamed"
    emulator.app.request_log.clear()
    assert driver.delete("dashboards", created["id"]) is True
    assert [(r.method, r.status) for r in emulator.app.request_log] == [("PATCH", 200)]
    with pytest.raises(ObjectNotFoundError):
        driver.read(f"/dashboards/{created['id']}")
    with pytest.raises(ObjectNotFoundError):
        driver.delete("dashboards", created["id"])


def test_hard_delete(driver: PostHogDriver, emulator: Any) -> None:
    survey = driver.create("surveys", {"name": "NPS", "type": "popover", "questions": []})
    emulator.app.request_log.clear()
    assert driver.delete("surveys", survey["id"]) is True
    assert [r.method for r in emulator.app.request_log] == ["DELETE"]
    with pytest.raises(ObjectNotFoundError):
        driver.retrieve("surveys", survey["id"])


def test_lookup_by_short_id(driver: PostHogDriver) -> None:
    notebook = driver.create("notebooks", {"title": "Notes"})
    fetched = driver.retrieve("notebooks", notebook["short_id"])
    assert fetched["title"] == "Notes"
    assert driver.delete("notebooks", notebook["short_id"]) is True
    # Soft-deleted: gone from the list (PostHog may still answer a retrieve with deleted=true).
    listed = {n["short_id"] for n in driver.iter_records("notebooks")}
    assert notebook["short_id"] not in listed


def test_validation_error_carries_posthogs_message(driver: PostHogDriver) -> None:
    with pytest.raises(ValidationError) as info:
        driver.create("feature_flags", {"name": "no key"})
    assert info.value.status == 400
    assert info.value.details.get("attr") == "key"
    assert info.value.details.get("missing_fields") == ["key"]


def test_writes_the_api_does_not_offer(driver: PostHogDriver) -> None:
    with pytest.raises(NotSupportedError, match="events"):
        driver.create("events", {"event": "x"})
    with pytest.raises(NotSupportedError):
        driver.delete("events", "01a0496e-7e9f-7239-833e-e1b80dc6372d")


# -- queries and raw calls ------------------------------------------------------------------


def test_query_returns_columns_types_rows(driver: PostHogDriver) -> None:
    result = driver.query(
        "SELECT event, count() AS c FROM events WHERE event = {name} GROUP BY event",
        {"name": "$pageview"},
    )
    assert result.columns == ["event", "c"]
    assert result.types[0] == "String"
    assert result.results[0][0] == "$pageview" and result.results[0][1] > 0


@pytest.mark.sends_invalid_hogql
def test_query_error_is_a_validation_error(driver: PostHogDriver) -> None:
    with pytest.raises(ValidationError) as info:
        driver.query("SELEC nonsense")
    assert info.value.status == 400
    assert info.value.message


def test_call_endpoint(driver: PostHogDriver) -> None:
    body = driver.call_endpoint("/dashboards", params={"limit": 3})
    assert len(body["results"]) == 3
    me = driver.call_endpoint("/api/users/@me/")
    assert me["team"]
    with pytest.raises(InterfaceError, match="unexpected"):
        driver.call_endpoint("/dashboards", colour="red")


def test_rate_limit_status(driver: PostHogDriver) -> None:
    before = driver.get_rate_limit_status()["categories"]["crud"]["remaining_minute"]
    driver.read("/dashboards", limit=1)
    status = driver.get_rate_limit_status()
    assert status["enabled"] is True
    assert status["categories"]["crud"]["remaining_minute"] == before - 1
    assert status["remaining"] == before - 1
    assert status["retry_after"] is None


def test_debug_log_never_shows_the_key(make_driver: Any, emulator: Any, caplog: Any) -> None:
    with caplog.at_level(logging.DEBUG, logger="posthog_dbapi"):
        driver = make_driver(debug=True, project_id=1)
        driver.read("/dashboards", limit=2)
        with pytest.raises(ObjectNotFoundError):
            driver.read("/dashboards/999999")
    text = caplog.text
    assert "GET " in text and "/dashboards/" in text and "-> 200" in text
    assert "Bearer ***" in text
    assert emulator.api_key not in text
