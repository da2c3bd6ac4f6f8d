"""A tab without a session, on any screen: the data events send it to the login page (with the
page to come back to) and read or change nothing.

One table for the list, form and record screens; screens whose events are background tasks
or whose guard answers differently (settings, analytics, the import wizard, quotes) keep
their own test beside the screen's other tests.
"""

from __future__ import annotations

import pytest
from state_harness import names, run, tab

from pages.accounts import AccountFormState, AccountRecordState, AccountsListState
from pages.catalog import CatalogState
from pages.leads import LeadFormState, LeadRecordState, LeadsListState
from pages.opportunities import OpportunitiesState, OpportunityFormState, OpportunityRecordState

# (state, the tab's path, event, its arguments)
EVENTS = [
    (AccountsListState, "/clientes", "open_list", ()),
    (AccountFormState, "/clientes/nuevo", "new_account", ()),
    (AccountFormState, "/clientes/1/editar", "edit_account", ()),
    (AccountRecordState, "/clientes/1", "load", ()),
    (OpportunitiesState, "/oportunidades", "open_list", ()),
    (OpportunitiesState, "/oportunidades", "request_move", ("1", "2")),
    (OpportunityFormState, "/oportunidades/nueva", "load", ()),
    (OpportunityRecordState, "/oportunidades/1", "load", ()),
    (LeadsListState, "/leads", "open_list", ()),
    (LeadsListState, "/leads", "bulk_delete", ()),
    (LeadFormState, "/leads/nuevo", "submit", ({"first_name": "X"},)),
    (LeadRecordState, "/leads/7", "load", ()),
    (CatalogState, "/productos", "open_list", ()),
]


@pytest.mark.parametrize(("state", "path", "event", "args"), EVENTS,
                         ids=[f"{s.__name__}.{e}" for s, _p, e, _a in EVENTS])
def test_a_tab_without_session_goes_to_the_login_page(engine, state, path, event, args):
    s = tab(state, None, path=path)
    out = run(getattr(s, event)(*args))
    assert names(out) == ["_redirect"]
    assert f"/login?next={path}" in str(out[0].args)
    assert not s.signed_in
