"""/login/recuperar and /login/nueva-contrasena: "¿Has olvidado tu contraseña?" and the page
of the e-mailed link. Both post to the auth routes, which answer the same whether or not the
e-mail has an account; the new-password page only says whether its link still works."""

from __future__ import annotations

import reflex as rx

from crm_app.i18n import t
from crm_app.services import account as account_service
from crm_app.settings import get_settings
from crm_app.state import AppState
from pages.login.view import card_page, error_callout, label, post_form


class RecoveryState(AppState):
    error: str = ""
    sent: bool = False
    token: str = ""
    token_ok: bool = False
    minutes: int = 30

    @rx.event
    def load_forgot(self) -> None:
        params = self.router.url.query_parameters
        self.error = params.get("error", "")[:200]
        self.sent = params.get("enviado", "") == "1"
        self.minutes = get_settings().password_reset_minutes

    @rx.event
    def load_new_password(self) -> None:
        """Whether the link still works (unused, in time): a public check of a 256-bit
        token, the form itself is the auth route's."""
        params = self.router.url.query_parameters
        self.error = params.get("error", "")[:200]
        self.minutes = get_settings().password_reset_minutes
        self.token = params.get("token", "")[:200]
        self.token_ok = account_service.reset_link_works(self.token)

    @rx.var
    def invalid_text(self) -> str:
        return t("account.reset.invalid", minutes=self.minutes)

    @rx.var
    def intro_text(self) -> str:
        return t("account.reset.intro", minutes=self.minutes)


def _back() -> rx.Component:
    return rx.link(t("account.reset.back"), href="/login", id="back-to-login", size="2")


def forgot_page() -> rx.Component:
    return card_page(
        rx.heading(t("account.reset.title"), size="6"),
        error_callout(RecoveryState.error, "forgot-error"),
        rx.cond(
            RecoveryState.sent,
            rx.callout(t("account.reset.sent"), icon="mail-check", color_scheme="green",
                       id="forgot-sent", width="100%"),
            rx.vstack(
                rx.text(RecoveryState.intro_text, color_scheme="gray", size="2"),
                post_form(
                    label(t("login.email"), "email"),
                    rx.input(id="email", name="email", type="email", required=True,
                             auto_complete="username", size="3", width="100%",
                             auto_focus=True),
                    rx.button(t("account.reset.submit"), type="submit", size="3",
                              width="100%", id="forgot-submit"),
                    action="/auth/password/forgot",
                ),
                spacing="3", width="100%"),
        ),
        _back(),
    )


def new_password_page() -> rx.Component:
    return card_page(
        rx.heading(t("account.reset.new_title"), size="6"),
        rx.cond(
            RecoveryState.token_ok,
            rx.vstack(
                rx.text(t("account.reset.new_intro"), color_scheme="gray", size="2"),
                error_callout(RecoveryState.error, "reset-error"),
                post_form(
                    rx.el.input(type="hidden", name="token", value=RecoveryState.token),
                    label(t("account.reset.new_password"), "password"),
                    rx.input(id="password", name="password", type="password", required=True,
                             auto_complete="new-password", size="3", width="100%",
                             min_length=10, max_length=128, auto_focus=True),
                    label(t("account.reset.new_password2"), "password2"),
                    rx.input(id="password2", name="password2", type="password",
                             required=True, auto_complete="new-password", size="3",
                             width="100%", max_length=128),
                    rx.button(t("account.reset.save"), type="submit", size="3",
                              width="100%", id="reset-submit"),
                    action="/auth/password/reset",
                ),
                spacing="3", width="100%"),
            rx.vstack(
                rx.callout(RecoveryState.invalid_text, icon="triangle-alert",
                           color_scheme="red", role="alert", id="reset-invalid",
                           width="100%"),
                rx.link(t("account.reset.link"), href="/login/recuperar", size="2",
                        id="reset-ask-again"),
                spacing="3", width="100%"),
        ),
        _back(),
    )
