"""Leads: create, validate, find duplicates, list, update, change status, recycle bin, bulk
actions and the record timeline.

Ownership on creation (manual entry and API):

- an explicit ``owner_id`` wins; giving a lead to someone else needs ``Perm.RECORDS_ASSIGN``
  and a target in the actor's scope (a manager: own team; admin/director: anyone active);
- a **comercial** who enters a lead by hand owns it: they found it, and row scoping would
  otherwise hide it from them the moment it is saved. Rules are not applied;
- an **admin, director or manager** without an owner: the assignment rules decide (their rule
  is stored in ``assigned_rule_id`` and named in the audit event); when no rule and no
  fallback owner assign it, the creator owns it, so a lead is never orphaned.

The file importer (``crm_app.services.importing``) applies the rules to every row instead.
Every read goes through ``restrict``/``can_access``: a record out of scope is "not found".
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from crm_app.formatting import TZ
from crm_app.i18n import t
from crm_app.models import (
    Account,
    Activity,
    AssignmentRule,
    AuditEvent,
    Contact,
    Lead,
    LeadStatus,
    Team,
    User,
    utcnow,
)
from crm_app.models.bounds import day_in_range, day_range_message, id_in_range
from crm_app.permissions import Action, Perm, can_access, require, restrict, scope_of
from crm_app.services import audit, links, outbox, personal_data, search
from crm_app.services.actors import SYSTEM, Actor, is_system, needs_actor
from crm_app.services.assignment import Assigner
from crm_app.services.automation_runs import runs_on
from crm_app.services.custom_fields import active_defs, clean_values, coerce_value, parse_date
from crm_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm_app.services.normalize import (
    EMAIL_INVALID,
    email_is_valid,
    nif_compact,
    normalize_email,
    normalize_nif,
    normalize_phone,
)
from crm_app.services.search import contains
from crm_app.services.spain import canonical_province

STATUSES = tuple(s.value for s in LeadStatus)
TEXT_FIELDS = ("first_name", "last_name", "company", "position", "city", "source",
               "discard_reason", "notes")
EDITABLE = frozenset((*TEXT_FIELDS, "nif", "email", "phone", "province", "status", "custom",
                      "owner_id", "legal_basis", "consent"))
READ_ONLY = frozenset(Lead.model_fields) - EDITABLE
SORTABLE = ("created_at", "updated_at", "first_name", "last_name", "company", "email", "phone",
            "province", "city", "source", "status", "owner_id", "id")
MAX_PAGE_SIZE = 200
MAX_BULK = 5000

NOT_FOUND = "Lead no encontrado."
NAME_OR_COMPANY = "Indica un nombre o una empresa."
EMAIL_OR_PHONE = "Indica un correo electrónico o un teléfono."
DISCARD_REASON = "Indica el motivo del descarte."
PICK_OWNER = "Elige un responsable."
BAD_STATUS = "Estado no válido: nuevo, contactado, cualificado, descartado o convertido."
USE_CONVERT = "Para convertir un lead usa la acción «Convertir»."
CONVERTED_LOCKED = "El lead ya está convertido; su estado no se puede cambiar."


def _max_len(name: str) -> int | None:
    for meta in Lead.model_fields[name].metadata:
        if getattr(meta, "max_length", None):
            return meta.max_length
    return None


_MAX = {name: _max_len(name) for name in (*TEXT_FIELDS, "email", "province")}


# --- validation ----------------------------------------------------------------------------


def clean_lead_data(*, session: Session, data: dict, current: Lead | None = None,
                    defs: dict | None = None) -> dict:
    """Validate and normalise the editable fields in ``data`` (a create payload, or a partial
    update of ``current``). Returns the changes; raises ``ValidationFailed`` (Spanish, per
    field) when the resulting record would be invalid. ``owner_id`` is returned untouched."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key in data:
        if key not in EDITABLE and key not in READ_ONLY and key not in ("name",):
            errors[key] = "Campo desconocido."
    for key in TEXT_FIELDS:
        if key in data:
            value = "" if data[key] is None else str(data[key]).strip()
            limit = _MAX.get(key)
            if limit and len(value) > limit:
                errors[key] = f"Máximo {limit} caracteres."
            out[key] = value
    if "email" in data:
        email = normalize_email(data["email"])
        if email and not email_is_valid(email):
            errors["email"] = EMAIL_INVALID
        out["email"] = email
    if "phone" in data:
        try:
            out["phone"] = normalize_phone(data["phone"])
        except ValueError as exc:
            errors["phone"] = str(exc)
    if "nif" in data:
        try:
            out["nif"] = normalize_nif(data["nif"])
        except ValueError as exc:
            errors["nif"] = str(exc)
    if "province" in data:
        raw = "" if data["province"] is None else str(data["province"]).strip()
        out["province"] = canonical_province(raw) or raw[: _MAX["province"] or 60]
    if "status" in data:
        status = str(data["status"] or "").strip().lower()
        old = current.status if current is not None else None
        if status not in STATUSES:
            errors["status"] = BAD_STATUS
        elif old == LeadStatus.CONVERTIDO and status != old:
            errors["status"] = CONVERTED_LOCKED
        elif status == LeadStatus.CONVERTIDO and old != LeadStatus.CONVERTIDO:
            errors["status"] = USE_CONVERT
        out["status"] = status
    if "custom" in data:
        custom, custom_errors = clean_values(
            session=session, entity="lead", values=data["custom"], defs=defs,
            base=current.custom if current is not None else None)
        errors.update(custom_errors)
        out["custom"] = custom
    if "owner_id" in data:
        out["owner_id"] = data["owner_id"]
    out.update(personal_data.clean_personal(data=data, current=current, errors=errors))

    def merged(key: str) -> Any:
        if key in out:
            return out[key]
        if current is not None:
            return getattr(current, key)
        return Lead.model_fields[key].default

    if not (merged("first_name") or merged("last_name") or merged("company")):
        errors.setdefault("first_name", NAME_OR_COMPANY)
        errors.setdefault("company", NAME_OR_COMPANY)
    if not (merged("email") or merged("phone")) and "email" not in errors \
            and "phone" not in errors:
        errors["email"] = EMAIL_OR_PHONE
        errors["phone"] = EMAIL_OR_PHONE
    status = merged("status")
    if status == LeadStatus.DESCARTADO and not merged("discard_reason") \
            and "status" not in errors:
        errors["discard_reason"] = DISCARD_REASON
    elif status != LeadStatus.DESCARTADO and ("status" in out) and merged("discard_reason"):
        out["discard_reason"] = ""  # leaving "descartado" clears the reason
    if errors:
        raise ValidationFailed(errors)
    return out


