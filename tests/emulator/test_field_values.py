"""The emulator reads a written value of each field type as DRF does: the stored form of a good
value, and for a bad one a 400 with DRF's code (drf-exceptions-hog's ``invalid_input`` for
DRF's ``invalid``), message and the field as ``attr``."""

from __future__ import annotations

from typing import Any

import pytest

from posthog_emulator.errors import ApiError
from posthog_emulator.fields import Field, validate_input

UUID = "0B8C1A56-5B7D-4E0A-9C1E-3F2A1B0C9D8E"

GOOD: list[tuple[Field, Any, Any]] = [
    (Field("f", "str"), 12, "12"),
    (Field("f", "int"), "7", 7),
    (Field("f", "int"), 3.0, 3),
    (Field("f", "num"), "2.5", 2.5),
    (Field("f", "bool"), "yes", True),
    (Field("f", "bool"), 0, False),
    (Field("f", "date"), "2024-01-05", "2024-01-05"),
    (Field("f", "uuid"), UUID, UUID.lower()),
    (Field("f", "obj"), {"a": 1}, {"a": 1}),
    (Field("f", "list"), [1], [1]),
    (Field("f", "json"), [{"a": None}], [{"a": None}]),
    (Field("f", "json"), None, None),
    (Field("f", "str", nullable=True), None, None),
    (Field("f", "str", enum=("a", "b")), "b", "b"),
]

BAD: list[tuple[Field, Any, str, str]] = [
    (Field("f", "str"), None, "null", "This field may not be null."),
    (Field("f", "str"), ["x"], "invalid_input", "Not a valid string."),
    (Field("f", "str", required=True), "  ", "blank", "This field may not be blank."),
    (Field("f", "str", max_length=3), "abcd", "max_length", "Ensure this field has no more "
     "than 3 characters."),
    (Field("f", "str", enum=("a", "b")), "c", "invalid_choice", '"c" is not a valid choice.'),
    (Field("f", "int"), 1.5, "invalid_input", "A valid integer is required."),
    (Field("f", "int"), "x", "invalid_input", "A valid integer is required."),
    (Field("f", "int"), True, "invalid_input", "A valid integer is required."),
    (Field("f", "num"), True, "invalid_input", "A valid number is required."),
    (Field("f", "num"), "x", "invalid_input", "A valid number is required."),
    (Field("f", "bool"), "maybe", "invalid_input", "Must be a valid boolean."),
    (Field("f", "datetime"), 5, "invalid_input", "Datetime has wrong format."),
    (Field("f", "datetime"), "noon", "invalid_input", "Datetime has wrong format."),
    (Field("f", "date"), "2024-13-01", "invalid_input", "Date has wrong format."),
    (Field("f", "uuid"), "nope", "invalid_input", "Must be a valid UUID."),
    (Field("f", "obj"), [1], "not_a_dict", 'Expected a dictionary of items but got type "list".'),
    (Field("f", "list"), {}, "not_a_list", 'Expected a list of items but got type "dict".'),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "stored"), GOOD)
def test_a_good_value_is_stored_in_its_form(field: Field, value: Any, stored: Any) -> None:
    assert validate_input((field,), {"f": value}, partial=False) == {"f": stored}


def test_a_timestamp_is_stored_as_utc() -> None:
    field = Field("f", "datetime")
    got = validate_input((field,), {"f": "2024-01-05T12:30:00+02:00"}, partial=False)["f"]
    assert got.startswith("2024-01-05T10:30:00") and got.endswith("Z")


@pytest.mark.parametrize(("field", "value", "code", "message"), BAD)
def test_a_bad_value_is_refused_as_drf_refuses_it(
    field: Field, value: Any, code: str, message: str
) -> None:
    with pytest.raises(ApiError) as refused:
        validate_input((field,), {"f": value}, partial=False)
    error = refused.value
    assert (error.status, error.code, error.attr) == (400, code, "f")
    assert error.detail.startswith(message)
