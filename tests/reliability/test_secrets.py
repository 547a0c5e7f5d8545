"""The API key stays secret and goes only to the configured host.

A distinctive key is used for a whole session of work (reads, writes, errors, faults, SQLAlchemy),
with debug logging on; then the key is searched for in the log, in every exception's message,
``repr`` and ``details``, in the reprs of every public object, in SQLAlchemy's URL and engine
reprs and in SQLite's ``sqlite_master``. Cross-host ``next`` links and redirects are checked
against a second emulator standing in for the other host: it must never receive a request.

The emulator's ``echo_key`` fault sends the key back in error bodies, HTML pages and redirects,
as a careless server or proxy might; the same search runs over what the driver raises and logs
then, and once with scrubbing off, to show that the search can fail.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import sqlalchemy as sa

import posthog_dbapi.dbapi as dbapi
from posthog_dbapi.driver import InsecureTLSWarning, PostHogDriver
from posthog_dbapi.exceptions import ConnectionError, Error, MalformedResponseError
from posthog_emulator import Emulator, EmulatorServer

SECRET = "phx_reliability_secret_7f3a9c"
WRONG = "phx_WrOnGReliabilityKey_51d2e8"


def texts_of(error: BaseException) -> list[str]:
    out = [str(error), repr(error)]
    if isinstance(error, Error):
        out.append(json.dumps(error.details, default=repr))
    return out


def texts_raised_by(actions: Iterable[Callable[[], object]]) -> list[str]:
    """The texts (``texts_of``) of what each action raises; an action may also succeed."""
    seen: list[str] = []
    for action in actions:
        try:
            action()
        except Exception as exc:
            seen += texts_of(exc)
    return seen


@pytest.fixture
def keyed_driver(
    emulator: Any, make_driver: Any, caplog: pytest.LogCaptureFixture
) -> PostHogDriver:
    """A driver with the key ``SECRET`` (known to the emulator), logging everything at DEBUG."""
    emulator.app.add_key(SECRET)
    caplog.set_level(logging.DEBUG, logger="posthog_dbapi")
    driver: PostHogDriver = make_driver(api_key=SECRET, debug=True, max_retries=1)
    return driver


def test_the_key_appears_nowhere(
    emulator: Any, keyed_driver: PostHogDriver, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    driver = keyed_driver
    conn = dbapi.connect(driver=driver)
    cur = conn.cursor()
    cur.execute("SELECT id, name FROM dashboards WHERE id = ?", (1,))
    cur.fetchall()
    cur.execute("INSERT INTO dashboards (name) VALUES (?)", (SECRET[:8] + "-not-the-key",))
    for kind in ("html", "garbage", "truncate", "500", "reset", "wrong_types", "429"):
        emulator.app.faults.add(kind, path=r"/cohorts/", times=5)
        seen += texts_raised_by(
            (
                lambda: cur.execute("SELECT * FROM cohorts").fetchall(),
                lambda: driver.read("/cohorts"),
            )
        )
        assert emulator.app.faults.counts().get(kind, 0) >= 1, kind  # the texts met the fault
        emulator.app.faults.clear()
    seen += texts_raised_by(
        (
            lambda: cur.execute("SELECT nope FROM dashboards"),
            lambda: cur.execute("UPDATE dashboards SET id = 5 WHERE id = 1"),
            lambda: driver.retrieve("dashboards", 999999),
            lambda: PostHogDriver(api_url=emulator.url, api_key=WRONG, project_id=1),
            lambda: PostHogDriver(api_url="http://127.0.0.1:9", api_key=SECRET, project_id=1),
        )
    )
    seen += [repr(driver), repr(conn), repr(cur), repr(driver.get_rate_limit_status())]
    seen += [row[0] or "" for row in conn._db.execute("SELECT sql FROM sqlite_master")]
    engine = sa.create_engine(f"posthog://:{SECRET}@127.0.0.1:{emulator.port}/1?scheme=http")
    with engine.connect() as sa_conn:
        sa_conn.execute(sa.text("SELECT count(*) FROM dashboards")).scalar()
    seen += [repr(engine), repr(engine.url), str(engine.url), repr(engine.pool)]
    engine.dispose()
    conn.close()
    seen += [record.getMessage() for record in caplog.records]
    seen += [caplog.text]
    assert len(seen) > 30 and any("GET" in text for text in seen)  # the search had material
    for text in seen:
        assert SECRET not in text
        assert WRONG not in text
    # The emulator's own access log never saw the key in a URL either.
    assert all(SECRET not in json.dumps(r.query) for r in emulator.app.request_log)


def _echoed_key_texts(emulator: Any, driver: PostHogDriver, key: str) -> list[str]:
    """What the driver raises when PostHog echoes ``key`` back in each way ``echo_key`` can:
    every field of a JSON error (400, 401, 403, 404, 409, 429), an HTML page (200, 500) and the
    query string of a redirect's ``Location`` (302, 307), for reads, writes and HogQL."""
    seen: list[str] = []
    for status in (400, 401, 403, 404, 409, 429, 200, 500, 302, 307):
        emulator.app.faults.clear()
        emulator.app.faults.add("echo_key", status=status, times=20)
        seen += texts_raised_by(
            (
                lambda: driver.read("/cohorts"),
                lambda: driver.retrieve("dashboards", 1),
                lambda: driver.create("dashboards", {"name": "echo"}),
                lambda: driver.query("SELECT 1"),
            )
        )
    emulator.app.faults.clear()
    return seen