@needs_actor
def check_assignable(*, session: Session, actor: Actor, owner_id: Any) -> User:
    """The target user of an assignment, if ``actor`` may give records to them; else
    ``ValidationFailed`` on ``owner_id`` (the rule of every record: ``links.owner``)."""
    if owner_id is None or str(owner_id).strip() == "":
        raise ValidationFailed({"owner_id": PICK_OWNER})
    errors: dict[str, str] = {}
    target = links.owner(session, actor, owner_id, errors=errors)
    if target is None:
        message = errors.get("owner_id") or t("links.owner.missing")
        raise ValidationFailed({"owner_id": message}, message=message)
    return target


# --- serialisation -------------------------------------------------------------------------


def full_name(lead: Lead | dict) -> str:
    get = lead.get if isinstance(lead, dict) else lambda k: getattr(lead, k)
    return f"{get('first_name') or ''} {get('last_name') or ''}".strip()


def display_name(lead: Lead) -> str:
    name = full_name(lead)
    if name and lead.company:
        return f"{name} ({lead.company})"
    return name or lead.company


def lead_dict(lead: Lead, names: dict[int, str] | None = None,
              teams: dict[int, str] | None = None) -> dict:
    """A JSON-safe dict of the lead plus display helpers (name, owner and team names)."""
    data = {k: audit.jsonable(v) for k, v in lead.model_dump().items()}
    data["name"] = full_name(lead)
    data["display_name"] = display_name(lead)
    if names is not None:
        data["owner_name"] = names.get(lead.owner_id, "") if lead.owner_id else ""
    if teams is not None:
        data["team_name"] = teams.get(lead.team_id, "") if lead.team_id else ""
    return data


def _names(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(User.id.in_(ids))).all())


def _teams(session: Session) -> dict[int, str]:
    return dict(session.exec(select(Team.id, Team.name)).all())


# --- create / read -------------------------------------------------------------------------


