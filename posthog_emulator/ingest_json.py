"""The JSON text of stored properties, written as PostHog's ingestion writes it.

PostHog's ingestion runs in Node.js: it parses an event's JSON and writes the ClickHouse row's
`properties` with `JSON.stringify(properties ?? {})` (PostHog/posthog,
`nodejs/src/worker/ingestion/create-event.ts`; the person's `$set` goes the same way). So what
HogQL later reads is JavaScript's text of JavaScript's numbers, not the text a client sent:

- every number is an IEEE double: `100.0` is stored as `100`, and an integer past 2**53 loses its
  last digits (`18446744073709551616` is stored as `18446744073709552000`);
- numbers print in JavaScript's shortest form: `1e+21`, `1e-7`, `0.000001`;
- `NaN` and infinities (which Python's json module writes, but no JSON parser reads) become `null`;
- no spaces between items, and non-ASCII text as itself, not as `\\u` escapes.

The difference matters to a client: `json_extract` of a stored `100.0` is a REAL in SQLite but
`100` is an INTEGER, and ClickHouse's `JSONExtractRaw` rewrites a number's text anyway.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

__all__ = ["js_number", "stringify"]

_SAFE_INTEGER = 2**53
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_dumps_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def js_number(value: float | int) -> str:
    """JavaScript's `String(Number(value))`: the text JSON.stringify writes for a number."""
    if isinstance(value, int) and -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return "null"
    if number == 0:
        return "0"  # JSON.stringify(-0) is "0"
    sign = "-" if number < 0 else ""
    # repr() is the shortest text that reads back as the same double, as in JavaScript; only the
    # layout differs (ECMA-262 Number::toString: digits d of length k, decimal exponent n).
    shortest = Decimal(repr(abs(number))).normalize()
    _, digit_tuple, exponent = shortest.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = exponent + k
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    power = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"


def _needs_js_numbers(value: Any) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return False
    if isinstance(value, float):
        return True
    if isinstance(value, int):
        return not -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if isinstance(value, dict):
        return any(_needs_js_numbers(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_needs_js_numbers(item) for item in value)
    return False


def _encode(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return _dumps_compact(value)
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, dict):
        items = (f"{_dumps_compact(str(k))}:{_encode(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(map(_encode, value)) + "]"
    return _dumps_compact(str(value))


def _escape_lone_surrogates(text: str) -> str:
    # JSON.stringify escapes a lone surrogate (\udXXX); Python writes it raw, which then cannot
    # be encoded as UTF-8. Outside strings JSON text is ASCII, so the whole text can be scanned.
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def stringify(value: Any) -> str:
    """`JSON.stringify(value)` for a parsed JSON value (dict, list, str, number, bool, None)."""
    text = _encode(value) if _needs_js_numbers(value) else _dumps_compact(value)
    return _escape_lone_surrogates(text)
