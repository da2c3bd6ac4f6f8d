"""The KPI library: pure functions over a read-only snapshot connection.

Every function takes ``(con, scope, period, filters)``:

* ``con``: a DuckDB connection from ``analytics.snapshot.open_snapshot``;
* ``scope``: ``analytics.scope.Scope`` (company / team / own), decided on the server from the
  user and applied here in the WHERE clause of every query;
* ``period``: ``analytics.periods.Period`` of local (Europe/Madrid) calendar days, both ends
  included;
* ``filters``: ``analytics.scope.Filters`` (channel, product, owner, team, stage, province),
  ANDed with the scope, so a filter can narrow but never widen what a user sees.

Conventions: money is ``Decimal`` rounded to cents (DuckDB sums ``DECIMAL(18,2)`` exactly);
counts are ``int``; ratios are ``float`` between 0 and 1 rounded to 4 decimals, ``None`` when the
denominator is zero; day and hour averages are ``float`` rounded to 1 decimal, ``None`` when
there is nothing to average. An opportunity's channel is its own, else its account's; its
province is the account's. "Lost" means any stage of kind ``lost`` (Perdida, Cancelada...).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from analytics import periods
from analytics.periods import Period
from analytics.scope import NO_FILTERS, Filters, Scope, where

Con = duckdb.DuckDBPyConnection
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MADRID = ZoneInfo("Europe/Madrid")
ACTIVITY_KINDS = ("call", "meeting", "email", "task", "note")


# ---------------------------------------------------------------- small helpers


def money(value: Any) -> Decimal:
    """Decimal rounded to cents (half up); None → 0,00."""
    if value is None:
        return ZERO
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(num: float | int | Decimal, den: float | int | Decimal) -> float | None:
    return None if not den else round(float(num) / float(den), 4)


def change(current: Decimal | int | float | None,
           previous: Decimal | int | float | None) -> float | None:
    """Relative change (0.25 = +25 %); None when the previous figure is zero or missing."""
    if current is None or previous is None or not previous:
        return None
    return round((float(current) - float(previous)) / float(previous), 4)


def _avg(total: float | None, n: int, digits: int = 1) -> float | None:
    return None if not n or total is None else round(float(total) / n, digits)


def _clause(conds: Sequence[str]) -> str:
    return (" WHERE " + " AND ".join(conds)) if conds else ""


def _scoped(table: str, scope: Scope, filters: Filters | None, *extra: tuple[str, Any],
            alias: str = "", skip: Iterable[str] = ()) -> tuple[str, list[Any]]:
    """WHERE clause for ``table``: scope, filters (minus ``skip``), then extra conditions."""
    f = filters or NO_FILTERS
    if skip:
        f = Filters(**{k: (None if k in skip else v) for k, v in f.__dict__.items()})
    conds, params = where(table, scope, f, alias)
    for cond, value in extra:
        conds.append(cond)
        if isinstance(value, tuple):
            params.extend(value)
        elif value is not None:
            params.append(value)
    return _clause(conds), params


def snapshot_built_at(con: Con) -> datetime:
    """When the snapshot behind ``con`` was built (aware UTC)."""
    return con.execute("SELECT built_at FROM snapshot_meta").fetchone()[0].replace(tzinfo=UTC)


def fiscal_start_month(con: Con) -> int:
    """The organisation's fiscal year start month, as stored in the snapshot."""
    return int(con.execute("SELECT fiscal_year_start_month FROM snapshot_meta").fetchone()[0])


def _end_of_day_utc(day: date) -> datetime:
    """Naive UTC instant of local midnight after ``day`` (the end of that Madrid day)."""
    local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=MADRID)
    return local.astimezone(UTC).replace(tzinfo=None)


def pipeline_as_of(con: Con, period: Period | None) -> datetime | None:
    """The instant the open pipeline is measured at: the end of the period if the period is
    over when the snapshot was built, else None (= the snapshot's current state)."""
    if period is None:
        return None
    built = snapshot_built_at(con)
    if period.end >= built.astimezone(MADRID).date():
        return None
    return _end_of_day_utc(period.end)


def _open_source(con: Con, scope: Scope, period: Period | None,
                 filters: Filters | None) -> tuple[str, list[Any]]:
    """A subquery of the opportunities open at ``pipeline_as_of`` with their stage then:
    columns opportunity_id, stage_id, probability, amount, weighted (amount × probability),
    owner_id, team_id, channel, product_id, province."""
    as_of = pipeline_as_of(con, period)
    f = filters or NO_FILTERS
    if as_of is None:
        w, params = _scoped("opportunities", scope, f, ("stage_kind = 'open'", None))
        return (f"SELECT opportunity_id, stage_id, probability, amount, amount_x_prob AS weighted,"
                f" owner_id, team_id, channel, product_id, province FROM opportunities{w}", params)
    # As of a past instant: the stay covering it, valued at the current amount and the
    # probability of the stage it was in then. The stage filter means the stage at that time.
    sub, params = _stays(scope, f, ("entered_at < ?", as_of),
                         ("(left_at IS NULL OR left_at >= ?)", as_of),
                         *([("stage_id = ?", f.stage_id)] if f.stage_id else []),
                         skip=("stage_id",))
    return (f"SELECT h.opportunity_id, h.stage_id, COALESCE(s.probability, 0) AS probability, "
            f"h.amount, CAST(h.amount * COALESCE(s.probability, 0) AS DECIMAL(18,2)) AS weighted,"
            f" h.owner_id, h.team_id, h.channel, h.product_id, h.province FROM {sub} h "
            f"JOIN stages s ON s.stage_id = h.stage_id AND s.kind = 'open'", params)


_HISTORY_CUTS = ("channel", "product_id", "province", "stage_id")


def _stays(scope: Scope, filters: Filters | None, *extra: tuple[str, Any],
           skip: Iterable[str] = ()) -> tuple[str, list[Any]]:
    """A subquery of the stays in ``stage_history`` (its own columns) in ``scope`` matching
    ``extra`` (conditions on the stays), with the opportunity's amount, channel, product_id and
    province, cut by ``filters`` (minus ``skip``) on the opportunity as it is now.

    The stage history holds only the stay and the scope columns (owner, team); the rest is
    the opportunity's, so it is joined from ``opportunities``, narrowed by the scope on both
    sides, instead of being copied onto ~3 stays per opportunity at every snapshot."""
    hw, hparams = _scoped("stage_history", scope, None, *extra)
    ow, oparams = _scoped("opportunities", scope, filters, skip=skip)
    return (f"(SELECT h.opportunity_id, h.stage_id, h.entered_at, h.left_at, h.left_date, "
            f"h.owner_id, h.team_id, o.amount, o.channel, o.product_id, o.province "
            f"FROM (SELECT * FROM stage_history{hw}) h JOIN (SELECT opportunity_id, amount, "
            f"channel, product_id, province FROM opportunities{ow}) o USING (opportunity_id))",
            hparams + oparams)


