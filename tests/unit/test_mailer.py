"""Sending quotes by email through a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sales_support as build
from smtp_inbox import Inbox, free_port, local_smtp
from sqlmodel import select

from crm_app.models import Activity, AuditEvent
from crm_app.services import contacts, mailer, quotes
from crm_app.services.errors import Conflict, DomainError, ValidationFailed


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, object]]:
    with local_smtp("Soluciones del Norte <ventas@norte.test>") as pair:
        yield pair


def test_send_email_with_attachment(smtp):
    inbox, settings = smtp
    mailer.send_email(to=["a@example.com", "b@example.com"], subject="Hola ñ",
                      body="Cuerpo con acentos: camión", reply_to="yo@norte.test",
                      attachments=[("f.pdf", b"%PDF-1.7 x", "application/pdf")],
                      settings=settings)
    [(rcpts, msg)] = inbox.messages
    assert rcpts == ["a@example.com", "b@example.com"]
    assert msg["Subject"] == "Hola ñ" and msg["Reply-To"] == "yo@norte.test"
    assert "camión" in msg.get_body(("plain",)).get_content()
    [part] = list(msg.iter_attachments())
    assert (part.get_filename(), part.get_content_type()) == ("f.pdf", "application/pdf")
    assert part.get_content() == b"%PDF-1.7 x"


def test_send_quote_delivers_the_pdf_and_logs_it(session, people, smtp):
    inbox, settings = smtp
    c1 = people.comercial1
    acc = build.account(session, c1, email="compras@cliente.es")
    eva = contacts.create_contact(session=session, actor=c1, data={
        "account_id": acc.id, "first_name": "Eva", "email": "eva@cliente.es"})
    opp = build.opportunity(session, c1, acc.id)
    q = build.quote(session, c1, acc.id, opportunity_id=opp.id, contact_id=eva.id)
    quotes.send_quote(session=session, actor=c1, quote_id=q.id, to=None, message="",
                      settings=settings)

    [(rcpts, msg)] = inbox.messages
    assert rcpts == ["eva@cliente.es"]  # the quote's contact by default
    assert msg["Subject"].startswith(f"Presupuesto {q.number}")
    assert msg["Reply-To"] == c1.email
    body = msg.get_body(("plain",)).get_content()
    assert body.startswith("Hola, Eva:") and q.valid_until.strftime("%d/%m/%Y") in body
    [pdf] = list(msg.iter_attachments())
    assert pdf.get_filename() == f"Presupuesto-{q.number}-v1.pdf"
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")

    session.refresh(q)
    assert q.status == "enviado" and q.sent_at is not None
    act = session.exec(select(Activity).where(Activity.kind == "email")).one()
    assert (act.account_id, act.opportunity_id, act.contact_id) == (acc.id, opp.id, eva.id)
    assert act.done_at == q.sent_at and "eva@cliente.es" in act.description
    session.refresh(opp)
    assert opp.last_activity_at == q.sent_at  # resets the "sin actividad" clock
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "send")).one()
    assert event.after["to"] == ["eva@cliente.es"]
    timeline = [e["title"] for e in quotes_timeline(session, c1, acc.id)]
    assert f"Correo: Presupuesto {q.number} v1 enviado" in timeline

    # Explicit recipients and message; a sent quote can be sent again
    quotes.send_quote(session=session, actor=c1, quote_id=q.id,
                      to=["Jefe@Cliente.es", "eva@cliente.es"], message="Aquí lo tienes.",
                      settings=settings)
    rcpts, msg = inbox.messages[-1]
    assert rcpts == ["jefe@cliente.es", "eva@cliente.es"]
    assert msg.get_body(("plain",)).get_content().strip() == "Aquí lo tienes."


def quotes_timeline(session, actor, account_id):
    from crm_app.services.accounts import account_360

    return account_360(session=session, actor=actor, account_id=account_id)["timeline"]


def test_send_quote_errors_leave_the_quote_untouched(session, people, smtp):
    _, settings = smtp
    c1 = people.comercial1
    acc = build.account(session, c1, email="")
    q = build.quote(session, c1, acc.id)
    with pytest.raises(ValidationFailed) as exc:
        quotes.send_quote(session=session, actor=c1, quote_id=q.id, settings=settings)
    assert "to" in exc.value.errors
    with pytest.raises(ValidationFailed):
        quotes.send_quote(session=session, actor=c1, quote_id=q.id, to=["no-es-correo"],
                          settings=settings)
    down = settings.model_copy(update={"smtp_port": free_port()})
    with pytest.raises(DomainError) as exc:
        quotes.send_quote(session=session, actor=c1, quote_id=q.id, to=["x@cliente.es"],
                          settings=down)
    assert "No se pudo enviar el correo" in exc.value.message
    session.refresh(q)
    assert q.status == "borrador" and q.sent_at is None
    assert session.exec(select(Activity)).all() == []
    quotes.reject_quote(session=session, actor=c1, quote_id=q.id)
    with pytest.raises(Conflict):
        quotes.send_quote(session=session, actor=c1, quote_id=q.id, to=["x@cliente.es"],
                          settings=settings)


def test_starttls_required_but_not_offered_is_a_clear_error(smtp):
    _, settings = smtp
    with pytest.raises(mailer.MailError):
        mailer.send_email(to=["a@example.com"], subject="s", body="b",
                          settings=settings.model_copy(update={"smtp_starttls": True}))
