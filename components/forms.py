"""Form pieces every screen uses: labelled fields with the server's inline error, inputs,
selects, a locale-proof date input, sections and the action row.

Stateless: each function takes the vars and events it shows. Field errors come from the
server (``@handler(errors=...)`` fills the dict), never from rules copied into the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx

from crm_app.i18n import t

# A button's width: the whole row on phones, its own width from the small breakpoint up.
PHONE_FULL = rx.breakpoints(initial="100%", sm="auto")
NONE = "__none"  # Radix selects refuse "" as an item value: this stands for "no value"


def label(text: Any, html_for: Any = "", *, required: bool = False) -> rx.Component:
    mark = [rx.text.span(" *", color=rx.color("red", 10), aria_hidden="true")] if required \
        else []
    return rx.el.label(
        text,
        *mark,
        html_for=html_for if isinstance(html_for, rx.Var) else (html_for or None),
        style={"fontWeight": "500", "fontSize": "var(--font-size-2)"},
    )


def field(text: Any, control: rx.Component, *, html_for: Any = "", required: bool = False,
          error: Any = None, hint: Any = None, grow: bool = True) -> rx.Component:
    """A labelled control, an optional hint and the server's inline error under it.

    ``error`` is a Var (``State.errors.get("name", "")``) or ``None``; the error text carries
    ``role=alert`` and the test hook ``<html_for>-error``. ``html_for`` may be a Var (fields
    built in ``rx.foreach``, e.g. custom fields).
    """
    parts: list[rx.Component] = [label(text, html_for, required=required), control]
    if hint is not None:
        parts.append(hint if isinstance(hint, rx.Component)
                     else rx.text(hint, size="1", color_scheme="gray"))
    if error is not None:
        error_id = html_for + "-error" if isinstance(html_for, rx.Var) \
            else f"{html_for or 'field'}-error"
        parts.append(rx.cond(
            error != "",
            rx.text(error, size="1", color=rx.color("red", 11), role="alert",
                    id=error_id, data_testid=error_id)))
    return rx.vstack(*parts, spacing="1", width="100%" if grow else "auto", min_width="0")


def text_input(name: str, *, default: Any = "", type_: str = "text", placeholder: str = "",
               **props: Any) -> rx.Component:
    """An uncontrolled input for ``rx.el.form`` (id = name, so the label points at it)."""
    return rx.input(name=name, id=props.pop("id", name), default_value=default, type=type_,
                    placeholder=placeholder, width="100%", **props)


def decimal_input(name: str, *, default: Any = "", **props: Any) -> rx.Component:
    """A Spanish decimal (``1.234,56``): a text input with the phone's decimal keypad."""
    return text_input(name, default=default, input_mode="decimal", **props)


def date_input(name: str, *, default: Any = "", **props: Any) -> rx.Component:
    """A date typed as ``dd/mm/aaaa`` whatever the browser's language.

    Native date inputs follow the browser's locale (mm/dd/yyyy in an English Chrome); the
    services parse ``dd/mm/aaaa`` (and ISO), so this is a plain text input with that pattern.
    """
    return text_input(name, default=default, placeholder=t("common.date_placeholder"),
                      input_mode="numeric", auto_complete="off", max_length=10, **props)


def textarea(name: str, *, default: Any = "", rows: str = "3", **props: Any) -> rx.Component:
    return rx.text_area(name=name, id=props.pop("id", name), default_value=default, rows=rows,
                        width="100%", **props)


def choice(options: Sequence[tuple[str, str]] | Sequence[dict[str, str]] | rx.Var, *,
           value: Any = None, default_value: Any = None, on_change: Any = None,
           name: str | None = None, id: str, aria_label: str = "", placeholder: str = "",
           width: Any = "100%", size: str = "2", disabled: Any = False) -> rx.Component:
    """A Radix select. ``options`` are (value, label) pairs, or dicts with ``value``/``label``
    (a list, e.g. ``with_all`` of a fixed list, or a Var). Radix refuses empty item values:
    use ``NONE`` for "none/all". ``id`` and ``aria_label`` may be Vars (a select per row of
    an ``rx.foreach``)."""
    if isinstance(options, rx.Var):
        items = rx.foreach(options, lambda o: rx.select.item(
            o["label"].to(str), value=o["value"].to(str)))
    else:
        pairs = [(o["value"], o["label"]) if isinstance(o, dict) else o for o in options]
        items = rx.fragment(*[rx.select.item(lbl, value=val) for val, lbl in pairs])
    root_props: dict[str, Any] = {"size": size}
    if value is not None:
        root_props["value"] = value
    if default_value is not None:
        root_props["default_value"] = default_value
    if on_change is not None:
        root_props["on_change"] = on_change
    if name is not None:
        root_props["name"] = name
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, id=id,
                          aria_label=aria_label if isinstance(aria_label, rx.Var)
                          else (aria_label or None),
                          width=width),
        rx.select.content(items, position="popper", max_height="60vh"),
        disabled=disabled,
        **root_props,
    )


def with_all(options: rx.Var | list[dict[str, str]], all_label: str) -> Any:
    """``[{"value": NONE, "label": all_label}, *options]`` for a filter select."""
    first = {"value": NONE, "label": all_label}
    if isinstance(options, rx.Var):
        return (rx.Var.create([first]) + options).to(list[dict[str, str]])
    return [first, *options]


def form_actions(primary: rx.Component, *secondary: rx.Component) -> rx.Component:
    """Buttons of a form: primary on the right on desktop, at the bottom on phones."""
    return rx.flex(*secondary, primary, direction=rx.breakpoints(initial="column", sm="row"),
                   justify="end", spacing="2", width="100%", padding_top="var(--space-2)")


