"""Leads HTTP API, thin over the services: leads, duplicates, conversion, bulk actions,
assignment rules (+ simulator), custom fields, saved views.

Records out of the caller's scope answer 404, not 403, so ids do not leak. Every error is
``{"detail", "errors": {field: mensaje}}``: domain validation and request-shape errors (missing
field, wrong type, unknown key) alike, through the app's handlers (``app.py``, ``field_errors``).
Lists follow the one API convention (``paging``): ``{"data", "count"}``, paged with
``?page=&page_size=``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from crm_app.api.deps import CurrentUser, DBSession, requires
from crm_app.api.deps import requires as _requires
from crm_app.api.paging import DEFAULT_PAGE_SIZE, PAGE_HELP, PAGE_SIZE_HELP, listing
from crm_app.models.bounds import Id, Limit, Line, PageNumber
from crm_app.models.schemas_leads import (
    CustomFieldCreate,
    CustomFieldPublic,
    CustomFieldsPublic,
    CustomFieldUpdate,
    DuplicatesPublic,
    LeadBulk,
    LeadBulkPublic,
    LeadConversionPublic,
    LeadConvert,
    LeadCreate,
    LeadPublic,
    LeadsPublic,
    LeadUpdate,
    RuleCreate,
    RuleOrder,
    RulePublic,
    RuleSimulate,
    RulesPublic,
    RuleUpdate,
    SavedViewCreate,
    SavedViewPublic,
    SavedViewsPublic,
    SavedViewUpdate,
    TimelinePublic,
)
from crm_app.permissions import Perm
from crm_app.services import assignment, conversion, custom_fields, leads, saved_views
from crm_app.services.errors import ValidationFailed

# Leads, their custom fields, rules and saved views are commercial records: a role without
# ``records.view`` (the asesor) is refused at the door; each route and service checks more.
router = APIRouter(prefix="/api/v1", tags=["leads"],
                   dependencies=[_requires(Perm.RECORDS_VIEW)])

ListParam = Annotated[list[Line] | None, Query()]


def _multi(values: list[str] | None) -> list[str]:
    """``?status=a&status=b`` and ``?status=a,b`` both give ``["a", "b"]``."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


# --- leads ---------------------------------------------------------------------------------


@router.get("/leads", response_model=LeadsPublic)
def list_leads(
    request: Request, user: CurrentUser, session: DBSession,
    page: Annotated[PageNumber, Query(description=PAGE_HELP)] = 1,
    page_size: Annotated[Limit, Query(description=PAGE_SIZE_HELP)] = DEFAULT_PAGE_SIZE,
    q: Line = "", status: ListParam = None, source: ListParam = None,
    owner_id: ListParam = None, team_id: ListParam = None, province: ListParam = None,
    created_from: Line | None = None, created_to: Line | None = None,
    sort: Line = "created_at", desc: bool = True, deleted: bool = False,
) -> dict:
    """Leads in the caller's scope; ``custom.<key>=value`` filters on custom fields."""
    filters: dict[str, Any] = {"status": _multi(status), "source": _multi(source),
                               "owner_id": _multi(owner_id), "team_id": _multi(team_id),
                               "province": _multi(province), "created_from": created_from,
                               "created_to": created_to, "deleted": deleted}
    for key in request.query_params:
        if key.startswith("custom."):
            values = _multi(request.query_params.getlist(key))
            filters[key] = values if len(values) != 1 else values[0]
    if sort not in leads.SORTABLE:
        raise ValidationFailed({"sort": "Orden no válido: usa " + ", ".join(leads.SORTABLE)})
    rows, count = leads.list_leads(session=session, actor=user, q=q, filters=filters,
                                   sort=sort, desc=desc, page=page, page_size=page_size)
    return listing(rows, count)


@router.post("/leads", response_model=LeadPublic, status_code=201)
def create_lead(body: LeadCreate, user: CurrentUser, session: DBSession,
                reject_duplicates: bool = False) -> dict:
    """Create a lead; assignment rules apply when no owner is given (see the service)."""
    data = body.model_dump()
    if data.get("owner_id") is None:
        data.pop("owner_id", None)
    lead = leads.create_lead(session=session, actor=user, data=data,
                             reject_duplicates=reject_duplicates)
    # Not re-read through the scope: the rules may have sent it out of the caller's scope.
    return leads.written_lead_dict(session=session, lead=lead)


