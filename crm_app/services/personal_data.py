"""Personal data (RGPD / LOPDGDD) of leads and contacts: legal basis and consent, the
data-subject access export, erasure (anonymisation) and the retention of discarded leads.

Decisions (also in the README, "Datos personales (RGPD)"):

- **Consent** is stored per purpose (``PURPOSES``) as ``{"given", "at", "method", "text"}``
  with the legal basis in its own column; ``clean_consent`` validates every write (API, UI,
  import). A purpose given without a date gets "now" (UTC).
- **Access**: ``export_person`` builds a ZIP (``datos.json`` + ``documentos/…``) of the
  person's record, the linked lead/contact (the same person before/after conversion), their
  activities, opportunities, quotes (metadata), documents (with the files) and every audit
  entry about those rows. Everything is read through ``restrict``: what the actor cannot see
  is not exported. The export itself is audited (no data in the event).
- **Erasure**: ``anonymise_person`` needs ``records.delete`` on the record (the permission of
  the recycle bin; so a comercial can answer a request about their own leads, a manager about
  their team's, nobody about someone else's). It replaces the personal fields with
  placeholders, clears text custom fields, deletes the person's documents (rows and files,
  except those attached to a quote: fiscal records stay), blanks the subject/description of
  their activities, deletes their alerts, drops their old values kept for import undo, and
  also anonymises the linked lead/contact when the actor may. Quotes keep their number,
  customer (account), lines and totals; the customer (account) itself is the fiscal record
  of the company or self-employed person quotes and invoices are issued to, and is not
  touched (its data is the issuer's legal obligation, art. 17.3.b RGPD). **Earlier audit
  entries** of the erased rows are redacted in place: each personal field's value becomes
  ``[anonimizado]`` (which field changed, when and by whom stays), so the audit trail no
  longer holds the erased data; the ``anonymise`` event lists the fields erased, never their
  values. Irreversible by design.
- **Retention**: discarded, not converted, not anonymised leads whose last activity (their
  own last change or any of their activities) is older than ``lead_retention_months`` are
  anonymised by the nightly job ``crm.core.personal_data_retention`` as the system actor.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import and_, delete, func, or_
from sqlmodel import Session, select

from crm_app.formatting import TZ
from crm_app.i18n import t
from crm_app.models import (
    Activity,
    Alert,
    AuditEvent,
    Contact,
    CustomFieldDef,
    CustomFieldType,
    Document,
    ImportBatch,
    Lead,
    LeadStatus,
    Opportunity,
    Organisation,
    Quote,
    utcnow,
)
from crm_app.permissions import Action, Perm, PermissionDenied, can_access, require, restrict
from crm_app.services import audit
from crm_app.services.actors import SYSTEM, Actor, needs_actor
from crm_app.services.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from crm_app.settings import get_settings

PURPOSES = ("comercial", "newsletter")
LEGAL_BASES = ("consentimiento", "contrato", "interes_legitimo", "obligacion_legal")
METHODS = ("formulario_web", "telefono", "email", "importacion", "en_persona", "otro")
CONSENT_TEXT_MAX = 300
RETENTION_MIN, RETENTION_MAX, RETENTION_DEFAULT = 1, 120, 24
MAX_EXPORT_BYTES = 100 * 1024 * 1024
MAX_EXPORT_ROWS = 10_000  # per kind of row; a person has far fewer
RETENTION_BATCH = 500
EXPORTS_PER_HOUR = 30  # per user: an export reads every file of the person

ENTITIES = {"lead": Lead, "contact": Contact}
PERSONAL_FIELDS = {
    "lead": ("first_name", "last_name", "company", "nif", "email", "phone", "position", "notes"),
    "contact": ("first_name", "last_name", "nif", "email", "phone", "position"),
}
ACTIVITY_FIELDS = ("subject", "description")
_MISSING = {"lead": "Lead no encontrado.", "contact": "Contacto no encontrado."}
_ALIASES = {"si": True, "sí": True, "s": True, "yes": True, "y": True, "true": True, "1": True,
            "x": True, "no": False, "n": False, "false": False, "0": False, "": False}
_METHOD_ALIASES = {"web": "formulario_web", "formulario": "formulario_web",
                   "formulario web": "formulario_web", "teléfono": "telefono",
                   "correo": "email", "correo electrónico": "email", "e-mail": "email",
                   "importación": "importacion", "en persona": "en_persona",
                   "presencial": "en_persona"}
_BASIS_ALIASES = {"interés legítimo": "interes_legitimo", "interes legitimo": "interes_legitimo",
                  "obligación legal": "obligacion_legal", "obligacion legal": "obligacion_legal"}


# --- consent -------------------------------------------------------------------------------


def as_bool(value: Any) -> bool | None:
    """``True``/``False`` for a yes/no value (sí, no, 1, 0, true…); ``None`` if not one."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return _ALIASES.get(str(value).strip().lower())


