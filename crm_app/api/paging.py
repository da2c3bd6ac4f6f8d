"""The JSON body of every paginated ``/api/v1`` list: ``{"items", "total", "offset", "limit"}``.

The services return a ``Page`` (rows plus the total and the window actually used); each route
turns the rows into its output schema and hands them here, so every list answers the same
shape and decimals stay strings (``plain``).
"""

from __future__ import annotations

from typing import Any

from crm_app.api.field_errors import plain
from crm_app.services.sales_common import Page


def page_body(*, page: Page[Any], items: list[Any]) -> dict[str, Any]:
    """``items`` (the page's rows, already shaped for output) with ``page``'s counters."""
    return plain({"items": items, "total": page.total, "offset": page.offset,
                  "limit": page.limit})


__all__ = ["page_body"]
