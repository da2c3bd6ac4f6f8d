"""The leads screens' states (list, form, record page), driven in-process like a browser tab
of each user would drive them: filters, sorts, search and saved views, bulk actions and forged
ones, the form's inline errors and duplicate warning, status changes, tabs without session."""

from __future__ import annotations

import pytest
from state_harness import names, run, tab

from crm_app.i18n import t
from crm_app.services import custom_fields
from crm_app.services import leads as svc
from pages.leads import LeadFormState, LeadRecordState, LeadsListState


def _lead(session, people, owner, **data):
    data.setdefault("first_name", "Ana")
    data.setdefault("email", f"{data['first_name'].lower()}{owner.id}{len(data)}@x.es")
    return svc.create_lead(session=session, actor=people.admin,
                           data={**data, "owner_id": owner.id})


@pytest.fixture
def world(session, people):
    """Four leads in team Norte (comercial1 ×3, comercial2 ×1), one in Sur; two custom
    fields (a choice and a number)."""
    custom_fields.create_field(session=session, actor=people.admin, entity="lead", key="sector",
                               label="Sector", type="choice", choices=["Metal", "Madera"])
    custom_fields.create_field(session=session, actor=people.admin, entity="lead",
                               key="empleados", label="Empleados", type="number")
    leads = [
        _lead(session, people, people.comercial1, first_name="Beatriz", company="Aceros Norte",
              province="Vizcaya", source="Feria", custom={"sector": "Metal", "empleados": "40"}),
        _lead(session, people, people.comercial1, first_name="Carlos", status="contactado",
              province="Madrid", custom={"sector": "Madera", "empleados": "5"}),
        _lead(session, people, people.comercial1, first_name="Alba", last_name="García",
              source="Web"),
        _lead(session, people, people.comercial2, first_name="Diego", province="Madrid"),
        _lead(session, people, people.comercial3, first_name="Elena", province="Sevilla"),
    ]
    return leads


def _stored(session, people, lead_id):
    """The lead as stored now (the test's session forgets what it read before)."""
    session.expire_all()
    return svc.get_lead(session=session, actor=people.admin, lead_id=int(lead_id))


def _toast(events) -> str:
    return " ".join(str(e) for e in events if "toast" in str(e).lower())


# --- the list ---------------------------------------------------------------------------------


def test_list_sorts_searches_and_filters_by_every_kind_of_filter(world, people):
    s = tab(LeadsListState, people.manager1, path="/leads")
    assert not s.loaded  # the list says "no leads" only once it has asked
    assert run(s.open_list()) == [] and s.loaded
    assert (s.total, s.sort, s.desc, s.count_label) == (4, "created_at", True, "leads")
    assert [r["name"] for r in s.rows] == ["Diego", "Alba García", "Carlos", "Beatriz"]
    run(s.sort_by("first_name"))
    assert [r["name"] for r in s.rows] == ["Alba García", "Beatriz", "Carlos", "Diego"]
    run(s.sort_by("first_name"))
    assert (s.sort, s.desc) == ("first_name", True)
    run(s.sort_by("password_hash"))  # not a declared sort: ignored
    assert s.sort == "first_name"
    run(s.set_sort("province:asc"))  # the phone's sort select
    assert (s.sort, s.desc) == ("province", False)

    run(s.search("garcía"))
    assert [r["name"] for r in s.rows] == ["Alba García"] and s.count_label == "lead"
    run(s.search(""))
    run(s.set_filter("status", "contactado"))
    assert [r["name"] for r in s.rows] == ["Carlos"]
    assert s.chips == [{"key": "status", "label": "Estado: Contactado"}]
    run(s.set_filter("owner_id", str(people.comercial2.id)))
    assert s.total == 0 and s.has_filters
    assert s.chips[-1] == {"key": "owner_id", "label": "Responsable: Comercial2"}
    run(s.clear_filters())
    assert (s.total, s.chips, s.filters) == (4, [], {})

    run(s.set_filter("province", "madrid"))  # spelled as the service spells it
    assert s.filters == {"province": "Madrid"} and s.total == 2
    run(s.remove_chip("province"))
    # Custom fields: a choice, and a number range.
    run(s.set_filter("custom.sector", "Metal"))
    assert [(r["name"], r["company"]) for r in s.rows] == [("Beatriz", "Aceros Norte")]
    assert s.chips == [{"key": "custom.sector", "label": "Sector: Metal"}]
    run(s.remove_chip("custom.sector"))
    run(s.set_filter("custom.empleados:min", "10"))
    assert [r["name"] for r in s.rows] == ["Beatriz"]
    assert s.chips == [{"key": "custom.empleados:min", "label": "Empleados (mín.): 10"}]
    run(s.set_filter("custom.empleados", "10"))  # a number takes a range, not a value
    run(s.set_filter("custom.nope", "x"))  # not a field: ignored
    run(s.set_filter("password_hash", "x"))
    assert list(s.filters) == ["custom.empleados:min"]
    # A bad value is said next to its control, and the list does not pretend to be filtered.
    out = run(s.set_filter("created_from", "31/02/2026"))
    assert s.filter_errors == {"created_from": "Fecha no válida: usa dd/mm/aaaa."}
    assert t("common.check_fields") in _toast(out)
    run(s.set_filter("created_from", ""))
    assert s.filter_errors == {} and s.total == 1


