"""What the sales pages share: display helpers, the account picker and the stage-move dialog.

The mixins' public methods are events the browser can call: each resolves the user from the
session cookie and goes through a service (which checks permission and row scope).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import reflex as rx
from sqlmodel import Session, select

from components.sales_ui import PHONE_FULL, form_actions
from crm_app.db import get_engine
from crm_app.i18n import t
from crm_app.models import Account, Contact, Product, Stage, User
from crm_app.permissions import PermissionDenied, scope_of
from crm_app.services import accounts as account_service
from crm_app.services import contacts as contact_service
from crm_app.services import opportunities as opp_service
from crm_app.services import products as product_service
from crm_app.services.defaults import CHANNELS, LOST_REASONS
from crm_app.services.errors import DomainError, ValidationFailed
from crm_app.services.pipelines import custom_requirable

NONE = "_"  # the "none / all" value of a select (Radix refuses empty item values)
REQUIRED_FIELD_KEYS = ("lost_reason", "amount", "expected_close", "contact_id", "product_id",
                       "description", "channel")


class NotSignedIn(Exception):
    """No valid session behind this tab: the handler sends the browser to the login page."""


@contextmanager
def user_session(state: Any, perm: Any = None) -> Iterator[tuple[Session, User]]:
    """A DB session and the signed-in user (``state._require_user``), or ``NotSignedIn``."""
    with Session(get_engine()) as session:
        user = state._current_user(session)
        if user is None:
            raise NotSignedIn
        if perm is not None:
            state._require_user(session, perm)
        yield session, user


def failure(exc: Exception) -> Any:
    """The browser's answer to a failed handler: login page, or a toast with the reason."""
    if isinstance(exc, NotSignedIn):
        return rx.redirect("/login")
    if isinstance(exc, ValidationFailed):
        return rx.toast.error(t("sui.common.check_fields"))
    if isinstance(exc, DomainError | PermissionDenied):
        return rx.toast.error(exc.message)
    raise exc


def dec_text(value: Decimal | int | None) -> str:
    """A decimal for an input: ``1234,5`` (comma, no grouping, no trailing zeros)."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def pct_text(value: Decimal | int | None) -> str:
    """``21 %``, ``5,2 %``."""
    return "" if value is None else f"{dec_text(value)}\u00a0%"


def sid(value: int | None) -> str:
    return "" if value is None else str(value)


def to_id(value: Any) -> int | None:
    """A form or select value to an id (``""``/``"_"`` → ``None``)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def owner_options(session: Session, user: User) -> list[dict[str, str]]:
    """The people whose records the user may see (filters) or assign (forms)."""
    stmt = select(User).where(User.active == True)  # noqa: E712
    scope = scope_of(user)
    if scope == "own":
        stmt = stmt.where(User.id == user.id)
    elif scope == "team":
        stmt = stmt.where((User.team_id == user.team_id) | (User.id == user.id))
    return [{"value": str(u.id), "label": u.name}
            for u in session.exec(stmt.order_by(User.name)).all()]


def channel_options(current: str = "") -> list[dict[str, str]]:
    values = list(CHANNELS) + ([current] if current and current not in CHANNELS else [])
    return [{"value": v, "label": v} for v in values]


def path_id(path: str, after: str) -> int | None:
    """The id in ``/<after>/<id>[/…]`` (dynamic routes), or ``None``."""
    parts = [p for p in (path or "").split("/") if p]
    try:
        return to_id(parts[parts.index(after) + 1])
    except (ValueError, IndexError):
        return None


# --- the account picker (opportunity form, quote editor) --------------------------------------


class AccountPickerMixin(rx.State, mixin=True):
    """Search a customer by name/NIF and pick it; the page reacts in ``_account_picked``."""

    account_id: str = ""
    account_name: str = ""
    account_q: str = ""
    account_options: list[dict[str, str]] = []
    contact_options: list[dict[str, str]] = []

    def _account_picked(self, session: Session, user: User, account: Account | None) -> None:
        """Hook: the page loads what depends on the customer (contacts, opportunities…)."""

    def _load_contacts(self, session: Session, user: User, account_id: int | None) -> None:
        if not account_id:
            self.contact_options = []
            return
        page = contact_service.list_contacts(session=session, actor=user, account_id=account_id,
                                             limit=100)
        self.contact_options = [{"value": str(c.id),
                                 "label": f"{c.first_name} {c.last_name}".strip() or c.email}
                                for c in page.items]

    @rx.event
    def search_accounts(self, value: str) -> Any:
        self.account_q = value
        if len(value.strip()) < 2:
            self.account_options = []
            return None
        try:
            with user_session(self) as (session, user):
                page = account_service.list_accounts(session=session, actor=user, q=value,
                                                     limit=8)
                self.account_options = [{"value": str(a.id), "label": a.name,
                                         "detail": " · ".join(x for x in (a.nif, a.province)
                                                              if x)}
                                        for a in page.items]
        except Exception as exc:  # noqa: BLE001 - shown to the user, never swallowed
            return failure(exc)
        return None

    @rx.event
    def pick_account(self, account_id: str) -> Any:
        try:
            with user_session(self) as (session, user):
                account = account_service.get_account(session=session, actor=user,
                                                      account_id=int(account_id))
                self.account_id, self.account_name = str(account.id), account.name
                self.account_q, self.account_options = "", []
                self._load_contacts(session, user, account.id)
                self._account_picked(session, user, account)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return None

    @rx.event
    def clear_account(self) -> Any:
        self.account_id = self.account_name = ""
        self.contact_options = []
        try:
            with user_session(self) as (session, user):
                self._account_picked(session, user, None)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return None


