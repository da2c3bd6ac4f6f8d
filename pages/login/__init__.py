"""/login and the signed-out pages around it: plain HTML forms posting to the auth routes, so
the cookies stay HttpOnly."""

from pages.login.recovery import RecoveryState, forgot_page, new_password_page
from pages.login.second_step import SecondStepState, second_step_page
from pages.login.view import LoginState, login_page

__all__ = ["LoginState", "RecoveryState", "SecondStepState", "forgot_page", "login_page",
           "new_password_page", "second_step_page"]