def test_a_comercial_sees_only_own_leads_and_a_batch_link_filters_the_batch(world, people,
                                                                            session):
    s = tab(LeadsListState, people.comercial1, path="/leads")
    run(s.open_list())
    assert s.total == 3 and [o["label"] for o in s.owner_options] == ["Comercial1"]
    assert [o["label"] for o in s.assign_options] == ["Comercial1"]
    s = tab(LeadsListState, people.admin, path="/leads?lote=987")
    run(s.open_list())
    assert s.filters == {"import_batch_id": "987"} and s.total == 0
    assert s.chips == [{"key": "import_batch_id", "label": "Importación: 987"}]


def test_saved_views_keep_search_filters_and_order(world, people):
    s = tab(LeadsListState, people.manager1, path="/leads")
    run(s.open_list())
    run(s.set_filter("province", "Madrid"))
    run(s.set_filter("custom.empleados:max", "10"))
    run(s.sort_by("first_name"))
    s.set_view_open(True)
    run(s.save_view())  # no name
    assert s.view_errors == {"name": "Pon un nombre a la vista."} and s.views == []
    s.set_view_name("Madrid pequeñas")
    out = run(s.save_view())
    assert "Vista «Madrid pequeñas» guardada." in _toast(out)
    assert [v["label"] for v in s.views] == ["Madrid pequeñas"] and not s.view_open
    view_id = s.view_id
    assert view_id and [r["name"] for r in s.rows] == ["Carlos"]
    run(s.clear_filters())
    assert s.view_id == "" and s.total == 4
    run(s.apply_view(view_id))
    assert s.filters == {"province": "Madrid", "custom.empleados:max": "10"}
    assert (s.sort, s.desc, s.view_id, s.total) == ("first_name", False, view_id, 1)
    run(s.apply_view("__none"))
    assert (s.filters, s.view_id, s.total) == ({}, "", 4)
    # Another user's view is not found for this one.
    other = tab(LeadsListState, people.manager2, path="/leads")
    run(other.open_list())
    out = run(other.apply_view(view_id))
    assert other.views == [] and "no encontrada" in _toast(out).lower()
    run(s.apply_view(view_id))
    run(s.delete_view())
    assert s.views == [] and s.view_id == ""


# --- bulk actions -----------------------------------------------------------------------------


def test_a_forged_bulk_assign_from_a_comercial_is_refused(world, people, session):
    s = tab(LeadsListState, people.comercial1, path="/leads")
    run(s.open_list())
    s.toggle_page(True)
    s.bulk_owner = str(people.comercial2.id)  # the dialog is hidden; the event is forged
    out = run(s.bulk_assign())
    assert t("common.denied") in _toast(out)
    assert svc.list_leads(session=session, actor=people.admin,
                          filters={"owner_id": people.comercial2.id})[1] == 1


