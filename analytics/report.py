"""The report matrix of /informes as data: KPIs × a cut (channel, product, owner, team, stage,
province) × a period, per month (monthly, fiscal-year cumulative) or against last year.

Every figure comes from additive parts — the closed deals as ``kpis`` groups them (won/lost,
count, amount, cycle days), the open pipeline (count, amount, amount × probability) and the
activities — read in ONE grouped pass per period with the row sources and formulas of
``analytics.kpis``. So a cut value's KPIs are exactly what the KPI functions give with that
filter, and any group of values — the deals without a value ("Sin canal"), the tail beyond
the rows a chart can show (``OTHERS``, "Otros" on screen) — is the exact sum of its members:
nothing is dropped and the rows add up to the total (weighted amounts are rounded to the cent
once per row, like every other weighted figure).

No display here: the labels of missing values are the KPI module's ("Sin canal"…); the page
names ``OTHERS`` and the total, and formats every figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

import duckdb

from analytics import kpis, periods
from analytics.kpis import _closed_rows, _closed_stats, _members, _open_source, _scoped
from analytics.periods import Period
from analytics.scope import Scope

Con = duckdb.DuckDBPyConnection

REPORT_KPIS = ("won_amount", "won_count", "lost_count", "win_rate", "avg_deal_size",
               "avg_sales_cycle_days", "pipeline_amount", "weighted_amount", "open_count",
               "activities")
CUTS = ("none", "channel", "product", "owner", "team", "stage", "province")
CUTS_BY_SCOPE = {"own": ("none", "channel", "product", "stage", "province"),
                 "team": ("none", "channel", "product", "owner", "stage", "province"),
                 "company": CUTS}
# the ``Filters`` field that narrows a drill-down to one value of the cut
CUT_FILTER = {"channel": "channel", "product": "product_id", "owner": "owner_id",
              "team": "team_id", "stage": "stage_id", "province": "province"}
VIEWS = ("monthly", "cumulative", "yoy")
TOP = 6          # series of the evolution charts (the last one "Otros" when there are more)
CHART_ROWS = 12  # bars of a chart (the last one "Otros" when there are more)
OTHERS = "__others__"  # the key of the row that groups the tail

# KPIs that add up: a value with no deals in a month shows 0, not "—".
ADDITIVE = frozenset({"won_amount", "won_count", "lost_count", "closed_count",
                      "pipeline_amount", "weighted_amount", "open_count", "activities"})
CLOSED_KEYS = frozenset({"won_amount", "won_count", "lost_count", "closed_count", "win_rate",
                         "avg_deal_size", "avg_sales_cycle_days"})
OPEN_KEYS = frozenset({"pipeline_amount", "weighted_amount", "open_count"})
# the activities have no stage of their own: they are cut by their opportunity's stage now
_ACTIVITY_COLUMN = {"stage": "cur_stage_id"}


# ---------------------------------------------------------------- additive parts


@dataclass
class Parts:
    """What a group of deals and activities adds up to, in a period."""

    closed: list[tuple[Any, ...]] = field(default_factory=list)  # kind, stage, n, amount, days
    open_count: int = 0
    pipeline: Decimal = kpis.ZERO
    weighted_x100: Decimal = kpis.ZERO  # Σ amount × probability (%): ÷ 100 once, at the end
    activities: int = 0

    def __add__(self, other: Parts) -> Parts:
        return Parts(self.closed + other.closed, self.open_count + other.open_count,
                     self.pipeline + other.pipeline, self.weighted_x100 + other.weighted_x100,
                     self.activities + other.activities)

    def has_data(self) -> bool:
        return bool(self.closed or self.open_count or self.activities)

    def figures(self) -> dict[str, Any]:
        """The report KPIs, by the KPI module's own formulas."""
        st = _closed_stats(self.closed)
        st.pop("lost_by_stage")
        weighted = self.weighted_x100 / 100
        st.update(kpis.pipeline_totals([{"count": self.open_count, "amount": self.pipeline,
                                         "weighted_amount": weighted,
                                         "weighted_exact": weighted}]))
        st["activities"] = self.activities
        return st


def total(parts: Iterable[Parts]) -> Parts:
    out = Parts()
    for p in parts:
        out = out + p
    return out


def _key(value: Any) -> Any:
    return None if value == "" else value  # a blank channel or province is no value


