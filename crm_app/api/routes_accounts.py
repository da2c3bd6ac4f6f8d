"""/api/v1/accounts and /api/v1/contacts: thin wrappers over the services (which scope rows).

Lists follow the one API convention (``paging``): ``?page=&page_size=`` in, ``{"data",
"count"}`` out.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from crm_app.api.deps import DBSession
from crm_app.api.deps import requires as _requires
from crm_app.api.field_errors import plain
from crm_app.api.paging import Paging, listing
from crm_app.models import User
from crm_app.models.bounds import Id, Line
from crm_app.models.schemas_sales import (
    AccountCreate,
    AccountPublic,
    AccountsPublic,
    AccountUpdate,
    ContactCreate,
    ContactPublic,
    ContactsPublic,
    ContactUpdate,
)
from crm_app.permissions import Perm
from crm_app.services import accounts as account_service
from crm_app.services import contacts as contact_service

router = APIRouter(prefix="/api/v1", tags=["clientes"])

CAN_VIEW = _requires(Perm.RECORDS_VIEW)
# The customer's record, read-only, is fiscal data every role reads (the asesor too); its
# 360° file (contacts, timeline, deals) and the contacts are commercial records.
CAN_READ_FISCAL = _requires(Perm.FISCAL_VIEW)
CAN_CHANGE = _requires(Perm.RECORDS_CHANGE)
CAN_DELETE = _requires(Perm.RECORDS_DELETE)
Pages = Annotated[Paging, Depends()]


# --- accounts ---------------------------------------------------------------------------------


@router.get("/accounts", response_model=AccountsPublic)
def list_accounts(session: DBSession, paging: Pages, user: User = CAN_READ_FISCAL, q: Line = "",
                  province: Line = "", sector: Line = "", size_band: Line = "",
                  channel: Line = "", owner_id: Id | None = None, team_id: Id | None = None,
                  recargo_equivalencia: bool | None = None, deleted: bool = False,
                  sort: Line = "name") -> dict:
    """Customers in the caller's scope; ``sort`` is a field, ``-field`` for descending."""
    page = account_service.list_accounts(
        session=session, actor=user, q=q, province=province, sector=sector,
        size_band=size_band, channel=channel, owner_id=owner_id, team_id=team_id,
        recargo_equivalencia=recargo_equivalencia, deleted=deleted, sort=sort,
        offset=paging.offset, limit=paging.limit)
    return listing(page.items, page.total)


@router.post("/accounts", status_code=201, response_model=AccountPublic)
def create_account(body: AccountCreate, session: DBSession, user: User = CAN_CHANGE) -> Any:
    return account_service.create_account(session=session, actor=user,
                                          data=body.model_dump(exclude_unset=True))


@router.get("/accounts/{account_id}", response_model=AccountPublic)
def read_account(account_id: Id, session: DBSession, user: User = CAN_READ_FISCAL) -> Any:
    return account_service.get_account(session=session, actor=user, account_id=account_id)


@router.patch("/accounts/{account_id}", response_model=AccountPublic)
def update_account(account_id: Id, body: AccountUpdate, session: DBSession,
                   user: User = CAN_CHANGE) -> Any:
    return account_service.update_account(session=session, actor=user, account_id=account_id,
                                          data=body.model_dump(exclude_unset=True))


@router.delete("/accounts/{account_id}", response_model=AccountPublic)
def delete_account(account_id: Id, session: DBSession, user: User = CAN_DELETE) -> Any:
    """To the recycle bin (``POST …/restore`` brings it back)."""
    return account_service.delete_account(session=session, actor=user, account_id=account_id)


@router.post("/accounts/{account_id}/restore", response_model=AccountPublic)
def restore_account(account_id: Id, session: DBSession, user: User = CAN_DELETE) -> Any:
    return account_service.restore_account(session=session, actor=user, account_id=account_id)


@router.get("/accounts/{account_id}/360")
def account_360(account_id: Id, session: DBSession, user: User = CAN_VIEW) -> JSONResponse:
    """The customer file: data, contacts, timeline, opportunities, quotes, purchases…"""
    data = account_service.account_360(session=session, actor=user, account_id=account_id)
    data["account"] = AccountPublic.model_validate(data["account"])
    return JSONResponse(plain(data))


# --- contacts ---------------------------------------------------------------------------------


@router.get("/contacts", response_model=ContactsPublic)
def list_contacts(session: DBSession, paging: Pages, user: User = CAN_VIEW, q: Line = "",
                  account_id: Id | None = None, province: Line = "", sector: Line = "",
                  size_band: Line = "", channel: Line = "", owner_id: Id | None = None,
                  team_id: Id | None = None, deleted: bool = False,
                  sort: Line = "name") -> dict:
    page = contact_service.list_contacts(
        session=session, actor=user, q=q, account_id=account_id, province=province,
        sector=sector, size_band=size_band, channel=channel, owner_id=owner_id,
        team_id=team_id, deleted=deleted, sort=sort, offset=paging.offset, limit=paging.limit)
    return listing(page.items, page.total)


@router.post("/contacts", status_code=201, response_model=ContactPublic)
def create_contact(body: ContactCreate, session: DBSession, user: User = CAN_CHANGE) -> Any:
    return contact_service.create_contact(session=session, actor=user,
                                          data=body.model_dump(exclude_unset=True))


@router.get("/contacts/{contact_id}", response_model=ContactPublic)
def read_contact(contact_id: Id, session: DBSession, user: User = CAN_VIEW) -> Any:
    return contact_service.get_contact(session=session, actor=user, contact_id=contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactPublic)
def update_contact(contact_id: Id, body: ContactUpdate, session: DBSession,
                   user: User = CAN_CHANGE) -> Any:
    return contact_service.update_contact(session=session, actor=user, contact_id=contact_id,
                                          data=body.model_dump(exclude_unset=True))


@router.delete("/contacts/{contact_id}", response_model=ContactPublic)
def delete_contact(contact_id: Id, session: DBSession, user: User = CAN_DELETE) -> Any:
    return contact_service.delete_contact(session=session, actor=user, contact_id=contact_id)


@router.post("/contacts/{contact_id}/restore", response_model=ContactPublic)
def restore_contact(contact_id: Id, session: DBSession, user: User = CAN_DELETE) -> Any:
    return contact_service.restore_contact(session=session, actor=user, contact_id=contact_id)