@needs_actor
def create_lead(*, session: Session, actor: Actor, data: dict,
                assigner: Assigner | None = None, reject_duplicates: bool = False,
                commit: bool = True) -> Lead:
    """Create a lead (see the module docstring for who owns it). ``assigner`` may be shared
    by a caller creating many leads; ``reject_duplicates`` raises ``Conflict`` when the email,
    phone or NIF already exists in a lead, contact or account the actor can see."""
    require(actor, Perm.RECORDS_CHANGE)
    clean = clean_lead_data(session=session, data=data)
    owner_given = clean.pop("owner_id", None)
    if reject_duplicates:
        dups = find_duplicates(session=session, actor=actor, email=clean.get("email", ""),
                               phone=clean.get("phone", ""), nif=clean.get("nif", ""))
        if dups:
            first = dups[0]
            raise Conflict(f"Ya existe un {_ENTITY_ES[first['entity']]} con el mismo "
                           f"{_FIELD_ES[first['field']]}.")
    rule_id: int | None = None
    note = ""
    if owner_given not in (None, ""):
        owner = check_assignable(session=session, actor=actor, owner_id=owner_given)
        owner_id, team_id = owner.id, owner.team_id
    elif scope_of(actor) == "own":
        owner_id, team_id = actor.id, actor.team_id
    else:
        loaded = assigner is None
        assigner = assigner or Assigner.load(session=session)
        owner_id, team_id, rule_id = assigner.assign(
            {**clean, "status": clean.get("status", LeadStatus.NUEVO),
             "custom": clean.get("custom", {}), "created_at": utcnow()})
        if owner_id is None and is_system(actor):  # the system owns nothing
            note = "Sin regla aplicable: sin responsable"
        elif owner_id is None:
            owner_id, team_id = actor.id, actor.team_id
            note = "Sin regla aplicable: asignado a quien lo crea"
        elif rule_id is not None:
            rule = session.get(AssignmentRule, rule_id)
            note = f"Asignado por la regla «{rule.name if rule else rule_id}»"
        else:
            note = "Asignado al responsable por defecto"
        if loaded:
            assigner.persist(session=session)
    now = utcnow()
    lead = Lead(**clean, owner_id=owner_id, team_id=team_id, assigned_rule_id=rule_id,
                created_at=now)
    if lead.status in (LeadStatus.CONTACTADO, LeadStatus.CUALIFICADO):
        lead.first_contacted_at = now
    session.add(lead)
    session.flush()
    audit.record(session=session, actor=actor, entity="lead", entity_id=lead.id,
                 action="create", after=audit.snapshot(lead), note=note)
    outbox.emit_created(session=session, entity="lead", record_id=lead.id, actor_id=actor.id)
    if commit:
        session.commit()
    return lead


@needs_actor
def get_lead(*, session: Session, actor: Actor, lead_id: int, action: Action | str = Action.VIEW,
             include_deleted: bool = False) -> Lead:
    """One lead the actor may ``action``; ``NotFound`` when missing or out of scope."""
    lead = session.get(Lead, lead_id)
    if lead is None or (lead.deleted_at is not None and not include_deleted):
        raise NotFound(NOT_FOUND)
    if not can_access(actor, lead, Action.VIEW):
        raise NotFound(NOT_FOUND)
    if not can_access(actor, lead, action):
        raise PermissionDenied()
    return lead


def written_lead_dict(*, session: Session, lead: Lead) -> dict:
    """``lead_dict`` with owner and team names for a lead the caller has just written.

    No scope check on purpose: a manager whose new lead the rules sent to another team gets
    back what they typed and where it went, though the lead is out of their scope from now on.
    """
    return lead_dict(lead, _names(session, {lead.owner_id}), _teams(session))


@needs_actor
def get_lead_dict(*, session: Session, actor: Actor, lead_id: int) -> dict:
    lead = get_lead(session=session, actor=actor, lead_id=lead_id)
    return lead_dict(lead, _names(session, {lead.owner_id}), _teams(session))


# --- duplicates ----------------------------------------------------------------------------

_ENTITY_ES = {"lead": "lead", "contact": "contacto", "account": "cliente"}
_FIELD_ES = {"email": "correo electrónico", "phone": "teléfono", "nif": "NIF"}


def _dup_keys(email: str | None, phone: str | None, nif: str | None) -> dict[str, str]:
    keys = {"email": normalize_email(email)}
    try:
        keys["phone"] = normalize_phone(phone)
    except ValueError:
        keys["phone"] = ""
    try:
        keys["nif"] = normalize_nif(nif)
    except ValueError:
        keys["nif"] = nif_compact(nif)
    return {k: v for k, v in keys.items() if v}


def _email_eq(model: Any, email: str) -> Any:
    """Leads store emails normalised (lowercase), so plain equality uses the index; contacts
    and accounts may hold emails as typed, so they compare lowercased."""
    if model is Lead:
        return Lead.email == email
    return func.lower(model.email) == email


