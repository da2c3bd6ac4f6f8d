"""/mi-cuenta: the signed-in user's own password, sessions, API tokens and second factor.

Every handler is ``@handler(None)`` (any signed-in user) and the service only ever touches the
actor's own rows. The new API token and the recovery codes are in public vars only while they
are shown (once); the TOTP secret only while it is being scanned. This state's handlers work
before the second factor that ``CRM_REQUIRE_2FA`` demands is set up (``_before_2fa``): it is
where it gets set up.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.i18n import t
from crm_app.services import account as account_service
from crm_app.services import notify as notify_service
from crm_app.state import AppState, Ctx, handler


def _id(value: Any) -> int:
    try:
        number = int(str(value))
    except ValueError:
        return 0
    return number if 0 < number < 2**31 else 0


def _text(form: dict[str, Any], name: str, limit: int = 256) -> str:
    return str(form.get(name) or "")[:limit]


class AccountState(AppState):
    _before_2fa: ClassVar[bool] = True

    ready: bool = False
    password_errors: dict[str, str] = {}
    password_key: int = 0
    changing: bool = False
    sessions: list[dict[str, Any]] = []
    tokens: list[dict[str, Any]] = []
    token_errors: dict[str, str] = {}
    token_key: int = 0
    new_token: str = ""
    twofa_enabled: bool = False
    twofa_required: bool = False
    codes_left: int = 0
    setup_svg: str = ""
    setup_secret: str = ""
    setup_errors: dict[str, str] = {}
    recovery_codes: list[str] = []
    disable_errors: dict[str, str] = {}
    disable_key: int = 0
    notify_in_app: bool = True
    notify_email: bool = False
    notify_push: bool = True
    push_devices: int = 0
    enabling_push: bool = False

    def _refresh(self, ctx: Ctx) -> None:
        me = {"session": ctx.session, "actor": ctx.user}
        self.sessions = account_service.my_sessions(**me, current_token=self._session_token())
        self.tokens = account_service.my_tokens(**me)
        status = account_service.two_factor_status(**me)
        self.twofa_enabled = status["enabled"]
        self.twofa_required = status["required"]
        self.codes_left = status["codes_left"]
        self._load_notifications(ctx)
        self.ready = True

    def _load_notifications(self, ctx: Ctx) -> None:
        prefs = notify_service.my_preferences(session=ctx.session, actor=ctx.user)
        self.notify_in_app, self.notify_email = prefs["in_app"], prefs["email"]
        self.notify_push, self.push_devices = prefs["push"], prefs["devices"]

    @handler(None)
    def load(self, ctx: Ctx) -> None:
        """on_load after ``check_login``: everything the page shows, nothing secret."""
        self.password_errors, self.token_errors = {}, {}
        self.setup_errors, self.disable_errors = {}, {}
        self.new_token, self.setup_svg, self.setup_secret = "", "", ""
        self.recovery_codes = []
        self._refresh(ctx)

    # --- password -----------------------------------------------------------------------------

    @handler(None, errors="password_errors")
    def change_password(self, ctx: Ctx, form: dict[str, Any]) -> Any:
        with self._busy("changing"):
            yield
            account_service.change_password(
                session=ctx.session, actor=ctx.user, current=_text(form, "current_password"),
                new=_text(form, "new_password", 1000), repeat=_text(form, "new_password2", 1000),
                keep_token=self._session_token())
        self.password_key += 1  # the inputs remount empty
        self._refresh(ctx)
        yield rx.toast.success(t("account.password.changed"), id="password-changed")

    # --- sessions -----------------------------------------------------------------------------

    @handler(None)
    def revoke_session(self, ctx: Ctx, session_id: str) -> Any:
        account_service.revoke_my_session(session=ctx.session, actor=ctx.user,
                                          session_id=_id(session_id))
        self._refresh(ctx)
        return rx.toast.success(t("account.sessions.revoked"), id="session-revoked")

    # --- API tokens ---------------------------------------------------------------------------

    @handler(None, errors="token_errors")
    def create_token(self, ctx: Ctx, form: dict[str, Any]) -> None:
        self.new_token = account_service.create_my_token(
            session=ctx.session, actor=ctx.user, name=_text(form, "token_name", 200))
        self.token_key += 1
        self._refresh(ctx)

    @rx.event
    def dismiss_token(self) -> None:
        """The token was copied: it is not shown again (nor kept anywhere)."""
        self.new_token = ""

    @handler(None)
    def revoke_token(self, ctx: Ctx, token_id: str) -> Any:
        account_service.revoke_my_token(session=ctx.session, actor=ctx.user,
                                        token_id=_id(token_id))
        self._refresh(ctx)
        return rx.toast.success(t("account.tokens.revoked"), id="token-revoked")

    # --- second factor ------------------------------------------------------------------------

    @handler(None)
    def start_2fa(self, ctx: Ctx) -> None:
        setup = account_service.start_totp(session=ctx.session, actor=ctx.user)
        self.setup_svg, self.setup_secret = setup["svg"], setup["secret"]
        self.setup_errors = {}

    @handler(None)
    def cancel_2fa(self, ctx: Ctx) -> None:
        account_service.cancel_totp_setup(session=ctx.session, actor=ctx.user)
        self.setup_svg = self.setup_secret = ""
        self.setup_errors = {}

    @handler(None, errors="setup_errors")
    def confirm_2fa(self, ctx: Ctx, form: dict[str, Any]) -> Any:
        self.recovery_codes = account_service.confirm_totp(
            session=ctx.session, actor=ctx.user, code=_text(form, "totp_code", 40))
        self.setup_svg = self.setup_secret = ""
        self._refresh(ctx)
        return rx.toast.success(t("account.2fa.enabled"), id="2fa-enabled")

    @rx.event
    def codes_saved(self) -> None:
        self.recovery_codes = []

    @handler(None, errors="disable_errors")
    def disable_2fa(self, ctx: Ctx, form: dict[str, Any]) -> Any:
        account_service.disable_totp(session=ctx.session, actor=ctx.user,
                                     proof=_text(form, "proof"))
        self.disable_key += 1
        self._refresh(ctx)
        return rx.toast.success(t("account.2fa.disabled"), id="2fa-disabled")

    @rx.var
    def codes_left_text(self) -> str:
        return t("account.2fa.codes_left", count=self.codes_left)

    # --- notifications ------------------------------------------------------------------------

    @handler(None)
    def set_channel(self, ctx: Ctx, channel: str, enabled: bool) -> Any:
        """A Notificaciones switch: in_app | email | push, for one's own alerts."""
        notify_service.set_preferences(session=ctx.session, actor=ctx.user,
                                       data={str(channel)[:10]: bool(enabled)})
        self._load_notifications(ctx)
        return rx.toast.success(t("alr.prefs.saved"), id="notify-saved")

    @rx.event
    def enable_push(self) -> Any:
        """"Activar en este dispositivo": the browser asks for permission, subscribes with
        the server's key and saves it through the API (``/pwa.js``); then ``push_enabled``."""
        self.enabling_push = True
        return rx.call_script("window.crmEnablePush ? window.crmEnablePush() : 'unsupported'",
                              callback=AccountState.push_enabled)

    @handler(None)
    def push_enabled(self, ctx: Ctx, result: Any) -> Any:
        self.enabling_push = False
        self._load_notifications(ctx)
        if result == "ok":
            return rx.toast.success(t("alr.prefs.device_on"), id="push-on")
        return rx.toast.error(t("alr.prefs.device_denied"), id="push-off")
