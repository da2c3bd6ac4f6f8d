"""/mi-cuenta: four cards on the kit (password, second factor, sessions, API tokens); rows are
cards that wrap, so the page reads at 390 px as well as at 1440 px."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.dialogs import confirm
from components.forms import PHONE_FULL, field, form_actions, grid, section, text_input
from components.layout import shell
from crm_app.i18n import t
from pages.account.state import AccountState as S


def _password_input(name: str, label_key: str, errors: Any, auto: str) -> rx.Component:
    return field(t(label_key),
                 text_input(name, type_="password", auto_complete=auto, max_length=128,
                            required=True,
                            aria_invalid=rx.cond(errors.get(name, "") != "", "true", "false")),
                 html_for=name, required=True, error=errors.get(name, ""))


def _password() -> rx.Component:
    return section(
        t("account.password.title"),
        rx.text(t("account.password.hint"), size="2", color_scheme="gray"),
        rx.el.form(
            rx.vstack(
                grid(_password_input("current_password", "account.password.current",
                                     S.password_errors, "current-password")),
                grid(_password_input("new_password", "account.password.new",
                                     S.password_errors, "new-password"),
                     _password_input("new_password2", "account.password.new2",
                                     S.password_errors, "new-password")),
                form_actions(rx.button(rx.icon("key-round", size=16),
                                       t("account.password.save"), type="submit",
                                       loading=S.changing, disabled=S.changing,
                                       width=PHONE_FULL, id="password-save")),
                spacing="3", width="100%"),
            on_submit=S.change_password, reset_on_submit=False, key=S.password_key,
            width="100%"),
        test_id="account-password", icon="key-round")


def _codes() -> rx.Component:
    """The ten recovery codes, once, right after enabling."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("shield-check")),
        rx.vstack(
            rx.text(t("account.2fa.codes_title"), weight="bold"),
            rx.text(t("account.2fa.codes_help"), size="2"),
            rx.grid(rx.foreach(S.recovery_codes,
                               lambda c: rx.code(c, size="3", data_testid="recovery-code")),
                    columns="2", spacing="2"),
            rx.button(t("account.2fa.codes_done"), on_click=S.codes_saved, variant="soft",
                      id="codes-saved", width=PHONE_FULL),
            spacing="2", width="100%"),
        color_scheme="green", width="100%", data_testid="recovery-codes")


def _setup() -> rx.Component:
    """Scan the QR (or type the key), confirm a code."""
    return rx.vstack(
        rx.text(t("account.2fa.scan"), size="2"),
        rx.flex(
            rx.box(rx.html(S.setup_svg), data_testid="totp-qr", line_height="0",
                   flex_shrink="0"),
            rx.vstack(
                rx.text(t("account.2fa.secret"), size="1", color_scheme="gray"),
                rx.code(S.setup_secret, size="3", id="totp-secret",
                        style={"overflowWrap": "anywhere"}),
                spacing="1", min_width="0"),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="4",
            align=rx.breakpoints(initial="start", sm="center"), width="100%"),
        rx.text(t("account.2fa.confirm_intro"), size="2"),
        rx.el.form(
            rx.vstack(
                field(t("account.2fa.code"),
                      text_input("totp_code", input_mode="numeric", max_length=8,
                                 auto_complete="one-time-code", placeholder="123456",
                                 required=True),
                      html_for="totp_code", required=True,
                      error=S.setup_errors.get("code", "")),
                form_actions(
                    rx.button(rx.icon("shield-check", size=16), t("account.2fa.confirm"),
                              type="submit", width=PHONE_FULL, id="totp-confirm"),
                    rx.button(t("account.2fa.cancel"), type="button", variant="soft",
                              color_scheme="gray", on_click=S.cancel_2fa, width=PHONE_FULL,
                              id="totp-cancel")),
                spacing="2", width="100%"),
            on_submit=S.confirm_2fa, reset_on_submit=False, width="100%"),
        spacing="3", width="100%", data_testid="totp-setup")


