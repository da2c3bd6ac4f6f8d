"""Leads service: validation, normalisation, ownership and rules, duplicates, list filters,
scoping per role, updates with audit, status, recycle bin, bulk actions, timeline, views."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from crm_app.formatting import TZ
from crm_app.models import (
    Account,
    Activity,
    AssignmentRule,
    AuditEvent,
    Contact,
    CustomFieldDef,
    Lead,
    utcnow,
)
from crm_app.services import leads as svc
from crm_app.services import saved_views
from crm_app.services.errors import Conflict, NotFound, ValidationFailed
from crm_app.services.normalize import (
    email_is_valid,
    normalize_email,
    normalize_nif,
    normalize_phone,
)

# --- normalisers ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw,expected", [
    ("600 12 34 56", "+34600123456"), ("+34 600-12-34-56", "+34600123456"),
    ("0034912345678", "+34912345678"), ("(+34) 91 234 56 78", "+34912345678"),
    ("600123456.0", "+34600123456"), ("+44 20 7946 0958", "+442079460958"), ("  ", ""),
])
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["123", "abc", "+34 12"])
def test_normalize_phone_rejects_with_spanish_message(raw):
    with pytest.raises(ValueError, match="Teléfono no válido"):
        normalize_phone(raw)


@pytest.mark.parametrize("raw,expected", [
    ("12345678z", "12345678Z"), (" x-1234567-l ", "X1234567L"), ("B-12.345.674", "B12345674"),
    ("ES B12345674", "B12345674"), ("", ""),
])
def test_normalize_nif(raw, expected):
    assert normalize_nif(raw) == expected


@pytest.mark.parametrize("raw,msg", [("12345678A", "control"), ("1234", "9 caracteres"),
                                     ("ZZZZZZZZZ", "NIF")])
def test_normalize_nif_rejects(raw, msg):
    with pytest.raises(ValueError, match=msg):
        normalize_nif(raw)


def test_email_helpers():
    assert normalize_email("  Ana@Ejemplo.ES ") == "ana@ejemplo.es"
    assert normalize_email(None) == ""
    assert email_is_valid("ana@ejemplo.es")
    assert not email_is_valid("ana@") and not email_is_valid("") and not email_is_valid("a b@c.es")


# --- create --------------------------------------------------------------------------------


def new(session, actor, **data):
    data.setdefault("first_name", "Ana")
    data.setdefault("email", f"ana{len(data)}{data.get('company', '')}@x.es".replace(" ", ""))
    return svc.create_lead(session=session, actor=actor, data=data)


def test_create_validates_with_spanish_field_messages(session, people):
    with pytest.raises(ValidationFailed) as exc:
        svc.create_lead(session=session, actor=people.comercial1, data={
            "first_name": "", "company": "", "email": "", "phone": ""})
    assert exc.value.errors["first_name"] == "Indica un nombre o una empresa."
    assert exc.value.errors["email"] == "Indica un correo electrónico o un teléfono."
    with pytest.raises(ValidationFailed) as exc:
        svc.create_lead(session=session, actor=people.comercial1, data={
            "first_name": "Ana", "email": "ana@", "phone": "12", "nif": "12345678A",
            "status": "ganado"})
    errs = exc.value.errors
    assert errs["email"] == "Correo electrónico no válido."
    assert errs["phone"].startswith("Teléfono no válido")
    assert errs["nif"].startswith("NIF/CIF/NIE no válido")
    assert errs["status"].startswith("Estado no válido")
    with pytest.raises(ValidationFailed) as exc:
        svc.create_lead(session=session, actor=people.comercial1, data={
            "company": "Bar Manolo", "phone": "600123456", "status": "descartado"})
    assert exc.value.errors == {"discard_reason": "Indica el motivo del descarte."}
    with pytest.raises(ValidationFailed) as exc:
        svc.create_lead(session=session, actor=people.comercial1, data={
            "company": "Bar Manolo", "phone": "600123456", "status": "convertido"})
    assert "Convertir" in exc.value.errors["status"]
    assert session.exec(select(Lead)).all() == []


def test_create_normalises_and_audits(session, people):
    lead = svc.create_lead(session=session, actor=people.comercial1, data={
        "first_name": " Ana ", "last_name": "García", "email": " Ana@Ejemplo.ES ",
        "phone": "600 12 34 56", "nif": "12345678z", "province": "araba", "source": "Web"})
    assert (lead.email, lead.phone, lead.nif, lead.province) == (
        "ana@ejemplo.es", "+34600123456", "12345678Z", "Álava")
    assert lead.first_name == "Ana" and lead.status == "nuevo"
    assert lead.owner_id == people.comercial1.id and lead.team_id == people.team_norte.id
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "lead")).one()
    assert event.action == "create" and event.entity_id == lead.id
    assert event.actor_id == people.comercial1.id and event.after["phone"] == "+34600123456"


def test_custom_fields_validated_by_type(session, people):
    session.add_all([
        CustomFieldDef(entity="lead", key="empleados", label="Empleados", type="number"),
        CustomFieldDef(entity="lead", key="sector", label="Sector", type="choice",
                       choices=["Hostelería", "Industria"]),
        CustomFieldDef(entity="lead", key="visita", label="Visita", type="date"),
        CustomFieldDef(entity="lead", key="kit", label="Kit Digital", type="bool"),
    ])
    session.commit()
    with pytest.raises(ValidationFailed) as exc:
        new(session, people.comercial1, custom={"empleados": "muchos", "sector": "Minería",
                                                 "visita": "31/02/2026", "otro": 1})
    errs = exc.value.errors
    assert set(errs) == {"custom.empleados", "custom.sector", "custom.visita", "custom.otro"}
    assert "Hostelería" in errs["custom.sector"]
    lead = new(session, people.comercial1, custom={"empleados": "1.234,50",
                                                    "sector": "hosteleria",
                                                    "visita": "27/11/2026", "kit": "sí"})
    assert lead.custom == {"empleados": "1234.5", "sector": "Hostelería",
                           "visita": "2026-11-27", "kit": True}


def test_comercial_owns_own_lead_and_cannot_give_it_away(session, people):
    session.add(AssignmentRule(name="todo a c3", action="fixed_user",
                               config={"user_id": people.comercial3.id}))
    session.commit()
    lead = new(session, people.comercial1)
    assert lead.owner_id == people.comercial1.id and lead.assigned_rule_id is None
    with pytest.raises(ValidationFailed) as exc:  # a field error, like every other link
        new(session, people.comercial1, owner_id=people.comercial2.id)
    assert exc.value.errors == {"owner_id": "No puedes asignar registros a otra persona."}


def test_admin_and_manager_without_owner_get_the_rules(session, people):
    rule = AssignmentRule(name="Sur", action="round_robin",
                          config={"user_ids": [people.comercial3.id]},
                          conditions=[{"field": "province", "op": "region_in",
                                       "value": ["Andalucía"]}])
    session.add(rule)
    session.commit()
    lead = new(session, people.admin, province="Sevilla")
    assert (lead.owner_id, lead.team_id, lead.assigned_rule_id) == (
        people.comercial3.id, people.team_sur.id, rule.id)
    event = session.exec(select(AuditEvent).where(AuditEvent.entity_id == lead.id)).one()
    assert "Sur" in event.note and event.after["assigned_rule_id"] == rule.id
    # No rule matches and no fallback: the creator keeps it.
    other = new(session, people.manager1, province="Lugo")
    assert other.owner_id == people.manager1.id and other.assigned_rule_id is None


def test_manager_assigns_only_inside_team(session, people):
    lead = new(session, people.manager1, owner_id=people.comercial2.id)
    assert lead.owner_id == people.comercial2.id
    with pytest.raises(ValidationFailed) as exc:
        new(session, people.manager1, owner_id=people.comercial3.id)
    assert exc.value.errors == {"owner_id": "Solo puedes asignar a personas de tu equipo."}
    with pytest.raises(ValidationFailed):
        new(session, people.admin, owner_id=99999)


# --- duplicates ----------------------------------------------------------------------------


def test_find_duplicates_across_leads_contacts_accounts(session, people):
    lead = new(session, people.comercial1, email="Dup@Empresa.es", phone="600111222")
    session.add(Contact(first_name="Carlos", email="otro@empresa.es", phone="+34600111222",
                        owner_id=people.comercial1.id, created_at=utcnow()))
    session.add(Account(name="Empresa SL", nif="B12345674", owner_id=people.comercial1.id,
                        created_at=utcnow()))
    session.commit()
    dups = svc.find_duplicates(session=session, actor=people.comercial1,
                               email=" dup@EMPRESA.es ", phone="600 11 12 22",
                               nif="b-12345674")
    found = {(d["entity"], d["field"]) for d in dups}
    assert found == {("lead", "email"), ("contact", "phone"), ("account", "nif")}
    assert next(d for d in dups if d["entity"] == "lead")["fields"] == ["email", "phone"]
    assert svc.find_duplicates(session=session, actor=people.comercial1, email="dup@empresa.es",
                               exclude_id=lead.id) == []
    # Another comercial learns only that a match exists, not which record.
    hidden = svc.find_duplicates(session=session, actor=people.comercial3,
                                 email="dup@empresa.es")
    assert hidden == [{"entity": "lead", "id": None, "visible": False, "name": "",
                       "company": "", "field": "email", "fields": ["email"], "email": "",
                       "phone": "", "nif": "", "owner_id": None, "owner_name": "",
                       "status": None}]
    with pytest.raises(Conflict, match="correo"):
        svc.create_lead(session=session, actor=people.comercial1,
                        data={"first_name": "X", "email": "dup@empresa.es"},
                        reject_duplicates=True)


def test_possible_duplicates_on_an_edit_are_only_what_changed(session, people):
    """Saving a lead warns about the email, phone or NIF it would newly share; an edit that
    leaves a shared value as it was does not warn again (the old warning was heard)."""
    first = new(session, people.comercial1, email="ana@taller.es", phone="600111222")
    second = new(session, people.comercial1, email="ana@taller.es", phone="600333444")
    data = svc.clean_lead_data(session=session, data={"email": "ANA@taller.es",
                                                      "phone": "600 33 34 44"}, current=second)
    assert svc.possible_duplicates(session=session, actor=people.comercial1, clean=data,
                                   current=second) == []
    data = svc.clean_lead_data(session=session, data={"email": "ana@taller.es",
                                                      "phone": "600 11 12 22"}, current=second)
    found = svc.possible_duplicates(session=session, actor=people.comercial1, clean=data,
                                    current=second)
    assert [(d["id"], d["field"]) for d in found] == [(first.id, "phone")]
    # A new lead: every key counts.
    data = svc.clean_lead_data(session=session, data={"first_name": "Ana",
                                                      "email": "ana@taller.es"})
    found = svc.possible_duplicates(session=session, actor=people.comercial1, clean=data)
    assert {d["id"] for d in found} == {first.id, second.id}


def test_assigning_to_nobody_asks_to_pick_someone(session, people):
    for owner_id in (None, ""):
        with pytest.raises(ValidationFailed) as err:
            svc.check_assignable(session=session, actor=people.admin, owner_id=owner_id)
        assert err.value.errors == {"owner_id": "Elige un responsable."}


def test_deleted_records_are_not_duplicates(session, people):
    lead = new(session, people.comercial1, email="a@b.es")
    svc.delete_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    assert svc.find_duplicates(session=session, actor=people.admin, email="a@b.es") == []


# --- list ----------------------------------------------------------------------------------


@pytest.fixture
def sample(session, people):
    """Ten leads over three owners, provinces, sources and a custom field."""
    session.add(CustomFieldDef(entity="lead", key="sector", label="Sector", type="text"))
    session.add(CustomFieldDef(entity="lead", key="empleados", label="Empleados",
                               type="number"))
    session.commit()
    owners = [people.comercial1, people.comercial2, people.comercial3]
    base = utcnow() - timedelta(days=10)
    leads = []
    for i in range(10):
        owner = owners[i % 3]
        lead = Lead(first_name=f"Nombre{i}", last_name="García" if i % 2 else "López",
                    company=f"Empresa {i}", email=f"l{i}@empresa{i}.es",
                    phone=f"+3460000{i:04d}", nif="12345678Z" if i == 7 else "",
                    province=["Madrid", "Sevilla"][i % 2], source=["Web", "Feria"][i % 2],
                    status="nuevo" if i < 6 else "contactado",
                    custom={"sector": "Hostelería" if i < 4 else "Industria",
                            "empleados": str(i * 10)},
                    owner_id=owner.id, team_id=owner.team_id,
                    created_at=base + timedelta(days=i))
        session.add(lead)
        leads.append(lead)
    session.commit()
    return leads


def ids(rows):
    return sorted(r["id"] for r in rows)


def test_list_scoping_per_role(session, people, sample):
    def visible(user):
        return svc.list_leads(session=session, actor=user, page_size=200)[1]

    assert visible(people.admin) == 10 and visible(people.director) == 10
    assert visible(people.comercial1) == 4  # leads 0, 3, 6, 9
    assert visible(people.manager1) == 7  # Norte: comercial1 + comercial2
    assert visible(people.manager2) == 3
    rows, _ = svc.list_leads(session=session, actor=people.comercial1)
    assert {r["owner_id"] for r in rows} == {people.comercial1.id}
    assert rows[0]["owner_name"] == "Comercial1" and rows[0]["team_name"] == "Norte"


def test_list_search_filters_sort_pagination(session, people, sample):
    admin = people.admin

    def q(**kw):
        return svc.list_leads(session=session, actor=admin, page_size=200, **kw)

    assert q(q="nombre3")[1] == 1
    assert q(q="garcía empresa")[1] == 5
    assert q(q="L7@EMPRESA7")[1] == 1  # partial email: substring
    assert q(q=" L3@Empresa3.ES ")[0][0]["id"] == sample[3].id  # full email: exact
    assert q(q="+34 600 00 00 08")[0][0]["id"] == sample[8].id  # full phone: exact
    assert q(q="lópez nombre")[1] == 5
    assert q(q="600 00 00 05")[1] == 1  # phone digits
    assert q(q="12345678-z")[0][0]["id"] == sample[7].id  # NIF
    assert q(q="100%")[1] == 0  # LIKE wildcards are escaped
    assert q(filters={"status": "contactado"})[1] == 4
    assert q(filters={"status": ["nuevo", "contactado"], "source": "Web"})[1] == 5
    assert q(filters={"province": "sevilla"})[1] == 5
    assert q(filters={"owner_id": people.comercial2.id})[1] == 3
    assert q(filters={"team_id": people.team_sur.id})[1] == 3
    assert q(filters={"custom.sector": "Hostelería"})[1] == 4
    assert q(filters={"custom": {"empleados": [30, 60]}})[1] == 4
    assert q(filters={"custom": {"empleados": "50"}})[1] == 1
    day = sample[5].created_at.astimezone(TZ).date()  # the filters take Madrid days
    assert q(filters={"created_from": day.isoformat()})[1] == 5
    assert q(filters={"created_to": day.strftime("%d/%m/%Y")})[1] == 6
    with pytest.raises(ValidationFailed):
        q(filters={"created_from": "ayer"})
    with pytest.raises(ValidationFailed):
        q(filters={"colour": "red"})
    rows, _ = q(sort="company", desc=False)
    assert [r["company"] for r in rows][:3] == ["Empresa 0", "Empresa 1", "Empresa 2"]
    page2, total2 = svc.list_leads(session=session, actor=admin, sort="created_at", desc=True,
                                   page=2, page_size=3)
    assert total2 == 10 and [r["id"] for r in page2] == [sample[6].id, sample[5].id,
                                                          sample[4].id]
    rows, _ = q(sort="password_hash")  # not whitelisted: falls back to created_at
    assert rows[0]["id"] == sample[9].id


def test_list_count_is_one_query_not_loading_rows(session, people, sample):
    rows, total = svc.list_leads(session=session, actor=people.admin, page_size=2)
    assert len(rows) == 2 and total == 10


# --- update, status, recycle bin -----------------------------------------------------------


def test_update_writes_before_after_diff(session, people):
    lead = new(session, people.comercial1, phone="600123456")
    svc.update_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                    data={"company": "Nueva SL", "phone": "+34 911 22 33 44"})
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.before == {"company": "", "phone": "+34600123456"}
    assert event.after == {"company": "Nueva SL", "phone": "+34911223344"}
    with pytest.raises(ValidationFailed):
        svc.update_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                        data={"email": "", "phone": ""})


def test_out_of_scope_is_not_found(session, people):
    lead = new(session, people.comercial1)
    for actor in (people.comercial2, people.comercial3, people.manager2):
        with pytest.raises(NotFound):
            svc.update_lead(session=session, actor=actor, lead_id=lead.id,
                            data={"company": "X"})
        with pytest.raises(NotFound):
            svc.delete_lead(session=session, actor=actor, lead_id=lead.id)
    svc.update_lead(session=session, actor=people.manager1, lead_id=lead.id,
                    data={"company": "Visto por su jefe"})


def test_change_status_and_discard_reason(session, people):
    lead = new(session, people.comercial1)
    svc.change_status(session=session, actor=people.comercial1, lead_id=lead.id,
                      status="contactado")
    assert lead.status == "contactado" and lead.first_contacted_at is not None
    with pytest.raises(ValidationFailed) as exc:
        svc.change_status(session=session, actor=people.comercial1, lead_id=lead.id,
                          status="descartado")
    assert "discard_reason" in exc.value.errors
    svc.change_status(session=session, actor=people.comercial1, lead_id=lead.id,
                      status="descartado", discard_reason="Sin presupuesto")
    assert lead.discard_reason == "Sin presupuesto"
    svc.change_status(session=session, actor=people.comercial1, lead_id=lead.id,
                      status="nuevo")
    assert lead.discard_reason == ""
    statuses = [e.action for e in session.exec(select(AuditEvent)
                                               .where(AuditEvent.entity_id == lead.id)).all()]
    assert statuses == ["create", "status", "status", "status"]


def test_delete_and_restore(session, people):
    lead = new(session, people.comercial1)
    svc.delete_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    assert svc.list_leads(session=session, actor=people.comercial1)[1] == 0
    assert svc.list_leads(session=session, actor=people.comercial1,
                          filters={"deleted": True})[1] == 1
    with pytest.raises(NotFound):
        svc.get_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    svc.restore_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    assert svc.get_lead(session=session, actor=people.comercial1, lead_id=lead.id).id == lead.id


# --- bulk ----------------------------------------------------------------------------------


def test_bulk_actions_respect_scope_and_assign_permission(session, people, sample):
    all_ids = [lead.id for lead in sample]
    # A comercial's bulk touches only own leads, and cannot give them away.
    assert svc.bulk_change_status(session=session, actor=people.comercial1, lead_ids=all_ids,
                                  status="cualificado") == 4  # leads 0, 3, 6, 9
    with pytest.raises(ValidationFailed):
        svc.bulk_assign(session=session, actor=people.comercial1, lead_ids=all_ids,
                        owner_id=people.comercial2.id)
    # A manager may assign inside the team only.
    with pytest.raises(ValidationFailed):
        svc.bulk_assign(session=session, actor=people.manager1, lead_ids=all_ids,
                        owner_id=people.comercial3.id)
    n = svc.bulk_assign(session=session, actor=people.manager1, lead_ids=all_ids,
                        owner_id=people.comercial2.id)
    assert n == 4  # comercial1's four leads; comercial3's are out of scope
    assert svc.list_leads(session=session, actor=people.comercial2)[1] == 7
    assert svc.bulk_delete(session=session, actor=people.manager2, lead_ids=all_ids) == 3
    assert svc.list_leads(session=session, actor=people.admin)[1] == 7
    with pytest.raises(ValidationFailed):
        svc.bulk_change_status(session=session, actor=people.admin, lead_ids=all_ids,
                               status="descartado")
    assigns = session.exec(select(AuditEvent).where(AuditEvent.action == "assign")).all()
    assert len(assigns) == 4 and all(e.note == "Acción masiva" for e in assigns)


# --- timeline ------------------------------------------------------------------------------


def test_timeline_merges_events_and_activities_newest_first(session, people):
    lead = new(session, people.comercial1)
    svc.change_status(session=session, actor=people.comercial1, lead_id=lead.id,
                      status="contactado")
    session.add(Activity(kind="call", subject="Primera llamada", lead_id=lead.id,
                         owner_id=people.comercial1.id, team_id=people.team_norte.id,
                         created_by_id=people.comercial1.id, created_at=utcnow()))
    session.commit()
    svc.update_lead(session=session, actor=people.manager1, lead_id=lead.id,
                    data={"owner_id": people.comercial2.id})
    items = svc.lead_timeline(session=session, actor=people.manager1, lead_id=lead.id)
    assert [i["kind"] for i in items] == ["event", "activity", "event", "event"]
    assert items[0]["title"] == "Asignado a Comercial2"
    assert items[0]["changes"][0] == {"field": "owner_id", "before": "Comercial1",
                                      "after": "Comercial2"}
    assert items[1]["title"] == "Llamada: Primera llamada"
    assert items[2]["title"] == "Estado: nuevo → contactado"
    assert items[3]["title"] == "Lead creado" and items[3]["actor_name"] == "Comercial1"
    with pytest.raises(NotFound):
        svc.lead_timeline(session=session, actor=people.comercial1, lead_id=lead.id)


# --- saved views ---------------------------------------------------------------------------


def test_saved_views_are_per_user(session, people):
    view = saved_views.create_view(session=session, actor=people.comercial1, entity="lead",
                                   name="Madrid nuevos",
                                   filters={"status": ["nuevo"], "province": "Madrid"})
    with pytest.raises(Conflict):
        saved_views.create_view(session=session, actor=people.comercial1, entity="lead",
                                name="madrid NUEVOS", filters={})
    with pytest.raises(ValidationFailed):
        saved_views.create_view(session=session, actor=people.comercial1, entity="lead",
                                name=" ", filters={})
    assert saved_views.list_views(session=session, actor=people.comercial2) == []
    with pytest.raises(NotFound):
        saved_views.delete_view(session=session, actor=people.comercial2, view_id=view.id)
    saved_views.update_view(session=session, actor=people.comercial1, view_id=view.id,
                            name="Madrid")
    assert [v.name for v in saved_views.list_views(session=session,
                                                   actor=people.comercial1)] == ["Madrid"]
    saved_views.delete_view(session=session, actor=people.comercial1, view_id=view.id)
    assert saved_views.list_views(session=session, actor=people.comercial1) == []
