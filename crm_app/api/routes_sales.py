"""/api/v1/pipelines, /opportunities, /products and /quotes: thin wrappers over the services.

Row scoping and field validation live in the services; out-of-scope ids answer 404. Lists
follow the one API convention (``paging``): ``?page=&page_size=`` in, ``{"data", "count"}`` out.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from crm_app.api.deps import DBSession, requires
from crm_app.api.field_errors import plain
from crm_app.api.paging import Paging, listing
from crm_app.models import User
from crm_app.models.bounds import Day, Days, Id, Line, Year
from crm_app.models.schemas_sales import (
    OpportunitiesPublic,
    OpportunityCreate,
    OpportunityMove,
    OpportunityPublic,
    OpportunityUpdate,
    PipelineCreate,
    PipelinePublic,
    PipelinesPublic,
    PipelineUpdate,
    ProductCreate,
    ProductPublic,
    ProductsPublic,
    ProductUpdate,
    QuoteCreate,
    QuotePublic,
    QuoteReject,
    QuoteSend,
    QuotesPublic,
    QuoteUpdate,
    StageChangesPublic,
)
from crm_app.permissions import Perm
from crm_app.services import opportunities as opp_service
from crm_app.services import pipelines as pipeline_service
from crm_app.services import products as product_service
from crm_app.services import quotes as quote_service
from crm_app.services.sales_common import user_names

router = APIRouter(prefix="/api/v1", tags=["ventas"])

CAN_VIEW = requires(Perm.RECORDS_VIEW)
CAN_READ_FISCAL = requires(Perm.FISCAL_VIEW)  # quotes: every role, the asesor too
CAN_CHANGE = requires(Perm.RECORDS_CHANGE)
CAN_DELETE = requires(Perm.RECORDS_DELETE)
CAN_CONFIGURE = requires(Perm.SETTINGS_CHANGE)
CAN_CATALOG = requires(Perm.CATALOG_CHANGE)
KanbanPage = Annotated[int, Query(ge=1, le=opp_service.KANBAN_MAX)]
Pages = Annotated[Paging, Depends()]


# --- pipelines --------------------------------------------------------------------------------


@router.get("/pipelines", response_model=PipelinesPublic)
def list_pipelines(session: DBSession, user: User = CAN_VIEW,
                   include_inactive: bool = False) -> Any:
    """Every pipeline with its stages (a short list: not paged)."""
    rows = pipeline_service.list_pipelines(session=session, actor=user,
                                           include_inactive=include_inactive)
    return listing([pipeline_service.pipeline_dict(session, p) for p in rows], len(rows))


@router.post("/pipelines", status_code=201, response_model=PipelinePublic)
def create_pipeline(body: PipelineCreate, session: DBSession, user: User = CAN_CONFIGURE) -> Any:
    stages = [s.model_dump(exclude_unset=True) for s in body.stages] \
        if body.stages is not None else None
    pipeline = pipeline_service.create_pipeline(session=session, actor=user, name=body.name,
                                                stages=stages, is_default=body.is_default)
    return pipeline_service.pipeline_dict(session, pipeline)


@router.get("/pipelines/{pipeline_id}", response_model=PipelinePublic)
def read_pipeline(pipeline_id: Id, session: DBSession, user: User = CAN_VIEW) -> Any:
    return pipeline_service.pipeline_view(session=session, actor=user, pipeline_id=pipeline_id)


@router.patch("/pipelines/{pipeline_id}", response_model=PipelinePublic)
def update_pipeline(pipeline_id: Id, body: PipelineUpdate, session: DBSession,
                    user: User = CAN_CONFIGURE) -> Any:
    data = body.model_dump(exclude_unset=True)
    if body.stages is not None:
        data["stages"] = [s.model_dump(exclude_unset=True) for s in body.stages]
    pipeline = pipeline_service.update_pipeline(session=session, actor=user,
                                                pipeline_id=pipeline_id, data=data)
    return pipeline_service.pipeline_dict(session, pipeline)


# --- opportunities ----------------------------------------------------------------------------


def _opp_out(session: Any, opp: Any) -> dict[str, Any]:
    return opp_service.opportunity_rows(session, [opp])[0]


@router.get("/opportunities", response_model=OpportunitiesPublic)
def list_opportunities(session: DBSession, paging: Pages, user: User = CAN_VIEW, q: Line = "",
                       pipeline_id: Id | None = None, stage_id: Id | None = None,
                       status: Line = "", owner_id: Id | None = None,
                       team_id: Id | None = None, account_id: Id | None = None,
                       channel: Line = "", stale: bool | None = None,
                       closed_from: Day | None = None, closed_to: Day | None = None,
                       deleted: bool = False, sort: Line = "-created_at") -> dict:
    page = opp_service.list_opportunities(
        session=session, actor=user, q=q, pipeline_id=pipeline_id, stage_id=stage_id,
        status=status, owner_id=owner_id, team_id=team_id, account_id=account_id,
        channel=channel, stale=stale, closed_from=closed_from, closed_to=closed_to,
        deleted=deleted, sort=sort, offset=paging.offset, limit=paging.limit)
    return listing(opp_service.opportunity_rows(session, page.items), page.total)


@router.get("/opportunities/kanban")
def kanban(session: DBSession, user: User = CAN_VIEW, pipeline_id: Id | None = None,
           q: Line = "", owner_id: Id | None = None, team_id: Id | None = None,
           account_id: Id | None = None, channel: Line = "", closed_days: Days | None = None,
           per_column: KanbanPage = opp_service.KANBAN_PAGE) -> JSONResponse:
    board = opp_service.kanban(session=session, actor=user, pipeline_id=pipeline_id, q=q,
                               owner_id=owner_id, team_id=team_id, account_id=account_id,
                               channel=channel, closed_days=closed_days,
                               per_column=per_column)
    return JSONResponse(plain(board))


@router.post("/opportunities", status_code=201, response_model=OpportunityPublic)
def create_opportunity(body: OpportunityCreate, session: DBSession, user: User = CAN_CHANGE) -> Any:
    opp = opp_service.create_opportunity(session=session, actor=user,
                                         data=body.model_dump(exclude_unset=True))
    return _opp_out(session, opp)


@router.get("/opportunities/{opportunity_id}", response_model=OpportunityPublic)
def read_opportunity(opportunity_id: Id, session: DBSession, user: User = CAN_VIEW) -> Any:
    opp = opp_service.get_opportunity(session=session, actor=user,
                                      opportunity_id=opportunity_id)
    return _opp_out(session, opp)


@router.patch("/opportunities/{opportunity_id}", response_model=OpportunityPublic)
def update_opportunity(opportunity_id: Id, body: OpportunityUpdate, session: DBSession,
                       user: User = CAN_CHANGE) -> Any:
    opp = opp_service.update_opportunity(session=session, actor=user,
                                         opportunity_id=opportunity_id,
                                         data=body.model_dump(exclude_unset=True))
    return _opp_out(session, opp)


@router.post("/opportunities/{opportunity_id}/move", response_model=OpportunityPublic)
def move_opportunity(opportunity_id: Id, body: OpportunityMove, session: DBSession,
                     user: User = CAN_CHANGE) -> Any:
    """Move to another stage of its pipeline; ``fields`` carries what the stage requires."""
    opp = opp_service.move_stage(session=session, actor=user, opportunity_id=opportunity_id,
                                 stage_id=body.stage_id, fields=body.fields)
    return _opp_out(session, opp)


@router.get("/opportunities/{opportunity_id}/history", response_model=StageChangesPublic)
def opportunity_history(opportunity_id: Id, session: DBSession, user: User = CAN_VIEW) -> Any:
    """Every stage change, oldest first (not paged)."""
    rows = opp_service.stage_history(session=session, actor=user,
                                     opportunity_id=opportunity_id)
    return listing(rows, len(rows))


@router.delete("/opportunities/{opportunity_id}", response_model=OpportunityPublic)
def delete_opportunity(opportunity_id: Id, session: DBSession, user: User = CAN_DELETE) -> Any:
    opp = opp_service.delete_opportunity(session=session, actor=user,
                                         opportunity_id=opportunity_id)
    return _opp_out(session, opp)


@router.post("/opportunities/{opportunity_id}/restore", response_model=OpportunityPublic)
def restore_opportunity(opportunity_id: Id, session: DBSession,
                        user: User = CAN_DELETE) -> Any:
    opp = opp_service.restore_opportunity(session=session, actor=user,
                                          opportunity_id=opportunity_id)
    return _opp_out(session, opp)


# --- products ---------------------------------------------------------------------------------


@router.get("/products", response_model=ProductsPublic)
def list_products(session: DBSession, paging: Pages, user: User = CAN_VIEW, q: Line = "",
                  active: bool | None = True, sort: Line = "name") -> dict:
    page = product_service.list_products(session=session, actor=user, q=q, active=active,
                                         sort=sort, offset=paging.offset, limit=paging.limit)
    return listing(page.items, page.total)


@router.post("/products", status_code=201, response_model=ProductPublic)
def create_product(body: ProductCreate, session: DBSession, user: User = CAN_CATALOG) -> Any:
    return product_service.create_product(session=session, actor=user,
                                          data=body.model_dump(exclude_unset=True))


@router.get("/products/{product_id}", response_model=ProductPublic)
def read_product(product_id: Id, session: DBSession, user: User = CAN_VIEW) -> Any:
    return product_service.get_product(session=session, actor=user, product_id=product_id)


@router.patch("/products/{product_id}", response_model=ProductPublic)
def update_product(product_id: Id, body: ProductUpdate, session: DBSession,
                   user: User = CAN_CATALOG) -> Any:
    return product_service.update_product(session=session, actor=user, product_id=product_id,
                                          data=body.model_dump(exclude_unset=True))


@router.post("/products/{product_id}/image", response_model=ProductPublic)
def upload_product_image(product_id: Id, image: UploadFile, session: DBSession,
                         user: User = CAN_CATALOG) -> Any:
    """Multipart field ``image``: PNG, JPEG or WebP (by its bytes, not its name), ≤ 2 MB."""
    content = image.file.read(product_service.MAX_IMAGE_BYTES + 1)
    return product_service.set_product_image(session=session, actor=user,
                                             product_id=product_id, content=content)


@router.get("/products/{product_id}/image", response_class=Response,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}}})
def product_image(product_id: Id, session: DBSession, user: User = CAN_VIEW) -> Response:
    content, mime = product_service.product_image(session=session, actor=user,
                                                  product_id=product_id)
    return Response(content, media_type=mime,
                    headers={"Cache-Control": "private, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})


@router.delete("/products/{product_id}", status_code=204)
def delete_product(product_id: Id, session: DBSession, user: User = CAN_CATALOG) -> Response:
    product_service.delete_product(session=session, actor=user, product_id=product_id)
    return Response(status_code=204)


# --- quotes -----------------------------------------------------------------------------------


def _quote_out(session: Any, user: User, quote_id: Id) -> dict[str, Any]:
    return quote_service.quote_view(session=session, actor=user, quote_id=quote_id)


def _quote_args(body: QuoteUpdate) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    if body.lines is not None:
        data["lines"] = [ln.model_dump(exclude_unset=True) for ln in body.lines]
    return data


@router.get("/quotes", response_model=QuotesPublic)
def list_quotes(session: DBSession, paging: Pages, user: User = CAN_READ_FISCAL, q: Line = "",
                status: Line = "", account_id: Id | None = None,
                opportunity_id: Id | None = None, year: Year | None = None,
                owner_id: Id | None = None, team_id: Id | None = None, deleted: bool = False,
                sort: Line = "-number") -> dict:
    page = quote_service.list_quotes(session=session, actor=user, q=q, status=status,
                                     account_id=account_id, opportunity_id=opportunity_id,
                                     year=year, owner_id=owner_id, team_id=team_id,
                                     deleted=deleted, sort=sort, offset=paging.offset,
                                     limit=paging.limit)
    names = user_names(session, {qt.owner_id for qt in page.items})
    return listing([quote_service.quote_row(qt, names) for qt in page.items], page.total)


@router.post("/quotes", status_code=201, response_model=QuotePublic)
def create_quote(body: QuoteCreate, session: DBSession, user: User = CAN_CHANGE) -> Any:
    args = _quote_args(body)
    args.setdefault("account_id", None)
    quote = quote_service.create_quote(session=session, actor=user, **args)
    return _quote_out(session, user, quote.id)


@router.get("/quotes/{quote_id}", response_model=QuotePublic)
def read_quote(quote_id: Id, session: DBSession, user: User = CAN_READ_FISCAL) -> Any:
    return _quote_out(session, user, quote_id)


@router.patch("/quotes/{quote_id}", response_model=QuotePublic)
def update_quote(quote_id: Id, body: QuoteUpdate, session: DBSession,
                 user: User = CAN_CHANGE) -> Any:
    quote_service.update_quote(session=session, actor=user, quote_id=quote_id,
                               data=_quote_args(body))
    return _quote_out(session, user, quote_id)


@router.get("/quotes/{quote_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def quote_pdf(quote_id: Id, session: DBSession, user: User = CAN_READ_FISCAL,
              download: bool = False) -> Response:
    filename, pdf = quote_service.quote_pdf(session=session, actor=user, quote_id=quote_id)
    disposition = "attachment" if download else "inline"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{filename}"',
                             "Cache-Control": "private, no-store"})


@router.post("/quotes/{quote_id}/send", response_model=QuotePublic)
def send_quote(quote_id: Id, body: QuoteSend, session: DBSession, user: User = CAN_CHANGE) -> Any:
    quote_service.send_quote(session=session, actor=user, quote_id=quote_id, to=body.to,
                             message=body.message)
    return _quote_out(session, user, quote_id)


@router.post("/quotes/{quote_id}/accept", response_model=QuotePublic)
def accept_quote(quote_id: Id, session: DBSession, user: User = CAN_CHANGE) -> Any:
    quote_service.accept_quote(session=session, actor=user, quote_id=quote_id)
    return _quote_out(session, user, quote_id)


@router.post("/quotes/{quote_id}/reject", response_model=QuotePublic)
def reject_quote(quote_id: Id, session: DBSession, body: QuoteReject | None = None,
                 user: User = CAN_CHANGE) -> Any:
    quote_service.reject_quote(session=session, actor=user, quote_id=quote_id,
                               reason=body.reason if body else "")
    return _quote_out(session, user, quote_id)


@router.post("/quotes/{quote_id}/revise", status_code=201, response_model=QuotePublic)
def revise_quote(quote_id: Id, session: DBSession, user: User = CAN_CHANGE) -> Any:
    quote = quote_service.revise_quote(session=session, actor=user, quote_id=quote_id)
    return _quote_out(session, user, quote.id)


@router.delete("/quotes/{quote_id}", status_code=204)
def delete_quote(quote_id: Id, session: DBSession, user: User = CAN_DELETE) -> Response:
    """To the recycle bin (an accepted quote cannot be deleted)."""
    quote_service.delete_quote(session=session, actor=user, quote_id=quote_id)
    return Response(status_code=204)
