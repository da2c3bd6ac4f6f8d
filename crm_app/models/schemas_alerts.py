"""API shapes of the alerts, notification preferences and push subscriptions (issue 13)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from crm_app.models.bounds import Line
from crm_app.models.schema_config import body, public

Key = Annotated[str, Field(max_length=200)]
Endpoint = Annotated[str, Field(max_length=1000)]
Threshold = Annotated[int, Field(ge=1, le=100_000_000)]


class AlertRecordPublic(BaseModel):
    model_config = public()
    entity: Literal["lead", "account", "contact", "opportunity", "quote", "activity"]
    id: int
    href: str


class AlertPublic(BaseModel):
    """One alert: its level, what it says, why it fired and the record it links."""

    model_config = public()
    id: int
    kind: str
    level: Literal["info", "warning", "critical"]
    message: str
    reason: str
    source: str
    record: AlertRecordPublic | None
    created_at: datetime
    read_at: datetime | None
    dismissed_at: datetime | None


class AlertsPublic(BaseModel):
    data: list[AlertPublic]
    count: int


class AlertsReadPublic(BaseModel):
    model_config = public()
    marked: int


class AlertSettingsPublic(BaseModel):
    """Ajustes → Alertas: the built-in checks' switches and thresholds."""

    model_config = public()
    idle: bool
    task_overdue: bool
    quote_expiring: bool
    lead_not_contacted: bool
    quote_decided: bool
    big_deal: bool
    quote_expiring_days: int
    lead_not_contacted_hours: int
    big_deal_amount: int


class AlertSettingsUpdate(BaseModel):
    """The switches/thresholds to change (the others stay)."""

    model_config = body({"task_overdue": True, "quote_expiring_days": 5,
                         "big_deal_amount": 30000})
    idle: bool | None = None
    task_overdue: bool | None = None
    quote_expiring: bool | None = None
    lead_not_contacted: bool | None = None
    quote_decided: bool | None = None
    big_deal: bool | None = None
    quote_expiring_days: Annotated[int, Field(ge=1, le=60)] | None = None
    lead_not_contacted_hours: Annotated[int, Field(ge=1, le=720)] | None = None
    big_deal_amount: Threshold | None = None


Channels = dict[Literal["in_app", "email", "push"], bool]


class NotificationPreferencesPublic(BaseModel):
    model_config = public()
    in_app: bool
    email: bool
    push: bool
    kinds: dict[str, dict[str, bool]]
    devices: int


class NotificationPreferencesUpdate(BaseModel):
    """One's own channels; ``kinds`` overrides them per alert kind."""

    model_config = body({"in_app": True, "email": False, "push": True,
                         "kinds": {"task_overdue": {"email": True}}})
    in_app: bool | None = None
    email: bool | None = None
    push: bool | None = None
    kinds: dict[Annotated[str, Field(max_length=40)], Channels] | None = Field(
        default=None, max_length=20)


class PushKeys(BaseModel):
    model_config = body()
    p256dh: Key
    auth: Key


class PushSubscriptionCreate(BaseModel):
    """A browser's ``PushSubscription.toJSON()`` (``expirationTime`` is ignored)."""

    model_config = body({"endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
                         "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUb"
                                            "VlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                                  "auth": "tBHItJI5svbpez7KI4CCXg"}})
    endpoint: Endpoint
    keys: PushKeys
    # the browser's own key (camelCase), in ms since the epoch
    expirationTime: int | None = Field(default=None, ge=0, le=2**53)  # noqa: N815


class PushSubscriptionPublic(BaseModel):
    model_config = public()
    id: int
    endpoint: str
    created_at: datetime


class PushPublicKeyPublic(BaseModel):
    model_config = public()
    public_key: Line


__all__ = ["AlertPublic", "AlertSettingsPublic", "AlertSettingsUpdate", "AlertsPublic",
           "AlertsReadPublic", "NotificationPreferencesPublic", "NotificationPreferencesUpdate",
           "PushPublicKeyPublic", "PushSubscriptionCreate", "PushSubscriptionPublic"]
