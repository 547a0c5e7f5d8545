"""The wire server's parts without sockets: SQL translation, session commands, value codecs
and the SCRAM exchange (checked against a client computed from RFC 5802)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import uuid

import apsw
import pytest

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.exceptions import NotSupportedError, ProgrammingError
from posthog_dbapi.pgwire import auth
from posthog_dbapi.pgwire.codec import OID, Reader, encode_value
from posthog_dbapi.pgwire.commands import parse_command, split
from posthog_dbapi.pgwire.paramcodec import decode_param
from posthog_dbapi.pgwire.translate import Translator
from posthog_dbapi.sql.grains import GRAINS
from posthog_dbapi.sql.pushdown_planner import PushdownPlan, plan
from posthog_dbapi.types import parse_timestamp

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)


@pytest.fixture
def translator() -> Translator:
    return Translator(RESOURCES, user="u", database="1", version="PostgreSQL 14.0", now=lambda: NOW)


def sqlite_value(sql: str) -> object:
    db = apsw.Connection(":memory:")
    try:
        return db.execute(sql).fetchall()[0][0]
    finally:
        db.close()


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("second", "2026-03-04 05:06:07"),
        ("minute", "2026-03-04 05:06:00"),
        ("hour", "2026-03-04 05:00:00"),
        ("day", "2026-03-04 00:00:00"),
        ("week", "2026-03-02 00:00:00"),  # a Wednesday; PostgreSQL weeks start on Monday
        ("month", "2026-03-01 00:00:00"),
        ("quarter", "2026-01-01 00:00:00"),
        ("year", "2026-01-01 00:00:00"),
    ],
)
def test_date_trunc_grains_give_postgres_answers(
    translator: Translator, unit: str, expected: str
) -> None:
    out = translator.translate(f"SELECT date_trunc('{unit}', '2026-03-04T05:06:07.5+00:00'::text)")
    assert sqlite_value(out.sql) == expected
    assert out.hints == ["timestamp"]


@pytest.mark.parametrize("shift", ["+ INTERVAL '-1 day'", "- INTERVAL '1 day'"])
def test_metabases_sunday_week_is_the_sunday_grain(translator: Translator, shift: str) -> None:
    # Metabase's default week (src/metabase/driver/sql/query_processor.clj adjust-start-of-week):
    # PostgreSQL's Monday week of the next day, less a day. Sent as the grain table's Sunday
    # week, which the pushdown sends as one toStartOfWeek; the nested form would stay local.
    week = f"(date_trunc('week', (timestamp + INTERVAL '1 day')) {shift})"
    out = translator.translate(f"SELECT {week} FROM events")
    sunday = next(g for g in GRAINS if g.name == "week starting Sunday")
    assert sunday.sqlite.format(col="timestamp") in out.sql
    nested = (
        "DATETIME(DATETIME(DATETIME(timestamp, '+1 days'), 'start of day', "
        "-((STRFTIME('%w', DATETIME(timestamp, '+1 days')) + 6) % 7) || ' days'), '-1 days')"
    )
    days = [f"2026-03-{d:02d}T{h}+00:00" for d in range(1, 15) for h in ("00:00:00", "23:59:59.9")]
    rows = [(None, m, None, None) for m in [*days, "2026-12-31T12:00:00Z", "junk", None]]
    got = sqlite_rows(out.sql, "events", rows)
    assert got == sqlite_rows(f"SELECT {nested} FROM events", "events", rows)
    assert {dt.date.fromisoformat(w[:10]).weekday() for (w,) in got if w} == {6}


def sqlite_rows(sql: str, table: str, rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """``sql`` run by SQLite over one table ``table(x, timestamp, key, name)`` holding ``rows``."""
    db = apsw.Connection(":memory:")
    try:
        db.execute(f'CREATE TABLE "{table}" (x, "timestamp", key, name)')
        db.executemany(f'INSERT INTO "{table}" VALUES (?, ?, ?, ?)', rows)
        return [tuple(row) for row in db.execute(sql)]
    finally:
        db.close()


def test_extract_and_intervals(translator: Translator) -> None:
    ts = "'2026-03-04T05:06:07+00:00'"
    assert sqlite_value(translator.translate(f"SELECT extract(dow from {ts}::text)").sql) == 3
    assert sqlite_value(translator.translate(f"SELECT extract(quarter from {ts}::text)").sql) == 1
    # Stored as the SQLite route stores timestamps; NOW is 2026-03-04 05:06:07 UTC.
    events = [
        ("old", "2026-02-25T05:06:06+00:00", None, None),
        ("edge", "2026-02-25T05:06:07+00:00", None, None),
        ("new", "2026-03-01T00:00:00.5+00:00", None, None),
    ]
    out = translator.translate("SELECT x FROM events WHERE timestamp >= now() - INTERVAL '7 days'")
    assert sqlite_rows(out.sql, "events", events) == [("edge",), ("new",)]
    column = translator.translate("SELECT timestamp + interval '2 hours' FROM events")
    assert sqlite_rows(column.sql, "events", events[:1]) == [("2026-02-25 07:06:06",)]


def test_day_grain_keeps_the_shape_pushdown_recognises(translator: Translator) -> None:
    out = translator.translate(
        'SELECT date_trunc(\'day\', "timestamp"), count(*) FROM "public"."events" GROUP BY 1'
    )
    assert out.target == "posthog"
    # The contract is the planner's verdict on the text: one HogQL query, not a scan.
    chosen = plan(out.sql, [])
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "single", chosen


def test_parameters_number_in_text_order(translator: Translator) -> None:
    out = translator.translate("SELECT $2 AS a FROM feature_flags WHERE key = $1 OR name = $2")
    assert out.sql.count("?") == 3 and out.param_order == [1, 0, 1]


def test_routing(translator: Translator) -> None:
    assert translator.translate("SELECT 1").target == "catalog"
    assert translator.translate("SELECT relname FROM pg_class").target == "catalog"
    assert translator.translate("SELECT * FROM information_schema.tables").target == "catalog"
    with pytest.raises(ProgrammingError, match='relation "nope" does not exist'):
        translator.translate("SELECT * FROM nope")
    with pytest.raises(NotSupportedError):
        translator.translate("SELECT * FROM events JOIN pg_class ON true")
    with pytest.raises(NotSupportedError):
        translator.translate("DROP TABLE events")


def test_schema_tables_route_to_the_connection_and_unknown_ones_get_hints() -> None:
    listed: list[int] = []

    def tables() -> list[str]:
        listed.append(1)
        return ["events", "feature_flags", "stripe.charge", "stripe.customer", "system.insights"]

    translator = Translator(tables, user="u", database="1", version="PostgreSQL 14.0")
    assert translator.translate("SELECT relname FROM pg_class").target == "catalog"
    assert listed == []  # a catalog query does not list the connection's tables
    # The schema stays: the connection resolves stripe.charge, quoted or not.
    translation = translator.translate('SELECT sum(amount) FROM "stripe"."charge" c')
    assert translation.target == "posthog" and 'FROM "stripe"."charge" AS c' in translation.sql
    translation = translator.translate("SELECT c.id FROM stripe.charge c")
    assert translation.sql == "SELECT c.id FROM stripe.charge AS c"
    assert translation.sources == [("stripe.charge", "id")]
    assert translator.translate("SELECT id FROM public.events").sql == "SELECT id FROM events"
    hints = {}
    for sql in ("SELECT * FROM charge", "SELECT * FROM feature_flagz", "SELECT * FROM hubspot.x"):
        with pytest.raises(ProgrammingError) as missing:
            translator.translate(sql)
        hints[sql.rsplit(" ", 1)[1]] = missing.value.suggestion
    assert hints["charge"] == "Write it with its schema: stripe.charge."
    assert hints["feature_flagz"] == "Did you mean 'feature_flags'?"
    assert "Other schemas: stripe, system" in hints["hubspot.x"]
    assert listed == [1]


def test_unnamed_columns_are_named_as_postgres_names_them(translator: Translator) -> None:
    out = translator.translate("SELECT count(*), 1, key FROM feature_flags GROUP BY key")
    db = apsw.Connection(":memory:")
    try:
        db.execute("CREATE TABLE feature_flags (key)")
        db.execute("INSERT INTO feature_flags VALUES ('beta')")
        cursor = db.execute(out.sql)
        assert [name for name, _ in cursor.getdescription()] == ["count", "?column?", "key"]
        assert cursor.fetchall() == [(1, 1, "beta")]
    finally:
        db.close()


def test_split_and_commands() -> None:
    assert split("SELECT ';'; SET x = 1; -- done\n") == ["SELECT ';'", " SET x = 1"]
    assert parse_command("show timezone;").name == "timezone"  # type: ignore[union-attr]
    set_tz = parse_command("SET SESSION TIMEZONE TO 'Europe/Paris';")
    assert set_tz is not None and (set_tz.name, set_tz.value) == ("timezone", "Europe/Paris")
    declare = parse_command('DECLARE "c1" NO SCROLL CURSOR WITHOUT HOLD FOR SELECT 1')
    assert declare is not None and (declare.name, declare.value) == ("c1", "SELECT 1")
    fetch = parse_command('FETCH FORWARD 25 FROM "c1"')
    assert fetch is not None and (fetch.name, fetch.count) == ("c1", 25)
    assert parse_command("SELECT 1") is None


def test_value_codecs_round_trip() -> None:
    moment = dt.datetime(2026, 3, 4, 5, 6, 7, 123000, tzinfo=dt.timezone.utc)
    for value, oid in [(42, OID.INT8), (7, OID.INT4), (2.5, OID.FLOAT8), (True, OID.BOOL),
                       (moment, OID.TIMESTAMPTZ), (dt.date(2026, 3, 4), OID.DATE),
                       (str(uuid.UUID(int=5)), OID.UUID), ("héllo", OID.TEXT)]:  # fmt: skip
        assert decode_param(encode_value(value, oid, 1), oid, 1) == value
    assert encode_value(True, OID.BOOL, 0) == b"t"
    assert encode_value(None, OID.TEXT, 0) is None
    assert parse_timestamp("2026-03-04 05:06:07+01") == moment.replace(hour=4, microsecond=0)
    assert decode_param(b"2026-03-04 05:06:07.123+00", OID.TIMESTAMPTZ, 0) == moment


def test_scram_sha256_accepts_the_right_password_only() -> None:
    def exchange(password: str) -> list[tuple[int, bytes]]:
        sent: list[tuple[int, bytes]] = []
        client_first_bare = "n=,r=clientnonce"
        replies = iter([None, None])

        def send(code: int, payload: bytes) -> None:
            sent.append((code, payload))

        def receive() -> bytes:
            step = next(replies, None)
            del step
            if len(sent) == 1:
                first = ("n,," + client_first_bare).encode()
                return b"SCRAM-SHA-256\0" + len(first).to_bytes(4, "big") + first
            server_first = sent[-1][1].decode()
            attrs = dict(part.split("=", 1) for part in server_first.split(","))
            salted = hashlib.pbkdf2_hmac(
                "sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"])
            )
            client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
            stored = hashlib.sha256(client_key).digest()
            without_proof = f"c=biws,r={attrs['r']}"
            message = f"{client_first_bare},{server_first},{without_proof}".encode()
            signature = hmac.new(stored, message, hashlib.sha256).digest()
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

        auth.scram_sha256(send, receive, "analyst", "s3cret")
        return sent

    sent = exchange("s3cret")
    assert [code for code, _ in sent] == [auth.AUTH_SASL, auth.AUTH_SASL_CONTINUE,
                                          auth.AUTH_SASL_FINAL]  # fmt: skip
    with pytest.raises(auth.AuthFailed, match="password authentication failed"):
        exchange("wrong")


def test_reader_rejects_short_messages() -> None:
    from posthog_dbapi.pgwire.codec import ProtocolError

    with pytest.raises(ProtocolError):
        Reader(b"\x00\x01").take(4)
