"""The checks of what a user sets: ``connect()`` keywords, ``posthog://`` URL options and
``PostHogDriver`` arguments.

One checker of numbers (``check_number``), parameterised by what a setting allows, one of
flags and one of choices. Each raises ``InterfaceError`` naming the setting, the value and a fix
before any request is sent. A URL or a command line gives every value as text, so each accepts
its text form too. The settings' own vocabularies that more than one layer reads live here
(``PUSHDOWN_MODES``), so the dialect's URL parser does not load the planner to learn them.
"""

from __future__ import annotations

import math
from typing import Any

from posthog_dbapi.exceptions import InterfaceError
from posthog_dbapi.types import bool_from_text

__all__ = ["PUSHDOWN_MODES", "check_choice", "check_flag", "check_number"]

PUSHDOWN_MODES = ("auto", "off", "required")
"""``connect(pushdown=...)``: ``auto`` runs a SELECT over event tables as HogQL when it
translates exactly, ``off`` always in SQLite, ``required`` refuses what cannot run as HogQL."""


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float = 0,
    above: bool = False,
    whole: bool = False,
    zero_means_none: bool = False,
    optional: bool = True,
    text: bool = True,
    fix: str,
) -> Any:
    """``value`` as a number of setting ``name``: an ``int`` when ``whole``, else a ``float``.

    It must be at least ``minimum`` (more than it when ``above``) and finite; text is read as
    the number it spells, a bool is refused (``True`` is not 1 second). ``None`` or ``""``
    gives ``None`` when ``optional``; 0 gives ``None`` when ``zero_means_none`` (a limit that
    0 turns off). ``text=False`` refuses text (a Python-only argument, where ``"2"`` is more
    likely a mistake than a URL value). ``fix`` is the suggestion the error carries."""
    if optional and (value is None or value == ""):
        return None
    number: float | None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = None
    if (
        number is None
        or isinstance(value, bool)
        or (not text and isinstance(value, str))
        or not math.isfinite(number)
        or number < minimum
        or (above and number == minimum)
        or (whole and not number.is_integer())
    ):
        kind = "a whole number" if whole else "a number"
        bound = f"> {minimum:g}" if above else f">= {minimum:g}"
        raise InterfaceError(
            f"{name} must be {kind} {bound}, not {value!r}",
            {name: value},
            suggestion=fix,
        )
    if zero_means_none and number == 0:
        return None
    return int(number) if whole else number


def check_flag(name: str, value: Any, *, fix: str) -> bool:
    """``value`` as a bool: a bool, or text such as ``"true"``/``"off"``; a typo such as
    ``"treu"`` is an error rather than false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return bool_from_text(value)
        except ValueError:
            pass
    raise InterfaceError(
        f"{name} must be true or false, not {value!r}", {name: value}, suggestion=fix
    )


def check_choice(name: str, value: Any, choices: tuple[str, ...], *, fix: str) -> str:
    """``value`` when it is one of ``choices`` (exactly, as the API spells them)."""
    if value not in choices:
        raise InterfaceError(
            f"{name} must be one of {', '.join(choices)}, not {value!r}",
            {name: value},
            suggestion=fix,
        )
    return str(value)
