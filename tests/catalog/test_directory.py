"""The catalog as the driver sees it: names, routes, field infos (with and without a schema)."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema import load_openapi

from posthog_dbapi.catalog import DIRECTORY, RESOURCES, get_resource
from posthog_dbapi.driver.routes import DeleteStyle, PaginationStyle, get_directory
from posthog_dbapi.exceptions import ObjectNotFoundError

FIELD_KEYS = {"type", "required", "nullable", "read_only", "description", "enum", "max_length"}


def _widget_schema() -> dict[str, Any]:
    """A tiny OpenAPI document that moves dashboards under /api/environments/ and reshapes them."""
    ref = "#/components/schemas/"
    return {
        "openapi": "3.0.3",
        "paths": {
            "/api/environments/{environment_id}/dashboards/": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {"schema": {"$ref": ref + "PaginatedList"}}
                            }
                        }
                    }
                },
                "post": {
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": ref + "Widget"}}}
                    },
                    "responses": {"201": {}},
                },
            }
        },
        "components": {
            "schemas": {
                "PaginatedList": {
                    "type": "object",
                    "properties": {
                        "count": {"type": "integer"},
                        "results": {"type": "array", "items": {"$ref": ref + "Widget"}},
                    },
                },
                "Widget": {
                    "type": "object",
                    "required": ["title"],
                    "properties": {
                        "id": {"type": "integer", "readOnly": True},
                        "title": {"type": "string", "maxLength": 10, "description": "Its title."},
                        "status": {
                            "oneOf": [{"$ref": ref + "StatusEnum"}, {"$ref": ref + "NullEnum"}],
                            "nullable": True,
                        },
                        "config": {"description": "untyped JSON"},
                        "seen_at": {"type": "string", "format": "date-time", "nullable": True},
                        "secret": {"type": "string", "writeOnly": True},
                    },
                },
                "StatusEnum": {"type": "string", "enum": ["on", "off"]},
                "NullEnum": {"enum": [None]},
            }
        },
    }


def test_the_driver_finds_the_catalog_through_its_directory() -> None:
    directory = get_directory()
    assert directory.names() == sorted(RESOURCES)
    assert len(directory.names()) == 23  # 20 REST resources and 3 HogQL-only tables
    assert directory.route("early_access_features").path == "early_access_feature"
    with pytest.raises(KeyError):
        directory.route("widgets")


def test_routes_carry_the_facts_other_layers_rely_on() -> None:
    assert get_resource("endpoints").route.lookup_field == "name"
    assert get_resource("endpoints").route.pagination is PaginationStyle.NONE
    assert get_resource("notebooks").primary_key == "short_id"
    assert get_resource("dashboards").route.delete_style is DeleteStyle.SOFT
    assert get_resource("surveys").route.delete_style is DeleteStyle.HARD
    events = get_resource("events")
    assert events.hogql_table == "events"
    assert events.route.pagination is PaginationStyle.KEYSET
    assert events.route.max_page_size == 50_000
    assert not (events.route.can_create or events.route.can_update)
    assert "capture" in (events.route.create_unsupported_reason or "")
    persons = get_resource("persons").route
    assert persons.list_params["email"] == "exact"
    assert persons.list_params["search"] == "narrowing"
    assert get_resource("error_tracking").route.collection_path(7) == (
        "/api/environments/7/error_tracking/issues/"
    )


def test_fields_without_a_schema_come_from_the_declared_columns() -> None:
    fields = DIRECTORY.fields("dashboards", None)
    assert list(fields) == list(get_resource("dashboards").column_names)
    assert all(set(info) == FIELD_KEYS for info in fields.values())
    assert fields["id"]["type"] == "integer"
    assert fields["id"]["read_only"] is True
    assert fields["name"]["nullable"] is True
    assert DIRECTORY.fields("annotations", None)["content"]["max_length"] == 400
    assert fields["created_at"]["type"] == "datetime"
    flags = DIRECTORY.fields("feature_flags", None)
    assert flags["key"]["required"] is True
    assert flags["evaluation_runtime"]["enum"] is not None
    assert "server" in flags["evaluation_runtime"]["enum"]


def test_fields_from_a_schema_follow_the_document_by_path() -> None:
    fields = DIRECTORY.fields("dashboards", _widget_schema())
    assert list(fields) == ["id", "title", "status", "config", "seen_at"]  # secret: write-only
    assert fields["id"] == {
        "type": "integer",
        "required": False,
        "nullable": False,
        "read_only": True,
        "description": "",
        "enum": None,
        "max_length": None,
    }
    assert fields["title"]["required"] is True
    assert fields["title"]["max_length"] == 10
    assert fields["title"]["description"] == "Its title."
    assert fields["status"]["enum"] == ["on", "off"]
    assert fields["status"]["nullable"] is True
    assert fields["status"]["type"] == "string"
    assert fields["config"]["type"] == "json"
    assert fields["seen_at"]["type"] == "datetime"


def test_fields_fall_back_to_the_catalog_for_what_the_schema_lacks() -> None:
    schema = _widget_schema()
    assert DIRECTORY.fields("cohorts", schema) == DIRECTORY.fields("cohorts", None)
    # events are scanned through HogQL: the legacy REST list shape never applies
    assert list(DIRECTORY.fields("events", load_openapi())) == list(
        get_resource("events").column_names
    )


def test_fields_from_the_real_schema_keep_known_corrections() -> None:
    real = load_openapi()
    persons = DIRECTORY.fields("persons", real)
    assert persons["id"]["type"] == "uuid"  # the schema says integer; list items carry the uuid
    assert persons["properties"]["read_only"] is False
    assert DIRECTORY.fields("feature_flags", real)["key"]["required"] is True


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("dashbords", "dashboards"),
        ("person", "persons"),
        ("early_access_feature", "early_access_features"),
        ("featureflags", "feature_flags"),
    ],
)
def test_unknown_names_suggest_the_closest_table(typed: str, meant: str) -> None:
    with pytest.raises(ObjectNotFoundError) as caught:
        get_resource(typed)
    error = caught.value
    assert f"Did you mean {meant!r}?" in error.message
    assert error.details["did_you_mean"] == meant
    assert "dashboards" in error.details["available"]
    with pytest.raises(ObjectNotFoundError):
        DIRECTORY.fields(typed, None)


def test_a_hopeless_name_lists_every_table() -> None:
    with pytest.raises(ObjectNotFoundError) as caught:
        get_resource("zzz")
    assert "Did you mean" not in caught.value.message
    assert caught.value.details["did_you_mean"] is None
    assert "session_recordings" in caught.value.suggestion
