"""/ajustes/usuarios and /ajustes/equipos: a table on desktop, one card per row on phones (no
sideways scrolling at 390 px); each row's actions in a menu; dialogs from the kit."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.dialogs import form_dialog
from components.forms import PHONE_FULL, choice, field, form_actions
from components.layout import shell
from components.record_list import row_card
from crm_app.i18n import t
from pages.settings.common import back_to_settings
from pages.settings.users_state import ROLE_OPTIONS
from pages.settings.users_state import TeamsAdminState as Tm
from pages.settings.users_state import UsersAdminState as S

USER_COLUMNS = ("uadm.col.name", "uadm.col.email", "uadm.col.role", "uadm.col.team",
                "uadm.col.state", "uadm.col.last_login", "uadm.actions")
TEAM_COLUMNS = ("uadm.col.name", "uadm.col.manager", "uadm.col.members", "uadm.actions")


def _input(value: Any, on_change: Any, html_id: str, **props: Any) -> rx.Component:
    return rx.input(value=value, on_change=on_change, id=html_id, width="100%", **props)


def _state_badge(u: rx.Var) -> rx.Component:
    return rx.badge(u["state_label"], color_scheme=rx.match(
        u["state"], ("active", "green"), ("invited", "blue"), "gray"), variant="soft",
        data_testid="user-state-" + u["id"].to(str))


def _menu(u: rx.Var, where: str) -> rx.Component:
    """The row's actions; what applies depends on the user's state."""
    uid = u["id"].to(str)
    return rx.menu.root(
        rx.menu.trigger(rx.icon_button(rx.icon("ellipsis", size=16), variant="ghost",
                                       aria_label=t("uadm.actions"),
                                       id="user-actions-" + where + "-" + uid)),
        rx.menu.content(
            rx.menu.item(t("uadm.edit"), on_click=S.open_edit(uid), id="user-edit-" + uid),
            rx.cond(u["state"] == "invited",
                    rx.menu.item(t("uadm.resend"), on_click=S.resend(uid),
                                 id="user-resend-" + uid)),
            rx.menu.item(t("uadm.reassign"), on_click=S.open_reassign(uid),
                         id="user-reassign-" + uid),
            rx.cond(u["state"] == "active",
                    rx.menu.item(t("uadm.deactivate"), color="red",
                                 on_click=S.ask_deactivate(uid), id="user-deactivate-" + uid)),
            rx.cond(u["state"] == "inactive",
                    rx.menu.item(t("uadm.reactivate"), on_click=S.reactivate(uid),
                                 id="user-reactivate-" + uid)),
        ),
    )


def _user_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                *[rx.table.column_header_cell(t(k)) for k in USER_COLUMNS])),
            rx.table.body(rx.foreach(S.users, lambda u: rx.table.row(
                rx.table.cell(u["name"]), rx.table.cell(u["email"]),
                rx.table.cell(u["role_label"]), rx.table.cell(u["team"]),
                rx.table.cell(_state_badge(u)), rx.table.cell(u["last_login"]),
                rx.table.cell(_menu(u, "table")), vertical_align="middle",
                data_testid="user-row-" + u["id"].to(str)))),
            variant="surface", width="100%",
        ),
        overflow_x="auto", width="100%",
        display=rx.breakpoints(initial="none", md="block"),
        data_testid="users-table",
    )


def _user_cards() -> rx.Component:
    return rx.vstack(
        rx.foreach(S.users, lambda u: row_card(
            rx.hstack(rx.text(u["name"], weight="medium"), rx.spacer(), _state_badge(u),
                      _menu(u, "card"), width="100%", align="center"),
            rx.text(u["email"], size="2", style={"overflowWrap": "anywhere"}),
            rx.text(u["role_label"], " · ", u["team"], size="1", color_scheme="gray"),
            rx.text(t("uadm.col.last_login"), ": ", u["last_login"], size="1",
                    color_scheme="gray"),
            test_id="user-card-" + u["id"].to(str),
        )),
        spacing="2", width="100%",
        display=rx.breakpoints(initial="flex", md="none"),
        data_testid="users-cards",
    )


def _invite_dialog() -> rx.Component:
    return form_dialog(
        field(t("uadm.col.email"), _input(S.invite_email, S.set_invite_email, "invite-email",
                                          type="email", auto_complete="off"),
              html_for="invite-email", required=True, error=S.invite_errors.get("email", "")),
        field(t("uadm.col.name"), _input(S.invite_name, S.set_invite_name, "invite-name"),
              html_for="invite-name", required=True, error=S.invite_errors.get("name", "")),
        field(t("uadm.col.role"), choice(ROLE_OPTIONS, value=S.invite_role,
                                         on_change=S.set_invite_role, id="invite-role",
                                         aria_label=t("uadm.col.role")),
              html_for="invite-role", error=S.invite_errors.get("role", "")),
        field(t("uadm.col.team"), choice(S.team_options, value=S.invite_team,
                                         on_change=S.set_invite_team, id="invite-team",
                                         aria_label=t("uadm.col.team")),
              html_for="invite-team", error=S.invite_errors.get("team_id", "")),
        title=t("uadm.invite.title"), description=t("uadm.invite.help"), open_=S.invite_open,
        on_open_change=S.set_invite_open, submit_label=t("uadm.invite.send"),
        on_submit=S.invite, test_id="user-invite", saving=S.inviting,
        trigger=rx.button(rx.icon("user-plus", size=16), t("uadm.invite"), id="user-invite",
                          width=PHONE_FULL),
    )


def _edit_dialog() -> rx.Component:
    return form_dialog(
        field(t("uadm.col.name"), _input(S.edit_name, S.set_edit_name, "edit-name"),
              html_for="edit-name", required=True, error=S.edit_errors.get("name", "")),
        field(t("uadm.col.role"), choice(ROLE_OPTIONS, value=S.edit_role,
                                         on_change=S.set_edit_role, id="edit-role",
                                         aria_label=t("uadm.col.role")),
              html_for="edit-role", error=S.edit_errors.get("role", "")),
        field(t("uadm.col.team"), choice(S.team_options, value=S.edit_team,
                                         on_change=S.set_edit_team, id="edit-team",
                                         aria_label=t("uadm.col.team")),
              html_for="edit-team", error=S.edit_errors.get("team_id", "")),
        title=t("uadm.edit.title"), open_=S.edit_open, on_open_change=S.set_edit_open,
        submit_label=t("uadm.save"), on_submit=S.save_edit, test_id="user-edit",
        saving=S.saving,
    )


def _deactivate_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("uadm.deactivate.ask"), " ", S.deactivate_name, "?"),
            rx.alert_dialog.description(t("uadm.deactivate.help"), size="2"),
            rx.box(form_actions(
                rx.button(t("uadm.deactivate"), color_scheme="red", on_click=S.deactivate,
                          width=PHONE_FULL, id="user-deactivate-confirm"),
                rx.alert_dialog.cancel(rx.button(t("uadm.cancel"), variant="soft",
                                                 color_scheme="gray", width=PHONE_FULL,
                                                 id="user-deactivate-cancel")),
            ), margin_top="var(--space-2)"),
            max_width="min(440px, calc(100vw - 2 * var(--space-4)))",
            data_testid="user-deactivate-dialog",
        ),
        open=S.deactivate_open, on_open_change=S.set_deactivate_open,
    )


def _reassign_dialog() -> rx.Component:
    return form_dialog(
        field(t("uadm.reassign.to"), choice(S.reassign_targets, value=S.reassign_to,
                                            on_change=S.set_reassign_to, id="reassign-to",
                                            aria_label=t("uadm.reassign.to")),
              html_for="reassign-to", required=True,
              error=S.reassign_errors.get("to_user_id", "")),
        title=t("uadm.reassign"), description=t("uadm.reassign.help"),
        open_=S.reassign_open, on_open_change=S.set_reassign_open,
        submit_label=t("uadm.reassign.go"), on_submit=S.reassign, test_id="user-reassign",
        submit_disabled=S.reassign_to == "",
    )


def _nav(current: str) -> rx.Component:
    """Usuarios | Equipos."""
    return rx.hstack(
        rx.link(t("uadm.link.users"), href="/ajustes/usuarios", id="nav-users",
                weight=rx.cond(current == "users", "bold", "regular")),
        rx.text("·", color_scheme="gray"),
        rx.link(t("uadm.link.teams"), href="/ajustes/equipos", id="nav-teams",
                weight=rx.cond(current == "teams", "bold", "regular")),
        spacing="2", align="center")


def users_page() -> rx.Component:
    return shell(
        back_to_settings(),
        rx.flex(
            rx.vstack(_nav("users"),
                      rx.text(t("uadm.users.subtitle"), size="2", color_scheme="gray"),
                      spacing="1"),
            rx.spacer(display=rx.breakpoints(initial="none", sm="block")),
            _invite_dialog(),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="3", width="100%",
            align=rx.breakpoints(initial="stretch", sm="center")),
        _user_table(),
        _user_cards(),
        _edit_dialog(),
        _deactivate_dialog(),
        _reassign_dialog(),
        title=t("uadm.users.title"),
        active="/ajustes",
    )


# --- teams ------------------------------------------------------------------------------------


def _team_edit_button(tm: rx.Var) -> rx.Component:
    return rx.button(rx.icon("pencil", size=14), t("uadm.edit"), size="1", variant="soft",
                     on_click=Tm.open_edit(tm["id"].to(str)),
                     id="team-edit-" + tm["id"].to(str))


def _team_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                *[rx.table.column_header_cell(t(k)) for k in TEAM_COLUMNS])),
            rx.table.body(rx.foreach(Tm.teams, lambda tm: rx.table.row(
                rx.table.cell(tm["name"]), rx.table.cell(tm["manager"]),
                rx.table.cell(tm["members"]), rx.table.cell(_team_edit_button(tm)),
                vertical_align="middle", data_testid="team-row-" + tm["id"].to(str)))),
            variant="surface", width="100%"),
        overflow_x="auto", width="100%", display=rx.breakpoints(initial="none", md="block"),
        data_testid="teams-table")


def _team_cards() -> rx.Component:
    return rx.vstack(
        rx.foreach(Tm.teams, lambda tm: row_card(
            rx.hstack(rx.text(tm["name"], weight="medium"), rx.spacer(),
                      rx.badge(tm["members"], variant="soft", radius="full"),
                      width="100%", align="center"),
            rx.text(t("uadm.col.manager"), ": ", tm["manager"], size="2"),
            rx.box(_team_edit_button(tm)),
            test_id="team-card-" + tm["id"].to(str))),
        spacing="2", width="100%", display=rx.breakpoints(initial="flex", md="none"),
        data_testid="teams-cards")


def _team_new_dialog() -> rx.Component:
    return form_dialog(
        field(t("uadm.team.name"), _input(Tm.new_name, Tm.set_new_name, "team-new-name"),
              html_for="team-new-name", required=True, error=Tm.new_errors.get("name", "")),
        title=t("uadm.team.new"), open_=Tm.new_open, on_open_change=Tm.set_new_open,
        submit_label=t("uadm.team.create"), on_submit=Tm.create, test_id="team-create",
        max_width="440px",
        trigger=rx.button(rx.icon("plus", size=16), t("uadm.team.new"), id="team-new",
                          width=PHONE_FULL))


def _team_edit_dialog() -> rx.Component:
    return form_dialog(
        field(t("uadm.team.name"), _input(Tm.edit_name, Tm.set_edit_name, "team-edit-name"),
              html_for="team-edit-name", required=True, error=Tm.edit_errors.get("name", "")),
        field(t("uadm.team.manager"), choice(Tm.manager_options, value=Tm.edit_manager,
                                             on_change=Tm.set_edit_manager,
                                             id="team-edit-manager",
                                             aria_label=t("uadm.team.manager")),
              html_for="team-edit-manager", error=Tm.edit_errors.get("manager_id", "")),
        title=t("uadm.team.edit"), open_=Tm.edit_open, on_open_change=Tm.set_edit_open,
        submit_label=t("uadm.save"), on_submit=Tm.save_edit, test_id="team-edit",
        max_width="440px")


def teams_page() -> rx.Component:
    return shell(
        back_to_settings(),
        rx.flex(
            rx.vstack(_nav("teams"),
                      rx.text(t("uadm.teams.subtitle"), size="2", color_scheme="gray"),
                      spacing="1"),
            rx.spacer(display=rx.breakpoints(initial="none", sm="block")),
            _team_new_dialog(),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="3", width="100%",
            align=rx.breakpoints(initial="stretch", sm="center")),
        rx.cond(Tm.teams.length() == 0,
                rx.text(t("uadm.empty"), color_scheme="gray", id="teams-empty")),
        _team_table(),
        _team_cards(),
        _team_edit_dialog(),
        title=t("uadm.teams.title"),
        active="/ajustes",
    )


__all__ = ["teams_page", "users_page"]
