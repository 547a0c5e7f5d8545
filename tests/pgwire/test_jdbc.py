"""pgjdbc (Debian's libpostgresql-jdbc-java on the machine's Java) against the wire server.

``PgwireProbe.java`` is compiled into a temporary directory and run once per test; it prints
each result as tab-separated lines, compared here with what the DB-API answers.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from posthog_dbapi.dbapi import Connection

from .conftest import Wire

JAR = Path("/usr/share/java/postgresql.jar")
SOURCE = Path(__file__).with_name("PgwireProbe.java")


@pytest.fixture(scope="module")
def probe_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None or not JAR.exists():
        pytest.fail(
            "Java 17 (javac) and pgjdbc are needed: run scripts/ci-system-deps "
            f"(javac={javac}, java={java}, {JAR} exists={JAR.exists()})"
        )
    out = tmp_path_factory.mktemp("probe")
    done = subprocess.run(
        [javac, "-d", str(out), "-cp", str(JAR), str(SOURCE)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return out


def run_probe(classes: Path, wire: Wire, min_id: int) -> dict[str, list[list[str]]]:
    done = subprocess.run(
        [
            "java",
            "-Duser.timezone=UTC",
            "-cp",
            f"{classes}:{JAR}",
            "PgwireProbe",
            f"jdbc:postgresql://{wire.host}:{wire.port}/{wire.database}?sslmode=disable",
            "analyst",
            wire.key,
            str(min_id),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sections: dict[str, list[list[str]]] = defaultdict(list)
    for line in done.stdout.splitlines():
        name, *values = line.split("\t")
        sections[name].append([None if v == "\\N" else v for v in values])  # type: ignore[misc]
    return sections


def test_jdbc_metadata_metabase_sync_and_queries(
    probe_classes: Path, wire: Wire, dbapi: Connection
) -> None:
    cur = dbapi.cursor()
    cur.execute("SELECT min(id) FROM feature_flags")
    (min_id,) = cur.fetchone() or (0,)
    out = run_probe(probe_classes, wire, min_id)
    listing = {(t.schema or "public", t.name): t for t in dbapi.tables()}
    synced = [key for key in listing if key[0] in ("public", "stripe")]

    assert out["select1"] == [["1"]]
    assert out["timezone"] == [["UTC"]]
    schemas = sorted({"information_schema", "pg_catalog", *(s for s, _ in listing)})
    assert [row[0] for row in out["schemas"]] == schemas
    assert {"public", "stripe", "system"} <= set(schemas)

    # DatabaseMetaData.getTables / getColumns, in public and in the warehouse schema stripe
    tables = sorted(n for (s, n), t in listing.items() if s == "public" and not t.is_view)
    assert [row[2] for row in out["tables"]] == tables
    assert all(row[4] == listing[("public", row[2])].comment for row in out["tables"])
    events = [c.name for c in listing[("public", "events")].columns]
    assert [row[3] for row in out["columns"]] == events
    types = {row[3]: row[5] for row in out["columns"]}
    assert types["timestamp"] == "timestamptz" and types["uuid"] == "uuid"
    assert [row[2] for row in out["stripe_tables"]] == ["charge", "customer"]
    charge = listing[("stripe", "charge")]
    assert [row[3] for row in out["stripe_columns"]] == [c.name for c in charge.columns]
    cur.execute("SELECT count(*), sum(amount) FROM stripe.charge")
    assert out["stripe_sum"] == [[str(v) for v in cur.fetchone() or ()]]

    # getPrimaryKeys / getImportedKeys / getIndexInfo (pg_index, _pg_expandarray, conkey)
    assert [row[3:6] for row in out["pkeys"]] == [["id", "1", "feature_flags_pkey"]]
    imported = {(row[2], row[3], row[7]) for row in out["imported"]}
    assert ("dashboards", "id", "dashboard_id") in imported
    assert [(row[5], row[8]) for row in out["indexinfo"]] == [("feature_flags_pkey", "id")]
    assert out["typelookup"] == [["int2vector"]]

    # Metabase: tables (views after tables), privileges, enums, fields, foreign keys, the probe
    kinds = {key: "VIEW" if listing[key].is_view else "TABLE" for key in synced}
    assert [row[:3] for row in out["mb_tables"]] == [
        [s, n, kind] for kind, s, n in sorted((kind, s, n) for (s, n), kind in kinds.items())
    ]
    # update, select, insert, delete
    privileges = {(row[1], row[2]): row[3:] for row in out["mb_privileges"]}
    assert set(privileges) == set(listing)
    assert privileges[("public", "events")] == ["f", "t", "f", "f"]
    assert privileges[("stripe", "charge")] == ["f", "t", "f", "f"]
    assert privileges[("public", "feature_flags")] == ["t", "t", "t", "t"]
    assert out["mb_enums"] == []
    by_table: dict[tuple[str, str], list[list[str]]] = defaultdict(list)
    for row in out["mb_fields"]:
        by_table[(row[3], row[4])].append(row)
    assert sorted(by_table) == sorted(synced)
    for key in synced:
        assert [row[0] for row in by_table[key]] == [c.name for c in listing[key].columns]
        pks = [row[0] for row in by_table[key] if row[5] == "t"]
        assert pks == list(listing[key].primary_key)
    fks = {(row[1], row[2], row[4], row[5]) for row in out["mb_fks"]}
    assert ("events", "person_id", "persons", "id") in fks
    assert out["mb_probe"] == []

    # a PreparedStatement with parameters
    cur.execute(
        "SELECT id, key, active FROM feature_flags WHERE active = ? AND id > ? ORDER BY id",
        (True, min_id),
    )
    expected = [[str(i), k, "t" if a else "f"] for i, k, a in cur.fetchall()]
    assert expected and out["prepared"] == expected

    # Metabase's date_trunc time series over events
    cur.execute(
        "SELECT DATETIME(timestamp, 'start of day'), count(*) FROM events "
        "WHERE event = ? GROUP BY 1 ORDER BY 1",
        ("$pageview",),
    )
    series = [[d, str(n)] for d, n in cur.fetchall()]
    assert series and out["series"] == series
    dt.datetime.fromisoformat(out["series"][0][0])

    # setFetchSize with autocommit off: the portal is read in row-limited batches
    cur.execute("SELECT uuid, event FROM events ORDER BY timestamp, uuid LIMIT 120")
    assert out["fetchsize"] == [list(row) for row in cur.fetchall()]

    assert out["error"][0][0] == "42P01"
