"""/ajustes: links to each settings screen, the company's data and the users (read-only).

Users: a table on desktop, one card per user on phones (no sideways scrolling at 390 px).
"""

from __future__ import annotations

import reflex as rx

from components.forms import grid, info, section
from components.layout import shell
from components.record_list import row_card
from crm_app.i18n import t
from pages.settings.overview_state import SettingsState as S

# (route, icon, message key, test id) of each settings screen, by area.
LEADS_LINKS = [("/ajustes/asignacion", "route", "settings_ui.rules", "settings-rules"),
               ("/ajustes/campos", "text-cursor-input", "settings_ui.fields", "settings-fields"),
               ("/ajustes/datos-personales", "shield", "pd.settings.link",
                "settings-personal-data-link")]
SALES_LINKS = [("/ajustes/embudos", "kanban", "sui.settings.pipelines", "settings-pipelines"),
               ("/ajustes/automatizaciones", "workflow", "auto.link", "settings-automations"),
               ("/productos", "package", "sui.settings.catalog", "settings-catalog"),
               ("/ajustes/alertas", "bell", "alr.settings.link", "settings-alerts-link")]
USER_LINKS = [("/ajustes/usuarios", "users", "uadm.nav.users", "settings-users-admin"),
              ("/ajustes/equipos", "users-round", "uadm.nav.teams", "settings-teams"),
              ("/ajustes/calendarios", "calendar-days", "agenda.settings.link",
               "settings-calendars")]
AUDIT_LINKS = [("/ajustes/auditoria", "scroll-text", "audit.link", "settings-audit")]
USER_COLUMNS = ("col.name", "col.email", "col.role", "col.team", "col.active")


def _link(route: str, icon: str, key: str, test_id: str) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=20, color=rx.color("accent", 9), flex_shrink="0"),
            rx.vstack(rx.text(t(key), weight="medium", size="3"),
                      rx.text(t(key + "_help"), size="2", color_scheme="gray"), spacing="0"),
            align="center", spacing="3"),
        href=route, underline="none", id=test_id)


def _links(title: str, links: list[tuple[str, str, str, str]], test_id: str) -> rx.Component:
    return section(title, grid(*[_link(*link) for link in links]), test_id=test_id)


def _company() -> rx.Component:
    org = S.org
    return section(
        t("settings.company"),
        _link("/ajustes/empresa", "building", "company.link", "settings-company-edit"),
        _link("/ajustes/exportar", "database", "export_all.link", "settings-export"),
        rx.grid(
            info(t("settings.legal_name"), org["legal_name"], "org-legal-name"),
            info(t("col.nif"), org["nif"], "org-nif"),
            info(t("settings.address"), org["address"], "org-address"),
            info(t("settings.fiscal_year"), org["fiscal_year"], "org-fiscal-year"),
            info(t("settings.currency"), org["currency"], "org-currency"),
            info(t("settings.timezone"), org["timezone"], "org-timezone"),
            info(t("settings.irpf"), org["irpf"], "org-irpf"),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"), spacing="3", width="100%",
        ),
        test_id="settings-company",
    )


def _active(u: rx.Var) -> rx.Component:
    return rx.badge(u["active"], color_scheme=rx.cond(u["active_key"] == "1", "green", "gray"),
                    variant="soft")


def _user_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                *[rx.table.column_header_cell(t(k)) for k in USER_COLUMNS])),
            rx.table.body(rx.foreach(S.users, lambda u: rx.table.row(
                rx.table.cell(u["name"]), rx.table.cell(u["email"]),
                rx.table.cell(u["role"]), rx.table.cell(u["team"]),
                rx.table.cell(_active(u)), vertical_align="middle"))),
            variant="surface", width="100%",
        ),
        overflow_x="auto", width="100%",
        display=rx.breakpoints(initial="none", md="block"),
        data_testid="settings-users-table",
    )


def _user_cards() -> rx.Component:
    return rx.vstack(
        rx.foreach(S.users, lambda u: row_card(
            rx.hstack(rx.text(u["name"], weight="medium"), rx.spacer(), _active(u),
                      width="100%", align="center"),
            rx.text(u["email"], size="2", style={"overflowWrap": "anywhere"}),
            rx.text(u["role"], " · ", u["team"], size="1", color_scheme="gray"),
            test_id="user-card-" + u["id"].to(str),
        )),
        spacing="2", width="100%",
        display=rx.breakpoints(initial="flex", md="none"),
        data_testid="settings-users-cards",
    )


def settings_page() -> rx.Component:
    return shell(
        _links(t("settings_ui.leads"), LEADS_LINKS, "settings-leads"),
        _links(t("sui.settings.sales"), SALES_LINKS, "settings-sales"),
        _company(),
        rx.cond(S.can_audit, _links(t("audit.section"), AUDIT_LINKS, "settings-security")),
        # The table comes first: on desktop a text search finds its (visible) cell first.
        section(t("settings.users"), grid(*[_link(*link) for link in USER_LINKS]),
                _user_table(), _user_cards(), test_id="settings-users"),
        title=t("nav.settings"),
        active="/ajustes",
    )


__all__ = ["settings_page"]