@needs_actor
def find_duplicates(*, session: Session, actor: Actor, email: str | None = None,
                    phone: str | None = None, nif: str | None = None,
                    exclude_id: int | None = None, limit: int = 20) -> list[dict]:
    """Leads, contacts and accounts (not deleted) with the same email (case-insensitive),
    phone (E.164) or NIF.

    Records the actor can see come with their id, name and owner. Matches the actor cannot
    see are reported once per entity and field as ``{"visible": False}`` with no id, name or
    owner: enough to say "a colleague already has this contact" without leaking the record.
    ``exclude_id`` is a lead id (the lead being edited).
    """
    keys = _dup_keys(email, phone, nif)
    if not keys:
        return []
    results: list[dict] = []
    hidden: set[tuple[str, str]] = set()
    for entity, model in (("lead", Lead), ("contact", Contact), ("account", Account)):
        conds = []
        if "email" in keys:
            conds.append(_email_eq(model, keys["email"]))
        if "phone" in keys:
            conds.append(model.phone == keys["phone"])
        if "nif" in keys:
            conds.append(model.nif == keys["nif"])
        # deleted_at is checked in Python: in SQL, SQLite's planner (without statistics)
        # would pick its index over the selective email/phone/nif ones and scan every row.
        base = select(model).where(or_(*conds))
        if entity == "lead" and exclude_id is not None:
            base = base.where(model.id != exclude_id)
        visible_ids: set[int] = set()
        for row in session.exec(restrict(base, actor).limit(limit * 5)).all():
            if row.deleted_at is not None or len(visible_ids) >= limit:
                continue
            visible_ids.add(row.id)
            fields = [f for f, v in keys.items()
                      if (str(getattr(row, f) or "").lower() if f == "email"
                          else getattr(row, f)) == v]
            name = row.name if entity == "account" else full_name(row)
            results.append({"entity": entity, "id": row.id, "visible": True,
                            "name": name or getattr(row, "company", "") or "",
                            "company": getattr(row, "company", "") if entity == "lead" else "",
                            "field": fields[0] if fields else "", "fields": fields,
                            "email": row.email, "phone": row.phone, "nif": row.nif,
                            "owner_id": row.owner_id,
                            "status": getattr(row, "status", None)})
        # Existence only, for matches outside the actor's scope.
        for fld, value in keys.items():
            match = _email_eq(model, value) if fld == "email" else getattr(model, fld) == value
            stmt = select(model.id, model.deleted_at).where(match)
            if entity == "lead" and exclude_id is not None:
                stmt = stmt.where(model.id != exclude_id)
            if visible_ids:
                stmt = stmt.where(model.id.not_in(visible_ids))
            if any(deleted_at is None for _id, deleted_at in session.exec(stmt.limit(50))):
                hidden.add((entity, fld))
    names = _names(session, {r["owner_id"] for r in results})
    for row in results:
        row["owner_name"] = names.get(row["owner_id"], "")
    for entity, fld in sorted(hidden):
        results.append({"entity": entity, "id": None, "visible": False, "name": "",
                        "company": "", "field": fld, "fields": [fld], "email": "",
                        "phone": "", "nif": "", "owner_id": None, "owner_name": "",
                        "status": None})
    return results


@needs_actor
def possible_duplicates(*, session: Session, actor: Actor, clean: dict,
                        current: Lead | None = None) -> list[dict]:
    """The records a save of ``clean`` (what ``clean_lead_data`` returned) would newly share
    an email, phone or NIF with (``find_duplicates`` rows). On an edit of ``current`` only the
    values that change count: a duplicate that was already there was already warned about."""
    keys = {k: clean.get(k) or "" for k in ("email", "phone", "nif")}
    if current is not None:
        keys = {k: v for k, v in keys.items() if v != (getattr(current, k) or "")}
    keys = {k: v for k, v in keys.items() if v}
    if not keys:
        return []
    return find_duplicates(session=session, actor=actor,
                           exclude_id=current.id if current is not None else None, **keys)


# --- list ----------------------------------------------------------------------------------


def _parse_day(value: Any, field: str) -> datetime:
    try:
        day = parse_date(value)
    except ValueError:
        raise ValidationFailed({field: "Fecha no válida: usa dd/mm/aaaa."}) from None
    if not day_in_range(day):  # the filter adds a day and shifts to UTC
        raise ValidationFailed({field: day_range_message()})
    return datetime.combine(day, time.min, tzinfo=TZ).astimezone(UTC)


def _as_list(value: Any) -> list:
    if isinstance(value, (list, tuple, set)):
        return [v for v in value if v not in (None, "")]
    if isinstance(value, str) and "," in value:
        return [v.strip() for v in value.split(",") if v.strip()]
    return [] if value in (None, "") else [value]


def _custom_clause(defs: dict, key: str, value: Any) -> Any:
    defn = defs.get(key)
    element = Lead.custom[key]
    values = _as_list(value)
    if defn is not None and defn.type == "number" and isinstance(value, (list, tuple)) \
            and len(value) == 2:
        lo, hi = value
        clauses = []
        if lo not in (None, ""):
            clauses.append(element.as_float() >= float(coerce_value(defn, lo)))
        if hi not in (None, ""):
            clauses.append(element.as_float() <= float(coerce_value(defn, hi)))
        return clauses
    if defn is not None and defn.type == "bool":
        return [element.as_boolean() == bool(coerce_value(defn, values[0]))]
    if defn is not None and defn.type == "number":
        return [element.as_float().in_([float(coerce_value(defn, v)) for v in values])]
    if defn is not None:
        values = [coerce_value(defn, v) for v in values]
    return [element.as_string().in_([str(v) for v in values])]


