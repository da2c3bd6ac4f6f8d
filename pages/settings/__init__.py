"""/ajustes and its screens (admins): the overview (company, users, links), the company's
data (Empresa), users and teams, the lead assignment rules, the custom fields, the sales
pipelines, the audit log (Auditoría, ``audit.view``: its own guard, ``check_audit``), the
export of all the data (Exportar datos), the retention of personal data (Datos personales) and
the agenda's shared calendars (Calendarios).

Every route's ``on_load`` is ``[AppState.check_admin, <loader>]``: the guard turns other
roles away (once); each loader is ``@handler(..., guarded=True)`` and every write checks the
permission again, so a forged event is refused like an API call.
"""

from pages.settings.alerts_state import AlertSettingsState
from pages.settings.alerts_view import alert_settings_page
from pages.settings.audit_state import AuditState
from pages.settings.audit_view import audit_page
from pages.settings.automations_state import AutomationsState
from pages.settings.automations_view import automations_page
from pages.settings.calendars_state import CalendarsAdminState
from pages.settings.calendars_view import calendars_page
from pages.settings.company_state import CompanyState
from pages.settings.company_view import company_page
from pages.settings.export_state import ExportState
from pages.settings.export_view import export_page
from pages.settings.fields_state import CustomFieldsState
from pages.settings.fields_view import fields_page
from pages.settings.overview_state import SettingsState
from pages.settings.overview_view import settings_page
from pages.settings.personal_data_state import PersonalDataSettingsState
from pages.settings.personal_data_view import personal_data_settings_page
from pages.settings.pipelines_state import PipelinesState
from pages.settings.pipelines_view import pipelines_page
from pages.settings.rules_state import AssignmentRulesState
from pages.settings.rules_view import rules_page
from pages.settings.users_state import TeamsAdminState, UsersAdminState
from pages.settings.users_view import teams_page, users_page

__all__ = [
    "AlertSettingsState",
    "AssignmentRulesState",
    "AuditState",
    "AutomationsState",
    "CalendarsAdminState",
    "CompanyState",
    "CustomFieldsState",
    "ExportState",
    "PersonalDataSettingsState",
    "PipelinesState",
    "SettingsState",
    "TeamsAdminState",
    "UsersAdminState",
    "alert_settings_page",
    "audit_page",
    "automations_page",
    "calendars_page",
    "company_page",
    "export_page",
    "fields_page",
    "personal_data_settings_page",
    "pipelines_page",
    "rules_page",
    "settings_page",
    "teams_page",
    "users_page",
]
