"""/leads: the leads list, the lead form (new, edit) and the lead's record page.

The import wizard (/leads/importar) is a screen of its own (``pages.leads_import``).
"""

from pages.leads.form_state import LeadFormState
from pages.leads.form_view import edit_lead_page, new_lead_page
from pages.leads.list_state import LeadsListState
from pages.leads.list_view import leads_page
from pages.leads.record_state import LeadRecordState
from pages.leads.record_view import lead_record_page

__all__ = ["LeadFormState", "LeadRecordState", "LeadsListState", "edit_lead_page",
           "lead_record_page", "leads_page", "new_lead_page"]
