"""The customer screens' states (list with recycle bin, form, customer file), driven in-process
like a browser tab of each user would drive them: filters, sorts, search and restore from the
bin, forged writes on another team's customer, the form's inline errors, the owner choices
(one rule with the leads screens, a manager without team included), the 360° file and its
contacts, tabs without session."""

from __future__ import annotations

import pytest
import reflex as rx
import sales_support as build
from state_harness import names, run, tab

from crm_app.i18n import t
from crm_app.models import Account, Role, User, utcnow
from crm_app.services import accounts as svc
from crm_app.services import contacts as contact_svc
from pages.accounts import AccountFormState, AccountRecordState, AccountsListState


def _toast(events) -> str:
    return " ".join(str(e) for e in events if "toast" in str(e).lower())


def _redirects(events) -> list[str]:
    return [str(e.args) for e in events if names([e]) == ["_redirect"]]


def _account(session, account_id) -> Account:
    """The customer as stored now (the test's session forgets what it read before)."""
    session.expire_all()
    return session.get(Account, account_id)


def _redirect_args(path: str) -> str:
    return str(rx.redirect(path).args)


@pytest.fixture
def world(session, people):
    """Three customers in team Norte (comercial1 ×2, comercial2 ×1), one in Sur (comercial3)."""
    return {
        "aceros": build.account(session, people.comercial1, name="Aceros Bilbao S.A.",
                                province="Vizcaya", postal_code="48001", city="Bilbao",
                                sector="Industria", channel="Feria", size_band="10-49",
                                nif=build.CIFS[0]),
        "bar": build.account(session, people.comercial1, name="Bar Central S.L.",
                             sector="Hostelería", channel="Web", size_band="1-9"),
        "clinica": build.account(session, people.comercial2, name="Clínica Norte S.L.",
                                 sector="Salud", channel="Web"),
        "sur": build.account(session, people.comercial3, name="Distribuciones Sur S.L.",
                             province="Sevilla", postal_code="41001", city="Sevilla"),
    }


# --- the list ---------------------------------------------------------------------------------


def test_list_sorts_searches_filters_and_restores_from_the_bin(world, people, session):
    s = tab(AccountsListState, people.manager1, path="/clientes")
    assert not s.loaded
    assert run(s.open_list()) == [] and s.loaded
    assert (s.total, s.sort, s.desc, s.view, s.count_label) == (3, "name", False, "active",
                                                                "clientes")
    assert [r["name"] for r in s.rows] == ["Aceros Bilbao S.A.", "Bar Central S.L.",
                                           "Clínica Norte S.L."]
    assert s.rows[0]["owner"] == "Comercial1" and s.rows[0]["href"].startswith("/clientes/")
    assert [o["label"] for o in s.owner_options] == ["Comercial1", "Comercial2", "Manager1"]
    run(s.sort_by("name"))
    assert (s.sort, s.desc) == ("name", True)
    assert s.rows[0]["name"] == "Clínica Norte S.L."
    run(s.sort_by("password_hash"))  # not a declared sort: ignored
    assert s.sort == "name"
    run(s.set_sort("province:asc"))  # the phone's sort select
    assert (s.sort, s.desc) == ("province", False)
    assert s.rows[0]["province"] == "Madrid"

    run(s.search("clínica"))
    assert [r["name"] for r in s.rows] == ["Clínica Norte S.L."] and s.count_label == "cliente"
    run(s.search(""))
    run(s.set_filter("channel", "Web"))
    assert s.total == 2 and s.chips == [{"key": "channel", "label": "Canal: Web"}]
    run(s.set_filter("size_band", "1-9"))
    assert [r["name"] for r in s.rows] == ["Bar Central S.L."]
    assert s.chips[-1] == {"key": "size_band", "label": "Tamaño: 1-9 empleados"}
    run(s.set_filter("owner_id", str(people.comercial2.id)))
    assert s.total == 0 and s.has_filters
    assert s.chips[-1] == {"key": "owner_id", "label": "Responsable: Comercial2"}
    run(s.remove_chip("size_band"))
    assert [r["name"] for r in s.rows] == ["Clínica Norte S.L."]
    run(s.set_filter("password_hash", "x"))  # not a filter: ignored
    assert "password_hash" not in s.filters
    run(s.clear_filters())
    run(s.set_filter("province", "vizcaya"))  # kept in the canonical spelling
    assert s.filters == {"province": "Vizcaya"} and s.total == 1

    # The bin: the deleted customer is there, restored from there, back in the list.
    run(s.clear_filters())
    svc.delete_account(session=session, actor=people.comercial1,
                       account_id=world["bar"].id)
    run(s.set_view("bin"))
    assert (s.view, s.in_bin, s.total, s.count_label) == ("bin", True, 1,
                                                          "cliente en la papelera")
    assert s.rows[0]["deleted_text"].startswith("Eliminado el ")
    assert s.rows[0]["id"] == str(world["bar"].id)
    run(s.set_view("everything"))  # not a tab: ignored
    assert s.view == "bin"
    out = run(s.restore(str(world["bar"].id)))
    assert t("sui.accounts.restored") in _toast(out) and s.total == 0
    assert _account(session, world["bar"].id).deleted_at is None
    run(s.set_view("active"))
    assert s.total == 3


