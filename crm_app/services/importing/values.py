"""Vectorised parsers for dates and amounts as Spanish files write them.

Dates: ``dd/mm/aaaa``, ``dd-mm-aaaa``, ``dd.mm.aaaa`` (day and month may have one digit),
``dd/mm/aa``, ISO ``aaaa-mm-dd``, and date-times in both orders (``dd/mm/aaaa hh:mm[:ss]``,
``aaaa-mm-ddThh:mm[:ss[.f]][Z|±hh:mm]``). Day first always, unless the column is clearly
month first (a US export: some value like ``3/15/2024`` and none like ``15/3/2024``).
A time without an offset is Madrid time (the organisation's zone). A date without a time
(or a spreadsheet date at exactly 00:00:00) is stored as 12:00 Madrid time, so it shows as
the same day in any European zone and in UTC.
Everything comes out as aware UTC.

Amounts: ``1.234,56``, ``1234,56``, ``1234.56``, ``1,234.56``, ``1.234`` (thousands: money
never has three decimals), with optional ``€``/``EUR`` and spaces. Out comes a canonical
decimal string (``"1234.56"``) that ``Decimal`` reads exactly, or null when invalid.
"""

from __future__ import annotations

import polars as pl

from crm_app.settings import get_settings

_DMY = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})"
_DMY2 = r"^(\d{1,2})/(\d{1,2})/(\d{2})$"
_ISO = r"^(\d{4})-(\d{1,2})-(\d{1,2})"
_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
_OFFSET = r"(Z|[+-]\d{2}:?\d{2})?$"


