"""/invitacion/<token>: the invitee chooses a password (issue 12). Public, styled like /login.

The page checks the link on the server as it opens (who it is for, or why it no longer works:
used, expired, replaced); the form is a plain HTML POST to ``/auth/invitation`` so the
session cookie it opens is HttpOnly. A password the policy refuses comes back with the
message under its field (``?password=…``/``?password2=…``); a good one signs the user in.
"""

from __future__ import annotations

import reflex as rx

from components.layout import brand
from crm_app.i18n import t
from crm_app.services import user_admin
from crm_app.state import AppState

MAX_MESSAGE = 300


class InvitationState(AppState):
    link_token: str = ""
    invitee: str = ""
    email: str = ""
    link_error: str = ""
    errors: dict[str, str] = {}

    @rx.event
    def on_load(self) -> None:
        """Public: the link's token is the credential, checked against its stored hash."""
        path = (self.router.url.path or "").rstrip("/")
        token = path.rsplit("/", 1)[-1] if path.startswith(user_admin.INVITE_PATH) else ""
        self.link_token = token[:user_admin.MAX_TOKEN_CHARS]
        query = self.router.url.query_parameters
        self.errors = {k: str(query[k])[:MAX_MESSAGE]
                       for k in ("password", "password2") if query.get(k)}
        self.link_error = str(query.get("error", ""))[:MAX_MESSAGE]
        self.invitee = self.email = ""
        if self.link_error:
            return
        info = user_admin.public_invitation(self.link_token)
        if "error" in info:
            self.link_error = info["error"]
        else:
            self.invitee, self.email = info["name"], info["email"]


def _password(name: str, label_key: str, autocomplete: str) -> rx.Component:
    error = InvitationState.errors.get(name, "")
    return rx.vstack(
        rx.el.label(t(label_key), html_for=name,
                    style={"fontWeight": "500", "fontSize": "14px"}),
        rx.input(id=name, name=name, type="password", required=True, size="3", width="100%",
                 auto_complete=autocomplete,
                 aria_invalid=rx.cond(error != "", "true", "false")),
        rx.cond(error != "", rx.text(error, size="1", color=rx.color("red", 11), role="alert",
                                     id=f"{name}-error", data_testid=f"{name}-error")),
        spacing="1", width="100%")


def invitation_page() -> rx.Component:
    form = rx.el.form(
        rx.vstack(
            rx.text(t("uadm.accept.hello_pre"), " ", InvitationState.invitee,
                     t("uadm.accept.hello_mid"), " ", rx.text.strong(InvitationState.email),
                     ".", size="2", id="invitation-hello"),
            _password("password", "uadm.accept.password", "new-password"),
            rx.text(t("uadm.accept.hint"), size="1", color_scheme="gray"),
            _password("password2", "uadm.accept.password2", "new-password"),
            rx.el.input(type="hidden", name="token", value=InvitationState.link_token),
            rx.button(t("uadm.accept.submit"), type="submit", size="3", width="100%",
                      id="invitation-submit"),
            spacing="2", width="100%"),
        action="/auth/invitation", method="post",
        on_submit=None,  # a real browser POST: the response sets the HttpOnly cookie
        style={"width": "100%"})
    return rx.center(
        rx.card(
            rx.vstack(
                brand(),
                rx.heading(t("uadm.accept.title"), size="6"),
                rx.cond(
                    InvitationState.link_error != "",
                    rx.vstack(
                        rx.callout(InvitationState.link_error, icon="triangle-alert",
                                   color_scheme="red", role="alert", id="invitation-error",
                                   width="100%"),
                        rx.link(t("uadm.accept.to_login"), href="/login",
                                id="invitation-login", size="2"),
                        spacing="3", width="100%"),
                    rx.cond(InvitationState.email != "", form,
                            rx.center(rx.spinner(size="3"), width="100%")),
                ),
                spacing="4", width="100%"),
            size="4", width="100%", max_width="400px"),
        min_height="100vh", padding="var(--space-4)", background=rx.color("gray", 2))