def parts_by(con: Con, scope: Scope, period: Period, cut: str,
             need: frozenset[str] | None = None) -> dict[Any, Parts]:
    """The parts of each value of ``cut`` (``none``: everything under the key ``None``) in
    ``period``: three grouped queries, fewer when ``need`` asks for fewer KPIs."""
    column = kpis.PIPELINE_DIMS[cut][0] if cut != "none" else None
    out: dict[Any, Parts] = defaultdict(Parts)
    if need is None or need & CLOSED_KEYS:
        for row in _closed_rows(con, scope, period, None, column):
            key, rest = (_key(row[0]), row[1:]) if column else (None, row)
            out[key].closed.append(tuple(rest))
    if need is None or need & OPEN_KEYS:
        sub, params = _open_source(con, scope, period, None)
        for key, n, amount, weighted in con.execute(
                f"SELECT {column or 'NULL'}, count(*), sum(amount), sum(weighted) "
                f"FROM ({sub}) o GROUP BY 1", params).fetchall():
            p = out[_key(key)]
            p.open_count += n
            p.pipeline += amount or kpis.ZERO
            p.weighted_x100 += weighted or kpis.ZERO
    if need is None or "activities" in need:
        acol = _ACTIVITY_COLUMN.get(cut, column) if column else "NULL"
        w, params = _scoped("activities", scope, None,
                            ("activity_date BETWEEN ? AND ?", (period.start, period.end)))
        for key, n in con.execute(f"SELECT {acol}, count(*) FROM activities{w} GROUP BY 1",
                                  params).fetchall():
            out[_key(key)].activities += n
    return dict(out)


# ---------------------------------------------------------------- rows


@dataclass
class Row:
    """One value of the cut (``key`` None: the deals without one; ``OTHERS``: the tail)."""

    key: Any
    label: str
    parts: Parts

    @cached_property
    def figures(self) -> dict[str, Any]:
        return self.parts.figures()


def _names(con: Con, scope: Scope, cut: str, keys: set[Any]) -> dict[Any, str]:
    """Labels for ``keys``; for owners and teams also the scope's members and teams, which
    are listed without data too (as on the comparison tables)."""
    _, table, key_col, name_col, empty = kpis.PIPELINE_DIMS[cut]
    if cut == "owner":
        names = {k: name for k, (name, _) in _members(con, scope, keys).items()}
    elif cut == "team":
        cond, params = ("", [])
        if scope.kind == "team":
            cond, params = " WHERE team_id = ?", [scope.team_id]
        names = dict(con.execute(f"SELECT team_id, team_name FROM teams{cond}",
                                 params).fetchall()) if scope.kind != "own" else {}
    elif table is not None:
        names = dict(con.execute(f"SELECT {key_col}, {name_col} FROM {table}").fetchall())
        names = {k: v for k, v in names.items() if k in keys}
    else:
        names = {k: str(k) for k in keys if k is not None}
    names = {k: v for k, v in names.items() if k is not None}
    if None in keys:
        names[None] = empty
    return {**{k: str(k) for k in keys}, **names}


def rows_of(con: Con, scope: Scope, period: Period, cut: str,
            need: frozenset[str] | None = None) -> list[Row]:
    """Every value of ``cut`` with data in ``period`` (owners and teams of the scope also
    without), unsorted. Their parts add up to the period's total."""
    parts = parts_by(con, scope, period, cut, need)
    names = _names(con, scope, cut, set(parts))
    listed = cut in ("owner", "team")
    return [Row(k, names.get(k, str(k)), parts.get(k) or Parts()) for k in names
            if listed or (k in parts and parts[k].has_data())]


def sort_rows(rows: list[Row], kpi: str) -> list[Row]:
    """Highest ``kpi`` first (no value last), then by label."""
    def key(row: Row) -> tuple[float, str]:
        value = row.figures.get(kpi)
        return (-float(value) if value is not None else float("inf"), str(row.label))

    return sorted(rows, key=key)


def with_others(rows: list[Row], limit: int) -> list[Row]:
    """At most ``limit`` rows: the first ``limit - 1`` and ``OTHERS``, the sum of the rest."""
    if len(rows) <= limit:
        return list(rows)
    return [*rows[: limit - 1], Row(OTHERS, "", total(r.parts for r in rows[limit - 1:]))]


# ---------------------------------------------------------------- the report


@dataclass
class Series:
    key: Any
    label: str
    points: list[Parts]  # one per month


@dataclass
class Pair:
    key: Any
    label: str
    current: Parts
    last_year: Parts


