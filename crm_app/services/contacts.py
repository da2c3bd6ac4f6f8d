"""Contacts (people at a customer): create, edit, list, recycle bin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from crm_app.models import Account, Contact, Lead, User, utcnow
from crm_app.permissions import Action, Perm, restrict
from crm_app.services import personal_data
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.custom_fields import clean_custom
from crm_app.services.links import blank, visible
from crm_app.services.normalize import (
    email_is_valid,
    normalize_email,
    normalize_nif,
    normalize_phone,
)
from crm_app.services.records import (
    add_record,
    bin_clause,
)
from crm_app.services.sales_common import (
    Page,
    assign_owner,
    aware,
    bin_owned,
    check,
    get_owned,
    is_admin,
    order_by,
    paginate,
    require_user,
    restore_owned,
    save_owned,
    text,
    unknown_fields,
    where_equal,
)
from crm_app.services.sales_reads import get_visible_account
from crm_app.services.search import contains, matches
from crm_app.services.spain import canonical_province

CONTACT_FIELDS = ("account_id", "first_name", "last_name", "email", "phone", "position", "nif",
                  "custom", "owner_id", "lead_id", "created_at", "legal_basis", "consent")
CONTACT_SORTS = {"name": Contact.last_name, "first_name": Contact.first_name,
                 "email": Contact.email, "created_at": Contact.created_at,
                 "updated_at": Contact.updated_at}


def _clean_contact(session: Session, actor: Actor, data: Mapping[str, Any],
                   current: Contact | None) -> tuple[dict[str, Any], dict[str, str],
                                                     Account | None]:
    errors = unknown_fields(data=data, allowed=CONTACT_FIELDS)
    out: dict[str, Any] = {}

    def given(key: str) -> bool:
        return current is None or key in data

    for key, max_len in (("first_name", 120), ("last_name", 160), ("position", 120)):
        if given(key):
            out[key] = text(data.get(key), field_name=key, errors=errors, max_len=max_len)
    first = out.get("first_name", current.first_name if current else "")
    last = out.get("last_name", current.last_name if current else "")
    if not first and not last:
        errors["first_name"] = "Indica el nombre o los apellidos."
    if given("email"):
        email = normalize_email(data.get("email"))
        if email and not email_is_valid(email):
            errors["email"] = "Correo electrónico no válido."
        out["email"] = email
    if given("phone"):
        try:
            out["phone"] = normalize_phone(data.get("phone"))
        except ValueError as exc:
            errors["phone"] = str(exc)
    if given("nif"):
        try:
            out["nif"] = normalize_nif(data.get("nif"))
        except ValueError as exc:
            errors["nif"] = str(exc)
    account = None
    if "account_id" in data:
        account = get_visible_account(session, actor, data.get("account_id"), errors,
                                      keep=current.account_id if current is not None else None)
        out["account_id"] = account.id if account else None
    elif current is not None and current.account_id:
        account = session.get(Account, current.account_id)
    if "custom" in data:
        out["custom"] = clean_custom(session=session, entity="contact", values=data["custom"],
                                     base=current.custom if current is not None else None,
                                     errors=errors)
    if not blank(data.get("lead_id")):
        lead = visible(session, actor, Lead, data["lead_id"], field="lead_id", errors=errors,
                       keep=current.lead_id if current is not None else None)
        if lead is not None:
            out["lead_id"] = lead.id
    if data.get("created_at") is not None:
        if not is_admin(actor):
            errors["created_at"] = "Solo un administrador puede fijar la fecha de alta."
        else:
            when = aware(data["created_at"], field_name="created_at", errors=errors)
            if when is not None:
                out["created_at"] = when
    out.update(personal_data.clean_personal(data=data, current=current, errors=errors))
    return out, errors, account


@needs_actor
def create_contact(*, session: Session, actor: Actor, data: Mapping[str, Any]) -> Contact:
    """Create a contact, optionally at a customer (``account_id``); its owner defaults to the
    customer's owner so the people who see the customer see its contacts."""
    require_user(actor, Perm.RECORDS_CHANGE)
    values, errors, account = _clean_contact(session, actor, data, None)
    default_owner = session.get(User, account.owner_id) if account and account.owner_id else None
    owner_id, team_id = assign_owner(session=session, actor=actor, owner_id=data.get("owner_id"),
                                     errors=errors, default=default_owner)
    check(errors)
    contact = Contact(**values, owner_id=owner_id, team_id=team_id)
    contact.created_at = values.get("created_at") or utcnow()
    return add_record(session=session, actor=actor, record=contact, entity="contact")


