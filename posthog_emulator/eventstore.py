"""The emulator's event store: events, persons and distinct ids of one project, in chDB.

Owns loading (demo data and appended rows), the REST-shaped reads the routes need (persons list,
retrieve, update, delete; the legacy `/events/` listing) and the entry point of HogQL queries
(`run_hogql`, implemented in `hogql.py`). Every engine call goes through `events_chdb`'s lock.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd

from . import events_chdb as engine
from . import events_demo, hogql, hogql_tables
from .hogql import HogQLError
from .warehouse import Warehouse

__all__ = ["EventStore", "HogQLError"]

_RELATIVE = re.compile(r"^-(\d+)([hdwmy])$")
_RELATIVE_UNITS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}
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


def _parse_when(value: str | datetime, now: datetime) -> str:
    """An ISO-8601 string, a datetime or a relative date such as '-7d', as a ClickHouse string."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    else:
        match = _RELATIVE.match(value.strip())
        if match:
            moment = now - timedelta(days=int(match.group(1)) * _RELATIVE_UNITS[match.group(2)])
        else:
            try:
                moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValueError(f"not an ISO-8601 date or relative date: {value!r}") from exc
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _is_anonymous(distinct_id: str) -> bool:
    return bool(_UUID_RE.match(distinct_id))


