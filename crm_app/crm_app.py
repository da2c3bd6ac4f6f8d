"""Composition root: the Reflex app, its pages, and the HTTP API mounted on the same port."""

from __future__ import annotations

import reflex as rx

from crm_app.api.app import build_api
from crm_app.i18n import t
from crm_app.logsafe import install as install_log_redaction
from crm_app.state import AppState, backend_error
from pages import (
    account,
    accounts,
    agenda,
    catalog,
    documents,
    home,
    invitation,
    lead_import,
    leads,
    login,
    opportunities,
    quotes,
    reports,
    settings,
    tasks,
)

# Before anything can log: Reflex logs failed events with the request headers (cookie,
# Authorization) of their websocket; crm_app.logsafe scrubs every record of the process.
install_log_redaction()

# Toasts: at the top centre on wide screens (bottom-right ones covered the primary buttons), at
# the bottom on phones, where a toast at the top covers the bar's menu, bell and user buttons.
# Sonner takes one position, so the browser picks it when the app starts (phones: below the
# kit's "sm" breakpoint, 768 px, like every ``rx.breakpoints(initial=…)``).
TOAST_POSITION = rx.Var(
    '(typeof window !== "undefined" && window.matchMedia("(max-width: 767px)").matches'
    ' ? "bottom-center" : "top-center")', _var_type=str)