def test_a_comercial_sees_only_own_customers_and_no_owner_filter(world, people):
    s = tab(AccountsListState, people.comercial1, path="/clientes")
    run([s.check_login(), s.open_list()])
    assert [r["name"] for r in s.rows] == ["Aceros Bilbao S.A.", "Bar Central S.L."]
    assert [o["label"] for o in s.owner_options] == ["Comercial1"]
    assert s.user_scope == "own"  # the view hides the owner filter


def test_a_forged_restore_of_another_teams_customer_is_refused(world, people, session):
    svc.delete_account(session=session, actor=people.comercial1,
                       account_id=world["aceros"].id)
    s = tab(AccountsListState, people.comercial3, path="/clientes")
    run(s.open_list())
    out = run(s.restore(str(world["aceros"].id)))
    assert "Cliente no encontrado." in _toast(out)
    assert _account(session, world["aceros"].id).deleted_at is not None


# --- owner choices: one rule for every screen ------------------------------------------------


def test_a_manager_without_team_is_offered_only_themselves(world, people, session):
    """``lead_options`` is the one helper: the old ``sales_shared.owner_options`` offered a
    manager without team every user without team (the admin, the director)."""
    lonely = User(email="lonely@test.crm", name="Lonely", role=Role.MANAGER, team_id=None,
                  password_hash=people.admin.password_hash, created_at=utcnow())
    session.add(lonely)
    session.commit()
    listing = tab(AccountsListState, lonely, path="/clientes")
    run(listing.open_list())
    assert listing.owner_options == [{"value": str(lonely.id), "label": "Lonely"}]
    assert listing.total == 0
    form = tab(AccountFormState, lonely, path="/clientes/nuevo")
    run(form.new_account())
    assert form.owner_options == [{"value": str(lonely.id), "label": "Lonely"}]
    assert form.values["owner_id"] == str(lonely.id)
    # Giving the customer to the admin anyway (a forged select value) is a field error.
    out = run(form.submit({"name": "Solitario S.L.", "province": "Madrid",
                           "owner_id": str(people.admin.id)}))
    assert "owner_id" in form.errors and not _redirects(out)
    assert svc.list_accounts(session=session, actor=people.admin, q="Solitario").total == 0


# --- the form ---------------------------------------------------------------------------------


