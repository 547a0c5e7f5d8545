"""A local PostHog API emulator: PostHog's REST routes, errors, pagination, auth, rate limits and
Query API over in-memory state and an embedded event store, plus fault injection for tests.

It imports nothing from posthog_dbapi (the client): it is a second, independent implementation
of PostHog's API contract. Start it with ``python -m posthog_emulator --demo``.
"""

from .app import Emulator, RequestRecord
from .hogql_check import HogQLRefusal, check_hogql
from .ratelimit import FakeClock
from .server import EmulatorServer

__all__ = [
    "Emulator",
    "EmulatorServer",
    "FakeClock",
    "HogQLRefusal",
    "RequestRecord",
    "check_hogql",
]
