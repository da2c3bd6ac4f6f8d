"""Lead conversion: lead -> account (matched or new) + contact (+ an opportunity).

Matching an existing account instead of duplicating it, in this order:

1. ``account_id`` given by the user (must be visible to the actor: ``links.visible``);
2. the same NIF;
3. the same email domain, on the account's email or website; public mailbox domains
   (gmail.com, hotmail.com, yahoo.es, outlook.com, icloud.com, telefonica.net…) never match.

Matching reads through ``restrict``: a comercial matches only accounts they can see. When the
only match belongs to someone out of the actor's scope, conversion stops with ``Conflict``
(rather than silently creating a duplicate customer or attaching a contact to a record the
actor cannot see) and names neither the account nor its owner.

The lead's activities and documents follow it to the account/contact/opportunity (they keep
``lead_id`` too, so the lead's timeline still shows them); the lead becomes ``convertido``
with ``converted_*`` ids, and the new account and contact point back with ``lead_id``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from crm_app.models import (
    Account,
    Activity,
    Contact,
    Document,
    Lead,
    LeadStatus,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
    utcnow,
)
from crm_app.permissions import Action, restrict
from crm_app.services import audit, personal_data
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.custom_fields import active_defs, parse_decimal
from crm_app.services.defaults import ensure_default_pipeline
from crm_app.services.errors import Conflict, ValidationFailed
from crm_app.services.leads import full_name, get_lead
from crm_app.services.links import required
from crm_app.services.normalize import email_domain
from crm_app.services.search import contains, ends_with

PUBLIC_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.es", "outlook.com", "outlook.es",
    "live.com", "live.es", "msn.com", "yahoo.com", "yahoo.es", "ymail.com", "icloud.com",
    "me.com", "mac.com", "aol.com", "gmx.com", "gmx.es", "protonmail.com", "proton.me",
    "telefonica.net", "movistar.es", "orange.es", "vodafone.es", "terra.es", "ono.com",
    "wanadoo.es", "mail.com", "yandex.com", "zoho.com",
})

OUT_OF_SCOPE = ("Ya existe un cliente con el mismo {what} asignado a otra persona. "
                "Pide a tu responsable que convierta este lead o que te dé acceso al cliente.")


def is_public_domain(domain: str) -> bool:
    return domain.lower().strip() in PUBLIC_EMAIL_DOMAINS


def _match_clauses(lead: Lead) -> list[tuple[str, Any]]:
    clauses: list[tuple[str, Any]] = []
    if lead.nif:
        clauses.append(("NIF", Account.nif == lead.nif))
    domain = email_domain(lead.email)
    if domain and not is_public_domain(domain):
        clauses.append(("dominio de correo", or_(
            ends_with(func.lower(Account.email), f"@{domain}"),
            contains(func.lower(Account.website), f"://{domain}"),
            contains(func.lower(Account.website), f"www.{domain}"),
            func.lower(Account.website) == domain,
        )))
    return clauses


@needs_actor
def match_account(*, session: Session, actor: Actor, lead: Lead) -> Account | None:
    """The existing account this lead belongs to, by NIF then email domain (see module doc).
    Raises ``Conflict`` when the only match is outside the actor's scope."""
    for what, clause in _match_clauses(lead):
        base = select(Account).where(Account.deleted_at.is_(None)).where(clause)
        found = session.exec(restrict(base, actor, Action.VIEW)
                             .order_by(Account.id).limit(1)).first()
        if found is not None:
            return found
        exists = session.exec(select(Account.id).where(Account.deleted_at.is_(None))
                              .where(clause).limit(1)).first()
        if exists is not None:
            raise Conflict(OUT_OF_SCOPE.format(what=what))
    return None


def _first_open_stage(session: Session, actor: Actor, pipeline_id: int | None
                      ) -> tuple[Pipeline, Stage]:
    if pipeline_id is not None:
        pipeline = required(session, actor, Pipeline, pipeline_id, field="pipeline_id")
    else:
        pipeline = ensure_default_pipeline(session=session)
    stage = session.exec(select(Stage).where(Stage.pipeline_id == pipeline.id)
                         .where(Stage.kind == StageKind.OPEN)
                         .order_by(Stage.position, Stage.id)).first()
    if stage is None:
        raise ValidationFailed({"pipeline_id": "El embudo no tiene etapas abiertas."})
    return pipeline, stage


def _amount(value: Any) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        number = parse_decimal(value)
    except ValueError:
        raise ValidationFailed({"amount": "Importe no válido."}) from None
    if number < 0:
        raise ValidationFailed({"amount": "El importe no puede ser negativo."})
    if number >= Decimal("1e12"):
        raise ValidationFailed({"amount": "Importe demasiado grande."})
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _carry_custom(session: Session, entity: str, values: dict) -> dict:
    """Custom values whose key is also defined (active) for ``entity``."""
    if not values:
        return {}
    keys = set(active_defs(session=session, entity=entity))
    return {k: v for k, v in values.items() if k in keys}


