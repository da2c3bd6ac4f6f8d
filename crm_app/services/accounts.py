"""Customers (clientes): create, edit, list, recycle bin, and the 360° customer file.

Every read goes through ``restrict``/``can_access``; a record out of the actor's scope is
``NotFound`` so its id does not leak. Every change writes an audit event in the same
transaction and commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from crm_app.models import (
    Account,
    Activity,
    Alert,
    AuditEvent,
    Contact,
    Document,
    Lead,
    Opportunity,
    Quote,
    QuoteStatus,
    Stage,
    StageChange,
    StageKind,
    utcnow,
)
from crm_app.permissions import Action, Perm, restrict
from crm_app.services.actors import SYSTEM, Actor, needs_actor
from crm_app.services.automation_runs import runs_on
from crm_app.services.custom_fields import clean_custom
from crm_app.services.defaults import SIZE_BANDS
from crm_app.services.errors import Conflict
from crm_app.services.links import blank, visible
from crm_app.services.normalize import (
    email_is_valid,
    normalize_email,
    normalize_nif,
    normalize_phone,
)
from crm_app.services.records import add_record, bin_clause, from_bin
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
    save_owned,
    text,
    unknown_fields,
    user_names,
    where_equal,
)
from crm_app.services.sales_reads import (
    contact_row,
    get_visible_account,
    opportunity_row,
    quote_row,
    stages_by_id,
)
from crm_app.services.search import contains, matches, nif_fragment
from crm_app.services.spain import canonical_province, province_from_postal_code

ACCOUNT_FIELDS = ("name", "trade_name", "nif", "sector", "size_band", "address", "postal_code",
                  "city", "province", "country", "email", "phone", "website", "channel",
                  "recargo_equivalencia", "notes", "custom", "owner_id", "lead_id", "created_at")

ACCOUNT_SORTS = {
    "name": Account.name, "created_at": Account.created_at, "updated_at": Account.updated_at,
    "city": Account.city, "province": Account.province, "nif": Account.nif,
    "channel": Account.channel, "sector": Account.sector,
}

# Spanish labels for the fields named in "what changed" lines of the timeline.
FIELD_LABELS = {
    "name": "razón social", "trade_name": "nombre comercial", "nif": "NIF", "sector": "sector",
    "size_band": "tamaño", "address": "dirección", "postal_code": "código postal",
    "city": "población", "province": "provincia", "country": "país", "email": "correo",
    "phone": "teléfono", "website": "web", "channel": "canal",
    "recargo_equivalencia": "recargo de equivalencia", "notes": "notas", "owner_id": "responsable",
    "team_id": "equipo", "first_name": "nombre", "last_name": "apellidos", "position": "cargo",
    "amount": "importe", "expected_close": "cierre previsto", "lost_reason": "motivo de pérdida",
    "description": "descripción", "status": "estado", "stage_id": "etapa",
    "contact_id": "contacto", "account_id": "cliente", "closed_at": "fecha de cierre",
    "created_at": "fecha de alta", "custom": "campos personalizados",
}


# --- validation -------------------------------------------------------------------------------


def _clean_account(session: Session, actor: Actor, data: Mapping[str, Any],
                   current: Account | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate ``data`` (a full record on create, the changed fields on update)."""
    errors = unknown_fields(data=data, allowed=ACCOUNT_FIELDS)
    merged: dict[str, Any] = {}
    if current is not None:
        merged.update({k: getattr(current, k) for k in ACCOUNT_FIELDS if hasattr(current, k)})
    merged.update({k: v for k, v in data.items() if k in ACCOUNT_FIELDS})
    out: dict[str, Any] = {}

    def given(key: str) -> bool:
        return current is None or key in data

    if given("name"):
        out["name"] = text(merged.get("name"), field_name="name", errors=errors, max_len=200,
                           required=True, label="La razón social")
    for key, max_len in (("trade_name", 200), ("sector", 80), ("address", 250), ("city", 120),
                         ("website", 200), ("channel", 60)):
        if given(key):
            out[key] = text(merged.get(key), field_name=key, errors=errors, max_len=max_len)
    if given("notes"):
        out["notes"] = str(merged.get("notes") or "")
    country = str(merged.get("country") or "ES").strip().upper()
    if given("country"):
        if len(country) != 2 or not country.isalpha():
            errors["country"] = "País no válido: usa el código de dos letras (ES, PT, FR…)."
        out["country"] = country
    spanish = country == "ES"
    if given("nif") or given("country"):
        raw = str(merged.get("nif") or "").strip()
        if spanish:
            try:
                out["nif"] = normalize_nif(raw)
            except ValueError as exc:
                errors["nif"] = str(exc)
        else:
            out["nif"] = raw.upper()[:20]
        nif = out.get("nif")
        if nif and "nif" not in errors:
            dup = select(Account.id).where(Account.nif == nif, Account.deleted_at.is_(None))
            if current is not None:
                dup = dup.where(Account.id != current.id)
            if session.exec(dup).first() is not None:
                errors["nif"] = "Ya existe un cliente con este NIF."
    if given("postal_code") or given("province") or given("country"):
        postal = str(merged.get("postal_code") or "").strip()
        if spanish and postal and (len(postal) != 5 or not postal.isdigit()):
            errors["postal_code"] = "Código postal no válido: debe tener 5 cifras."
        out["postal_code"] = postal[:10]
        raw_province = str(merged.get("province") or "").strip()
        if spanish:
            province = canonical_province(raw_province) if raw_province else ""
            from_postal = province_from_postal_code(postal) if "postal_code" not in errors else ""
            if raw_province and not province:
                errors["province"] = "Provincia desconocida: elige una de la lista."
            elif not province and from_postal:
                province = from_postal
            elif not province:
                errors["province"] = "La provincia es obligatoria."
            elif from_postal and from_postal != province:
                errors["postal_code"] = (f"El código postal {postal} es de {from_postal}, "
                                         f"no de {province}.")
            out["province"] = province
        else:
            out["province"] = raw_province[:60]
    if given("email"):
        email = normalize_email(merged.get("email"))
        if email and not email_is_valid(email):
            errors["email"] = "Correo electrónico no válido."
        out["email"] = email
    if given("phone"):
        try:
            out["phone"] = normalize_phone(merged.get("phone"))
        except ValueError as exc:
            errors["phone"] = str(exc)
    if given("size_band"):
        band = str(merged.get("size_band") or "").strip()
        if band and band not in SIZE_BANDS:
            errors["size_band"] = "Tamaño no válido: " + ", ".join(SIZE_BANDS) + "."
        out["size_band"] = band
    if given("recargo_equivalencia"):
        out["recargo_equivalencia"] = bool(merged.get("recargo_equivalencia"))
    if "custom" in data:
        out["custom"] = clean_custom(session=session, entity="account", values=data["custom"],
                                     base=current.custom if current is not None else None,
                                     errors=errors)
    if "lead_id" in data and not blank(data.get("lead_id")):
        lead = visible(session, actor, Lead, data["lead_id"], field="lead_id", errors=errors,
                       keep=current.lead_id if current is not None else None)
        if lead is not None:
            out["lead_id"] = lead.id
    if "created_at" in data and data.get("created_at") is not None:
        if not is_admin(actor):
            errors["created_at"] = "Solo un administrador puede fijar la fecha de alta."
        else:
            when = aware(data["created_at"], field_name="created_at", errors=errors)
            if when is not None:
                out["created_at"] = when
    return out, errors


