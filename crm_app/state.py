"""AppState: who is using this browser tab, resolved on the server from the HttpOnly cookie.

The session cookie arrives with the websocket handshake (same origin), so Reflex hands the raw
``Cookie`` header to the backend only; the token never reaches a public var. Every handler that
touches data calls ``self._require_user(session)`` (or a service that checks permission), so a
forged event from the browser is refused exactly like an API call would be.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import reflex as rx
from sqlmodel import Session, select

from crm_app.auth.tokens import SESSION_COOKIE
from crm_app.db import get_engine
from crm_app.i18n import t
from crm_app.models import Alert, Team, User
from crm_app.permissions import Perm, PermissionDenied, has_perm, restrict, scope_of
from crm_app.services import auth as auth_service


def _cookie_token(raw_cookie: str) -> str | None:
    if not raw_cookie:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw_cookie)
    except Exception:  # noqa: BLE001 - a malformed cookie header is simply "no session"
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel else None


def _initials(name: str) -> str:
    parts = [p for p in name.split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


class AppState(rx.State):
    """Base of every page state: the signed-in user as display-only public vars."""

    user_name: str = ""
    user_email: str = ""
    user_role: str = ""
    user_role_label: str = ""
    user_initials: str = ""
    team_name: str = ""
    user_scope: str = ""
    is_admin: bool = False
    can_assign: bool = False
    alerts_count: int = 0
    alerts: list[dict[str, str]] = []
    signed_in: bool = False

    _user_id: int | None = None

    # --- server-side identity -------------------------------------------------------------

    def _session_token(self) -> str | None:
        return _cookie_token(self.router.headers.cookie)

    def _current_user(self, session: Session) -> User | None:
        """The user behind this tab's session cookie, checked against the sessions table."""
        return auth_service.user_for_session(session=session, token=self._session_token())

    def _require_user(self, session: Session, perm: Perm | None = None) -> User:
        """The current user, or PermissionDenied; optionally also a permission."""
        user = self._current_user(session)
        if user is None:
            raise PermissionDenied(t("common.denied"))
        if perm is not None and not has_perm(user, perm):
            raise PermissionDenied(t("common.denied"))
        return user

    def _load_identity(self, session: Session, user: User) -> None:
        self._user_id = user.id
        self.signed_in = True
        self.user_name = user.name
        self.user_email = user.email
        self.user_role = user.role
        self.user_role_label = t(f"user.role.{user.role}")
        self.user_initials = _initials(user.name)
        self.user_scope = scope_of(user)
        self.is_admin = has_perm(user, Perm.SETTINGS_CHANGE)
        self.can_assign = has_perm(user, Perm.RECORDS_ASSIGN)
        team = session.get(Team, user.team_id) if user.team_id else None
        self.team_name = team.name if team else ""
        self.alerts_count = len(session.exec(
            restrict(select(Alert.id).where(Alert.resolved_at.is_(None),  # type: ignore[union-attr]
                                            Alert.read_at.is_(None)),  # type: ignore[union-attr]
                     user)).all())

    def _clear_identity(self) -> None:
        self._user_id = None
        self.signed_in = False
        self.user_name = self.user_email = self.user_role = self.user_role_label = ""
        self.user_initials = self.team_name = self.user_scope = ""
        self.is_admin = self.can_assign = False
        self.alerts_count = 0

    @rx.event
    def check_login(self):  # noqa: ANN201
        """on_load guard for every private page: no valid session → the login page."""
        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                self._clear_identity()
                path = self.router.url.path or "/"
                return rx.redirect(f"/login?next={path}")
            self._load_identity(session, user)
        return None

    @rx.event
    def load_alerts(self):  # noqa: ANN201
        """The user's open alerts (newest first) for the bell's pop-up."""
        from crm_app.formatting import ago

        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                return rx.redirect("/login")
            rows = session.exec(restrict(
                select(Alert).where(Alert.resolved_at.is_(None))  # type: ignore[union-attr]
                .order_by(Alert.created_at.desc()).limit(10), user)).all()  # type: ignore[attr-defined]
            self.alerts = [{
                "message": a.message, "severity": a.severity, "when": ago(a.created_at),
                "href": f"/clientes/{a.account_id}" if a.account_id else "/",
            } for a in rows]
        return None

    @rx.event
    def check_admin(self):  # noqa: ANN201
        """on_load guard for settings pages: admins only."""
        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                self._clear_identity()
                return rx.redirect("/login?next=/ajustes")
            self._load_identity(session, user)
            if not has_perm(user, Perm.SETTINGS_CHANGE):
                return [rx.redirect("/"), rx.toast.error(t("common.denied"))]
        return None