@dataclass
class Report:
    period: Period
    built_at: datetime
    fiscal_start: int
    total: Parts
    rows: list[Row]  # every value with data, highest first KPI first ([] without a cut)
    months: list[str] = field(default_factory=list)  # YYYY-MM (monthly and cumulative)
    month_periods: list[Period] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)  # top values and OTHERS (or the total)
    month_totals: list[Parts] = field(default_factory=list)
    last_year: Period | None = None
    pairs: list[Pair] = field(default_factory=list)  # yoy: every value of either year
    last_total: Parts | None = None


def evolution_periods(period: Period, view: str, fiscal_start: int, today: date
                      ) -> list[tuple[str, Period]]:
    """(month key, sub-period) per month of ``period`` up to today: the month itself
    (monthly) or from the start of its fiscal year to the month's end (cumulative)."""
    out = []
    for first in period.months():
        if first > today:
            break
        a = max(first, period.start)
        b = min(periods.add_months(first, 1) - timedelta(days=1), period.end)
        if view == "cumulative":
            a = periods.fiscal_year_of(first, fiscal_start).start
        out.append((first.strftime("%Y-%m"), periods.custom(a, b)))
    return out


def _evolution(con: Con, scope: Scope, report: Report, cut: str, view: str, kpi: str,
               today: date) -> None:
    need = frozenset({kpi})
    parts = evolution_periods(report.period, view, report.fiscal_start, today)
    report.months = [m for m, _ in parts]
    report.month_periods = [p for _, p in parts]
    by_month = [parts_by(con, scope, p, cut, need) for _, p in parts]
    report.month_totals = [total(m.values()) for m in by_month]
    if cut == "none":
        report.series = [Series(None, "", report.month_totals)]
        return
    rows = report.rows
    kept = rows[: TOP - 1] if len(rows) > TOP else rows
    keys = {r.key for r in kept}
    report.series = [Series(r.key, r.label, [m.get(r.key) or Parts() for m in by_month])
                     for r in kept]
    rest = [total(p for k, p in m.items() if k not in keys) for m in by_month]
    if len(rows) > len(kept) or any(p.has_data() for p in rest):
        report.series.append(Series(OTHERS, "", rest))


def _year_over_year(con: Con, scope: Scope, report: Report, cut: str, kpi: str) -> None:
    last = periods.same_period_last_year(report.period)
    report.last_year = last
    if cut == "none":
        report.last_total = total(parts_by(con, scope, last, cut, frozenset({kpi})).values())
        report.pairs = [Pair(None, "", report.total, report.last_total)]
        return
    before = rows_of(con, scope, last, cut, frozenset({kpi}))
    report.last_total = total(r.parts for r in before)
    previous = {r.key: r for r in before}
    report.pairs = [Pair(r.key, r.label, r.parts,
                         previous.pop(r.key).parts if r.key in previous else Parts())
                    for r in report.rows]
    report.pairs += [Pair(r.key, r.label, Parts(), r.parts)
                     for r in sort_rows(list(previous.values()), kpi)]


def build(con: Con, scope: Scope, *, kind: str, ref: date | None, start: date | None,
          end: date | None, cut: str, view: str, keys: list[str], today: date) -> Report:
    """The report: the period (``kind`` with ``ref``, or the ``start``-``end`` range), the
    matrix rows for ``keys`` (the first one sorts), and the view's evolution or last year."""
    fiscal_start = kpis.fiscal_start_month(con)
    if kind == "custom":
        if start is None or end is None:
            raise periods.PeriodError("bad_range")
        period = periods.bounded(start, end)
    else:
        period = periods.of_kind(kind, ref or today, fiscal_start)
    need = frozenset(keys)
    rows = sort_rows(rows_of(con, scope, period, cut, need), keys[0]) if cut != "none" else []
    everything = total(r.parts for r in rows) if cut != "none" else \
        total(parts_by(con, scope, period, cut, need).values())
    report = Report(period, kpis.snapshot_built_at(con), fiscal_start, everything, rows)
    if view == "yoy":
        _year_over_year(con, scope, report, cut, keys[0])
    else:
        _evolution(con, scope, report, cut, view, keys[0], today)
    return report


__all__ = ["ADDITIVE", "CHART_ROWS", "CUTS", "CUTS_BY_SCOPE", "CUT_FILTER", "OTHERS",
           "REPORT_KPIS", "TOP", "VIEWS", "Pair", "Parts", "Report", "Row", "Series", "build",
           "evolution_periods", "parts_by", "rows_of", "sort_rows", "total", "with_others"]
