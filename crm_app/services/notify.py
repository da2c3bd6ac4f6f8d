"""Notifications: how an alert reaches its owner outside the bell — e-mail and web push —
per the owner's preferences, and the browsers' push subscriptions.

The worker's tasks call ``send_alert_email`` and ``push_alert`` after the alert's transaction
committed (``services.alerts.set_delivery``); a transient failure raises (``MailError``,
``PushRetry``) so the task retries with backoff. A push service answering 404/410 means the
subscription is gone: it is deleted.

The VAPID key pair (RFC 8292) is generated once into the data directory
(``vapid_private.pem``, mode 0600) with ``py_vapid``; the private key is never logged. The
browser gets the public key as the ``applicationServerKey`` (base64url, uncompressed point).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from requests import RequestException
from sqlalchemy import delete
from sqlmodel import Session, select

from crm_app.i18n import t
from crm_app.models import (
    Alert,
    NotificationPreference,
    Organisation,
    PushSubscription,
    User,
    utcnow,
)
from crm_app.services import mailer
from crm_app.services import organisation as org_service
from crm_app.services.actors import Actor, needs_actor, person
from crm_app.services.errors import ValidationFailed
from crm_app.settings import get_settings

_log = logging.getLogger("crm.notify")

CHANNELS = ("in_app", "email", "push")
DEFAULTS = {"in_app": True, "email": False, "push": True}
KINDS = ("opportunity_idle", "task_overdue", "task_reminder", "quote_expiring",
         "lead_not_contacted", "quote_accepted", "quote_rejected", "big_deal_won", "rule")
MAX_SUBSCRIPTIONS = 10  # devices per user
MAX_FAILURES = 5  # refused pushes (4xx other than 404/410) before a subscription is dropped
PUSH_TTL = 24 * 3600
PUSH_TIMEOUT = 10
KEY_FILE = "vapid_private.pem"


class PushRetry(Exception):
    """The push service could not take the message now (5xx, 429, network): retry later."""


# --- VAPID -----------------------------------------------------------------------------------


def _key_path() -> Path:
    return get_settings().data_dir / KEY_FILE


def vapid() -> Vapid02:
    """The deployment's VAPID key pair, generated on first use (exclusive create, 0600)."""
    path = _key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = Vapid02()
        fresh.generate_keys()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(fresh.private_pem())
    return Vapid02.from_pem(path.read_bytes())


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_key() -> str:
    """The ``applicationServerKey`` browsers subscribe with (base64url, 65 bytes)."""
    point = vapid().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return _b64url(point)


def _unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


# --- preferences -----------------------------------------------------------------------------


def preferences_of(*, session: Session, user_id: int) -> dict[str, Any]:
    """{"in_app", "email", "push": bool, "kinds": {kind: {channel: bool}}} for a user."""
    rows = session.exec(select(NotificationPreference).where(
        NotificationPreference.user_id == user_id)).all()
    out: dict[str, Any] = dict(DEFAULTS)
    kinds: dict[str, dict[str, bool]] = {}
    for pref in rows:
        if pref.kind:
            kinds.setdefault(pref.kind, {})[pref.channel] = pref.enabled
        else:
            out[pref.channel] = pref.enabled
    out["kinds"] = kinds
    return out


def wants(*, session: Session, user_id: int, channel: str, kind: str) -> bool:
    prefs = preferences_of(session=session, user_id=user_id)
    return bool(prefs["kinds"].get(kind, {}).get(channel, prefs[channel]))


@needs_actor
def my_preferences(*, session: Session, actor: Actor) -> dict[str, Any]:
    me = person(actor)
    prefs = preferences_of(session=session, user_id=me.id)
    prefs["devices"] = len(session.exec(select(PushSubscription.id).where(
        PushSubscription.user_id == me.id)).all())
    return prefs


