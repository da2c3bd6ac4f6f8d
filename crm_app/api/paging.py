"""The one list convention of every ``/api/v1`` router: ``?page=&page_size=`` in,
``{"data": [...], "count": n}`` out (``count``: every row that matches, not only this page).

Until issue 11 the customer and sales lists took ``offset``/``limit`` and answered
``{"items", "total", "offset", "limit"}``. Those two parameters are still accepted for one
release, marked ``deprecated`` in the OpenAPI document (``Paging`` turns them into the same
window); the old answer shape is gone.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from crm_app.i18n import t
from crm_app.models.bounds import MAX_PAGE_SIZE, Limit, Offset, PageNumber
from crm_app.services.errors import ValidationFailed

DEFAULT_PAGE_SIZE = 25
PAGE_HELP = t("api_lists.page")
PAGE_SIZE_HELP = t("api_lists.page_size", max=MAX_PAGE_SIZE)
_LEGACY = t("api_lists.legacy")


class Paging:
    """``page``/``page_size`` (and the deprecated ``offset``/``limit``) as a route dependency.

    ``offset`` and ``limit`` are the window handed to the services. Mixing the two styles in
    one request is a 422 rather than a guess at which one was meant.
    """

    def __init__(
        self,
        request: Request,
        page: Annotated[PageNumber, Query(description=PAGE_HELP)] = 1,
        page_size: Annotated[Limit, Query(description=PAGE_SIZE_HELP)] = DEFAULT_PAGE_SIZE,
        offset: Annotated[Offset | None, Query(deprecated=True, description=_LEGACY)] = None,
        limit: Annotated[Limit | None, Query(deprecated=True, description=_LEGACY)] = None,
    ) -> None:
        given = request.query_params
        if (offset is not None or limit is not None) and ("page" in given
                                                          or "page_size" in given):
            raise ValidationFailed({"offset" if offset is not None else "limit":
                                    t("api_lists.mixed")})
        self.page, self.page_size = page, page_size
        self.limit = limit if limit is not None else page_size
        self.offset = offset if offset is not None else (page - 1) * self.limit


def listing(data: list[Any], count: int) -> dict[str, Any]:
    """The body of every list: ``{"data", "count"}`` (the route's ``XsPublic`` schema)."""
    return {"data": data, "count": count}


__all__ = ["DEFAULT_PAGE_SIZE", "PAGE_HELP", "PAGE_SIZE_HELP", "Paging", "listing"]