def test_bulk_assign_status_and_delete_with_undo(world, people, session):
    s = tab(LeadsListState, people.manager1, path="/leads")
    run(s.open_list())
    carlos, beatriz = (next(r["id"] for r in s.rows if r["name"] == n)
                       for n in ("Carlos", "Beatriz"))
    s.toggle_row(carlos, True)
    s.toggle_row(beatriz, True)
    s.toggle_row("999999", True)  # not on the page: not selectable
    assert s.selected == [carlos, beatriz]
    s.open_assign()
    run(s.bulk_assign())  # nobody picked: the service asks for someone
    assert s.bulk_errors == {"owner_id": "Elige un responsable."} and s.assign_open
    s.set_bulk_owner(str(people.comercial2.id))
    out = run(s.bulk_assign())
    assert "2 leads reasignados." in _toast(out) and not s.assign_open
    assert s.selected == []
    assert svc.list_leads(session=session, actor=people.admin,
                          filters={"owner_id": people.comercial2.id})[1] == 3

    s.toggle_row(carlos, True)
    s.open_status()
    s.set_bulk_status("descartado")
    run(s.bulk_change_status())  # no reason
    assert s.bulk_errors == {"discard_reason": svc.DISCARD_REASON}
    s.set_bulk_reason("Sin presupuesto")
    out = run(s.bulk_change_status())
    assert "1 lead cambiado de estado." in _toast(out)
    assert _stored(session, people, carlos).status == "descartado"

    s.toggle_page(True)
    out = run(s.bulk_delete())
    assert "4 leads enviados a la papelera." in _toast(out) and "Deshacer" in _toast(out)
    assert s.total == 0
    out = run(s.undo_delete())
    assert "4 leads recuperados." in _toast(out) and s.total == 4
    assert run(s.undo_delete()) == []  # undone already: nothing to do


# --- the form ---------------------------------------------------------------------------------


def _form(**values):
    base = {"first_name": "Zoe", "last_name": "Prueba", "company": "Talleres Zoe S.L.",
            "position": "", "email": "", "phone": "", "nif": "", "city": "", "source": "",
            "notes": "", "province": "__none", "owner_id": "__none",
            "custom.sector": "__none", "custom.empleados": ""}
    return {**base, **values}


def test_the_form_shows_the_services_errors_inline_and_saves_nothing(world, people, session):
    f = tab(LeadFormState, people.comercial1, path="/leads/nuevo")
    run(f.new_lead())
    assert f.ready and f.record_id == 0 and f.values["custom.sector"] == "__none"
    assert [o["label"] for o in f.owner_options][1:] == ["Comercial1"]
    out = run(f.submit(_form(email="zoe-sin-arroba.es", nif="12345678A",
                             **{"custom.empleados": "muchos"})))
    assert set(f.errors) == {"email", "nif", "custom.empleados"}
    assert f.errors["email"] == "Correo electrónico no válido."
    assert not f.saving and f.dups == []
    assert "lead-email" in str(out)  # the first field in error is brought into view
    assert svc.list_leads(session=session, actor=people.admin, q="Zoe")[1] == 0
    # Leaving a field checks it with the services' normalisers.
    f.check_phone("600 12 34 56")
    assert f.phone_hint == "Se guardará como +34 600 12 34 56 (+34600123456)."
    f.check_nif("x")
    assert "nif" in f.errors


def test_a_duplicate_is_warned_about_then_saved_anyway(world, people, session):
    f = tab(LeadFormState, people.comercial1, path="/leads/nuevo")
    run(f.new_lead())
    out = run(f.submit(_form(email=world[0].email, **{"custom.sector": "Metal"})))
    assert f.has_dups and f.errors == {}
    assert f.dups[0]["text"] == "Lead «Beatriz» con el mismo correo electrónico"
    assert f.dups[0]["href"] == f"/leads/{world[0].id}"
    assert "lead-duplicates" in str(out)
    assert svc.list_leads(session=session, actor=people.admin, q="Zoe")[1] == 0
    out = run(f.save_anyway())
    assert "_redirect" in names(out) and "Lead creado." in _toast(out)
    rows, total = svc.list_leads(session=session, actor=people.admin, q="Zoe")
    assert total == 1 and rows[0]["custom"] == {"sector": "Metal"}
    assert f"/leads/{rows[0]['id']}" in str(out)


