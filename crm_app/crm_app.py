"""Composition root: the Reflex app, its pages, and the HTTP API mounted on the same port."""

from __future__ import annotations

import reflex as rx

from crm_app.api.app import build_api
from crm_app.i18n import t
from crm_app.state import AppState
from pages import (
    home,
    leads,
    leads_form,
    leads_import,
    leads_record,
    login,
    records,
    reports,
    settings,
    settings_assignment,
    settings_fields,
)

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
    (leads.leads_page, "/leads", "nav.leads", leads.LeadsListState.open_page),
    (leads_form.new_lead_page, "/leads/nuevo", "lead_ui.new", leads_form.LeadFormState.new_lead),
    (leads_import.lead_import_page, "/leads/importar", "import_ui.title",
     leads_import.LeadImportState.open_page),
    (leads_record.lead_record_page, "/leads/[lead_id]", "nav.leads",
     leads_record.LeadRecordState.load),
    (leads_form.edit_lead_page, "/leads/[lead_id]/editar", "lead_ui.form.edit",
     leads_form.LeadFormState.edit_lead),
    (records.accounts_page, "/clientes", "nav.accounts", records.AccountsState.load),
    (records.opportunities_page, "/oportunidades", "nav.opportunities",
     records.OpportunitiesState.load),
    (records.quotes_page, "/presupuestos", "nav.quotes", records.QuotesState.load),
    (records.tasks_page, "/tareas", "nav.tasks", records.TasksState.load),
    (records.documents_page, "/documentos", "nav.documents", records.DocumentsState.load),
    (reports.reports_page, "/informes", "nav.reports", reports.ReportsState.open_page),
]
for component, route, title_key, loader in _PRIVATE:
    app.add_page(component, route=route, title=_title(title_key),
                 on_load=[AppState.check_login, *([loader] if loader else [])])

app.add_page(settings.settings_page, route="/ajustes", title=_title("nav.settings"),
             on_load=[AppState.check_admin, settings.SettingsState.load])
for component, route, title_key, loader in [
    (settings_assignment.rules_page, "/ajustes/asignacion", "leads.rules.title",
     settings_assignment.AssignmentRulesState.load),
    (settings_fields.fields_page, "/ajustes/campos", "fields_ui.title",
     settings_fields.CustomFieldsState.load),
]:
    app.add_page(component, route=route, title=_title(title_key),
                 on_load=[AppState.check_admin, loader])
