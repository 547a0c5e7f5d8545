"""Password checks of the PostgreSQL protocol: SCRAM-SHA-256 and MD5 (server side), cleartext.

Two modes, chosen when the server starts:

- A fixed key: the server holds one PostHog API key and its own password; clients prove they
  know the password with SCRAM-SHA-256 (the default) or MD5, so the password never crosses the
  wire and the key never leaves the server.
- Pass-through: the client's password *is* its PostHog personal API key. The server must see it,
  so the client sends it in cleartext; that is accepted only inside TLS or from loopback, and
  refused with a clear message otherwise.

Each function talks through two callables, so it can be tested without sockets: ``send(code,
payload)`` writes an Authentication message and ``receive()`` returns the body of the client's
next password/SASL message (type ``p``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable

from posthog_dbapi.pgwire.codec import Reader

__all__ = ["AuthFailed", "cleartext", "md5", "scram_sha256"]

AUTH_OK = 0
AUTH_CLEARTEXT = 3
AUTH_MD5 = 5
AUTH_SASL = 10
AUTH_SASL_CONTINUE = 11
AUTH_SASL_FINAL = 12
SCRAM_ITERATIONS = 4096

Send = Callable[[int, bytes], None]
Receive = Callable[[], bytes]


class AuthFailed(Exception):
    """Authentication failed; the message is safe to show the client (it never holds a secret)."""


def cleartext(send: Send, receive: Receive) -> str:
    """Ask for the password in cleartext and return it."""
    send(AUTH_CLEARTEXT, b"")
    body = receive()
    return body.rstrip(b"\0").decode("utf-8")


def md5(send: Send, receive: Receive, user: str, password: str) -> None:
    """PostgreSQL's MD5 challenge: ``md5(md5(password + user) + salt)``."""
    salt = secrets.token_bytes(4)
    send(AUTH_MD5, salt)
    answer = receive().rstrip(b"\0")
    inner = hashlib.md5((password + user).encode()).hexdigest().encode()
    expected = b"md5" + hashlib.md5(inner + salt).hexdigest().encode()
    if not hmac.compare_digest(answer, expected):
        raise AuthFailed(f'password authentication failed for user "{user}"')


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _attributes(message: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in message.split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key] = value
    return out


def scram_sha256(send: Send, receive: Receive, user: str, password: str) -> None:
    """RFC 5802/7677 SCRAM-SHA-256 without channel binding, as PostgreSQL does it."""
    send(AUTH_SASL, b"SCRAM-SHA-256\0\0")
    reader = Reader(receive())
    mechanism = reader.cstring()
    if mechanism != "SCRAM-SHA-256":
        raise AuthFailed(f"unsupported SASL mechanism {mechanism}")
    length = reader.int32()
    client_first = reader.take(length).decode("utf-8")
    if not client_first.startswith(("n,", "y,")):
        raise AuthFailed("SCRAM channel binding is not supported; connect without it")
    client_first_bare = client_first.split(",", 2)[2]
    client_nonce = _attributes(client_first_bare).get("r")
    if not client_nonce:
        raise AuthFailed("malformed SCRAM client-first message")
    salt = secrets.token_bytes(16)
    nonce = client_nonce + base64.b64encode(secrets.token_bytes(18)).decode()
    server_first = f"r={nonce},s={base64.b64encode(salt).decode()},i={SCRAM_ITERATIONS}"
    send(AUTH_SASL_CONTINUE, server_first.encode())
    client_final = receive().decode("utf-8")
    attributes = _attributes(client_final)
    if attributes.get("r") != nonce or "p" not in attributes:
        raise AuthFailed("malformed SCRAM client-final message")
    without_proof = client_final.rsplit(",p=", 1)[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = _hmac(salted, b"Client Key")
    stored_key = hashlib.sha256(client_key).digest()
    auth_message = f"{client_first_bare},{server_first},{without_proof}".encode()
    signature = _hmac(stored_key, auth_message)
    proof = base64.b64decode(attributes["p"])
    recovered = bytes(a ^ b for a, b in zip(proof, signature))
    if len(proof) != len(signature) or not hmac.compare_digest(
        hashlib.sha256(recovered).digest(), stored_key
    ):
        raise AuthFailed(f'password authentication failed for user "{user}"')
    server_signature = _hmac(_hmac(salted, b"Server Key"), auth_message)
    send(AUTH_SASL_FINAL, b"v=" + base64.b64encode(server_signature))