# --- commands ---------------------------------------------------------------------------------


@needs_actor
def create_account(*, session: Session, actor: Actor, data: Mapping[str, Any]) -> Account:
    """Create a customer. ``data`` holds the form fields (see ``ACCOUNT_FIELDS``)."""
    require_user(actor, Perm.RECORDS_CHANGE)
    values, errors = _clean_account(session, actor, data, None)
    owner_id, team_id = assign_owner(session=session, actor=actor, owner_id=data.get("owner_id"),
                                     errors=errors)
    check(errors)
    account = Account(**values, owner_id=owner_id, team_id=team_id)
    account.created_at = values.get("created_at") or utcnow()
    return add_record(session=session, actor=actor, record=account, entity="account")


@needs_actor
def update_account(*, session: Session, actor: Actor, account_id: int,
                   data: Mapping[str, Any]) -> Account:
    """Change some fields of a customer (only the keys present in ``data``)."""
    account = get_owned(session, actor, Account, account_id, Action.CHANGE, label="Cliente")
    values, errors = _clean_account(session, actor, data, account)
    save_owned(session=session, actor=actor, record=account, entity="account", data=data,
               values=values, errors=errors)
    return account


@needs_actor
def delete_account(*, session: Session, actor: Actor, account_id: int) -> Account:
    """Send to the recycle bin (restorable)."""
    return bin_owned(session=session, actor=actor, model=Account, record_id=account_id,
                     entity="account", label="Cliente")


