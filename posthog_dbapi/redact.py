"""The one secret scrubber: ``Redactor`` replaces every secret it was given with ``***``.

The driver's transport scrubs its API key out of error messages built from what a server
echoed; the CLI scrubs every key it knows of out of what it prints (errors, tracebacks, debug
log lines). Both use this class, so a key that one of them hides the other hides too.
"""

from __future__ import annotations

__all__ = ["MASK", "Redactor"]

MASK = "***"


class Redactor:
    """Replaces known secrets with ``***`` in text.

    ``min_length``: shorter strings are not taken as secrets. The CLI sets 4 because a short
    value would blank out ordinary words; the driver takes its key whatever its length."""

    def __init__(self, *secrets: str | None, min_length: int = 1) -> None:
        self._min_length = max(1, min_length)
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= self._min_length:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"