@router.get("/leads/duplicates", response_model=DuplicatesPublic)
def duplicates(user: CurrentUser, session: DBSession, email: Line = "", phone: Line = "",
               nif: Line = "", exclude_id: Id | None = None) -> dict:
    rows = leads.find_duplicates(session=session, actor=user, email=email, phone=phone,
                                 nif=nif, exclude_id=exclude_id)
    return listing(rows, len(rows))


@router.post("/leads/bulk", response_model=LeadBulkPublic)
def bulk(body: LeadBulk, user: CurrentUser, session: DBSession) -> dict:
    if body.action == "assign":
        if body.owner_id is None:
            raise ValidationFailed({"owner_id": "Elige a quién asignar los leads."})
        n = leads.bulk_assign(session=session, actor=user, lead_ids=body.ids,
                              owner_id=body.owner_id)
    elif body.action == "status":
        n = leads.bulk_change_status(session=session, actor=user, lead_ids=body.ids,
                                     status=body.status or "",
                                     discard_reason=body.discard_reason)
    else:
        n = leads.bulk_delete(session=session, actor=user, lead_ids=body.ids)
    return {"changed": n}


@router.get("/leads/{lead_id}", response_model=LeadPublic)
def get_lead(lead_id: Id, user: CurrentUser, session: DBSession) -> dict:
    return leads.get_lead_dict(session=session, actor=user, lead_id=lead_id)


@router.patch("/leads/{lead_id}", response_model=LeadPublic)
def update_lead(lead_id: Id, body: LeadUpdate, user: CurrentUser, session: DBSession) -> dict:
    data = body.model_dump(exclude_unset=True)
    leads.update_lead(session=session, actor=user, lead_id=lead_id, data=data)
    return leads.get_lead_dict(session=session, actor=user, lead_id=lead_id)


@router.delete("/leads/{lead_id}", status_code=204)
def delete_lead(lead_id: Id, user: CurrentUser, session: DBSession) -> Response:
    """Move to the recycle bin."""
    leads.delete_lead(session=session, actor=user, lead_id=lead_id)
    return Response(status_code=204)


@router.post("/leads/{lead_id}/restore", response_model=LeadPublic)
def restore_lead(lead_id: Id, user: CurrentUser, session: DBSession) -> dict:
    leads.restore_lead(session=session, actor=user, lead_id=lead_id)
    return leads.get_lead_dict(session=session, actor=user, lead_id=lead_id)


@router.get("/leads/{lead_id}/timeline", response_model=TimelinePublic)
def timeline(lead_id: Id, user: CurrentUser, session: DBSession) -> dict:
    """Changes and activities, newest first: the latest 200 (not paged)."""
    rows = leads.lead_timeline(session=session, actor=user, lead_id=lead_id)
    return listing(rows, len(rows))


@router.post("/leads/{lead_id}/convert", response_model=LeadConversionPublic)
def convert(lead_id: Id, user: CurrentUser, session: DBSession,
            body: LeadConvert | None = None) -> dict:
    body = body or LeadConvert()
    return conversion.convert_lead(
        session=session, actor=user, lead_id=lead_id,
        create_opportunity=body.create_opportunity, pipeline_id=body.pipeline_id,
        opportunity_name=body.opportunity_name, amount=body.amount,
        account_id=body.account_id)


# --- assignment rules (admin) --------------------------------------------------------------

RulesAdmin = requires(Perm.RULES_MANAGE)


def _rule_data(body: RuleCreate | RuleUpdate) -> dict:
    data = body.model_dump(exclude_unset=isinstance(body, RuleUpdate))
    if data.get("conditions") is not None:
        data["conditions"] = [dict(c) for c in data["conditions"]]
    return data


@router.get("/assignment-rules", response_model=RulesPublic, dependencies=[RulesAdmin])
def list_rules(user: CurrentUser, session: DBSession) -> dict:
    """Every rule in the order they are tried (not paged)."""
    rows = assignment.list_rules(session=session, actor=user)
    return listing(rows, len(rows))


@router.post("/assignment-rules", response_model=RulePublic, status_code=201,
             dependencies=[RulesAdmin])
def create_rule(body: RuleCreate, user: CurrentUser, session: DBSession) -> Any:
    return assignment.create_rule(session=session, actor=user, data=_rule_data(body))