def test_editing_keeps_known_duplicates_quiet_and_hides_others_leads(world, people, session):
    f = tab(LeadFormState, people.comercial1, path=f"/leads/{world[0].id}/editar")
    run(f.edit_lead())
    assert f.values["company"] == "Aceros Norte" and f.values["custom.empleados"] == "40"
    assert f.values["province"] == "Vizcaya" and f.title == "Editar: Beatriz (Aceros Norte)"
    out = run(f.submit(_form(first_name="Beatriz", company="Aceros Norte", email=world[0].email,
                             province="Vizcaya", **{"custom.sector": "Metal",
                                                    "custom.empleados": "41"})))
    assert not f.dups and f"/leads/{world[0].id}" in str(out)
    lead = _stored(session, people, world[0].id)
    assert str(lead.custom["empleados"]) == "41" and lead.last_name == "Prueba"
    # comercial1 may not see comercial3's lead: "not found", nothing to edit.
    other = tab(LeadFormState, people.comercial1, path=f"/leads/{world[4].id}/editar")
    out = run(other.edit_lead())
    assert other.not_found and other.ready and "no encontrado" in _toast(out)


def test_a_forged_owner_in_the_form_is_refused(world, people, session):
    f = tab(LeadFormState, people.comercial1, path="/leads/nuevo")
    run(f.new_lead())
    run(f.submit(_form(email="zoe@talleres.es", owner_id=str(people.comercial2.id))))
    assert "No puedes asignar" in f.errors.get("owner_id", "")
    assert svc.list_leads(session=session, actor=people.admin, q="Zoe")[1] == 0


# --- the record page --------------------------------------------------------------------------


def test_the_record_page_changes_status_and_asks_the_discard_reason(world, people, session):
    lead = world[0]
    r = tab(LeadRecordState, people.comercial1, path=f"/leads/{lead.id}")
    run(r.load())
    assert r.found and r.lead["name"] == "Beatriz (Aceros Norte)" and r.status == "nuevo"
    fields = {f["key"]: f["value"] for f in r.fields}
    assert fields["province"] == "Vizcaya" and fields["custom-empleados"] == "40"
    out = run(r.pick_status("contactado"))
    assert "Estado cambiado a «Contactado»." in _toast(out)
    assert r.lead["status"] == "Contactado"
    assert r.timeline[0]["title"] == "Estado: Nuevo → Contactado"
    run(r.pick_status("descartado"))
    assert r.discard_open and r.status == "contactado"
    run(r.confirm_discard())  # no reason: the service says so under the field
    assert r.errors == {"discard_reason": svc.DISCARD_REASON} and r.discard_open
    r.set_discard_reason("Sin presupuesto")
    run(r.confirm_discard())
    assert not r.discard_open and r.status == "descartado"
    assert r.lead["discard_reason"] == "Sin presupuesto"


def test_the_record_page_refuses_what_the_role_may_not_do(world, people, session):
    r = tab(LeadRecordState, people.comercial1, path=f"/leads/{world[4].id}")
    out = run(r.load())  # comercial3's lead
    assert not r.found and r.lead == {} and "no encontrado" in _toast(out)
    r = tab(LeadRecordState, people.comercial1, path=f"/leads/{world[0].id}")
    run(r.load())
    out = run(r.pick_owner(str(people.comercial2.id)))  # forged: the select is hidden
    assert "No puedes asignar" in _toast(out)
    assert _stored(session, people, world[0].id).owner_id == people.comercial1.id
    m = tab(LeadRecordState, people.manager1, path=f"/leads/{world[0].id}")
    run(m.load())
    out = run(m.pick_owner(str(people.comercial2.id)))
    assert "Lead asignado a Comercial2." in _toast(out)


def test_delete_from_the_record_page_can_be_undone(world, people, session):
    r = tab(LeadRecordState, people.comercial1, path=f"/leads/{world[0].id}")
    run(r.load())
    out = run(r.delete())
    assert "_redirect" in names(out) and "Deshacer" in _toast(out)
    assert svc.list_leads(session=session, actor=people.comercial1)[1] == 2
    out = run(r.undo_delete())
    assert f"/leads/{world[0].id}" in str(out)
    assert svc.list_leads(session=session, actor=people.comercial1)[1] == 3


def test_the_open_leads_card_opens_what_it_counts(world, people, session):
    from crm_app.services import overview

    s = tab(LeadsListState, people.manager1, path="/leads", query={"estado": "abiertos"})
    run(s.open_list())
    count = overview.overview(session=session, actor=people.manager1)["open_leads"]
    assert s.total == count and [c["key"] for c in s.chips] == ["status"]
    assert "abiertos" in s.chips[0]["label"]
