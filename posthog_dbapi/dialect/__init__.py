"""The SQLAlchemy dialect ``posthog://``, its type map, reflection and Superset engine spec.

``create_engine("posthog://:<key>@us.posthog.com/<project id>")``; see ``dialect.url`` for the
options. Registered under the ``sqlalchemy.dialects`` entry points ``posthog`` and
``posthog.apsw``; Superset finds ``dialect.superset.PostHogEngineSpec`` through
``superset.db_engine_specs``.
"""

from __future__ import annotations

from posthog_dbapi.dialect.base import PostHogDialect

__all__ = ["PostHogDialect"]
