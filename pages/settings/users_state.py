"""/ajustes/usuarios and /ajustes/equipos (issue 12): users and teams administration.

Every read and write goes through ``services.user_admin`` (which checks ``users.manage``
again); its field errors land under each field of the dialog. Inviting sends an e-mail, so the
button turns while the SMTP server answers.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.forms import NONE
from crm_app.i18n import t
from crm_app.models import Role
from crm_app.permissions import Perm
from crm_app.services import user_admin
from crm_app.services.links import as_id
from crm_app.state import AppState, Ctx, handler, setter

ROLE_OPTIONS = [{"value": r.value, "label": t(f"user.role.{r.value}")} for r in Role]
MANAGER_ROLES = {Role.MANAGER.value, Role.DIRECTOR.value, Role.ADMIN.value}
STATE_COLORS = {"active": "green", "invited": "blue", "inactive": "gray"}


def _team_value(value: str) -> int | None:
    return None if value in ("", NONE) else as_id(value)


def user_row(u: dict[str, Any]) -> dict[str, str]:
    """One user as the list shows it (texts already in Spanish, Madrid time)."""
    return {"id": str(u["id"]), "name": u["name"], "email": u["email"],
            "role": str(u["role"]), "role_label": t(f"user.role.{u['role']}"),
            "team_id": str(u["team_id"] or ""), "team": u["team_name"] or t("uadm.no_team"),
            "state": u["state"], "state_label": t(f"uadm.state.{u['state']}"),
            "state_color": STATE_COLORS[u["state"]],
            "last_login": u["last_login"] or t("uadm.never")}


class UsersAdminState(AppState):
    users: list[dict[str, str]] = []
    team_options: list[dict[str, str]] = []
    # invite
    invite_open: bool = False
    invite_email: str = ""
    invite_name: str = ""
    invite_role: str = Role.COMERCIAL.value
    invite_team: str = NONE
    invite_errors: dict[str, str] = {}
    inviting: bool = False
    # edit
    edit_open: bool = False
    edit_id: str = ""
    edit_name: str = ""
    edit_role: str = ""
    edit_team: str = NONE
    edit_errors: dict[str, str] = {}
    saving: bool = False
    # deactivate
    deactivate_open: bool = False
    deactivate_id: str = ""
    deactivate_name: str = ""
    # reassign
    reassign_open: bool = False
    reassign_id: str = ""
    reassign_name: str = ""
    reassign_to: str = ""
    reassign_errors: dict[str, str] = {}
    reassign_targets: list[dict[str, str]] = []

    def _load(self, ctx: Ctx) -> None:
        rows, _ = user_admin.list_users(session=ctx.session, actor=ctx.user)
        self.users = [user_row(u) for u in rows]
        teams = user_admin.list_teams(session=ctx.session, actor=ctx.user)
        self.team_options = [{"value": NONE, "label": t("uadm.no_team")},
                             *[{"value": str(tm["id"]), "label": tm["name"]} for tm in teams]]

    def _row(self, user_id: str) -> dict[str, str] | None:
        return next((u for u in self.users if u["id"] == str(user_id)), None)

    @handler(Perm.USERS_MANAGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        """on_load after ``check_admin``."""
        self._load(ctx)
        self.invite_open = self.edit_open = self.deactivate_open = self.reassign_open = False

    # --- invite ------------------------------------------------------------------------------

    @rx.event
    def set_invite_open(self, value: bool) -> None:
        self.invite_open = bool(value)
        if value:
            self.invite_email = self.invite_name = ""
            self.invite_role, self.invite_team = Role.COMERCIAL.value, NONE
            self.invite_errors = {}

    set_invite_email = setter("invite_email", limit=254)
    set_invite_name = setter("invite_name", limit=200)
    set_invite_role = setter("invite_role", limit=20)
    set_invite_team = setter("invite_team", limit=20)

    @handler(Perm.USERS_MANAGE, errors="invite_errors")
    def invite(self, ctx: Ctx) -> Any:
        with self._busy("inviting"):
            yield
            user = user_admin.invite_user(session=ctx.session, actor=ctx.user, data={
                "email": self.invite_email, "name": self.invite_name,
                "role": self.invite_role, "team_id": _team_value(self.invite_team)})
        self.invite_open = False
        self._load(ctx)
        yield rx.toast.success(t("uadm.invited", email=user.email), id="user-invited")

    @handler(Perm.USERS_MANAGE)
    def resend(self, ctx: Ctx, user_id: str) -> Any:
        user = user_admin.resend_invitation(session=ctx.session, actor=ctx.user,
                                            user_id=as_id(user_id) or 0)
        self._load(ctx)
        return rx.toast.success(t("uadm.resent", email=user.email), id="user-resent")

    # --- edit --------------------------------------------------------------------------------

    @rx.event
    def open_edit(self, user_id: str) -> None:
        row = self._row(user_id)
        if row is None:
            return
        self.edit_id, self.edit_name, self.edit_role = row["id"], row["name"], row["role"]
        self.edit_team = row["team_id"] or NONE
        self.edit_errors = {}
        self.edit_open = True

    set_edit_open = setter("edit_open")
    set_edit_name = setter("edit_name", limit=200)
    set_edit_role = setter("edit_role", limit=20)
    set_edit_team = setter("edit_team", limit=20)

    @handler(Perm.USERS_MANAGE, errors="edit_errors")
    def save_edit(self, ctx: Ctx) -> Any:
        with self._busy("saving"):
            yield
            user_admin.update_user(session=ctx.session, actor=ctx.user,
                                   user_id=as_id(self.edit_id) or 0,
                                   data={"name": self.edit_name, "role": self.edit_role,
                                         "team_id": _team_value(self.edit_team)})
        self.edit_open = False
        self._load(ctx)
        yield rx.toast.success(t("uadm.saved"), id="user-saved")

    # --- deactivate / reactivate -----------------------------------------------------------

    @rx.event
    def ask_deactivate(self, user_id: str) -> None:
        row = self._row(user_id)
        if row is None:
            return
        self.deactivate_id, self.deactivate_name = row["id"], row["name"]
        self.deactivate_open = True

    set_deactivate_open = setter("deactivate_open")

    @handler(Perm.USERS_MANAGE)
    def deactivate(self, ctx: Ctx) -> Any:
        self.deactivate_open = False
        user = user_admin.deactivate_user(session=ctx.session, actor=ctx.user,
                                          user_id=as_id(self.deactivate_id) or 0)
        self._load(ctx)
        return rx.toast.success(t("uadm.deactivated", name=user.name), id="user-deactivated")

    @handler(Perm.USERS_MANAGE)
    def reactivate(self, ctx: Ctx, user_id: str) -> Any:
        user = user_admin.reactivate_user(session=ctx.session, actor=ctx.user,
                                          user_id=as_id(user_id) or 0)
        self._load(ctx)
        return rx.toast.success(t("uadm.reactivated", name=user.name), id="user-reactivated")

    # --- reassign ----------------------------------------------------------------------------

    @rx.event
    def open_reassign(self, user_id: str) -> None:
        row = self._row(user_id)
        if row is None:
            return
        self.reassign_id, self.reassign_name = row["id"], row["name"]
        self.reassign_targets = [{"value": u["id"], "label": f"{u['name']} ({u['email']})"}
                                 for u in self.users
                                 if u["state"] == "active" and u["id"] != row["id"]]
        self.reassign_to = ""
        self.reassign_errors = {}
        self.reassign_open = True

    set_reassign_open = setter("reassign_open")
    set_reassign_to = setter("reassign_to", limit=20)

    @handler(Perm.USERS_MANAGE, errors="reassign_errors")
    def reassign(self, ctx: Ctx) -> Any:
        moved = user_admin.reassign_records(session=ctx.session, actor=ctx.user,
                                            from_user_id=as_id(self.reassign_id) or 0,
                                            to_user_id=as_id(self.reassign_to))
        target = next((u["name"] for u in self.users if u["id"] == self.reassign_to), "")
        self.reassign_open = False
        self._load(ctx)
        return rx.toast.success(t("uadm.reassigned", count=sum(moved.values()), name=target),
                                id="user-reassigned")


class TeamsAdminState(AppState):
    teams: list[dict[str, str]] = []
    members: list[dict[str, str]] = []  # every user: id, name, team_id, role, active
    new_open: bool = False
    new_name: str = ""
    new_errors: dict[str, str] = {}
    edit_open: bool = False
    edit_id: str = ""
    edit_name: str = ""
    edit_manager: str = NONE
    edit_errors: dict[str, str] = {}
    manager_options: list[dict[str, str]] = []

    def _load(self, ctx: Ctx) -> None:
        self.teams = [{"id": str(tm["id"]), "name": tm["name"],
                       "manager_id": str(tm["manager_id"] or ""),
                       "manager": tm["manager_name"] or t("uadm.no_manager"),
                       "members": str(tm["members"])}
                      for tm in user_admin.list_teams(session=ctx.session, actor=ctx.user)]
        rows, _ = user_admin.list_users(session=ctx.session, actor=ctx.user)
        self.members = [{"id": str(u["id"]), "name": u["name"], "team_id": str(u["team_id"] or ""),
                         "role": str(u["role"]), "active": "1" if u["active"] else ""}
                        for u in rows]

    @handler(Perm.USERS_MANAGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        self._load(ctx)
        self.new_open = self.edit_open = False

    @rx.event
    def set_new_open(self, value: bool) -> None:
        self.new_open = bool(value)
        self.new_name, self.new_errors = "", {}

    set_new_name = setter("new_name", limit=120)

    @handler(Perm.USERS_MANAGE, errors="new_errors")
    def create(self, ctx: Ctx) -> Any:
        user_admin.create_team(session=ctx.session, actor=ctx.user, data={"name": self.new_name})
        self.new_open = False
        self._load(ctx)
        return rx.toast.success(t("uadm.team.created"), id="team-created")

    @rx.event
    def open_edit(self, team_id: str) -> None:
        team = next((tm for tm in self.teams if tm["id"] == str(team_id)), None)
        if team is None:
            return
        self.edit_id, self.edit_name = team["id"], team["name"]
        self.edit_manager = team["manager_id"] or NONE
        # who can manage it: active members with the manager role or above
        self.manager_options = [{"value": NONE, "label": t("uadm.no_manager")}, *[
            {"value": m["id"], "label": m["name"]} for m in self.members
            if m["team_id"] == team["id"] and m["active"] and m["role"] in MANAGER_ROLES]]
        self.edit_errors = {}
        self.edit_open = True

    set_edit_open = setter("edit_open")
    set_edit_name = setter("edit_name", limit=120)
    set_edit_manager = setter("edit_manager", limit=20)

    @handler(Perm.USERS_MANAGE, errors="edit_errors")
    def save_edit(self, ctx: Ctx) -> Any:
        manager = None if self.edit_manager in ("", NONE) else as_id(self.edit_manager)
        user_admin.update_team(session=ctx.session, actor=ctx.user,
                               team_id=as_id(self.edit_id) or 0,
                               data={"name": self.edit_name, "manager_id": manager})
        self.edit_open = False
        self._load(ctx)
        return rx.toast.success(t("uadm.team.saved"), id="team-saved")


__all__ = ["ROLE_OPTIONS", "TeamsAdminState", "UsersAdminState", "user_row"]
