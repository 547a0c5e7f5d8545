"""The TCP server: startup, TLS, authentication and cancel requests; one thread per client.

Each client gets its own ``posthog_dbapi`` connection, opened after it authenticates. The
database name selects the PostHog project (``psql -d 2`` is project 2; a name that is not a
number means the server's default project). See ``auth`` for the two password modes.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import secrets
import socket
import socketserver
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import posthog_dbapi
from posthog_dbapi.dbapi.sandbox import DEFAULT_STATEMENT_TIMEOUT
from posthog_dbapi.exceptions import AuthenticationError, Error, OperationalError
from posthog_dbapi.pgwire import auth
from posthog_dbapi.pgwire.codec import ProtocolError, Reader, Writer, read_message, read_startup
from posthog_dbapi.pgwire.errors import error_fields
from posthog_dbapi.pgwire.execute import Backend
from posthog_dbapi.pgwire.guard import AbandonWatch, StatementSlots, Watched, format_timeout
from posthog_dbapi.pgwire.session import REPORTED_SETTINGS, Session

__all__ = ["PgServer", "ServerConfig"]

log = logging.getLogger("posthog_dbapi.pgwire")

PROTOCOL_3 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
SERVER_VERSION = "14.0"
VERSION_TEXT = "PostgreSQL 14.0 (posthog-dbapi wire server; PostHog over HogQL and REST)"


@dataclass
class ServerConfig:
    """How the server reaches PostHog and whom it lets in."""

    api_url: str | None = None
    api_key: str | None = None
    """A fixed key: clients then log in with ``password``; without it, the password is the key."""
    password: str | None = None
    auth_method: str = "scram-sha-256"
    """``scram-sha-256`` or ``md5`` (fixed-key mode only)."""
    project_id: int | None = None
    """The project of a database name that is not a number (``None``: the key's only project)."""
    certfile: str | None = None
    keyfile: str | None = None
    driver_options: dict[str, Any] = field(default_factory=dict)
    now: Callable[[], dt.datetime] | None = None
    statement_timeout: float | None = DEFAULT_STATEMENT_TIMEOUT
    """The longest a client's statement may run, in seconds; a client may SET a lower one."""
    max_statements_per_client: int = 8
    """Statements one client address may run at once; more are refused (SQLSTATE 53300)."""

    def __post_init__(self) -> None:
        if self.api_key is not None and not self.password:
            raise ValueError("A server started with an API key needs its own password.")
        if self.auth_method not in ("scram-sha-256", "md5"):
            raise ValueError("auth_method must be scram-sha-256 or md5")

    def __repr__(self) -> str:
        return f"ServerConfig(api_url={self.api_url!r}, project_id={self.project_id!r}, ...)"


def _default_settings(user: str) -> dict[str, str]:
    return {
        "server_version": SERVER_VERSION, "server_version_num": "140000",
        "server_encoding": "UTF8", "client_encoding": "UTF8", "datestyle": "ISO, MDY",
        "intervalstyle": "postgres", "integer_datetimes": "on", "timezone": "UTC",
        "standard_conforming_strings": "on", "application_name": "", "is_superuser": "off",
        "session_authorization": user, "search_path": '"$user", public',
        "transaction_isolation": "read committed", "transaction_read_only": "off",
        "default_transaction_isolation": "read committed", "max_identifier_length": "63",
        "extra_float_digits": "1", "lc_collate": "C", "lc_ctype": "C",
        "transaction isolation level": "read committed",
    }  # fmt: skip


class _Handler(socketserver.StreamRequestHandler):
    server: PgServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        stream: Any = sock.makefile("rb")
        tls = False
        try:
            while True:
                reader = Reader(read_startup(stream))
                code = reader.int32()
                if code == SSL_REQUEST:
                    context = self.server.ssl_context
                    sock.sendall(b"S" if context is not None else b"N")
                    if context is not None:
                        sock = context.wrap_socket(sock, server_side=True)
                        stream = sock.makefile("rb")
                        tls = True
                    continue
                if code == GSSENC_REQUEST:
                    sock.sendall(b"N")
                    continue
                if code == CANCEL_REQUEST:
                    self.server.cancel(reader.int32(), reader.int32())
                    return
                if code != PROTOCOL_3:
                    raise ProtocolError(
                        f"unsupported protocol version {code >> 16}.{code & 0xFFFF}"
                    )
                break
            params: dict[str, str] = {}
            while reader.pos < len(reader.data) - 1:
                key = reader.cstring()
                params[key] = reader.cstring()
            self._serve(sock, stream, params, tls)
        except (EOFError, ConnectionError, ssl.SSLError, OSError):
            return
        except ProtocolError as exc:
            log.info("protocol error from %s: %s", self.client_address, exc)

    def _serve(self, sock: socket.socket, stream: Any, params: dict[str, str], tls: bool) -> None:
        writer = Writer(sock.sendall)
        user = params.get("user", "posthog")
        database = params.get("database") or user
        config = self.server.config

        def send(code: int, payload: bytes) -> None:
            writer.auth(code, payload)
            writer.flush()

        def receive() -> bytes:
            kind, body = read_message(stream)
            if kind != b"p":
                raise auth.AuthFailed("expected a password message")
            return body

        try:
            if config.api_key is not None:
                assert config.password is not None
                if config.auth_method == "md5":
                    auth.md5(send, receive, user, config.password)
                else:
                    auth.scram_sha256(send, receive, user, config.password)
                key = config.api_key
            else:
                if not tls and not _is_loopback(self.client_address[0]):
                    raise auth.AuthFailed(
                        "The password is a PostHog API key and would cross the network in "
                        "cleartext: connect with sslmode=require (start the server with a TLS "
                        "certificate), or start it with --api-key and --password."
                    )
                key = auth.cleartext(send, receive)
            backend = self._connect(key, database, user)
        except (auth.AuthFailed, AuthenticationError) as exc:
            message = exc.message if isinstance(exc, Error) else str(exc)
            writer.error({"S": "FATAL", "V": "FATAL", "C": "28P01", "M": message})
            writer.flush()
            return
        except Error as exc:
            writer.error(error_fields(exc, severity="FATAL"))
            writer.flush()
            return
        settings = _default_settings(user)
        for name in ("application_name", "datestyle", "timezone"):
            if name in {k.lower() for k in params}:
                value = next(v for k, v in params.items() if k.lower() == name)
                settings[name] = value
        settings["statement_timeout"] = format_timeout(config.statement_timeout)
        session = Session(backend, writer, settings, max_timeout=config.statement_timeout)
        client = str(self.client_address[0])
        session.admit = lambda: self.server.slots.take(client)
        pid, secret = self.server.register(session, sock)
        try:
            writer.auth(auth.AUTH_OK)
            for name, reported in REPORTED_SETTINGS.items():
                writer.parameter_status(reported, settings.get(name, ""))
            writer.backend_key_data(pid, secret)
            writer.ready(session.status)
            writer.flush()
            while True:
                kind, body = read_message(stream)
                if not session.handle(kind, body):
                    return
        finally:
            self.server.unregister(pid)
            session.close()

    def _connect(self, key: str, database: str, user: str) -> Backend:
        config = self.server.config
        project: int | None = int(database) if database.isdigit() else config.project_id
        try:
            options = {"statement_timeout": config.statement_timeout, **config.driver_options}
            connection = posthog_dbapi.connect(config.api_url, key, project, **options)
        except AuthenticationError:
            raise
        except Error as exc:
            raise OperationalError(exc.message, suggestion=exc.suggestion) from exc
        try:
            connection.ping()
        except Error:
            connection.close()
            raise
        return Backend(
            connection,
            user=user,
            database=database,
            version=VERSION_TEXT,
            settings=_default_settings(user),
            now=config.now,
        )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PgServer(socketserver.ThreadingTCPServer):
    """A PostgreSQL wire-protocol server over PostHog; ``serve_forever()`` runs it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config: ServerConfig, host: str = "127.0.0.1", port: int = 5432) -> None:
        self.config = config
        self.ssl_context: ssl.SSLContext | None = None
        if config.certfile:
            self.ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ssl_context.load_cert_chain(config.certfile, config.keyfile)
        self._sessions: dict[int, tuple[int, Session, socket.socket | None]] = {}
        self._lock = threading.Lock()
        self._next_pid = 1000
        self.slots = StatementSlots(config.max_statements_per_client)
        self._watch = AbandonWatch(self._busy_sessions)
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def register(self, session: Session, sock: socket.socket | None = None) -> tuple[int, int]:
        """A logged-in client: its (pid, secret) for cancel requests. With ``sock``, its
        statements are interrupted once the client closes the connection."""
        with self._lock:
            self._next_pid += 1
            pid = self._next_pid
            secret = struct.unpack("!i", secrets.token_bytes(4))[0]
            self._sessions[pid] = (secret, session, sock)
        self._watch.start()
        return pid, secret

    def _busy_sessions(self) -> list[tuple[Watched, socket.socket | None]]:
        with self._lock:
            return [(session, sock) for _, session, sock in self._sessions.values() if session.busy]

    def server_close(self) -> None:
        self._watch.stop()
        super().server_close()

    def unregister(self, pid: int) -> None:
        with self._lock:
            self._sessions.pop(pid, None)

    def running_statements(self) -> int:
        """How many clients are running a statement right now."""
        with self._lock:
            return sum(1 for _, session, _sock in self._sessions.values() if session.busy)

    def cancel(self, pid: int, secret: int) -> None:
        """A CancelRequest: stop the running statement of ``pid`` if the secret matches."""
        with self._lock:
            entry = self._sessions.get(pid)
        if entry is not None and secrets.compare_digest(
            struct.pack("!i", entry[0]), struct.pack("!i", secret)
        ):
            session = entry[1]
            if session.busy:
                session.cancel.set()
                session.interrupt()

    def start(self) -> threading.Thread:
        """Serve in a daemon thread (tests and embedding); ``shutdown()`` stops it."""
        thread = threading.Thread(target=self.serve_forever, name="pgwire", daemon=True)
        thread.start()
        return thread
