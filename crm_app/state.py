"""AppState and ``@handler``: the one way a browser event reaches data.

Who is using a tab is resolved on the server from the HttpOnly session cookie, which arrives
with the websocket handshake (same origin); the token never reaches a public var. Every state
method is an event the browser can call, so every handler that touches data is wrapped in
``@handler``: it opens the session, resolves the signed-in user, checks the permission and
turns domain errors into what the screen shows (inline form errors, a toast, the login page).
A forged event is refused exactly like an API call would be, and no page repeats that logic.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, ClassVar

import reflex as rx
from reflex_base.event import EventSpec
from sqlmodel import Session

from crm_app import db
from crm_app.auth.tokens import SESSION_COOKIE
from crm_app.i18n import t
from crm_app.models import User
from crm_app.permissions import Perm, PermissionDenied, has_perm, scope_of
from crm_app.services import account as account_service
from crm_app.services import alerts as alert_service
from crm_app.services import auth as auth_service
from crm_app.services import notify as notify_service
from crm_app.services import organisation as org_service
from crm_app.services import users as user_service
from crm_app.services.errors import DomainError, ValidationFailed


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


# The alert pop-ups: a poll every WATCH_EVERY seconds per connected tab.
WATCH_EVERY = 3.0
WATCH_SECONDS = 8 * 3600  # a tab open all day starts a new loop when it next mounts the bell
WATCH_MAX = 2000  # loops in one process
_WATCHERS: set[str] = set()


def _connected(token: str) -> bool:
    """Whether the tab with this client token still has a websocket to this process."""
    try:
        from reflex.utils.prerequisites import get_app  # noqa: PLC0415

        namespace = get_app().app.event_namespace
    except Exception:  # noqa: BLE001 - no running app (a unit test): the time bound ends it
        return True
    return namespace is None or token in namespace.token_to_sid


def _alert_id(value: Any) -> int:
    try:
        number = int(str(value))
    except ValueError:
        return 0
    return number if 0 < number < 2**31 else 0


def _alert_toast(alert: dict[str, str]) -> Any:
    """The pop-up of a new alert: its message, why, and "Ir al registro"."""
    show = {"critical": rx.toast.error, "warning": rx.toast.warning}.get(
        alert["severity"], rx.toast.info)
    return show(alert["message"], description=alert["reason"], id=f"alert-{alert['id']}",
                duration=30000, close_button=True,
                action={"label": t("alr.go"), "on_click": AppState.open_alert(alert["id"])})


class NotSignedIn(Exception):
    """No valid session behind this tab: the handler sends the browser to the login page."""


class NotAllowed(PermissionDenied):
    """The signed-in user lacks the handler's own ``perm`` (checked before it runs)."""


class SetUpTwoFactor(NotAllowed):
    """``CRM_REQUIRE_2FA`` applies to the user, who has no second factor yet: only Mi cuenta
    works until it is set up (the handler sends the tab there)."""


ACCOUNT_PATH = "/mi-cuenta"


@dataclass(frozen=True)
class Ctx:
    """What a handler works with: the open DB session and the signed-in, checked user."""

    session: Session
    user: User