def link_button(text: Any, href: Any, *, icon: str = "", id: str, variant: str = "solid",
                external: bool = False, **props: Any) -> rx.Component:
    """A link that looks like a button (a real ``<a>``: opens in a new tab with the keyboard)."""
    children: list[Any] = []
    if icon:
        children.append(rx.icon(icon, size=16))
    children.append(text)
    if external:
        anchor = rx.el.a(*children, href=href, id=id, target="_blank", rel="noopener")
    else:
        anchor = rx.link(*children, href=href, id=id, underline="none")
    return rx.button(anchor, as_child=True, variant=variant, **props)


def save_cancel(*, saving: Any, cancel_href: Any, id_prefix: str, icon: str = "check",
                sticky: bool = False) -> rx.Component:
    """A record form's Guardar (submits the form) and Cancelar (back to ``cancel_href``),
    hooks ``<id_prefix>-save`` / ``<id_prefix>-cancel``. ``sticky`` keeps them at the bottom
    of the screen while a long form scrolls."""
    bar = form_actions(
        rx.button(rx.icon(icon, size=16), t("common.save"), type="submit", loading=saving,
                  disabled=saving, width=PHONE_FULL, id=f"{id_prefix}-save"),
        link_button(t("common.cancel"), cancel_href, id=f"{id_prefix}-cancel", variant="soft",
                    color_scheme="gray", width=PHONE_FULL),
    )
    if not sticky:
        return bar
    return rx.box(bar, position="sticky", bottom="0", width="100%",
                  padding_bottom="var(--space-3)", background_color=rx.color("gray", 1),
                  border_top=f"1px solid {rx.color('gray', 5)}", z_index="5")


def form_error(errors: Any) -> rx.Component:
    """The error that belongs to no field (``errors["_"]``), as a callout above the buttons."""
    return rx.cond(errors.get("_", "") != "",
                   rx.callout(errors.get("_", ""), color_scheme="red", icon="triangle-alert",
                              width="100%", role="alert"))


def form_page(form: rx.Component, *, ready: Any, not_found: Any, not_found_text: str,
              title: Any, on_unmount: Any, id_prefix: str,
              above: Sequence[rx.Component] = ()) -> rx.Component:
    """The body of a record's form page (new and edit).

    A spinner until the page loader has filled the form (``ready``), so uncontrolled inputs
    start from the record's values and nothing typed is lost to a late remount; a callout when
    the record is missing or out of the user's scope (``not_found``); else the record's name
    (``title``, empty on "new") over ``above`` and the form. ``on_unmount`` (the state's
    ``leave``) makes the next visit wait again. Hooks: ``<id_prefix>-not-found``,
    ``<id_prefix>-form-title``.
    """
    return rx.cond(
        ready,
        rx.box(
            rx.cond(
                not_found,
                rx.callout(not_found_text, icon="circle-alert", color_scheme="red",
                           id=f"{id_prefix}-not-found"),
                rx.vstack(
                    rx.cond(title != "", rx.heading(title, size="5",
                                                    id=f"{id_prefix}-form-title",
                                                    style={"overflowWrap": "anywhere"})),
                    *above,
                    form,
                    spacing="3", width="100%", max_width="880px",
                ),
            ),
            on_unmount=on_unmount,
            width="100%",
        ),
        rx.center(rx.spinner(size="3"), padding="var(--space-8)", width="100%"),
    )


def section(title: Any, *children: rx.Component, actions: Sequence[rx.Component] = (),
            test_id: str, icon: str = "") -> rx.Component:
    """A titled card of a detail page or a form."""
    head: list[rx.Component] = []
    if icon:
        head.append(rx.icon(icon, size=18, color=rx.color("accent", 10)))
    head.append(rx.heading(title, size="4"))
    return rx.card(
        rx.vstack(
            rx.hstack(*head, rx.spacer(), *actions, align="center", width="100%", spacing="2",
                      wrap="wrap"),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
        min_width="0",
        data_testid=test_id,
    )


def grid(*children: rx.Component, columns: str = "2") -> rx.Component:
    """Fields side by side on wider screens, one under the other on phones."""
    return rx.grid(*children, columns=rx.breakpoints(initial="1", sm=columns), spacing="3",
                   width="100%")


def info(label_text: Any, value: Any, test_id: Any = "") -> rx.Component:
    """A read-only label/value pair (``test_id`` may be a Var, inside ``rx.foreach``)."""
    return rx.vstack(
        rx.text(label_text, size="1", color_scheme="gray"),
        rx.text(rx.cond(value, value, "—"), size="2",
                data_testid=test_id if isinstance(test_id, rx.Var) else (test_id or None),
                style={"overflowWrap": "anywhere"}),
        spacing="0",
        min_width="0",
    )


def long_text(label_text: Any, value: Any) -> rx.Component:
    """A read-only text of several lines (notes, a description) under its label, with its
    line breaks; nothing at all when it is empty."""
    return rx.cond(value != "", rx.vstack(
        rx.text(label_text, size="1", color_scheme="gray"),
        rx.text(value, size="2", white_space="pre-wrap", style={"overflowWrap": "anywhere"}),
        spacing="0"))


__all__ = ["NONE", "PHONE_FULL", "choice", "date_input", "decimal_input", "field",
           "form_actions", "form_error", "form_page", "grid", "info", "label", "link_button",
           "long_text",
           "save_cancel", "section", "text_input", "textarea", "with_all"]
