"""The HTTP driver: config, one request path with retries and budgets, pagination, PostHogDriver."""