def _disable() -> rx.Component:
    return rx.el.form(
        rx.vstack(
            rx.text(t("account.2fa.disable_intro"), size="2", color_scheme="gray"),
            rx.flex(
                rx.box(field(t("account.2fa.disable_code"),
                             text_input("proof", type_="password", max_length=128,
                                        auto_complete="off", required=True),
                             html_for="proof", error=S.disable_errors.get("proof", "")),
                       flex="1", min_width="0", width="100%"),
                rx.button(rx.icon("shield-off", size=16), t("account.2fa.disable"),
                          type="submit", color_scheme="red", variant="soft",
                          width=PHONE_FULL, id="totp-disable"),
                direction=rx.breakpoints(initial="column", sm="row"), spacing="2",
                align=rx.breakpoints(initial="stretch", sm="end"), width="100%"),
            spacing="2", width="100%"),
        on_submit=S.disable_2fa, reset_on_submit=False, key=S.disable_key, width="100%")


def _two_factor() -> rx.Component:
    status = rx.cond(S.twofa_enabled,
                     rx.badge(t("account.2fa.on"), color_scheme="green", id="totp-status"),
                     rx.badge(t("account.2fa.off"), color_scheme="gray", id="totp-status"))
    return section(
        t("account.2fa.title"),
        rx.text(t("account.2fa.intro"), size="2", color_scheme="gray"),
        rx.cond(S.recovery_codes.length() > 0, _codes()),
        rx.cond(
            S.twofa_enabled,
            rx.vstack(rx.text(S.codes_left_text, size="2", id="codes-left"),
                      rx.cond(S.twofa_required, rx.fragment(), _disable()),
                      spacing="3", width="100%"),
            rx.cond(S.setup_secret != "", _setup(),
                    rx.button(rx.icon("smartphone", size=16), t("account.2fa.start"),
                              on_click=S.start_2fa, width=PHONE_FULL, id="totp-start")),
        ),
        actions=[status], test_id="account-2fa", icon="shield-check")


def _session_row(item: rx.Var) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(rx.text(item["device"], weight="medium", size="2"),
                      rx.cond(item["current"],
                              rx.badge(t("account.sessions.this"), color_scheme="green",
                                       data_testid="this-session")),
                      align="center", spacing="2", wrap="wrap"),
            rx.text(t("account.sessions.created"), ": ", item["created"], " · ",
                    t("account.sessions.last_seen"), ": ", item["last_seen"],
                    rx.cond(item["ip"] != "", rx.text.span(" · IP ", item["ip"])),
                    size="1", color_scheme="gray"),
            spacing="1", min_width="0", flex="1"),
        rx.cond(item["current"], rx.fragment(),
                rx.button(rx.icon("log-out", size=14), t("account.sessions.revoke"),
                          size="1", variant="soft", color_scheme="red",
                          on_click=S.revoke_session(item["id"].to_string()),
                          aria_label=t("account.sessions.revoke"),
                          data_testid="session-revoke")),
        align="center", spacing="3", width="100%", padding_y="var(--space-2)",
        border_bottom=f"1px solid {rx.color('gray', 4)}", data_testid="session-row")


def _sessions() -> rx.Component:
    return section(t("account.sessions.title"),
                   rx.vstack(rx.foreach(S.sessions, _session_row), spacing="0", width="100%"),
                   test_id="account-sessions", icon="monitor-smartphone")


def _token_row(item: rx.Var) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(item["name"], weight="medium", size="2"),
            rx.text(t("account.tokens.prefix"), " ", rx.code(item["prefix"]), " · ",
                    t("account.tokens.created"), ": ", item["created"], " · ",
                    t("account.tokens.last_used"), ": ", item["last_used"],
                    size="1", color_scheme="gray"),
            spacing="1", min_width="0", flex="1"),
        confirm(rx.button(rx.icon("trash-2", size=14), t("account.tokens.revoke"), size="1",
                          variant="soft", color_scheme="red", data_testid="token-revoke"),
                title=t("account.tokens.revoke"), description=item["name"],
                confirm_label=t("account.tokens.revoke"),
                on_confirm=S.revoke_token(item["id"].to_string()), test_id="token-revoke"),
        align="center", spacing="3", width="100%", padding_y="var(--space-2)",
        border_bottom=f"1px solid {rx.color('gray', 4)}", data_testid="token-row")


