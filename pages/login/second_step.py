"""/login/verificacion: the login's second step (the account has 2FA). The code goes to
``POST /auth/login/2fa`` with the HttpOnly challenge cookie of the first step; no session
exists until it is right."""

from __future__ import annotations

import reflex as rx

from crm_app.i18n import t
from crm_app.state import AppState
from pages.login.view import _safe_next, card_page, error_callout, label, post_form


class SecondStepState(AppState):
    error: str = ""
    next_path: str = "/"

    @rx.event
    def on_load(self) -> None:
        params = self.router.url.query_parameters
        self.error = params.get("error", "")[:200]
        self.next_path = _safe_next(params.get("next", "/"))


def second_step_page() -> rx.Component:
    return card_page(
        rx.heading(t("account.login2.title"), size="6"),
        rx.text(t("account.login2.intro"), color_scheme="gray", size="2"),
        error_callout(SecondStepState.error, "login2-error"),
        post_form(
            label(t("account.login2.code"), "code"),
            rx.input(id="code", name="code", required=True, auto_complete="one-time-code",
                     input_mode="numeric", size="3", width="100%", auto_focus=True,
                     max_length=20, placeholder="123456"),
            rx.el.input(type="hidden", name="next", value=SecondStepState.next_path),
            rx.button(t("account.login2.submit"), type="submit", size="3", width="100%",
                      id="login2-submit"),
            action="/auth/login/2fa",
        ),
        rx.link(t("account.login2.back"), href="/login", id="back-to-login", size="2"),
    )
