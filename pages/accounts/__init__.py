"""/clientes: the customers list (with the recycle bin), the customer form (new, edit) and the
customer file (360°: contacts, timeline, opportunities, quotes, purchase history)."""

from pages.accounts.form_state import AccountFormState
from pages.accounts.form_view import edit_account_page, new_account_page
from pages.accounts.list_state import AccountsListState
from pages.accounts.list_view import accounts_page
from pages.accounts.record_state import AccountRecordState
from pages.accounts.record_view import account_record_page

__all__ = ["AccountFormState", "AccountRecordState", "AccountsListState", "account_record_page",
           "accounts_page", "edit_account_page", "new_account_page"]
