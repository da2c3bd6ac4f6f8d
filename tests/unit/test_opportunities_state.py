"""The opportunities screens' states (board and list, form, record page), driven in-process
like a browser tab of each user would drive them: the board per pipeline, sorts and filters
of the list, moves that ask for a stage's required fields, forged moves, the form's inline
errors, the record page and tabs without session."""

from __future__ import annotations

import pytest
import sales_support as build
from sqlmodel import select
from state_harness import names, run, tab

from crm_app.i18n import t
from crm_app.models import Opportunity, Stage
from crm_app.services import contacts, pipelines
from crm_app.services import opportunities as svc
from pages.opportunities import (
    OpportunitiesState,
    OpportunityFormState,
    OpportunityRecordState,
)


def _toast(events) -> str:
    return " ".join(str(e) for e in events if "toast" in str(e).lower())


def _stored(session, opp_id) -> Opportunity:
    session.expire_all()
    return session.get(Opportunity, int(opp_id))


@pytest.fixture
def world(session, people):
    """In the default pipeline "Ventas": three of comercial1 (one at "Oferta presentada"),
    one of comercial2 (team Norte) and one of comercial3 (team Sur); a second pipeline with
    one opportunity of comercial1."""
    acc = build.account(session, people.comercial1, name="Talleres Ruiz", channel="Web")
    offer = build.stage(session, "Oferta presentada")
    a = build.opportunity(session, people.comercial1, acc.id, name="Flota", amount="900")
    b = build.opportunity(session, people.comercial1, name="Almacén", amount="5000")
    svc.move_stage(session=session, actor=people.comercial1, opportunity_id=b.id,
                   stage_id=offer.id)
    c = build.opportunity(session, people.comercial1, name="Oficinas", amount="120,50",
                          channel="Feria")
    d = build.opportunity(session, people.comercial2, name="Nave", amount="3000")
    e = build.opportunity(session, people.comercial3, name="Sur", amount="7000")
    other = pipelines.create_pipeline(session=session, actor=people.admin, name="Proyectos",
                                      stages=[{"name": "Idea", "kind": "open", "probability": 5},
                                              {"name": "Hecho", "kind": "won"},
                                              {"name": "Nada", "kind": "lost"}])
    f = build.opportunity(session, people.comercial1, name="Web nueva", pipeline_id=other.id)
    return {"acc": acc, "a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "other": other}


def _stage(session, name: str) -> Stage:
    return session.exec(select(Stage).where(Stage.name == name)).first()


# --- the board --------------------------------------------------------------------------------


def test_the_board_shows_the_default_pipeline_then_the_one_picked(world, people, session):
    s = tab(OpportunitiesState, people.manager1, path="/oportunidades")
    assert run(s.open_list()) == [] and s.loaded and s.view == "kanban"
    assert [p["label"] for p in s.pipelines] == ["Ventas", "Proyectos"]
    cols = {c["name"]: c for c in s.columns}
    assert (cols["En análisis"]["count"], cols["En análisis"]["amount"]) == ("3",
                                                                            "4.020,50\u00a0€")
    assert cols["Oferta presentada"]["count"] == "1"
    assert cols["Perdida"]["required"] == "Motivo de pérdida"
    assert {c["name"] for c in s.cards} == {"Flota", "Almacén", "Oficinas", "Nave"}  # not Sur
    assert s.totals["count"] == "4" and s.closed_note == t("sui.opp.closed_window", days=90)
    assert [o["label"] for o in s.owners] == ["Comercial1", "Comercial2", "Manager1"]
    run(s.search("flota"))
    assert [c["name"] for c in s.cards] == ["Flota"] and s.has_filters
    run(s.clear_filters())
    run(s.set_filter("channel", "Feria"))
    assert [c["name"] for c in s.cards] == ["Oficinas"]
    assert s.chips == [{"key": "channel", "label": "Canal: Feria"}]
    run(s.set_pipeline(str(world["other"].id)))
    assert [c["name"] for c in s.columns] == ["Idea", "Hecho", "Nada"]
    assert [o["label"] for o in s.stage_options] == ["Idea", "Hecho", "Nada"]
    run(s.clear_filters())
    assert [c["name"] for c in s.cards] == ["Web nueva"]
    run(s.set_pipeline("987654"))  # not a pipeline of the list: ignored
    assert s.pipeline_id == str(world["other"].id)


def test_the_list_sorts_filters_and_opens_from_a_column(world, people):
    s = tab(OpportunitiesState, people.comercial1, path="/oportunidades?vista=lista")
    run(s.open_list())
    assert s.view == "list" and (s.total, s.count_label) == (3, "oportunidades")
    assert [o["label"] for o in s.owners] == ["Comercial1"]
    run(s.sort_by("amount"))
    assert [r["name"] for r in s.rows] == ["Oficinas", "Flota", "Almacén"]
    assert s.rows[0]["amount"] == "120,50\u00a0€" and s.rows[0]["kind"] == "open"
    run(s.sort_by("amount"))
    assert s.rows[0]["name"] == "Almacén"
    run(s.sort_by("owner_id; drop table"))  # not a declared sort: ignored
    assert (s.sort, s.desc) == ("amount", True)
    run(s.set_sort("name:asc"))
    assert [r["name"] for r in s.rows] == ["Almacén", "Flota", "Oficinas"]
    offer = next(o for o in s.stage_options if o["label"] == "Oferta presentada")
    run(s.set_filter("stage_id", offer["value"]))
    assert [r["name"] for r in s.rows] == ["Almacén"] and s.count_label == "oportunidad"
    assert s.chips == [{"key": "stage_id", "label": "Etapa: Oferta presentada"}]
    run(s.set_filter("status", "won"))
    assert s.total == 0
    assert s.chips[-1] == {"key": "status", "label": "Estado: Ganada"}
    run(s.clear_filters())
    run(s.set_filter("stale", "yes"))
    assert s.total == 0 and s.chips == [{"key": "stale", "label": "Actividad: Sin actividad"}]
    run(s.set_filter("stale", "no"))
    assert s.total == 3
    run(s.set_filter("password_hash", "x"))  # not a filter: ignored
    assert list(s.filters) == ["stale"]
    # A column's "Ver todas" opens the list filtered to that stage.
    run(s.set_view("kanban"))
    assert s.view == "kanban" and s.columns
    run(s.show_stage(offer["value"]))
    assert s.view == "list" and [r["name"] for r in s.rows] == ["Almacén"]


# --- moves ------------------------------------------------------------------------------------


def test_a_move_to_a_stage_with_required_fields_asks_for_them(world, people, session):
    s = tab(OpportunitiesState, people.comercial1, path="/oportunidades")
    run(s.open_list())
    opp = str(world["a"].id)
    lost = _stage(session, "Perdida")
    out = run(s.request_move(opp, str(lost.id)))
    assert out == [] and s.move_open and s.moving_id == ""
    assert s.move_fields == [{"key": "lost_reason", "label": "Motivo de pérdida",
                              "kind": "reason"}]
    assert s.move_title == "Pasar a «Perdida»" and "Precio" in s.move_reasons
    out = run(s.submit_move())  # nothing typed: the service's message under the field
    assert s.move_errors == {"lost_reason": "Para pasar a «Perdida» indica el motivo de pérdida."}
    assert s.move_open and t("common.check_fields") in _toast(out)
    assert _stored(session, opp).stage_id != lost.id
    s.set_move_value("lost_reason", "Precio")
    s.set_move_value("amount", "1")  # not a field of the dialog: ignored
    out = run(s.submit_move())
    assert "Oportunidad movida a Perdida." in _toast(out) and not s.move_open
    stored = _stored(session, opp)
    assert (stored.stage_id, stored.lost_reason) == (lost.id, "Precio")
    assert next(c for c in s.cards if c["id"] == opp)["stage_id"] == str(lost.id)
    # A stage that asks nothing moves at once; so does a drop on its column.
    nego = _stage(session, "En negociación")
    out = run(s.request_move(opp, str(nego.id)))
    assert "Oportunidad movida a En negociación." in _toast(out) and not s.move_open
    s.drag_start(str(world["c"].id))
    out = run(s.drop_on(str(nego.id)))
    assert "movida" in _toast(out) and _stored(session, world["c"].id).stage_id == nego.id
    s.drag_start(str(world["c"].id))
    assert run(s.drop_on(str(nego.id))) == []  # dropped on its own column: nothing happens


def test_a_cancelled_move_leaves_the_opportunity_where_it_was(world, people, session):
    s = tab(OpportunitiesState, people.comercial1, path="/oportunidades")
    run(s.open_list())
    before = world["a"].stage_id
    run(s.request_move(str(world["a"].id), str(_stage(session, "Perdida").id)))
    s.set_move_open(False)  # Esc, the overlay or "Cancelar"
    assert not s.move_open and run(s.submit_move()) == []
    assert _stored(session, world["a"].id).stage_id == before


def test_a_forged_move_of_another_teams_opportunity_is_refused(world, people, session):
    s = tab(OpportunitiesState, people.comercial3, path="/oportunidades")
    run(s.open_list())
    won = _stage(session, "Ganada")
    theirs = world["a"]
    out = run(s.request_move(str(theirs.id), str(won.id)))
    assert "Oportunidad no encontrada." in _toast(out) and not s.move_open
    s.drag_start(str(theirs.id))
    out = run(s.drop_on(str(won.id)))
    assert "Oportunidad no encontrada." in _toast(out)
    # A stage of another pipeline is refused for one's own opportunity too.
    hecho = _stage(session, "Hecho")
    out = run(s.request_move(str(world["e"].id), str(hecho.id)))
    assert "Etapa no encontrada" in _toast(out)
    assert _stored(session, theirs.id).stage_id == theirs.stage_id
    assert _stored(session, world["e"].id).stage_id == world["e"].stage_id


# --- the form ---------------------------------------------------------------------------------


def test_the_form_shows_the_services_errors_inline_then_creates(world, people, session):
    f = tab(OpportunityFormState, people.comercial1,
            path=f"/oportunidades/nueva?cliente={world['acc'].id}")
    assert run(f.load()) == [] and f.found and f.opp_id == 0
    assert (f.account_id, f.account_name) == (str(world["acc"].id), "Talleres Ruiz")
    assert [o["label"] for o in f.owners] == ["Comercial1"]
    assert f.stages[0]["label"] == "En análisis" and f.stage_id == f.stages[0]["value"]
    assert f.title == "Nueva oportunidad" and f.cancel_href == "/oportunidades"
    out = run(f.save({"name": " ", "amount": "-5", "expected_close": "31/02/2026",
                      "channel": "__none", "product_id": "__none"}))
    assert f.errors == {"name": "El nombre es obligatorio.",
                        "amount": "El importe no puede ser menor que 0.",
                        "expected_close": "Fecha no válida: usa dd/mm/aaaa."}
    assert t("common.check_fields") in _toast(out) and not f.saving
    out = run(f.save({"name": "Ampliación", "amount": "1.234,5", "expected_close": "15/03/2027",
                      "channel": "__none", "product_id": "__none",
                      "owner_id": str(people.comercial2.id)}))  # forged: not theirs to give
    assert f.errors == {"owner_id": t("links.owner.not_yours")}
    out = run(f.save({"name": "Ampliación", "amount": "1.234,5", "expected_close": "15/03/2027",
                      "channel": "__none", "product_id": "__none"}))
    assert f.errors == {} and "_redirect" in names(out) and "Oportunidad creada." in _toast(out)
    opp = session.exec(select(Opportunity).where(Opportunity.name == "Ampliación")).one()
    assert (str(opp.amount), opp.expected_close.isoformat(), opp.channel, opp.account_id) == (
        "1234.50", "2027-03-15", "Web", world["acc"].id)


def test_the_form_edits_and_picks_the_customer(world, people, session):
    contact = contacts.create_contact(session=session, actor=people.comercial1,
                                      data={"first_name": "Rosa", "last_name": "Ruiz",
                                            "account_id": world["acc"].id,
                                            "email": "rosa@ruiz.es"})
    opp = world["c"]
    f = tab(OpportunityFormState, people.manager1, path=f"/oportunidades/{opp.id}/editar")
    run(f.load())
    assert (f.opp_id, f.title, f.cancel_href) == (opp.id, "Editar oportunidad",
                                                  f"/oportunidades/{opp.id}")
    assert f.form["amount"] == "120,5" and f.form["channel"] == "Feria" and f.stages == []
    assert f.account_id == "" and f.form["owner_id"] == str(people.comercial1.id)
    run(f.search_accounts("t"))  # too short to search
    assert f.account_options == []
    run(f.search_accounts("talleres"))
    assert [o["label"] for o in f.account_options] == ["Talleres Ruiz"]
    run(f.pick_account(f.account_options[0]["value"]))
    assert f.account_name == "Talleres Ruiz" and f.account_options == []
    assert [o["label"] for o in f.contact_options] == ["Rosa Ruiz"]
    f.set_contact(str(contact.id))
    out = run(f.save({"name": "Oficinas", "amount": "200", "expected_close": "",
                      "channel": "Feria", "product_id": "__none",
                      "owner_id": str(people.comercial1.id)}))
    assert "Cambios guardados." in _toast(out)
    stored = _stored(session, opp.id)
    assert (stored.account_id, stored.contact_id, str(stored.amount)) == (
        world["acc"].id, contact.id, "200.00")
    run(f.clear_account())
    assert f.account_id == "" and f.contact_options == [] and f.contact_id == "__none"
    # Another team's opportunity: not found, no form.
    g = tab(OpportunityFormState, people.manager2, path=f"/oportunidades/{opp.id}/editar")
    out = run(g.load())
    assert not g.found and "Oportunidad no encontrada." in _toast(out)


# --- the record page --------------------------------------------------------------------------


def test_the_record_page_shows_the_opportunity_and_moves_it(world, people, session):
    opp = world["b"]
    r = tab(OpportunityRecordState, people.manager1, path=f"/oportunidades/{opp.id}")
    assert run(r.load()) == [] and r.found and r.loaded
    assert (r.opp["name"], r.opp["stage"], r.opp["amount"], r.opp["weighted"]) == (
        "Almacén", "Oferta presentada", "5.000,00\u00a0€", "2.000,00\u00a0€")
    assert r.opp["new_quote_href"] == f"/presupuestos/nuevo?oportunidad={opp.id}"
    assert [s["name"] for s in r.stages if s["current"]] == ["Oferta presentada"]
    assert [(h["from"], h["to"]) for h in r.history] == [("En análisis", "Oferta presentada"),
                                                         ("", "En análisis")]
    assert r.quotes == []
    lost = next(s for s in r.stages if s["name"] == "Perdida")
    run(r.request_move(r.opp["id"], lost["stage_id"]))
    assert r.move_open
    r.set_move_value("lost_reason", "Plazo")
    out = run(r.submit_move())
    assert "movida" in _toast(out) and r.opp["stage"] == "Perdida"
    assert r.opp["lost_reason"] == "Plazo" and r.history[0]["to"] == "Perdida"
    out = run(r.delete())
    assert "_redirect" in names(out) and "Oportunidad enviada a la papelera." in _toast(out)
    assert _stored(session, opp.id).deleted_at is not None


def test_the_record_page_of_another_team_is_not_found(world, people):
    r = tab(OpportunityRecordState, people.comercial3, path=f"/oportunidades/{world['a'].id}")
    out = run(r.load())
    # the loader has run (no spinner left) and found nothing: the page says "no encontrada"
    assert not r.found and r.loaded and "Oportunidad no encontrada." in _toast(out)
    out = run(r.delete())  # forged: nothing to delete here
    assert "Oportunidad no encontrada." in _toast(out)
