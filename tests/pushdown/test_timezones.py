"""The connection's ``timezone``: UTC on every route by default, the project's calendar on
every route with ``timezone="project"`` (the project is in Los Angeles, its data spans the change
to summer time on 2024-03-10)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from posthog_dbapi import PostHogDriver, connect
from posthog_dbapi.exceptions import InterfaceError
from posthog_emulator import EmulatorServer

LA = ZoneInfo("America/Los_Angeles")
DAILY = (
    "SELECT date(timestamp) AS day, count(*) AS n FROM events "
    "WHERE timestamp >= '2024-03-09' AND timestamp < '2024-03-12' GROUP BY day ORDER BY day"
)


def _rows(server: EmulatorServer, timezone: str, pushdown: str, sql: str) -> list[tuple]:
    with connect(server.url, server.api_key, 1, timezone=timezone, pushdown=pushdown) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        assert cur.route == ("hogql" if pushdown == "required" else "sqlite")
        return cur.fetchall()


@pytest.mark.parametrize("timezone", ["UTC", "project"])
def test_both_routes_bucket_days_by_the_same_calendar(
    zoned_server: EmulatorServer, timezone: str
) -> None:
    pushed = _rows(zoned_server, timezone, "required", DAILY)
    local = _rows(zoned_server, timezone, "off", DAILY)
    assert pushed == local
    assert [day for day, _ in pushed] == ["2024-03-09", "2024-03-10", "2024-03-11"]


def test_the_two_settings_really_differ_in_los_angeles(zoned_server: EmulatorServer) -> None:
    utc = dict(_rows(zoned_server, "UTC", "required", DAILY))
    project = dict(_rows(zoned_server, "project", "required", DAILY))
    # The same events, split at a different midnight: 7 or 8 hours apart.
    assert utc != project


def test_datetimes_are_aware_in_the_calendar_on_both_routes(zoned_server: EmulatorServer) -> None:
    sql = "SELECT uuid, timestamp FROM events ORDER BY timestamp, uuid LIMIT 400"
    for timezone, zone in (("UTC", dt.timezone.utc), ("project", LA)):
        pushed = _rows(zoned_server, timezone, "required", sql)
        local = _rows(zoned_server, timezone, "off", sql)
        assert pushed == local
        assert all(ts.tzinfo is not None for _, ts in pushed)
        assert {ts.utcoffset() for _, ts in pushed} == {
            ts.astimezone(zone).utcoffset() for _, ts in pushed
        }


def test_utc_sends_the_modifier_and_project_reads_the_project(
    zoned_server: EmulatorServer,
) -> None:
    with PostHogDriver(api_url=zoned_server.url, api_key=zoned_server.api_key,
                       project_id=1) as utc:  # fmt: skip
        (stamp,) = utc.query("SELECT max(timestamp) FROM events").results[0]
        assert stamp.endswith("Z")
        assert utc.calendar().timezone == "UTC"
    with PostHogDriver(
        api_url=zoned_server.url, api_key=zoned_server.api_key, project_id=1, timezone="project"
    ) as local:
        (stamp,) = local.query("SELECT max(timestamp) FROM events").results[0]
        assert stamp.endswith("-07:00")
        assert local.calendar().timezone == "America/Los_Angeles"


@pytest.mark.parametrize("bad", ["local", "Europe/Berlin", "", None, 1])
def test_an_unknown_timezone_setting_is_refused_before_any_request(bad: object) -> None:
    with pytest.raises(InterfaceError, match="timezone must be 'UTC' or 'project'"):
        PostHogDriver(api_url="http://127.0.0.1:9", api_key="phx_x", timezone=bad)  # type: ignore[arg-type]
