"""A local PostHog API emulator. It imports nothing from the rest of posthog_dbapi."""