# ---------------------------------------------------------------- pipeline


def pipeline_by_stage(con: Con, scope: Scope, period: Period | None = None,
                      filters: Filters | None = None) -> list[dict[str, Any]]:
    """Open pipeline by stage.

    The opportunities in a stage of kind ``open`` at the end of the period (at the snapshot's
    time when the period has not ended yet), per stage: ``count``, ``amount`` = Σ amount and
    ``weighted_amount`` = Σ amount × stage probability / 100, in cents, and ``weighted_exact``,
    the same unrounded (what ``pipeline_totals`` adds up). Every open stage is listed, in
    pipeline order, also when empty.
    """
    sub, params = _open_source(con, scope, period, filters)
    rows = con.execute(
        f"""WITH o AS ({sub})
            SELECT s.stage_id, s.stage_name, s.position, s.probability, s.pipeline_id,
                   count(o.opportunity_id), sum(o.amount), sum(o.weighted)
            FROM stages s LEFT JOIN o ON o.stage_id = s.stage_id
            WHERE s.kind = 'open'
            GROUP BY ALL ORDER BY s.pipeline_id, s.position""", params).fetchall()
    return [{"stage_id": r[0], "stage_name": r[1], "position": r[2], "probability": r[3],
             "pipeline_id": r[4], "count": r[5], "amount": money(r[6]),
             **_weighted(r[7])} for r in rows]


def _weighted(amount_x_prob: Decimal | None) -> dict[str, Decimal]:
    """A stage's weighted amount in cents and exact (Σ amount × probability ÷ 100: at most
    four decimals)."""
    exact = (amount_x_prob or ZERO) / Decimal(100)
    return {"weighted_amount": money(exact), "weighted_exact": exact}


# dim -> (column of the open-pipeline subquery, name table, its key, its name column, label of
# the empty key)
PIPELINE_DIMS: dict[str, tuple[str, str | None, str | None, str | None, str]] = {
    "channel": ("channel", None, None, None, "Sin canal"),
    "product": ("product_id", "products", "product_id", "product_name", "Sin producto"),
    "owner": ("owner_id", "users", "user_id", "user_name", "Sin asignar"),
    "team": ("team_id", "teams", "team_id", "team_name", "Sin equipo"),
    "stage": ("stage_id", "stages", "stage_id", "stage_name", "Sin etapa"),
    "province": ("province", None, None, None, "Sin provincia"),
}


def pipeline_by(con: Con, scope: Scope, period: Period | None = None,
                filters: Filters | None = None, dim: str = "channel") -> list[dict[str, Any]]:
    """Open pipeline grouped by ``dim`` (channel, product, owner, team, stage or province).

    The same opportunities as ``pipeline_by_stage`` (open at the end of the period, at the
    snapshot's time when the period has not ended), in one GROUP BY: one row per value that has
    open deals, ``key`` (the id, or the text for channel and province; None/'' when missing),
    ``label`` (the name; "Sin canal", "Sin producto"... for a missing one), ``count``,
    ``amount`` = Σ amount and ``weighted`` = Σ amount × stage probability / 100. Largest
    amount first, then by label.
    """
    if dim not in PIPELINE_DIMS:
        raise ValueError(f"dim must be one of {tuple(PIPELINE_DIMS)}")
    col, table, key_col, name_col, empty = PIPELINE_DIMS[dim]
    sub, params = _open_source(con, scope, period, filters)
    if table is None:
        sql = (f"WITH o AS ({sub}) SELECT o.{col}, o.{col}, count(*), sum(o.amount), "
               f"sum(o.weighted) FROM o GROUP BY 1")
    else:
        sql = (f"WITH o AS ({sub}) SELECT o.{col}, any_value(n.{name_col}), count(*), "
               f"sum(o.amount), sum(o.weighted) FROM o LEFT JOIN {table} n "
               f"ON n.{key_col} = o.{col} GROUP BY 1")
    rows = [{"key": k, "label": label or empty, "count": n, "amount": money(amount),
             "weighted": money((weighted or 0) / Decimal(100))}
            for k, label, n, amount, weighted in con.execute(sql, params).fetchall()]
    return sorted(rows, key=lambda r: (-r["amount"], r["label"]))