@needs_actor
def restore_account(*, session: Session, actor: Actor, account_id: int) -> Account:
    account = get_owned(session, actor, Account, account_id, Action.DELETE, label="Cliente",
                        include_deleted=True)
    if account.deleted_at is None:
        return account
    if account.nif:
        clash = session.exec(select(Account.id).where(
            Account.nif == account.nif, Account.deleted_at.is_(None), Account.id != account.id)
        ).first()
        if clash is not None:
            raise Conflict("No se puede restaurar: ya hay otro cliente activo con este NIF.")
    from_bin(session=session, actor=actor, record=account, entity="account")
    return account


@needs_actor
def get_account(*, session: Session, actor: Actor, account_id: int) -> Account:
    return get_owned(session, actor, Account, account_id, label="Cliente")


@needs_actor
def list_accounts(*, session: Session, actor: Actor, q: str = "", province: str = "",
                  sector: str = "", size_band: str = "", channel: str = "",
                  owner_id: int | None = None, team_id: int | None = None,
                  recargo_equivalencia: bool | None = None, deleted: bool = False,
                  sort: str = "name", offset: int = 0, limit: int = 25) -> Page[Account]:
    """One page of customers the actor may see; ``deleted=True`` lists the recycle bin."""
    stmt = select(Account)
    stmt = stmt.where(bin_clause(Account, deleted=deleted))
    term = (q or "").strip()
    if term:
        compact = nif_fragment(term)
        stmt = stmt.where(or_(matches(Account, term),
                              contains(Account.email, " ".join(term.split()).lower()),
                              *([contains(Account.nif, compact)] if compact else [])))
    if province:
        stmt = stmt.where(Account.province == (canonical_province(province) or province))
    stmt = where_equal(stmt, Account, sector=sector, size_band=size_band, channel=channel,
                       owner_id=owner_id, team_id=team_id)
    if recargo_equivalencia is not None:
        stmt = stmt.where(Account.recargo_equivalencia == recargo_equivalencia)
    stmt = restrict(stmt, actor)
    stmt = order_by(stmt, Account, sort, ACCOUNT_SORTS, "name")
    rows, total = paginate(session, stmt, offset, limit)
    return Page(rows, total, max(0, offset), limit)


# --- the 360° customer file -------------------------------------------------------------------

_ACTION_TITLES = {
    ("lead", "create"): "Lead creado",
    ("lead", "update"): "Lead modificado",
    ("lead", "assign"): "Lead asignado",
    ("lead", "convert"): "Lead convertido en cliente",
    ("lead", "discard"): "Lead descartado",
    ("lead", "status"): "Cambio de estado del lead",
    ("account", "create"): "Cliente dado de alta",
    ("account", "update"): "Datos del cliente modificados",
    ("account", "delete"): "Cliente enviado a la papelera",
    ("account", "restore"): "Cliente restaurado de la papelera",
    ("contact", "create"): "Contacto añadido",
    ("contact", "update"): "Contacto modificado",
    ("contact", "delete"): "Contacto enviado a la papelera",
    ("contact", "restore"): "Contacto restaurado",
    ("opportunity", "update"): "Oportunidad modificada",
    ("opportunity", "delete"): "Oportunidad enviada a la papelera",
    ("opportunity", "restore"): "Oportunidad restaurada",
    ("quote", "create"): "Presupuesto creado",
    ("quote", "update"): "Presupuesto modificado",
    ("quote", "revise"): "Nueva versión del presupuesto",
    ("quote", "accept"): "Presupuesto aceptado",
    ("quote", "reject"): "Presupuesto rechazado",
    ("quote", "expire"): "Presupuesto caducado",
    ("quote", "delete"): "Presupuesto enviado a la papelera",
}
_ACTIVITY_TITLES = {"task": "Tarea", "call": "Llamada", "meeting": "Reunión", "email": "Correo",
                    "note": "Nota"}


