"""/login: a plain HTML form posting to /auth/login, so the cookie can be HttpOnly."""

from __future__ import annotations

import reflex as rx

from components.layout import brand
from crm_app.i18n import t
from crm_app.settings import get_settings
from crm_app.state import AppState


class LoginState(AppState):
    error: str = ""
    next_path: str = "/"
    sso_enabled: bool = False

    @rx.event
    def on_load(self):  # noqa: ANN201
        params = self.router.url.query_parameters
        self.error = params.get("error", "")[:200]
        nxt = params.get("next", "/")
        self.next_path = nxt if nxt.startswith("/") and not nxt.startswith("//") else "/"
        settings = get_settings()
        self.sso_enabled = bool(settings.oidc_issuer and settings.oidc_client_id)


def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                brand(),
                rx.heading(t("login.title"), size="6"),
                rx.text(t("login.subtitle"), color_scheme="gray", size="2"),
                rx.cond(
                    LoginState.error != "",
                    rx.callout(LoginState.error, icon="triangle-alert", color_scheme="red",
                               role="alert", id="login-error", width="100%"),
                ),
                rx.el.form(
                    rx.vstack(
                        rx.el.label(t("login.email"), html_for="email",
                                    style={"fontWeight": "500", "fontSize": "14px"}),
                        rx.input(id="email", name="email", type="email", required=True,
                                 auto_complete="username", size="3", width="100%",
                                 auto_focus=True),
                        rx.el.label(t("login.password"), html_for="password",
                                    style={"fontWeight": "500", "fontSize": "14px"}),
                        rx.input(id="password", name="password", type="password", required=True,
                                 auto_complete="current-password", size="3", width="100%"),
                        rx.el.input(type="hidden", name="next", value=LoginState.next_path),
                        rx.button(t("login.submit"), type="submit", size="3", width="100%",
                                  id="login-submit"),
                        spacing="2",
                        width="100%",
                    ),
                    action="/auth/login",
                    method="post",
                    on_submit=None,  # a real browser POST: the response sets the HttpOnly cookie
                    style={"width": "100%"},
                ),
                rx.cond(LoginState.sso_enabled,
                        rx.link(t("login.sso"),
                                href="/auth/oidc/login?next=" + LoginState.next_path,
                                id="login-sso", size="2")),
                spacing="4",
                width="100%",
            ),
            size="4",
            width="100%",
            max_width="400px",
        ),
        min_height="100vh",
        padding="var(--space-4)",
        background=rx.color("gray", 2),
    )
