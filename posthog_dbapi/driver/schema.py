"""The server's OpenAPI document: fetched once per driver, optionally cached on disk with a TTL.

PostHog serves its schema at ``/api/schema/`` (drf-spectacular); it is about 2 MB, so a driver
fetches it at most once, and only when someone asks for fields. With ``schema_cache_dir`` set the
document is also kept on disk (one file per API origin, never naming the key) and reused until it
is older than the TTL. When the server has no schema, or it cannot be read, callers fall back to
the catalog's own specs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from posthog_dbapi import exceptions as exc

__all__ = ["SchemaSource"]

logger = logging.getLogger("posthog_dbapi.driver")

SCHEMA_PATH = "/api/schema/"

Fetch = Callable[[], Any]


class SchemaSource:
    """Loads the OpenAPI document lazily, at most once (``get()``)."""

    def __init__(
        self,
        origin: str,
        fetch: Fetch,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        ttl: float = 3600,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.origin = origin
        self._fetch = fetch
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.ttl = ttl
        self._wall = wall_clock
        self._loaded = False
        self._doc: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def cache_file(self) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(self.origin.encode("utf-8")).hexdigest()[:16]
        return self.cache_dir / f"posthog-openapi-{digest}.json"

    def get(self) -> dict[str, Any] | None:
        with self._lock:
            if not self._loaded:
                self._doc = self._load()
                self._loaded = True
            return self._doc

    def _load(self) -> dict[str, Any] | None:
        cached = self._read_cache()
        if cached is not None:
            return cached
        try:
            doc = self._fetch()
        except (exc.ObjectNotFoundError, exc.NotSupportedError, exc.PermissionDeniedError) as e:
            logger.debug("No schema from %s%s (%s); using the catalog", self.origin, SCHEMA_PATH, e)
            return None
        except exc.MalformedResponseError as e:
            logger.debug("The schema at %s is not JSON (%s); using the catalog", self.origin, e)
            return None
        if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
            logger.debug(
                "The schema at %s is not an OpenAPI document; using the catalog", SCHEMA_PATH
            )
            return None
        self._write_cache(doc)
        return doc

    def _read_cache(self) -> dict[str, Any] | None:
        path = self.cache_file
        if path is None or not path.is_file():
            return None
        try:
            age = self._wall() - path.stat().st_mtime
            if age > self.ttl:
                logger.debug(
                    "Schema cache %s is %.0fs old (ttl %ss); refetching", path, age, self.ttl
                )
                return None
            with path.open(encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as e:
            logger.debug("Ignoring unreadable schema cache %s: %s", path, e)
            return None
        if not isinstance(doc, dict):
            return None
        logger.debug("Schema loaded from cache %s", path)
        return doc

    def _write_cache(self, doc: dict[str, Any]) -> None:
        path = self.cache_file
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a concurrent reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh)
            os.replace(tmp, path)
            logger.debug("Schema cached at %s", path)
        except OSError as e:
            logger.debug("Could not write the schema cache %s: %s", path, e)
