"""The application shell: sidebar on desktop, top bar + drawer on phones, user menu, alerts."""

from __future__ import annotations

import reflex as rx

from components.badges import level_icon
from components.empty_state import listing
from crm_app.i18n import t
from crm_app.state import AppState

# (label key, route, icon, the AppState flag that shows it: "" = every signed-in user). The
# flags follow the routes' guards (crm_app.crm_app): the asesor sees Inicio and Presupuestos.
NAV_ITEMS: list[tuple[str, str, str, str]] = [
    ("nav.home", "/", "house", ""),
    ("nav.leads", "/leads", "user-plus", "can_records"),
    ("nav.accounts", "/clientes", "building-2", "can_records"),
    ("nav.opportunities", "/oportunidades", "kanban", "can_records"),
    ("nav.quotes", "/presupuestos", "file-text", ""),
    ("nav.tasks", "/tareas", "list-checks", "can_records"),
    ("agenda.title", "/agenda", "calendar-days", "can_records"),
    ("nav.documents", "/documentos", "folder-open", "can_records"),
    ("nav.reports", "/informes", "chart-column", "can_reports"),
]
SETTINGS_ITEM = ("nav.settings", "/ajustes", "settings")


def _nav_link(key: str, route: str, icon: str, active: str) -> rx.Component:
    is_active = route == active
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=18),
            rx.text(t(key), size="3", weight="medium" if is_active else "regular"),
            align="center",
            spacing="3",
            padding_x="var(--space-3)",
            padding_y="var(--space-2)",
            border_radius="var(--radius-3)",
            width="100%",
            background_color=rx.color("accent", 4) if is_active else "transparent",
            color=rx.color("accent", 11) if is_active else rx.color("gray", 12),
            _hover={"background_color": rx.color("accent", 3)},
        ),
        href=route,
        underline="none",
        width="100%",
        id=f"nav-{route.strip('/') or 'inicio'}",
        aria_current="page" if is_active else None,
    )


def nav_links(active: str) -> rx.Component:
    return rx.vstack(
        *[rx.cond(getattr(AppState, flag), _nav_link(k, r, i, active)) if flag
          else _nav_link(k, r, i, active) for k, r, i, flag in NAV_ITEMS],
        rx.cond(AppState.is_admin, _nav_link(*SETTINGS_ITEM, active)),
        spacing="1",
        width="100%",
    )


def company_logo(height: str, test_id: str) -> rx.Component:
    """The company's logo (Ajustes → Empresa), served by the authorised route."""
    return rx.image(src=AppState.company_logo, alt=t("company.logo"), height=height,
                    width="auto", max_width="140px", object_fit="contain",
                    data_testid=test_id)


def brand() -> rx.Component:
    """The company's logo when it has one, else the CRM's mark; then the app's name."""
    return rx.hstack(
        rx.cond(
            AppState.company_logo != "",
            company_logo("32px", "company-logo"),
            rx.box(rx.icon("handshake", size=20, color="white"),
                   background=rx.color("accent", 9), padding="var(--space-1)",
                   border_radius="var(--radius-3)", display="flex"),
        ),
        rx.heading(t("app.name"), size="5", weight="bold"),
        align="center",
        spacing="2",
    )


def sidebar(active: str) -> rx.Component:
    return rx.desktop_only(
        rx.vstack(
            rx.box(brand(), padding_x="var(--space-3)", padding_y="var(--space-4)"),
            nav_links(active),
            rx.spacer(),
            rx.text(AppState.team_name, size="1", color_scheme="gray",
                    padding_x="var(--space-3)"),
            width="232px",
            height="100vh",
            padding="var(--space-3)",
            overflow_y="auto",
            border_right=f"1px solid {rx.color('gray', 5)}",
            background_color=rx.color("gray", 2),
            id="sidebar",
        ),
        # Sticky on the wrapper: the flex row stretches it to the page's height, and an
        # inner sticky box cannot move inside a wrapper exactly its own height.
        position="sticky",
        top="0",
        align_self="flex-start",
        height="100vh",
        flex_shrink="0",
    )


def mobile_drawer(active: str) -> rx.Component:
    return rx.mobile_and_tablet(
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(rx.icon("menu"), variant="ghost", size="3",
                               aria_label=t("nav.menu"), id="menu-button"),
            ),
            rx.drawer.overlay(z_index="40"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.hstack(
                            brand(),
                            rx.spacer(),
                            rx.drawer.close(rx.icon_button(rx.icon("x"), variant="ghost",
                                                           aria_label=t("nav.close"))),
                            width="100%",
                            align="center",
                        ),
                        nav_links(active),
                        spacing="4",
                        width="100%",
                    ),
                    top="0",
                    left="0",
                    height="100%",
                    width="78%",
                    max_width="300px",
                    padding="var(--space-4)",
                    z_index="50",
                    background_color=rx.color("gray", 1),
                    id="nav-drawer",
                ),
            ),
            direction="left",
        ),
    )