def test_the_form_shows_the_services_errors_inline_then_creates(people, session):
    s = tab(AccountFormState, people.manager1, path="/clientes/nuevo")
    run(s.new_account())
    assert s.ready and not s.not_found and s.record_id == 0 and s.cancel_href == "/clientes"
    assert s.values["country"] == "ES" and s.values["province"] == "__none"
    assert [o["label"] for o in s.owner_options] == ["Comercial1", "Comercial2", "Manager1"]
    assert s.channel_options[0]["value"] == "__none"
    form = {"name": "Ferretería Prueba S.L.", "nif": "B1234567X", "postal_code": "28013",
            "city": "Madrid", "province": "Madrid", "sector": "__none", "channel": "Feria",
            "owner_id": str(people.comercial2.id), "recargo_equivalencia": "on"}
    out = run(s.submit(form))
    assert set(s.errors) == {"nif"} and "NIF" in s.errors["nif"]
    assert t("common.check_fields") in _toast(out) and not _redirects(out)
    assert any("scrollIntoView" in str(e) and "nif" in str(e) for e in out)
    assert not s.saving
    out = run(s.submit({**form, "nif": "", "postal_code": "08001"}))
    assert s.errors == {"postal_code": "El código postal 08001 es de Barcelona, no de Madrid."}
    out = run(s.submit({**form, "nif": build.CIFS[1]}))
    assert s.errors == {} and t("sui.accounts.created") in _toast(out)
    created = svc.list_accounts(session=session, actor=people.admin, q="Ferretería").items[0]
    assert _redirects(out) == [_redirect_args(f"/clientes/{created.id}")]
    assert (created.owner_id, created.sector, created.channel, created.recargo_equivalencia) \
        == (people.comercial2.id, "", "Feria", True)


def test_editing_keeps_the_owner_and_an_unknown_channel(world, people, session):
    acc = world["aceros"]
    svc.update_account(session=session, actor=people.admin, account_id=acc.id,
                       data={"channel": "Evento sectorial"})
    s = tab(AccountFormState, people.comercial1, path=f"/clientes/{acc.id}/editar")
    run(s.edit_account())
    assert (s.record_id, s.title, s.not_found) == (acc.id, "Aceros Bilbao S.A.", False)
    assert s.values["channel"] == "Evento sectorial"
    assert s.channel_options[-1] == {"value": "Evento sectorial", "label": "Evento sectorial"}
    assert s.cancel_href == f"/clientes/{acc.id}"
    form = {**{k: v for k, v in s.values.items() if k != "owner_id"}, "city": "Getxo",
            "postal_code": "48990"}
    out = run(s.submit(form))
    assert t("sui.accounts.saved") in _toast(out), out
    stored = _account(session, acc.id)
    assert (stored.city, stored.channel, stored.owner_id, stored.nif) == (
        "Getxo", "Evento sectorial", people.comercial1.id, build.CIFS[0])


def test_a_forged_edit_of_another_teams_customer_is_refused(world, people, session):
    other = world["aceros"]
    s = tab(AccountFormState, people.comercial3, path=f"/clientes/{other.id}/editar")
    out = run(s.edit_account())
    assert s.not_found and "Cliente no encontrado." in _toast(out)
    s.record_id = other.id  # the page refused; the event is forged
    out = run(s.submit({"name": "Robado S.L.", "province": "Sevilla"}))
    assert "Cliente no encontrado." in _toast(out) and not _redirects(out)
    assert _account(session, other.id).name == "Aceros Bilbao S.A."


# --- the customer file ------------------------------------------------------------------------


