"""The event store's REST-shaped reads and writes: persons (``GET /persons/``, retrieve, update of
properties, delete) and the legacy ``GET /events/`` listing, rendered as PostHog renders them.

``RestViews`` is a part of ``EventStore`` (``eventstore.py``), which owns the store's database,
its loading and HogQL; this module owns only the shapes of these REST answers.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from . import events_chdb as engine
from .events_chdb import array_param, clickhouse_time, store_rows
from .ingest_json import stringify

__all__ = ["RestViews"]

_DISPLAY_NAME_PROPS = ("email", "Email", "$email", "name", "Name", "username", "Username")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def _iso_z(value: str | None) -> str | None:
    """ClickHouse's '2024-05-01 12:00:00.123000' as DRF renders it: '2024-05-01T12:00:00.123Z'."""
    if value is None:
        return None
    text = value.replace(" ", "T")
    if text.endswith(".000000"):
        text = text[:-7]
    return text + "Z"


def _iso_offset(value: str) -> str:
    """The legacy events endpoint renders timestamps with '+00:00' (astimezone().isoformat())."""
    return value.replace(" ", "T") + "+00:00"


def _is_anonymous(distinct_id: str) -> bool:
    return bool(_UUID_RE.match(distinct_id))


class RestViews:
    """Persons and legacy events as the REST routes answer them (mixed into ``EventStore``)."""

    _db: str

    def list_persons(
        self,
        *,
        search: str | None = None,
        distinct_id: str | None = None,
        email: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Persons as `GET /persons/` lists them: `id` is the UUID, newest `created_at` first."""
        where: list[str] = ["1"]
        params: dict[str, Any] = {"limit": max(0, int(limit)), "offset": max(0, int(offset))}
        pdi = f"{self._db}.person_distinct_ids"
        if search:
            where.append(
                "(positionCaseInsensitiveUTF8(JSONExtractString(properties, 'email'), "
                f"{{search:String}}) > 0 OR id IN (SELECT person_id FROM {pdi} "
                "WHERE distinct_id = {search:String}))"
            )
            params["search"] = search
        if distinct_id:
            where.append(f"id IN (SELECT person_id FROM {pdi} WHERE distinct_id = {{did:String}})")
            params["did"] = distinct_id
        if email:
            where.append("JSONExtractString(properties, 'email') = {email:String}")
            params["email"] = email
        rows = store_rows(
            f"SELECT pk, toString(id) AS uid, created_at, properties, is_identified "
            f"FROM {self._db}.persons_raw WHERE {' AND '.join(where)} "
            "ORDER BY created_at DESC, id LIMIT {limit:UInt64} OFFSET {offset:UInt64}",
            params,
        )
        extra = self._person_extras([r["id"] for r in rows])
        return [self._person_item(row, *extra.get(row["id"], ([], None))) for row in rows]

    def _person_extras(self, ids: list[str]) -> dict[str, tuple[list[str], str | None]]:
        """Distinct ids (non-anonymous first) and last-seen time of each person."""
        if not ids:
            return {}
        params = {"ids": array_param(ids)}
        dids = store_rows(
            f"SELECT toString(person_id) AS pid, groupArray(distinct_id) AS dids "
            f"FROM {self._db}.person_distinct_ids "
            "WHERE has({ids:Array(String)}, toString(person_id)) GROUP BY person_id",
            params,
        )
        seen = store_rows(
            f"SELECT toString(person_id) AS pid, max(timestamp) AS seen FROM {self._db}.events "
            "WHERE has({ids:Array(String)}, toString(person_id)) GROUP BY person_id",
            params,
        )
        last = {r["pid"]: r["seen"] for r in seen}
        out = {}
        for r in dids:
            ordered = sorted(r["dids"], key=lambda d: (_is_anonymous(d), d))[:1000]
            out[r["pid"]] = (ordered, last.get(r["pid"]))
        for pid, when in last.items():
            out.setdefault(pid, ([], when))
        return out

    @staticmethod
    def _display_name(props: Mapping[str, Any], distinct_ids: list[str], pk: int) -> str:
        for key in _DISPLAY_NAME_PROPS:
            if props.get(key):
                return str(props[key])
        for did in distinct_ids:
            if not _is_anonymous(did):
                return did
        return str(pk)

    def _person_item(
        self, row: dict[str, Any], distinct_ids: list[str], last_seen: str | None
    ) -> dict[str, Any]:
        props = json.loads(row["properties"] or "{}")
        return {
            "type": "person",
            "id": row["id"],
            "uuid": row["id"],
            "created_at": _iso_z(row["created_at"]),
            "last_seen_at": _iso_z(last_seen),
            "properties": props,
            "is_identified": bool(row["is_identified"]),
            "name": self._display_name(props, distinct_ids, int(row["pk"])),
            "distinct_ids": distinct_ids,
            "matched_recordings": [],
            "value_at_data_point": None,
        }

    def _find_person(self, key: str | int) -> dict[str, Any] | None:
        text = str(key).strip()
        params: dict[str, Any]
        if text.isdigit():
            cond, params = "pk = {pk:Int64}", {"pk": int(text)}
        elif _UUID_RE.match(text):
            cond, params = "id = toUUID({id:String})", {"id": str(uuid.UUID(text))}
        else:
            return None
        rows = store_rows(
            f"SELECT pk, toString(id) AS uid, created_at, properties, is_identified "
            f"FROM {self._db}.persons_raw WHERE {cond}",
            params,
        )
        return rows[0] if rows else None

    def get_person(self, key: str | int) -> dict[str, Any] | None:
        """A person as `GET /persons/{id}/` returns it (`id` is the integer pk), or None."""
        row = self._find_person(key)
        if row is None:
            return None
        distinct_ids, last_seen = self._person_extras([row["id"]]).get(row["id"], ([], None))
        item = self._person_item(row, distinct_ids, last_seen)
        return {
            "id": int(row["pk"]),
            "name": item["name"],
            "distinct_ids": distinct_ids,
            "properties": item["properties"],
            "created_at": item["created_at"],
            "uuid": row["id"],
            "last_seen_at": item["last_seen_at"],
        }

    def update_person_properties(self, key: str | int, properties: Mapping[str, Any]) -> bool:
        """Merge `properties` into the person's ($set semantics); False when there is no person."""
        row = self._find_person(key)
        if row is None:
            return False
        merged = {**json.loads(row["properties"] or "{}"), **dict(properties)}
        engine.execute(
            f"ALTER TABLE {self._db}.persons_raw UPDATE properties = {{p:String}} "
            "WHERE pk = {pk:Int64} SETTINGS mutations_sync = 2",
            {"p": stringify(merged), "pk": int(row["pk"])},
        )
        return True

    def delete_person(self, key: str | int) -> bool:
        """Delete the person and their distinct ids (events stay, as in PostHog by default)."""
        row = self._find_person(key)
        if row is None:
            return False
        params = {"id": row["id"]}
        with engine.lock():
            for table in ("persons_raw", "person_distinct_ids"):
                column = "id" if table == "persons_raw" else "person_id"
                engine.execute(
                    f"ALTER TABLE {self._db}.{table} DELETE WHERE {column} = toUUID({{id:String}}) "
                    "SETTINGS mutations_sync = 2",
                    params,
                )
        return True

    # -- legacy events (REST) ------------------------------------------------------------------

    def list_events(
        self,
        *,
        event: str | None = None,
        distinct_id: str | None = None,
        person_id: str | int | None = None,
        after: str | datetime | None = None,
        before: str | datetime | None = None,
        limit: int = 100,
        ascending: bool = False,
        include_person: bool = False,
    ) -> list[dict[str, Any]]:
        """Events as the legacy `GET /events/` lists them; `before`/`after` are exclusive bounds.

        Raises ValueError for a date that is neither ISO-8601 nor relative ('-7d').
        """
        now = datetime.now(timezone.utc)
        where: list[str] = ["1"]
        params: dict[str, Any] = {"limit": max(0, int(limit))}
        if event is not None:
            where.append("event = {event:String}")
            params["event"] = event
        if distinct_id is not None:
            where.append("distinct_id = {did:String}")
            params["did"] = distinct_id
        if person_id is not None:
            person = self._find_person(person_id)
            if person is None:
                return []
            where.append("person_id = toUUID({pid:String})")
            params["pid"] = person["id"]
        if after is not None:
            where.append("timestamp > toDateTime64({after:String}, 6, 'UTC')")
            params["after"] = clickhouse_time(after, now)
        if before is not None:
            where.append("timestamp < toDateTime64({before:String}, 6, 'UTC')")
            params["before"] = clickhouse_time(before, now)
        direction = "ASC" if ascending else "DESC"
        rows = store_rows(
            f"SELECT toString(uuid) AS uid, distinct_id, properties, event, timestamp, "
            f"elements_chain, toString(person_id) AS pid FROM {self._db}.events "
            f"WHERE {' AND '.join(where)} ORDER BY timestamp {direction}, uuid {direction} "
            "LIMIT {limit:UInt64}",
            params,
        )
        return self._event_items(rows, include_person)

    def get_event(self, event_uuid: str) -> dict[str, Any] | None:
        """One event in the legacy shape, or None (also for a malformed UUID)."""
        try:
            text = str(uuid.UUID(str(event_uuid)))
        except ValueError:
            return None
        rows = store_rows(
            f"SELECT toString(uuid) AS uid, distinct_id, properties, event, timestamp, "
            f"elements_chain, toString(person_id) AS pid FROM {self._db}.events "
            "WHERE uuid = toUUID({id:String}) LIMIT 1",
            {"id": text},
        )
        items = self._event_items(rows, True)
        return items[0] if items else None

    def _event_items(
        self, rows: list[dict[str, Any]], include_person: bool
    ) -> list[dict[str, Any]]:
        persons: dict[str, dict[str, Any]] = {}
        if include_person and rows:
            pids = sorted({r["pid"] for r in rows})
            found = store_rows(
                f"SELECT toString(id) AS uid, properties, is_identified "
                f"FROM {self._db}.persons_raw "
                "WHERE has({ids:Array(String)}, toString(id))",
                {"ids": array_param(pids)},
            )
            for p in found:
                props = json.loads(p["properties"] or "{}")
                persons[p["id"]] = {
                    "is_identified": bool(p["is_identified"]),
                    "properties": {
                        k: props[k] for k in ("email", "name", "username") if k in props
                    },
                }
        items = []
        for r in rows:
            person = persons.get(r["pid"])
            items.append(
                {
                    "id": r["id"],
                    "distinct_id": r["distinct_id"],
                    "properties": json.loads(r["properties"] or "{}"),
                    "event": r["event"],
                    "timestamp": _iso_offset(r["timestamp"]),
                    "person": None
                    if person is None
                    else {**person, "distinct_ids": [r["distinct_id"]]},
                    "elements": [],
                    "elements_chain": r["elements_chain"],
                }
            )
        return items