def pipeline_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals of ``pipeline_by_stage`` rows: open ``count``, ``amount``, ``weighted_amount``
    (the exact stage figures added, then rounded once: adding the stages' cents could be a
    cent or two off the same total computed any other way)."""
    return {"open_count": sum(r["count"] for r in rows),
            "pipeline_amount": money(sum((r["amount"] for r in rows), ZERO)),
            "weighted_amount": money(sum((r.get("weighted_exact", r["weighted_amount"])
                                          for r in rows), ZERO))}


# ---------------------------------------------------------------- closed deals


def _closed_rows(con: Con, scope: Scope, period: Period, filters: Filters | None,
                 key: str | None = None) -> list[tuple]:
    group = f"{key}, " if key else ""
    w, params = _scoped("opportunities", scope, filters,
                        ("closed_date BETWEEN ? AND ?", (period.start, period.end)),
                        ("stage_kind IN ('won', 'lost')", None))
    return con.execute(
        f"""SELECT {group}stage_kind, stage_id, count(*), sum(amount),
                   sum(datediff('day', created_date, closed_date))
            FROM opportunities{w} GROUP BY ALL""", params).fetchall()


def stage_names(con: Con) -> dict[int, str]:
    return dict(con.execute("SELECT stage_id, stage_name FROM stages").fetchall())


def _closed_stats(rows: Iterable[tuple], names: dict[int, str] | None = None) -> dict[str, Any]:
    won_n = lost_n = 0
    won_amount = ZERO
    cycle_days = 0
    lost_by_stage: dict[str, int] = {}
    names = names or {}
    for kind, stage_id, n, amount, days in rows:
        stage_name = names.get(stage_id, str(stage_id))
        if kind == "won":
            won_n += n
            won_amount += amount or ZERO
            cycle_days += days or 0
        else:
            lost_n += n
            lost_by_stage[stage_name] = lost_by_stage.get(stage_name, 0) + n
    return {
        "won_amount": money(won_amount), "won_count": won_n, "lost_count": lost_n,
        "lost_by_stage": dict(sorted(lost_by_stage.items())),
        "closed_count": won_n + lost_n, "win_rate": ratio(won_n, won_n + lost_n),
        "avg_deal_size": money(won_amount / won_n) if won_n else None,
        "avg_sales_cycle_days": _avg(cycle_days, won_n),
    }


def closed_summary(con: Con, scope: Scope, period: Period,
                   filters: Filters | None = None) -> dict[str, Any]:
    """Won and lost deals of the period.

    An opportunity is closed in the period when its stage is of kind ``won``/``lost`` and its
    local ``closed_at`` date falls in the period.

    * ``won_amount`` = Σ amount of the won; ``won_count``; ``lost_count`` (Perdida and
      Cancelada alike, split in ``lost_by_stage``); ``closed_count`` = won + lost;
    * ``win_rate`` = won ÷ (won + lost), among those closed in the period;
    * ``avg_deal_size`` = won_amount ÷ won_count;
    * ``avg_sales_cycle_days`` = mean of (closed date − created date) in calendar days over the
      opportunities won in the period.
    """
    return _closed_stats(_closed_rows(con, scope, period, filters), stage_names(con))


# ---------------------------------------------------------------- monthly, cumulative, YoY


def won_by_month(con: Con, scope: Scope, period: Period, filters: Filters | None = None, *,
                 fiscal_start: int | None = None) -> list[dict[str, Any]]:
    """Won amount per month of the period, with the fiscal-year cumulative and last year.

    For each calendar month the period touches (clipped to the period's days):

    * ``won_amount`` / ``won_count``: won in that month;
    * ``won_amount_prev_year``: won in the same days one year earlier;
    * ``yoy_change`` = (won_amount − won_amount_prev_year) ÷ won_amount_prev_year
      (None when last year is zero);
    * ``cumulative_won_amount``: won from the start of the FISCAL year containing the month
      (``Organisation.fiscal_year_start_month``) to the month's last day in the period;
    * ``cumulative_won_amount_prev_year`` and ``cumulative_yoy_change``: the same, a year
      earlier.
    """
    fy = fiscal_start or fiscal_start_month(con)
    lo = periods.add_months(periods.fiscal_year_of(period.start, fy).start, -12)
    w, params = _scoped("opportunities", scope, filters, ("stage_kind = 'won'", None),
                        ("closed_date BETWEEN ? AND ?", (lo, period.end)))
    daily = con.execute(f"SELECT closed_date, sum(amount), count(*) FROM opportunities{w} "
                        "GROUP BY 1 ORDER BY 1", params).fetchall()
    return _months(daily, period, fy)


def _sum_days(daily: list[tuple], a: date, b: date) -> tuple[Decimal, int]:
    amount, n = ZERO, 0
    for day, value, count in daily:
        if day is not None and a <= day <= b:
            amount += value or ZERO
            n += count
    return money(amount), n


def _months(daily: list[tuple], period: Period, fy: int) -> list[dict[str, Any]]:
    """``won_by_month`` rows from (closed date, won amount, won count) triples."""
    out = []
    for first in period.months():
        a = max(first, period.start)
        b = min(periods.add_months(first, 1) - timedelta(days=1), period.end)
        a_prev, b_prev = periods.add_months(a, -12), periods.add_months(b, -12)
        fy_start = periods.fiscal_year_of(first, fy).start
        won, n = _sum_days(daily, a, b)
        prev, _ = _sum_days(daily, a_prev, b_prev)
        cum, _ = _sum_days(daily, fy_start, b)
        cum_prev, _ = _sum_days(daily, periods.add_months(fy_start, -12), b_prev)
        out.append({"month": first.strftime("%Y-%m"), "won_amount": won, "won_count": n,
                    "won_amount_prev_year": prev, "yoy_change": change(won, prev),
                    "cumulative_won_amount": cum, "cumulative_won_amount_prev_year": cum_prev,
                    "cumulative_yoy_change": change(cum, cum_prev)})
    return out


def _ytd(daily: list[tuple], period: Period, fy: int) -> dict[str, Any]:
    start = periods.fiscal_year_of(period.end, fy).start
    won, n = _sum_days(daily, start, period.end)
    prev, _ = _sum_days(daily, periods.add_months(start, -12),
                        periods.add_months(period.end, -12))
    return {"from": start, "to": period.end, "won_amount": won, "won_count": n,
            "won_amount_prev_year": prev, "yoy_change": change(won, prev)}


def fiscal_year_to_date(con: Con, scope: Scope, period: Period, filters: Filters | None = None,
                        *, fiscal_start: int | None = None) -> dict[str, Any]:
    """Won from the start of the fiscal year containing ``period.end`` up to ``period.end``,
    with the same span a year earlier and the change."""
    fy = fiscal_start or fiscal_start_month(con)
    start = periods.fiscal_year_of(period.end, fy).start
    w, params = _scoped("opportunities", scope, filters, ("stage_kind = 'won'", None),
                        ("closed_date BETWEEN ? AND ?",
                         (periods.add_months(start, -12), period.end)))
    daily = con.execute(f"SELECT closed_date, sum(amount), count(*) FROM opportunities{w} "
                        "GROUP BY 1", params).fetchall()
    return _ytd(daily, period, fy)


# ---------------------------------------------------------------- funnel and stage times


def _default_pipeline(con: Con) -> int | None:
    pipelines = [r[0] for r in con.execute("SELECT DISTINCT pipeline_id FROM stages "
                                           "ORDER BY 1").fetchall()]
    if len(pipelines) <= 1:
        return pipelines[0] if pipelines else None
    row = con.execute("SELECT pipeline_id FROM opportunities GROUP BY 1 "
                      "ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()
    return row[0] if row else pipelines[0]


def _in_pipeline(pipeline_id: int | None) -> tuple[str, Any]:
    """The condition for one pipeline; none at all (no stages yet) matches nothing (a bare
    ``pipeline_id = ?`` would be left without its parameter)."""
    return ("pipeline_id = ?", pipeline_id) if pipeline_id is not None else ("FALSE", None)


def funnel(con: Con, scope: Scope, period: Period, filters: Filters | None = None, *,
           pipeline_id: int | None = None) -> list[dict[str, Any]]:
    """Stage conversion funnel of the opportunities CREATED in the period.

    For each open stage and the won stage of the pipeline, in order, ``reached`` = how many of
    those opportunities have been in that stage or a later one (from the stage history; a skip
    from stage 1 to 3 counts as reaching 2; lost stages do not count as progress).
    ``conversion`` = reached ÷ reached at the previous stage; ``conversion_from_first`` =
    reached ÷ reached at the first stage. The pipeline defaults to the one with most
    opportunities.
    """
    pipeline_id = pipeline_id or _default_pipeline(con)
    w, params = _scoped("opportunities", scope, filters,
                        ("created_date BETWEEN ? AND ?", (period.start, period.end)),
                        _in_pipeline(pipeline_id))
    return _funnel_rows(con, pipeline_id, _reach(con, scope, w, params))


def _reach(con: Con, scope: Scope, where_sql: str, params: list[Any]) -> list[tuple]:
    """(furthest non-lost stage position reached, count) over the opportunities that
    ``where_sql`` selects, from their stays in the stage history (a few ms for a month's
    cohort: cheaper than keeping the figure for every opportunity at each snapshot)."""
    hw, hparams = _scoped("stage_history", scope, None)
    return con.execute(
        f"""WITH c AS (SELECT opportunity_id FROM opportunities{where_sql}),
                 r AS (SELECT h.opportunity_id,
                              max(CASE WHEN s.kind <> 'lost' THEN s.position END) AS p
                       FROM (SELECT opportunity_id, stage_id FROM stage_history{hw}) h
                       JOIN c USING (opportunity_id) JOIN stages s USING (stage_id)
                       GROUP BY 1)
            SELECT p, count(*) FROM r GROUP BY 1""", params + hparams).fetchall()


def _funnel_rows(con: Con, pipeline_id: int | None,
                 reach: Iterable[tuple]) -> list[dict[str, Any]]:
    """Funnel rows from (furthest position reached, count) pairs."""
    reach = [(pos, n) for pos, n in reach if pos is not None]
    stages = con.execute("SELECT stage_id, stage_name, position, kind FROM stages WHERE "
                         "pipeline_id = ? AND kind <> 'lost' ORDER BY position",
                         [pipeline_id]).fetchall()
    rows = [(*st, sum(n for pos, n in reach if pos >= st[2])) for st in stages]
    out: list[dict[str, Any]] = []
    first = rows[0][4] if rows else 0
    for i, (stage_id, name, pos, kind, reached) in enumerate(rows):
        prev = rows[i - 1][4] if i else None
        out.append({"stage_id": stage_id, "stage_name": name, "position": pos, "kind": kind,
                    "reached": reached,
                    "conversion": ratio(reached, prev) if i else (1.0 if reached else None),
                    "conversion_from_first": ratio(reached, first)})
    return out


def stage_durations(con: Con, scope: Scope, period: Period,
                    filters: Filters | None = None) -> list[dict[str, Any]]:
    """Average days in each stage: over the stays in a stage that ENDED in the period (the
    opportunity moved on during it), ``avg_days`` = mean of (left − entered) in days and
    ``stays`` = how many. From the stage history; stays still running are not averaged."""
    ended = ("left_date BETWEEN ? AND ?", (period.start, period.end))
    f = filters or NO_FILTERS
    if f.active().keys() & set(_HISTORY_CUTS):
        source, params = _stays(scope, f, ended)
    else:
        w, params = _scoped("stage_history", scope, f, ended)
        source = f"(SELECT * FROM stage_history{w})"
    rows = con.execute(
        f"""WITH h AS (SELECT stage_id, count(*) AS n,
                              avg(epoch(left_at) - epoch(entered_at)) / 86400.0 AS d
                       FROM {source} GROUP BY stage_id)
            SELECT h.stage_id, s.stage_name, s.position, h.n, h.d
            FROM h LEFT JOIN stages s USING (stage_id) ORDER BY s.pipeline_id, s.position""",
        params).fetchall()
    return [{"stage_id": r[0], "stage_name": r[1], "position": r[2], "stays": r[3],
             "avg_days": round(r[4], 1)} for r in rows]


# ---------------------------------------------------------------- leads, quotes, activities


def lead_conversion(con: Con, scope: Scope, period: Period,
                    filters: Filters | None = None) -> dict[str, Any]:
    """Leads created in the period: ``leads``; ``converted`` = those that became an opportunity
    (``converted_opportunity_id`` set, at any time until the snapshot); ``conversion_rate`` =
    converted ÷ leads; ``responded`` = those with a first response and ``avg_response_hours`` =
    mean hours from creation to the first response, the response being ``first_contacted_at``
    or else the first activity on the lead (negative gaps count as 0). The channel filter
    matches the lead's source; product and stage filters do not apply to leads."""
    w, params = _scoped("leads", scope, filters,
                        ("created_date BETWEEN ? AND ?", (period.start, period.end)))
    n, conv, responded, hours = con.execute(
        f"""SELECT count(*), count(converted_opportunity_id), count(response_hours),
                   sum(greatest(response_hours, 0))
            FROM leads{w}""", params).fetchone()
    return {"leads": n, "converted": conv, "conversion_rate": ratio(conv, n),
            "responded": responded, "avg_response_hours": _avg(hours, responded)}


def quotes_summary(con: Con, scope: Scope, period: Period,
                   filters: Filters | None = None) -> dict[str, Any]:
    """Quotes (presupuestos) issued in the period: the latest version of each number, drafts
    excluded, with its issue date in the period. ``issued``; ``quoted_amount`` = Σ taxable
    base (before IVA); ``accepted``/``rejected``/``expired``; ``acceptance_rate`` = accepted ÷
    (accepted + rejected + expired), i.e. among those already decided; quotes still ``enviado``
    are ``pending``."""
    w, params = _scoped("quotes", scope, filters, ("is_latest", None),
                        ("status <> 'borrador'", None),
                        ("issue_date BETWEEN ? AND ?", (period.start, period.end)))
    n, amount, acc, rej, exp = con.execute(
        f"""SELECT count(*), sum(base_total), count(*) FILTER (WHERE status = 'aceptado'),
                   count(*) FILTER (WHERE status = 'rechazado'),
                   count(*) FILTER (WHERE status = 'caducado')
            FROM quotes{w}""", params).fetchone()
    decided = acc + rej + exp
    return {"issued": n, "quoted_amount": money(amount), "accepted": acc, "rejected": rej,
            "expired": exp, "pending": n - decided, "acceptance_rate": ratio(acc, decided)}


def activities_by_owner(con: Con, scope: Scope, period: Period,
                        filters: Filters | None = None) -> list[dict[str, Any]]:
    """Activities per comercial by type, in the period. An activity counts on the day it was
    done (``done_at``); notes and e-mails, records of something that happened, count when
    logged if they have no ``done_at``; pending tasks do not count. One row per owner with a
    count per kind (call, meeting, email, task, note) and ``total``, busiest first."""
    w, params = _scoped("activities", scope, filters,
                        ("activity_date BETWEEN ? AND ?", (period.start, period.end)))
    rows = con.execute(
        f"""WITH a AS (SELECT owner_id, kind, count(*) AS n FROM activities{w} GROUP BY ALL)
            SELECT a.owner_id, COALESCE(u.user_name, ''), a.kind, a.n
            FROM a LEFT JOIN users u ON u.user_id = a.owner_id""", params).fetchall()
    by_owner: dict[Any, dict[str, Any]] = {}
    for owner_id, name, kind, n in rows:
        row = by_owner.setdefault(owner_id, {"owner_id": owner_id, "owner_name": name,
                                             **{k: 0 for k in ACTIVITY_KINDS}, "total": 0})
        row[kind] = row.get(kind, 0) + n
        row["total"] += n
    return sorted(by_owner.values(), key=lambda r: (-r["total"], r["owner_name"]))


def activities_by_kind(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Totals per kind from ``activities_by_owner`` rows."""
    return {k: sum(r.get(k, 0) for r in rows) for k in (*ACTIVITY_KINDS, "total")}


# ---------------------------------------------------------------- comparison tables


def _breakdown(con: Con, scope: Scope, period: Period, filters: Filters | None,
               key: str) -> dict[Any, dict[str, Any]]:
    """Closed, open and activity figures grouped by ``key`` (owner_id, team_id or channel)."""
    closed: dict[Any, list[tuple]] = defaultdict(list)
    for row in _closed_rows(con, scope, period, filters, key):
        closed[row[0]].append(row[1:])
    names = stage_names(con)
    sub, params = _open_source(con, scope, period, filters)
    open_rows = con.execute(f"SELECT {key}, count(*), sum(amount), sum(weighted) FROM ({sub}) "
                            "GROUP BY 1", params).fetchall()
    w, aparams = _scoped("activities", scope, filters,
                         ("activity_date BETWEEN ? AND ?", (period.start, period.end)))
    acts = dict(con.execute(f"SELECT {key}, count(*) FROM activities{w} GROUP BY 1",
                            aparams).fetchall())
    out: dict[Any, dict[str, Any]] = {}
    for k in set(closed) | {r[0] for r in open_rows} | set(acts):
        st = _closed_stats(closed.get(k, []), names)
        st.pop("lost_by_stage")
        out[k] = {**st, "open_count": 0, "pipeline_amount": ZERO,
                  "weighted_amount": ZERO, "activities": acts.get(k, 0)}
    for k, n, amount, weighted in open_rows:
        out[k].update(open_count=n, pipeline_amount=money(amount),
                      weighted_amount=money((weighted or 0) / Decimal(100)))
    return out


def _empty_stats() -> dict[str, Any]:
    st = _closed_stats([])
    st.pop("lost_by_stage")
    return {**st, "open_count": 0, "pipeline_amount": ZERO,
            "weighted_amount": ZERO, "activities": 0}


def comparison_by_owner(con: Con, scope: Scope, period: Period,
                        filters: Filters | None = None) -> list[dict[str, Any]]:
    """Per-comercial table: for each owner in the scope, the ``closed_summary`` figures of the
    period, the open pipeline (``open_count``, ``pipeline_amount``, ``weighted_amount``, as in
    ``pipeline_by_stage``) and ``activities`` done. Every active comercial or manager of the
    scope is listed, also without data; highest won amount first."""
    stats = _breakdown(con, scope, period, filters, "owner_id")
    if scope.kind == "own":
        members = con.execute("SELECT user_id, user_name, team_id FROM users WHERE user_id = ?",
                              [scope.user_id]).fetchall()
    else:
        cond, params = ("", [])
        if scope.kind == "team":
            cond, params = " AND team_id = ?", [scope.team_id]
        members = con.execute("SELECT user_id, user_name, team_id FROM users WHERE active AND "
                              f"role IN ('comercial', 'manager'){cond}", params).fetchall()
    names = {r[0]: (r[1], r[2]) for r in members}
    missing = [k for k in stats if k is not None and k not in names]
    if missing:
        extra = con.execute("SELECT user_id, user_name, team_id FROM users WHERE user_id IN "
                            f"({', '.join('?' * len(missing))})", missing).fetchall()
        names.update({r[0]: (r[1], r[2]) for r in extra})
    rows = []
    for owner_id in set(names) | set(stats):
        name, team_id = names.get(owner_id, ("Sin asignar", None))
        rows.append({"owner_id": owner_id, "owner_name": name, "team_id": team_id,
                     **stats.get(owner_id, _empty_stats())})
    return sorted(rows, key=lambda r: (-r["won_amount"], r["owner_name"]))


def comparison_by_team(con: Con, scope: Scope, period: Period,
                       filters: Filters | None = None) -> list[dict[str, Any]]:
    """Per-team table: the same figures as ``comparison_by_owner`` per team. Every team of the
    scope is listed, also without data; highest won amount first."""
    stats = _breakdown(con, scope, period, filters, "team_id")
    if scope.kind == "company":
        teams = con.execute("SELECT team_id, team_name FROM teams").fetchall()
    elif scope.kind == "team":
        teams = con.execute("SELECT team_id, team_name FROM teams WHERE team_id = ?",
                            [scope.team_id]).fetchall()
    else:
        teams = []
    names = dict(teams)
    rows = [{"team_id": t, "team_name": names.get(t, "Sin equipo"),
             **stats.get(t, _empty_stats())} for t in set(names) | set(stats)]
    return sorted(rows, key=lambda r: (-r["won_amount"], r["team_name"]))


def by_channel(con: Con, scope: Scope, period: Period,
               filters: Filters | None = None) -> list[dict[str, Any]]:
    """Per-channel table (the opportunity's channel, else its account's; '' shown as "Sin
    canal"): the same figures as ``comparison_by_owner``; highest won amount first."""
    stats = _breakdown(con, scope, period, filters, "channel")
    rows = [{"channel": k or "", "channel_label": k or "Sin canal", **v}
            for k, v in stats.items()]
    return sorted(rows, key=lambda r: (-r["won_amount"], -r["pipeline_amount"], r["channel"]))


# ---------------------------------------------------------------- drill-down


DRILL_STATUSES = ("open", "won", "lost", "closed", "created")
_ORDER = {"amount_desc": "{p}amount DESC, {p}opportunity_id",
          "amount_asc": "{p}amount, {p}opportunity_id",
          "closed_desc": "{p}closed_date DESC NULLS LAST, {p}opportunity_id",
          "created_desc": "{p}created_date DESC, {p}opportunity_id"}


def opportunities_list(con: Con, scope: Scope, period: Period, filters: Filters | None = None,
                       *, status: str = "closed", month: str | None = None, offset: int = 0,
                       limit: int = 50, order: str = "amount_desc") -> dict[str, Any]:
    """The opportunities behind a figure (drill-down), paginated in the query.

    ``status``: ``open`` (open at the end of the period, as in ``pipeline_by_stage``), ``won``,
    ``lost``, ``closed`` (closed in the period, as in ``closed_summary``) or ``created``
    (created in the period, the funnel's cohort). ``month`` (``YYYY-MM``) narrows the period
    to that month (a bar of ``won_by_month``). Returns ``{"items", "total"}``.
    """
    if status not in DRILL_STATUSES:
        raise ValueError(f"status must be one of {DRILL_STATUSES}")
    if month:
        m = periods.parse_month(month)
        period = periods.custom(max(m.start, period.start), min(m.end, period.end))
    cols = ("o.opportunity_id, o.account_id, o.owner_id, o.team_id, o.product_id, "
            "o.channel, o.province, {stage} AS stage_id, o.amount, o.created_date, "
            "o.closed_date, o.expected_close")
    if status == "open":
        sub, params = _open_source(con, scope, period, filters)
        base = f"FROM ({sub}) x JOIN opportunities o USING (opportunity_id)"
        select = cols.format(stage="x.stage_id")
    else:
        extra: list[tuple[str, Any]] = []
        if status == "created":
            extra.append(("created_date BETWEEN ? AND ?", (period.start, period.end)))
        else:
            extra.append(("closed_date BETWEEN ? AND ?", (period.start, period.end)))
            kinds = {"won": "('won')", "lost": "('lost')", "closed": "('won', 'lost')"}[status]
            extra.append((f"stage_kind IN {kinds}", None))
        w, params = _scoped("opportunities", scope, filters, *extra, alias="o")
        base = f"FROM opportunities o{w}"
        select = cols.format(stage="o.stage_id")
    total = con.execute(f"SELECT count(*) {base}", params).fetchone()[0]
    order_sql = _ORDER.get(order, _ORDER["amount_desc"])
    cur = con.execute(
        f"""WITH page AS (SELECT {select} {base} ORDER BY {order_sql.format(p='o.')}
                          LIMIT ? OFFSET ?)
            SELECT page.*, COALESCE(a.account_name, '') AS account_name,
                   COALESCE(u.user_name, '') AS owner_name,
                   COALESCE(t.team_name, '') AS team_name,
                   COALESCE(p.product_name, '') AS product_name, s.stage_name,
                   s.kind AS stage_kind, s.probability
            FROM page LEFT JOIN accounts a USING (account_id) LEFT JOIN users u
              ON u.user_id = page.owner_id LEFT JOIN teams t ON t.team_id = page.team_id
            LEFT JOIN products p USING (product_id) LEFT JOIN stages s USING (stage_id)
            ORDER BY {order_sql.format(p='page.')}""",
        [*params, int(limit), int(offset)])
    names = [d[0] for d in cur.description]
    items = []
    for r in cur.fetchall():
        item = dict(zip(names, r, strict=True))
        item["amount"] = money(item["amount"])
        items.append(item)
    return {"items": items, "total": total}


# ---------------------------------------------------------------- the dashboard


def kpi_cards(con: Con, scope: Scope, period: Period,
              filters: Filters | None = None) -> dict[str, Any]:
    """The headline figures of a period: ``closed_summary`` + ``lead_conversion`` +
    ``quotes_summary`` + ``activities`` (total done)."""
    cards = closed_summary(con, scope, period, filters)
    cards.update(lead_conversion(con, scope, period, filters))
    cards.update(quotes_summary(con, scope, period, filters))
    w, params = _scoped("activities", scope, filters,
                        ("activity_date BETWEEN ? AND ?", (period.start, period.end)))
    cards["activities"] = con.execute(f"SELECT count(*) FROM activities{w}", params).fetchone()[0]
    return cards


CHANGE_KEYS = ("won_amount", "won_count", "lost_count", "win_rate", "avg_deal_size",
               "avg_sales_cycle_days", "leads", "conversion_rate", "avg_response_hours",
               "issued", "quoted_amount", "acceptance_rate", "activities")


def dashboard(con: Con, scope: Scope, period: Period, filters: Filters | None = None, *,
              previous: Period | None = None) -> dict[str, Any]:
    """Everything a role dashboard shows, for one scope and period, in a handful of queries.

    ``kpis`` (``kpi_cards`` + open pipeline totals), ``previous`` (the same cards for the
    previous period, ``periods.previous`` unless given) and ``changes`` (relative change per
    card); ``by_stage`` (``pipeline_by_stage``), ``by_month`` (``won_by_month``), ``fiscal_ytd``
    (``fiscal_year_to_date``), ``funnel``, ``stage_durations``, ``by_channel``,
    ``activities_by_owner`` and ``activities_by_kind``; ``by_owner``
    (``comparison_by_owner``) for a team scope and ``by_team`` (``comparison_by_team``) for the
    company; ``snapshot_at`` (UTC) and the ``scope``. Each figure equals what the single KPI
    function returns (tested); this path only shares the scans: one grouped pass over the
    opportunities (GROUPING SETS), one over activities, one each over leads and quotes.
    """
    previous = previous or periods.previous(period)
    built_at, fy = con.execute("SELECT built_at, fiscal_year_start_month "
                               "FROM snapshot_meta").fetchone()
    built_at = built_at.replace(tzinfo=UTC)
    names = stage_names(con)
    kinds = dict(con.execute("SELECT stage_id, kind FROM stages").fetchall())
    pipeline_id = _default_pipeline(con)
    cs, ce, ps, pe = period.start, period.end, previous.start, previous.end
    lo = periods.add_months(periods.fiscal_year_of(cs, fy).start, -12)
    lo = min(lo, periods.add_months(periods.fiscal_year_of(ce, fy).start, -12))
    key = "owner_id" if scope.kind != "company" else "team_id"

    # 1. opportunities: closed in the period and the previous one, open now (one grouped
    # pass); won per day over two fiscal years; the funnel cohort
    as_of = pipeline_as_of(con, period)
    open_cond = "stage_kind = 'open' OR " if as_of is None else ""
    w, params = _scoped(
        "opportunities", scope, filters,
        (f"({open_cond}closed_date BETWEEN ? AND ? OR closed_date BETWEEN ? AND ?)",
         (cs, ce, ps, pe)))
    rows = con.execute(
        f"""SELECT CASE WHEN closed_date BETWEEN ? AND ? THEN 1
                        WHEN closed_date BETWEEN ? AND ? THEN 2 ELSE 0 END AS bucket,
                   stage_id, {key} AS k, channel, count(*), sum(amount), sum(amount_x_prob),
                   sum(datediff('day', created_date, closed_date))
            FROM opportunities{w} GROUP BY ALL""",
        [cs, ce, ps, pe, *params]).fetchall()
    # one hash aggregate at the finest grain, rolled up here (a few thousand rows at most)
    closed_acc: dict[int, dict[Any, list]] = {1: {}, 2: {}}
    open_by_stage: dict[int, tuple] = {}
    by_key: dict[str, dict[Any, dict[str, list]]] = {"k": {}, "channel": {}}
    for bucket, stage_id, k, channel, n, amount, xprob, cycle in rows:
        kind = kinds.get(stage_id)
        if bucket in (1, 2):
            acc = closed_acc[bucket].setdefault(stage_id, [0, ZERO, 0])
            acc[0] += n
            acc[1] += amount or ZERO
            acc[2] += cycle or 0
        elif kind == "open":
            acc = open_by_stage.setdefault(stage_id, (0, ZERO, ZERO))
            open_by_stage[stage_id] = (acc[0] + n, acc[1] + (amount or ZERO),
                                       acc[2] + (xprob or ZERO))
        for target, value in (("k", k), ("channel", channel)):
            group = by_key[target].setdefault(value, {"closed": [], "open": []})
            if bucket == 1:
                group["closed"].append((kind, stage_id, n, amount, cycle))
            elif kind == "open" and bucket == 0:
                group["open"].append((n, amount, xprob))
    closed = {b: [(kinds.get(sid), sid, *vals) for sid, vals in acc.items()]
              for b, acc in closed_acc.items()}
    dw, dparams = _scoped("opportunities", scope, filters, ("stage_kind = 'won'", None),
                          ("closed_date BETWEEN ? AND ?", (lo, ce)))
    daily = con.execute(f"SELECT closed_date, sum(amount), count(*) FROM opportunities{dw} "
                        "GROUP BY 1", dparams).fetchall()
    fw, fparams = _scoped("opportunities", scope, filters,
                          ("created_date BETWEEN ? AND ?", (cs, ce)),
                          _in_pipeline(pipeline_id))
    reach = _reach(con, scope, fw, fparams)

    # the open pipeline at the end of a period that is over comes from the stage history
    if as_of is not None:
        sub, sparams = _open_source(con, scope, period, filters)
        open_by_stage = {}
        for group in (*by_key["k"].values(), *by_key["channel"].values()):
            group["open"] = []
        for gs, gk, stage_id, k, channel, n, amount, xprob in con.execute(
                f"""SELECT GROUPING(stage_id), GROUPING({key}), stage_id, {key}, channel,
                           count(*), sum(amount), sum(weighted)
                    FROM ({sub}) GROUP BY GROUPING SETS ((stage_id), ({key}), (channel))""",
                sparams).fetchall():
            if gs == 0:
                open_by_stage[stage_id] = (n, amount, xprob)
            else:
                target, value = ("k", k) if gk == 0 else ("channel", channel)
                by_key[target].setdefault(value, {"closed": [], "open": []})["open"].append(
                    (n, amount, xprob))
    by_stage = [{"stage_id": sid, "stage_name": sname, "position": pos, "probability": prob,
                 "pipeline_id": pid, "count": open_by_stage.get(sid, (0,))[0],
                 "amount": money(open_by_stage.get(sid, (0, None))[1]),
                 **_weighted(open_by_stage.get(sid, (0, 0, None))[2])}
                for sid, sname, pos, prob, pid in con.execute(
                    "SELECT stage_id, stage_name, position, probability, pipeline_id FROM stages"
                    " WHERE kind = 'open' ORDER BY pipeline_id, position").fetchall()]

    # 2. activities, 3. leads, 4. quotes: current and previous period in one pass each
    both = ("(activity_date BETWEEN ? AND ? OR activity_date BETWEEN ? AND ?)", (cs, ce, ps, pe))
    aw, aparams = _scoped("activities", scope, filters, both)
    act_rows = con.execute(
        f"""WITH a AS (SELECT CASE WHEN activity_date BETWEEN ? AND ? THEN 1 ELSE 2 END AS bucket,
                              owner_id, {key} AS k, channel, kind FROM activities{aw})
            SELECT GROUPING(bucket, owner_id, kind), GROUPING(bucket, k),
                   GROUPING(bucket, channel), bucket, owner_id, kind, k, channel, count(*)
            FROM a GROUP BY GROUPING SETS ((bucket, owner_id, kind), (bucket, k),
                                          (bucket, channel))""",
        [cs, ce, *aparams]).fetchall()
    per_owner: dict[Any, dict[str, int]] = {}
    act_total = {1: 0, 2: 0}
    act_by: dict[str, dict[Any, int]] = {"k": {}, "channel": {}}
    for ga, gb, gc, bucket, owner_id, kind, k, channel, n in act_rows:
        if ga == 0:
            act_total[bucket] += n
            if bucket == 1:
                per_owner.setdefault(owner_id, {})[kind] = n
        elif gb == 0 and bucket == 1:
            act_by["k"][k] = n
        elif gc == 0 and bucket == 1:
            act_by["channel"][channel] = n
    users = dict(con.execute("SELECT user_id, user_name FROM users").fetchall())
    acts = sorted(({"owner_id": o, "owner_name": users.get(o, ""),
                    **{kk: per_owner[o].get(kk, 0) for kk in ACTIVITY_KINDS},
                    "total": sum(per_owner[o].values())} for o in per_owner),
                  key=lambda r: (-r["total"], r["owner_name"]))

    lw, lparams = _scoped("leads", scope, filters,
                          ("(created_date BETWEEN ? AND ? OR created_date BETWEEN ? AND ?)",
                           (cs, ce, ps, pe)))
    leads = {r[0]: r[1:] for r in con.execute(
        f"""SELECT CASE WHEN created_date BETWEEN ? AND ? THEN 1 ELSE 2 END, count(*),
                   count(converted_opportunity_id), count(response_hours),
                   sum(greatest(response_hours, 0))
            FROM leads{lw} GROUP BY 1""", [cs, ce, *lparams]).fetchall()}
    qw, qparams = _scoped("quotes", scope, filters, ("is_latest", None),
                          ("status <> 'borrador'", None),
                          ("(issue_date BETWEEN ? AND ? OR issue_date BETWEEN ? AND ?)",
                           (cs, ce, ps, pe)))
    quotes = {r[0]: r[1:] for r in con.execute(
        f"""SELECT CASE WHEN issue_date BETWEEN ? AND ? THEN 1 ELSE 2 END, count(*),
                   sum(base_total), count(*) FILTER (WHERE status = 'aceptado'),
                   count(*) FILTER (WHERE status = 'rechazado'),
                   count(*) FILTER (WHERE status = 'caducado')
            FROM quotes{qw} GROUP BY 1""", [cs, ce, *qparams]).fetchall()}

    def cards(bucket: int) -> dict[str, Any]:
        out = _closed_stats(closed[bucket], names)
        n, conv, responded, hours = leads.get(bucket, (0, 0, 0, None))
        out.update({"leads": n, "converted": conv, "conversion_rate": ratio(conv, n),
                    "responded": responded, "avg_response_hours": _avg(hours, responded)})
        qn, qamount, acc, rej, exp = quotes.get(bucket, (0, None, 0, 0, 0))
        out.update({"issued": qn, "quoted_amount": money(qamount), "accepted": acc,
                    "rejected": rej, "expired": exp, "pending": qn - acc - rej - exp,
                    "acceptance_rate": ratio(acc, acc + rej + exp)})
        out["activities"] = act_total[bucket]
        return out

    def stats(target: str, k: Any) -> dict[str, Any]:
        group = by_key[target].get(k, {"closed": [], "open": []})
        st = _closed_stats(group["closed"], names)
        st.pop("lost_by_stage")
        n = sum(x[0] for x in group["open"])
        st.update(open_count=n,
                  pipeline_amount=money(sum((x[1] or ZERO for x in group["open"]), ZERO)),
                  weighted_amount=money(sum((x[2] or ZERO for x in group["open"]), ZERO)
                                        / Decimal(100)),
                  activities=act_by[target].get(k, 0))
        return st

    kpis = cards(1)
    kpis.update(pipeline_totals(by_stage))
    prev = cards(2)
    out: dict[str, Any] = {
        "snapshot_at": built_at,
        "scope": scope.as_dict(),
        "period": {"from": period.start, "to": period.end, "label": period.label},
        "previous_period": {"from": previous.start, "to": previous.end,
                            "label": previous.label},
        "kpis": kpis,
        "previous": prev,
        "changes": {k: change(kpis.get(k), prev.get(k)) for k in CHANGE_KEYS},
        "by_stage": by_stage,
        "by_month": _months(daily, period, fy),
        "fiscal_ytd": _ytd(daily, period, fy),
        "funnel": _funnel_rows(con, pipeline_id, reach),
        "stage_durations": stage_durations(con, scope, period, filters),
        "by_channel": sorted(
            ({"channel": c or "", "channel_label": c or "Sin canal", **stats("channel", c)}
             for c in set(by_key["channel"]) | set(act_by["channel"])
             if _has_data(by_key["channel"].get(c), act_by["channel"].get(c))),
            key=lambda r: (-r["won_amount"], -r["pipeline_amount"], r["channel"])),
        "activities_by_owner": acts,
        "activities_by_kind": activities_by_kind(acts),
    }
    if scope.kind == "team":
        members = _members(con, scope, {k for k in by_key["k"] if _has_data(
            by_key["k"].get(k), None)} | set(act_by["k"]))
        out["by_owner"] = sorted(
            ({"owner_id": o, "owner_name": name, "team_id": team, **stats("k", o)}
             for o, (name, team) in members.items()),
            key=lambda r: (-r["won_amount"], r["owner_name"]))
    if scope.kind == "company":
        teams = dict(con.execute("SELECT team_id, team_name FROM teams").fetchall())
        out["by_team"] = sorted(
            ({"team_id": t, "team_name": teams.get(t, "Sin equipo"), **stats("k", t)}
             for t in set(teams) | {t for t in by_key["k"] if
                                    _has_data(by_key["k"].get(t), act_by["k"].get(t))}),
            key=lambda r: (-r["won_amount"], r["team_name"]))
    return out


def _has_data(group: dict[str, list] | None, acts: int | None) -> bool:
    """A breakdown row exists when it has a deal closed in the period, an open deal or an
    activity (rows that only hold history outside the period are dropped)."""
    return bool(acts) or bool(group and (group["closed"] or group["open"]))


def _members(con: Con, scope: Scope, keys: set[Any]) -> dict[Any, tuple[str, Any]]:
    cond, params = ("", [])
    if scope.kind == "team":
        cond, params = " AND team_id = ?", [scope.team_id]
    members = {r[0]: (r[1], r[2]) for r in con.execute(
        "SELECT user_id, user_name, team_id FROM users WHERE active AND role IN "
        f"('comercial', 'manager'){cond}", params).fetchall()}
    missing = [k for k in keys if k is not None and k not in members]
    if missing:
        members.update({r[0]: (r[1], r[2]) for r in con.execute(
            "SELECT user_id, user_name, team_id FROM users WHERE user_id IN "
            f"({', '.join('?' * len(missing))})", missing).fetchall()})
    if None in keys:
        members[None] = ("Sin asignar", None)
    return members