def _tokens() -> rx.Component:
    return section(
        t("account.tokens.title"),
        rx.text(t("account.tokens.hint"), size="2", color_scheme="gray"),
        rx.cond(S.new_token != "",
                rx.callout.root(
                    rx.callout.icon(rx.icon("key")),
                    rx.vstack(rx.text(t("account.tokens.created_title"), weight="bold"),
                              rx.code(S.new_token, id="new-token",
                                      style={"overflowWrap": "anywhere"}),
                              rx.button(t("account.2fa.codes_done"), size="1",
                                        variant="soft", on_click=S.dismiss_token,
                                        id="token-dismiss"),
                              spacing="2", width="100%"),
                    color_scheme="amber", width="100%")),
        rx.cond(S.tokens.length() > 0,
                rx.vstack(rx.foreach(S.tokens, _token_row), spacing="0", width="100%"),
                rx.text(t("account.tokens.none"), size="2", color_scheme="gray")),
        rx.el.form(
            rx.flex(
                rx.box(field(t("account.tokens.name"),
                             text_input("token_name", max_length=120, required=True,
                                        placeholder=t("account.tokens.name_placeholder")),
                             html_for="token_name",
                             error=S.token_errors.get("name", "")),
                       flex="1", min_width="0", width="100%"),
                rx.button(rx.icon("plus", size=16), t("account.tokens.create"),
                          type="submit", width=PHONE_FULL, id="token-create"),
                direction=rx.breakpoints(initial="column", sm="row"), spacing="2",
                align=rx.breakpoints(initial="stretch", sm="end"), width="100%"),
            on_submit=S.create_token, reset_on_submit=False, key=S.token_key, width="100%"),
        test_id="account-tokens", icon="key")


def _channel(channel: str, value: Any) -> rx.Component:
    return rx.hstack(
        rx.text(t(f"alr.prefs.{channel}"), size="2", as_="label", html_for=f"notify-{channel}"),
        rx.spacer(),
        rx.switch(checked=value, on_change=lambda on: S.set_channel(channel, on),
                  id=f"notify-{channel}"),
        align="center", width="100%",
    )


def _notifications() -> rx.Component:
    return section(
        t("alr.prefs.title"),
        rx.text(t("alr.prefs.help"), size="2", color_scheme="gray"),
        _channel("in_app", S.notify_in_app),
        _channel("email", S.notify_email),
        _channel("push", S.notify_push),
        rx.flex(
            rx.text(t("alr.prefs.devices", count=S.push_devices), size="2",
                    color_scheme="gray", id="push-devices"),
            rx.spacer(),
            rx.button(rx.icon("bell-ring", size=16), t("alr.prefs.enable_device"),
                      on_click=S.enable_push, loading=S.enabling_push, width=PHONE_FULL,
                      variant="soft", id="push-enable"),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="2",
            align=rx.breakpoints(initial="stretch", sm="center"), width="100%"),
        test_id="account-notifications", icon="bell")


def account_page() -> rx.Component:
    return shell(
        rx.text(t("account.subtitle"), color_scheme="gray", size="2"),
        rx.cond(S.twofa_required & ~S.twofa_enabled,
                rx.callout(t("account.2fa.required_banner"), icon="shield-alert",
                           color_scheme="amber", id="2fa-required", width="100%")),
        rx.cond(S.ready,
                rx.vstack(_password(), _two_factor(), _notifications(), _sessions(), _tokens(),
                          spacing="4",
                          width="100%"),
                rx.center(rx.spinner(size="3"), padding="var(--space-8)", width="100%")),
        title=t("account.title"), active="")
