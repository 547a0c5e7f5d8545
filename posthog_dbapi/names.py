"""Names: the one "did you mean" for a name nobody defined, and the one SQLite identifier quoter.

``close_names`` and ``did_you_mean`` serve every layer that refuses an unknown name (resources,
tables, paths), so the same typo gets the same suggestion from the driver, the catalog and the
DB-API. ``quote_identifier`` writes any name into SQLite (or PostgreSQL) SQL as one identifier.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = ["close_names", "did_you_mean", "quote_identifier"]

# difflib's own default: close enough that a suggestion is rarely absurd.
_CUTOFF = 0.6


def close_names(name: str, choices: Iterable[str], *, most: int = 3) -> list[str]:
    """The ``choices`` a person most likely meant by ``name``, best first: close spellings,
    then the same word with or without a plural ``s`` (``person`` for ``persons``)."""
    available = list(choices)
    close = difflib.get_close_matches(name, available, n=most, cutoff=_CUTOFF)
    stem = name.rstrip("s")
    close += [choice for choice in available if choice.rstrip("s") == stem and choice not in close]
    return close[:most]


def did_you_mean(close: Sequence[str]) -> str:
    """``"Did you mean 'a' or 'b'?"`` for ``close_names``' answer, ``""`` when it is empty."""
    if not close:
        return ""
    return f"Did you mean {' or '.join(repr(name) for name in close)}?"


def quote_identifier(name: str) -> str:
    """``name`` as one SQL identifier, whatever it contains: ``"a""b"`` for ``a"b``."""
    return '"' + name.replace('"', '""') + '"'
