"""The state kit's small pieces (``crm_app.state``): plain setters, the busy flag, the guards.

Driven through real page states (``state_harness.tab``), the way the browser reaches them."""

from __future__ import annotations

from state_harness import names, run, tab

from crm_app.state import MAX_INPUT, setter
from pages.accounts import AccountFormState
from pages.leads import LeadsListState
from pages.settings import CustomFieldsState


def test_a_setter_is_a_plain_event_that_bounds_what_it_keeps(people):
    s = tab(LeadsListState, people.comercial1, path="/leads")
    assert "set_view_name" in type(s).event_handlers
    assert not hasattr(type(s).event_handlers["set_view_name"].fn, "__crm_handler__")
    s.set_view_name("x" * (MAX_INPUT + 50))
    assert s.view_name == "x" * MAX_INPUT
    s.set_view_name(None)
    assert s.view_name == ""
    s.set_assign_open("yes")  # a switch or a dialog: a bool, whatever arrives
    assert s.assign_open is True
    s.set_assign_open(0)
    assert s.assign_open is False


def test_a_setter_takes_its_own_limit():
    assert setter("send_to", limit=5).__name__ == "set_send_to"


def test_a_refused_save_leaves_no_spinner_turning(people):
    f = tab(AccountFormState, people.comercial1, path="/clientes/nuevo")
    run(f.new_account())
    out = run(f.submit({"name": "", "email": "no-es-correo"}))
    assert {"name", "email"} <= set(f.errors)
    assert f.saving is False
    # the toast, then the first field in error brought into view (the form's own order)
    assert names(out) == ["_call_function", "_call_script"]
    assert "_var_value='setTimeout(() => document.getElementById(\"name\")" in str(out[1].args)


def test_the_admin_guard_turns_a_comercial_away_once(people):
    s = tab(CustomFieldsState, people.comercial1, path="/ajustes/campos")
    out = run(s.check_admin())
    assert names(out) == ["_redirect", "_call_function"]
    assert "No tienes permiso" in str(out[1])
    assert s.signed_in  # the shell still knows who is there
    assert names(run(tab(CustomFieldsState, None, path="/ajustes").check_admin())) == \
        ["_redirect"]
