"""Vectorised email, phone and NIF checks that agree with the per-value normalisers.

"Fast accept, slow decide": a polars expression accepts the common, clearly valid shapes
(and computes their normal form) in one pass over the column; every other non-blank value is
handed to the per-value function in ``crm_app.services.normalize`` (python-stdnum,
phonenumbers, email-validator), once per distinct value. So the result is always the one the
per-value function gives, and the per-value cost is paid only for the few odd values.

- Email: a strict ASCII dot-atom pattern with length limits and no special-use TLDs; it only
  accepts addresses email-validator accepts too.
- Phone: ``[+34|0034] + 9 digits`` (spaces, dots, hyphens, brackets allowed) whose national
  number matches one of the Spanish number types of phonenumbers' own metadata; E.164 is
  ``+34`` + the 9 digits.
- NIF: DNI (8 digits + letter, ``number mod 23``), NIE (X/Y/Z), K/L/M and CIF (Luhn digit or
  letter ``JABCDEFGHI``), computed with integer arithmetic on the digits.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import polars as pl

from crm_app.services.normalize import (
    EMAIL_INVALID,
    email_is_valid,
    nif_compact,
    normalize_nif,
    normalize_phone,
)

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CIF_LETTERS = "JABCDEFGHI"

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
EMAIL_FAST = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[a-z]{{2,24}}$"
_SPECIAL_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test")
_SPECIAL_TLD_RE = r"\.(?:" + "|".join(_SPECIAL_TLDS) + r")$"


def nulls(n: int, dtype: Any, name: str = "") -> pl.Series:
    """``n`` nulls of ``dtype`` (without building a Python list)."""
    return pl.repeat(None, n, dtype=dtype, eager=True).alias(name)


# --- per-value fallbacks (cached) ------------------------------------------------------------


def _normalised(normalise: Callable[[str], str], value: str) -> tuple[str | None, str | None]:
    """``(clean value, None)`` or ``(None, the normaliser's Spanish error)``."""
    try:
        return normalise(value), None
    except ValueError as exc:
        return None, str(exc)


@lru_cache(maxsize=200_000)
def _phone_slow(value: str) -> tuple[str | None, str | None]:
    return _normalised(normalize_phone, value)


@lru_cache(maxsize=200_000)
def _nif_slow(value: str) -> tuple[str | None, str | None]:
    return _normalised(normalize_nif, value)


def _email_slow(value: str) -> tuple[str | None, str | None]:
    return (value, None) if email_is_valid(value) else (None, EMAIL_INVALID)


def _resolve(values: pl.Series, fast: pl.Series, slow: Callable[[str], tuple]) -> tuple[
        pl.Series, pl.Series]:
    """Combine a fast-path result with the per-value function for what it did not accept.

    ``values``: the (normalised) input, null when blank; ``fast``: the normal form, null when
    the fast path did not accept. Returns ``(normal, error)``: error is the Spanish message of
    the per-value function for invalid values, null otherwise."""
    need = values.is_not_null() & fast.is_null()
    normal, error = fast, nulls(len(values), pl.String, values.name)
    if need.any():
        pending = values.filter(need).unique()
        results = [slow(v) for v in pending.to_list()]
        lookup = pl.DataFrame({
            "__v": pending,
            "__n": pl.Series([r[0] for r in results], dtype=pl.String),
            "__e": pl.Series([r[1] for r in results], dtype=pl.String),
        })
        joined = pl.DataFrame({"__v": values}).join(lookup, on="__v", how="left",
                                                      maintain_order="left")
        normal = fast.zip_with(fast.is_not_null(), joined["__n"]).replace("", None)
        error = joined["__e"]
    return normal.alias(values.name), error.alias(values.name)


# --- email ---------------------------------------------------------------------------------


def email_normal(values: pl.Series) -> pl.Series:
    """What ``normalize_email`` gives: trimmed, lowercase; null when blank."""
    return values.str.strip_chars().str.to_lowercase().replace("", None)


def check_emails(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``(normalised, error)`` per value."""
    norm = email_normal(values)
    v = pl.col("e")
    ok = pl.DataFrame({"e": norm}).select(
        v.str.contains(EMAIL_FAST) & ~v.str.contains("--", literal=True)
        & (v.str.len_chars() <= 254) & (v.str.find("@", literal=True) <= 64)
        & ~v.str.contains(_SPECIAL_TLD_RE)
    ).to_series().fill_null(False)
    fast = norm.zip_with(ok, nulls(len(norm), pl.String))
    return _resolve(norm, fast, _email_slow)


# --- phone ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def spanish_national_pattern() -> tuple[str, str]:
    """The national numbers phonenumbers considers valid in Spain, as one anchored regex."""
    from phonenumbers import PhoneMetadata

    meta = PhoneMetadata.metadata_for_region("ES")
    types = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
             "personal_number", "voip", "pager", "uan", "voicemail")
    parts = []
    for name in types:
        desc = getattr(meta, name, None)
        pattern = getattr(desc, "national_number_pattern", None) if desc else None
        if pattern:
            parts.append(f"(?:{pattern})")
    general = meta.general_desc.national_number_pattern
    return f"^(?:{general})$", "^(?:" + "|".join(parts) + ")$"


def check_phones(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``(E.164, error)`` per value, as ``normalize_phone`` would give."""
    raw = values.str.strip_chars().replace("", None)
    compact = raw.str.replace_all(r"[ \t.\-()]", "")
    national = compact.str.extract(r"^(?:\+34|0034)?([0-9]{9})$", 1)
    general, typed = spanish_national_pattern()
    ok = national.str.contains(general) & national.str.contains(typed)
    fast = ("+34" + national).zip_with(ok.fill_null(False), nulls(len(raw), pl.String))
    return _resolve(raw, fast, _phone_slow)


# --- NIF / CIF / NIE -------------------------------------------------------------------------


_LETTER_INDEX = {letter: i for i, letter in enumerate(DNI_LETTERS)}
_CIF_CHECK = {**{str(d): d for d in range(10)}, **{c: i for i, c in enumerate(CIF_LETTERS)}}


def nif_fast_expr(s: pl.Expr) -> pl.Expr:
    """True when ``s`` (compact, upper-case) is a valid DNI/NIE/KLM/CIF by its check char.

    Integer arithmetic only: the check letter is compared by its index in the DNI table
    (``number mod 23``); the CIF control is the Luhn digit of the 7 digits, written as a
    digit or as the letter of ``JABCDEFGHI`` (either is accepted, as python-stdnum does)."""
    first = s.str.slice(0, 1)
    last = s.str.slice(8, 1)
    body8 = s.str.slice(0, 8).cast(pl.Int64, strict=False)  # DNI: 8 digits
    body7 = s.str.slice(1, 7).cast(pl.Int64, strict=False)  # NIE/KLM/CIF: 7 digits
    nie_prefix = first.replace_strict({"X": 0, "Y": 10_000_000, "Z": 20_000_000},
                                      default=None, return_dtype=pl.Int64)
    letter_idx = last.replace_strict(_LETTER_INDEX, default=-1, return_dtype=pl.Int64)
    is_dni = s.str.contains(r"^[0-9]{8}[A-Z]$")
    is_nie = s.str.contains(r"^[XYZ][0-9]{7}[A-Z]$")
    is_klm = s.str.contains(r"^[KLM][0-9]{7}[A-Z]$")
    is_cif = s.str.contains(r"^[ABCDEFGHJNPQRSUVW][0-9]{7}[0-9A-J]$")
    d = [(body7 // 10 ** (6 - i)) % 10 for i in range(7)]
    doubled = [(x * 2) // 10 + (x * 2) % 10 for x in (d[0], d[2], d[4], d[6])]
    total = d[1] + d[3] + d[5] + doubled[0] + doubled[1] + doubled[2] + doubled[3]
    check = (10 - total % 10) % 10
    cif_ok = last.replace_strict(_CIF_CHECK, default=-1, return_dtype=pl.Int64) == check
    return (pl.when(is_dni).then(body8 % 23 == letter_idx)
            .when(is_nie).then((nie_prefix + body7) % 23 == letter_idx)
            .when(is_klm).then(body7 % 23 == letter_idx)
            .when(is_cif).then(cif_ok)
            .otherwise(False)).fill_null(False)


def nif_compact_expr(values: pl.Expr) -> pl.Expr:
    """``nif_compact`` as an expression: no blanks/dots/hyphens/slashes, upper, no ES prefix."""
    s = values.str.replace_all(r"[\s.\-_/]", "").str.to_uppercase()
    return (pl.when(s.str.starts_with("ES") & (s.str.len_chars() == 11))
            .then(s.str.slice(2)).otherwise(s))


def check_nifs(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``(compact valid NIF, error)`` per value, as ``normalize_nif`` would give."""
    raw = values.str.strip_chars().replace("", None).alias(values.name)
    # The arithmetic runs on the non-blank cells only, then goes back in place.
    present = raw.is_not_null()
    sub = pl.DataFrame({"v": raw.filter(present)}).with_columns(
        nif_compact_expr(pl.col("v")).alias("c"))
    sub = sub.with_columns(nif_fast_expr(pl.col("c")).alias("ok"))
    fast_sub = sub["c"].zip_with(sub["ok"], nulls(sub.height, pl.String))
    fast = nulls(len(raw), pl.String)
    if sub.height:
        fast = fast.scatter(present.arg_true(), fast_sub)
    return _resolve(raw, fast, _nif_slow)


__all__ = ["EMAIL_FAST", "check_emails", "check_nifs", "check_phones", "email_normal",
           "nif_compact", "nif_compact_expr", "nif_fast_expr", "nulls", "spanish_national_pattern"]