class EventStore:
    """Events, persons and distinct ids of one project, held in a chDB database of their own."""

    def __init__(self) -> None:
        self._db = engine.new_database()
        self._next_pk = 1
        self.warehouse = Warehouse()

    def __repr__(self) -> str:
        return f"EventStore(persons={self.person_count()}, events={self.event_count()})"

    @classmethod
    def demo(
        cls,
        *,
        seed: int = 0,
        persons: int = 2000,
        events: int = 200_000,
        now: datetime | None = None,
    ) -> EventStore:
        """A store filled with deterministic demo data (same seed and `now`, same rows), with
        the demo warehouse (a Stripe source and a saved view) built from its persons."""
        store = cls()
        store.load_demo(events_demo.generate(seed=seed, persons=persons, events=events, now=now))
        store.warehouse.load_demo(store._db)
        return store

    def close(self) -> None:
        """Drop this store's database; the store is unusable afterwards."""
        engine.drop_database(self._db)

    # -- loading -------------------------------------------------------------------------------

    def load_demo(self, data: events_demo.DemoData) -> None:
        """Append generated demo frames (persons first, so events can copy the person's plan)."""
        persons = data.persons.copy()
        persons["pk"] = persons["pk"] + (self._next_pk - 1)
        self._next_pk += len(persons)
        db = self._db
        engine.execute(
            f"INSERT INTO {db}.persons_raw SELECT pk, toUUID(uuid), "
            "fromUnixTimestamp64Micro(created_us, 'UTC'), properties, is_identified "
            "FROM Python(persons)"
        )
        pdi = data.distinct_ids  # noqa: F841 - chDB's Python(pdi) reads it by name
        engine.execute(
            f"INSERT INTO {db}.person_distinct_ids SELECT distinct_id, toUUID(person_uuid) "
            "FROM Python(pdi)"
        )
        events = data.events
        if len(events) == 0:
            return
        base_pk = int(persons["pk"].iloc[0])
        engine.execute(
            f"""INSERT INTO {db}.events SELECT uuid, event, properties, timestamp, distinct_id,
                elements_chain, created_at, `$session_id`, person_id, `$window_id`, `$group_0`,
                `$group_1`, `$group_2`, `$group_3`, `$group_4` FROM (
                {events_demo.EVENT_INSERT_SELECT}
                FROM Python(events) AS d
                LEFT JOIN (SELECT pk - {base_pk} AS row, properties FROM {db}.persons_raw
                           WHERE pk >= {base_pk}) AS p ON p.row = d.person_row)"""
        )
        # One `organization` group per company the demo persons work at.
        engine.execute(
            f"""INSERT INTO {db}.groups SELECT 0, lower(company), min(created_at),
                max(created_at), concat('{{"name":', toJSONString(company),
                ',"industry":"software","employees":', toString(count() * 10), '}}')
                FROM (SELECT JSONExtractString(properties, 'company') AS company, created_at
                      FROM {db}.persons_raw WHERE pk >= {base_pk})
                WHERE company != '' AND lower(company) NOT IN (SELECT key FROM {db}.groups)
                GROUP BY company"""
        )

    def add_persons(self, persons: list[dict[str, Any]]) -> None:
        """Append persons: uuid, distinct_ids, properties, created_at, is_identified (optional)."""
        if not persons:
            return
        now = datetime.now(timezone.utc)
        rows: dict[str, list[Any]] = {k: [] for k in ("pk", "uuid", "created", "props", "ident")}
        pdi: dict[str, list[str]] = {"distinct_id": [], "person_uuid": []}
        for person in persons:
            person_uuid = str(uuid.UUID(str(person.get("uuid") or uuid.uuid4())))
            rows["pk"].append(self._next_pk)
            self._next_pk += 1
            rows["uuid"].append(person_uuid)
            rows["created"].append(_parse_when(person.get("created_at") or now, now))
            rows["props"].append(json.dumps(person.get("properties") or {}))
            rows["ident"].append(int(bool(person.get("is_identified", False))))
            for distinct_id in person.get("distinct_ids") or []:
                pdi["distinct_id"].append(str(distinct_id))
                pdi["person_uuid"].append(person_uuid)
        frame = pd.DataFrame(rows)  # noqa: F841 - read by name by chDB's Python(frame)
        engine.execute(
            f"INSERT INTO {self._db}.persons_raw SELECT pk, toUUID(uuid), "
            "toDateTime64(created, 6, 'UTC'), props, ident FROM Python(frame)"
        )
        if pdi["distinct_id"]:
            pdi_frame = pd.DataFrame(pdi)  # noqa: F841 - read by chDB's Python(pdi_frame)
            engine.execute(
                f"INSERT INTO {self._db}.person_distinct_ids SELECT distinct_id, "
                "toUUID(person_uuid) FROM Python(pdi_frame)"
            )

    def add_events(self, events: list[dict[str, Any]]) -> None:
        """Append events: event and distinct_id required; uuid, timestamp, properties optional.

        An event whose distinct id belongs to no person creates an anonymous person, as
        PostHog's ingestion does.
        """
        if not events:
            return
        now = datetime.now(timezone.utc)
        known = self._person_ids_for([str(e["distinct_id"]) for e in events])
        new_persons: dict[str, str] = {}
        cols: dict[str, list[Any]] = {
            k: []
            for k in (
                "uuid",
                "event",
                "props",
                "ts",
                "did",
                "chain",
                "created",
                "sid",
                "pid",
                "wid",
            )
        }
        group_cols: list[list[str]] = [[] for _ in range(5)]
        for item in events:
            distinct_id = str(item["distinct_id"])
            props = item.get("properties") or {}
            if isinstance(props, str):
                props = json.loads(props)
            person_id = item.get("person_id") or known.get(distinct_id)
            if person_id is None:
                person_id = new_persons.setdefault(distinct_id, str(uuid.uuid4()))
            ts = _parse_when(item.get("timestamp") or now, now)
            cols["uuid"].append(str(uuid.UUID(str(item.get("uuid") or uuid.uuid4()))))
            cols["event"].append(str(item["event"]))
            cols["props"].append(json.dumps(props))
            cols["ts"].append(ts)
            cols["did"].append(distinct_id)
            cols["chain"].append(str(item.get("elements_chain") or ""))
            cols["created"].append(_parse_when(item.get("created_at") or ts, now))
            cols["sid"].append(str(item.get("$session_id") or props.get("$session_id") or ""))
            cols["pid"].append(str(person_id))
            cols["wid"].append(str(item.get("$window_id") or props.get("$window_id") or ""))
            for i, column in enumerate(group_cols):
                column.append(str(item.get(f"$group_{i}") or ""))
        if new_persons:
            self.add_persons(
                [
                    {"uuid": p, "distinct_ids": [d], "created_at": now}
                    for d, p in new_persons.items()
                ]
            )
        for i, column in enumerate(group_cols):
            cols[f"g{i}"] = column
        frame = pd.DataFrame(cols)  # noqa: F841 - read by name by chDB's Python(frame)
        engine.execute(
            f"INSERT INTO {self._db}.events SELECT toUUID(uuid), event, props, "
            "toDateTime64(ts, 6, 'UTC'), did, chain, toDateTime64(created, 6, 'UTC'), sid, "
            "toUUID(pid), wid, g0, g1, g2, g3, g4 FROM Python(frame)"
        )

    def _person_ids_for(self, distinct_ids: list[str]) -> dict[str, str]:
        rows = _rows(
            f"SELECT distinct_id, toString(person_id) AS pid FROM {self._db}.person_distinct_ids "
            "WHERE has({ids:Array(String)}, distinct_id)",
            {"ids": _ch_array(sorted(set(distinct_ids)))},
        )
        return {r["distinct_id"]: r["pid"] for r in rows}

    # -- counts --------------------------------------------------------------------------------

    def person_count(self) -> int:
        return int(_rows(f"SELECT count() AS c FROM {self._db}.persons_raw")[0]["c"])

    def event_count(self) -> int:
        return int(_rows(f"SELECT count() AS c FROM {self._db}.events")[0]["c"])

    # -- raw storage ---------------------------------------------------------------------------

    def raw_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every stored row of one of `HOGQL_TABLES` straight from the engine, bypassing HogQL
        (no parsing, rewriting, placeholders or paging): uuids as text, timestamps as UTC text
        ('2024-01-05 10:00:00.123456'). Tests use it as an oracle independent of `/query/`."""
        if table not in hogql_tables.HOGQL_TABLES:
            raise ValueError(
                f"unknown table {table!r}; choose from {sorted(hogql_tables.HOGQL_TABLES)}"
            )
        yield from _rows(f"SELECT * FROM {self._db}.`{table}`")

    # -- persons (REST) ------------------------------------------------------------------------

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
        rows = _rows(
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
        params = {"ids": _ch_array(ids)}
        dids = _rows(
            f"SELECT toString(person_id) AS pid, groupArray(distinct_id) AS dids "
            f"FROM {self._db}.person_distinct_ids "
            "WHERE has({ids:Array(String)}, toString(person_id)) GROUP BY person_id",
            params,
        )
        seen = _rows(
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
        rows = _rows(
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
            {"p": json.dumps(merged), "pk": int(row["pk"])},
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
            params["after"] = _parse_when(after, now)
        if before is not None:
            where.append("timestamp < toDateTime64({before:String}, 6, 'UTC')")
            params["before"] = _parse_when(before, now)
        direction = "ASC" if ascending else "DESC"
        rows = _rows(
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
        rows = _rows(
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
            found = _rows(
                f"SELECT toString(id) AS uid, properties, is_identified "
                f"FROM {self._db}.persons_raw "
                "WHERE has({ids:Array(String)}, toString(id))",
                {"ids": _ch_array(pids)},
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

    def warehouse_row_counts(self) -> dict[str, int]:
        """Rows of each warehouse table, by its dotted key."""
        return {
            key: self.warehouse.row_count(self._db, table)
            for key, table in self.warehouse.tables.items()
        }

    # -- HogQL ---------------------------------------------------------------------------------

    def run_hogql(
        self,
        query: str,
        values: Mapping[str, Any] | None,
        *,
        system_tables: Mapping[str, list[dict[str, Any]]],
        allow_offset: bool = False,
        timezone: str = "UTC",
        week_start_day: int = 0,
        team_id: int = 1,
    ) -> dict[str, Any]:
        """Run a HogQL SELECT; returns the HogQLQueryResponse body or raises HogQLError.

        DateTime columns, date functions and string constants compared with them are read in
        `timezone` (the project's, unless the request turned `convertToProjectTimezone` off);
        `toStartOfWeek` without a mode starts weeks on `week_start_day` (0 Sunday, 1 Monday)."""
        return hogql.run(
            self._db,
            query,
            values,
            system_tables=system_tables,
            allow_offset=allow_offset,
            timezone=timezone,
            week_start_day=week_start_day,
            team_id=team_id,
            warehouse=self.warehouse,
        )


def _rows(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows with `uid` renamed to `id` (an alias named like a column would shadow it in WHERE)."""
    rows = engine.query_rows(sql, params)
    for row in rows:
        if "uid" in row:
            row["id"] = row.pop("uid")
    return rows


def _ch_array(items: list[str]) -> str:
    """A ClickHouse Array(String) query-parameter value: each item quoted and escaped."""
    quoted = ("'" + item.replace("\\", "\\\\").replace("'", "\\'") + "'" for item in items)
    return "[" + ",".join(quoted) + "]"
