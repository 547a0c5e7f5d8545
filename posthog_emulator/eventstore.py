"""The emulator's event store: events, persons and distinct ids of one project, in chDB.

Owns the store's database, loading (demo data and appended rows), counts, raw rows, and the
entry point of HogQL queries (`run_hogql`, implemented in `hogql.py`). The REST-shaped reads the
routes need (persons list, retrieve, update, delete; the legacy `/events/` listing) are in
`eventstore_rest.py`. Every engine call goes through `events_chdb`'s lock.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from . import events_chdb as engine
from . import events_demo, hogql, hogql_tables
from .events_chdb import array_param, clickhouse_time, store_rows
from .eventstore_rest import RestViews
from .hogql import HogQLError
from .ingest_json import stringify
from .warehouse import Warehouse

__all__ = ["EventStore", "HogQLError"]


class EventStore(RestViews):
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
                           WHERE pk >= {base_pk}) AS p ON p.row = d.person_row)
            -- JSON.stringify, which wrote PostHog's stored properties, leaves '/' as it is.
            SETTINGS output_format_json_escape_forward_slashes = 0"""
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
            rows["created"].append(clickhouse_time(person.get("created_at") or now, now))
            rows["props"].append(stringify(person.get("properties") or {}))
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
            ts = clickhouse_time(item.get("timestamp") or now, now)
            cols["uuid"].append(str(uuid.UUID(str(item.get("uuid") or uuid.uuid4()))))
            cols["event"].append(str(item["event"]))
            cols["props"].append(stringify(props))
            cols["ts"].append(ts)
            cols["did"].append(distinct_id)
            cols["chain"].append(str(item.get("elements_chain") or ""))
            cols["created"].append(clickhouse_time(item.get("created_at") or ts, now))
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
        rows = store_rows(
            f"SELECT distinct_id, toString(person_id) AS pid FROM {self._db}.person_distinct_ids "
            "WHERE has({ids:Array(String)}, distinct_id)",
            {"ids": array_param(sorted(set(distinct_ids)))},
        )
        return {r["distinct_id"]: r["pid"] for r in rows}

    # -- counts --------------------------------------------------------------------------------

    def person_count(self) -> int:
        return int(store_rows(f"SELECT count() AS c FROM {self._db}.persons_raw")[0]["c"])

    def event_count(self) -> int:
        return int(store_rows(f"SELECT count() AS c FROM {self._db}.events")[0]["c"])

    # -- raw storage ---------------------------------------------------------------------------

    def raw_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every stored row of one of `HOGQL_TABLES` straight from the engine, bypassing HogQL
        (no parsing, rewriting, placeholders or paging): uuids as text, timestamps as UTC text
        ('2024-01-05 10:00:00.123456'). Tests use it as an oracle independent of `/query/`."""
        if table not in hogql_tables.HOGQL_TABLES:
            raise ValueError(
                f"unknown table {table!r}; choose from {sorted(hogql_tables.HOGQL_TABLES)}"
            )
        yield from store_rows(f"SELECT * FROM {self._db}.`{table}`")

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