def _changed(event: AuditEvent) -> str:
    keys = [k for k in (event.after or {}) if k not in {"updated_at"}]
    if not keys:
        return event.note or ""
    return "Cambios: " + ", ".join(FIELD_LABELS.get(k, k) for k in keys)


def _entry(at: datetime | None, kind: str, title: str, detail: str = "", *,
           user_id: int | None = None, entity: str = "", entity_id: int | None = None
           ) -> dict[str, Any]:
    return {"at": at, "kind": kind, "title": title, "detail": detail, "user_id": user_id,
            "user": "", "entity": entity, "entity_id": entity_id}


def _timeline(session: Session, actor: Actor, account: Account, lead: Lead | None,
              contacts: list[Contact], opps: list[Opportunity], quotes: list[Quote],
              documents: list[Document], stages: dict[int, Stage],
              limit: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    opp_ids = [o.id for o in opps]
    opp_names = {o.id: o.name for o in opps}
    quote_by_id = {q.id: q for q in quotes}

    # Audit events: the originating lead, the account, its contacts, opportunities, quotes.
    wanted: list[Any] = [(AuditEvent.entity == "account") & (AuditEvent.entity_id == account.id)]
    if lead is not None:
        wanted.append((AuditEvent.entity == "lead") & (AuditEvent.entity_id == lead.id))
    if contacts:
        wanted.append((AuditEvent.entity == "contact")
                      & AuditEvent.entity_id.in_([c.id for c in contacts]))
    if opp_ids:
        wanted.append((AuditEvent.entity == "opportunity") & AuditEvent.entity_id.in_(opp_ids))
    if quotes:
        wanted.append((AuditEvent.entity == "quote") & AuditEvent.entity_id.in_(list(quote_by_id)))
    events = session.exec(select(AuditEvent).where(or_(*wanted))
                          .order_by(AuditEvent.at.desc()).limit(limit * 2)).all()
    contact_names = {c.id: f"{c.first_name} {c.last_name}".strip() for c in contacts}
    for ev in events:
        key = (ev.entity, ev.action)
        if ev.entity == "opportunity" and ev.action in {"create", "move"}:
            continue  # shown by the stage history below
        if ev.entity == "quote" and ev.action == "send":
            continue  # shown by the email activity
        if key == ("lead", "create"):
            continue  # shown once below, at the lead's own creation time
        title = _ACTION_TITLES.get(key, f"{ev.entity}: {ev.action}")
        detail = ""
        if ev.action == "update":
            detail = _changed(ev)
        elif ev.entity == "contact":
            detail = contact_names.get(ev.entity_id, "")
        elif ev.note:
            detail = ev.note
        if ev.entity == "opportunity":
            title = f"{title}: {opp_names.get(ev.entity_id, '')}".rstrip(": ")
        if ev.entity == "quote" and ev.entity_id in quote_by_id:
            qt = quote_by_id[ev.entity_id]
            title = f"{title}: {qt.number} v{qt.version}"
        at = ev.at
        if key == ("account", "create"):
            at = account.created_at  # an import may carry the real (older) date
        entries.append(_entry(at, "audit", title, detail, user_id=ev.actor_id,
                              entity=ev.entity, entity_id=ev.entity_id))

    # The lead's first appearance, at its own creation time (imports keep the original date).
    if lead is not None:
        source = f" (origen: {lead.source})" if lead.source else ""
        entries.append(_entry(lead.created_at, "lead", "Lead creado" + source,
                              lead.company or f"{lead.first_name} {lead.last_name}".strip(),
                              user_id=lead.owner_id, entity="lead", entity_id=lead.id))

    # Activities of the lead, the account and its opportunities.
    who = [Activity.account_id == account.id]
    if lead is not None:
        who.append(Activity.lead_id == lead.id)
    if opp_ids:
        who.append(Activity.opportunity_id.in_(opp_ids))
    stmt = select(Activity).where(or_(*who), Activity.deleted_at.is_(None))
    stmt = restrict(stmt, actor)
    for act in session.exec(stmt.order_by(Activity.created_at.desc()).limit(limit)).all():
        label = _ACTIVITY_TITLES.get(act.kind, act.kind)
        at = act.done_at or act.created_at
        entries.append(_entry(at, "email" if act.kind == "email" else "activity",
                              f"{label}: {act.subject}",
                              " · ".join(x for x in (act.outcome, act.description) if x),
                              user_id=act.created_by_id or act.owner_id, entity="activity",
                              entity_id=act.id))

    # What the automation rules did on the customer and its records.
    for run in runs_on(session, [("account", [account.id]), ("opportunity", opp_ids),
                                 ("quote", list(quote_by_id)),
                                 ("lead", [lead.id] if lead is not None else [])],
                       limit=limit):
        entries.append(_entry(run["at"], "automation", run["title"], run["detail"],
                              entity=run["entity"], entity_id=run["record_id"]))

    # Stage history of the account's opportunities.
    if opp_ids:
        stmt = select(StageChange).where(StageChange.opportunity_id.in_(opp_ids))
        stmt = restrict(stmt, actor)
        for ch in session.exec(stmt.order_by(StageChange.changed_at.desc()).limit(limit)).all():
            to = stages.get(ch.to_stage_id)
            name = opp_names.get(ch.opportunity_id, "")
            if ch.from_stage_id is None:
                title = f"Oportunidad creada: {name}"
                detail = f"Etapa: {to.name if to else ''}"
            else:
                frm = stages.get(ch.from_stage_id)
                title = f"Oportunidad {name}: cambio de etapa"
                detail = f"{frm.name if frm else '?'} → {to.name if to else '?'}"
            if to is not None and to.kind == StageKind.WON:
                title = f"Oportunidad ganada: {name}"
            elif to is not None and to.kind == StageKind.LOST and ch.from_stage_id is not None:
                title = f"Oportunidad cerrada sin venta: {name}"
            entries.append(_entry(ch.changed_at, "stage", title, detail,
                                  user_id=ch.changed_by_id, entity="opportunity",
                                  entity_id=ch.opportunity_id))

    for doc in documents:
        entries.append(_entry(doc.created_at, "document", f"Documento añadido: {doc.filename}",
                              "", user_id=doc.uploaded_by_id, entity="document",
                              entity_id=doc.id))

    names = user_names(session, {e["user_id"] for e in entries})
    for e in entries:
        e["user"] = names.get(e["user_id"], "") if e["user_id"] else SYSTEM.name
    entries.sort(key=lambda e: (e["at"] is not None, e["at"] or datetime.min), reverse=True)
    return entries[:limit]


@needs_actor
def account_360(*, session: Session, actor: Actor, account_id: int,
                timeline_limit: int = 200) -> dict[str, Any]:
    """Everything about one customer, for the ficha de cliente.

    Keys: ``account`` (the row), ``owner``, ``contacts``, ``timeline`` (newest first, from the
    first lead on), ``opportunities`` (``open``/``closed``), ``quotes``, ``purchases``
    (``items``, ``per_year``, ``total``), ``alerts``, ``documents``. Rows are plain dicts.
    """
    account = get_owned(session, actor, Account, account_id, label="Cliente")
    # The originating lead, read through the scope like every other linked record: a lead of
    # another team (an older link, or the customer reassigned since) adds nothing at all to
    # the file, not its company, source, owner, documents or history.
    lead = visible(session, actor, Lead, account.lead_id, field="lead_id", errors={})

    def scoped(stmt: Any) -> Any:
        return restrict(stmt, actor)

    contacts = list(session.exec(scoped(
        select(Contact).where(Contact.account_id == account.id, Contact.deleted_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name))).all())
    opps = list(session.exec(scoped(
        select(Opportunity).where(Opportunity.account_id == account.id,
                                  Opportunity.deleted_at.is_(None))
        .order_by(Opportunity.created_at.desc()))).all())
    quotes = list(session.exec(scoped(
        select(Quote).where(Quote.account_id == account.id, Quote.deleted_at.is_(None))
        .order_by(Quote.issue_date.desc(), Quote.number.desc(), Quote.version.desc()))).all())
    doc_where = [Document.account_id == account.id]
    if opps:
        doc_where.append(Document.opportunity_id.in_([o.id for o in opps]))
    if quotes:
        doc_where.append(Document.quote_id.in_([q.id for q in quotes]))
    if lead is not None:
        doc_where.append(Document.lead_id == lead.id)
    documents = list(session.exec(scoped(
        select(Document).where(or_(*doc_where), Document.deleted_at.is_(None))
        .order_by(Document.created_at.desc()))).all())
    alerts = list(session.exec(scoped(
        select(Alert).where(Alert.account_id == account.id, Alert.resolved_at.is_(None))
        .order_by(Alert.created_at.desc()))).all())

    stages = stages_by_id(session)
    now = utcnow()
    opp_rows = [opportunity_row(session, o, stages, now=now) for o in opps]
    names = user_names(session, {account.owner_id, *(r["owner_id"] for r in opp_rows),
                                 *(q.owner_id for q in quotes)})
    for row in opp_rows:
        row["owner"] = names.get(row["owner_id"], "")
    quote_rows = [quote_row(q, names) for q in quotes]

    # Purchase history: won opportunities, plus accepted quotes not already counted through
    # their (won) opportunity. Amounts are taxable bases (sin IVA).
    items: list[dict[str, Any]] = []
    won_ids = set()
    accepted_by_opp = {q.opportunity_id: q for q in quotes
                       if q.status == QuoteStatus.ACEPTADO and q.opportunity_id}
    for o, row in zip(opps, opp_rows, strict=True):
        if row["kind"] == StageKind.WON:
            won_ids.add(o.id)
            qt = accepted_by_opp.get(o.id)
            when = o.closed_at or o.updated_at or o.created_at
            items.append({"date": when, "year": when.year, "kind": "opportunity",
                          "opportunity_id": o.id, "quote_id": qt.id if qt else None,
                          "title": o.name + (f" ({qt.number} v{qt.version})" if qt else ""),
                          "amount": o.amount})
    for qt in quotes:
        if qt.status == QuoteStatus.ACEPTADO and qt.opportunity_id not in won_ids:
            when = qt.decided_at or qt.updated_at or qt.created_at
            items.append({"date": when, "year": when.year, "kind": "quote",
                          "opportunity_id": qt.opportunity_id, "quote_id": qt.id,
                          "title": f"Presupuesto {qt.number} v{qt.version}",
                          "amount": qt.base_total})
    items.sort(key=lambda i: i["date"], reverse=True)
    per_year: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    count_year: dict[int, int] = defaultdict(int)
    for item in items:
        per_year[item["year"]] += item["amount"]
        count_year[item["year"]] += 1
    purchases = {
        "items": items,
        "per_year": [{"year": y, "total": per_year[y], "count": count_year[y]}
                     for y in sorted(per_year, reverse=True)],
        "total": sum(per_year.values(), Decimal("0.00")),
    }

    timeline = _timeline(session, actor, account, lead, contacts, opps, quotes, documents,
                         stages, timeline_limit)
    return {
        "account": account,
        "owner": names.get(account.owner_id, ""),
        "contacts": [contact_row(c) for c in contacts],
        "timeline": timeline,
        "opportunities": {
            "open": [r for r in opp_rows if r["kind"] == StageKind.OPEN],
            "closed": [r for r in opp_rows if r["kind"] != StageKind.OPEN],
        },
        "quotes": quote_rows,
        "purchases": purchases,
        "alerts": [{"id": a.id, "kind": a.kind, "severity": a.severity, "message": a.message,
                    "created_at": a.created_at, "read_at": a.read_at} for a in alerts],
        "documents": [{"id": d.id, "filename": d.filename, "content_type": d.content_type,
                       "size": d.size, "created_at": d.created_at,
                       "opportunity_id": d.opportunity_id, "quote_id": d.quote_id,
                       "provided_by_customer": d.provided_by_customer} for d in documents],
    }


__all__ = ["ACCOUNT_FIELDS", "account_360", "contact_row", "create_account", "delete_account",
           "get_account", "get_visible_account", "list_accounts", "restore_account",
           "update_account"]
