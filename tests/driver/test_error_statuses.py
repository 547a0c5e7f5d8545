"""Each error status PostHog answers becomes its exception class, with PostHog's code, detail and
field in the message and details, and the suggestion of that status (the emulator's ``echo_key``
fault answers any status with a full drf-exceptions-hog body)."""

from __future__ import annotations

from typing import Any

import pytest

from posthog_dbapi import exceptions as exc
from posthog_dbapi.driver import PostHogDriver

# status: (class, message start, suggestion start or None: the driver may add its own)
EXPECTED: dict[int, tuple[type[exc.Error], str, str | None]] = {
    400: (exc.ValidationError, "", None),
    401: (exc.AuthenticationError, "Invalid PostHog API key: ", None),
    403: (exc.PermissionDeniedError, "", None),
    404: (exc.ObjectNotFoundError, "Not found: GET ", "Check the id"),
    405: (exc.NotSupportedError, "PostHog does not allow GET on ", "Soft-deleted resources"),
    409: (exc.IntegrityError, "", "Reload the record"),
    418: (exc.ProgrammingError, "", None),
    429: (exc.RateLimitError, "API rate limit exceeded: ", None),
}


@pytest.mark.parametrize("status", sorted(EXPECTED))
def test_an_error_status_becomes_its_exception(
    status: int, emulator: Any, make_driver: Any
) -> None:
    driver: PostHogDriver = make_driver(project_id=1, max_retries=0)
    error_class, start, suggestion = EXPECTED[status]
    emulator.app.faults.add("echo_key", path=r"/cohorts/", status=status, times=1)
    with pytest.raises(exc.Error) as raised:
        driver.read("/cohorts")
    error = raised.value
    assert type(error) is error_class
    assert (error.status, error.details["status"]) == (status, status)
    assert error.details["method"] == "GET" and error.details["url"].endswith("/cohorts/")
    assert error.code is not None and error.code.startswith("bad_key_")
    assert error.message.startswith(start)
    # PostHog's detail is in the message, except where the status says all (405).
    detail = error.details["detail"]
    assert detail.startswith("The key ") and (status == 405) != (detail in error.message)
    assert error.details["attr"] == "***"  # the echoed key, scrubbed
    if suggestion is not None:
        assert error.details["suggestion"].startswith(suggestion)
