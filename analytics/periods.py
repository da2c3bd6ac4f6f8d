"""Periods: month, quarter, fiscal year, custom; the previous period; the same period a year ago.

A ``Period`` is a range of local (Europe/Madrid) calendar days, both ends included. The snapshot
stores every event's local date, so "closed in November" means November in Madrid.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

PeriodKind = Literal["month", "quarter", "fiscal_year", "custom"]

MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: PeriodKind = "custom"
    fiscal_start_month: int = 1  # only meaningful for kind == "fiscal_year"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("period end before its start")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[date]:
        """The first day of every calendar month the period touches."""
        out, cur = [], self.start.replace(day=1)
        while cur <= self.end:
            out.append(cur)
            cur = add_months(cur, 1)
        return out

    @property
    def label(self) -> str:
        """Spanish label: ``noviembre de 2025``, ``T4 2025``, ``ejercicio 2025/26``."""
        if self.kind == "month":
            return f"{MONTHS_ES[self.start.month - 1]} de {self.start.year}"
        if self.kind == "quarter":
            return f"T{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.kind == "fiscal_year":
            return f"ejercicio {fiscal_year_label(self.start, self.fiscal_start_month)}"
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"


def add_months(day: date, n: int) -> date:
    """``day`` moved by ``n`` months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month(year: int, month_: int) -> Period:
    last = calendar.monthrange(year, month_)[1]
    return Period(date(year, month_, 1), date(year, month_, last), "month")


def month_of(day: date) -> Period:
    return month(day.year, day.month)


def quarter(year: int, q: int) -> Period:
    if q not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1..4")
    start = date(year, 3 * (q - 1) + 1, 1)
    return Period(start, add_months(start, 3) - timedelta(days=1), "quarter")


def quarter_of(day: date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def fiscal_year(year: int, start_month: int = 1) -> Period:
    """The fiscal year that STARTS in ``year`` on the first of ``start_month``."""
    if not 1 <= start_month <= 12:
        raise ValueError("fiscal year start month must be 1..12")
    start = date(year, start_month, 1)
    return Period(start, add_months(start, 12) - timedelta(days=1), "fiscal_year", start_month)


def fiscal_year_of(day: date, start_month: int = 1) -> Period:
    """The fiscal year containing ``day`` (April start: 10/02/2026 → 01/04/2025–31/03/2026)."""
    year = day.year if day.month >= start_month else day.year - 1
    return fiscal_year(year, start_month)


def fiscal_year_label(start: date, start_month: int) -> str:
    return str(start.year) if start_month == 1 else f"{start.year}/{(start.year + 1) % 100:02d}"


def custom(start: date, end: date) -> Period:
    return Period(start, end, "custom")


def previous(period: Period) -> Period:
    """The period just before: previous month, quarter or fiscal year; a custom range of the
    same number of days ending the day before it starts."""
    if period.kind == "month":
        return month_of(add_months(period.start, -1))
    if period.kind == "quarter":
        return quarter_of(add_months(period.start, -3))
    if period.kind == "fiscal_year":
        return fiscal_year(period.start.year - 1, period.fiscal_start_month)
    end = period.start - timedelta(days=1)
    return custom(end - timedelta(days=period.days - 1), end)


def same_period_last_year(period: Period) -> Period:
    """The same dates one year earlier (29 February becomes 28)."""
    if period.kind == "month":
        return month(period.start.year - 1, period.start.month)
    if period.kind == "quarter":
        return quarter_of(add_months(period.start, -12))
    if period.kind == "fiscal_year":
        return fiscal_year(period.start.year - 1, period.fiscal_start_month)
    return replace(period, start=add_months(period.start, -12), end=add_months(period.end, -12))


def parse_month(text: str) -> Period:
    """``2025-11`` → November 2025."""
    try:
        year, month_ = (int(x) for x in text.strip().split("-"))
        return month(year, month_)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"mes no válido: {text!r} (formato AAAA-MM)") from exc


def infer(start: date, end: date, fiscal_start_month: int = 1) -> Period:
    """Recognise a whole month, quarter or fiscal year in a from/to pair (for ``previous``)."""
    if start.day == 1:
        candidates = [month_of(start), quarter_of(start),
                      fiscal_year_of(start, fiscal_start_month)]
        for cand in candidates:
            if cand.start == start and cand.end == end:
                return cand
    return custom(start, end)


# ---------------------------------------------------------------- what a report may ask for

REPORT_KINDS = ("month", "quarter", "fiscal_year", "custom")
MAX_RANGE_DAYS = 3 * 366  # a custom range: at most three years


class PeriodError(ValueError):
    """A period a report refuses; ``code`` says why: ``bad_kind``, ``bad_range`` (the end is
    before the start) or ``too_long`` (more than ``MAX_RANGE_DAYS``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def of_kind(kind: str, ref: date, fiscal_start_month: int = 1) -> Period:
    """The month, quarter or fiscal year containing ``ref``."""
    if kind == "month":
        return month_of(ref)
    if kind == "quarter":
        return quarter_of(ref)
    if kind == "fiscal_year":
        return fiscal_year_of(ref, fiscal_start_month)
    raise PeriodError("bad_kind")


def bounded(start: date, end: date) -> Period:
    """A custom range a report accepts (the limits every screen and route share)."""
    if end < start:
        raise PeriodError("bad_range")
    if (end - start).days > MAX_RANGE_DAYS:
        raise PeriodError("too_long")
    return custom(start, end)