# --- moving an opportunity between stages (kanban, detail page) -------------------------------


class StageMoveMixin(rx.State, mixin=True):
    """Move an opportunity; when the target stage requires fields, ask for them in a dialog."""

    move_open: bool = False
    move_title: str = ""
    move_fields: list[dict[str, str]] = []
    move_values: dict[str, str] = {}
    move_errors: dict[str, str] = {}
    move_contacts: list[dict[str, str]] = []
    move_products: list[dict[str, str]] = []
    move_saving: bool = False
    moving_id: str = ""

    _move_opp: int | None = None
    _move_stage: int | None = None

    def _after_move(self, session: Session, user: User) -> None:
        """Hook: reload what the page shows."""

    def _field_specs(self, session: Session, user: User, opp_id: int, stage: Stage,
                     keys: list[str]) -> list[dict[str, str]]:
        custom = custom_requirable(session)
        opp = opp_service.get_opportunity(session=session, actor=user, opportunity_id=opp_id)
        specs = []
        for key in keys:
            kind = {"expected_close": "date", "amount": "number", "contact_id": "contact",
                    "product_id": "product", "channel": "channel", "lost_reason": "reason",
                    "description": "textarea"}.get(key, "text")
            text = t(f"sui.required.{key}") if key in REQUIRED_FIELD_KEYS else \
                custom.get(key, key)
            specs.append({"key": key, "label": text, "kind": kind})
        if any(s["kind"] == "contact" for s in specs):
            page = contact_service.list_contacts(session=session, actor=user,
                                                 account_id=opp.account_id or -1, limit=100)
            self.move_contacts = [{"value": str(c.id),
                                   "label": f"{c.first_name} {c.last_name}".strip()}
                                  for c in page.items]
        if any(s["kind"] == "product" for s in specs):
            page = product_service.list_products(session=session, actor=user, limit=200)
            self.move_products = [{"value": str(p.id), "label": f"{p.name} ({p.sku})"}
                                  for p in page.items]
        return specs

    def _try_move(self, session: Session, user: User, opp_id: int, stage_id: int,
                  fields: dict[str, Any]) -> Any:
        stage = session.get(Stage, stage_id)
        try:
            opp_service.move_stage(session=session, actor=user, opportunity_id=opp_id,
                                   stage_id=stage_id, fields=fields)
        except ValidationFailed as exc:
            session.rollback()
            missing = [k for k in exc.errors if stage is not None and
                       k in (stage.required_fields or [])]
            if not missing or stage is None:
                return rx.toast.error(" ".join(exc.errors.values()) or exc.message)
            if not self.move_open:
                self._move_opp, self._move_stage = opp_id, stage_id
                self.move_fields = self._field_specs(session, user, opp_id, stage, missing)
                self.move_values = {k: "" for k in missing}
                self.move_title = t("sui.move.title", stage=stage.name)
                self.move_open = True
                self.move_errors = {}
            else:
                self.move_errors = dict(exc.errors)
            return None
        self.move_open = False
        self.move_errors = {}
        self._after_move(session, user)
        return rx.toast.success(t("sui.move.done", stage=stage.name if stage else ""))

    @rx.event
    def request_move(self, opp_id: str, stage_id: str):  # noqa: ANN201
        """"Mover a…" and drops on the kanban: move, or open the required-fields dialog."""
        self.moving_id = str(opp_id)  # the card's button spins while the move runs
        yield
        result = self._request_move(opp_id, stage_id)
        self.moving_id = ""
        yield result

    def _request_move(self, opp_id: str, stage_id: str) -> Any:
        opp, stage = to_id(opp_id), to_id(stage_id)
        if opp is None or stage is None:
            return None
        try:
            with user_session(self) as (session, user):
                return self._try_move(session, user, opp, stage, {})
        except Exception as exc:  # noqa: BLE001
            return failure(exc)

    @rx.event
    def set_move_value(self, key: str, value: str) -> None:
        self.move_values = {**self.move_values, key: value}

    @rx.event
    def submit_move(self) -> Any:
        if self._move_opp is None or self._move_stage is None:
            self.move_open = False
            return None
        fields = {k: (None if v in ("", NONE) and k.endswith("_id") else v)
                  for k, v in self.move_values.items()}
        self.move_saving = True
        try:
            with user_session(self) as (session, user):
                return self._try_move(session, user, self._move_opp, self._move_stage, fields)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        finally:
            self.move_saving = False

    def _cancel_move(self) -> None:
        self.move_open = False
        self.move_errors = {}
        self._move_opp = self._move_stage = None

    @rx.event
    def cancel_move(self) -> None:
        self._cancel_move()

    @rx.event
    def set_move_open(self, value: bool) -> None:
        if not value:
            self._cancel_move()