def lead_filters(*, session: Session, q: str = "", filters: dict | None = None
                 ) -> list[Any]:
    """The WHERE clauses for a search text and a filter dict (see ``list_leads``).

    ``deleted_at`` has no index on purpose (almost every lead is live, so it would only tempt
    the planner away from the sort column's index and slow bulk imports down)."""
    filters = dict(filters or {})
    clauses: list[Any] = []
    deleted = filters.pop("deleted", False)
    if deleted in (True, "1", "true"):
        clauses.append(Lead.deleted_at.is_not(None))
    else:
        clauses.append(Lead.deleted_at.is_(None))
    for name in ("status", "source", "province"):
        values = _as_list(filters.pop(name, None))
        if name == "province":
            values = [canonical_province(str(v)) or str(v) for v in values]
        if values:
            clauses.append(getattr(Lead, name).in_([str(v) for v in values]))
    for name in ("owner_id", "team_id", "assigned_rule_id", "import_batch_id"):
        values = _as_list(filters.pop(name, None))
        if not values:
            continue
        ids, want_none = [], False
        for v in values:
            if str(v).lower() in ("none", "null", "0", "sin"):
                want_none = True
            else:
                try:
                    number = int(v)
                except (TypeError, ValueError):
                    number = 0
                if not id_in_range(number):  # beyond 2^63 the database cannot compare it
                    raise ValidationFailed({name: "Identificador no válido."})
                ids.append(number)
        column = getattr(Lead, name)
        parts = ([column.in_(ids)] if ids else []) + ([column.is_(None)] if want_none else [])
        clauses.append(or_(*parts))
    created_from = filters.pop("created_from", None)
    created_to = filters.pop("created_to", None)
    if created_from not in (None, ""):
        clauses.append(Lead.created_at >= _parse_day(created_from, "created_from"))
    if created_to not in (None, ""):
        clauses.append(Lead.created_at < _parse_day(created_to, "created_to") + timedelta(days=1))
    custom = dict(filters.pop("custom", None) or {})
    for key in [k for k in filters if k.startswith("custom.")]:
        custom[key[7:]] = filters.pop(key)
    if custom:
        defs = active_defs(session=session, entity="lead")
        for key, value in custom.items():
            if value in (None, "", []):
                continue
            try:
                clauses.extend(_custom_clause(defs, key, value))
            except ValueError as exc:
                raise ValidationFailed({f"custom.{key}": str(exc)}) from None
    unknown = [k for k, v in filters.items() if v not in (None, "", [])]
    if unknown:
        raise ValidationFailed({k: "Filtro desconocido." for k in unknown})
    clauses.extend(search_clauses(q, session.get_bind().dialect.name))
    return clauses


def search_clauses(q: str, dialect: str = "sqlite") -> list[Any]:
    """Every word must appear in the name, company, email, phone or NIF, ignoring accents and
    case ("garcia" finds "García"); ``%``, ``_`` and ``\\`` match themselves.

    A complete phone number, NIF or email is an exact, indexed lookup (``600 12 34 56`` finds
    ``+34600123456``; ``b-12345674`` finds ``B12345674``). Other digit runs match inside
    phones and NIFs; anything else is a substring search: names and company in the folded
    ``search_text``, email, phone and NIF as stored (lower-case, E.164, upper-case: already
    one form per value; phone and NIF only for a word that could be inside one, each column
    scanned costs ~20 ms at 200,000 leads). ``dialect`` is unused (kept for callers): the
    same SQL runs on SQLite and PostgreSQL.
    """
    clauses = []
    text = (q or "").strip()
    if not text:
        return clauses
    exact = []
    digits = "".join(ch for ch in text if ch.isdigit())
    if "@" in text and email_is_valid(text):
        exact.append(Lead.email == normalize_email(text))
    elif len(digits) >= 6:  # letters alone could parse as a "vanity" phone number
        for normaliser, column in ((normalize_phone, Lead.phone), (normalize_nif, Lead.nif)):
            try:
                value = normaliser(text)
            except ValueError:
                value = ""
            if value:
                exact.append(column == value)
    if exact:
        return [or_(*exact)]
    if len(digits) >= 6 and len(digits) >= len(text.replace(" ", "").replace("+", "")) - 1:
        phone_term = digits[-9:] if len(digits) > 9 else digits
        compact = nif_compact(text)
        return [or_(contains(Lead.phone, phone_term),
                    *([contains(Lead.nif, compact)] if compact else []))]
    for word in text.split()[:6]:
        folded = search.term(word)
        parts = [contains(Lead.search_text, folded)] if folded else []
        parts.append(contains(Lead.email, word.lower()))
        if search.could_be_in_phone(word):
            parts.append(contains(Lead.phone, word))
        compact = search.nif_fragment(word)
        if compact:
            parts.append(contains(Lead.nif, compact))
        clauses.append(or_(*parts))
    return clauses


