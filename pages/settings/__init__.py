"""/ajustes and its screens (admins): the overview (company, users, links), the company's
data (Empresa), the lead assignment rules, the custom fields, the sales pipelines and the
retention of personal data (Datos personales).

Every route's ``on_load`` is ``[AppState.check_admin, <loader>]``: the guard turns other
roles away (once); each loader is ``@handler(..., guarded=True)`` and every write checks the
permission again, so a forged event is refused like an API call.
"""

from pages.settings.company_state import CompanyState
from pages.settings.company_view import company_page
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

__all__ = ["AssignmentRulesState", "CompanyState", "CustomFieldsState",
           "PersonalDataSettingsState", "PipelinesState", "SettingsState", "company_page",
           "fields_page", "personal_data_settings_page", "pipelines_page", "rules_page",
           "settings_page"]