def test_the_file_loads_the_customer_with_its_sales(world, people, session):
    acc = world["aceros"]
    contact_svc.create_contact(session=session, actor=people.comercial1,
                               data={"account_id": acc.id, "first_name": "Iker",
                                     "last_name": "Etxebarria", "phone": "612345678"})
    build.opportunity(session, people.comercial1, account_id=acc.id, name="Línea de corte",
                      amount="12500")
    build.quote(session, people.comercial1, account_id=acc.id)
    s = tab(AccountRecordState, people.manager1, path=f"/clientes/{acc.id}")
    assert run(s.load()) == []
    assert s.loaded and s.found and s.record_id == acc.id
    assert (s.acc["name"], s.acc["nif"], s.acc["place"], s.acc["size_band"]) == (
        "Aceros Bilbao S.A.", build.CIFS[0], "Bilbao, Vizcaya", "10-49 empleados")
    assert s.edit_href == f"/clientes/{acc.id}/editar"
    assert s.new_opportunity_href == f"/oportunidades/nueva?cliente={acc.id}"
    assert [c["name"] for c in s.contacts] == ["Iker Etxebarria"]
    assert s.contacts[0]["phone_display"] == "+34 612 34 56 78" and s.contacts[0]["initial"] == "I"
    assert [o["name"] for o in s.opps_open] == ["Línea de corte"]
    assert s.opps_open[0]["amount"] == "12.500,00\u00a0€"
    assert len(s.quotes) == 1 and s.quotes[0]["href"].startswith("/presupuestos/")
    assert s.purchases == [] and s.purchase_total == "0,00\u00a0€"
    assert any(e["title"] for e in s.timeline)


def test_contacts_are_added_with_inline_errors_edited_and_deleted(world, people, session):
    acc = world["bar"]
    s = tab(AccountRecordState, people.comercial1, path=f"/clientes/{acc.id}")
    run(s.load())
    assert s.contacts == []
    s.new_contact()
    assert s.contact_open and s.contact_form["first_name"] == ""
    s.set_contact_value("email", "sin-arroba")
    s.set_contact_value("password_hash", "x")  # not a contact field: ignored
    out = run(s.save_contact())
    assert set(s.contact_errors) == {"first_name", "email"} and s.contact_open
    assert t("common.check_fields") in _toast(out)
    s.set_contact_value("first_name", "Marta")
    s.set_contact_value("email", "marta@bar.es")
    out = run(s.save_contact())
    assert t("sui.contacts.saved") in _toast(out) and not s.contact_open
    assert [c["name"] for c in s.contacts] == ["Marta"]
    run(s.edit_contact(s.contacts[0]["id"]))
    assert s.contact_open and s.contact_form["email"] == "marta@bar.es"
    s.set_contact_value("last_name", "Ruiz")
    run(s.save_contact())
    assert [c["name"] for c in s.contacts] == ["Marta Ruiz"]
    out = run(s.delete_contact(s.contacts[0]["id"]))
    assert t("sui.contacts.deleted") in _toast(out) and s.contacts == []


def test_a_forged_delete_of_another_teams_customer_is_refused(world, people, session):
    other = world["aceros"]
    s = tab(AccountRecordState, people.comercial3, path=f"/clientes/{other.id}")
    out = run(s.load())
    assert s.loaded and not s.found and "Cliente no encontrado." in _toast(out)
    s.record_id = other.id  # the page showed "not found"; the events are forged
    out = run(s.delete_account())
    assert "Cliente no encontrado." in _toast(out) and not _redirects(out) and not s.deleting
    assert _account(session, other.id).deleted_at is None
    contact = contact_svc.create_contact(session=session, actor=people.comercial1,
                                         data={"account_id": other.id, "first_name": "Ane"})
    out = run(s.edit_contact(str(contact.id)))
    assert "Contacto no encontrado." in _toast(out) and not s.contact_open
    out = run(s.delete_contact(str(contact.id)))
    assert "Contacto no encontrado." in _toast(out)
    session.expire_all()
    assert contact_svc.get_contact(session=session, actor=people.admin,
                                   contact_id=contact.id).deleted_at is None


def test_deleting_sends_the_customer_to_the_bin(world, people, session):
    acc = world["clinica"]
    s = tab(AccountRecordState, people.comercial2, path=f"/clientes/{acc.id}")
    run(s.load())
    out = run(s.delete_account())
    assert t("sui.accounts.deleted") in _toast(out) and "/clientes" in _redirects(out)[0]
    assert _account(session, acc.id).deleted_at is not None
