"""``posthog-sql`` without a terminal: -e, files, stdin, every output format, errors, exit codes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import posthog_dbapi
from posthog_dbapi.cli import SUBCOMMANDS, _module_main

FLAGS_SQL = "SELECT id, key, active, filters, created_at FROM feature_flags ORDER BY id LIMIT 5"


def _rows(emulator: Any, sql: str) -> list[tuple[Any, ...]]:
    with posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id) as conn:
        cursor = conn.cursor()
        cursor.execute(sql)
        return cursor.fetchall()


def test_execute_prints_an_aligned_table(cli: Callable[..., Any], url: str, emulator: Any) -> None:
    expected = _rows(emulator, "SELECT id, name FROM dashboards ORDER BY id LIMIT 3")
    run = cli("--url", url, "-e", "SELECT id, name FROM dashboards ORDER BY id LIMIT 3")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split("|")[0].strip() == "id"
    assert set(lines[1]) <= {"-", "+"}
    assert [line.split(" | ")[1].strip() for line in lines[2:]] == [r[1] for r in expected]
    assert "row" not in run.out  # no footer in one-shot mode unless asked


def test_csv_matches_the_dbapi(cli: Callable[..., Any], url: str, emulator: Any) -> None:
    expected = _rows(emulator, FLAGS_SQL)
    run = cli("--url", url, "-e", FLAGS_SQL, "--format", "csv")
    assert run.code == 0, run.err
    header, *rows = list(csv.reader(io.StringIO(run.out)))
    assert header == ["id", "key", "active", "filters", "created_at"]
    assert [int(r[0]) for r in rows] == [e[0] for e in expected]
    assert [r[2] for r in rows] == [str(e[2]).lower() for e in expected]
    # JSON columns stay the JSON text; datetimes are ISO 8601.
    assert [json.loads(r[3]) for r in rows] == [json.loads(e[3]) for e in expected]
    assert [dt.datetime.fromisoformat(r[4]) for r in rows] == [e[4] for e in expected]


def test_jsonl_keeps_types(cli: Callable[..., Any], url: str, emulator: Any) -> None:
    expected = _rows(emulator, FLAGS_SQL)
    run = cli("--url", url, "-e", FLAGS_SQL, "--format", "jsonl")
    assert run.code == 0, run.err
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [(r["id"], r["key"], r["active"]) for r in records] == [e[:3] for e in expected]
    assert all(isinstance(r["filters"], str) for r in records)
    assert [dt.datetime.fromisoformat(r["created_at"]) for r in records] == [e[4] for e in expected]


def test_markdown_escapes_pipes(cli: Callable[..., Any], url: str) -> None:
    run = cli("--url", url, "-e", "SELECT 'a|b' AS x, NULL AS y", "--format", "markdown")
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["| x | y |", "|---|---|", "| a\\|b |  |"]


def test_file_with_several_statements(
    cli: Callable[..., Any], url: str, emulator: Any, tmp_path: Path
) -> None:
    script = tmp_path / "q.sql"
    script.write_text(
        "-- a comment; with a semicolon\nSELECT 'x;y' AS s;\nSELECT count(*)\n  FROM dashboards;\n",
        encoding="utf-8",
    )
    (count,) = _rows(emulator, "SELECT count(*) FROM dashboards")[0]
    run = cli("--url", url, "--format", "csv", str(script))
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["s", "x;y", "count(*)", str(count)]


def test_stdin_statements_and_dot_commands(cli: Callable[..., Any], url: str) -> None:
    run = cli("--url", url, "--format", "csv", stdin=".schema cohorts\nSELECT 1 AS one;\n.tables\n")
    assert run.code == 0, run.err
    rows = list(csv.reader(io.StringIO(run.out)))
    assert rows[0] == ["column", "type", "key", "read_only", "required", "nullable", "references"]
    assert ["id", "integer", "key", "true", "false", "false", ""] in rows
    assert ["one"] in rows and ["1"] in rows
    assert any(r[:2] == ["events", "SELECT"] for r in rows)


def test_tables_and_schema_show_every_schema(
    cli: Callable[..., Any], url: str, emulator: Any
) -> None:
    with posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id) as conn:
        listing = {t.sql_name: t for t in conn.tables()}
    run = cli("--url", url, "--format", "csv", "-e", ".tables")
    assert run.code == 0, run.err
    rows = list(csv.reader(io.StringIO(run.out)))
    assert rows[0] == ["table", "operations", "kind", "description"]
    assert [r[0] for r in rows[1:]] == list(listing)
    shown = {r[0]: r[1:3] for r in rows[1:]}
    assert shown["stripe.charge"] == ["SELECT", "data_warehouse"]
    assert shown["system.dashboards"] == ["SELECT", "system"]
    assert shown["daily_signups"] == ["SELECT", "view"]
    assert shown["feature_flags"] == ["SELECT, INSERT, UPDATE, DELETE", "rest"]

    run = cli("--url", url, "--format", "csv", "-e", '.schema "stripe"."charge"')
    assert run.code == 0, run.err
    rows = list(csv.reader(io.StringIO(run.out)))
    charge = listing["stripe.charge"]
    assert [r[:2] for r in rows[1:]] == [[c.name, c.type.value] for c in charge.columns]
    assert [rows[1][0], rows[1][2]] == ["id", "key"] and rows[1][3] == "true"  # read-only

    run = cli("--url", url, "-e", ".schema charge")
    assert run.code == 1
    assert "no table charge" in run.err and "stripe.charge" in run.err


def test_writes_with_echo_and_footer(cli: Callable[..., Any], url: str, emulator: Any) -> None:
    run = cli(
        "--url",
        url,
        "--echo",
        "-e",
        "INSERT INTO feature_flags (key, name) VALUES ('cli-flag', 'CLI');"
        "UPDATE feature_flags SET active = 0 WHERE key = 'cli-flag';"
        "DELETE FROM feature_flags WHERE key = 'cli-flag'",
    )
    assert run.code == 0, run.err
    flags = emulator.app.projects[1].tables["feature_flags"].rows
    created = [f for f in flags.values() if f["key"] == "cli-flag"]
    assert len(created) == 1 and created[0]["deleted"] is True and created[0]["active"] is False
    assert "posthog> INSERT INTO feature_flags" in run.out
    assert "1 row changed in" in run.out and f"new id {created[0]['id']}" in run.out
    assert run.out.count("1 row changed") == 3


def test_sql_error_is_one_message_and_exit_1(cli: Callable[..., Any], url: str) -> None:
    run = cli("--url", url, "-e", "SELECT nope FROM feature_flags; SELECT 'not reached' AS x")
    assert run.code == 1
    assert run.err.splitlines()[0] == "Error: no such column: nope"
    assert run.err.splitlines()[1].startswith("Hint: ")
    assert "Traceback" not in run.err
    assert "not reached" not in run.out


def test_keep_going_runs_the_rest(cli: Callable[..., Any], url: str) -> None:
    run = cli("--url", url, "--keep-going", "-e", "SELECT nope FROM x; SELECT 'reached' AS x")
    assert run.code == 1
    assert "reached" in run.out


def test_unknown_table_names_the_close_match(cli: Callable[..., Any], url: str) -> None:
    run = cli("--url", url, "-e", "SELECT * FROM feature_flag")
    assert run.code == 1
    assert "Did you mean 'feature_flags'" in run.err


def test_partial_write_says_what_was_applied(
    cli: Callable[..., Any], url: str, emulator: Any
) -> None:
    emulator.app.faults.add("500", path=r"feature_flags/\d+", method="PATCH", after=2)
    run = cli("--url", url, "-e", "UPDATE feature_flags SET name = 'renamed' WHERE active = 1")
    assert run.code == 1
    flags = emulator.app.projects[1].tables["feature_flags"].rows.values()
    renamed = sorted(str(f["id"]) for f in flags if f["name"] == "renamed")
    applied = next(line for line in run.err.splitlines() if line.startswith("Applied"))
    assert sorted(applied.rsplit("ids ", 1)[1].split(", ")) == renamed
    assert "Traceback" not in run.err


def test_the_key_is_never_printed(cli: Callable[..., Any], emulator: Any) -> None:
    host = emulator.url.split("://", 1)[1]
    secret = "phx_secretnotvalid123"
    for argv in (
        ("--url", f"posthog://:{secret}@{host}/1?scheme=http", "-e", "SELECT 1 FROM dashboards"),
        ("--url", f"posthog://:{secret}@{host}/1?scheme=http", "--debug", "-e", "SELECT 1"),
        ("--url", f"posthog://:{secret}@{host}/notanumber?scheme=http", "--debug", "-e", "x"),
        ("--url", f"posthog://:{secret}@[broken/1", "--debug", "-e", "SELECT 1"),
        ("--api-url", emulator.url, "--api-key", secret, "--project-id", "1", "-e", "SELECT 1"),
    ):
        run = cli(*argv)
        assert run.code == 1, argv
        assert "Error: " in run.err
        assert secret not in run.out + run.err, argv


def test_debug_shows_the_traceback_and_requests(cli: Callable[..., Any], url: str) -> None:
    run = cli("--url", url, "--debug", "-e", "SELECT nope FROM dashboards")
    assert run.code == 1
    assert "Traceback" in run.err and "[debug]" in run.err
    assert "phx_demo" not in run.err


def test_environment_variables(cli: Callable[..., Any], emulator: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("POSTHOG_API_URL", emulator.url)
    monkeypatch.setenv("POSTHOG_API_KEY", emulator.api_key)
    monkeypatch.setenv("POSTHOG_PROJECT_ID", "1")
    run = cli("-e", "SELECT count(*) AS n FROM dashboards", "--format", "jsonl")
    assert run.code == 0, run.err
    assert json.loads(run.out)["n"] > 0


def test_flags_override_the_url(cli: Callable[..., Any], emulator: Any) -> None:
    host = emulator.url.split("://", 1)[1]
    bad = f"posthog://:phx_wrongwrongwrong@{host}/1?scheme=http"
    run = cli("--url", bad, "--api-key", emulator.api_key, "-e", "SELECT 1 AS x FROM dashboards")
    assert run.code == 0, run.err


def test_no_progress_line_when_stderr_is_not_a_terminal(
    cli: Callable[..., Any], url: str, emulator: Any
) -> None:
    emulator.app.faults.add("delay", path="dashboards", delay=0.8, times=1)
    run = cli("--url", url, "-e", "SELECT count(*) FROM dashboards")
    assert run.code == 0
    assert run.err == ""


def test_subcommands_dispatch(cli: Callable[..., Any], capsys: Any) -> None:
    assert set(SUBCOMMANDS) >= {"serve-pg", "emulator", "demo"}
    assert _module_main("posthog_dbapi.no_such_module", "That server")([]) == 1
    assert "That server is not available" in capsys.readouterr().err
    try:
        cli("emulator", "--help")
    except SystemExit as stop:
        assert stop.code == 0
    assert "--demo" in capsys.readouterr().out


def test_the_footer_counts_query_api_queries(cli: Callable[..., Any], url: str) -> None:
    run = cli(
        "--url",
        url,
        "--footer",
        "-e",
        "SELECT e.event, count(*) FROM events e JOIN persons p ON e.person_id = p.id GROUP BY 1",
    )
    assert run.code == 0, run.err
    assert re.search(r"\(\d+ rows? in [0-9.]+ s, \d+ API requests?, 1 Query API query, run in "
                     r"PostHog as HogQL\)", run.out), run.out  # fmt: skip
