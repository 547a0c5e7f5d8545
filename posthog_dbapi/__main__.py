"""``python -m posthog_dbapi``: the ``posthog-sql`` command line (see ``posthog_dbapi.cli``)."""

from __future__ import annotations

from posthog_dbapi.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
