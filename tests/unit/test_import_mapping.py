"""Header auto-mapping (Spanish and English, accents and case ignored), custom fields, user
mappings and saved templates."""

from __future__ import annotations

import pytest
from sqlmodel import select

from crm_app.models import AuditEvent, CustomFieldDef, ImportTemplate
from crm_app.permissions import PermissionDenied
from crm_app.services.errors import ValidationFailed
from crm_app.services.importing import (
    delete_template,
    import_file,
    list_templates,
    resolve_mapping,
    save_template,
)


def auto(entity: str, headers: list[str], custom=None, user=None) -> dict[str, str]:  # noqa: ANN001
    m = resolve_mapping(entity=entity, headers=headers, custom=custom or [], user_mapping=user)
    return m.by_header


def test_spanish_lead_headers() -> None:
    got = auto("leads", ["Nombre", "Apellidos", "Razón social", "CIF/NIF",
                         "Correo electrónico", "Teléfono", "Móvil", "Provincia", "Población",
                         "Origen", "Fecha de alta", "Cargo", "Propietario", "Observaciones"])
    assert got == {"Nombre": "first_name", "Apellidos": "last_name", "Razón social": "company",
                   "CIF/NIF": "nif", "Correo electrónico": "email", "Teléfono": "phone",
                   "Móvil": "mobile", "Provincia": "province", "Población": "city",
                   "Origen": "source", "Fecha de alta": "created_at", "Cargo": "position",
                   "Propietario": "owner", "Observaciones": "notes"}


def test_english_crm_export_headers_ignoring_case_and_accents() -> None:
    got = auto("leads", ["First Name", "LAST NAME", "Company Name", "E-mail", "Phone Number",
                         "Mobile Phone Number", "State/Region", "City", "Lead Source",
                         "Create Date", "Job Title", "Lead Owner", "Lead Status", "Fax"])
    assert got == {"First Name": "first_name", "LAST NAME": "last_name",
                   "Company Name": "company", "E-mail": "email", "Phone Number": "phone",
                   "Mobile Phone Number": "mobile", "State/Region": "province",
                   "City": "city", "Lead Source": "source", "Create Date": "created_at",
                   "Job Title": "position", "Lead Owner": "owner", "Lead Status": "status",
                   "Fax": "ignore"}
    assert auto("leads", ["CORREO ELECTRONICO", "telefono", "poblacion", "Email"]) == {
        "CORREO ELECTRONICO": "email", "telefono": "phone", "poblacion": "city",
        "Email": "ignore"}  # a field takes the first column that maps to it


def test_other_entities_headers() -> None:
    assert auto("accounts", ["Razón social", "Nombre comercial", "NIF", "Industry", "CP",
                             "Provincia", "Canal", "Recargo de equivalencia"]) == {
        "Razón social": "name", "Nombre comercial": "trade_name", "NIF": "nif",
        "Industry": "sector", "CP": "postal_code", "Provincia": "province",
        "Canal": "channel", "Recargo de equivalencia": "recargo_equivalencia"}
    assert auto("contacts", ["Nombre", "Apellidos", "Empresa", "CIF", "DNI", "Email"]) == {
        "Nombre": "first_name", "Apellidos": "last_name", "Empresa": "account",
        "CIF": "account_nif", "DNI": "nif", "Email": "email"}
    assert auto("opportunities", ["Deal Name", "Amount", "Deal Stage", "Pipeline",
                                  "Deal Owner", "Create Date", "Close Date", "Cliente"]) == {
        "Deal Name": "name", "Amount": "amount", "Deal Stage": "stage",
        "Pipeline": "pipeline", "Deal Owner": "owner", "Create Date": "created_at",
        "Close Date": "closed_at", "Cliente": "account"}
    assert auto("opportunities", ["Oportunidad", "Importe", "Etapa", "Propietario",
                                  "Fecha de alta", "Fecha de cierre"]) == {
        "Oportunidad": "name", "Importe": "amount", "Etapa": "stage", "Propietario": "owner",
        "Fecha de alta": "created_at", "Fecha de cierre": "closed_at"}


def test_custom_fields_by_label_or_key() -> None:
    custom = [CustomFieldDef(entity="lead", key="sector", label="Sector de actividad",
                             type="text"),
              CustomFieldDef(entity="lead", key="empleados", label="Nº de empleados",
                             type="number")]
    got = auto("leads", ["Email", "Sector de actividad", "EMPLEADOS"], custom=custom)
    assert got == {"Email": "email", "Sector de actividad": "custom.sector",
                   "EMPLEADOS": "custom.empleados"}


def test_user_mapping_overrides_and_validates() -> None:
    got = auto("leads", ["Nombre", "Correo", "Notas internas", "Contacto"],
               user={"Correo": "ignore", "Notas internas": "notes", "contacto": "email"})
    assert got == {"Nombre": "first_name", "Correo": "ignore", "Notas internas": "notes",
                   "Contacto": "email"}
    with pytest.raises(ValidationFailed) as exc:
        auto("leads", ["Nombre"], user={"Nombre": "apodo"})
    assert "apodo" in exc.value.errors["Nombre"]


def test_mapping_applies_in_an_import(session, people) -> None:  # noqa: ANN001
    data = "Persona;Mail;Tfno. oficina\nAna Pérez;ana@x.es;600123456\n".encode()
    result = import_file(session=session, actor=people.admin, entity="leads", data=data,
                         mapping={"Persona": "full_name", "Tfno. oficina": "phone"},
                         dry_run=True)
    assert result.mapping == {"Persona": "full_name", "Mail": "email",
                              "Tfno. oficina": "phone"}
    assert (result.created, result.errors) == (1, [])


def test_templates_are_saved_listed_used_and_deleted(session, people) -> None:  # noqa: ANN001
    tpl = save_template(session=session, actor=people.comercial1, entity="leads",
                        name="Feria 2024", mapping={"Visitante": "full_name", "Mail": "email"})
    again = save_template(session=session, actor=people.comercial1, entity="leads",
                          name="Feria 2024", mapping={"Visitante": "full_name",
                                                      "Correo": "email"})
    assert again.id == tpl.id and again.mapping == {"Visitante": "full_name", "Correo": "email"}
    assert [t.name for t in list_templates(session=session, actor=people.admin,
                                           entity="leads")] == ["Feria 2024"]
    data = "Visitante,Correo\nAna Pérez,ana@x.es\n".encode()
    result = import_file(session=session, actor=people.comercial1, entity="leads", data=data,
                         template_id=tpl.id, dry_run=True)
    assert (result.created, result.mapping["Visitante"]) == (1, "full_name")
    with pytest.raises(ValidationFailed):
        save_template(session=session, actor=people.admin, entity="leads", name="x",
                      mapping={"A": "no_existe"})
    with pytest.raises(PermissionDenied):
        delete_template(session=session, actor=people.comercial2, template_id=tpl.id)
    delete_template(session=session, actor=people.comercial1, template_id=tpl.id)
    assert session.exec(select(ImportTemplate)).all() == []
    actions = [e.action for e in session.exec(select(AuditEvent).where(
        AuditEvent.entity == "import_template")).all()]
    assert actions == ["create", "update", "delete"]
