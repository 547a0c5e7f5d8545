"""The one reading of a timestamp written as text (``posthog_dbapi.types.parse_timestamp``),
which the REST adapter, the HogQL answers, event filters and the PostgreSQL front all use."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from posthog_dbapi.types import parse_timestamp

UTC = dt.timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
TEN_UTC = dt.datetime(2024, 1, 5, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05T10:00:00Z", TEN_UTC),  # the REST API
        ("2024-01-05T10:00:00+00:00", TEN_UTC),  # what SQLite tables hold
        ("2024-01-05 10:00:00", TEN_UTC),  # ClickHouse, no offset
        (" 2024-01-05 11:00:00+01 ", TEN_UTC),  # PostgreSQL's short offset
        ("2024-01-05T05:00:00-0500", TEN_UTC),
        ("2024-01-05 15:30:00+05:30", TEN_UTC),
        ("2024-01-05T10:00:00.5Z", TEN_UTC.replace(microsecond=500_000)),
        ("2024-01-05 10:00:00.123456789", TEN_UTC.replace(microsecond=123_456)),  # DateTime64(9)
        ("2024-01-05", TEN_UTC.replace(hour=0)),
    ],
)
def test_every_written_form_reads_as_the_same_instant(text: str, expected: dt.datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == dt.timedelta(0)


def test_text_without_an_offset_is_a_wall_clock_time_in_the_zone_asked_for() -> None:
    local = parse_timestamp("2024-01-05 10:00:00", NEW_YORK)
    assert (local.hour, local.tzinfo) == (10, NEW_YORK)
    assert local == TEN_UTC + dt.timedelta(hours=5)
    # An instant with an offset keeps its instant and is shown in the zone.
    shown = parse_timestamp("2024-01-05T10:00:00Z", NEW_YORK)
    assert (shown.hour, shown == TEN_UTC) == (5, True)


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01", "2024-01-05T25:00:00", "5"])
def test_what_is_not_a_timestamp_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_no_zone_keeps_the_offset_the_text_was_written_with() -> None:
    # How the HogQL route tells a project-timezone answer from a UTC one.
    local = parse_timestamp("2024-01-05T02:00:00-08:00", None)
    assert local.utcoffset() == dt.timedelta(hours=-8)
    assert local == TEN_UTC
    assert parse_timestamp("2024-01-05 10:00:00", None) == TEN_UTC
