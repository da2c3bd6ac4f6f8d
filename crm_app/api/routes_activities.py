"""/api/v1/activities: log calls, meetings, e-mails and notes, create and work through tasks
(issue 13), thin over ``services.activities`` (which scopes every row and link).

``POST`` answers 201 with the activity (``status`` ``open``/``done``); ``PATCH`` takes
``done``, ``due_at``, ``owner_id``…; ``GET`` lists with ``status=open|overdue|today|done``
(also ``upcoming``/``done_today``: the other tabs of /tareas), ``owner=me|<id>``, the record
ids and ``from``/``to`` (due date; done date for done ones) as ``{data, count}``. A record
out of the caller's scope is a 404, a bad field a 422 naming it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from crm_app.api.deps import DBSession
from crm_app.api.deps import requires as _requires
from crm_app.api.paging import Paging, listing
from crm_app.i18n import t
from crm_app.models import Activity, User
from crm_app.models.bounds import Id, Moment
from crm_app.models.schemas_activities import (
    ActivitiesPublic,
    ActivityCreate,
    ActivityPublic,
    ActivityUpdate,
)
from crm_app.permissions import Perm
from crm_app.services import activities as activity_service
from crm_app.services.errors import ValidationFailed

router = APIRouter(prefix="/api/v1/activities", tags=["actividades"])

CAN_VIEW = _requires(Perm.RECORDS_VIEW)
CAN_CHANGE = _requires(Perm.RECORDS_CHANGE)
CAN_DELETE = _requires(Perm.RECORDS_DELETE)
Pages = Annotated[Paging, Depends()]
Status = Literal["open", "overdue", "today", "done", "upcoming", "done_today"]


def public(activity: Activity) -> dict[str, Any]:
    """The answer of one activity: its columns, ``notes`` and ``status``."""
    data = activity.model_dump()
    data["notes"] = data.pop("description", "")
    data["status"] = activity_service.status_of(activity)
    return data


def _owner(owner: str, user: User) -> int | None:
    """``owner=me`` is the caller; a number a user id; blank no filter."""
    text = owner.strip()
    if not text:
        return None
    if text == "me":
        return user.id
    if text.isascii() and text.isdigit() and 0 < len(text) <= 10 and 0 < int(text) < 2**31:
        return int(text)
    raise ValidationFailed({"owner": t("act.err.filter")})


@router.get("", response_model=ActivitiesPublic)
def list_activities(session: DBSession, paging: Pages, user: User = CAN_VIEW,
                    status: Status | None = None,
                    owner: Annotated[str, Query(max_length=12)] = "",
                    lead_id: Id | None = None, account_id: Id | None = None,
                    contact_id: Id | None = None, opportunity_id: Id | None = None,
                    quote_id: Id | None = None,
                    date_from: Annotated[Moment | None, Query(alias="from")] = None,
                    date_to: Annotated[Moment | None, Query(alias="to")] = None) -> dict:
    """Activities in the caller's scope, open ones by due date, done ones newest first."""
    page = activity_service.list_activities(
        session=session, actor=user, status=status or "", owner_id=_owner(owner, user),
        lead_id=lead_id, account_id=account_id, contact_id=contact_id,
        opportunity_id=opportunity_id, quote_id=quote_id, date_from=date_from,
        date_to=date_to, offset=paging.offset, limit=paging.limit)
    return listing([public(a) for a in page.items], page.total)


@router.post("", status_code=201, response_model=ActivityPublic)
def create_activity(body: ActivityCreate, session: DBSession, user: User = CAN_CHANGE) -> Any:
    activity = activity_service.create_activity(session=session, actor=user,
                                                data=body.model_dump(exclude_unset=True))
    return public(activity)


@router.get("/{activity_id}", response_model=ActivityPublic)
def read_activity(activity_id: Id, session: DBSession, user: User = CAN_VIEW) -> Any:
    return public(activity_service.get_activity(session=session, actor=user,
                                                activity_id=activity_id))


@router.patch("/{activity_id}", response_model=ActivityPublic)
def update_activity(activity_id: Id, body: ActivityUpdate, session: DBSession,
                    user: User = CAN_CHANGE) -> Any:
    return public(activity_service.update_activity(
        session=session, actor=user, activity_id=activity_id,
        data=body.model_dump(exclude_unset=True)))


@router.delete("/{activity_id}", response_model=ActivityPublic)
def delete_activity(activity_id: Id, session: DBSession, user: User = CAN_DELETE) -> Any:
    """To the recycle bin."""
    return public(activity_service.delete_activity(session=session, actor=user,
                                                   activity_id=activity_id))
