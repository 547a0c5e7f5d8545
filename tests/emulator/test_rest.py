"""The emulator's REST behaviour over real HTTP: auth, routing, envelopes, writes, errors."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from posthog_emulator import EmulatorServer


def _session(emulator: EmulatorServer, key: str | None = None) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key or emulator.api_key}"
    return s


def _err(type_: str, code: str, detail: str, attr: str | None = None) -> dict[str, Any]:
    return {"type": type_, "code": code, "detail": detail, "attr": attr}


# -- auth ---------------------------------------------------------------------------------------
def test_missing_and_bad_keys_get_posthogs_401_bodies(emulator: EmulatorServer) -> None:
    url = f"{emulator.url}/api/projects/1/dashboards/"
    r = requests.get(url)
    assert r.status_code == 401
    assert r.json() == _err(
        "authentication_error", "not_authenticated", "Authentication credentials were not provided."
    )
    r = requests.get(url, headers={"Authorization": "Bearer phx_wrong"})
    assert r.json() == _err(
        "authentication_error",
        "authentication_failed",
        "Personal API key found in request Authorization header is invalid.",
    )
    r = requests.get(url, params={"personal_api_key": "phx_wrong"})
    assert r.json()["detail"] == "Personal API key found in request query string is invalid."


def test_key_is_accepted_from_body_and_query(emulator: EmulatorServer) -> None:
    url = f"{emulator.url}/api/projects/1/feature_flags/"
    assert requests.get(url, params={"personal_api_key": "phx_demo"}).status_code == 200
    r = requests.post(url, json={"personal_api_key": "phx_demo", "key": "from-body"})
    assert r.status_code == 201
    assert emulator.app.request_log[0].query["personal_api_key"] == ["***"]


def test_scopes_and_scoped_teams(emulator: EmulatorServer) -> None:
    emulator.app.add_key("phx_reader", scopes=("feature_flag:read",))
    emulator.app.add_key("phx_other", scoped_teams=(2,))
    s = _session(emulator, "phx_reader")
    assert s.get(f"{emulator.url}/api/projects/1/feature_flags/").status_code == 200
    r = s.post(f"{emulator.url}/api/projects/1/feature_flags/", json={"key": "x"})
    assert r.status_code == 403
    assert r.json() == _err(
        "authentication_error",
        "permission_denied",
        "API key missing required scope 'feature_flag:write'",
    )
    assert s.get(f"{emulator.url}/api/projects/1/dashboards/").status_code == 403
    r = _session(emulator, "phx_other").get(f"{emulator.url}/api/projects/1/dashboards/")
    assert r.json()["detail"] == "API key does not have access to the requested project: ID 1."


def test_key_introspection_routes(emulator: EmulatorServer) -> None:
    s = _session(emulator)
    me = s.get(f"{emulator.url}/api/users/@me/").json()
    assert me["team"]["id"] == 1
    key = s.get(f"{emulator.url}/api/personal_api_keys/@current/").json()
    assert key["scopes"] == ["*"] and key["value"] is None and "phx_demo" not in str(key)
    projects = s.get(f"{emulator.url}/api/projects/").json()
    assert [p["id"] for p in projects["results"]] == [1]


# -- routing ------------------------------------------------------------------------------------
def test_prefixes_slashes_current_and_unknown_routes(emulator: EmulatorServer) -> None:
    s = _session(emulator)
    base = s.get(f"{emulator.url}/api/projects/1/dashboards/").json()
    for path in (
        "/api/environments/1/dashboards/",
        "/api/projects/1/dashboards",
        "/api/projects/@current/dashboards/",
    ):
        assert s.get(emulator.url + path).json()["results"] == base["results"]
    r = s.get(f"{emulator.url}/api/projects/1/nope/")
    assert r.status_code == 404
    assert r.json() == _err("invalid_request", "not_found", "Endpoint not found.")
    r = s.get(f"{emulator.url}/api/projects/abc/dashboards/")
    assert r.json() == _err("invalid_request", "not_found", "Project not found.")


# -- pagination ---------------------------------------------------------------------------------
def test_offset_pagination_links_are_absolute_and_keep_params(emulator: EmulatorServer) -> None:
    s = _session(emulator)
    url = f"{emulator.url}/api/projects/1/annotations/"
    page = s.get(url, params={"limit": 10, "offset": 5, "search": "v"}).json()
    assert page["next"].startswith(url) and "search=v" in page["next"]
    assert "offset=15" in page["next"] and "limit=10" in page["next"]
    assert "offset" not in page["previous"]
    seen: list[int] = []
    next_url: str | None = f"{url}?limit=7"
    while next_url:
        body = s.get(next_url).json()
        seen += [r["id"] for r in body["results"]]
        next_url = body["next"]
    assert len(seen) == len(set(seen)) == body["count"]


def test_persons_and_events_envelopes(emulator: EmulatorServer) -> None:
    s = _session(emulator)
    persons = s.get(f"{emulator.url}/api/projects/1/persons/", params={"limit": 3}).json()
    assert set(persons) == {"next", "previous", "results"} and "offset=3" in persons["next"]
    events = s.get(f"{emulator.url}/api/projects/1/events/", params={"limit": 5000}).json()
    assert len(events["results"]) == 1000  # clamped as PostHog's EVENT_LIST_MAX_LIMIT
    assert "before=" in events["next"] and "limit=5000" in events["next"]
    later = s.get(events["next"]).json()["results"]
    assert later[0]["timestamp"] <= events["results"][-1]["timestamp"]


def test_plain_and_has_next_envelopes(emulator: EmulatorServer) -> None:
    s = _session(emulator)
    endpoints = s.get(f"{emulator.url}/api/projects/1/endpoints/").json()
    assert set(endpoints) == {"results"} and endpoints["results"]
    recordings = s.get(
        f"{emulator.url}/api/projects/1/session_recordings/", params={"limit": 2}
    ).json()
    assert recordings["has_next"] is True and recordings["version"] == 4


# -- writes -------------------------------------------------------------------------------------
def test_create_sets_server_fields_and_ignores_read_only(emulator: EmulatorServer) -> None:
    s = _session(emulator)
    r = s.post(
        f"{emulator.url}/api/projects/1/feature_flags/",
        json={"key": "new-flag", "id": 999, "created_by": None, "unknown": 1},
    )
    assert r.status_code == 201
    flag = r.json()
    assert flag["id"] != 999 and flag["created_by"]["email"] and flag["is_simple_flag"] is True
    got = s.get(f"{emulator.url}/api/projects/1/feature_flags/{flag['id']}/").json()
    assert got["key"] == "new-flag"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, _err("validation_error", "required", "This field is required.", "key")),
        (
            {"key": "k" * 401},
            _err(
                "validation_error",
                "max_length",
                "Ensure this field has no more than 400 characters.",
                "key",
            ),
        ),
        (
            {"key": "k", "active": "maybe"},
            _err("validation_error", "invalid_input", "Must be a valid boolean.", "active"),
        ),
        (
            {"key": "k", "evaluation_runtime": "edge"},
            _err(
                "validation_error",
                "invalid_choice",
                '"edge" is not a valid choice.',
                "evaluation_runtime",
            ),
        ),
    ],
)
def test_validation_errors_have_posthogs_shape(
    emulator: EmulatorServer, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    r = _session(emulator).post(f"{emulator.url}/api/projects/1/feature_flags/", json=body)
    assert r.status_code == 400
    assert r.json() == expected


def test_soft_delete(emulator: EmulatorServer) -> None:
    s = _session(emulator)
    url = f"{emulator.url}/api/projects/1/dashboards/"
    first = s.get(url).json()["results"][0]
    r = s.delete(f"{url}{first['id']}/")
    assert r.status_code == 405 and r.content == b""
    assert s.patch(f"{url}{first['id']}/", json={"deleted": True}).status_code == 200
    assert first["id"] not in [d["id"] for d in s.get(url, params={"limit": 500}).json()["results"]]
    assert s.get(f"{url}{first['id']}/").status_code == 404
    assert s.patch(f"{url}{first['id']}/", json={"deleted": False}).status_code == 200
    assert s.get(f"{url}{first['id']}/").status_code == 200


def test_hard_delete_and_persons_semantics(emulator: EmulatorServer) -> None:
    s = _session(emulator)
    url = f"{emulator.url}/api/projects/1/surveys/"
    survey = s.get(url).json()["results"][0]
    assert s.delete(f"{url}{survey['id']}/").status_code == 204
    assert s.get(f"{url}{survey['id']}/").status_code == 404
    persons = f"{emulator.url}/api/projects/1/persons/"
    assert s.post(persons, json={}).status_code == 405
    uuid = s.get(persons, params={"limit": 1}).json()["results"][0]["uuid"]
    r = s.patch(f"{persons}{uuid}/", json={"properties": {"plan": "emulated"}})
    assert r.status_code == 202 and r.content == b""
    assert s.get(f"{persons}{uuid}/").json()["properties"]["plan"] == "emulated"
    assert s.get(f"{persons}not-an-id/").status_code == 400


def test_endpoint_names_are_validated_and_looked_up(emulator: EmulatorServer) -> None:
    s = _session(emulator)
    url = f"{emulator.url}/api/projects/1/endpoints/"
    query = {"kind": "HogQLQuery", "query": "SELECT 1"}
    r = s.post(url, json={"name": "bad name!", "query": query})
    assert r.status_code == 400 and r.json()["code"] == "invalid_input"
    assert s.post(url, json={"name": "good_name", "query": query}).status_code == 201
    assert s.get(f"{url}good_name/").json()["name"] == "good_name"
    assert s.delete(f"{url}good_name/").status_code == 204


def test_bad_json_is_a_parse_error(emulator: EmulatorServer) -> None:
    r = _session(emulator).post(
        f"{emulator.url}/api/projects/1/dashboards/",
        data=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["code"] == "parse_error"
