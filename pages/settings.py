"""/ajustes (admin): the organisation's data and the users."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session, select

from components.layout import shell
from crm_app.db import get_engine
from crm_app.i18n import t
from crm_app.models import Organisation, Team, User
from crm_app.permissions import Perm, PermissionDenied
from crm_app.state import AppState


class SettingsState(AppState):
    org: dict[str, str] = {}
    users: list[dict[str, str]] = []

    @rx.event
    def load(self):  # noqa: ANN201
        with Session(get_engine()) as session:
            try:
                self._require_user(session, Perm.SETTINGS_CHANGE)
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
            org = session.exec(select(Organisation)).first() or Organisation()
            teams = {tm.id: tm.name for tm in session.exec(select(Team)).all()}
            self.org = {
                "legal_name": org.legal_name, "nif": org.nif,
                "address": ", ".join(p for p in (
                    org.address, " ".join(x for x in (org.postal_code, org.city) if x),
                    org.province if org.province != org.city else "") if p),
                "fiscal_year": t(f"month.{org.fiscal_year_start_month}"),
                "currency": org.currency, "timezone": org.timezone,
                "irpf": f"{org.default_irpf_pct} %".replace(".", ","),
            }
            self.users = [{
                "name": u.name, "email": u.email, "role": t(f"user.role.{u.role}"),
                "team": teams.get(u.team_id, "—"),
                "active": t("common.yes") if u.active else t("common.no"),
            } for u in session.exec(select(User).order_by(User.role, User.email)).all()]
        return None


def _field(label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), rx.text(value, size="3"),
                     spacing="0")


def _leads_links() -> rx.Component:
    def link(route: str, icon: str, key: str, test_id: str) -> rx.Component:
        return rx.link(rx.hstack(
            rx.icon(icon, size=20, color=rx.color("accent", 9)),
            rx.vstack(rx.text(t(key), weight="medium", size="3"),
                      rx.text(t(key + "_help"), size="2", color_scheme="gray"), spacing="0"),
            align="center", spacing="3"), href=route, underline="none", id=test_id)

    return rx.card(
        rx.heading(t("settings_ui.leads"), size="4", margin_bottom="var(--space-3)"),
        rx.grid(link("/ajustes/asignacion", "route", "settings_ui.rules", "settings-rules"),
                link("/ajustes/campos", "text-cursor-input", "settings_ui.fields",
                     "settings-fields"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3"),
        width="100%",
        data_testid="settings-leads",
    )


def _sales_links() -> rx.Component:
    def link(route: str, icon: str, key: str, test_id: str) -> rx.Component:
        return rx.link(rx.hstack(
            rx.icon(icon, size=20, color=rx.color("accent", 9)),
            rx.vstack(rx.text(t(key), weight="medium", size="3"),
                      rx.text(t(key + "_help"), size="2", color_scheme="gray"), spacing="0"),
            align="center", spacing="3"), href=route, underline="none", id=test_id)

    return rx.card(
        rx.heading(t("sui.settings.sales"), size="4", margin_bottom="var(--space-3)"),
        rx.grid(link("/ajustes/embudos", "kanban", "sui.settings.pipelines",
                     "settings-pipelines"),
                link("/productos", "package", "sui.settings.catalog", "settings-catalog"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3"),
        width="100%",
        data_testid="settings-sales",
    )


def settings_page() -> rx.Component:
    org = SettingsState.org
    return shell(
        _leads_links(),
        _sales_links(),
        rx.card(
            rx.heading(t("settings.company"), size="4", margin_bottom="var(--space-3)"),
            rx.grid(
                _field(t("settings.legal_name"), org["legal_name"]),
                _field(t("col.nif"), org["nif"]),
                _field(t("settings.address"), org["address"]),
                _field(t("settings.fiscal_year"), org["fiscal_year"]),
                _field(t("settings.currency"), org["currency"]),
                _field(t("settings.timezone"), org["timezone"]),
                _field(t("settings.irpf"), org["irpf"]),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="3",
            ),
            width="100%",
            data_testid="settings-company",
        ),
        rx.card(
            rx.heading(t("settings.users"), size="4", margin_bottom="var(--space-3)"),
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        *[rx.table.column_header_cell(t(k)) for k in
                          ("col.name", "col.email", "col.role", "col.team", "col.active")])),
                    rx.table.body(rx.foreach(SettingsState.users, lambda u: rx.table.row(
                        rx.table.cell(u["name"]), rx.table.cell(u["email"]),
                        rx.table.cell(u["role"]), rx.table.cell(u["team"]),
                        rx.table.cell(u["active"])))),
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            width="100%",
            data_testid="settings-users",
        ),
        title=t("nav.settings"),
        active="/ajustes",
    )