@needs_actor
def set_preferences(*, session: Session, actor: Actor,
                    data: Mapping[str, Any]) -> dict[str, Any]:
    """Change one's own channels: ``{"in_app"?, "email"?, "push"?: bool, "kinds"?: {kind:
    {channel: bool}}}``; unknown keys and non-booleans are field errors, nothing is written."""
    me = person(actor)
    errors: dict[str, str] = {}
    wanted: list[tuple[str, str, bool]] = []
    if not isinstance(data, Mapping):
        raise ValidationFailed({"body": t("alr.err.channel")})
    for key, value in data.items():
        if key == "kinds":
            if not isinstance(value, Mapping):
                errors["kinds"] = t("alr.err.kind")
                continue
            for kind, channels in value.items():
                if kind not in KINDS or not isinstance(channels, Mapping):
                    errors[f"kinds.{str(kind)[:40]}"] = t("alr.err.kind")
                    continue
                for channel, flag in channels.items():
                    if channel not in CHANNELS or not isinstance(flag, bool):
                        errors[f"kinds.{kind}.{str(channel)[:10]}"] = t("alr.err.channel")
                    else:
                        wanted.append((channel, kind, flag))
        elif key in CHANNELS:
            if not isinstance(value, bool):
                errors[key] = t("alr.err.bool")
            else:
                wanted.append((key, "", value))
        else:
            errors[str(key)[:40]] = t("alr.err.channel")
    if errors:
        raise ValidationFailed(errors)
    for channel, kind, flag in wanted:
        row = session.exec(select(NotificationPreference).where(
            NotificationPreference.user_id == me.id, NotificationPreference.channel == channel,
            NotificationPreference.kind == kind)).first()
        row = row or NotificationPreference(user_id=me.id, channel=channel, kind=kind)
        row.enabled = flag
        session.add(row)
    session.commit()
    return my_preferences(session=session, actor=actor)


# --- subscriptions ---------------------------------------------------------------------------


def _check_endpoint(endpoint: Any) -> str | None:
    """A push service's https URL on a public host name (the server POSTs to it: no IP
    literals, no localhost, so a subscription cannot aim the server at the intranet)."""
    if not isinstance(endpoint, str) or not 10 < len(endpoint) <= 1000:
        return None
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or "." not in host or host.endswith(".local") \
            or host == "localhost" or host.endswith(".localhost") or parts.username:
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        return endpoint


def _check_key(value: Any, size: int) -> str | None:
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        raw = _unb64url(value)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != size or (size == 65 and raw[0] != 4):
        return None
    return value


@needs_actor
def subscribe(*, session: Session, actor: Actor, data: Mapping[str, Any]) -> PushSubscription:
    """Save this browser's subscription (``PushSubscription.toJSON()``: endpoint + keys) for
    the user; the same endpoint again updates it (and moves it to whoever is signed in)."""
    me = person(actor)
    data = data if isinstance(data, Mapping) else {}
    keys = data.get("keys") if isinstance(data.get("keys"), Mapping) else {}
    errors: dict[str, str] = {}
    endpoint = _check_endpoint(data.get("endpoint"))
    if endpoint is None:
        errors["endpoint"] = t("alr.err.endpoint")
    p256dh = _check_key(keys.get("p256dh"), 65)
    if p256dh is None:
        errors["keys.p256dh"] = t("alr.err.key")
    auth = _check_key(keys.get("auth"), 16)
    if auth is None:
        errors["keys.auth"] = t("alr.err.key")
    if errors:
        raise ValidationFailed(errors)
    sub = session.exec(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint)).first()
    if sub is None:
        count = len(session.exec(select(PushSubscription.id).where(
            PushSubscription.user_id == me.id)).all())
        if count >= MAX_SUBSCRIPTIONS:
            raise ValidationFailed({"endpoint": t("alr.err.too_many")})
        sub = PushSubscription(user_id=me.id, endpoint=endpoint, p256dh=p256dh, auth=auth,
                               created_at=utcnow())
    sub.user_id, sub.p256dh, sub.auth, sub.failures = me.id, p256dh, auth, 0
    session.add(sub)
    session.commit()
    return sub


@needs_actor
def unsubscribe(*, session: Session, actor: Actor, endpoint: str) -> bool:
    me = person(actor)
    result = session.exec(delete(PushSubscription).where(
        PushSubscription.user_id == me.id, PushSubscription.endpoint == str(endpoint)[:1000]))
    session.commit()
    return bool(result.rowcount)


