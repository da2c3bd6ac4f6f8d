"""/login: a plain HTML form posting to /auth/login, so the cookie can be HttpOnly."""

from pages.login.view import LoginState, login_page

__all__ = ["LoginState", "login_page"]
