"""Fault injection: the failures a client meets between it and PostHog, on demand.

Rules are matched against each request (path regex, method), can skip the first ``after``
matches, fire ``times`` times and fire with a ``probability`` drawn from a seeded generator, so a
failing run can be replayed. ``set_random`` gives a random mix of the retryable kinds.

Some kinds act after the request was handled, as real failures do: ``applied_500`` applies a
write and then answers 500, ``timeout`` applies it and answers only after ``delay`` seconds (the
client's read timeout fires first), ``truncate`` cuts the body off. ``wrong_types`` and
``missing_fields`` answer 200 with a body that breaks the API's promises, and ``short_page``
(half the rows, ``next`` kept), ``empty_page`` (no rows, ``next`` kept) and ``stuck_next``
(``next`` points at the page itself) break a list's paging (``mangle``).

``echo_key`` answers with the request's own key in it, as a careless proxy or server might, so
tests can prove the client scrubs it: a 3xx (``status``) puts it in the query string of a
same-origin ``Location``, a 2xx or 5xx in an HTML page, any other status (401 by default) in
every field of the JSON error body (``type``, ``code``, ``detail``, ``attr``).
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

__all__ = [
    "AFTER_HANDLING_KINDS",
    "KINDS",
    "RETRYABLE_KINDS",
    "Fault",
    "FaultInjector",
    "InjectedFault",
    "mangle",
]

KINDS = frozenset(
    {
        "429",
        "500",
        "502",
        "503",
        "504",
        "reset",
        "truncate",
        "delay",
        "foreign_next",
        "redirect_foreign",
        "html",
        "garbage",
        "timeout",
        "applied_500",
        "wrong_types",
        "missing_fields",
        "short_page",
        "empty_page",
        "stuck_next",
        "echo_key",
    }
)
AFTER_HANDLING_KINDS = frozenset(
    {
        "timeout",
        "applied_500",
        "wrong_types",
        "missing_fields",
        "short_page",
        "empty_page",
        "stuck_next",
    }
)
"""Kinds that let the request be handled (a write applied) before they break the answer."""
DEFAULT_TIMEOUT_DELAY = 1.0
RETRYABLE_KINDS = ("429", "500", "502", "503", "504", "reset")
FOREIGN_HOST = "https://attacker.example.com"
"""Where ``foreign_next`` and ``redirect_foreign`` point: a client must not send its key there."""


@dataclass
class Fault:
    kind: str
    path: re.Pattern[str] | None = None
    method: str | None = None
    times: int | None = None
    after: int = 0
    probability: float | None = None
    retry_after: int | None = None
    delay: float | None = None
    status: int | None = None
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path.search(path) is not None


@dataclass(frozen=True)
class InjectedFault:
    kind: str
    method: str
    path: str


@dataclass
class _RandomMode:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random = field(default_factory=random.Random)


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._random: _RandomMode | None = None
        self._rng = random.Random(0)
        self.injected: list[InjectedFault] = []
        self.foreign_host = FOREIGN_HOST
        """Where ``foreign_next`` and ``redirect_foreign`` point (a test may serve it)."""
        self.timeout_delay = DEFAULT_TIMEOUT_DELAY
        """How long a ``timeout`` fault holds its answer when the rule gives no ``delay``."""

    def add(
        self,
        kind: str,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int | None = None,
        after: int = 0,
        probability: float | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        status: int | None = None,
    ) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(KINDS)}")
        rule = Fault(
            kind,
            re.compile(path) if path else None,
            method,
            times,
            after,
            probability,
            retry_after,
            delay,
            status,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._random = None
            self._rng = random.Random(0)
            self.injected = []
            self.foreign_host = FOREIGN_HOST
            self.timeout_delay = DEFAULT_TIMEOUT_DELAY

    def set_random(
        self, rate: float, kinds: tuple[str, ...] | list[str] | None = None, seed: int = 0
    ) -> None:
        chosen = tuple(kinds) if kinds else RETRYABLE_KINDS
        unknown = set(chosen) - KINDS
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}")
        with self._lock:
            self._random = _RandomMode(rate, chosen, random.Random(seed))

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected since the last ``clear``: a test proves
        its run met the faults it claims to survive."""
        with self._lock:
            return dict(Counter(fault.kind for fault in self.injected))

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault to inject into this request, if any, recorded in ``injected``."""
        with self._lock:
            chosen: Fault | None = None
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                chosen = rule
                break
            if chosen is None and self._random is not None:
                mode = self._random
                if mode.rng.random() < mode.rate:
                    chosen = Fault(mode.rng.choice(mode.kinds), retry_after=1)
            if chosen is not None:
                self.injected.append(InjectedFault(chosen.kind, method, path))
            return chosen


def mangle(kind: str, payload: bytes, url: str = "") -> bytes:
    """A 200 body that breaks the API's promises (``url`` is the request's own URL)."""
    try:
        body = json.loads(payload)
    except ValueError:
        return payload
    if kind in ("short_page", "empty_page", "stuck_next"):
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            rows = body["results"]
            if kind == "short_page":
                body["results"] = rows[: len(rows) // 2]
            elif kind == "empty_page":
                body["results"] = []
            elif body.get("next"):
                body["next"] = url
        return json.dumps(body, separators=(",", ":"), default=str).encode()
    if not isinstance(body, dict):
        return b'{"detail": "not a list"}' if kind == "missing_fields" else b'"results"'
    if kind == "wrong_types":
        if "results" in body:
            body["results"] = "results"
            body["count"] = "many"
        else:
            body = {name: [value] for name, value in body.items()}
    elif "results" in body:
        del body["results"]
    else:
        body = {name: value for name, value in body.items() if name not in ("id", "columns")}
    return json.dumps(body, separators=(",", ":"), default=str).encode()