def events(*items: Any) -> list[Any]:
    """The events to return from a handler, without the ``None`` of helpers that had none
    (Reflex refuses a ``None`` inside a list of events)."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, list | tuple):
            out.extend(e for e in item if e is not None)
        elif item is not None:
            out.append(item)
    return out


def toast_and_go(message: str, href: str) -> list[Any]:
    """After a save, a delete or a conversion: say what was done and open ``href`` (the
    record, or the list it left)."""
    return [rx.toast.success(message), rx.redirect(href)]


def scroll_into_view(elem_id: str) -> Any:
    """Bring an element to the middle of the screen (clear of the sticky bars), once the
    update that shows it has been drawn."""
    return rx.call_script(f'setTimeout(() => document.getElementById("{elem_id}")'
                          '?.scrollIntoView({block: "center"}), 50)')


MAX_INPUT = 2000  # characters a plain setter keeps: the services bound each field again


def setter(var: str, *, limit: int = MAX_INPUT) -> Any:
    """The plain event ``set_<var>`` for an input, a switch or a dialog's ``on_open_change``.

    Reflex 0.10 makes no setters of its own (``state_auto_setters`` is off, so only the vars a
    screen means to expose can be set by the browser); this is the one way to write one. A
    text keeps at most ``limit`` characters, a switch's value is a bool, and the event only
    changes this tab's var: anything that reads or writes data is a ``@handler``. Assign it
    to the attribute it names, ``set_name = setter("name")`` (the browser calls the event by
    that name; ``tests/unit/test_ui_handlers.py`` checks both agree).
    """

    def set_var(self: Any, value: Any) -> None:  # not ``rx.State``: Reflex would bind it there
        current = getattr(self, var)
        if isinstance(current, bool):
            value = bool(value)
        elif isinstance(current, str):
            value = str(value or "")[:limit]
        setattr(self, var, value)

    set_var.__name__ = set_var.__qualname__ = f"set_{var}"
    set_var.__doc__ = f"Set ``{var}`` from the browser (a plain setter, see ``setter``)."
    return rx.event(set_var)


_log = logging.getLogger("crm.ui")


def backend_error(exception: Exception) -> EventSpec:
    """What the browser gets for an unexpected error in a handler: a Spanish toast, never the
    exception's text (it can hold data); the traceback goes to the log, without any request
    headers (cookies stay out of logs)."""
    _log.error("Error inesperado en un evento de la interfaz", exc_info=exception)
    return rx.toast.error(t("common.unexpected"), id="backend_error",
                          description=t("common.unexpected_help"))


@dataclass(frozen=True)
class ClassPerm:
    """A ``@handler`` permission a shared mixin leaves to each screen: the class attribute
    ``attr`` names it (``ListState._view_perm``: records for most lists, the fiscal records
    for the quotes list the asesor reads). Resolved on the state the event runs on."""

    attr: str


def handler(perm: Perm | ClassPerm | None = Perm.RECORDS_VIEW, *, errors: str | None = None,
            background: bool = False, guarded: bool = False,
            ) -> Callable[[Callable[..., Any]], Any]:
    """Make ``fn(self, ctx, *args)`` a Reflex event handler ``fn(self, *args)``.

    The wrapper opens a session, resolves the signed-in user from the websocket cookie,
    checks ``perm`` (``None`` = any signed-in user; the services still check row scope and
    finer permissions), passes both as ``ctx`` and maps failures through ``_failed``. With
    ``errors="form_errors"`` the named dict var is cleared on entry and receives the field
    errors of a ``ValidationFailed``. Generator handlers (``yield`` to show a spinner) keep
    one session open for their whole run; so do async generators (file uploads).

    ``guarded=True`` marks a page's loader that runs after the route's guard
    (``AppState.check_admin``) in the same ``on_load``: a tab the guard has already turned
    away (redirect + one toast) gets nothing more from the loader, which still reads nothing.
    Without it a comercial opening /ajustes was told "no tienes permiso" twice.

    With ``background=True`` the handler is a Reflex background event (``async def``,
    returning or yielding events): the slow part (a DuckDB query, a PDF) runs through
    ``rx.run_in_thread`` while the tab stays responsive, and the handler changes its vars only
    inside ``async with self``. The identity and permission are checked before it starts; the
    session's connection goes back to the pool (the session itself stays usable, e.g. from
    the worker thread), and a failure is mapped like any other handler's.

    Reflex reads an event's parameters from the function's signature, so the wrapper
    advertises the signature without ``ctx``.
    """

    def fail(self: AppState, exc: Exception) -> Any:
        if guarded and isinstance(exc, NotSignedIn | NotAllowed):
            return None  # the route's guard has answered this tab already
        return self._failed(exc, errors)

    def decorate(fn: Callable[..., Any]) -> Any:
        signature = inspect.signature(fn)
        params = list(signature.parameters.values())
        if len(params) < 2 or params[1].name != "ctx":
            raise TypeError(f"{fn.__qualname__}: a @handler takes (self, ctx, ...)")
        public = signature.replace(parameters=[params[0], *params[2:]])

        wrapper: Any
        if background:
            wrapper = _background(fn, perm, errors, guarded)
        elif inspect.isasyncgenfunction(fn):
            @functools.wraps(fn)
            async def run_async_gen(self: AppState, *args: Any, **kwargs: Any) -> Any:
                try:
                    with self._unit(perm, errors) as ctx:
                        async for item in fn(self, ctx, *args, **kwargs):
                            yield item
                except (NotSignedIn, DomainError, PermissionDenied) as exc:
                    yield fail(self, exc)

            wrapper = run_async_gen
        elif inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def run_gen(self: AppState, *args: Any, **kwargs: Any) -> Any:
                try:
                    with self._unit(perm, errors) as ctx:
                        yield from fn(self, ctx, *args, **kwargs)
                except (NotSignedIn, DomainError, PermissionDenied) as exc:
                    yield fail(self, exc)

            wrapper = run_gen
        else:
            @functools.wraps(fn)
            def run(self: AppState, *args: Any, **kwargs: Any) -> Any:
                try:
                    with self._unit(perm, errors) as ctx:
                        return fn(self, ctx, *args, **kwargs)
                except (NotSignedIn, DomainError, PermissionDenied) as exc:
                    return fail(self, exc)

            wrapper = run
        wrapper.__signature__ = public
        wrapper.__crm_handler__ = perm  # tests check every data handler is wrapped
        return rx.event(wrapper, background=True) if background else rx.event(wrapper)

    return decorate


def _background(fn: Callable[..., Any], perm: Perm | ClassPerm | None, errors: str | None,
                guarded: bool = False) -> Any:
    """The wrapper of a ``@handler(background=True)``: see ``handler``."""
    if not (inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)):
        raise TypeError(f"{fn.__qualname__}: a background @handler is an async def")

    @contextmanager
    def unit(self: AppState) -> Iterator[Ctx]:
        with self._unit(perm) as ctx:
            # Nothing written yet: ending the read transaction gives the connection back to
            # the pool while the slow part runs (expire_on_commit=False keeps the user loaded).
            ctx.session.commit()
            yield ctx

    async def failed(self: AppState, exc: Exception) -> Any:
        if guarded and isinstance(exc, NotSignedIn | NotAllowed):
            return None  # the route's guard has answered this tab already
        async with self:
            return self._failed(exc, errors)

    async def clear(self: AppState) -> None:
        if errors:
            async with self:
                setattr(self, errors, {})

    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def run_bg_gen(self: AppState, *args: Any, **kwargs: Any) -> Any:
            await clear(self)
            try:
                with unit(self) as ctx:
                    async for item in fn(self, ctx, *args, **kwargs):
                        yield item
            except (NotSignedIn, DomainError, PermissionDenied) as exc:
                yield await failed(self, exc)

        return run_bg_gen

    @functools.wraps(fn)
    async def run_bg(self: AppState, *args: Any, **kwargs: Any) -> Any:
        await clear(self)
        try:
            with unit(self) as ctx:
                return await fn(self, ctx, *args, **kwargs)
        except (NotSignedIn, DomainError, PermissionDenied) as exc:
            return await failed(self, exc)

    return run_bg


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
    # What the shell offers (nav, Inicio's cards, a record's action buttons): the asesor
    # reads the fiscal records only; the handlers and services check again.
    can_records: bool = False
    can_change: bool = False
    can_reports: bool = False
    can_audit: bool = False
    alerts_count: int = 0
    alerts: list[dict[str, str]] = []
    signed_in: bool = False
    company_logo: str = ""  # the company's logo route (Ajustes → Empresa), "" without one

    _user_id: int | None = None
    # Mi cuenta's state sets it: its handlers work before the second factor the company
    # requires (CRM_REQUIRE_2FA) is set up, so that it can be set up; no other state's do.
    _before_2fa: ClassVar[bool] = False

    # --- server-side identity -------------------------------------------------------------

    def _session_token(self) -> str | None:
        return _cookie_token(self.router.headers.cookie)

    def _current_user(self, session: Session) -> User | None:
        """The user behind this tab's session cookie, checked against the sessions table."""
        return auth_service.user_for_session(session=session, token=self._session_token())

    def _route_id(self, after: str) -> int | None:
        """The numeric id that follows ``/<after>/`` in this tab's path: a record page's
        ``/leads/12/editar`` gives 12 for ``after="leads"``; ``None`` when there is none."""
        parts = [p for p in (self.router.url.path or "").split("/") if p]
        for i, part in enumerate(parts[:-1]):
            if part == after and parts[i + 1].isdigit():
                return int(parts[i + 1])
        return None

    def _login_redirect(self) -> Any:
        path = self.router.url.path or "/"
        return rx.redirect(f"/login?next={path}" if path.startswith("/") else "/login")

    @contextmanager
    def _unit(self, perm: Perm | ClassPerm | None, errors: str | None = None) -> Iterator[Ctx]:
        """A DB session and the signed-in user holding ``perm``: the unit every handler uses.
        ``errors`` names the form's error dict, cleared as the handler starts."""
        if errors:
            setattr(self, errors, {})
        if isinstance(perm, ClassPerm):
            perm = Perm(getattr(type(self), perm.attr))
        with Session(db.get_engine(), expire_on_commit=False) as session:
            user = self._current_user(session)
            if user is None:
                raise NotSignedIn
            if not self._before_2fa and account_service.needs_2fa_setup(user):
                raise SetUpTwoFactor(t("account.2fa.setup_first"))
            if perm is not None and not has_perm(user, perm):
                raise NotAllowed(t("common.denied"))
            yield Ctx(session=session, user=user)

    def _failed(self, exc: Exception, errors: str | None) -> Any:
        """What the browser gets when a handler fails: never a silent swallow.

        Field errors go inline (``errors`` names the form's error dict var) with a toast that
        says to look at them; other domain errors and refusals become a toast; a tab whose
        session ended goes to the login page. Anything else is a bug and propagates.
        """
        if isinstance(exc, NotSignedIn):
            self._clear_identity()
            return self._login_redirect()
        if isinstance(exc, SetUpTwoFactor):
            return self._to_2fa_setup()
        if isinstance(exc, ValidationFailed):
            if errors:
                field_errors = {str(k): str(v) for k, v in exc.errors.items()}
                setattr(self, errors, field_errors)
                return events(rx.toast.error(t("common.check_fields")),
                              self._after_field_errors(errors, field_errors))
            first = next(iter(exc.errors.values()), "")
            return rx.toast.error(f"{exc.message} {first}".strip())
        if isinstance(exc, NotAllowed):  # one toast with the route guard's, not two
            return rx.toast.error(exc.message, id="denied")
        if isinstance(exc, DomainError | PermissionDenied):
            return rx.toast.error(exc.message)
        raise exc

    @contextmanager
    def _busy(self, flag: str, on: Any = True, off: Any = False) -> Iterator[None]:
        """``flag`` (a button's ``loading``, the card being moved) is ``on`` while the work
        inside runs and ``off`` again whatever happens, so a refused save never leaves a
        spinner turning. In a generator handler the block starts with ``yield``, which sends
        the spinner to the browser before the slow part::

            with self._busy("saving"):
                yield
                service.save(...)
        """
        setattr(self, flag, on)
        try:
            yield
        finally:
            setattr(self, flag, off)

    def _after_field_errors(self, var: str, errors: dict[str, str]) -> Any:
        """Hook: events to send once a form's field errors land in ``var`` (e.g. bring the
        first wrong field into view on a long form). Default: none."""
        return None

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
        self.can_records = has_perm(user, Perm.RECORDS_VIEW)
        self.can_change = has_perm(user, Perm.RECORDS_CHANGE)
        self.can_reports = has_perm(user, Perm.REPORTS_VIEW)
        self.can_audit = has_perm(user, Perm.AUDIT_VIEW)
        self.team_name = user_service.team_names(session=session).get(user.team_id or 0, "")
        self.alerts_count = alert_service.open_alerts_count(session=session, actor=user)
        self.company_logo = org_service.logo_url(session=session)

    def _clear_identity(self) -> None:
        self._user_id = None
        self.signed_in = False
        self.user_name = self.user_email = self.user_role = self.user_role_label = ""
        self.user_initials = self.team_name = self.user_scope = ""
        self.is_admin = self.can_assign = False
        self.can_records = self.can_change = self.can_reports = self.can_audit = False
        self.alerts_count = 0
        self.company_logo = ""

    def _guard(self, perm: Perm | None) -> Any:
        """The route guard: the identity for the shell, the login page without a session,
        home and one toast without ``perm``. It reads the session itself because it is what
        tells the shell who is signed in; the page's own loader (a ``@handler``) follows."""
        with Session(db.get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                self._clear_identity()
                return self._login_redirect()
            self._load_identity(session, user)
            if (account_service.needs_2fa_setup(user)
                    and (self.router.url.path or "/").rstrip("/") != ACCOUNT_PATH):
                return self._to_2fa_setup()
            if perm is not None and not has_perm(user, perm):
                return [rx.redirect("/"), rx.toast.error(t("common.denied"), id="denied")]
        return None

    def _to_2fa_setup(self) -> Any:
        return [rx.redirect(ACCOUNT_PATH),
                rx.toast.warning(t("account.2fa.setup_first"), id="setup-2fa")]

    @rx.event
    def check_login(self) -> Any:
        """on_load guard for every private page: no valid session → the login page."""
        return self._guard(None)

    @rx.event
    def check_records(self) -> Any:
        """on_load guard for the commercial screens (leads, customers, deals, tasks…): every
        role but the asesor, who is sent home with the usual denial."""
        return self._guard(Perm.RECORDS_VIEW)

    @rx.event
    def check_fiscal(self) -> Any:
        """on_load guard for the fiscal records' screens (quotes): every role, asesor too."""
        return self._guard(Perm.FISCAL_VIEW)

    @rx.event
    def check_reports(self) -> Any:
        """on_load guard for Informes: the roles that read analytics."""
        return self._guard(Perm.REPORTS_VIEW)

    @rx.event
    def check_audit(self) -> Any:
        """on_load guard for Ajustes → Auditoría (``audit.view``)."""
        return self._guard(Perm.AUDIT_VIEW)

    @rx.event
    def check_admin(self) -> Any:
        """on_load guard for settings pages: admins only (the denial is said once, here)."""
        return self._guard(Perm.SETTINGS_CHANGE)

    # --- alerts: the bell's panel and the pop-ups -------------------------------------------

    def _reload_alerts(self, ctx: Ctx) -> None:
        self.alerts = alert_service.open_alerts(session=ctx.session, actor=ctx.user, limit=10)
        self.alerts_count = alert_service.open_alerts_count(session=ctx.session, actor=ctx.user)

    @handler(None)
    def load_alerts(self, ctx: Ctx) -> None:
        """The user's open alerts (newest first) for the bell's pop-up."""
        self._reload_alerts(ctx)

    @handler(None)
    def read_alert(self, ctx: Ctx, alert_id: str) -> None:
        """"Marcar leída" (one's own alert; another's is "not found")."""
        alert_service.mark_read(session=ctx.session, actor=ctx.user, alert_id=_alert_id(alert_id))
        self._reload_alerts(ctx)

    @handler(None)
    def dismiss_alert(self, ctx: Ctx, alert_id: str) -> None:
        """"Descartar": it leaves the bell and the record icons."""
        alert_service.dismiss(session=ctx.session, actor=ctx.user, alert_id=_alert_id(alert_id))
        self._reload_alerts(ctx)

    @handler(None)
    def read_all_alerts(self, ctx: Ctx) -> None:
        alert_service.mark_all_read(session=ctx.session, actor=ctx.user)
        self._reload_alerts(ctx)

    @handler(None)
    def open_alert(self, ctx: Ctx, alert_id: str) -> Any:
        """"Ir al registro": mark it read and open its record."""
        alert = alert_service.mark_read(session=ctx.session, actor=ctx.user,
                                        alert_id=_alert_id(alert_id))
        self._reload_alerts(ctx)
        return rx.redirect(alert_service.row(alert)["href"])

    @handler(None, background=True, guarded=True)
    async def watch_alerts(self, ctx: Ctx) -> Any:
        """While this tab is connected, look every few seconds for a new alert of the user
        (one indexed ``max(alert.id)``, in a worker thread) and pop it up without a reload.

        Started by the bell when it mounts; one loop per tab (a second mount returns at
        once), at most ``WATCH_MAX`` in the process, each for at most ``WATCH_SECONDS``; it
        stops when the tab disconnects or its session ends (checked every minute)."""
        token = self.router.session.client_token
        if not token or token in _WATCHERS or len(_WATCHERS) >= WATCH_MAX:
            return
        _WATCHERS.add(token)
        session_token = self._session_token()
        try:
            def start() -> tuple[int, bool]:
                newest = alert_service.newest_alert_id(session=ctx.session, actor=ctx.user)
                pops = notify_service.preferences_of(session=ctx.session,
                                                     user_id=ctx.user.id)["in_app"]
                ctx.session.commit()  # the connection goes back to the pool between polls
                return newest, pops

            last, pops = await rx.run_in_thread(start)
            deadline = time.monotonic() + WATCH_SECONDS
            polls = 0
            while time.monotonic() < deadline and _connected(token):
                await asyncio.sleep(WATCH_EVERY)
                polls += 1

                def poll(after: int = last, check: bool = polls % 20 == 0) -> Any:
                    if check and auth_service.user_for_session(
                            session=ctx.session, token=session_token) is None:
                        ctx.session.commit()
                        return None
                    newest = alert_service.newest_alert_id(session=ctx.session, actor=ctx.user)
                    fresh: list[dict[str, str]] = []
                    rows: list[dict[str, str]] = []
                    count = 0
                    if newest > after:
                        fresh = alert_service.alerts_after(session=ctx.session, actor=ctx.user,
                                                           after_id=after, limit=3)
                        rows = alert_service.open_alerts(session=ctx.session, actor=ctx.user)
                        count = alert_service.open_alerts_count(session=ctx.session,
                                                                actor=ctx.user)
                    ctx.session.commit()
                    return newest, fresh, rows, count

                found = await rx.run_in_thread(poll)
                if found is None:  # signed out meanwhile
                    return
                newest, fresh, rows, count = found
                if newest <= last:
                    continue
                last = newest
                async with self:
                    self.alerts, self.alerts_count = rows, count
                if pops:
                    for alert in fresh:
                        yield _alert_toast(alert)
        finally:
            _WATCHERS.discard(token)


__all__ = ["ACCOUNT_PATH", "MAX_INPUT", "AppState", "ClassPerm", "Ctx", "NotAllowed", "NotSignedIn",
           "SetUpTwoFactor", "backend_error", "events", "handler", "scroll_into_view", "setter",
           "toast_and_go"]
