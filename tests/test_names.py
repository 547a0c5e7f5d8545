"""The one "did you mean" and the one identifier quoter (``posthog_dbapi.names``), as each layer
shows them: the same typo gets the same suggestion from the driver, the catalog and the DB-API."""

from __future__ import annotations

import sqlite3

import pytest

from posthog_dbapi.catalog import get_resource
from posthog_dbapi.driver import PostHogDriver
from posthog_dbapi.exceptions import ObjectNotFoundError
from posthog_dbapi.names import close_names, did_you_mean, quote_identifier
from posthog_emulator import EmulatorServer

TABLES = ["dashboards", "feature_flags", "persons", "person_distinct_ids"]


def test_close_names_finds_typos_and_plurals_best_first() -> None:
    assert close_names("dashbaords", TABLES) == ["dashboards"]
    assert close_names("person", TABLES)[0] == "persons"
    assert close_names("feature_flag", TABLES) == ["feature_flags"]
    assert close_names("zzz", TABLES) == []
    assert len(close_names("person", TABLES, most=1)) == 1


def test_did_you_mean_names_each_candidate() -> None:
    assert did_you_mean(["a", "b"]) == "Did you mean 'a' or 'b'?"
    assert did_you_mean([]) == ""


def test_the_catalog_and_the_driver_suggest_the_same_name(emulator: EmulatorServer) -> None:
    with pytest.raises(ObjectNotFoundError) as from_catalog:
        get_resource("feature_flag")
    driver = PostHogDriver(api_url=emulator.url, api_key=emulator.api_key, project_id=1)
    with driver, pytest.raises(ObjectNotFoundError) as from_driver:
        driver.read("/feature_flag")
    assert "Did you mean 'feature_flags'?" in from_catalog.value.message
    assert "Did you mean 'feature_flags'?" in from_driver.value.message


@pytest.mark.parametrize(
    "name", ["plain", "with space", 'quo"te', "select", 'x""; DROP TABLE t; --']
)
def test_a_quoted_identifier_is_the_same_name_to_sqlite(name: str) -> None:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE {quote_identifier(name)} ({quote_identifier(name)} INTEGER)")
    db.execute(f"INSERT INTO {quote_identifier(name)} VALUES (7)")
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == [(name,)]
    assert db.execute(
        f"SELECT {quote_identifier(name)} FROM {quote_identifier(name)}"
    ).fetchall() == [(7,)]
