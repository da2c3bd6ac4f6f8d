"""/ajustes: the organisation's data and the users, read-only (admins), with links to the
screens that edit them (Ajustes → Empresa, Usuarios, Equipos).
"""

from __future__ import annotations

from typing import Any

from crm_app.formatting import pct_text
from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import organisation as org_service
from crm_app.services import users as user_service
from crm_app.state import AppState, Ctx, handler


def _address(org: Any) -> str:
    """``C/ Mayor 1, 28001 Madrid`` (the province only when it is not the city)."""
    place = " ".join(p for p in (org.postal_code, org.city) if p)
    province = org.province if org.province != org.city else ""
    return ", ".join(p for p in (org.address, place, province) if p)


class SettingsState(AppState):
    org: dict[str, str] = {}
    users: list[dict[str, str]] = []

    @handler(Perm.SETTINGS_CHANGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        """on_load after ``check_admin``: the company's data and the user list."""
        org = org_service.organisation(session=ctx.session, actor=ctx.user)
        self.org = {
            "legal_name": org.legal_name, "nif": org.nif, "address": _address(org),
            "fiscal_year": t(f"month.{org.fiscal_year_start_month}"),
            "currency": org.currency, "timezone": org.timezone,
            "irpf": pct_text(org.default_irpf_pct),
        }
        self.users = [{
            "id": str(u["id"]), "name": u["name"], "email": u["email"],
            "role": t(f"user.role.{u['role']}"), "team": u["team_name"] or "—",
            "active": t("common.yes") if u["active"] else t("common.no"),
            "active_key": "1" if u["active"] else "",
        } for u in user_service.directory(session=ctx.session, actor=ctx.user)]


__all__ = ["SettingsState"]
