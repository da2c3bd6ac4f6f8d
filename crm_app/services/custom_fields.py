"""Custom fields: admin-defined extra fields for leads, accounts, contacts and opportunities.

Values live in the record's ``custom`` JSON under the field's ``key`` and are stored in one
canonical form per type, so filters, rules and exports compare like with like:

- ``text``: stripped string
- ``number``: a Decimal as a plain string (``"1234.5"``); ``1.234,56`` and ``1234.56`` accepted
- ``date``: ISO ``YYYY-MM-DD``; ``dd/mm/aaaa``, ``dd-mm-aaaa`` and ISO date-times accepted
- ``choice``: one of the field's choices (matched ignoring case and accents)
- ``bool``: ``true``/``false``; ``sí``, ``no``, ``1``, ``0``, ``x``, ``verdadero`` accepted

Defining fields is admin-only (``Perm.SETTINGS_CHANGE``); reading definitions is open to any
active user because every form and list needs them.

Values are bounded so the ``custom`` JSON cannot be used to store megabytes (it was: 5 MB were
accepted): the whole object is at most ``MAX_CUSTOM_BYTES`` serialised, a text at most
``MAX_TEXT`` characters (an error, never a silent cut), a number below ``MAX_NUMBER`` in
absolute value with at most ``MAX_PLACES`` decimals, and only the keys of *active* definitions
of the entity are accepted. The same ``clean_values``/``coerce_value`` serve forms, the API and
the importer, so the three agree.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, select

from crm_app.i18n import t
from crm_app.models import CustomFieldDef, CustomFieldType, Lead
from crm_app.permissions import Perm, require
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm_app.services.records import add_record, get_existing
from crm_app.services.spain import fold

ENTITIES = ("lead", "account", "contact", "opportunity")
TYPES = tuple(t.value for t in CustomFieldType)
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
RESERVED_KEYS = frozenset(Lead.model_fields) | {"custom", "owner", "team", "q"}

MAX_CUSTOM_BYTES = 16 * 1024  # the whole custom object, as UTF-8 JSON
MAX_TEXT = 2000  # characters of one text value
MAX_NUMBER = Decimal(10) ** 15  # |number| below this (amounts go up to 10^12)
MAX_PLACES = 6

_TRUE = {"true", "1", "si", "s", "yes", "y", "x", "verdadero", "t"}
_FALSE = {"false", "0", "no", "n", "falso", "f"}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_decimal(value: Any) -> Decimal:
    """``1.234,56``, ``1234,56``, ``1234.56``, ``1,234.56``, ints and floats -> Decimal."""
    if isinstance(value, bool):
        raise ValueError("Número no válido.")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("€", "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):  # 1.234,56
            text = text.replace(".", "").replace(",", ".")
        else:  # 1,234.56
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".")
    elif text.count(".") > 1:  # 1.234.567
        text = text.replace(".", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("Número no válido.") from None
    if not number.is_finite():
        raise ValueError("Número no válido.")
    return number


def decimal_text(number: Decimal) -> str:
    """Canonical plain string: ``Decimal("1234.50")`` -> ``"1234.5"``, ``100`` -> ``"100"``."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for candidate in (text, text[:10]):
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            pass
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.split(" ")[0], fmt).date()
        except ValueError:
            continue
    raise ValueError("Fecha no válida: usa dd/mm/aaaa.")


