"""The handler half of the permission matrix for the asesor (issue 12): every browser event
of every screen, generated from the registered states, resolved to the permission its
``@handler`` checks before it runs. The asesor passes that check on exactly the events written
out below — the quotes list and a quote's page (fiscal records) and the shell's own loaders,
whose services scope what they read — and on no event that changes data. The routes' guards
agree: only Inicio and the quotes' pages let the asesor in.
"""

from __future__ import annotations

import crm_app.crm_app as app_module
from crm_app.models import Role, User
from crm_app.permissions import Perm, has_perm
from crm_app.state import AppState, ClassPerm

ASESOR = User(id=1, email="asesor@x.es", name="Asesor", role=Role.ASESOR, active=True)
LIST_EVENTS = {"clear_filters", "next_page", "open_list", "prev_page", "refresh", "remove_chip",
               "search", "set_filter", "set_page_size", "set_sort", "set_view", "sort_by"}
# Written out, not derived: what the asesor's tab may run.
EXPECTED = {("QuotesState", e) for e in LIST_EVENTS} | {
    ("QuoteEditorState", "load"),  # reads; a new quote needs records.change inside
    ("AppState", "load_alerts"),  # any user: the alerts are scoped (the asesor has none)
    ("HomeState", "load"),  # Inicio: the quotes card only, no dashboard
    ("DeliveryState", "load"),  # /informes is guarded; the loader lists months only
    ("LeadImportState", "open_page"),  # /leads/importar is guarded; it checks import.run
} | {("AccountState", e) for e in (  # Mi cuenta: every user's own password, 2FA, sessions
    "load", "change_password", "start_2fa", "confirm_2fa", "cancel_2fa", "disable_2fa",
    "revoke_session", "create_token", "revoke_token",
    "set_channel", "push_enabled")} | {  # and their own notification preferences (issue 13)
    ("AppState", e) for e in (  # their own alerts: the bell's actions and its live watch
        "read_alert", "read_all_alerts", "dismiss_alert", "open_alert", "watch_alerts")}


def _states() -> list[type]:
    out, todo = [], [AppState]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.get_substates())
    return out


def _handlers() -> list[tuple[str, str, Perm | None]]:
    found = []
    for cls in _states():
        for name, h in cls.event_handlers.items():
            if not hasattr(h.fn, "__crm_handler__"):
                continue
            perm = h.fn.__crm_handler__
            if isinstance(perm, ClassPerm):
                perm = Perm(getattr(cls, perm.attr))
            found.append((cls.__name__, name, perm))
    return sorted(found, key=lambda f: (f[0], f[1]))


def test_the_asesor_passes_exactly_the_expected_handlers() -> None:
    handlers = _handlers()
    assert len(handlers) > 150  # the scan sees every screen
    passed = {(cls, name) for cls, name, perm in handlers
              if perm is None or has_perm(ASESOR, perm)}
    assert passed == EXPECTED


def test_no_write_handler_is_open_to_the_asesor() -> None:
    for cls, name, perm in _handlers():
        if perm in (Perm.RECORDS_CHANGE, Perm.RECORDS_DELETE, Perm.RECORDS_ASSIGN,
                    Perm.SETTINGS_CHANGE, Perm.IMPORT, Perm.CATALOG_CHANGE, Perm.RULES_MANAGE,
                    Perm.USERS_MANAGE):
            assert not has_perm(ASESOR, perm), (cls, name)


def test_the_route_guards_let_the_asesor_into_inicio_mi_cuenta_and_quotes_only() -> None:
    guard_perm = {AppState.check_login: None, AppState.check_fiscal: Perm.FISCAL_VIEW,
                  AppState.check_records: Perm.RECORDS_VIEW,
                  AppState.check_reports: Perm.REPORTS_VIEW}
    open_routes = set()
    for _component, route, _title, _loader in app_module._PRIVATE:
        perm = guard_perm[app_module.private_guard(route)]
        if perm is None or has_perm(ASESOR, perm):
            open_routes.add(route)
    assert open_routes == {"/", "/mi-cuenta", "/presupuestos", "/presupuestos/[presupuesto_id]"}
