"""Binary wire forms of the types whose layout is not a plain integer or float.

``numeric`` (base-10000 digits with weight, sign and display scale), ``interval``
(microseconds, days, months), ``time`` (microseconds since midnight): encode for results and
COPY, decode for Bind parameters, as PostgreSQL's ``numeric_send``/``numeric_recv`` and friends
lay them out.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import struct
from typing import Any

__all__ = [
    "decode_interval",
    "decode_numeric",
    "decode_time",
    "encode_interval",
    "encode_numeric",
    "encode_time",
    "interval_text",
]

_NUMERIC_NEG, _NUMERIC_NAN = 0x4000, 0xC000


def encode_numeric(value: Any) -> bytes:
    number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
    if number.is_nan():
        return struct.pack("!hhHh", 0, 0, _NUMERIC_NAN, 0)
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    scale = max(0, -exponent)
    text = "".join(map(str, digits))
    if exponent >= 0:
        whole, fraction = text + "0" * exponent, ""
    else:
        cut = len(text) + exponent
        whole, fraction = (text[:cut], text[cut:]) if cut > 0 else ("", "0" * -cut + text)
    whole = whole.lstrip("0")
    whole = "0" * (-len(whole) % 4) + whole
    fraction = fraction + "0" * (-len(fraction) % 4)
    groups = [int(whole[i : i + 4]) for i in range(0, len(whole), 4)]
    weight = len(groups) - 1
    groups += [int(fraction[i : i + 4]) for i in range(0, len(fraction), 4)]
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    head = struct.pack("!hhHh", len(groups), weight, _NUMERIC_NEG if sign else 0, scale)
    return head + struct.pack(f"!{len(groups)}h", *groups)


def decode_numeric(data: bytes) -> decimal.Decimal:
    count, weight, sign, scale = struct.unpack_from("!hhHh", data)
    if sign == _NUMERIC_NAN:
        return decimal.Decimal("NaN")
    groups = struct.unpack_from(f"!{count}h", data, 8)
    value = decimal.Decimal(0)
    for index, group in enumerate(groups):
        value += decimal.Decimal(group).scaleb(4 * (weight - index))
    value = value.quantize(decimal.Decimal(1).scaleb(-scale)) if scale else value
    return -value if sign == _NUMERIC_NEG else value


def encode_time(value: Any) -> bytes:
    moment = value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))
    micros = ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000
    return struct.pack("!q", micros + moment.microsecond)


def decode_time(data: bytes) -> dt.time:
    (micros,) = struct.unpack("!q", data)
    seconds, micro = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return dt.time(hour, minute, second, micro)


_INTERVAL_PART = re.compile(r"(-?\d+(?:\.\d+)?)\s*(year|mon|week|day|hour|min|sec)\w*", re.I)
_CLOCK = re.compile(r"(-?)(\d+):(\d+)(?::(\d+(?:\.\d+)?))?")


def _interval_parts(value: Any) -> tuple[int, int, int]:
    """(microseconds, days, months) of a timedelta or PostgreSQL interval text."""
    if isinstance(value, dt.timedelta):
        return value.seconds * 1_000_000 + value.microseconds, value.days, 0
    text = str(value)
    micros = days = months = 0
    for amount, unit in _INTERVAL_PART.findall(text):
        number, unit = float(amount), unit.lower()
        if unit == "year":
            months += int(number * 12)
        elif unit == "mon":
            months += int(number)
        elif unit in ("week", "day"):
            days += int(number * (7 if unit == "week" else 1))
        else:
            micros += int(number * {"hour": 3600, "min": 60, "sec": 1}[unit] * 1_000_000)
    clock = _CLOCK.search(_INTERVAL_PART.sub("", text))
    if clock:
        sign = -1 if clock.group(1) else 1
        seconds = int(clock.group(2)) * 3600 + int(clock.group(3)) * 60
        micros += sign * int((seconds + float(clock.group(4) or 0)) * 1_000_000)
    return micros, days, months


def encode_interval(value: Any) -> bytes:
    micros, days, months = _interval_parts(value)
    return struct.pack("!qii", micros, days, months)


def interval_text(value: Any) -> str:
    """PostgreSQL's default (``postgres``) interval output: ``1 mon 2 days 03:04:05``."""
    return _format_interval(*_interval_parts(value))


def _format_interval(micros: int, days: int, months: int) -> str:
    parts = []
    if months:
        years, months = divmod(months, 12)
        parts += [f"{years} year{'s' * (years != 1)}"] if years else []
        parts += [f"{months} mon{'s' * (months != 1)}"] if months else []
    if days:
        parts.append(f"{days} day{'s' * (days != 1)}")
    if micros or not parts:
        sign = "-" if micros < 0 else ""
        seconds, micro = divmod(abs(micros), 1_000_000)
        clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        parts.append(sign + clock + (f".{micro:06d}".rstrip("0") if micro else ""))
    return " ".join(parts)


def decode_interval(data: bytes) -> str:
    """A binary interval parameter as interval text (the DB-API has no interval type)."""
    micros, days, months = struct.unpack("!qii", data)
    return _format_interval(micros, days, months)
