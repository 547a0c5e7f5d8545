"""What the driver puts on the wire: request bodies as JSON text, query parameters as strings.

``requests`` would encode a ``json=`` body itself and raise a bare ``TypeError`` (or a
``ValueError`` for NaN) from deep inside the call. The transport encodes the body here first,
before any request, so a value JSON cannot carry fails as ``DataError`` naming the field and its
type. Dates and times become ISO 8601 text, ``Decimal`` a float, ``UUID`` its text; NaN and
infinities are refused, since JSON has no spelling for them and PostHog would refuse the body.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

from posthog_dbapi import exceptions as exc

__all__ = ["encode_body", "encode_params"]

_NATIVE = (str, int, bool, type(None))


def encode_body(body: Any) -> bytes:
    """``body`` as UTF-8 JSON; ``DataError`` for a value JSON cannot carry."""
    return json.dumps(_jsonable(body, ""), allow_nan=False, separators=(",", ":")).encode()


def encode_params(params: Any) -> dict[str, Any] | None:
    """Query parameters as ``requests`` sends them: ``None`` dropped, booleans as
    ``true``/``false``, structured filters as JSON text; ``InterfaceError`` for a non-mapping."""
    if params is None:
        return None
    if not isinstance(params, Mapping):
        raise exc.InterfaceError(
            f"params must be a mapping of query parameters, not {type(params).__name__}",
            {"got": type(params).__name__},
            suggestion="Pass e.g. params={'search': 'revenue', 'limit': 10}.",
        )
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (dict, list, tuple)) and not (
            isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        ):
            # PostHog takes structured filters (properties, tags) as JSON in the query string.
            out[key] = json.dumps(_jsonable(value, str(key)), allow_nan=False)
        else:
            out[key] = _jsonable(value, str(key))
    return out or None


def _jsonable(value: Any, where: str) -> Any:
    """``value`` with every leaf a JSON-native type; ``where`` names it in errors."""
    if isinstance(value, _NATIVE):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _unsendable(where, value, "JSON has no NaN or infinity")
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise _unsendable(
                    f"{where}[{key!r}]" if where else repr(key), key, "keys must be text"
                )
            name = str(key)
            out[name] = _jsonable(item, f"{where}.{name}" if where else name)
        return out
    if isinstance(value, (list, tuple)):
        return [_jsonable(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, (_dt.date, _dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise _unsendable(where, value, "JSON has no NaN or infinity")
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise _unsendable(where, value, "JSON cannot carry it")


def _unsendable(where: str, value: Any, why: str) -> exc.DataError:
    kind = type(value).__name__
    field = where or "the body"
    return exc.DataError(
        f"Cannot send {field} ({kind}) to PostHog: {why}",
        {"field": field, "type": kind},
        suggestion="Send text, numbers, booleans, None, dates, lists or dicts of them; "
        "convert other values (e.g. str(value)) first.",
    )
