"""The quote editor's lines (a grid on desktops, a two-column card per line on phones, the
catalog search and "Línea libre") and its totals card (bases and IVA per rate, recargo,
IRPF, total: the service's preview).

Test hooks: ``quote-lines``, ``quote-line``, ``line-<i>-<field>``, ``line-<i>-remove``,
``line-base``, ``product-search``, ``product-option``, ``add-free-line``, ``quote-totals``,
``total``, ``total-base``, ``total-tax``, ``total-subtotal``, ``total-discount``,
``total-irpf``, ``tax-base``, ``tax-amount``, ``recargo-amount``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.empty_state import listing
from components.forms import PHONE_FULL, section
from crm_app.i18n import t
from crm_app.services.quote_maths import EXENTO
from pages.quotes.editor_state import QuoteEditorState as S
from pages.quotes.rows import TAX_OPTIONS

LINE_GRID = "minmax(0, 4fr) repeat(3, minmax(0, 1.1fr)) minmax(0, 1.2fr) minmax(0, 1.9fr)"
HEADS = ("sui.quote.line.description", "sui.quote.line.quantity", "sui.quote.line.unit_price",
         "sui.quote.line.discount", "sui.quote.line.tax_rate", "sui.quote.line.amount")
LEFT = ("sui.quote.line.description", "sui.quote.line.tax_rate")


def _line_row(line: rx.Var, i: rx.Var) -> rx.Component:
    e = S.errors
    key = "lines." + i.to_string() + "."
    ro = ~S.editable

    def html_id(name: str) -> Any:
        return "line-" + i.to_string() + "-" + name

    def cell(text: str, control: rx.Component, name: str) -> rx.Component:
        """A labelled cell on phones (the header row labels them on desktops) + its error."""
        return rx.vstack(
            rx.mobile_and_tablet(rx.text(text, size="1", color_scheme="gray")),
            control,
            rx.cond(e.get(key + name, "") != "",
                    rx.text(e.get(key + name, ""), size="1", color=rx.color("red", 11),
                            role="alert", id=html_id(name) + "-error",
                            data_testid="line-error")),
            spacing="1", width="100%", min_width="0")

    def num(name: str, text: str) -> rx.Component:
        return cell(text, rx.input(
            value=line[name], on_change=lambda v: S.set_line(i, name, v),
            input_mode="decimal", width="100%", read_only=ro, aria_label=text,
            id=html_id(name), text_align="right"), name)

    return rx.grid(
        rx.box(cell(t("sui.quote.line.description"), rx.input(
            value=line["description"], on_change=lambda v: S.set_line(i, "description", v),
            width="100%", read_only=ro, aria_label=t("sui.quote.line.description"),
            id=html_id("description")), "description"),
            grid_column=rx.breakpoints(initial="1 / -1", lg="auto")),
        num("quantity", t("sui.quote.line.quantity")),
        num("unit_price", t("sui.quote.line.unit_price")),
        num("discount_pct", t("sui.quote.line.discount")),
        cell(t("sui.quote.line.tax_rate"), rx.select.root(
            rx.select.trigger(width="100%", aria_label=t("sui.quote.line.tax_rate"),
                              id=html_id("tax_rate")),
            rx.select.content(*[rx.select.item(lbl, value=val) for val, lbl in TAX_OPTIONS],
                              rx.select.item(t("sui.quote.exempt"), value=EXENTO),
                              position="popper"),
            value=line["tax_rate"], on_change=lambda v: S.set_line(i, "tax_rate", v),
            disabled=ro), "tax_rate"),
        rx.hstack(
            rx.mobile_and_tablet(rx.text(t("sui.quote.line.amount"), size="2",
                                         color_scheme="gray")),
            rx.spacer(),
            rx.text(line["base"], weight="medium", white_space="nowrap",
                    data_testid="line-base"),
            rx.cond(S.editable, rx.icon_button(
                rx.icon("trash-2", size=14), variant="ghost", color_scheme="red",
                aria_label=t("sui.quote.remove_line"), on_click=S.remove_line(i),
                id=html_id("remove"), type="button"),
                rx.box(width="24px")),
            align="center", spacing="3", width="100%",
            padding_top=rx.breakpoints(initial="0", lg="6px"),
            grid_column=rx.breakpoints(initial="1 / -1", lg="auto")),
        grid_template_columns=rx.breakpoints(initial="repeat(2, minmax(0, 1fr))", lg=LINE_GRID),
        spacing="2",
        width="100%",
        align_items="start",
        padding_y="var(--space-2)",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="quote-line",
    )


def _product_option(p: rx.Var) -> rx.Component:
    return rx.button(
        rx.hstack(
            rx.vstack(rx.text(p["label"], size="2", weight="medium"),
                      rx.text(p["sku"], " · ", p["tax"], size="1", color_scheme="gray"),
                      spacing="0", align="start", min_width="0"),
            rx.spacer(),
            rx.text(p["price"], size="2", white_space="nowrap"),
            width="100%", align="center"),
        variant="ghost", type="button", width="100%", height="auto",
        padding_y="var(--space-1)", on_click=S.add_product(p["value"]),
        data_testid="product-option", style={"whiteSpace": "normal", "textAlign": "left"})


def _adder() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.box(rx.debounce_input(rx.input(
                rx.input.slot(rx.icon("package-search", size=16)),
                value=S.product_q, on_change=S.search_products,
                placeholder=t("sui.quote.search_product"), width="100%",
                id="product-search", aria_label=t("sui.quote.add_product")),
                debounce_timeout=250), flex_grow="1", width="100%"),
            rx.button(rx.icon("plus", size=16), t("sui.quote.add_line"), variant="soft",
                      type="button", on_click=S.add_free_line, id="add-free-line",
                      width=PHONE_FULL, flex_shrink="0"),
            spacing="2", width="100%", direction=rx.breakpoints(initial="column", sm="row")),
        rx.cond(S.product_options.length() > 0, rx.vstack(
            rx.foreach(S.product_options, _product_option),
            spacing="1", width="100%", border=f"1px solid {rx.color('gray', 5)}",
            border_radius="var(--radius-3)", padding="var(--space-1)")),
        rx.cond((S.product_q != "") & (S.product_options.length() == 0),
                rx.text(t("sui.quote.no_products"), size="1", color_scheme="gray")),
        spacing="2", width="100%")


def lines_card() -> rx.Component:
    header = rx.desktop_only(rx.grid(
        *[rx.text(t(k), size="1", color_scheme="gray", weight="medium",
                  text_align="left" if k in LEFT else "right") for k in HEADS],
        grid_template_columns=LINE_GRID, spacing="2", width="100%"), width="100%")
    return section(
        t("sui.quote.lines"),
        header,
        listing(S.lines, _line_row, t("sui.quote.no_lines"), empty_id="no-lines", spacing="0"),
        rx.cond(S.errors.get("lines", "") != "",
                rx.text(S.errors.get("lines", ""), size="1", color=rx.color("red", 11),
                        role="alert", id="lines-error")),
        rx.cond(S.editable, _adder()),
        test_id="quote-lines", icon="list")


def _money_row(text: Any, value: Any, test_id: str, *, strong: bool = False,
               negative: bool = False) -> rx.Component:
    size, weight = ("3", "bold") if strong else ("2", "medium")
    return rx.hstack(
        rx.text(text, size=size, weight="bold" if strong else "regular"),
        rx.spacer(),
        rx.text("− " if negative else "", value, size=size, weight=weight,
                white_space="nowrap", data_testid=test_id),
        width="100%", align="center")


def totals_card() -> rx.Component:
    tt = S.totals
    return rx.card(rx.vstack(
        rx.heading(t("sui.quote.totals"), size="4"),
        rx.cond(tt["has_discount"], rx.vstack(
            _money_row(t("sui.quote.subtotal"), tt["subtotal"], "total-subtotal"),
            _money_row(tt["discount_label"], tt["discount"], "total-discount", negative=True),
            spacing="1", width="100%")),
        rx.cond(S.taxes.length() > 1, rx.vstack(
            rx.foreach(S.taxes, lambda x: rx.vstack(
                _money_row(t("sui.quote.base") + " " + x["label"], x["base"], "tax-base"),
                _money_row(t("sui.quote.iva") + " " + x["label"], x["amount"], "tax-amount"),
                spacing="1", width="100%")),
            rx.separator(),
            spacing="2", width="100%")),
        _money_row(t("sui.quote.base"), tt["base"], "total-base"),
        _money_row(rx.cond(S.taxes.length() == 1, t("sui.quote.iva") + " " + S.taxes[0]["label"],
                           t("sui.quote.iva")), tt["tax"], "total-tax"),
        rx.foreach(S.recargos, lambda x: _money_row(t("sui.quote.recargo") + " " + x["label"],
                                                    x["amount"], "recargo-amount")),
        rx.cond(tt["has_irpf"], _money_row(t("sui.quote.irpf") + " " + tt["irpf_pct"],
                                           tt["irpf"], "total-irpf", negative=True)),
        rx.separator(),
        _money_row(t("sui.quote.total"), tt["total"], "total", strong=True),
        rx.cond(S.dirty & (S.quote_id > 0), rx.callout(t("sui.quote.unsaved"), icon="info",
                                                      size="1", color_scheme="amber",
                                                      width="100%")),
        spacing="2", width="100%"),
        width="100%", data_testid="quote-totals",
        position=rx.breakpoints(initial="static", lg="sticky"), top="80px")


__all__ = ["lines_card", "totals_card"]
