"""Composition root: the Reflex app, its pages, and the HTTP API mounted on the same port."""

from __future__ import annotations

import reflex as rx

from crm_app.api.app import build_api
from crm_app.i18n import t
from crm_app.state import AppState
from pages import home, login, records, reports, settings

app = rx.App(
    api_transformer=build_api(),
    html_lang="es",
    head_components=[rx.el.meta(name="theme-color", content="#3E63DD")],
)


def _title(key: str) -> str:
    return f"{t(key)} · {t('app.name')}"


app.add_page(login.login_page, route="/login", title=_title("login.title"),
             on_load=login.LoginState.on_load)

_PRIVATE = [
    (home.home_page, "/", "nav.home", home.HomeState.load),
    (records.leads_page, "/leads", "nav.leads", records.LeadsState.load),
    (records.accounts_page, "/clientes", "nav.accounts", records.AccountsState.load),
    (records.opportunities_page, "/oportunidades", "nav.opportunities",
     records.OpportunitiesState.load),
    (records.quotes_page, "/presupuestos", "nav.quotes", records.QuotesState.load),
    (records.tasks_page, "/tareas", "nav.tasks", records.TasksState.load),
    (records.documents_page, "/documentos", "nav.documents", records.DocumentsState.load),
    (reports.reports_page, "/informes", "nav.reports", None),
]
for component, route, title_key, loader in _PRIVATE:
    app.add_page(component, route=route, title=_title(title_key),
                 on_load=[AppState.check_login, *([loader] if loader else [])])

app.add_page(settings.settings_page, route="/ajustes", title=_title("nav.settings"),
             on_load=[AppState.check_admin, settings.SettingsState.load])
