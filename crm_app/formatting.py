"""es-ES formatting through babel: money ``1.234,56 €``, dates ``27/11/2026``, ``hace 3 días``.

Times are stored in UTC and shown in the organisation's time zone (Europe/Madrid).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "es_ES"
TZ = ZoneInfo("Europe/Madrid")


def money(value: Decimal | int | None, currency: str = "EUR") -> str:
    """``1.234,56 €``. Babel's es_ES omits grouping below 10.000; we always group."""
    if value is None:
        return ""
    return format_currency(Decimal(value), currency, locale=LOCALE, group_separator=True,
                           format="#,##0.00\u00a0¤")


def number(value: Decimal | int | float | None, decimals: int = 0) -> str:
    if value is None:
        return ""
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=fmt, locale=LOCALE, group_separator=True)


def percent(value: Decimal | float | None, decimals: int = 1) -> str:
    """``value`` is a ratio (0.25 → ``25,0 %``)."""
    if value is None:
        return "—"
    return format_percent(value, format="#,##0." + "0" * decimals + "\u00a0%", locale=LOCALE)


def measure(value: Decimal | int | float | None, unit: str) -> str:
    """A figure by its unit, as the dashboards and the reports show it: ``money``
    ``1.234,56 €``, ``pct``/``ratio`` (a ratio) ``25,0 %``, ``days`` ``31,5``, anything else a
    count ``1.234``; ``—`` when there is none."""
    if value is None:
        return "—"
    if unit == "money":
        return money(value)  # type: ignore[arg-type]
    if unit in ("pct", "ratio"):
        return percent(value)
    return number(value, 1 if unit == "days" else 0)


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(TZ)


def date_es(value: date | datetime | None) -> str:
    """``27/11/2026``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def datetime_es(value: datetime | None) -> str:
    """``27/11/2026 10:42`` in Madrid time."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def time_es(value: datetime | None) -> str:
    return "" if value is None else to_local(value).strftime("%H:%M")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """``hace 3 días``."""
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    delta = value - now
    return format_timedelta(delta, add_direction=True, locale=LOCALE, threshold=1)


def month_name(month: int, year: int | None = None) -> str:
    """``noviembre`` (or ``noviembre de 2026``)."""
    name = format_date(date(2000, month, 1), "LLLL", locale=LOCALE)
    return f"{name} de {year}" if year else name


def long_date(value: date) -> str:
    """``27 de noviembre de 2026``."""
    return format_date(value, "d 'de' MMMM 'de' y", locale=LOCALE)


__all__ = ["ago", "date_es", "datetime_es", "format_datetime", "long_date", "money",
           "month_name", "number", "percent", "time_es", "to_local"]


def dec_text(value: Decimal | int | None) -> str:
    """A decimal as a form shows it for editing: ``1234,5`` (comma, no grouping, no trailing
    zeros), so what the user sees is what the services parse back."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def pct_text(value: Decimal | int | None) -> str:
    """``21 %``, ``5,2 %``."""
    return "" if value is None else f"{dec_text(value)}\u00a0%"


def phone_es(e164: str | None) -> str:
    """A stored phone (E.164) as people read it: ``+34600123456`` → ``+34 600 12 34 56``;
    anything that does not parse is shown as stored."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, "ES")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
