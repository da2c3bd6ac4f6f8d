"""/api/v1/alerts, /api/v1/alert-settings and /api/v1/me/{notification-preferences,
push-subscriptions,push-public-key}: thin over ``services.alerts`` and ``services.notify``.

Every signed-in user reads and marks their own alerts (another's is a 404, like a record out
of scope); the built-in alerts' settings are for admins.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from crm_app.api.deps import CurrentUser, DBSession
from crm_app.api.deps import requires as _requires
from crm_app.api.paging import Paging, listing
from crm_app.models import User
from crm_app.models.bounds import Id
from crm_app.models.schemas_alerts import (
    AlertPublic,
    AlertSettingsPublic,
    AlertSettingsUpdate,
    AlertsPublic,
    AlertsReadPublic,
    NotificationPreferencesPublic,
    NotificationPreferencesUpdate,
    PushPublicKeyPublic,
    PushSubscriptionCreate,
    PushSubscriptionPublic,
)
from crm_app.permissions import Perm
from crm_app.services import alerts as alert_service
from crm_app.services import notify

router = APIRouter(prefix="/api/v1", tags=["alertas"])
IS_ADMIN = _requires(Perm.SETTINGS_CHANGE)
Pages = Annotated[Paging, Depends()]


@router.get("/alerts", response_model=AlertsPublic)
def list_alerts(session: DBSession, paging: Pages, user: CurrentUser,
                unread: bool = False) -> dict:
    """The caller's open alerts, newest first (``unread=true``: not read yet); each with its
    level, message, reason (why it fired), record link, created_at and read_at."""
    rows, total = alert_service.list_alerts(session=session, actor=user, unread=unread,
                                            offset=paging.offset, limit=paging.limit)
    return listing([alert_service.public(a) for a in rows], total)


@router.post("/alerts/read-all", response_model=AlertsReadPublic)
def read_all_alerts(session: DBSession, user: CurrentUser) -> Any:
    return {"marked": alert_service.mark_all_read(session=session, actor=user)}


@router.post("/alerts/{alert_id}/read", response_model=AlertPublic)
def read_alert(alert_id: Id, session: DBSession, user: CurrentUser) -> Any:
    return alert_service.public(alert_service.mark_read(session=session, actor=user,
                                                        alert_id=alert_id))


@router.post("/alerts/{alert_id}/dismiss", response_model=AlertPublic)
def dismiss_alert(alert_id: Id, session: DBSession, user: CurrentUser) -> Any:
    return alert_service.public(alert_service.dismiss(session=session, actor=user,
                                                      alert_id=alert_id))


@router.get("/alert-settings", response_model=AlertSettingsPublic)
def read_alert_settings(session: DBSession, user: User = IS_ADMIN) -> Any:
    return alert_service.alert_settings(session=session)


@router.patch("/alert-settings", response_model=AlertSettingsPublic)
def update_alert_settings(body: AlertSettingsUpdate, session: DBSession,
                          user: User = IS_ADMIN) -> Any:
    return alert_service.update_alert_settings(
        session=session, actor=user, data=body.model_dump(exclude_none=True))


@router.get("/me/notification-preferences", response_model=NotificationPreferencesPublic)
def read_preferences(session: DBSession, user: CurrentUser) -> Any:
    return notify.my_preferences(session=session, actor=user)


@router.patch("/me/notification-preferences", response_model=NotificationPreferencesPublic)
def update_preferences(body: NotificationPreferencesUpdate, session: DBSession,
                       user: CurrentUser) -> Any:
    return notify.set_preferences(session=session, actor=user,
                                  data=body.model_dump(exclude_none=True))


@router.get("/me/push-public-key", response_model=PushPublicKeyPublic)
def push_public_key(user: CurrentUser) -> Any:
    """The VAPID public key (``applicationServerKey``) to subscribe this browser with."""
    return {"public_key": notify.public_key()}


@router.post("/me/push-subscriptions", status_code=201, response_model=PushSubscriptionPublic)
def subscribe_push(body: PushSubscriptionCreate, session: DBSession,
                   user: CurrentUser) -> Any:
    """Save this browser's push subscription for the caller (the same endpoint updates)."""
    return notify.subscribe(session=session, actor=user, data=body.model_dump())


@router.delete("/me/push-subscriptions", status_code=204)
def unsubscribe_push(session: DBSession, user: CurrentUser,
                     endpoint: Annotated[str, Query(max_length=1000)]) -> Response:
    """Forget one of the caller's subscriptions (by its endpoint); 204 either way."""
    notify.unsubscribe(session=session, actor=user, endpoint=endpoint)
    return Response(status_code=204)
