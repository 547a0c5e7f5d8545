"""Fixtures: the PostgreSQL wire server on the session's emulator, and DB-API connections to
compare its answers with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import posthog_dbapi
from posthog_dbapi.dbapi import Connection
from posthog_dbapi.pgwire import PgServer, ServerConfig
from posthog_emulator import EmulatorServer

PASSWORD = "wire-secret"


@dataclass
class Wire:
    server: PgServer
    emulator: EmulatorServer
    host: str = "127.0.0.1"

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def key(self) -> str:
        return self.emulator.api_key

    @property
    def database(self) -> str:
        return str(self.emulator.project_id)

    def conninfo(self, password: str | None = None, **extra: str) -> str:
        parts = {
            "host": self.host,
            "port": str(self.port),
            "user": "analyst",
            "password": password if password is not None else self.key,
            "dbname": self.database,
            "sslmode": "disable",
            **extra,
        }
        return " ".join(f"{k}={v}" for k, v in parts.items())

    def dsn(self, scheme: str = "postgresql") -> str:
        """A URL for clients that take one (asyncpg, SQLAlchemy, ADBC)."""
        return (
            f"{scheme}://analyst:{self.key}@{self.host}:{self.port}/{self.database}?sslmode=disable"
        )

    def odbc(self) -> str:
        """A psqlODBC connection string (Debian's odbc-postgresql registers the driver)."""
        return (
            "DRIVER={PostgreSQL Unicode};"
            f"SERVER={self.host};PORT={self.port};DATABASE={self.database};"
            f"UID=analyst;PWD={self.key};SSLMODE=disable"
        )


def _start(config: ServerConfig) -> PgServer:
    server = PgServer(config, "127.0.0.1", 0)
    server.start()
    return server


@pytest.fixture(scope="session")
def wire_server(emulator_server: EmulatorServer) -> Iterator[PgServer]:
    server = _start(ServerConfig(api_url=emulator_server.url))
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def wire(emulator: EmulatorServer, wire_server: PgServer) -> Wire:
    """The pass-through server (the password is the PostHog key), emulator state reset."""
    return Wire(wire_server, emulator)


@pytest.fixture(params=["scram-sha-256", "md5"])
def fixed_wire(request: pytest.FixtureRequest, emulator: EmulatorServer) -> Iterator[Wire]:
    """A server holding the key itself; clients log in with its own password."""
    config = ServerConfig(
        api_url=emulator.url, api_key=emulator.api_key, password=PASSWORD, auth_method=request.param
    )
    server = _start(config)
    yield Wire(server, emulator)
    server.shutdown()
    server.server_close()


@pytest.fixture
def dbapi(emulator: EmulatorServer) -> Iterator[Connection]:
    """A DB-API connection to the same project, to compare answers with."""
    connection = posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id)
    yield connection
    connection.close()