@needs_actor
def update_contact(*, session: Session, actor: Actor, contact_id: int,
                   data: Mapping[str, Any]) -> Contact:
    contact = get_owned(session, actor, Contact, contact_id, Action.CHANGE, label="Contacto")
    personal_data.refuse_if_anonymised(contact, "contact")
    values, errors, _ = _clean_contact(session, actor, data, contact)
    save_owned(session=session, actor=actor, record=contact, entity="contact", data=data,
               values=values, errors=errors)
    return contact


@needs_actor
def delete_contact(*, session: Session, actor: Actor, contact_id: int) -> Contact:
    return bin_owned(session=session, actor=actor, model=Contact, record_id=contact_id,
                     entity="contact", label="Contacto")


@needs_actor
def restore_contact(*, session: Session, actor: Actor, contact_id: int) -> Contact:
    return restore_owned(session=session, actor=actor, model=Contact, record_id=contact_id,
                         entity="contact", label="Contacto")


@needs_actor
def get_contact(*, session: Session, actor: Actor, contact_id: int) -> Contact:
    return get_owned(session, actor, Contact, contact_id, label="Contacto")


@needs_actor
def list_contacts(*, session: Session, actor: Actor, q: str = "",
                  account_id: int | None = None, province: str = "", sector: str = "",
                  size_band: str = "", channel: str = "", owner_id: int | None = None,
                  team_id: int | None = None, deleted: bool = False, sort: str = "name",
                  offset: int = 0, limit: int = 25) -> Page[Contact]:
    """Contacts the actor may see; search on name, email, phone, position and the customer's
    name; the customer filters (province, sector…) apply through the contact's account.

    Account conditions are sub-selects, not joins, so ``restrict`` scopes the contacts only.
    """
    stmt = select(Contact)
    stmt = stmt.where(bin_clause(Contact, deleted=deleted))
    account_filters = [c for c in (
        Account.province == (canonical_province(province) or province) if province else None,
        Account.sector == sector if sector else None,
        Account.size_band == size_band if size_band else None,
        Account.channel == channel if channel else None) if c is not None]
    if account_filters:
        stmt = stmt.where(Contact.account_id.in_(select(Account.id).where(*account_filters)))
    term = (q or "").strip()
    if term:
        digits = "".join(ch for ch in term if ch.isdigit())
        clauses = [matches(Contact, term),
                   contains(Contact.email, " ".join(term.split()).lower()),
                   Contact.account_id.in_(select(Account.id).where(
                       matches(Account, term, first_section=True)))]
        if len(digits) >= 3:
            clauses.append(contains(Contact.phone, digits))
        stmt = stmt.where(or_(*clauses))
    stmt = where_equal(stmt, Contact, account_id=account_id, owner_id=owner_id, team_id=team_id)
    stmt = restrict(stmt, actor)
    stmt = order_by(stmt, Contact, sort, CONTACT_SORTS, "name")
    rows, total = paginate(session, stmt, offset, limit)
    return Page(rows, total, max(0, offset), limit)


__all__ = ["CONTACT_FIELDS", "create_contact", "delete_contact", "get_contact", "list_contacts",
           "restore_contact", "update_contact"]
