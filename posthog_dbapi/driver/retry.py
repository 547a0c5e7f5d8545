"""The retry policy: which calls may be repeated, how long to wait, and ``Retry-After``.

A call is repeated only where repeating cannot apply a write twice: idempotent methods (and the
calls a caller marks idempotent, such as the Query API's read-only POST), and any call that
certainly never reached the server. Waits grow exponentially with jitter, or follow PostHog's
``Retry-After`` on a 429. The request loop in ``transport.py`` applies this policy; the decision
of *which* failures are retryable is made where they are mapped, in ``errors.py``.
"""

from __future__ import annotations

import email.utils
import random
import time

from posthog_dbapi import exceptions as exc

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "IDEMPOTENT_METHODS",
    "Retryable",
    "backoff",
    "parse_retry_after",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
BACKOFF_BASE = 1.0
BACKOFF_MAX = 30.0


class Retryable(Exception):
    """One attempt failed in a way that a retry may fix; ``wait`` is the server's demand, if
    any (``Retry-After``), else the backoff decides."""

    def __init__(self, error: exc.Error, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


def backoff(attempt: int, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt + 1``."""
    base = min(BACKOFF_MAX, BACKOFF_BASE * (2**attempt))
    # +-25% jitter, so that many clients that failed together do not retry together.
    return float(base * (0.75 + 0.5 * rng.random()))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