@needs_actor
def list_leads(*, session: Session, actor: Actor, q: str = "", filters: dict | None = None,
               sort: str = "created_at", desc: bool = True, page: int = 1,
               page_size: int = 25) -> tuple[list[dict], int]:
    """One page of the leads the actor may see, plus the total count.

    ``filters``: ``status``, ``source``, ``province`` (value or list), ``owner_id``,
    ``team_id``, ``assigned_rule_id``, ``import_batch_id`` (id, list, or ``"none"`` for
    unassigned), ``created_from``/``created_to`` (dates, inclusive, Madrid days),
    ``custom`` (``{key: value | [values] | [lo, hi] for numbers}``) or ``custom.<key>``,
    ``deleted`` (the recycle bin). Sort on a whitelisted column; ties by id.
    """
    page = max(1, int(page or 1))
    page_size = max(1, min(int(page_size or 25), MAX_PAGE_SIZE))
    count_stmt = restrict(select(func.count(Lead.id)).select_from(Lead), actor)
    for clause in lead_filters(session=session, q=q, filters=filters):
        count_stmt = count_stmt.where(clause)
    rows_stmt = restrict(select(Lead), actor)
    for clause in lead_filters(session=session, q=q, filters=filters):
        rows_stmt = rows_stmt.where(clause)
    total = int(session.exec(count_stmt).one())
    column = getattr(Lead, sort if sort in SORTABLE else "created_at")
    order = column.desc() if desc else column.asc()
    tie = Lead.id.desc() if desc else Lead.id.asc()
    rows = list(session.exec(rows_stmt.order_by(order, tie)
                             .offset((page - 1) * page_size).limit(page_size)).all())
    names = _names(session, {r.owner_id for r in rows})
    teams = _teams(session)
    return [lead_dict(r, names, teams) for r in rows], total


# --- update / status / recycle bin ---------------------------------------------------------


@needs_actor
def update_lead(*, session: Session, actor: Actor, lead_id: int, data: dict,
                commit: bool = True) -> Lead:
    """Partial update; the audit event keeps only the fields that changed (before/after).
    ``owner_id`` reassigns (same checks as ``assign``); ``None`` means "no change"."""
    lead = get_lead(session=session, actor=actor, lead_id=lead_id, action=Action.CHANGE)
    personal_data.refuse_if_anonymised(lead, "lead")
    before = audit.snapshot(lead)
    clean = clean_lead_data(session=session, data=data, current=lead)
    owner_given = clean.pop("owner_id", None)
    if owner_given not in (None, "") and str(owner_given) != str(lead.owner_id):
        owner = check_assignable(session=session, actor=actor, owner_id=owner_given)
        lead.owner_id, lead.team_id = owner.id, owner.team_id
        lead.assigned_rule_id = None
    for key, value in clean.items():
        setattr(lead, key, value)
    if lead.status in (LeadStatus.CONTACTADO, LeadStatus.CUALIFICADO) \
            and lead.first_contacted_at is None:
        lead.first_contacted_at = utcnow()
    old, new = audit.diff(before, audit.snapshot(lead))
    if not new:
        return lead
    lead.updated_at = utcnow()
    session.add(lead)
    changed = set(new)
    if changed <= {"owner_id", "team_id", "assigned_rule_id"}:
        action = "assign"
    elif "status" in changed and changed <= {"status", "discard_reason", "first_contacted_at"}:
        action = "status"
    else:
        action = "update"
    audit.record(session=session, actor=actor, entity="lead", entity_id=lead.id, action=action,
                 before=old, after=new)
    outbox.emit_changes(session=session, entity="lead", record_id=lead.id, actor_id=actor.id,
                        old=old, new=new)
    if commit:
        session.commit()
    return lead


@needs_actor
def change_status(*, session: Session, actor: Actor, lead_id: int, status: str,
                  discard_reason: str = "") -> Lead:
    data: dict[str, Any] = {"status": status}
    if discard_reason:
        data["discard_reason"] = discard_reason
    return update_lead(session=session, actor=actor, lead_id=lead_id, data=data)


@needs_actor
def assign_lead(*, session: Session, actor: Actor, lead_id: int, owner_id: int) -> Lead:
    return update_lead(session=session, actor=actor, lead_id=lead_id,
                       data={"owner_id": owner_id})


