"""/login: a plain HTML form posting to /auth/login, so the cookie can be HttpOnly.

The pages around it are plain forms too, posting to the auth routes (no session exists yet):
/login/recuperar ("¿Has olvidado tu contraseña?"), /login/nueva-contrasena (the e-mailed
link) and /login/verificacion (the second step when the account has 2FA).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.layout import brand
from crm_app.i18n import t
from crm_app.settings import get_settings
from crm_app.state import AppState

# the notices a page may be sent back with (?aviso=…): a fixed text, never the URL's own
NOTICES = {"contrasena": "account.reset.done"}


def _safe_next(nxt: str) -> str:
    return nxt if nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt \
        else "/"


class LoginState(AppState):
    error: str = ""
    notice: str = ""
    next_path: str = "/"
    sso_enabled: bool = False

    @rx.event
    def on_load(self):  # noqa: ANN201
        params = self.router.url.query_parameters
        self.error = params.get("error", "")[:200]
        key = NOTICES.get(params.get("aviso", ""))
        self.notice = t(key) if key else ""
        self.next_path = _safe_next(params.get("next", "/"))
        settings = get_settings()
        self.sso_enabled = bool(settings.oidc_issuer and settings.oidc_client_id)


def label(text: str, html_for: str) -> rx.Component:
    return rx.el.label(text, html_for=html_for, style={"fontWeight": "500", "fontSize": "14px"})


def error_callout(error: Any, elem_id: str) -> rx.Component:
    return rx.cond(error != "", rx.callout(error, icon="triangle-alert", color_scheme="red",
                                           role="alert", id=elem_id, width="100%"))


def card_page(*children: rx.Component) -> rx.Component:
    """The centred card of the signed-out pages."""
    return rx.center(
        rx.card(
            rx.vstack(brand(), *children, spacing="4", width="100%"),
            size="4",
            width="100%",
            max_width="400px",
        ),
        min_height="100vh",
        padding="var(--space-4)",
        background=rx.color("gray", 2),
    )


def post_form(*fields: rx.Component, action: str) -> rx.Component:
    """A real browser POST (the response sets or clears HttpOnly cookies)."""
    return rx.el.form(
        rx.vstack(*fields, spacing="2", width="100%"),
        action=action,
        method="post",
        on_submit=None,
        style={"width": "100%"},
    )


def login_page() -> rx.Component:
    return card_page(
        rx.heading(t("login.title"), size="6"),
        rx.text(t("login.subtitle"), color_scheme="gray", size="2"),
        error_callout(LoginState.error, "login-error"),
        rx.cond(LoginState.notice != "",
                rx.callout(LoginState.notice, icon="circle-check", color_scheme="green",
                           id="login-notice", width="100%")),
        post_form(
            label(t("login.email"), "email"),
            rx.input(id="email", name="email", type="email", required=True,
                     auto_complete="username", size="3", width="100%", auto_focus=True),
            label(t("login.password"), "password"),
            rx.input(id="password", name="password", type="password", required=True,
                     auto_complete="current-password", size="3", width="100%"),
            rx.el.input(type="hidden", name="next", value=LoginState.next_path),
            rx.button(t("login.submit"), type="submit", size="3", width="100%",
                      id="login-submit"),
            action="/auth/login",
        ),
        rx.link(t("account.reset.link"), href="/login/recuperar", id="login-forgot", size="2"),
        rx.cond(LoginState.sso_enabled,
                rx.link(t("login.sso"),
                        href="/auth/oidc/login?next=" + LoginState.next_path,
                        id="login-sso", size="2")),
    )
