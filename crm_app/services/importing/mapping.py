"""Which file column feeds which field: the fields of each entity, their Spanish and English
header names, custom fields, user mappings and saved templates.

Headers are compared *folded*: lower case, no accents, only letters and digits, so
"Correo electrónico", "CORREO ELECTRONICO" and "correo-electrónico" are the same header, and
"E-mail", "Email" and "e mail" too. A user mapping (``{"Header": "field" | "ignore" |
"custom.key"}``) wins over the automatic one; each field takes the first column that maps to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from crm_app.models import CustomFieldDef, ImportTemplate
from crm_app.permissions import Perm, require
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import NotFound, PermissionDenied, ValidationFailed
from crm_app.services.records import get_existing
from crm_app.services.spain import fold

IGNORE = "ignore"
ENTITY_ALIASES = {"leads": "lead", "lead": "lead", "accounts": "account", "account": "account",
                  "clientes": "account", "contacts": "contact", "contact": "contact",
                  "contactos": "contact", "opportunities": "opportunity",
                  "opportunity": "opportunity", "oportunidades": "opportunity"}
ENTITIES = ("lead", "account", "contact", "opportunity")


def entity_key(entity: str) -> str:
    key = ENTITY_ALIASES.get(str(entity).strip().lower())
    if key is None:
        raise ValidationFailed({"entity": "Tipo de importación desconocido: usa leads, accounts, "
                                          "contacts u opportunities."})
    return key


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # Spanish, for messages and the mapping screen
    kind: str  # text, email, phone, nif, datetime, date, amount, province, status, owner,
    #            stage, pipeline, account, account_nif, bool, country, size_band
    aliases: tuple[str, ...] = ()
    max_length: int | None = None


def _f(name: str, label: str, kind: str, aliases: str, max_length: int | None = None) -> FieldSpec:
    return FieldSpec(name, label, kind, tuple(a.strip() for a in aliases.split("|") if a.strip()),
                     max_length)


# Person fields shared by leads and contacts.
_FIRST = _f("first_name", "Nombre", "text",
            "Nombre|Nombre de pila|First Name|Firstname|Given Name", 120)
_LAST = _f("last_name", "Apellidos", "text",
           "Apellidos|Apellido|Primer apellido|Last Name|Lastname|Surname|Family Name", 160)
_FULL = _f("full_name", "Nombre y apellidos", "text",
           "Nombre y apellidos|Nombre completo|Nombre y apellido|Full Name|Contact Name|"
           "Persona de contacto|Contacto", 280)
_EMAIL = _f("email", "Correo electrónico", "email",
            "Correo electrónico|Correo|Email|E-mail|Mail|Email Address|E-mail Address|"
            "Dirección de correo|Dirección de correo electrónico|Correo-e", 254)
_PHONE = _f("phone", "Teléfono", "phone",
            "Teléfono|Telefono fijo|Teléfono fijo|Tel|Tfno|Tlf|Teléfono de contacto|Phone|"
            "Phone Number|Telephone|Business Phone|Work Phone", 20)
_MOBILE = _f("mobile", "Móvil", "phone",
             "Móvil|Teléfono móvil|Movil|Celular|Mobile|Mobile Phone|Mobile Phone Number|"
             "Cell|Cell Phone", 20)
_POSITION = _f("position", "Cargo", "text", "Cargo|Puesto|Job Title|Title|Position|Role", 120)
_PROVINCE = _f("province", "Provincia", "province",
               "Provincia|Provincia/Estado|State|State/Region|State/Province|Region|Región", 60)
_CITY = _f("city", "Población", "text",
           "Población|Ciudad|Localidad|Municipio|City|Town", 120)
_CREATED = _f("created_at", "Fecha de alta", "datetime",
              "Fecha de alta|Fecha alta|Fecha de creación|Fecha creación|Creado|Creada|"
              "Fecha de registro|Create Date|Created|Created Date|Created At|Creation Date|"
              "Date Created|Fecha")
_OWNER = _f("owner", "Propietario", "owner",
            "Propietario|Propietario email|Email del propietario|Comercial|Responsable|"
            "Asignado a|Owner|Owner Email|Lead Owner|Contact Owner|Deal Owner|"
            "Account Owner|Opportunity Owner|Assigned To")
_NIF = _f("nif", "NIF/CIF/NIE", "nif",
          "CIF/NIF|NIF/CIF|NIF|CIF|NIE|DNI|CIF NIF|NIF-CIF|Identificación fiscal|"
          "VAT|VAT Number|Tax ID|Tax Number", 20)
_NOTES = _f("notes", "Notas", "text",
            "Notas|Observaciones|Comentarios|Notes|Comments|Description|Descripción")
_ACCOUNT = _f("account", "Cliente", "account",
              "Empresa|Razón social|Cliente|Cuenta|Compañía|Company|Company Name|Account|"
              "Account Name|Associated Company|Organización|Organization|Nombre de la empresa",
              200)
_ACCOUNT_NIF = _f("account_nif", "CIF del cliente", "account_nif",
                  "CIF|CIF/NIF|NIF/CIF|CIF empresa|NIF empresa|CIF cliente|NIF cliente|"
                  "CIF/NIF empresa|"
                  "Company VAT|Company Tax ID", 20)
# Personal data (RGPD): the legal basis and the consent per purpose, for leads and contacts.
# The consent columns are folded into the record's ``consent`` object by ``validate.prepare``.
_PERSONAL = (
    _f("legal_basis", "Base legal", "legal_basis",
       "Base legal|Base jurídica|Base de legitimación|Legitimación|Legal Basis|Lawful Basis",
       20),
    _f("consent_comercial", "Consentimiento comercial", "consent",
       "Consentimiento comercial|Consentimiento|Consiente comunicaciones comerciales|"
       "Acepta publicidad|Acepta comunicaciones|Marketing Consent|Consent"),
    _f("consent_newsletter", "Consentimiento newsletter", "consent",
       "Consentimiento newsletter|Newsletter|Boletín|Suscrito al boletín|Newsletter Consent"),
    _f("consent_at", "Fecha del consentimiento", "datetime",
       "Fecha del consentimiento|Fecha consentimiento|Consentimiento fecha|Consent Date"),
    _f("consent_method", "Medio del consentimiento", "consent_method",
       "Medio del consentimiento|Cómo se obtuvo|Origen del consentimiento|Consent Method|"
       "Consent Source"),
    _f("consent_text", "Texto del consentimiento", "text",
       "Texto del consentimiento|Versión del consentimiento|Versión de la política|"
       "Política aceptada|Consent Text|Privacy Policy Version", 300),
)
CONSENT_FIELDS = ("consent_comercial", "consent_newsletter", "consent_at", "consent_method",
                  "consent_text")

FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "lead": (
        _FIRST, _LAST, _FULL,
        _f("company", "Empresa", "text",
           "Empresa|Razón social|Compañía|Company|Company Name|Organización|Organization|"
           "Account Name|Nombre de la empresa|Nombre comercial|Cliente", 200),
        _NIF, _EMAIL, _PHONE, _MOBILE, _POSITION, _PROVINCE, _CITY,
        _f("source", "Origen", "text",
           "Origen|Fuente|Canal|Canal de entrada|Medio|Lead Source|Source|Original Source|"
           "Channel", 60),
        _f("status", "Estado", "status", "Estado|Estado del lead|Status|Lead Status", 20),
        _NOTES, _CREATED, _OWNER, *_PERSONAL,
    ),
    "account": (
        _f("name", "Razón social", "text",
           "Razón social|Nombre fiscal|Empresa|Nombre|Cliente|Nombre del cliente|Compañía|"
           "Company|Company Name|Account|Account Name|Name|Organización|Organization", 200),
        _f("trade_name", "Nombre comercial", "text",
           "Nombre comercial|Marca|Trade Name|DBA|Doing Business As", 200),
        _NIF,
        _f("sector", "Sector", "text", "Sector|Actividad|Industria|Industry", 80),
        _f("size_band", "Tamaño", "size_band",
           "Tamaño|Tamaño de empresa|Empleados|Nº empleados|Número de empleados|"
           "Number of Employees|Employees|Company Size|Size", 20),
        _f("address", "Dirección", "text",
           "Dirección|Domicilio|Calle|Dirección postal|Address|Street Address|Street", 250),
        _f("postal_code", "Código postal", "text",
           "Código postal|CP|C.P.|Cod. postal|Postal Code|Zip|Zip Code|Postcode", 10),
        _CITY, _PROVINCE,
        _f("country", "País", "country", "País|Pais|Country|Country/Region", 2),
        _EMAIL, _PHONE, _MOBILE,
        _f("website", "Web", "text",
           "Web|Página web|Sitio web|Website|Web Site|URL|Website URL", 200),
        _f("channel", "Canal", "text",
           "Canal|Origen|Fuente|Channel|Source|Lead Source|Original Source", 60),
        _f("recargo_equivalencia", "Recargo de equivalencia", "bool",
           "Recargo de equivalencia|Recargo equivalencia|Recargo|RE"),
        _NOTES, _CREATED, _OWNER,
    ),
    "contact": (
        _FIRST, _LAST, _FULL, _EMAIL, _PHONE, _MOBILE, _POSITION,
        _f("nif", "NIF/NIE", "nif", "NIF|DNI|NIE|DNI/NIE|NIF/NIE|Documento de identidad", 20),
        _ACCOUNT, _ACCOUNT_NIF, _CREATED, _OWNER, *_PERSONAL,
    ),
    "opportunity": (
        _f("name", "Nombre de la oportunidad", "text",
           "Nombre de la oportunidad|Oportunidad|Nombre|Título|Asunto|Negocio|Deal Name|"
           "Opportunity Name|Opportunity|Deal|Name|Title", 200),
        _f("amount", "Importe", "amount",
           "Importe|Importe (€)|Importe €|Importe total|Valor|Cuantía|Amount|Deal Amount|"
           "Value|Opportunity Amount"),
        _f("stage", "Etapa", "stage", "Etapa|Fase|Estado|Etapa del negocio|Stage|Deal Stage|"
                                       "Opportunity Stage|Status"),
        _f("pipeline", "Embudo", "pipeline",
           "Embudo|Embudo de ventas|Pipeline|Proceso de venta|Canalización"),
        _ACCOUNT, _ACCOUNT_NIF,
        _f("channel", "Canal", "text",
           "Canal|Origen|Fuente|Channel|Source|Lead Source|Original Source", 60),
        _f("expected_close", "Cierre previsto", "date",
           "Cierre previsto|Fecha prevista de cierre|Fecha estimada de cierre|"
           "Expected Close Date|Expected Close"),
        _f("closed_at", "Fecha de cierre", "datetime",
           "Fecha de cierre|Fecha cierre|Cerrada el|Close Date|Closed Date|Closed At|Date Closed"),
        _f("lost_reason", "Motivo de pérdida", "text",
           "Motivo de pérdida|Motivo pérdida|Motivo|Lost Reason|Closed Lost Reason|"
           "Reason Lost", 200),
        _f("description", "Descripción", "text",
           "Descripción|Notas|Observaciones|Description|Notes"),
        _CREATED, _OWNER,
    ),
}


def header_key(text: str) -> str:
    """Folded comparison key of a header: ``"Correo electrónico"`` -> ``"correoelectronico"``."""
    return re.sub(r"[^a-z0-9]", "", fold(str(text or "")))


def fields_of(entity: str) -> dict[str, FieldSpec]:
    return {f.name: f for f in FIELDS[entity_key(entity)]}


def _alias_table(entity: str, custom: list[CustomFieldDef]) -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in FIELDS[entity]:
        for alias in (spec.name, spec.label, *spec.aliases):
            table.setdefault(header_key(alias), spec.name)
    for defn in custom:  # custom fields: by label or key, after the standard names
        for alias in (defn.label, defn.key, f"custom.{defn.key}"):
            table.setdefault(header_key(alias), f"custom.{defn.key}")
    return table


@dataclass
class Mapping:
    """``columns``: positional column -> target; ``by_header``: header text -> target or
    ``ignore`` (what the UI shows and a template stores)."""

    columns: dict[str, str]
    by_header: dict[str, str]
    ignored: list[str]
    warnings: list[str]

    def column_of(self, target: str) -> str | None:
        for col, t in self.columns.items():
            if t == target:
                return col
        return None


def custom_defs(session: Session, entity: str) -> list[CustomFieldDef]:
    return list(session.exec(select(CustomFieldDef).where(CustomFieldDef.entity == entity)
                             .where(CustomFieldDef.active == True)  # noqa: E712
                             .order_by(CustomFieldDef.position, CustomFieldDef.id)).all())


@dataclass(frozen=True)
class Target:
    """A field a column can go to: ``value`` as a mapping stores it (``email``,
    ``custom.sector``), its Spanish ``label``, and whether it is a custom field."""

    value: str
    label: str
    custom: bool = False


def targets(entity: str, custom: list[CustomFieldDef]) -> list[Target]:
    """The fields a file column can go to, standard fields first (``ignore`` aside)."""
    return [*(Target(name, spec.label) for name, spec in fields_of(entity).items()),
            *(Target(f"custom.{d.key}", d.label, custom=True) for d in custom)]


def labels(entity: str, custom: list[CustomFieldDef]) -> dict[str, str]:
    """Target -> its Spanish label, for messages about a field."""
    return {tgt.value: tgt.label for tgt in targets(entity, custom)}


def taken_by(choices: list[tuple[str, str]]) -> dict[str, str]:
    """For ``(header, target)`` choices in file order: each header whose target an earlier
    header already takes, with that earlier header (the first column wins, as in
    ``resolve_mapping``; the later one is ignored)."""
    first: dict[str, str] = {}
    out: dict[str, str] = {}
    for header, target in choices:
        if target == IGNORE:
            continue
        if target in first:
            out[header] = first[target]
        else:
            first[target] = header
    return out


def resolve_mapping(*, entity: str, headers: list[str], custom: list[CustomFieldDef],
                    user_mapping: dict[str, str] | None = None) -> Mapping:
    """Map each header to a target field. ``ValidationFailed`` when the user mapping names a
    field that does not exist."""
    entity = entity_key(entity)
    specs = fields_of(entity)
    valid_targets = set(specs) | {f"custom.{d.key}" for d in custom}
    auto = _alias_table(entity, custom)
    user: dict[str, str] = {}
    warnings: list[str] = []
    errors: dict[str, str] = {}
    if user_mapping:
        header_keys = {header_key(h): h for h in headers if h}
        for header, target in user_mapping.items():
            target = str(target or "").strip()
            if target.lower() in (IGNORE, "ignorar", ""):
                target = IGNORE
            elif target not in valid_targets:
                key = auto.get(header_key(target))  # "Correo electrónico" as a target
                if key is None:
                    errors[header] = (f"Campo desconocido «{target}» para {entity}: usa uno de "
                                      + ", ".join(sorted(valid_targets)) + " o ignore.")
                    continue
                target = key
            match = header if header in headers else header_keys.get(header_key(header))
            if match is None:
                warnings.append(f"La columna «{header}» del mapeo no está en el archivo.")
                continue
            user[match] = target
    if errors:
        raise ValidationFailed(errors, "El mapeo de columnas no es válido.")
    columns: dict[str, str] = {}
    by_header: dict[str, str] = {}
    taken: set[str] = set()
    ignored: list[str] = []
    # User choices first, so an automatic match never steals a field the user assigned.
    for header in headers:
        if header in user and user[header] != IGNORE:
            taken.add(user[header])
    for i, header in enumerate(headers):
        col = f"c{i}"
        if not header:
            continue
        if header in user:
            target = user[header]
        else:
            target = auto.get(header_key(header), IGNORE)
            if target in taken:
                target = IGNORE
        if target == IGNORE or target in columns.values():
            by_header.setdefault(header, IGNORE)
            ignored.append(header)
            continue
        columns[col] = target
        by_header[header] = target
        taken.add(target)
    return Mapping(columns=columns, by_header=by_header, ignored=ignored, warnings=warnings)


# --- templates -----------------------------------------------------------------------------


@needs_actor
def save_template(*, session: Session, actor: Actor, entity: str, name: str,
                  mapping: dict[str, str]) -> ImportTemplate:
    """Save (or replace, by name and entity) a mapping as a template."""
    require(actor, Perm.IMPORT)
    entity = entity_key(entity)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "Pon un nombre a la plantilla."})
    if not isinstance(mapping, dict) or not mapping:
        raise ValidationFailed({"mapping": "La plantilla necesita al menos una columna."})
    resolve_mapping(entity=entity, headers=list(mapping), custom=custom_defs(session, entity),
                    user_mapping=mapping)  # validates the targets
    tpl = session.exec(select(ImportTemplate).where(ImportTemplate.entity == entity)
                       .where(ImportTemplate.name == name)).first()
    action = "update" if tpl else "create"
    if tpl is None:
        tpl = ImportTemplate(entity=entity, name=name[:120], created_by_id=actor.id)
    tpl.mapping = {str(k): str(v) for k, v in mapping.items()}
    session.add(tpl)
    session.flush()
    audit.record(session=session, actor=actor, entity="import_template", entity_id=tpl.id,
                 action=action, after={"entity": entity, "name": tpl.name,
                                       "mapping": tpl.mapping})
    session.commit()
    return tpl


@needs_actor
def list_templates(*, session: Session, actor: Actor, entity: str | None = None
                   ) -> list[ImportTemplate]:
    require(actor, Perm.IMPORT)
    stmt = select(ImportTemplate).order_by(ImportTemplate.entity, ImportTemplate.name)
    if entity:
        stmt = stmt.where(ImportTemplate.entity == entity_key(entity))
    return list(session.exec(stmt).all())


@needs_actor
def get_template(*, session: Session, actor: Actor, template_id: int) -> ImportTemplate:
    require(actor, Perm.IMPORT)
    return get_existing(session=session, model=ImportTemplate, record_id=template_id,
                        missing="Plantilla de importación no encontrada.")


@needs_actor
def apply_template(*, session: Session, actor: Actor, entity: str, template_id: int,
                   choices: dict[str, str]) -> tuple[ImportTemplate, dict[str, str]]:
    """A saved template over the current ``{header: target}`` choices: each header the
    template knows (compared folded) takes the template's target; the rest keep theirs."""
    tpl = get_template(session=session, actor=actor, template_id=template_id)
    if tpl.entity != entity_key(entity):
        raise NotFound("Plantilla de importación no encontrada.")
    saved = {header_key(h): target for h, target in (tpl.mapping or {}).items()}
    return tpl, {h: saved.get(header_key(h), target) for h, target in choices.items()}


@needs_actor
def delete_template(*, session: Session, actor: Actor, template_id: int) -> None:
    tpl = get_template(session=session, actor=actor, template_id=template_id)
    if tpl.created_by_id != actor.id and actor.role != "admin":
        raise PermissionDenied("Solo quien creó la plantilla o un administrador puede borrarla.")
    audit.record(session=session, actor=actor, entity="import_template", entity_id=tpl.id,
                 action="delete", before={"entity": tpl.entity, "name": tpl.name})
    session.delete(tpl)
    session.commit()


__all__ = ["ENTITIES", "FIELDS", "IGNORE", "FieldSpec", "Mapping", "Target", "apply_template",
           "custom_defs", "delete_template", "entity_key", "fields_of", "get_template",
           "header_key", "labels", "list_templates", "resolve_mapping", "save_template",
           "taken_by", "targets"]
