"""/oportunidades: the board and the list, the opportunity form (new, edit) and the
opportunity's page."""

from pages.opportunities.board_state import OpportunitiesState
from pages.opportunities.form_state import OpportunityFormState
from pages.opportunities.form_view import opportunity_form_page
from pages.opportunities.list_view import opportunities_page
from pages.opportunities.record_state import OpportunityRecordState
from pages.opportunities.record_view import opportunity_record_page

__all__ = ["OpportunitiesState", "OpportunityFormState", "OpportunityRecordState",
           "opportunities_page", "opportunity_form_page", "opportunity_record_page"]
