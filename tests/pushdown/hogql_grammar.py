"""PostHog's own HogQL parser (PyPI ``hogql-parser``), for tests that check the HogQL we send.

The parser raises PostHog's error classes, importing ``posthog.hogql.errors`` at load; outside
PostHog's repository a stand-in module with those classes is enough.
"""

from __future__ import annotations

import json
import sys
import types
from typing import Any

_ERRORS = ("BaseHogQLError", "ExposedHogQLError", "InternalHogQLError", "SyntaxError",
           "QueryError", "NotImplementedError", "ParsingError", "ResolutionError")  # fmt: skip


def _parser() -> Any:
    try:
        import hogql_parser
    except ImportError:
        if "posthog.hogql.errors" in sys.modules:
            raise
        for name in ("posthog", "posthog.hogql", "posthog.hogql.errors"):
            sys.modules.setdefault(name, types.ModuleType(name))
        errors = sys.modules["posthog.hogql.errors"]
        for name in _ERRORS:
            if not hasattr(errors, name):
                setattr(errors, name, type(name, (Exception,), {}))
        import hogql_parser
    return hogql_parser


def parse_error(hogql: str) -> str | None:
    """PostHog's parser's complaint about `hogql`, or None when it parses."""
    try:
        answer = json.loads(_parser().parse_select_json(hogql))
    except Exception as exc:  # the parser raises its own classes for some errors
        return f"{type(exc).__name__}: {exc}"
    if isinstance(answer, dict) and answer.get("error"):
        return str(answer.get("message"))
    return None
