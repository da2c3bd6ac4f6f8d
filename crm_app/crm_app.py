"""Composition root: the Reflex app, its pages, and the HTTP API mounted on the same port."""

from __future__ import annotations

import reflex as rx

from crm_app.api.app import build_api
from crm_app.i18n import t
from crm_app.logsafe import install as install_log_redaction
from crm_app.state import AppState
from pages import (
    accounts,
    catalog,
    home,
    leads,
    leads_form,
    leads_import,
    leads_record,
    login,
    opportunities,
    pipelines_settings,
    quotes,
    records,
    reports,
    settings,
    settings_assignment,
    settings_fields,
)

# Before anything can log: Reflex logs failed events with the request headers (cookie,
# Authorization) of their websocket; crm_app.logsafe scrubs every record of the process.
install_log_redaction()

app = rx.App(
    api_transformer=build_api(),
    # Top centre: bottom-right toasts covered the primary buttons (bottom/right by convention).
    toaster=rx.toast.provider(position="top-center", close_button=True, rich_colors=True),
    html_lang="es",
    head_components=[rx.el.meta(name="theme-color", content="#3E63DD")],
)


def _title(key: str) -> str:
    return f"{t(key)} · {t('app.name')}"


async def _warm_pdf_renderer() -> None:
    """WeasyPrint's first render costs ~3 s (imports, fonts): pay it off the request path."""
    import asyncio

    from crm_app.reports.quote_pdf import warm_up

    await asyncio.to_thread(warm_up)


app.register_lifespan_task(_warm_pdf_renderer)

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
    (accounts.accounts_page, "/clientes", "nav.accounts", accounts.AccountsState.load),
    (accounts.account_form_page, "/clientes/nuevo", "sui.accounts.new",
     accounts.AccountFormState.load),
    (accounts.account_detail_page, "/clientes/[cliente_id]", "sui.accounts.file",
     accounts.AccountDetailState.load),
    (accounts.account_form_page, "/clientes/[cliente_id]/editar", "sui.accounts.form_title",
     accounts.AccountFormState.load),
    (opportunities.opportunities_page, "/oportunidades", "nav.opportunities",
     opportunities.OpportunitiesState.load),
    (opportunities.opportunity_form_page, "/oportunidades/nueva", "sui.opps.new",
     opportunities.OpportunityFormState.load),
    (opportunities.opportunity_detail_page, "/oportunidades/[oportunidad_id]",
     "sui.opps.detail_title", opportunities.OpportunityDetailState.load),
    (opportunities.opportunity_form_page, "/oportunidades/[oportunidad_id]/editar",
     "sui.opps.form_title", opportunities.OpportunityFormState.load),
    (quotes.quotes_page, "/presupuestos", "nav.quotes", quotes.QuotesState.load),
    (quotes.quote_editor_page, "/presupuestos/nuevo", "sui.quotes.new",
     quotes.QuoteEditorState.load),
    (quotes.quote_editor_page, "/presupuestos/[presupuesto_id]", "sui.quotes.editor_title",
     quotes.QuoteEditorState.load),
    (catalog.catalog_page, "/productos", "sui.products.title", catalog.CatalogState.load),
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
    (pipelines_settings.pipelines_page, "/ajustes/embudos", "sui.pipes.title",
     pipelines_settings.PipelinesState.load),
]:
    app.add_page(component, route=route, title=_title(title_key),
                 on_load=[AppState.check_admin, loader])
