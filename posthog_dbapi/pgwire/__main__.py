"""``python -m posthog_dbapi.pgwire``: the same as ``posthog-sql serve-pg``."""

from __future__ import annotations

import sys

from posthog_dbapi.pgwire.cli import main

if __name__ == "__main__":
    sys.exit(main())
