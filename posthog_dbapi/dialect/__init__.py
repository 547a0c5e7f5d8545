"""The SQLAlchemy dialect ``posthog://``, its type map, reflection and Superset engine spec."""
