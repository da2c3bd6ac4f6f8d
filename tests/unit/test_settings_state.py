"""The settings screens' states (/ajustes, rules, custom fields, pipelines), driven in-process
like a browser tab of each user would drive them: an admin's load and saves, inline field
errors, forged writes by other roles (refused, nothing written), the guard said once, tabs
without a session."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select
from state_harness import names, run, run_bg, tab

from crm_app.i18n import t
from crm_app.models import AssignmentRule, CustomFieldDef, Lead, Organisation, utcnow
from crm_app.services import custom_fields as cf
from crm_app.services import pipelines
from pages.settings import (
    AssignmentRulesState,
    CompanyState,
    CustomFieldsState,
    PersonalDataSettingsState,
    PipelinesState,
    SettingsState,
)

SCREENS = [(SettingsState, "/ajustes"), (CompanyState, "/ajustes/empresa"),
           (AssignmentRulesState, "/ajustes/asignacion"),
           (CustomFieldsState, "/ajustes/campos"), (PipelinesState, "/ajustes/embudos"),
           (PersonalDataSettingsState, "/ajustes/datos-personales")]


def toasts(events: list[Any]) -> list[str]:
    return [str(e) for e in events if "toast" in str(e).lower()]


def on_load(state: Any) -> list[Any]:
    """What a route's ``on_load`` runs: the admin guard, then the screen's loader."""
    return run(state.check_admin()) + run(state.load())


# --- the guard: said once, nothing loaded --------------------------------------------------


@pytest.mark.parametrize("state_cls,path", SCREENS)
def test_a_comercial_is_turned_away_once(session, people, state_cls, path):
    """A comercial opening /ajustes was told "no tienes permiso" twice: the guard said it and
    the loader said it again. The guard says it; the loader only refuses."""
    s = tab(state_cls, people.comercial1, path=path)
    out = on_load(s)
    assert names(out) == ["_redirect", "_call_function"], out
    assert len(toasts(out)) == 1 and t("common.denied") in toasts(out)[0]
    assert "/" in str(out[0].args) and "login" not in str(out[0].args)
    assert run(s.load()) == []  # a forged load: nothing said, nothing read
    for var in ("users", "rules", "fields", "stages"):
        assert getattr(s, var, []) == []
    assert getattr(s, "values", {}) == {}  # /ajustes/empresa: no company data sent
    assert getattr(s, "preview", "") == ""  # /ajustes/datos-personales: no count sent


@pytest.mark.parametrize("state_cls,path", SCREENS)
def test_a_tab_without_session_goes_to_the_login_page_once(engine, state_cls, path):
    s = tab(state_cls, None, path=path)
    out = on_load(s)
    assert names(out) == ["_redirect"]
    assert f"/login?next={path}" in str(out[0].args)
    assert not s.signed_in


# --- /ajustes --------------------------------------------------------------------------------


def test_the_admin_sees_the_company_and_the_users(session, people):
    org = session.exec(select(Organisation)).one()
    org.address, org.postal_code, org.city, org.province = "C/ Mayor 1", "28001", "Madrid", \
        "Madrid"
    session.add(org)
    session.commit()
    s = tab(SettingsState, people.admin, path="/ajustes")
    assert on_load(s) == []
    assert s.org["legal_name"] == "Demo Pruebas S.L." and s.org["nif"] == "B12345674"
    assert s.org["address"] == "C/ Mayor 1, 28001 Madrid"  # the province is the city
    assert (s.org["fiscal_year"], s.org["irpf"]) == ("enero", "0\u00a0%")
    assert len(s.users) == 7 and s.users[0]["email"] == "admin@test.crm"
    manager = next(u for u in s.users if u["email"] == "manager1@test.crm")
    assert (manager["team"], manager["role"], manager["active"]) == (
        "Norte", "Jefe de equipo", "Sí")


# --- /ajustes/asignacion ---------------------------------------------------------------------


def _fill_rule(s: Any, people: Any, name: str = "Madrid y Toledo") -> None:
    s.new_rule()
    s.set_ed("name", name)
    s.set_condition(0, "op", "province_in")
    s.set_condition(0, "value", "Madrid, Toledo")
    s.set_ed("action", "fixed_user")
    s.set_ed("user", str(people.comercial2.id))


def test_a_blank_condition_is_refused_under_its_input(session, people):
    """"Aplicar" used to save "Provincia es igual a" (blank) into the draft."""
    s = tab(AssignmentRulesState, people.admin, path="/ajustes/asignacion")
    on_load(s)
    s.new_rule()
    assert s.ed_conditions == [{"field": "province", "op": "eq", "value": "", "value2": ""}]
    s.set_ed("name", "Sin valor")
    out = run(s.apply_rule())
    assert s.ed_errors == {"conditions.0.value": "Indica el valor de la condición."}
    assert s.editor_open and s.rules == [] and not s.dirty
    assert t("common.check_fields") in toasts(out)[0]
    s.set_condition(0, "op", "empty")  # "sin provincia" is said with «está vacío»
    run(s.apply_rule())
    assert s.ed_errors == {} and not s.editor_open
    assert s.rules[0]["when"] == "Si Provincia está vacío"


def test_the_admin_edits_simulates_and_saves_the_rules(session, people):
    for i, prov in enumerate(["Madrid", "Toledo", "Sevilla"]):
        session.add(Lead(first_name=f"S{i}", phone=f"+3460000000{i}", province=prov,
                         owner_id=people.comercial1.id, team_id=people.team_norte.id,
                         created_at=utcnow()))
    session.commit()
    s = tab(AssignmentRulesState, people.admin, path="/ajustes/asignacion")
    on_load(s)
    assert s.rules == [] and {o["value"] for o in s.field_options} >= {"province", "source"}
    _fill_rule(s, people)
    run(s.apply_rule())
    assert s.dirty and s.rules[0]["then"] == "Usuario fijo: Comercial2"
    assert s.rules[0]["when"] == "Si provincia en Madrid, Toledo"
    s.set_sim_n("50")
    out = run_bg(s, "simulate")
    assert s.sim_summary == "De los últimos 3 leads, 3 cambiarían de responsable."
    by_user = {r["name"]: (r["actual"], r["simulated"]) for r in s.sim_rows}
    assert by_user["Comercial2"] == ("0", "2") and not s.simulating and toasts(out) == []
    assert session.exec(select(AssignmentRule)).all() == []  # simulating saves nothing
    out = run(s.save())
    assert t("rules_ui.saved") in toasts(out)[0] and not s.dirty and not s.saving
    session.expire_all()
    (rule,) = session.exec(select(AssignmentRule)).all()
    assert rule.conditions == [{"field": "province", "op": "province_in",
                                "value": ["Madrid", "Toledo"]}]
    s.remove(0)
    run(s.save())
    session.expire_all()
    assert session.exec(select(AssignmentRule)).all() == []


def test_a_stored_rule_the_service_now_refuses_is_named_on_save_and_simulate(session, people):
    """A blank condition saved before the check existed: the save names the rule."""
    session.add(AssignmentRule(name="Antigua", action="fixed_user", position=0,
                               config={"user_id": people.comercial1.id},
                               conditions=[{"field": "province", "op": "eq", "value": ""}]))
    session.commit()
    s = tab(AssignmentRulesState, people.admin, path="/ajustes/asignacion")
    on_load(s)
    s.toggle_active(0, False)
    run(s.save())
    assert s.save_problems == ["Regla 1 (Antigua): Indica el valor de la condición."]
    assert s.dirty
    run_bg(s, "simulate")
    assert s.save_problems and s.sim_rows == [] and not s.simulating
    session.expire_all()
    assert session.exec(select(AssignmentRule)).one().active  # nothing written


def test_a_forged_save_or_fallback_from_a_manager_writes_nothing(session, people):
    s = tab(AssignmentRulesState, people.manager1, path="/ajustes/asignacion")
    _fill_rule(s, people, "Forzada")
    s._draft = [{**s._editor_rule(), "id": None}]
    for out in (run(s.save()), run(s.set_fallback(str(people.manager1.id))),
                run_bg(s, "simulate"), run(s.apply_rule())):
        assert len(toasts(out)) == 1 and t("common.denied") in toasts(out)[0]
    session.expire_all()
    assert session.exec(select(AssignmentRule)).all() == []
    assert session.exec(select(Organisation)).one().lead_fallback_owner_id is None
    assert s.sim_rows == []


def test_the_fallback_owner_is_saved_at_once(session, people):
    s = tab(AssignmentRulesState, people.admin, path="/ajustes/asignacion")
    on_load(s)
    out = run(s.set_fallback(str(people.manager2.id)))
    assert t("rules_ui.fallback_saved") in toasts(out)[0]
    session.expire_all()
    assert session.exec(select(Organisation)).one().lead_fallback_owner_id == people.manager2.id
    run(s.set_fallback("__none"))
    session.expire_all()
    assert session.exec(select(Organisation)).one().lead_fallback_owner_id is None


# --- /ajustes/campos ---------------------------------------------------------------------------


def test_custom_fields_created_with_inline_errors_then_reordered_and_switched(session, people):
    s = tab(CustomFieldsState, people.admin, path="/ajustes/campos")
    assert on_load(s) == [] and s.fields == []
    s.set_create_open(True)
    s.set_new_label("Sector de actividad")
    assert s.new_key == "sector_de_actividad"  # suggested by the service's rule
    s.set_new_type("choice")
    run(s.create())
    assert s.errors == {"choices": "Un campo de opciones necesita al menos una opción."}
    assert s.create_open
    s.set_new_choices("Metal, Madera\nTextil")
    run(s.create())
    assert s.errors == {} and not s.create_open
    for label in ("Empleados", "Web propia"):
        s.set_create_open(True)
        s.set_new_label(label)
        run(s.create())
    assert [f["key"] for f in s.fields] == ["sector_de_actividad", "empleados", "web_propia"]
    assert s.fields[0]["choices"] == "Metal, Madera, Textil"
    run(s.move(s.fields[2]["id"], -1))
    assert [f["key"] for f in s.fields] == ["sector_de_actividad", "web_propia", "empleados"]
    s.open_edit(s.fields[0]["id"])
    s.set_edit_label(" ")
    run(s.save_edit())
    assert s.errors == {"label": "La etiqueta es obligatoria."} and s.edit_open
    s.set_edit_label("Sector")
    run(s.save_edit())
    assert s.fields[0]["label"] == "Sector" and not s.edit_open
    out = run(s.deactivate(s.fields[0]["id"]))
    assert "Sector" in toasts(out)[0]
    assert [f["active"] for f in s.fields] == ["1", "1", ""]  # the inactive one goes last
    run(s.reactivate(s.fields[2]["id"]))
    assert all(f["active"] for f in s.fields)
    run(s.set_entity("account"))
    assert s.entity == "account" and s.fields == []
    run(s.set_entity("factura"))  # not an entity: ignored
    assert s.entity == "account"


def test_a_forged_custom_field_change_from_a_director_writes_nothing(session, people):
    field = cf.create_field(session=session, actor=people.admin, entity="lead", key="sector",
                            label="Sector")
    s = tab(CustomFieldsState, people.director, path="/ajustes/campos")
    s.new_key, s.new_label = "hack", "Hack"
    s.edit_id, s.edit_label = field.id, "Cambiado"
    for out in (run(s.create()), run(s.save_edit()), run(s.deactivate(str(field.id))),
                run(s.move(str(field.id), 1))):
        assert len(toasts(out)) == 1 and t("common.denied") in toasts(out)[0]
    session.expire_all()
    (stored,) = session.exec(select(CustomFieldDef)).all()
    assert (stored.key, stored.label, stored.active) == ("sector", "Sector", True)


# --- /ajustes/embudos --------------------------------------------------------------------------


def test_pipeline_stages_edited_with_inline_errors_then_saved(session, people):
    s = tab(PipelinesState, people.admin, path="/ajustes/embudos")
    assert on_load(s) == []
    assert s.name == "Ventas" and s.is_default and len(s.stages) >= 3
    assert {o["value"] for o in s.required_options} >= set(pipelines.REQUIRED_FIELD_KEYS)
    s.add_stage()
    s.set_stage(len(s.stages) - 1, "probability", "150")
    out = run(s.save())
    last = f"stages.{len(s.stages) - 1}."
    assert s.errors == {last + "name": "El nombre de la etapa es obligatorio.",
                        last + "probability": "La probabilidad va de 0 a 100."}
    assert t("common.check_fields") in toasts(out)[0] and s.dirty and not s.saving
    s.set_stage(len(s.stages) - 1, "name", "Negociación final")
    s.set_stage(len(s.stages) - 1, "probability", "80")
    s.toggle_required(len(s.stages) - 1, "amount")
    out = run(s.save())
    assert t("sui.pipes.saved") in toasts(out)[0] and s.errors == {} and not s.dirty
    view = pipelines.pipeline_view(session=session, actor=people.admin,
                                   pipeline_id=int(s.pipeline_id))
    final = next(st for st in view["stages"] if st["name"] == "Negociación final")
    assert (final["probability"], final["required_fields"]) == (80, ["amount"])


def test_a_new_pipeline_needs_a_free_name_and_becomes_the_one_on_screen(session, people):
    s = tab(PipelinesState, people.admin, path="/ajustes/embudos")
    on_load(s)
    s.set_new_open(True)
    s.set_new_name("ventas")
    run(s.create())
    assert s.new_errors == {"name": "Ya hay un embudo con ese nombre."} and s.new_open
    s.set_new_name("Proyectos")
    run(s.create())
    assert s.name == "Proyectos" and not s.new_open and not s.is_default
    run(s.make_default())
    assert s.is_default
    run(s.select(s.pipelines[0]["value"]))
    assert s.name == "Ventas" and not s.is_default


def test_a_forged_pipeline_save_from_a_manager_writes_nothing(session, people):
    admin_tab = tab(PipelinesState, people.admin, path="/ajustes/embudos")
    on_load(admin_tab)
    s = tab(PipelinesState, people.manager1, path="/ajustes/embudos")
    s.pipeline_id, s.name, s.stages = admin_tab.pipeline_id, "Robado", admin_tab.stages[:1]
    s.new_name = "Otro"
    for out in (run(s.save()), run(s.make_default()), run(s.create())):
        assert len(toasts(out)) == 1 and t("common.denied") in toasts(out)[0]
    names_now = [p.name for p in pipelines.list_pipelines(session=session, actor=people.admin)]
    assert names_now == ["Ventas"]
    view = pipelines.pipeline_view(session=session, actor=people.admin,
                                   pipeline_id=int(admin_tab.pipeline_id))
    assert len(view["stages"]) == len(admin_tab.stages)