@needs_actor
def delete_lead(*, session: Session, actor: Actor, lead_id: int, commit: bool = True) -> Lead:
    """Move to the recycle bin (``deleted_at``); ``restore_lead`` brings it back."""
    lead = get_lead(session=session, actor=actor, lead_id=lead_id, action=Action.DELETE)
    lead.deleted_at = utcnow()
    session.add(lead)
    audit.record(session=session, actor=actor, entity="lead", entity_id=lead.id,
                 action="delete", after={"deleted_at": lead.deleted_at.isoformat()})
    if commit:
        session.commit()
    return lead


@needs_actor
def restore_lead(*, session: Session, actor: Actor, lead_id: int) -> Lead:
    lead = get_lead(session=session, actor=actor, lead_id=lead_id, action=Action.DELETE,
                    include_deleted=True)
    if lead.deleted_at is None:
        return lead
    before = {"deleted_at": lead.deleted_at.isoformat()}
    lead.deleted_at = None
    session.add(lead)
    audit.record(session=session, actor=actor, entity="lead", entity_id=lead.id,
                 action="restore", before=before, after={"deleted_at": None})
    session.commit()
    return lead


# --- bulk actions --------------------------------------------------------------------------


def _scoped_many(session: Session, actor: Actor, lead_ids: list[int], action: Action) -> list[Lead]:
    ids = list(dict.fromkeys(int(i) for i in lead_ids or []))
    if not ids:
        raise ValidationFailed({"ids": "Selecciona al menos un lead."})
    if len(ids) > MAX_BULK:
        raise ValidationFailed({"ids": f"Como máximo {MAX_BULK} leads a la vez."})
    stmt = restrict(select(Lead).where(Lead.id.in_(ids)).where(Lead.deleted_at.is_(None)),
                    actor, action)
    return list(session.exec(stmt).all())


@needs_actor
def bulk_assign(*, session: Session, actor: Actor, lead_ids: list[int], owner_id: int) -> int:
    """Give the selected leads (those in the actor's scope) to ``owner_id``; returns how many
    changed. Needs ``Perm.RECORDS_ASSIGN`` for anyone but oneself, and a target in scope."""
    owner = check_assignable(session=session, actor=actor, owner_id=owner_id)
    n = 0
    for lead in _scoped_many(session, actor, lead_ids, Action.CHANGE):
        if lead.owner_id == owner.id:
            continue
        before = {"owner_id": lead.owner_id, "team_id": lead.team_id,
                  "assigned_rule_id": lead.assigned_rule_id}
        lead.owner_id, lead.team_id, lead.assigned_rule_id = owner.id, owner.team_id, None
        lead.updated_at = utcnow()
        session.add(lead)
        audit.record(session=session, actor=actor, entity="lead", entity_id=lead.id,
                     action="assign", before=before,
                     after={"owner_id": owner.id, "team_id": owner.team_id,
                            "assigned_rule_id": None}, note="Acción masiva")
        n += 1
    session.commit()
    return n


@needs_actor
def bulk_change_status(*, session: Session, actor: Actor, lead_ids: list[int], status: str,
                       discard_reason: str = "") -> int:
    """Change the status of the selected leads; converted leads are left as they are."""
    status = str(status or "").strip().lower()
    if status not in STATUSES:
        raise ValidationFailed({"status": BAD_STATUS})
    if status == LeadStatus.CONVERTIDO:
        raise ValidationFailed({"status": USE_CONVERT})
    if status == LeadStatus.DESCARTADO and not (discard_reason or "").strip():
        raise ValidationFailed({"discard_reason": DISCARD_REASON})
    n = 0
    for lead in _scoped_many(session, actor, lead_ids, Action.CHANGE):
        if lead.status == LeadStatus.CONVERTIDO or lead.status == status:
            continue
        before = {"status": lead.status, "discard_reason": lead.discard_reason}
        lead.status = status
        lead.discard_reason = discard_reason.strip()[:200] if status == "descartado" else ""
        if status in (LeadStatus.CONTACTADO, LeadStatus.CUALIFICADO) \
                and lead.first_contacted_at is None:
            lead.first_contacted_at = utcnow()
        lead.updated_at = utcnow()
        session.add(lead)
        audit.record(session=session, actor=actor, entity="lead", entity_id=lead.id,
                     action="status", before=before,
                     after={"status": lead.status, "discard_reason": lead.discard_reason},
                     note="Acción masiva")
        n += 1
    session.commit()
    return n


@needs_actor
def bulk_delete(*, session: Session, actor: Actor, lead_ids: list[int]) -> int:
    """Move the selected leads to the recycle bin."""
    now = utcnow()
    n = 0
    for lead in _scoped_many(session, actor, lead_ids, Action.DELETE):
        lead.deleted_at = now
        session.add(lead)
        audit.record(session=session, actor=actor, entity="lead", entity_id=lead.id,
                     action="delete", after={"deleted_at": now.isoformat()},
                     note="Acción masiva")
        n += 1
    session.commit()
    return n