def test_a_key_echoed_by_the_server_is_scrubbed(
    emulator: Any, keyed_driver: PostHogDriver, caplog: pytest.LogCaptureFixture
) -> None:
    seen = _echoed_key_texts(emulator, keyed_driver, SECRET)
    assert sum("***" in text for text in seen) >= 10  # the server did echo it, scrubbed
    seen += [record.getMessage() for record in caplog.records]
    assert any("token=***" in text for text in seen)  # the redirect was followed and logged
    for text in seen:
        assert SECRET not in text


def test_the_echo_fault_really_echoes_the_key(
    emulator: Any, make_driver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without scrubbing, the texts above do carry the key: the search can fail."""
    from posthog_dbapi.driver.transport import Transport

    emulator.app.add_key(SECRET)
    driver = make_driver(api_key=SECRET, max_retries=1, project_id=1)
    monkeypatch.setattr(Transport, "_scrub", lambda self, text: text)
    seen = _echoed_key_texts(emulator, driver, SECRET)
    assert sum(SECRET in text for text in seen) >= 10


def test_credentials_in_a_foreign_link_are_not_shown(
    emulator: Any, make_driver: Any, other_host: Any
) -> None:
    """A ``next`` link with the key as user info names its host, never the user info."""
    host = other_host.url.partition("://")[2]
    emulator.app.faults.foreign_host = f"http://{SECRET}@{host}"
    emulator.app.faults.add("foreign_next", path=r"/insights/?$")
    driver = make_driver()
    with pytest.raises(MalformedResponseError, match="another host") as info:
        list(driver.iter_records("insights", page_size=5))
    assert other_host.url in info.value.message
    assert all(SECRET not in text for text in texts_of(info.value))
    assert list(other_host.app.request_log) == []


@pytest.fixture
def other_host() -> Any:
    server = EmulatorServer(Emulator())
    yield server
    server.stop()


def test_cross_host_next_links_are_refused(
    emulator: Any, make_driver: Any, other_host: Any
) -> None:
    emulator.app.faults.foreign_host = other_host.url
    emulator.app.faults.add("foreign_next", path=r"/insights/?$")
    driver = make_driver()
    with pytest.raises(MalformedResponseError, match="another host") as info:
        list(driver.iter_records("insights", page_size=5))
    assert other_host.url in info.value.message
    assert list(other_host.app.request_log) == []


def test_redirects_to_another_host_do_not_carry_the_key(
    emulator: Any, make_driver: Any, other_host: Any
) -> None:
    emulator.app.faults.foreign_host = other_host.url
    driver = make_driver()
    for status in (301, 302, 307, 308):
        emulator.app.faults.clear()
        emulator.app.faults.foreign_host = other_host.url
        emulator.app.faults.add("redirect_foreign", path=r"/dashboards/", status=status)
        with pytest.raises(ConnectionError, match="another host"):
            driver.read("/dashboards")
    assert [r for r in other_host.app.request_log if r.had_auth] == []
    assert list(other_host.app.request_log) == []


def test_tls_verification_is_on_by_default_and_off_warns(emulator: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureTLSWarning)
        driver = PostHogDriver(api_url=emulator.url, api_key=emulator.api_key, project_id=1)
        assert driver._transport.verify is True
        driver.close()
        bundled = PostHogDriver(
            api_url=emulator.url, api_key=emulator.api_key, project_id=1, ca_bundle="/tmp/ca.pem"
        )
        assert bundled._transport.verify == "/tmp/ca.pem"
        bundled.close()
    with pytest.warns(InsecureTLSWarning, match="verification is off"):
        insecure = PostHogDriver(
            api_url=emulator.url, api_key=emulator.api_key, project_id=1, verify=False
        )
    insecure.close()
    with pytest.warns(InsecureTLSWarning):
        dbapi.connect(emulator.url, emulator.api_key, 1, verify=False).close()
