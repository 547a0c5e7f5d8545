"""Each entry point loads only its own layer and those below it (``DESIGN.md``'s layer list).

Every check runs in a fresh interpreter, since this test process has long imported everything.
The entry points are the ones people and tools import: the driver on its own, the package (PEP
249 and SQLAlchemy look names up on it), the dialect SQLAlchemy loads by entry point, the CLI
module behind ``posthog-sql``, and the emulator, which must not use the client at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from posthog_emulator import EmulatorServer
from tests.conftest import REPO

# What each layer brings in; an entry point must not load those of the layers above it.
SQL_ENGINES = {"apsw", "shillelagh", "sqlglot"}
DBAPI = {"posthog_dbapi.dbapi", "posthog_dbapi.adapters", "posthog_dbapi.sql"}

_PRINT_MODULES = "import sys, json; print(json.dumps(sorted(sys.modules)))"


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{_PRINT_MODULES}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return set(loaded)


def _roots(modules: set[str]) -> set[str]:
    """Top-level packages, plus ``posthog_dbapi``'s subpackages by their full name."""
    out = set()
    for name in modules:
        parts = name.split(".")
        out.add(".".join(parts[:2]) if parts[0] == "posthog_dbapi" else parts[0])
    return out


@pytest.mark.parametrize(
    ("entry_point", "must_not_load"),
    [
        # The driver: HTTP and the exceptions, nothing that runs SQL, not even the catalog
        # (looked up on first use).
        (
            "posthog_dbapi.driver",
            SQL_ENGINES | DBAPI | {"sqlalchemy", "posthog_dbapi.catalog", "posthog_dbapi.dialect"},
        ),
        # The package itself: names load on first use, so nothing beyond exceptions and types.
        (
            "posthog_dbapi",
            SQL_ENGINES | DBAPI | {"requests", "sqlalchemy", "posthog_dbapi.driver"},
        ),
        # SQLAlchemy imports the dialect to build an engine; the DB-API loads at connect time.
        ("posthog_dbapi.dialect", SQL_ENGINES | DBAPI),
        # ``posthog-sql --help`` and argument errors must not pay for the SQL engines.
        ("posthog_dbapi.cli", SQL_ENGINES | DBAPI | {"sqlalchemy", "requests"}),
        # The emulator is a separate implementation of the API: nothing of the client.
        ("posthog_emulator", {"posthog_dbapi"}),
    ],
)
def test_an_entry_point_loads_only_its_layers(entry_point: str, must_not_load: set[str]) -> None:
    loaded = _roots(_modules_after(f"import {entry_point}"))
    assert entry_point.split(".")[0] in loaded
    assert loaded & must_not_load == set()


def test_the_package_still_offers_every_public_name_and_the_pep_249_globals() -> None:
    loaded = _modules_after(
        "import posthog_dbapi as p\n"
        "missing = [n for n in p.__all__ if not hasattr(p, n)]\n"
        "assert not missing, missing\n"
        "assert (p.apilevel, p.paramstyle, p.threadsafety) == ('2.0', 'qmark', 1)\n"
        "assert issubclass(p.RateLimitError, p.OperationalError)\n"
        "assert p.connect is __import__('posthog_dbapi.dbapi').dbapi.connect\n"
        "assert set(dir(p)) >= set(p.__all__)"
    )
    assert "apsw" in loaded  # connect lives in the DB-API, loaded once it was asked for


def test_a_subpackage_is_an_attribute_without_its_own_import() -> None:
    loaded = _modules_after(
        "import posthog_dbapi as p\nassert p.dialect.PostHogDialect.name == 'posthog'"
    )
    assert "posthog_dbapi.dialect" in loaded


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import posthog_dbapi

    with pytest.raises(AttributeError, match="no attribute 'conect'"):
        posthog_dbapi.conect  # noqa: B018


def test_the_driver_alone_lists_resources_from_the_emulator(emulator: EmulatorServer) -> None:
    code = (
        "from posthog_dbapi.driver import PostHogDriver\n"
        f"driver = PostHogDriver(api_url={emulator.url!r}, api_key={emulator.api_key!r}, "
        "project_id=1)\n"
        "rows = driver.read('/dashboards')\n"
        "assert 'dashboards' in driver.list_objects()\n"
        "assert {r['id'] for r in rows} == {d['id'] for d in driver.iter_records('dashboards')}\n"
        "print(len(rows))\n"
        "driver.close()"
    )
    emulator.app.request_log.clear()
    loaded = _roots(_modules_after(code))
    # The catalog came in when the driver first needed a route; still no SQL engine.
    assert "posthog_dbapi.catalog" in loaded
    assert loaded & (SQL_ENGINES | DBAPI | {"sqlalchemy"}) == set()
    listed = [r for r in emulator.app.request_log if r.path.endswith("/dashboards/")]
    assert len(listed) >= 2  # the read and the iteration both reached the emulator
