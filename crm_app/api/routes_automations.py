"""/api/v1/automations: Ajustes → Automatizaciones over HTTP (issue 13), thin over
``services.automation``. Admins only (``automations.manage``); others 403.

``GET``/``POST /api/v1/automations``, ``GET``/``PATCH``/``DELETE /api/v1/automations/{id}``,
``POST /api/v1/automations/{id}/simulate`` (writes nothing) and ``GET
/api/v1/automations/runs`` (the execution log, paged). An unknown trigger, entity, field,
operator or action is a 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from crm_app.api.deps import DBSession
from crm_app.api.deps import requires as _requires
from crm_app.api.paging import Paging, listing
from crm_app.models import User
from crm_app.models.bounds import Id
from crm_app.models.schemas_automations import (
    AutomationCreate,
    AutomationPublic,
    AutomationRunsPublic,
    AutomationSimulate,
    AutomationSimulationPublic,
    AutomationsPublic,
    AutomationUpdate,
)
from crm_app.permissions import Perm
from crm_app.services import automation

router = APIRouter(prefix="/api/v1/automations", tags=["automatizaciones"])

IS_ADMIN = _requires(Perm.AUTOMATIONS_MANAGE)
Pages = Annotated[Paging, Depends()]


@router.get("", response_model=AutomationsPublic)
def list_automations(session: DBSession, user: User = IS_ADMIN) -> dict:
    rules = automation.list_rules(session=session, actor=user)
    return listing([automation.rule_dict(r) for r in rules], len(rules))


@router.post("", status_code=201, response_model=AutomationPublic)
def create_automation(body: AutomationCreate, session: DBSession,
                      user: User = IS_ADMIN) -> Any:
    rule = automation.create_rule(session=session, actor=user,
                                  data=body.model_dump(exclude_unset=True))
    return automation.rule_dict(rule)


@router.get("/runs", response_model=AutomationRunsPublic)
def list_runs(session: DBSession, paging: Pages, user: User = IS_ADMIN,
              rule_id: Annotated[Id | None, Query(description="Solo esta regla.")] = None
              ) -> dict:
    """The execution log, newest first: rule, record, what it did, when."""
    rows, total = automation.list_runs(session=session, actor=user, rule_id=rule_id,
                                       offset=paging.offset, limit=paging.limit)
    return listing(rows, total)


@router.get("/{rule_id}", response_model=AutomationPublic)
def read_automation(rule_id: Id, session: DBSession, user: User = IS_ADMIN) -> Any:
    return automation.rule_dict(automation.get_rule(session=session, actor=user,
                                                    rule_id=rule_id))


@router.patch("/{rule_id}", response_model=AutomationPublic)
def update_automation(rule_id: Id, body: AutomationUpdate, session: DBSession,
                      user: User = IS_ADMIN) -> Any:
    rule = automation.update_rule(session=session, actor=user, rule_id=rule_id,
                                  data=body.model_dump(exclude_unset=True))
    return automation.rule_dict(rule)


@router.delete("/{rule_id}", status_code=204)
def delete_automation(rule_id: Id, session: DBSession, user: User = IS_ADMIN) -> Response:
    automation.delete_rule(session=session, actor=user, rule_id=rule_id)
    return Response(status_code=204)


@router.post("/{rule_id}/simulate", response_model=AutomationSimulationPublic)
def simulate_automation(rule_id: Id, session: DBSession, user: User = IS_ADMIN,
                        body: AutomationSimulate | None = None) -> Any:
    """What the saved rule would do with the data of now (time rules) or over the last
    ``last_n`` records (event rules); nothing is written."""
    rule = automation.get_rule(session=session, actor=user, rule_id=rule_id)
    return automation.simulate(session=session, actor=user, rule=automation.rule_dict(rule),
                               last_n=(body or AutomationSimulate()).last_n)
