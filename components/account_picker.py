"""The customer field of a form: search by name or NIF, pick, change.

Stateless: ``state`` is any state with ``crm_app.state_mixins.account_picker
.AccountPickerMixin`` (vars ``account_id``, ``account_name``, ``account_q``,
``account_options``; events ``search_accounts``, ``pick_account``, ``clear_account``).
Hooks (``p`` = ``id_prefix``): ``p-account-search``, ``p-account-name``, ``p-account-clear``,
``account-option``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.forms import field
from crm_app.i18n import t


def _options(state: Any) -> rx.Component:
    return rx.cond(
        state.account_options.length() > 0,
        rx.vstack(
            rx.foreach(state.account_options, lambda o: rx.button(
                rx.vstack(rx.text(o["label"], size="2", weight="medium"),
                          rx.text(o["detail"], size="1", color_scheme="gray"),
                          spacing="0", align="start", min_width="0"),
                variant="ghost", type="button", width="100%", height="auto",
                justify="start", padding_y="var(--space-1)",
                on_click=state.pick_account(o["value"]), data_testid="account-option",
                style={"whiteSpace": "normal", "textAlign": "left"})),
            spacing="1", width="100%", border=f"1px solid {rx.color('gray', 5)}",
            border_radius="var(--radius-3)", padding="var(--space-1)",
        ),
    )


def account_picker(state: Any, *, error: Any, id_prefix: str, required: bool = True,
                   label: Any = None) -> rx.Component:
    """The picked customer as a badge with "Cambiar", or a search box with its matches."""
    search_id = f"{id_prefix}-account-search"
    return field(
        label if label is not None else t("col.account"),
        rx.cond(
            state.account_id != "",
            rx.hstack(
                rx.badge(rx.icon("building-2", size=14), state.account_name, size="2",
                         variant="surface", id=f"{id_prefix}-account-name",
                         style={"whiteSpace": "normal"}),
                rx.button(t("sui.common.change"), size="1", variant="ghost", type="button",
                          on_click=state.clear_account, id=f"{id_prefix}-account-clear"),
                align="center", wrap="wrap"),
            rx.vstack(
                rx.debounce_input(rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    value=state.account_q, on_change=state.search_accounts,
                    name=f"{id_prefix}_account_search", auto_complete="off",
                    placeholder=t("sui.accounts.search_pick"), width="100%", id=search_id),
                    debounce_timeout=250),
                _options(state),
                spacing="1", width="100%"),
        ),
        html_for=search_id, required=required, error=error,
    )


__all__ = ["account_picker"]