def parse_datetimes(values: pl.Series, tz: str | None = None) -> pl.Series:
    """Aware-UTC datetimes (``Datetime('us', 'UTC')``), null where blank or invalid."""
    tz = tz or get_settings().timezone
    s = values.str.strip_chars()
    frame = pl.DataFrame({"s": s}).rechunk()
    dmy = pl.col("s").str.extract_groups(_DMY + _TIME + _OFFSET)
    iso = pl.col("s").str.extract_groups(_ISO + _TIME + _OFFSET)
    dmy2 = pl.col("s").str.extract_groups(_DMY2)
    frame = frame.with_columns(dmy.alias("dmy"), iso.alias("iso"), dmy2.alias("dmy2"))

    def part(name: str, idx: int) -> pl.Expr:
        return pl.col(name).struct.field(str(idx))

    def num(name: str, idx: int, default: int | None = None) -> pl.Expr:
        expr = part(name, idx).cast(pl.Int32, strict=False)
        return expr.fill_null(default) if default is not None else expr

    year = pl.coalesce(num("dmy", 3), num("iso", 1),
                       (num("dmy2", 3) + pl.when(num("dmy2", 3) < 70).then(2000).otherwise(1900)))
    # A column written month-first (3/15/2024, as US exports do) is recognised when some
    # value only makes sense that way and none only makes sense day-first.
    firsts = frame.select(pl.coalesce(num("dmy", 1), num("dmy2", 1))).to_series()
    seconds = frame.select(pl.coalesce(num("dmy", 2), num("dmy2", 2))).to_series()
    month_first = bool((seconds > 12).any()) and not bool((firsts > 12).any())
    m_idx, d_idx = (1, 2) if month_first else (2, 1)
    month = pl.coalesce(num("dmy", m_idx), num("iso", 2), num("dmy2", m_idx))
    day = pl.coalesce(num("dmy", d_idx), num("iso", 3), num("dmy2", d_idx))
    src = (pl.when(part("dmy", 1).is_not_null()).then(pl.lit("dmy"))
           .when(part("iso", 1).is_not_null()).then(pl.lit("iso"))
           .when(part("dmy2", 1).is_not_null()).then(pl.lit("dmy2")))
    frame = frame.with_columns(src.alias("src"))

    def pick(idx_dmy: int, idx_iso: int) -> pl.Expr:
        return (pl.when(pl.col("src") == "dmy").then(part("dmy", idx_dmy))
                .when(pl.col("src") == "iso").then(part("iso", idx_iso)))

    hour = pick(4, 4).cast(pl.Int32, strict=False)
    minute = pick(5, 5).cast(pl.Int32, strict=False)
    second = pick(6, 6).cast(pl.Int32, strict=False).fill_null(0)
    frac = pick(7, 7)
    offset = pick(8, 8)
    micro = (frac.str.pad_end(6, "0").str.slice(0, 6).cast(pl.Int32, strict=False)).fill_null(0)
    date_only = hour.is_null() | ((hour == 0) & (minute == 0) & (second == 0) & (micro == 0)
                                  & offset.is_null())
    frame = frame.with_columns(
        year.alias("y"), month.alias("m"), day.alias("d"),
        pl.when(date_only).then(12).otherwise(hour).alias("H"),
        pl.when(date_only).then(0).otherwise(minute).alias("M"),
        pl.when(date_only).then(0).otherwise(second).alias("S"),
        pl.when(date_only).then(0).otherwise(micro).alias("us"),
        offset.alias("off"),
    )
    valid = ((pl.col("m").is_between(1, 12)) & (pl.col("d").is_between(1, 31))
             & (pl.col("H").is_between(0, 23)) & (pl.col("M").is_between(0, 59))
             & (pl.col("S").is_between(0, 59)) & pl.col("y").is_between(1900, 2199))
    # Build a string and let the parser reject impossible dates (31/02) with strict=False.
    text = pl.format("{}-{}-{} {}:{}:{}.{}",
                     pl.col("y").cast(pl.String).str.pad_start(4, "0"),
                     pl.col("m").cast(pl.String).str.pad_start(2, "0"),
                     pl.col("d").cast(pl.String).str.pad_start(2, "0"),
                     pl.col("H").cast(pl.String).str.pad_start(2, "0"),
                     pl.col("M").cast(pl.String).str.pad_start(2, "0"),
                     pl.col("S").cast(pl.String).str.pad_start(2, "0"),
                     pl.col("us").cast(pl.String).str.pad_start(6, "0"))
    naive = pl.when(valid).then(text).str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False,
                                                       time_unit="us")
    frame = frame.with_columns(naive.alias("naive"))
    off = pl.col("off").str.replace("Z", "+00:00").str.replace(r"^([+-]\d{2})(\d{2})$", "$1:$2")
    off_minutes = (off.str.slice(1, 2).cast(pl.Int32, strict=False) * 60
                   + off.str.slice(4, 2).cast(pl.Int32, strict=False))
    off_minutes = pl.when(off.str.starts_with("-")).then(-off_minutes).otherwise(off_minutes)
    with_offset = (pl.col("naive") - pl.duration(minutes=off_minutes)).dt.replace_time_zone("UTC")
    local = pl.col("naive").dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    # A local time in the spring-forward gap does not exist: take the same wall time + 1 h.
    gap = (pl.col("naive") + pl.duration(hours=1)).dt.replace_time_zone(
        tz, ambiguous="earliest", non_existent="null")
    local_utc = pl.coalesce(local, gap).dt.convert_time_zone("UTC")
    out = frame.select(
        pl.when(pl.col("off").is_not_null()).then(with_offset).otherwise(local_utc)
        .dt.cast_time_unit("us").alias(values.name)
    )
    return out.to_series()


def parse_dates(values: pl.Series, tz: str | None = None) -> pl.Series:
    """Calendar dates (``Date``) for date-only fields (expected close): the local date."""
    tz = tz or get_settings().timezone
    return parse_datetimes(values, tz).dt.convert_time_zone(tz).dt.date().alias(values.name)


def parse_amounts(values: pl.Series) -> pl.Series:
    """Canonical decimal strings (``"1234.56"``), null where blank or not a number."""
    s = pl.col("s")
    es = s.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    en = s.str.replace_all(",", "", literal=True)
    frame = pl.DataFrame({"s": values}).rechunk().with_columns(
        s.str.strip_chars().str.replace_all(r"(?i)\s|\u00a0|€|eur", ""))
    return frame.select(
        pl.when(s.str.contains(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")).then(es)  # 1.234,56
        .when(s.str.contains(r"^-?\d+(,\d+)?$")).then(es)  # 1234,56
        .when(s.str.contains(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")).then(en)  # 1,234.56
        .when(s.str.contains(r"^-?\d+(\.\d+)?$")).then(s)  # 1234.56
        .otherwise(None).alias(values.name)
    ).to_series()


__all__ = ["parse_amounts", "parse_dates", "parse_datetimes"]