def json_size(value: Any) -> int:
    """Bytes of ``value`` as stored: compact UTF-8 JSON (lone surrogates counted, not fatal)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode("utf-8", "surrogatepass"))


def _number(value: Any) -> str:
    number = parse_decimal(value)
    if abs(number) >= MAX_NUMBER:
        raise ValueError(t("links.custom.number_range", max=f"{MAX_NUMBER:,.0f}".replace(",", ".")))
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise ValueError(t("links.custom.number_places", places=MAX_PLACES))
    return decimal_text(number)


def _text(value: Any) -> str:
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ValueError(t("links.custom.text_too_long", max=MAX_TEXT))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone UTF-16 surrogate from JSON: no database stores it
        raise ValueError(t("links.custom.bad_text")) from None
    return text


def coerce_value(defn: CustomFieldDef, value: Any) -> Any:
    """The canonical stored value for ``defn``; ``None`` for blank; ``ValueError`` (Spanish)."""
    if _empty(value):
        return None
    if isinstance(value, dict | list | tuple | set):
        raise ValueError(t("links.custom.not_scalar"))
    kind = defn.type
    if kind == CustomFieldType.TEXT:
        return _text(value)
    if kind == CustomFieldType.NUMBER:
        return _number(value)
    if kind == CustomFieldType.DATE:
        return parse_date(value).isoformat()
    if kind == CustomFieldType.BOOL:
        if isinstance(value, bool):
            return value
        key = fold(str(value))
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise ValueError("Valor no válido: usa sí o no.")
    if kind == CustomFieldType.CHOICE:
        wanted = fold(str(value))
        for choice in defn.choices or []:
            if fold(str(choice)) == wanted:
                return choice
        options = ", ".join(map(str, defn.choices or []))
        raise ValueError(f"Opción no válida: elige una de {options}.")
    return value


def active_defs(*, session: Session, entity: str) -> dict[str, CustomFieldDef]:
    """The active definitions of ``entity`` by key (cheap: no actor, for validation paths)."""
    rows = session.exec(select(CustomFieldDef).where(CustomFieldDef.entity == entity)
                        .where(CustomFieldDef.active == True)  # noqa: E712
                        .order_by(CustomFieldDef.position, CustomFieldDef.id)).all()
    return {d.key: d for d in rows}


def _inactive_keys(session: Session, entity: str) -> set[str]:
    return set(session.exec(select(CustomFieldDef.key).where(CustomFieldDef.entity == entity)
                            .where(CustomFieldDef.active == False)).all())  # noqa: E712


def clean_values(*, session: Session, entity: str, values: dict | None,
                 defs: dict[str, CustomFieldDef] | None = None,
                 base: dict | None = None) -> tuple[dict, dict[str, str]]:
    """Validate ``values`` against the definitions; returns ``(clean, errors)``.

    ``base`` is the record's current ``custom`` (for updates): keys not in ``values`` are kept;
    a blank value removes the key. Errors are keyed ``custom.<key>`` (``custom`` for the whole
    object: too big, not an object, a key that cannot be a field's). Unknown keys and keys of
    deactivated fields are errors (a blank for a deactivated field changes nothing: its stored
    value waits for the field to come back). A record whose stored object is already over the
    limit (older data) may still shrink.
    """
    defs = active_defs(session=session, entity=entity) if defs is None else defs
    clean = dict(base or {})
    errors: dict[str, str] = {}
    if values is None:
        return clean, errors
    if not isinstance(values, dict):
        return clean, {"custom": t("links.custom.not_object")}
    if json_size(values) > MAX_CUSTOM_BYTES:  # before anything else: one error, not 100,000
        return clean, {"custom": t("links.custom.too_big", kb=MAX_CUSTOM_BYTES // 1024)}
    inactive: set[str] | None = None
    for key, value in values.items():
        defn = defs.get(key)
        if defn is None:
            if not isinstance(key, str) or not KEY_RE.match(key):
                errors["custom"] = t("links.custom.unknown")  # never echo an odd key back
                continue
            inactive = _inactive_keys(session, entity) if inactive is None else inactive
            if key in inactive:
                if not _empty(value):
                    errors[f"custom.{key}"] = t("links.custom.inactive")
                continue
            errors[f"custom.{key}"] = t("links.custom.unknown")
            continue
        try:
            coerced = coerce_value(defn, value)
        except ValueError as exc:
            errors[f"custom.{key}"] = str(exc)
            continue
        if coerced is None:
            clean.pop(key, None)
        else:
            clean[key] = coerced
    if not errors:
        size = json_size(clean)
        if size > MAX_CUSTOM_BYTES and size > json_size(base or {}):
            errors["custom"] = t("links.custom.too_big", kb=MAX_CUSTOM_BYTES // 1024)
    return clean, errors


def clean_custom(*, session: Session, entity: str, values: Any, base: dict | None,
                 errors: dict[str, str]) -> dict:
    """``clean_values`` for the services that collect every field's error in one dict."""
    clean, found = clean_values(session=session, entity=entity, values=values, base=base)
    errors.update(found)
    return clean


# --- CRUD (admin) --------------------------------------------------------------------------


def field_dict(defn: CustomFieldDef) -> dict:
    return {"id": defn.id, "entity": defn.entity, "key": defn.key, "label": defn.label,
            "type": defn.type, "choices": list(defn.choices or []), "position": defn.position,
            "active": defn.active}


@needs_actor
def list_fields(*, session: Session, actor: Actor, entity: str | None = None,
                include_inactive: bool = False) -> list[CustomFieldDef]:
    if not actor.active:
        raise PermissionDenied()
    stmt = select(CustomFieldDef)
    if entity:
        stmt = stmt.where(CustomFieldDef.entity == entity)
    if not include_inactive:
        stmt = stmt.where(CustomFieldDef.active == True)  # noqa: E712
    return list(session.exec(stmt.order_by(CustomFieldDef.entity, CustomFieldDef.position,
                                           CustomFieldDef.id)).all())


def _check_choices(kind: str, choices: Any, errors: dict[str, str]) -> list:
    if kind != CustomFieldType.CHOICE:
        return []
    if not isinstance(choices, list):
        errors["choices"] = "Las opciones deben ser una lista."
        return []
    clean = [str(c).strip() for c in choices if str(c).strip()]
    if not clean:
        errors["choices"] = "Un campo de opciones necesita al menos una opción."
    elif len({fold(c) for c in clean}) != len(clean):
        errors["choices"] = "Hay opciones repetidas."
    return clean


@needs_actor
def create_field(*, session: Session, actor: Actor, entity: str, key: str, label: str,
                 type: str = CustomFieldType.TEXT, choices: list | None = None,  # noqa: A002
                 position: int | None = None) -> CustomFieldDef:
    require(actor, Perm.SETTINGS_CHANGE)
    errors: dict[str, str] = {}
    key = (key or "").strip().lower()
    label = (label or "").strip()
    if entity not in ENTITIES:
        errors["entity"] = "Entidad no válida: lead, account, contact u opportunity."
    if not KEY_RE.match(key):
        errors["key"] = ("La clave debe empezar por una letra y tener solo minúsculas, "
                         "números y guiones bajos (máx. 60).")
    elif key in RESERVED_KEYS:
        errors["key"] = "Esa clave está reservada por un campo estándar."
    if not label:
        errors["label"] = "La etiqueta es obligatoria."
    if type not in TYPES:
        errors["type"] = "Tipo no válido: texto, número, fecha, opciones o sí/no."
    clean_choices = _check_choices(type, choices or [], errors)
    if errors:
        raise ValidationFailed(errors)
    exists = session.exec(select(CustomFieldDef).where(CustomFieldDef.entity == entity)
                          .where(CustomFieldDef.key == key)).first()
    if exists is not None:
        raise Conflict(f"Ya existe un campo «{key}» para {entity}.")
    if position is None:
        position = len(session.exec(select(CustomFieldDef.id)
                                    .where(CustomFieldDef.entity == entity)).all())
    return add_record(session=session, actor=actor, entity="custom_field",
                      record=CustomFieldDef(entity=entity, key=key, label=label[:120], type=type,
                                            choices=clean_choices, position=int(position)))


@needs_actor
def update_field(*, session: Session, actor: Actor, field_id: int, label: str | None = None,
                 choices: list | None = None, position: int | None = None,
                 active: bool | None = None) -> CustomFieldDef:
    """Change label, choices, position or active; the key, entity and type are fixed because
    stored values depend on them."""
    require(actor, Perm.SETTINGS_CHANGE)
    defn = get_existing(session=session, model=CustomFieldDef, record_id=field_id,
                        missing="Campo personalizado no encontrado.")
    before = audit.snapshot(defn)
    errors: dict[str, str] = {}
    if label is not None:
        if not label.strip():
            errors["label"] = "La etiqueta es obligatoria."
        defn.label = label.strip()[:120]
    if choices is not None and defn.type == CustomFieldType.CHOICE:
        defn.choices = _check_choices(defn.type, choices, errors)
    if errors:
        raise ValidationFailed(errors)
    if position is not None:
        defn.position = int(position)
    if active is not None:
        defn.active = bool(active)
    session.add(defn)
    old, new = audit.diff(before, audit.snapshot(defn))
    audit.record(session=session, actor=actor, entity="custom_field", entity_id=defn.id,
                 action="update", before=old, after=new)
    session.commit()
    return defn


@needs_actor
def move_field(*, session: Session, actor: Actor, field_id: int, delta: int
               ) -> list[CustomFieldDef]:
    """Move an active field one place up (``delta=-1``) or down (``1``) among its entity's
    active fields, which are then numbered 0, 1, 2… in one commit (inactive ones keep their
    place). Moving the first up or the last down changes nothing. Returns the active fields
    in their new order."""
    require(actor, Perm.SETTINGS_CHANGE)
    defn = session.get(CustomFieldDef, field_id)
    if defn is None or not defn.active:
        raise NotFound("Campo personalizado no encontrado.")
    if delta not in (-1, 1):
        raise ValidationFailed({"delta": "Un campo se mueve de uno en uno: -1 o 1."})
    fields = list_fields(session=session, actor=actor, entity=defn.entity)
    fields.sort(key=lambda d: (d.position, d.id))
    i = next(n for n, d in enumerate(fields) if d.id == defn.id)
    j = i + delta
    if not 0 <= j < len(fields):
        return fields
    fields[i], fields[j] = fields[j], fields[i]
    for position, d in enumerate(fields):
        d.position = position
        session.add(d)
    audit.record(session=session, actor=actor, entity="custom_field", entity_id=None,
                 action="reorder", after={"entity": defn.entity,
                                          "order": [d.key for d in fields]})
    session.commit()
    return fields


def key_from_label(label: str) -> str:
    """The key the form suggests for a label (``"Sector de actividad"`` →
    ``"sector_de_actividad"``): what ``KEY_RE`` accepts, the admin may still change it."""
    key = re.sub(r"[^a-z0-9]+", "_", fold(label or "")).strip("_")
    if key and not key[0].isalpha():
        key = "c_" + key
    return key[:60].rstrip("_")


@needs_actor
def delete_field(*, session: Session, actor: Actor, field_id: int) -> CustomFieldDef:
    """Deactivate the field: it disappears from forms and lists, stored values are kept so
    re-activating it brings them back."""
    return update_field(session=session, actor=actor, field_id=field_id, active=False)


__all__ = ["ENTITIES", "MAX_CUSTOM_BYTES", "MAX_NUMBER", "MAX_PLACES", "MAX_TEXT", "TYPES",
           "active_defs", "clean_custom", "clean_values", "coerce_value", "create_field",
           "decimal_text", "delete_field", "field_dict", "json_size", "key_from_label",
           "list_fields", "move_field", "parse_date", "parse_decimal", "update_field"]
