"""What the quote screens show of the service's data: display strings (es-ES money, dates,
rates) for the list's rows, the editor's header, lines and totals, and the lines as the
service reads them back. No rule lives here: validation and maths are the service's."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from crm_app.formatting import date_es, datetime_es, dec_text, money, pct_text
from crm_app.i18n import t
from crm_app.services.quote_maths import EXENTO
from crm_app.services.quotes import OPEN_FILTER, STATUS_LABELS
from crm_app.services.sales_common import rate_text

STATUSES = tuple(str(s) for s in STATUS_LABELS)
TAX_OPTIONS = (("21", "21 %"), ("10", "10 %"), ("4", "4 %"), ("0", "0 %"))
LINE_FIELDS = ("description", "quantity", "unit_price", "discount_pct", "tax_rate")
TERM_FIELDS = ("global_discount_pct", "irpf_pct")  # the preview's own errors besides the lines


def option(value: Any, label: Any) -> dict[str, str]:
    return {"value": str(value), "label": str(label)}


def status_options() -> list[dict[str, str]]:
    """The list's status filter: "pendientes" (what Inicio counts), then each status."""
    return [option(OPEN_FILTER, t("quote_ui.filter.open")),
            *[option(s, t(f"quote.status.{s}")) for s in STATUSES]]


def status_text(value: str) -> str:
    return t("quote_ui.filter.open") if value == OPEN_FILTER else t(f"quote.status.{value}")


def list_row(r: dict[str, Any]) -> dict[str, str]:
    """A ``list_quote_rows`` item as the list shows it."""
    return {
        "id": str(r["id"]), "label": r["label"], "account": r["account_name"] or "",
        "status": str(r["status"]), "status_label": r["status_label"],
        "total": money(r["total"]), "base": money(r["base_total"]),
        "issue_date": date_es(r["issue_date"]), "valid_until": date_es(r["valid_until"]),
        "owner": r["owner"] or "", "href": f"/presupuestos/{r['id']}",
    }


def head(view: dict[str, Any]) -> dict[str, str]:
    """The editor's header from ``quote_view``: number, status, dates, links."""
    return {
        "label": view["label"], "number": view["number"], "status": str(view["status"]),
        "status_label": view["status_label"], "owner": view["owner"],
        "issue_date": date_es(view["issue_date"]),
        "valid_until_text": date_es(view["valid_until"]),
        "sent_at": datetime_es(view["sent_at"]),
        "pdf": f"/api/v1/quotes/{view['id']}/pdf",
        "opportunity_href": f"/oportunidades/{view['opportunity_id']}"
        if view["opportunity_id"] and view["opportunity_name"] else "",
        "opportunity_name": view["opportunity_name"],
        "account_href": f"/clientes/{view['account_id']}",
    }


def new_head() -> dict[str, str]:
    return {"status": "borrador", "status_label": t("quote.status.borrador"),
            "label": t("sui.quotes.new")}


def versions(view: dict[str, Any]) -> list[dict[str, str]]:
    return [{"id": str(v["id"]), "label": f"v{v['version']}", "status": str(v["status"]),
             "current": "1" if v["id"] == view["id"] else ""} for v in view["versions"]]


def new_line(**values: str) -> dict[str, str]:
    """A line of the editor: the inputs' texts, a key for React and its amount."""
    line = {"key": uuid.uuid4().hex[:8], "product_id": "", "description": "", "quantity": "1",
            "unit": "ud", "unit_price": "", "discount_pct": "", "tax_rate": "21",
            "base": money(Decimal(0))}
    line.update(values)
    return line


def stored_line(ln: dict[str, Any]) -> dict[str, str]:
    """A line of ``quote_view`` as the editor's inputs show it."""
    return new_line(
        product_id=str(ln["product_id"] or ""), description=ln["description"],
        quantity=dec_text(ln["quantity"]), unit=ln["unit"],
        unit_price=dec_text(ln["unit_price"]),
        discount_pct=dec_text(ln["discount_pct"]) if ln["discount_pct"] else "",
        tax_rate=str(ln["tax_rate"]), base=money(ln["line_base"]))


def product_line(p: Any) -> dict[str, str]:
    """A catalog product as a new line (its name, price, unit and IVA)."""
    return new_line(product_id=str(p.id), description=p.name, unit=p.unit,
                    unit_price=dec_text(p.unit_price),
                    tax_rate=EXENTO if p.tax_exempt else rate_text(p.tax_rate))


def product_option(p: Any) -> dict[str, str]:
    return {"value": str(p.id), "label": p.name, "sku": p.sku,
            "price": money(p.unit_price) + " / " + p.unit,
            "tax": t("sui.quote.exempt") if p.tax_exempt else
            f"{t('sui.quote.iva')} {pct_text(p.tax_rate)}"}


def payload_lines(lines: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The editor's lines as the service reads them (the preview and the save send these)."""
    return [{"product_id": ln["product_id"] or None, "description": ln["description"],
             "quantity": ln["quantity"], "unit_price": ln["unit_price"],
             "discount_pct": ln["discount_pct"], "tax_rate": ln["tax_rate"], "unit": ln["unit"]}
            for ln in lines]


def is_term_error(key: str) -> bool:
    """An error the preview owns (a line's field, the lines, the discount, the IRPF)."""
    return key == "lines" or key.startswith("lines.") or key in TERM_FIELDS


def _rate_label(rate_key: str) -> str:
    return t("sui.quote.exempt") if rate_key == EXENTO else pct_text(Decimal(rate_key))


def totals(data: dict[str, Any]
           ) -> tuple[dict[str, str], list[dict[str, str]], list[dict[str, str]]]:
    """``Totals.as_dict()`` (the service's shape, decimals as strings) as the totals card shows
    it: the sums, the IVA breakdown and the recargo rows."""
    def m(key: str) -> str:
        return money(Decimal(data[key]))

    taxes = [{"label": _rate_label(x["rate"]), "base": money(Decimal(x["base"])),
              "amount": money(Decimal(x["amount"]))} for x in data["taxes"]]
    recargos = [{"label": f"{pct_text(Decimal(x['rate']))} ({t('sui.quote.on_iva')} "
                          f"{pct_text(Decimal(x['iva_rate']))})",
                 "base": money(Decimal(x["base"])), "amount": money(Decimal(x["amount"]))}
                for x in data["recargo"]]
    sums = {
        "subtotal": m("subtotal"), "discount": m("discount"),
        "has_discount": "1" if Decimal(data["discount"]) else "",
        "discount_label": t("sui.quote.discount_row",
                            pct=dec_text(Decimal(data["global_discount_pct"]))),
        "base": m("base"), "tax": m("tax"), "recargo": m("recargo_total"), "irpf": m("irpf"),
        "irpf_pct": pct_text(Decimal(data["irpf_pct"])),
        "has_irpf": "1" if Decimal(data["irpf"]) else "", "total": m("total"),
    }
    return sums, taxes, recargos


__all__ = ["LINE_FIELDS", "STATUSES", "TAX_OPTIONS", "head", "is_term_error", "list_row",
           "new_head", "new_line", "option", "payload_lines", "product_line", "product_option",
           "status_options", "status_text", "stored_line", "totals", "versions"]