def _alert_item(alert: rx.Var) -> rx.Component:
    """One alert in the bell's panel: what, why, when, and its three actions."""
    return rx.vstack(
        rx.hstack(
            level_icon(alert["severity"]),
            rx.vstack(
                rx.text(alert["message"], size="2",
                        weight=rx.cond(alert["read"] == "", "bold", "regular")),
                rx.text(alert["reason"], size="1", color_scheme="gray"),
                rx.text(alert["when"], size="1", color_scheme="gray", title=alert["at"]),
                spacing="1", min_width="0",
            ),
            align="start", spacing="2", width="100%",
        ),
        rx.flex(
            rx.button(rx.icon("arrow-right", size=14), t("alr.go"), size="1", variant="soft",
                      on_click=AppState.open_alert(alert["id"]),
                      data_testid="alert-go"),
            rx.cond(alert["read"] == "",
                    rx.button(rx.icon("check", size=14), t("alr.read"), size="1",
                              variant="ghost", on_click=AppState.read_alert(alert["id"]),
                              data_testid="alert-read")),
            rx.button(rx.icon("x", size=14), t("alr.dismiss"), size="1", variant="ghost",
                      color_scheme="gray", on_click=AppState.dismiss_alert(alert["id"]),
                      data_testid="alert-dismiss"),
            spacing="2", wrap="wrap", padding_left="24px",
        ),
        spacing="2", width="100%", padding_y="var(--space-2)",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="alert-item",
    )


def alerts_button() -> rx.Component:
    """The bell: unread count, the panel of open alerts; mounting it starts this tab's
    watch for new alerts (the pop-ups, ``AppState.watch_alerts``)."""
    return rx.popover.root(
        rx.popover.trigger(
            rx.box(
                rx.icon_button(rx.icon("bell"), variant="ghost", size="3",
                               aria_label=t("alerts.open"), id="alerts-button",
                               on_click=AppState.load_alerts),
                rx.cond(
                    AppState.alerts_count > 0,
                    rx.badge(AppState.alerts_count, color_scheme="red", variant="solid",
                             radius="full", position="absolute", top="-2px", right="-4px",
                             id="alerts-badge", pointer_events="none"),  # the bell takes taps
                ),
                position="relative",
                on_mount=AppState.watch_alerts,
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.hstack(
                    rx.text(t("alerts.open"), weight="bold"),
                    rx.spacer(),
                    rx.cond(AppState.alerts_count > 0,
                            rx.button(t("alr.all_read"), size="1", variant="ghost",
                                      on_click=AppState.read_all_alerts,
                                      id="alerts-read-all")),
                    width="100%", align="center",
                ),
                rx.box(listing(AppState.alerts, _alert_item, t("alerts.none")),
                       max_height="60vh", overflow_y="auto", width="100%"),
                spacing="2",
                width="min(360px, calc(100vw - 32px))",
            ),
            align="end",
            data_testid="alerts-popover",
        ),
    )


def user_menu() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.avatar(fallback=AppState.user_initials, size="2", radius="full"),
                rx.desktop_only(rx.text(AppState.user_name, size="2")),
                variant="ghost",
                aria_label=t("user.menu"),
                id="user-menu",
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.text(AppState.user_name, weight="bold", id="user-name"),
                rx.text(AppState.user_email, size="2", color_scheme="gray"),
                rx.badge(AppState.user_role_label, id="user-role"),
                rx.separator(),
                rx.link(rx.hstack(rx.icon("user-cog", size=16), rx.text(t("account.menu")),
                                  align="center", spacing="2"),
                         href="/mi-cuenta", id="my-account", size="2", width="100%"),
                rx.el.form(
                    rx.button(rx.icon("log-out", size=16), t("user.logout"), type="submit",
                              variant="soft", color_scheme="red", width="100%", id="logout"),
                    action="/auth/logout",
                    method="post",
                    on_submit=None,  # a real POST, so the server revokes and clears the cookie
                    style={"width": "100%"},
                ),
                spacing="2",
                min_width="220px",
            ),
            align="end",
        ),
    )


def topbar(title: str, active: str) -> rx.Component:
    """The bar over every page. A long title takes one line and ends in "…" (a step smaller
    on phones) so the bar keeps its height and its buttons stay on screen."""
    return rx.hstack(
        mobile_drawer(active),
        # On phones and tablets the sidebar (and its logo) is hidden: the bar shows the logo.
        rx.cond(AppState.company_logo != "",
                rx.mobile_and_tablet(company_logo("28px", "company-logo-bar"))),
        rx.heading(title, size=rx.breakpoints(initial="5", sm="6"), weight="bold",
                   id="page-title", flex="1", min_width="0", white_space="nowrap",
                   overflow="hidden", text_overflow="ellipsis"),
        alerts_button(),
        user_menu(),
        align="center",
        width="100%",
        padding_x=rx.breakpoints(initial="var(--space-3)", md="var(--space-5)"),
        padding_y="var(--space-3)",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        id="topbar",
    )


def shell(*children: rx.Component, title: str, active: str) -> rx.Component:
    """Wrap a page's content in the app chrome. ``active`` is the nav route to highlight."""
    return rx.hstack(
        sidebar(active),
        rx.vstack(
            topbar(title, active),
            rx.box(
                rx.cond(
                    AppState.signed_in,
                    rx.vstack(*children, spacing="4", width="100%"),
                    rx.center(rx.spinner(size="3"), padding="var(--space-8)"),
                ),
                width="100%",
                max_width="1280px",
                padding=rx.breakpoints(initial="var(--space-3)", md="var(--space-5)"),
                margin_x="auto",
            ),
            spacing="0",
            width="100%",
            min_width="0",
        ),
        spacing="0",
        width="100%",
        align="start",
        min_height="100vh",
    )