app = rx.App(
    backend_exception_handler=backend_error,
    api_transformer=build_api(),
    toaster=rx.toast.provider(position=TOAST_POSITION, close_button=True, rich_colors=True),
    html_lang="es",
    # The PWA (issue 13): manifest, icons, the service worker (web push) registered by
    # /pwa.js, which also offers "Activar en este dispositivo" (Mi cuenta → Notificaciones).
    head_components=[rx.el.meta(name="theme-color", content="#3E63DD"),
                     rx.el.link(rel="manifest", href="/manifest.webmanifest"),
                     rx.el.link(rel="apple-touch-icon", href="/icons/apple-touch-icon.png"),
                     rx.el.meta(name="mobile-web-app-capable", content="yes"),
                     rx.el.script(src="/pwa.js", defer=True)],
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
# Public: the invitee's link (the token in the path is the credential, checked on the server).
app.add_page(invitation.invitation_page, route="/invitacion/[invitacion_token]",
             title=_title("uadm.accept.title"), on_load=invitation.InvitationState.on_load)
app.add_page(login.forgot_page, route="/login/recuperar", title=_title("account.reset.title"),
             on_load=login.RecoveryState.load_forgot)
app.add_page(login.new_password_page, route="/login/nueva-contrasena",
             title=_title("account.reset.new_title"),
             on_load=login.RecoveryState.load_new_password)
app.add_page(login.second_step_page, route="/login/verificacion",
             title=_title("account.login2.title"), on_load=login.SecondStepState.on_load)

_PRIVATE = [
    (home.home_page, "/", "nav.home", home.HomeState.load),
    (leads.leads_page, "/leads", "nav.leads", leads.LeadsListState.open_list),
    (leads.new_lead_page, "/leads/nuevo", "lead_ui.new", leads.LeadFormState.new_lead),
    (lead_import.lead_import_page, "/leads/importar", "import_ui.title",
     lead_import.LeadImportState.open_page),
    (leads.lead_record_page, "/leads/[lead_id]", "nav.leads", leads.LeadRecordState.load),
    (leads.edit_lead_page, "/leads/[lead_id]/editar", "lead_ui.form.edit",
     leads.LeadFormState.edit_lead),
    (accounts.accounts_page, "/clientes", "nav.accounts", accounts.AccountsListState.open_list),
    (accounts.new_account_page, "/clientes/nuevo", "sui.accounts.new",
     accounts.AccountFormState.new_account),
    (accounts.account_record_page, "/clientes/[cliente_id]", "sui.accounts.file",
     accounts.AccountRecordState.load),
    (accounts.edit_account_page, "/clientes/[cliente_id]/editar", "acc_ui.edit_title",
     accounts.AccountFormState.edit_account),
    (opportunities.opportunities_page, "/oportunidades", "nav.opportunities",
     opportunities.OpportunitiesState.open_list),
    (opportunities.opportunity_form_page, "/oportunidades/nueva", "sui.opps.new",
     opportunities.OpportunityFormState.load),
    (opportunities.opportunity_record_page, "/oportunidades/[oportunidad_id]",
     "sui.opps.detail_title", opportunities.OpportunityRecordState.load),
    (opportunities.opportunity_form_page, "/oportunidades/[oportunidad_id]/editar",
     "sui.opps.form_title", opportunities.OpportunityFormState.load),
    (quotes.quotes_page, "/presupuestos", "nav.quotes", quotes.QuotesState.open_list),
    (quotes.quote_editor_page, "/presupuestos/nuevo", "sui.quotes.new",
     quotes.QuoteEditorState.load),
    (quotes.quote_editor_page, "/presupuestos/[presupuesto_id]", "sui.quotes.editor_title",
     quotes.QuoteEditorState.load),
    (catalog.catalog_page, "/productos", "sui.products.title", catalog.CatalogState.open_list),
    (tasks.tasks_page, "/tareas", "nav.tasks", tasks.TasksState.open_list),
    (agenda.agenda_page, "/agenda", "agenda.title", agenda.AgendaState.load),
    (documents.documents_page, "/documentos", "nav.documents", documents.DocumentsState.open_list),
    (reports.reports_page, "/informes", "nav.reports", reports.ReportsState.open_page),
    (account.account_page, "/mi-cuenta", "account.title", account.AccountState.load),
]
# Each private route's guard: the commercial screens need the records permission (the asesor
# is sent home with the usual denial); quotes are fiscal records every role reads; Informes
# needs analytics; Inicio and Mi cuenta any signed-in user.
_GUARDS = {"/": AppState.check_login, "/mi-cuenta": AppState.check_login,
           "/informes": AppState.check_reports,
           "/presupuestos": AppState.check_fiscal,
           "/presupuestos/[presupuesto_id]": AppState.check_fiscal}


def private_guard(route: str) -> object:
    """The ``on_load`` guard of a private route (``check_records`` unless ``_GUARDS`` says)."""
    return _GUARDS.get(route, AppState.check_records)


for component, route, title_key, loader in _PRIVATE:
    app.add_page(component, route=route, title=_title(title_key),
                 on_load=[private_guard(route), *([loader] if loader else [])])

# Admin screens: the guard turns other roles away once; each loader stays quiet then.
for component, route, title_key, loader in [
    (settings.settings_page, "/ajustes", "nav.settings", settings.SettingsState.load),
    (settings.company_page, "/ajustes/empresa", "company.title", settings.CompanyState.load),
    (settings.users_page, "/ajustes/usuarios", "uadm.users.title",
     settings.UsersAdminState.load),
    (settings.teams_page, "/ajustes/equipos", "uadm.teams.title",
     settings.TeamsAdminState.load),
    (settings.export_page, "/ajustes/exportar", "export_all.title", settings.ExportState.load),
    (settings.rules_page, "/ajustes/asignacion", "leads.rules.title",
     settings.AssignmentRulesState.load),
    (settings.automations_page, "/ajustes/automatizaciones", "auto.title",
     settings.AutomationsState.load),
    (settings.fields_page, "/ajustes/campos", "fields_ui.title",
     settings.CustomFieldsState.load),
    (settings.pipelines_page, "/ajustes/embudos", "sui.pipes.title",
     settings.PipelinesState.load),
    (settings.personal_data_settings_page, "/ajustes/datos-personales", "pd.settings.title",
     settings.PersonalDataSettingsState.load),
    (settings.calendars_page, "/ajustes/calendarios", "agenda.settings.title",
     settings.CalendarsAdminState.load),
    (settings.alert_settings_page, "/ajustes/alertas", "alr.settings.title",
     settings.AlertSettingsState.load),
]:
    app.add_page(component, route=route, title=_title(title_key),
                 on_load=[AppState.check_admin, loader])

# Ajustes → Auditoría: ``audit.view`` (admins today), its own guard.
app.add_page(settings.audit_page, route="/ajustes/auditoria", title=_title("audit.title"),
             on_load=[AppState.check_audit, settings.AuditState.open_list])