@router.post("/assignment-rules/simulate", dependencies=[RulesAdmin])
def simulate(body: RuleSimulate, user: CurrentUser, session: DBSession) -> dict:
    """Where the last N leads would go under the draft rules (nothing is saved)."""
    return assignment.simulate(session=session, actor=user,
                               rules=[_rule_data(r) for r in body.rules], last_n=body.last_n)


@router.put("/assignment-rules/order", response_model=RulesPublic,
            dependencies=[RulesAdmin])
def reorder_rules(body: RuleOrder, user: CurrentUser, session: DBSession) -> dict:
    rows = assignment.reorder_rules(session=session, actor=user, ordered_ids=body.ids)
    return listing(rows, len(rows))


@router.get("/assignment-rules/{rule_id}", response_model=RulePublic, dependencies=[RulesAdmin])
def get_rule(rule_id: Id, user: CurrentUser, session: DBSession) -> Any:
    return assignment.get_rule(session=session, actor=user, rule_id=rule_id)


@router.patch("/assignment-rules/{rule_id}", response_model=RulePublic,
              dependencies=[RulesAdmin])
def update_rule(rule_id: Id, body: RuleUpdate, user: CurrentUser, session: DBSession) -> Any:
    return assignment.update_rule(session=session, actor=user, rule_id=rule_id,
                                  data=_rule_data(body))


@router.delete("/assignment-rules/{rule_id}", status_code=204, dependencies=[RulesAdmin])
def delete_rule(rule_id: Id, user: CurrentUser, session: DBSession) -> Response:
    assignment.delete_rule(session=session, actor=user, rule_id=rule_id)
    return Response(status_code=204)


# --- custom fields (read: everyone; change: admin) -----------------------------------------

FieldsAdmin = requires(Perm.SETTINGS_CHANGE)


@router.get("/custom-fields", response_model=CustomFieldsPublic)
def list_fields(user: CurrentUser, session: DBSession, entity: Line | None = None,
                include_inactive: bool = False) -> dict:
    """The custom fields of ``entity`` (or of every entity), in their order (not paged)."""
    rows = custom_fields.list_fields(session=session, actor=user, entity=entity,
                                     include_inactive=include_inactive)
    return listing(rows, len(rows))


@router.post("/custom-fields", response_model=CustomFieldPublic, status_code=201,
             dependencies=[FieldsAdmin])
def create_field(body: CustomFieldCreate, user: CurrentUser, session: DBSession) -> Any:
    return custom_fields.create_field(session=session, actor=user, **body.model_dump())


@router.patch("/custom-fields/{field_id}", response_model=CustomFieldPublic,
              dependencies=[FieldsAdmin])
def update_field(field_id: Id, body: CustomFieldUpdate, user: CurrentUser,
                 session: DBSession) -> Any:
    return custom_fields.update_field(session=session, actor=user, field_id=field_id,
                                      **body.model_dump(exclude_unset=True))


@router.delete("/custom-fields/{field_id}", status_code=204, dependencies=[FieldsAdmin])
def delete_field(field_id: Id, user: CurrentUser, session: DBSession) -> Response:
    """Deactivates the field; stored values are kept."""
    custom_fields.delete_field(session=session, actor=user, field_id=field_id)
    return Response(status_code=204)


# --- saved views (own) ---------------------------------------------------------------------


@router.get("/saved-views", response_model=SavedViewsPublic)
def list_views(user: CurrentUser, session: DBSession, entity: Line = "lead") -> dict:
    """The caller's own views of ``entity`` (not paged)."""
    rows = saved_views.list_views(session=session, actor=user, entity=entity)
    return listing(rows, len(rows))


@router.post("/saved-views", response_model=SavedViewPublic, status_code=201)
def create_view(body: SavedViewCreate, user: CurrentUser, session: DBSession) -> Any:
    return saved_views.create_view(session=session, actor=user, **body.model_dump())


@router.patch("/saved-views/{view_id}", response_model=SavedViewPublic)
def update_view(view_id: Id, body: SavedViewUpdate, user: CurrentUser,
                session: DBSession) -> Any:
    return saved_views.update_view(session=session, actor=user, view_id=view_id,
                                   **body.model_dump(exclude_unset=True))


@router.delete("/saved-views/{view_id}", status_code=204)
def delete_view(view_id: Id, user: CurrentUser, session: DBSession) -> Response:
    saved_views.delete_view(session=session, actor=user, view_id=view_id)
    return Response(status_code=204)
