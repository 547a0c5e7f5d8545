"""Values an attacker (or an unlucky user) might bind: quotes, placeholders, backticks, comments,
newlines, backslashes. Shared by the injection tests of the translator and of the reliability
suite, so both prove the same list."""

from __future__ import annotations

HOSTILE_VALUES = [
    "it's",
    "{p0}",
    "{x}",
    "`event`",
    "a' OR 1=1 --",
    "x /* comment */ y",
    "line\nbreak",
    "back\\slash",
    '"; DROP TABLE events; --',
    "}{",
    "' UNION SELECT * FROM persons --",
]
"""ASCII only: every value here also runs end to end through both query routes."""

NON_ASCII_VALUES = ["\u00e9v\u00e9nement"]