def clean_legal_basis(value: Any, *, errors: dict[str, str], field: str = "legal_basis") -> str:
    raw = "" if value is None else str(value).strip().lower()
    raw = _BASIS_ALIASES.get(raw, raw.replace(" ", "_"))
    if raw and raw not in LEGAL_BASES:
        errors[field] = t("pd.err.basis")
        return ""
    return raw


def clean_method(value: Any) -> str | None:
    raw = "" if value is None else str(value).strip().lower()
    raw = _METHOD_ALIASES.get(raw, raw.replace(" ", "_"))
    return raw if raw == "" or raw in METHODS else None


def parse_when(value: Any) -> datetime | None:
    """An aware UTC time from an ISO 8601 string/datetime or a dd/mm/aaaa date (midnight in
    Madrid); ``None`` for empty; ``ValueError`` when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, datetime.min.time(), tzinfo=TZ)
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y"):
                try:
                    when = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(text) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=TZ)  # typed by a person in Spain
    return when.astimezone(UTC)


def clean_consent(value: Any, *, base: dict | None, errors: dict[str, str],
                  field: str = "consent", now: datetime | None = None) -> dict:
    """Validate a consent object ``{purpose: {given, at, method, text}}`` (partial: only the
    purposes and keys given change ``base``). Errors go to ``errors`` as ``consent.<purpose>.
    <key>`` (so a form can show them by its field); returns the merged, normalised object."""
    now = now or utcnow()
    out = {p: dict(v) for p, v in (base or {}).items() if p in PURPOSES and isinstance(v, dict)}
    if value is None:
        return out
    if not isinstance(value, dict):
        errors[field] = t("pd.err.consent_shape")
        return out
    for purpose, entry in value.items():
        key = f"{field}.{purpose}"
        if purpose not in PURPOSES:
            errors[key] = t("pd.err.purpose")
            continue
        if not isinstance(entry, dict):
            errors[key] = t("pd.err.consent_shape")
            continue
        current = out.get(purpose, {"given": False, "at": None, "method": "", "text": ""})
        for extra in sorted(set(entry) - {"given", "at", "method", "text"}):
            errors[f"{key}.{extra}"] = t("pd.err.unknown_key", key=extra)
        if "given" in entry:
            given = as_bool(entry["given"])
            if given is None:
                errors[f"{key}.given"] = t("pd.err.given")
            else:
                current["given"] = given
        if "at" in entry:
            try:
                when = parse_when(entry["at"])
            except ValueError:
                errors[f"{key}.at"] = t("pd.err.at")
            else:
                if when is not None and when > now + timedelta(minutes=5):
                    errors[f"{key}.at"] = t("pd.err.at_future")
                current["at"] = when.isoformat().replace("+00:00", "Z") if when else None
        if "method" in entry:
            method = clean_method(entry["method"])
            if method is None:
                errors[f"{key}.method"] = t("pd.err.method")
            else:
                current["method"] = method
        if "text" in entry:
            text = "" if entry["text"] is None else " ".join(str(entry["text"]).split())
            if len(text) > CONSENT_TEXT_MAX:
                errors[f"{key}.text"] = t("pd.err.text", max=CONSENT_TEXT_MAX)
            current["text"] = text
        if current.get("given") and not current.get("at"):
            current["at"] = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
        out[purpose] = current
    return out


def clean_personal(*, data: dict, current: Any, errors: dict[str, str]) -> dict:
    """The ``legal_basis`` and ``consent`` of a lead/contact payload, validated."""
    out: dict[str, Any] = {}
    if "legal_basis" in data:
        out["legal_basis"] = clean_legal_basis(data["legal_basis"], errors=errors)
    if "consent" in data:
        out["consent"] = clean_consent(data["consent"], errors=errors,
                                       base=current.consent if current is not None else None)
    return out


def refuse_if_anonymised(record: Any, entity: str) -> None:
    if getattr(record, "anonymised_at", None) is not None:
        raise Conflict(t(f"pd.err.anonymised_{entity}"))


# --- reading one person's data -------------------------------------------------------------


def _person(session: Session, actor: Actor, entity: str, record_id: int,
            action: Action) -> Any:
    model = ENTITIES[entity]
    record = session.get(model, record_id)
    if record is None or not can_access(actor, record, Action.VIEW):
        raise NotFound(_MISSING[entity])
    if not can_access(actor, record, action):
        raise PermissionDenied()
    return record


def _linked(session: Session, actor: Actor, record: Any, action: Action
            ) -> tuple[list[Lead], list[Contact]]:
    """The person's rows: ``record`` plus the lead it came from / the contact it became,
    those the actor may ``action``."""
    leads: list[Lead] = []
    contacts: list[Contact] = []
    if isinstance(record, Lead):
        leads.append(record)
        contact_ids = {record.converted_contact_id} - {None}
        stmt = select(Contact).where(or_(Contact.lead_id == record.id,
                                         Contact.id.in_(contact_ids)))
        contacts.extend(session.exec(restrict(stmt, actor, action)).all())
    else:
        contacts.append(record)
        if record.lead_id is not None:
            stmt = select(Lead).where(Lead.id == record.lead_id)
            leads.extend(session.exec(restrict(stmt, actor, action)).all())
    return leads, contacts


def _rows(session: Session, actor: Actor, stmt: Any, action: Action = Action.VIEW) -> list:
    return list(session.exec(restrict(stmt, actor, action).limit(MAX_EXPORT_ROWS)).all())


def _activity_clause(lead_ids: list[int], contact_ids: list[int]) -> Any:
    return or_(Activity.lead_id.in_(lead_ids or [-1]), Activity.contact_id.in_(contact_ids or [-1]))


def _documents_stmt(lead_ids: list[int]) -> Any:
    return select(Document).where(Document.lead_id.in_(lead_ids or [-1]))


def document_path(doc: Document) -> Path | None:
    """The file of ``doc`` inside the documents dir (``None`` if the key points outside)."""
    root = get_settings().documents_dir.resolve()
    key = PurePath(doc.storage_key or "")
    if not doc.storage_key or key.is_absolute() or ".." in key.parts:
        return None
    path = (root / key).resolve()
    return path if path.is_relative_to(root) else None


def _dump(row: Any) -> dict:
    return {k: audit.jsonable(v) for k, v in row.model_dump().items()}


def _audit_for(session: Session, pairs: dict[str, list[int]]) -> list[AuditEvent]:
    clauses = [and_(AuditEvent.entity == entity, AuditEvent.entity_id.in_(ids))
               for entity, ids in pairs.items() if ids]
    if not clauses:
        return []
    return list(session.exec(select(AuditEvent).where(or_(*clauses))
                             .order_by(AuditEvent.at, AuditEvent.id)
                             .limit(MAX_EXPORT_ROWS)).all())


def _safe_name(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in name).strip(" .")
    return keep[:120] or "documento"


@needs_actor
def check_export_rate(*, session: Session, actor: Actor) -> None:
    """At most ``EXPORTS_PER_HOUR`` exports per user and hour, counted from the audit trail
    (so every worker and process agrees); the system is not limited. The screens ask before
    they start the download, so a refusal is a toast, not an error body saved as the ZIP."""
    if actor.id is None:
        return
    since = utcnow() - timedelta(hours=1)
    stmt = (select(AuditEvent.at).where(AuditEvent.actor_id == actor.id,
                                        AuditEvent.action == "export_personal_data",
                                        AuditEvent.at >= since)
            .order_by(AuditEvent.at).limit(EXPORTS_PER_HOUR))
    recent = list(session.exec(stmt).all())
    if len(recent) >= EXPORTS_PER_HOUR:
        wait = max(1, int((recent[0] + timedelta(hours=1) - utcnow()).total_seconds()) + 1)
        raise TooManyRequests(t("pd.err.export_rate", max=EXPORTS_PER_HOUR,
                                minutes=max(1, -(-wait // 60))), retry_after=wait)


@needs_actor
def export_person(*, session: Session, actor: Actor, entity: str, record_id: int
                  ) -> tuple[str, bytes]:
    """The data-subject access export of a lead or contact: ``(filename, zip bytes)``.

    ``datos.json`` holds every row (see the module doc); ``documentos/<id>-<name>`` the
    files. Out of scope → ``NotFound``; audited as ``export_personal_data``."""
    if entity not in ENTITIES:
        raise NotFound()
    require(actor, Perm.RECORDS_VIEW)
    record = _person(session, actor, entity, record_id, Action.VIEW)
    check_export_rate(session=session, actor=actor)
    leads, contacts = _linked(session, actor, record, Action.VIEW)
    lead_ids = [x.id for x in leads]
    contact_ids = [x.id for x in contacts]
    activities = _rows(session, actor, select(Activity).where(
        _activity_clause(lead_ids, contact_ids)).order_by(Activity.created_at, Activity.id))
    opportunities = _rows(session, actor, select(Opportunity).where(or_(
        Opportunity.lead_id.in_(lead_ids or [-1]),
        Opportunity.contact_id.in_(contact_ids or [-1]))).order_by(Opportunity.id))
    quotes = _rows(session, actor, select(Quote).where(
        Quote.contact_id.in_(contact_ids or [-1])).order_by(Quote.id))
    documents = _rows(session, actor, _documents_stmt(lead_ids).order_by(Document.id))
    events = _audit_for(session, {"lead": lead_ids, "contact": contact_ids,
                                  "activity": [a.id for a in activities],
                                  "document": [d.id for d in documents]})
    total = sum(d.size or 0 for d in documents)
    limit_mb = MAX_EXPORT_BYTES // (1024 * 1024)
    if total > MAX_EXPORT_BYTES:
        raise ValidationFailed({"documents": t("pd.err.export_too_big", mb=limit_mb)},
                               message=t("pd.err.export_too_big", mb=limit_mb))
    now = utcnow()
    buf = io.BytesIO()
    doc_entries = []
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        written = 0
        for doc in documents:
            entry = _dump(doc)
            entry.pop("storage_key", None)
            path = document_path(doc)
            if path is not None and path.is_file():
                written += path.stat().st_size
                if written > MAX_EXPORT_BYTES:
                    raise ValidationFailed({"documents": t("pd.err.export_too_big", mb=limit_mb)},
                                           message=t("pd.err.export_too_big", mb=limit_mb))
                arcname = f"documentos/{doc.id}-{_safe_name(doc.filename)}"
                zf.write(path, arcname)
                entry["file"] = arcname
            else:
                entry["file"] = None  # the row exists, its file is missing from the data dir
            doc_entries.append(entry)
        payload = {
            "generated_at": now.isoformat().replace("+00:00", "Z"),
            "generated_by": getattr(actor, "email", None) or getattr(actor, "name", ""),
            "subject": {"entity": entity, "id": record.id},
            "leads": [_dump(x) for x in leads],
            "contacts": [_dump(x) for x in contacts],
            "activities": [_dump(x) for x in activities],
            "opportunities": [_dump(x) for x in opportunities],
            "quotes": [_dump(x) for x in quotes],
            "documents": doc_entries,
            "audit": [_dump(e) for e in events],
        }
        zf.writestr("datos.json", json.dumps(payload, ensure_ascii=False, indent=2))
    audit.record(session=session, actor=actor, entity=entity, entity_id=record.id,
                 action="export_personal_data", note=t("pd.audit.export"),
                 after={"documents": len(doc_entries), "activities": len(activities),
                        "audit_entries": len(events)})
    session.commit()
    stamp = now.astimezone(TZ).strftime("%Y%m%d")
    return f"datos-personales-{entity}-{record.id}-{stamp}.zip", buf.getvalue()


# --- erasure -------------------------------------------------------------------------------


def _text_custom_keys(session: Session, entity: str) -> set[str]:
    rows = session.exec(select(CustomFieldDef.key, CustomFieldDef.type)
                        .where(CustomFieldDef.entity == entity)).all()
    return {k for k, kind in rows if kind == CustomFieldType.TEXT}


def _erase_custom(custom: dict, text_keys: set[str], known: set[str]) -> tuple[dict, list[str]]:
    """Text custom fields and keys without a definition (free text nobody can check)
    dropped; numbers, dates, choices and yes/no kept."""
    kept = {k: v for k, v in (custom or {}).items() if k in known and k not in text_keys}
    return kept, sorted(set(custom or {}) - set(kept))


def _redact(values: dict | None, fields: Iterable[str]) -> dict | None:
    if not values:
        return values
    placeholder = t("pd.placeholder_text")
    out = dict(values)
    for key in fields:
        if key in out and out[key] not in (None, ""):
            out[key] = placeholder
    if isinstance(out.get("custom"), dict) and out["custom"]:
        out["custom"] = {k: placeholder for k in out["custom"]}
    return out


def _redact_audit(session: Session, entity: str, ids: list[int], fields: Iterable[str]) -> int:
    if not ids:
        return 0
    fields = tuple(fields)
    count = 0
    for event in session.exec(select(AuditEvent).where(AuditEvent.entity == entity,
                                                       AuditEvent.entity_id.in_(ids))).all():
        before, after = _redact(event.before, fields), _redact(event.after, fields)
        if before != event.before or after != event.after:
            event.before, event.after = before, after
            session.add(event)
            count += 1
    return count


def _erase_record(session: Session, entity: str, record: Any, now: datetime) -> list[str]:
    """Overwrite the personal fields of one lead/contact; returns the fields erased."""
    erased = []
    for key in PERSONAL_FIELDS[entity]:
        placeholder = t("pd.placeholder_name") if key == "first_name" else ""
        if getattr(record, key) != placeholder:
            erased.append(key)
        setattr(record, key, placeholder)
    known = set(session.exec(select(CustomFieldDef.key)
                             .where(CustomFieldDef.entity == entity)).all())
    record.custom, dropped = _erase_custom(record.custom, _text_custom_keys(session, entity),
                                           known)
    erased += [f"custom.{k}" for k in dropped]
    record.anonymised_at = now
    record.updated_at = now
    session.add(record)
    return erased


def _anonymise_rows(session: Session, actor: Actor, leads: list[Lead],
                    contacts: list[Contact], *, note: str) -> dict[str, int]:
    now = utcnow()
    lead_ids = [x.id for x in leads]
    contact_ids = [x.id for x in contacts]
    # documents: the files and rows of the person's lead, except those of a quote (fiscal)
    docs = list(session.exec(_documents_stmt(lead_ids).where(Document.quote_id.is_(None))).all())
    files = [p for p in (document_path(d) for d in docs) if p is not None]
    doc_ids = [d.id for d in docs]
    for doc in docs:
        session.delete(doc)
    activities = list(session.exec(select(Activity).where(
        _activity_clause(lead_ids, contact_ids))).all())
    for act in activities:
        act.subject = t("pd.placeholder_activity")
        act.description = act.outcome = ""  # a call's outcome is free text too
        session.add(act)
    alerts = session.exec(delete(Alert).where(or_(  # their texts may name the person
        Alert.lead_id.in_(lead_ids or [-1]), Alert.contact_id.in_(contact_ids or [-1])))).rowcount
    for batch in session.exec(select(ImportBatch).where(
            ImportBatch.entity.in_(("lead", "contact")))).all():
        ids = {str(i) for i in (lead_ids if batch.entity == "lead" else contact_ids)}
        if ids & set(batch.previous_values or {}):
            batch.previous_values = {k: v for k, v in batch.previous_values.items()
                                     if k not in ids}
            session.add(batch)
    redacted = _redact_audit(session, "lead", lead_ids, PERSONAL_FIELDS["lead"])
    redacted += _redact_audit(session, "contact", contact_ids, PERSONAL_FIELDS["contact"])
    redacted += _redact_audit(session, "activity", [a.id for a in activities], ACTIVITY_FIELDS)
    redacted += _redact_audit(session, "document", doc_ids, ("filename",))
    for entity, rows in (("lead", leads), ("contact", contacts)):
        for row in rows:
            if row.anonymised_at is not None:
                continue
            erased = _erase_record(session, entity, row, now)
            audit.record(session=session, actor=actor, entity=entity, entity_id=row.id,
                         action="anonymise", note=note,
                         after={"anonymised_at": now.isoformat(), "fields": erased,
                                "documents_deleted": len(docs),
                                "activities_anonymised": len(activities)})
    session.flush()
    session.commit()
    for path in files:  # after the commit: a rollback must not leave rows without files
        path.unlink(missing_ok=True)
    return {"leads": len(leads), "contacts": len(contacts), "documents": len(docs),
            "activities": len(activities), "alerts": alerts or 0, "audit_redacted": redacted}


@needs_actor
def anonymise_person(*, session: Session, actor: Actor, entity: str, record_id: int
                     ) -> dict[str, int]:
    """Erase a lead or contact for good (see the module doc). Needs ``records.delete`` on
    the record; the linked lead/contact is anonymised too when the actor may delete it."""
    if entity not in ENTITIES:
        raise NotFound()
    require(actor, Perm.RECORDS_DELETE)
    record = _person(session, actor, entity, record_id, Action.DELETE)
    refuse_if_anonymised(record, entity)
    leads, contacts = _linked(session, actor, record, Action.DELETE)
    return _anonymise_rows(session, actor, leads, contacts, note=t("pd.audit.anonymise"))


# --- retention -----------------------------------------------------------------------------


def months_before(when: datetime, months: int) -> datetime:
    """``when`` minus ``months`` calendar months (the day clamped to the month's end)."""
    year, month = divmod(when.year * 12 + (when.month - 1) - months, 12)
    month += 1
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (nxt - timedelta(days=1)).day
    return when.replace(year=year, month=month, day=min(when.day, last_day))


def retention_months(*, session: Session) -> int:
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    return org.lead_retention_months if org is not None else RETENTION_DEFAULT


def check_months(value: Any) -> int:
    try:
        months = int(str(value).strip())
    except (TypeError, ValueError):
        months = -1
    if isinstance(value, bool) or not RETENTION_MIN <= months <= RETENTION_MAX:
        msg = t("pd.err.months", low=RETENTION_MIN, high=RETENTION_MAX)
        raise ValidationFailed({"lead_retention_months": msg}, message=msg)
    return months


def _expired_stmt(months: int, now: datetime) -> Any:
    cutoff = months_before(now, months)
    recent = select(Activity.lead_id).where(Activity.lead_id.is_not(None), or_(
        Activity.created_at >= cutoff, Activity.updated_at >= cutoff,
        Activity.done_at >= cutoff))
    return (select(Lead)
            .where(Lead.status == LeadStatus.DESCARTADO, Lead.anonymised_at.is_(None),
                   Lead.converted_at.is_(None),
                   func.coalesce(Lead.updated_at, Lead.created_at) < cutoff,
                   Lead.created_at < cutoff, Lead.id.not_in(recent)))


@needs_actor
def preview_retention(*, session: Session, actor: Actor, months: Any = None,
                      now: datetime | None = None) -> int:
    """How many leads the retention job would anonymise with ``months`` (default: the
    setting). Needs ``settings.change``."""
    require(actor, Perm.SETTINGS_CHANGE)
    months = retention_months(session=session) if months is None else check_months(months)
    stmt = _expired_stmt(months, now or utcnow())
    return session.exec(select(func.count()).select_from(stmt.subquery())).one()


@needs_actor
def set_retention(*, session: Session, actor: Actor, months: Any) -> int:
    require(actor, Perm.SETTINGS_CHANGE)
    months = check_months(months)
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    if org is None:
        org = Organisation()
    old = org.lead_retention_months if org.id is not None else None
    if old != months:
        org.lead_retention_months = months
        org.updated_at = utcnow()
        session.add(org)
        session.flush()
        audit.record(session=session, actor=actor, entity="organisation", entity_id=org.id,
                     action="update", before={"lead_retention_months": old},
                     after={"lead_retention_months": months})
    session.commit()
    return months


def run_retention(*, session: Session, now: datetime | None = None) -> int:
    """The nightly job: anonymise, as the system, every expired discarded lead (and the
    contact it may have become, which cannot happen for a never-converted lead). Returns
    how many; commits in batches."""
    months = retention_months(session=session)
    now = now or utcnow()
    done = 0
    note = t("pd.audit.retention", months=months)
    while True:
        batch = list(session.exec(_expired_stmt(months, now).order_by(Lead.id)
                                  .limit(RETENTION_BATCH)).all())
        if not batch:
            return done
        for lead in batch:
            leads, contacts = _linked(session, SYSTEM, lead, Action.DELETE)
            _anonymise_rows(session, SYSTEM, leads, contacts, note=note)
            done += 1


__all__ = ["CONSENT_TEXT_MAX", "LEGAL_BASES", "MAX_EXPORT_BYTES", "METHODS", "PERSONAL_FIELDS",
           "PURPOSES", "RETENTION_DEFAULT", "RETENTION_MAX", "RETENTION_MIN", "anonymise_person",
           "as_bool", "check_months", "clean_consent", "clean_legal_basis", "clean_method",
           "clean_personal", "document_path", "export_person", "months_before", "parse_when",
           "preview_retention", "refuse_if_anonymised", "retention_months", "run_retention",
           "set_retention"]