@needs_actor
def convert_lead(*, session: Session, actor: Actor, lead_id: int,
                 create_opportunity: bool = False, pipeline_id: int | None = None,
                 opportunity_name: str | None = None, amount: Any = None,
                 account_id: int | None = None) -> dict:
    """Convert a lead; returns ``{"lead_id", "account_id", "account_matched", "contact_id",
    "opportunity_id"}``. One transaction: everything or nothing."""
    lead = get_lead(session=session, actor=actor, lead_id=lead_id, action=Action.CHANGE)
    if lead.status == LeadStatus.CONVERTIDO:
        raise Conflict("Este lead ya está convertido.")
    personal_data.refuse_if_anonymised(lead, "lead")  # nobody left to make a customer of
    value = _amount(amount) if create_opportunity else Decimal("0")
    pipeline_stage = _first_open_stage(session, actor, pipeline_id) if create_opportunity \
        else None
    now = utcnow()
    owner_id = lead.owner_id or actor.id
    team_id = lead.team_id if lead.owner_id else actor.team_id

    if account_id is not None:
        account = required(session, actor, Account, account_id, field="account_id")
    else:
        account = match_account(session=session, actor=actor, lead=lead)
    matched = account is not None
    if account is None:
        name = lead.company or full_name(lead)
        account = Account(
            name=name[:200], nif=lead.nif, email=lead.email, phone=lead.phone,
            province=lead.province, city=lead.city, channel=lead.source,
            website=("https://" + email_domain(lead.email))
            if lead.company and email_domain(lead.email)
            and not is_public_domain(email_domain(lead.email)) else "",
            notes=lead.notes, custom=_carry_custom(session, "account", lead.custom),
            owner_id=owner_id, team_id=team_id, lead_id=lead.id, created_at=now)
        session.add(account)
        session.flush()
        audit.record(session=session, actor=actor, entity="account", entity_id=account.id,
                     action="create", after=audit.snapshot(account),
                     note=f"Desde el lead {lead.id}")
    elif account.lead_id is None:
        account.lead_id = lead.id
        session.add(account)

    contact = Contact(
        account_id=account.id, first_name=lead.first_name or (
            "" if lead.last_name else lead.company)[:120],
        last_name=lead.last_name, email=lead.email, phone=lead.phone, position=lead.position,
        nif="" if lead.company else lead.nif,
        custom=_carry_custom(session, "contact", lead.custom),
        owner_id=owner_id, team_id=team_id, lead_id=lead.id, created_at=now)
    session.add(contact)
    session.flush()
    audit.record(session=session, actor=actor, entity="contact", entity_id=contact.id,
                 action="create", after=audit.snapshot(contact), note=f"Desde el lead {lead.id}")

    opportunity = None
    if pipeline_stage is not None:
        pipeline, stage = pipeline_stage
        name = (opportunity_name or "").strip() or f"{account.name} — nueva oportunidad"
        opportunity = Opportunity(
            name=name[:200], account_id=account.id, contact_id=contact.id, lead_id=lead.id,
            pipeline_id=pipeline.id, stage_id=stage.id, amount=value, channel=lead.source,
            custom=_carry_custom(session, "opportunity", lead.custom),
            stage_entered_at=now, owner_id=owner_id, team_id=team_id, created_at=now)
        session.add(opportunity)
        session.flush()
        session.add(StageChange(opportunity_id=opportunity.id, from_stage_id=None,
                                to_stage_id=stage.id, changed_at=now, changed_by_id=actor.id,
                                owner_id=owner_id, team_id=team_id))
        audit.record(session=session, actor=actor, entity="opportunity",
                     entity_id=opportunity.id, action="create",
                     after=audit.snapshot(opportunity), note=f"Desde el lead {lead.id}")

    # Activities and documents follow; they keep lead_id so the lead's timeline still shows them.
    opp_id = opportunity.id if opportunity is not None else None
    moved_activities = session.execute(
        update(Activity).where(Activity.lead_id == lead.id)
        .values(account_id=account.id, contact_id=contact.id,
                opportunity_id=func.coalesce(Activity.opportunity_id, opp_id))).rowcount
    moved_documents = session.execute(
        update(Document).where(Document.lead_id == lead.id)
        .values(account_id=account.id,
                opportunity_id=func.coalesce(Document.opportunity_id, opp_id))).rowcount

    before = {"status": lead.status, "converted_account_id": None,
              "converted_contact_id": None, "converted_opportunity_id": None}
    lead.status = LeadStatus.CONVERTIDO
    lead.converted_account_id = account.id
    lead.converted_contact_id = contact.id
    lead.converted_opportunity_id = opp_id
    lead.converted_at = now
    lead.updated_at = now
    session.add(lead)
    audit.record(session=session, actor=actor, entity="lead", entity_id=lead.id,
                 action="convert", before=before,
                 after={"status": lead.status, "converted_account_id": account.id,
                        "converted_contact_id": contact.id, "converted_opportunity_id": opp_id,
                        "account_matched": matched},
                 note=(f"Cliente existente «{account.name}»" if matched
                       else f"Nuevo cliente «{account.name}»")
                 + f"; {moved_activities or 0} actividades y {moved_documents or 0} documentos")
    session.commit()
    return {"lead_id": lead.id, "account_id": account.id, "account_matched": matched,
            "contact_id": contact.id, "opportunity_id": opp_id,
            "moved_activities": int(moved_activities or 0),
            "moved_documents": int(moved_documents or 0)}


@needs_actor
def conversion_preview(*, session: Session, actor: Actor, lead_id: int) -> dict:
    """What conversion would do, for the dialog: the matched account (if any) and why."""
    lead = get_lead(session=session, actor=actor, lead_id=lead_id, action=Action.CHANGE)
    try:
        personal_data.refuse_if_anonymised(lead, "lead")
        account = match_account(session=session, actor=actor, lead=lead)
    except Conflict as exc:
        return {"account": None, "blocked": exc.message}
    if account is None:
        return {"account": None, "blocked": "", "new_account_name": lead.company
                or full_name(lead)}
    return {"account": {"id": account.id, "name": account.name, "nif": account.nif},
            "blocked": ""}


__all__ = ["PUBLIC_EMAIL_DOMAINS", "conversion_preview", "convert_lead", "is_public_domain",
           "match_account"]