# --- timeline ------------------------------------------------------------------------------

_ACTION_TITLES = {
    "create": "Lead creado", "update": "Lead modificado", "status": "Cambio de estado",
    "assign": "Lead reasignado", "delete": "Enviado a la papelera",
    "restore": "Recuperado de la papelera", "convert": "Convertido en cliente",
    "import": "Importado", "import_update": "Actualizado por una importación",
    "anonymise": t("pd.timeline.anonymise"), "export_personal_data": t("pd.timeline.export"),
}
_ACTIVITY_TITLES = {"task": "Tarea", "call": "Llamada", "meeting": "Reunión", "email": "Correo",
                    "note": "Nota"}
_HIDDEN_FIELDS = {"updated_at", "id", "created_at", "custom"}


@needs_actor
def lead_timeline(*, session: Session, actor: Actor, lead_id: int,
                  limit: int = 200) -> list[dict]:
    """Audit events, activities and automation runs of one lead, newest first.

    Each item: ``{"kind": "event"|"activity", "at", "title", "detail", "actor_id",
    "actor_name", "changes": [{"field", "before", "after"}], ...}``.
    """
    lead = get_lead(session=session, actor=actor, lead_id=lead_id, include_deleted=True)
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "lead")
                          .where(AuditEvent.entity_id == lead.id)
                          .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                          .limit(limit)).all()
    activities = session.exec(restrict(
        select(Activity).where(Activity.lead_id == lead.id).where(Activity.deleted_at.is_(None)),
        actor).order_by(Activity.created_at.desc()).limit(limit)).all()
    user_ids = {e.actor_id for e in events} | {a.created_by_id for a in activities} | {
        a.owner_id for a in activities}
    for e in events:
        for snap in (e.before or {}, e.after or {}):
            if isinstance(snap.get("owner_id"), int):
                user_ids.add(snap["owner_id"])
    names = _names(session, user_ids)
    items: list[dict] = []
    for e in events:
        before, after = e.before or {}, e.after or {}
        changes = []
        if e.action not in ("create", "import"):
            for key in sorted(set(before) | set(after)):
                if key in _HIDDEN_FIELDS or key == "team_id":
                    continue
                old, new = before.get(key), after.get(key)
                if key == "owner_id":
                    old, new = names.get(old, old), names.get(new, new)
                changes.append({"field": key, "before": old, "after": new})
        title = _ACTION_TITLES.get(e.action, e.action)
        if e.action == "status":
            title = f"Estado: {before.get('status', '')} → {after.get('status', '')}"
        elif e.action == "assign":
            title = f"Asignado a {names.get(after.get('owner_id'), 'nadie')}"
        items.append({"kind": "event", "id": e.id, "at": e.at, "title": title,
                      "detail": e.note, "action": e.action, "actor_id": e.actor_id,
                      "actor_name": names.get(e.actor_id, SYSTEM.name), "changes": changes})
    for a in activities:
        items.append({"kind": "activity", "id": a.id, "at": a.done_at or a.created_at,
                      "title": f"{_ACTIVITY_TITLES.get(a.kind, a.kind)}: {a.subject}",
                      "detail": " · ".join(x for x in (a.outcome, a.description) if x),
                      "action": a.kind,
                      "actor_id": a.created_by_id or a.owner_id,
                      "actor_name": names.get(a.created_by_id or a.owner_id, ""),
                      "due_at": a.due_at, "done_at": a.done_at, "changes": []})
    for run in runs_on(session, [("lead", [lead.id])], limit=limit):
        items.append({"kind": "automation", "id": run["id"], "at": run["at"],
                      "title": run["title"], "detail": run["detail"], "action": "automation",
                      "actor_id": None, "actor_name": SYSTEM.name, "changes": []})
    items.sort(key=lambda i: (i["at"], i["kind"] == "event", i["id"]), reverse=True)
    for item in items:
        for key in ("at", "due_at", "done_at"):
            if isinstance(item.get(key), datetime):
                item[key] = item[key].astimezone(UTC).isoformat()
    return items[:limit]


__all__ = ["EDITABLE", "MAX_PAGE_SIZE", "SORTABLE", "STATUSES", "assign_lead", "bulk_assign",
           "bulk_change_status", "bulk_delete", "change_status", "check_assignable",
           "clean_lead_data", "create_lead", "delete_lead", "display_name", "find_duplicates",
           "full_name", "get_lead", "get_lead_dict", "lead_dict", "lead_filters",
           "lead_timeline", "list_leads", "possible_duplicates", "restore_lead", "search_clauses",
           "update_lead", "written_lead_dict"]