def _move_control(state: Any, f: rx.Var) -> rx.Component:
    key = f["key"]
    value = state.move_values[key]

    def on_change(v: Any) -> Any:
        return state.set_move_value(key, v)

    plain = rx.input(value=value, on_change=on_change, id="move-" + key, width="100%")
    return rx.match(
        f["kind"],
        ("reason", rx.vstack(
            rx.input(value=value, on_change=on_change, id="move-" + key, width="100%"),
            rx.flex(*[rx.button(r, size="1", variant="soft", color_scheme="gray",
                                type="button", on_click=state.set_move_value(key, r))
                      for r in LOST_REASONS], spacing="1", wrap="wrap"),
            spacing="2", width="100%")),
        ("date", rx.input(type="date", value=value, on_change=on_change, id="move-" + key,
                          width="100%")),
        ("number", rx.input(value=value, on_change=on_change, id="move-" + key,
                            input_mode="decimal", width="100%")),
        ("textarea", rx.text_area(value=value, on_change=on_change, id="move-" + key,
                                  width="100%")),
        ("contact", rx.select.root(
            rx.select.trigger(id="move-" + key, width="100%"),
            rx.select.content(rx.foreach(state.move_contacts, lambda o: rx.select.item(
                o["label"], value=o["value"]))),
            value=value, on_change=on_change)),
        ("product", rx.select.root(
            rx.select.trigger(id="move-" + key, width="100%"),
            rx.select.content(rx.foreach(state.move_products, lambda o: rx.select.item(
                o["label"], value=o["value"]))),
            value=value, on_change=on_change)),
        ("channel", rx.select.root(
            rx.select.trigger(id="move-" + key, width="100%"),
            rx.select.content(*[rx.select.item(c, value=c) for c in CHANNELS]),
            value=value, on_change=on_change)),
        plain,
    )


def move_dialog(state: Any) -> rx.Component:
    """The dialog that asks for the fields a stage requires on entry (e.g. lost reason)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(state.move_title),
            rx.dialog.description(t("sui.move.required_help"), size="2",
                                  margin_bottom="var(--space-3)"),
            rx.vstack(
                rx.foreach(state.move_fields, lambda f: rx.vstack(
                    rx.el.label(f["label"], rx.text.span(" *", color=rx.color("red", 10),
                                                        aria_hidden="true"),
                                html_for="move-" + f["key"],
                                style={"fontWeight": "500", "fontSize": "var(--font-size-2)"}),
                    _move_control(state, f),
                    rx.cond(state.move_errors[f["key"]],
                            rx.text(state.move_errors[f["key"]], size="1", color_scheme="red",
                                    role="alert")),
                    spacing="1", width="100%")),
                form_actions(
                    rx.button(t("sui.move.confirm"), on_click=state.submit_move,
                              loading=state.move_saving, width=PHONE_FULL, id="move-submit"),
                    rx.button(t("common.cancel"), variant="soft", color_scheme="gray",
                              on_click=state.cancel_move, width=PHONE_FULL, id="move-cancel"),
                ),
                spacing="3",
                width="100%",
            ),
            max_width="480px",
            data_testid="move-dialog",
        ),
        open=state.move_open,
        on_open_change=state.set_move_open,
    )


def product_label(p: Product) -> str:
    return f"{p.name} · {p.sku}"


def contact_label(c: Contact) -> str:
    return f"{c.first_name} {c.last_name}".strip() or c.email


__all__ = ["NONE", "AccountPickerMixin", "NotSignedIn", "StageMoveMixin", "channel_options",
           "contact_label", "dec_text", "failure", "move_dialog", "owner_options", "path_id",
           "pct_text", "product_label", "sid", "to_id", "user_session"]