# --- delivery --------------------------------------------------------------------------------


def _deliverable(session: Session, alert_id: int, channel: str) -> tuple[Alert, User] | None:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.dismissed_at or alert.resolved_at or not alert.owner_id:
        return None
    owner = session.get(User, alert.owner_id)
    if owner is None or not owner.active:
        return None
    if not wants(session=session, user_id=owner.id, channel=channel, kind=alert.kind):
        return None
    return alert, owner


def _link(alert: Alert) -> str:
    from crm_app.services.alerts import row  # noqa: PLC0415 - alerts imports nothing of ours

    return get_settings().public_url.rstrip("/") + row(alert)["href"]


def send_alert_email(*, session: Session, alert_id: int) -> bool:
    """E-mail the alert to its owner if they want it; ``MailError`` (the task retries) when
    the SMTP server cannot take it. False when there is nothing to send."""
    found = _deliverable(session, alert_id, "email")
    if found is None:
        return False
    alert, owner = found
    mailer.send_email(
        to=[owner.email], subject=t("alr.mail.subject", message=alert.message),
        body=t("alr.mail.body", message=alert.message, reason=alert.reason or "-",
               url=_link(alert)),
        settings=org_service.mail_settings(session=session))
    return True


def subscriptions_for(*, session: Session, alert_id: int) -> list[int]:
    """The subscriptions an alert is pushed to (none when its owner does not want push)."""
    found = _deliverable(session, alert_id, "push")
    if found is None:
        return []
    return list(session.exec(select(PushSubscription.id).where(
        PushSubscription.user_id == found[1].id)).all())


def _claims(session: Session) -> dict[str, str]:
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    contact = (org.email if org and org.email else "") or get_settings().smtp_from or ""
    return {"sub": f"mailto:{contact}" if "@" in contact else "mailto:crm@example.invalid"}


def payload(alert: Alert) -> dict[str, Any]:
    """What the service worker shows: title, body (message + why), the record to open."""
    from crm_app.services.alerts import row  # noqa: PLC0415

    return {"title": t("alr.push.title"), "body": alert.message, "reason": alert.reason,
            "url": row(alert)["href"], "tag": f"alert-{alert.id}", "id": alert.id}


def push_alert(*, session: Session, alert_id: int, subscription_id: int) -> str:
    """Push one alert to one subscription: "sent", "gone" (404/410: deleted), "refused"
    (another 4xx; dropped after ``MAX_FAILURES``) or "skipped"; ``PushRetry`` on 5xx/429/
    network errors (the task retries with backoff)."""
    found = _deliverable(session, alert_id, "push")
    sub = session.get(PushSubscription, subscription_id)
    if found is None or sub is None or sub.user_id != found[1].id:
        return "skipped"
    info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
    try:
        webpush(info, data=json.dumps(payload(found[0])), vapid_private_key=vapid(),
                vapid_claims=_claims(session), ttl=PUSH_TTL, timeout=PUSH_TIMEOUT)
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            session.delete(sub)
            session.commit()
            return "gone"
        sub.failures += 1
        if status is not None and 400 <= status < 500 and status != 429:
            if sub.failures >= MAX_FAILURES:
                session.delete(sub)
            else:
                session.add(sub)
            session.commit()
            return "refused"
        session.add(sub)
        session.commit()
        raise PushRetry(f"push {status}") from None
    except RequestException as exc:
        sub.failures += 1
        session.add(sub)
        session.commit()
        raise PushRetry(type(exc).__name__) from None
    sub.last_ok_at, sub.failures = utcnow(), 0
    session.add(sub)
    session.commit()
    return "sent"


__all__ = ["CHANNELS", "DEFAULTS", "KINDS", "PushRetry", "my_preferences", "payload",
           "preferences_of", "public_key", "push_alert", "send_alert_email", "set_preferences",
           "subscribe", "subscriptions_for", "unsubscribe", "vapid", "wants"]
