"""Notifications (issue 13): preferences, push subscriptions, and delivery — a web push to a
REAL local HTTP endpoint, decrypted here with the subscription's private key (RFC 8291), a
410 that deletes the subscription, and an e-mail that reaches a local SMTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import http_ece
import pytest
from push_service import PushService, b64url, browser_keys
from smtp_inbox import local_smtp
from sqlmodel import select

from crm_app.models import Organisation, PushSubscription
from crm_app.services import alerts, leads, notify
from crm_app.services.errors import ValidationFailed


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with PushService() as service:
        yield service


@pytest.fixture(autouse=True)
def _vapid_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(notify, "_key_path", lambda: tmp_path / "vapid_private.pem")


def _alert(session, user, key="k"):
    lead = leads.create_lead(session=session, actor=user, data={
        "first_name": "Ana", "company": "Ana S.L.", "email": "ana@example.com"})
    assert lead.id == 1
    alert = alerts.raise_alert(session=session, owner_id=user.id, kind="task_overdue",
                               level="warning", message="Tarea vencida: Llamar a Ana",
                               reason="Vencía el 01/12/2026.", record=("lead", lead.id),
                               source="builtin:task_overdue", dedup_key=key)
    session.commit()
    return alert


def test_preferences_defaults_overrides_and_errors(session, people):
    me = people.comercial1
    assert notify.my_preferences(session=session, actor=me) == {
        "in_app": True, "email": False, "push": True, "kinds": {}, "devices": 0}
    saved = notify.set_preferences(session=session, actor=me, data={
        "email": True, "kinds": {"task_overdue": {"email": False, "push": False}}})
    assert saved["email"] is True and saved["kinds"] == {
        "task_overdue": {"email": False, "push": False}}
    assert notify.wants(session=session, user_id=me.id, channel="email", kind="big_deal_won")
    assert not notify.wants(session=session, user_id=me.id, channel="email",
                            kind="task_overdue")
    with pytest.raises(ValidationFailed) as err:
        notify.set_preferences(session=session, actor=me, data={
            "push": "yes", "sms": True, "kinds": {"nope": {"email": True},
                                                   "rule": {"fax": True}}})
    assert set(err.value.errors) == {"push", "sms", "kinds.nope", "kinds.rule.fax"}
    assert notify.preferences_of(session=session, user_id=me.id)["push"] is True


def test_subscribe_checks_the_endpoint_and_keys(session, people):
    _priv, p256dh, auth = browser_keys()
    good = {"endpoint": "https://fcm.googleapis.com/fcm/send/x1", "keys": {
        "p256dh": p256dh, "auth": b64url(auth)}}
    sub = notify.subscribe(session=session, actor=people.comercial1, data=good)
    again = notify.subscribe(session=session, actor=people.comercial2, data=good)
    assert again.id == sub.id and again.user_id == people.comercial2.id  # moved, not copied
    for endpoint in ("http://fcm.googleapis.com/x", "https://127.0.0.1/x", "https://[::1]/x",
                     "https://localhost/x", "https://intranet/x", "ftp://a.b/c",
                     "https://u:p@push.example.com/x"):
        with pytest.raises(ValidationFailed) as err:
            notify.subscribe(session=session, actor=people.comercial1,
                             data={**good, "endpoint": endpoint})
        assert set(err.value.errors) == {"endpoint"}, endpoint
    with pytest.raises(ValidationFailed) as err:
        notify.subscribe(session=session, actor=people.comercial1, data={
            "endpoint": good["endpoint"], "keys": {"p256dh": b64url(b"\x05" * 65),
                                                   "auth": "***"}})
    assert set(err.value.errors) == {"keys.p256dh", "keys.auth"}
    assert notify.unsubscribe(session=session, actor=people.comercial1,
                              endpoint=good["endpoint"]) is False  # not theirs now
    assert notify.unsubscribe(session=session, actor=people.comercial2,
                              endpoint=good["endpoint"]) is True


def test_push_reaches_a_local_endpoint_encrypted_and_410_deletes(session, people,
                                                                 push_service):
    private, p256dh, auth = browser_keys()
    sub = PushSubscription(user_id=people.comercial1.id, endpoint=push_service.url,
                           p256dh=p256dh, auth=b64url(auth), created_at=alerts.utcnow())
    session.add(sub)
    session.commit()
    alert = _alert(session, people.comercial1)
    assert notify.subscriptions_for(session=session, alert_id=alert.id) == [sub.id]
    assert notify.push_alert(session=session, alert_id=alert.id,
                             subscription_id=sub.id) == "sent"
    headers, body = push_service.received[-1]
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
    assert headers["authorization"].startswith("vapid t=")
    assert f"k={notify.public_key()}" in headers["authorization"]
    clear = http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
    message = json.loads(clear)
    assert message["body"] == "Tarea vencida: Llamar a Ana"
    assert message["reason"] == "Vencía el 01/12/2026." and message["url"] == "/leads/1"
    assert session.get(PushSubscription, sub.id).last_ok_at is not None
    # a 5xx is retried (the task's backoff), a 410 deletes the subscription
    push_service.status = 503
    with pytest.raises(notify.PushRetry):
        notify.push_alert(session=session, alert_id=alert.id, subscription_id=sub.id)
    assert session.get(PushSubscription, sub.id).failures == 1
    push_service.status = 410
    assert notify.push_alert(session=session, alert_id=alert.id,
                             subscription_id=sub.id) == "gone"
    assert session.exec(select(PushSubscription)).all() == []
    # push switched off: nothing to push to
    notify.set_preferences(session=session, actor=people.comercial1, data={"push": False})
    assert notify.subscriptions_for(session=session, alert_id=alert.id) == []


def test_email_goes_through_the_company_smtp_when_wanted(session, people):
    with local_smtp("CRM <crm@demo.test>") as (inbox, smtp):
        org = session.exec(select(Organisation)).first()
        org.smtp_host, org.smtp_port, org.smtp_starttls = smtp.smtp_host, smtp.smtp_port, False
        org.smtp_from = "CRM <crm@demo.test>"
        session.add(org)
        session.commit()
        alert = _alert(session, people.comercial1)
        assert notify.send_alert_email(session=session, alert_id=alert.id) is False  # off
        notify.set_preferences(session=session, actor=people.comercial1, data={"email": True})
        assert notify.send_alert_email(session=session, alert_id=alert.id) is True
        [(to, msg)] = inbox.messages
        assert to == [people.comercial1.email]
        assert msg["Subject"] == "[CRM] Tarea vencida: Llamar a Ana"
        text = msg.get_content()
        assert "Por qué: Vencía el 01/12/2026." in text and text.strip().endswith("/leads/1")
        alerts.dismiss(session=session, actor=people.comercial1, alert_id=alert.id)
        assert notify.send_alert_email(session=session, alert_id=alert.id) is False
