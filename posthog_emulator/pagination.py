"""PostHog's list envelopes: DRF limit/offset, persons (no count), plain lists, has_next.

``next``/``previous`` are absolute URLs built from the request's own host and query string, with
``limit``/``offset`` replaced and every other parameter kept, as DRF's LimitOffsetPagination does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request

__all__ = ["offset_page", "page_params", "page_url", "persons_page"]

DEFAULT_LIMIT = 100


def _positive_int(text: str | None, *, strict: bool, default: int) -> int:
    # DRF falls back to the default on a bad value instead of rejecting the request.
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        return default
    if value < 0 or (strict and value == 0):
        return default
    return value


def page_params(
    request: Request, *, default_limit: int = DEFAULT_LIMIT, max_limit: int | None = None
) -> tuple[int, int]:
    limit = _positive_int(request.args.get("limit"), strict=True, default=default_limit)
    if max_limit is not None:
        limit = min(limit, max_limit)
    offset = _positive_int(request.args.get("offset"), strict=False, default=0)
    return limit, offset


def page_url(request: Request, **replace: Any) -> str:
    """The request's absolute URL with some query parameters replaced (``None`` drops one)."""
    items = [(k, v) for k, v in request.args.items(multi=True) if k not in replace]
    items += [(k, str(v)) for k, v in replace.items() if v is not None]
    query = urlencode(items)
    return request.base_url + ("?" + query if query else "")


def offset_page(
    request: Request,
    rows: Sequence[Any],
    limit: int,
    offset: int,
    project: Callable[[Any], Any] = lambda row: row,
) -> dict[str, Any]:
    """A DRF page of ``rows``; only the rows on the page go through ``project``."""
    count = len(rows)
    next_url = (
        page_url(request, limit=limit, offset=offset + limit) if offset + limit < count else None
    )
    if offset <= 0:
        previous = None
    elif offset - limit <= 0:
        previous = page_url(request, limit=limit, offset=None)
    else:
        previous = page_url(request, limit=limit, offset=offset - limit)
    return {
        "count": count,
        "next": next_url,
        "previous": previous,
        "results": [project(row) for row in rows[offset : offset + limit]],
    }


def persons_page(request: Request, results: list[Any], limit: int, offset: int) -> dict[str, Any]:
    next_url = (
        page_url(request, limit=limit, offset=offset + limit) if len(results) >= limit else None
    )
    previous = (
        page_url(request, limit=limit, offset=offset - limit) if offset - limit >= 0 else None
    )
    return {"next": next_url, "previous": previous, "results": results}
