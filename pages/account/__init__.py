"""/mi-cuenta: the signed-in user's password, sessions, API tokens and second factor."""

from pages.account.state import AccountState
from pages.account.view import account_page

__all__ = ["AccountState", "account_page"]
