"""The quote PDF: ``templates/quote.html`` (Jinja2, autoescaped) rendered by WeasyPrint.

Pure rendering: the caller (``services.quotes.quote_pdf``) loads the rows and checks access.
Numbers and dates in es-ES (``1.234,56 €``, ``27/11/2026``); A4 with page numbers.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
from babel.numbers import format_decimal
from jinja2 import Environment
from markupsafe import Markup
from stdnum import iban as stdnum_iban

from crm_app.formatting import date_es, money
from crm_app.reports.rendering import environment, write_pdf
from crm_app.services.quote_maths import Totals
from crm_app.settings import get_settings

ACCENT = "#1d4ed8"
LOCALE = "es_ES"
EXEMPT_NOTE = "Operaciones exentas de IVA conforme a la Ley 37/1992, del IVA."


def _num(value: Decimal | int | None, pattern: str) -> str:
    if value is None:
        return ""
    return format_decimal(Decimal(value), format=pattern, locale=LOCALE, group_separator=True)


def fmt_qty(value: Decimal) -> str:
    """``2``, ``1,5``, ``1.250`` (up to 3 decimals, no trailing zeros)."""
    return _num(value, "#,##0.###")


def fmt_price(value: Decimal) -> str:
    """Unit prices keep up to 4 decimals when they have them: ``12,345 €``."""
    return _num(value, "#,##0.00##") + "\u00a0€"


def fmt_pct(value: Decimal | None) -> str:
    """``21 %``, ``5,2 %``, ``12,5 %``."""
    if value is None:
        return ""
    return _num(value, "#,##0.##") + "\u00a0%"


def fmt_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "ES")
    except phonenumbers.NumberParseException:
        return value
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 34
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


def css_string(value: str) -> Markup:
    """Safe inside a double-quoted CSS string in <style> (raw text: no HTML escaping there)."""
    out = []
    for ch in str(value):
        if ch in '\\"<>' or ord(ch) < 32:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup("".join(out))


@lru_cache(maxsize=1)
def _env() -> Environment:
    return environment(money=money, price=fmt_price, qty=fmt_qty, pct=fmt_pct,
                       date_es=date_es, phone=fmt_phone, css_string=css_string)


def _logo_url(logo_path: str) -> str | None:
    if not logo_path:
        return None
    path = Path(logo_path)
    if not path.is_absolute():
        path = get_settings().data_dir / path
    return path.resolve().as_uri() if path.is_file() else None


def _city_line(postal_code: str, city: str, province: str, country: str = "ES") -> str:
    place = " ".join(p for p in (postal_code, city) if p)
    if province and province.lower() != (city or "").lower():
        place = f"{place} ({province})" if place else province
    if country and country != "ES":
        place = f"{place} · {country}" if place else country
    return place


def _accent(org: Any) -> str:
    """The company's brand colour (Ajustes → Empresa, ``#rrggbb``) or the app's blue; only a
    well-formed colour reaches the CSS."""
    color = str(getattr(org, "brand_color", "") or "").lower()
    return color if re.fullmatch(r"#[0-9a-f]{6}", color) else ACCENT


def _payment_line(org: Any) -> str:
    """``Transferencia a 30 días a la cuenta ES91 2100 …`` from the company's defaults."""
    days = getattr(org, "payment_terms_days", None)
    account = str(getattr(org, "iban", "") or "")
    parts = []
    if days is not None:
        parts.append("Al contado" if days == 0 else f"A {days} días")
    if account:
        parts.append("por transferencia a la cuenta " + stdnum_iban.format(account))
    return " ".join(parts) + "." if account else ""


def _tax_rows(totals: Totals) -> list[dict[str, Any]]:
    recargo = {r.iva_rate: r for r in totals.recargo}
    rows = []
    for t in totals.taxes:
        re = recargo.get(t.rate) if t.rate is not None else None
        rows.append({"base": t.base, "rate": t.rate, "amount": t.amount, "exempt": t.exempt,
                     "re_rate": re.rate if re else None, "re_amount": re.amount if re else None})
    return rows


def quote_context(*, quote: Any, lines: list[Any], totals: Totals, org: Any, account: Any,
                  contact: Any = None, owner: Any = None) -> dict[str, Any]:
    rows = []
    for ln in lines:
        title, _, detail = (ln.description or "").partition("\n")
        rows.append({"title": title, "detail": detail.strip(), "quantity": ln.quantity,
                     "unit": ln.unit or "", "unit_price": ln.unit_price,
                     "discount_pct": ln.discount_pct or Decimal(0), "tax_rate": ln.tax_rate,
                     "tax_exempt": ln.tax_exempt, "line_base": ln.line_base})
    contact_line = " · ".join(p for p in (fmt_phone(org.phone) if org.phone else "", org.email,
                                          org.website) if p)
    validity = (quote.valid_until - quote.issue_date).days \
        if isinstance(quote.valid_until, date) and isinstance(quote.issue_date, date) else None
    footer = " · ".join(p for p in (org.legal_name, f"NIF {org.nif}" if org.nif else "",
                                    f"Presupuesto {quote.number} v{quote.version}") if p)
    return {
        "quote": quote, "lines": rows, "totals": totals, "tax_rows": _tax_rows(totals),
        "org": org, "account": account, "contact": contact, "owner": owner,
        "contact_name": f"{contact.first_name} {contact.last_name}".strip() if contact else "",
        "logo_url": _logo_url(getattr(org, "logo_path", "") or ""),
        "org_trade_name": trade if (trade := getattr(org, "trade_name", "") or "")
        and trade != org.legal_name else "",
        "org_city_line": _city_line(org.postal_code, org.city, org.province,
                                    getattr(org, "country", "ES") or "ES"),
        "payment_line": _payment_line(org),
        "org_contact_line": contact_line,
        "account_city_line": _city_line(account.postal_code, account.city, account.province,
                                        account.country),
        "validity_days": validity if validity and validity > 0 else None,
        "exempt_note": EXEMPT_NOTE if any(t.exempt for t in totals.taxes) else "",
        "footer_text": css_string(footer), "accent": _accent(org),
    }


def render_quote_html(**kwargs: Any) -> str:
    return _env().get_template("quote.html").render(**quote_context(**kwargs))


def render_quote_pdf(**kwargs: Any) -> bytes:
    """The PDF bytes; same keywords as ``quote_context``."""
    return write_pdf(render_quote_html(**kwargs))


def warm_up() -> None:
    """Pay WeasyPrint's import and font set-up once (≈ 2–3 s of CPU) at process start, so the
    first quote a user opens renders as fast as the next ones (≈ 0,3 s)."""
    write_pdf("<p>·</p>")
    _env().get_template("quote.html")


__all__ = ["fmt_pct", "fmt_price", "fmt_qty", "quote_context", "render_quote_html",
           "render_quote_pdf", "warm_up"]
