"""Turn the mapped raw columns into typed, normalised field columns plus row errors.

Everything is column-at-a-time (polars); per-value Python runs only once per *distinct*
value and only where no vectorised form exists (odd phones/NIFs/emails, custom fields,
provinces). The output frame has ``__row``, one column per field and ``__ok`` (no errors);
errors are ``{"row", "field", "message"}`` with the spreadsheet row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from crm_app.i18n import t
from crm_app.models import CustomFieldDef, StageKind, utcnow
from crm_app.services import personal_data
from crm_app.services.custom_fields import MAX_CUSTOM_BYTES, coerce_value
from crm_app.services.defaults import SIZE_BANDS
from crm_app.services.importing.checks import check_emails, check_nifs, check_phones, nulls
from crm_app.services.importing.mapping import CONSENT_FIELDS, FieldSpec, Mapping, fields_of
from crm_app.services.importing.reader import ROW, RawTable
from crm_app.services.importing.values import parse_amounts, parse_dates, parse_datetimes
from crm_app.services.spain import canonical_province, fold
from crm_app.settings import get_settings

OK = "__ok"
NAME_OR_COMPANY = "Falta el nombre o la empresa: indica al menos uno."
EMAIL_OR_PHONE = "Falta el correo electrónico o el teléfono: indica al menos uno."
NAME_REQUIRED = "Falta el nombre."
ACCOUNT_NAME_REQUIRED = "Falta la razón social."
OPP_NAME_REQUIRED = "Falta el nombre de la oportunidad."
AMOUNT_REQUIRED = "Falta el importe."
STAGE_REQUIRED = "Falta la etapa."
DATE_INVALID = "Fecha no válida: usa dd/mm/aaaa, dd-mm-aaaa o aaaa-mm-dd."
AMOUNT_INVALID = "Importe no válido: usa 1.234,56 o 1234.56."
AMOUNT_NEGATIVE = "El importe no puede ser negativo."
AMOUNT_TOO_BIG = "Importe demasiado grande."
BOOL_INVALID = "Valor no válido: usa sí o no."
COUNTRY_INVALID = "País no válido: usa el código de dos letras (ES, PT, FR…)."
STATUS_INVALID = "Estado no válido: nuevo, contactado, cualificado o descartado."
CLOSED_BEFORE_CREATED = "La fecha de cierre es anterior a la fecha de alta."

_STATUS_WORDS = {
    "nuevo": "nuevo", "new": "nuevo", "open": "nuevo", "abierto": "nuevo",
    "contactado": "contactado", "contacted": "contactado", "en curso": "contactado",
    "in progress": "contactado", "attempted to contact": "contactado",
    "cualificado": "cualificado", "calificado": "cualificado", "qualified": "cualificado",
    "descartado": "descartado", "unqualified": "descartado", "discarded": "descartado",
    "no cualificado": "descartado", "bad timing": "descartado",
}
_TRUE = {"true", "1", "si", "s", "yes", "y", "x", "verdadero", "t"}
_FALSE = {"false", "0", "no", "n", "falso", "f"}
_COUNTRIES = {"espana": "ES", "spain": "ES", "espanya": "ES", "portugal": "PT",
              "francia": "FR", "france": "FR", "andorra": "AD", "italia": "IT", "italy": "IT",
              "alemania": "DE", "germany": "DE", "reino unido": "GB", "united kingdom": "GB"}
_WON_WORDS = {"ganada", "ganado", "won", "closed won", "cerrada ganada", "ganada cerrada"}
_LOST_WORDS = {"perdida", "perdido", "lost", "closed lost", "cerrada perdida", "cancelada"}


@dataclass
class StageInfo:
    id: int
    pipeline_id: int
    name: str
    kind: str
    position: int


@dataclass
class Lookups:
    """What validation needs from the database, loaded once per import."""

    users_by_email: dict[str, tuple[int, int | None, bool]] = field(default_factory=dict)
    owner_column_allowed: bool = True
    # Active users the importer may not give records to (a manager: other teams), by id,
    # with the reason: the owner column follows the rule of forms and API (links.owner).
    owner_refused: dict[int, str] = field(default_factory=dict)
    custom: list[CustomFieldDef] = field(default_factory=list)
    pipelines: dict[str, int] = field(default_factory=dict)  # folded name -> id
    default_pipeline_id: int | None = None
    stages: dict[int, list[StageInfo]] = field(default_factory=dict)  # pipeline -> stages
    accounts_by_name: dict[str, int] = field(default_factory=dict)  # folded name -> id
    accounts_by_nif: dict[str, int] = field(default_factory=dict)


@dataclass
class Prepared:
    frame: pl.DataFrame
    errors: list[dict]
    warnings: list[str]
    fields: list[str]  # the field columns present in ``frame``


def by_unique(values: pl.Series, fn: Callable[[pl.Series], pl.Series],
              dtype: Any = None) -> pl.Series:
    """Apply a column function to the distinct values only and join back (values repeat)."""
    uniq = values.unique()
    if len(uniq) * 2 > len(values):
        return fn(values)
    mapped = fn(uniq)
    lookup = pl.DataFrame({"__k": uniq, "__v": mapped})
    out = pl.DataFrame({"__k": values}).join(lookup, on="__k", how="left", nulls_equal=True,
                                             maintain_order="left")["__v"]
    return out.alias(values.name) if dtype is None else out.cast(dtype).alias(values.name)


def map_values(values: pl.Series, fn: Callable[[str], Any], dtype: Any) -> pl.Series:
    """A per-value Python function over the distinct non-null values (cached by value)."""
    uniq = values.drop_nulls().unique().to_list()
    table = {v: fn(v) for v in uniq}
    return values.replace_strict(table, default=None, return_dtype=dtype).alias(values.name)


class _Errors:
    def __init__(self, rows: pl.Series) -> None:
        self.rows = rows
        self.parts: list[pl.DataFrame] = []

    def add(self, fld: str, mask: pl.Series, message: str | pl.Series,
            value: pl.Series | None = None) -> None:
        """Rows where ``mask`` is true get ``message`` (a constant or a per-row Series),
        followed by the offending ``value`` when given: ``… (valor: «31/02/2024»).``"""
        mask = mask.fill_null(False)
        if not mask.any():
            return
        rows = self.rows.filter(mask)
        k = len(rows)
        msg = (message.filter(mask) if isinstance(message, pl.Series)
               else pl.repeat(message, k, dtype=pl.String, eager=True))
        if value is not None:
            msg = _with_value(msg, value.filter(mask))
        self.parts.append(pl.DataFrame({
            "row": rows, "field": pl.repeat(fld, k, dtype=pl.String, eager=True),
            "message": msg.cast(pl.String)}))

    def frame(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema={"row": pl.Int64, "field": pl.String,
                                        "message": pl.String})
        return pl.concat(self.parts)


def _with_value(message: pl.Series, raw: pl.Series) -> pl.Series:
    """``message`` followed by the offending value: ``Fecha no válida… (valor: «31/02»).``
    (Only the rejected cells get here, so plain Python is cheap.)"""
    return pl.Series([f"{m.rstrip('.')} (valor: «{'' if v is None else v[:80]}»)."
                      for m, v in zip(message.to_list(), raw.to_list(), strict=True)],
                     dtype=pl.String)


def prepare(*, entity: str, table: RawTable, mapping: Mapping, lookups: Lookups) -> Prepared:
    specs = fields_of(entity)
    raw = table.frame
    rows = raw[ROW]
    n = raw.height
    errors = _Errors(rows)
    warnings: list[str] = []
    out: dict[str, pl.Series] = {}
    present: dict[str, pl.Series] = {}
    for col, target in mapping.columns.items():
        present[target] = raw[col].alias(target)

    def null_series(name: str, dtype: Any = pl.String) -> pl.Series:
        return nulls(n, dtype, name)

    def get(name: str) -> pl.Series | None:
        return present.get(name)

    custom_by_key = {d.key: d for d in lookups.custom}
    checked = _run_checks({t: (_CHECKS[specs[t].kind], v) for t, v in present.items()
                           if t in specs and specs[t].kind in _CHECKS})
    for target, values in present.items():
        if target.startswith("custom."):
            defn = custom_by_key[target[7:]]
            out[target] = _custom(values, defn, target, errors)
            continue
        converted = _convert(specs[target], values, errors, lookups, warnings, present,
                             checked.get(target))
        out[converted.name] = converted
    _custom_size(out, errors)

    # Full name -> first/last when those are not given.
    if "full_name" in out and "first_name" in specs:
        full = out.pop("full_name")
        parts = full.str.splitn(" ", 2)
        first = parts.struct.field("field_0")
        last = parts.struct.field("field_1").str.strip_chars()
        out["first_name"] = out.get("first_name", null_series("first_name")).fill_null(
            first).alias("first_name")
        out["last_name"] = out.get("last_name", null_series("last_name")).fill_null(
            last.replace("", None)).alias("last_name")
    else:
        out.pop("full_name", None)
    # Mobile feeds phone when the phone cell is blank.
    if "mobile" in out:
        mobile = out.pop("mobile")
        if "phone" in specs:
            out["phone"] = out.get("phone", null_series("phone")).fill_null(mobile).alias("phone")

    if any(name in out for name in CONSENT_FIELDS):
        out["consent"] = _consent_column({k: out.pop(k) for k in CONSENT_FIELDS if k in out},
                                         n)

    def col(name: str) -> pl.Series:
        return out.get(name, null_series(name))

    def given(name: str) -> pl.Series:
        """The raw cell was not blank (valid or not)."""
        s = get(name)
        return s.is_not_null() if s is not None else pl.repeat(False, n, eager=True)

    # Entity rules.
    if entity == "lead":
        has_name = col("first_name").is_not_null() | col("last_name").is_not_null() | col(
            "company").is_not_null()
        errors.add("first_name", ~has_name, NAME_OR_COMPANY)
        reachable = given("email") | given("phone") | given("mobile")
        errors.add("email", ~reachable, EMAIL_OR_PHONE)
    elif entity == "contact":
        has_name = col("first_name").is_not_null() | col("last_name").is_not_null()
        errors.add("first_name", ~has_name, NAME_REQUIRED)
        reachable = given("email") | given("phone") | given("mobile")
        errors.add("email", ~reachable, EMAIL_OR_PHONE)
    elif entity == "account":
        errors.add("name", col("name").is_null() & ~given("name"), ACCOUNT_NAME_REQUIRED)
    elif entity == "opportunity":
        errors.add("name", col("name").is_null() & ~given("name"), OPP_NAME_REQUIRED)
        errors.add("amount", ~given("amount"), AMOUNT_REQUIRED)
        errors.add("stage", ~given("stage"), STAGE_REQUIRED)
        _opportunity_dates(out, errors, lookups)
    if entity in ("contact", "opportunity"):
        by_nif = out.pop("account_id_by_nif", None)
        by_name = out.pop("account_id_by_name", None)
        if by_nif is not None or by_name is not None:
            acc = pl.coalesce(by_nif if by_nif is not None else null_series("a", pl.Int64),
                              by_name if by_name is not None else null_series("b", pl.Int64))
            acc = pl.select(acc).to_series().alias("account_id")
            wanted = given("account") | given("account_nif")
            errors.add("account", wanted & acc.is_null(),
                       "No existe ningún cliente con ese nombre o CIF: importa antes los "
                       "clientes.")
            out["account_id"] = acc

    err = errors.frame()
    bad_rows = err["row"].unique()
    frame = pl.DataFrame({ROW: rows, **out})
    frame = frame.with_columns((~pl.col(ROW).is_in(bad_rows.implode())).alias(OK))
    order = {name: i for i, name in enumerate(specs)}
    err = err.with_columns(pl.col("field").replace_strict(
        order, default=len(order), return_dtype=pl.Int64).alias("__o")).sort(
        ["row", "__o"]).drop("__o")
    return Prepared(frame=frame, errors=err.to_dicts(), warnings=warnings,
                    fields=list(out))


# --- per kind ------------------------------------------------------------------------------


def _text_len(spec: FieldSpec, values: pl.Series, errors: _Errors) -> pl.Series:
    if spec.max_length:
        errors.add(spec.name, values.str.len_chars() > spec.max_length,
                   f"Texto demasiado largo: máximo {spec.max_length} caracteres.")
    return values


_CHECKS: dict[str, Callable[[pl.Series], tuple[pl.Series, pl.Series]]] = {
    "email": check_emails, "phone": check_phones, "nif": check_nifs}
PARALLEL_MIN_ROWS = 20_000


def _run_checks(jobs: dict[str, tuple[Callable[[pl.Series], tuple[pl.Series, pl.Series]],
                                      pl.Series]]
                ) -> dict[str, tuple[pl.Series, pl.Series]]:
    """The email, phone and NIF checks of a large file side by side: they are independent,
    and their regular expressions run in polars without the GIL, so a second core takes
    one of them (~a third of the validation time)."""
    if len(jobs) < 2 or max(len(v) for _f, v in jobs.values()) < PARALLEL_MIN_ROWS:
        return {t: f(v) for t, (f, v) in jobs.items()}
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="import-check") as pool:
        futures = {t: pool.submit(f, v) for t, (f, v) in jobs.items()}
        return {t: fut.result() for t, fut in futures.items()}


def _convert(spec: FieldSpec, values: pl.Series, errors: _Errors, lookups: Lookups,
             warnings: list[str], present: dict[str, pl.Series],
             checked: tuple[pl.Series, pl.Series] | None = None) -> pl.Series:
    kind, name = spec.kind, spec.name
    if kind == "text":
        return _text_len(spec, values, errors)
    if kind in _CHECKS:
        norm, err = checked if checked is not None else _CHECKS[kind](values)
        errors.add(name, err.is_not_null(), err.fill_null(""), values)
        return norm
    if kind == "datetime":
        parsed = by_unique(values, parse_datetimes)
        errors.add(name, values.is_not_null() & parsed.is_null(), DATE_INVALID, values)
        return parsed
    if kind == "date":
        parsed = by_unique(values, parse_dates)
        errors.add(name, values.is_not_null() & parsed.is_null(), DATE_INVALID, values)
        return parsed
    if kind == "province":
        canon = map_values(values, lambda v: canonical_province(v) or v, pl.String)
        return _text_len(spec, canon, errors)
    if kind == "status":
        status = map_values(values, lambda v: _STATUS_WORDS.get(fold(v)), pl.String)
        errors.add(name, values.is_not_null() & status.is_null(),
                   STATUS_INVALID, values)
        return status
    if kind == "bool":
        flag = map_values(values, _bool, pl.Boolean)
        errors.add(name, values.is_not_null() & flag.is_null(), BOOL_INVALID, values)
        return flag
    if kind == "legal_basis":
        basis = map_values(values, _legal_basis, pl.String)
        errors.add(name, values.is_not_null() & basis.is_null(), t("pd.err.basis"), values)
        return basis
    if kind == "consent":
        flag = map_values(values, _bool, pl.Boolean)
        errors.add(name, values.is_not_null() & flag.is_null(), BOOL_INVALID, values)
        return flag
    if kind == "consent_method":
        method = map_values(values, lambda v: personal_data.clean_method(v) or None, pl.String)
        errors.add(name, values.is_not_null() & method.is_null(), t("pd.err.method"), values)
        return method
    if kind == "country":
        code = map_values(values, _country, pl.String)
        errors.add(name, values.is_not_null() & code.is_null(),
                   COUNTRY_INVALID, values)
        return code
    if kind == "size_band":
        band = map_values(values, _size_band, pl.String)
        return _text_len(spec, band, errors)
    if kind == "amount":
        return _amount(name, values, errors)
    if kind == "owner":
        if not lookups.owner_column_allowed:
            warnings.append("Eres comercial: los registros importados son tuyos; la columna "
                            "de propietario se ignora.")
            return nulls(len(values), pl.Int64, "owner_id")
        return _owner(name, values, errors, lookups)
    if kind == "stage":
        return _stage(values, errors, lookups, present)
    if kind == "pipeline":
        pid = map_values(values, lambda v: lookups.pipelines.get(fold(v)), pl.Int64)
        errors.add(name, values.is_not_null() & pid.is_null(),
                   "No existe ningún embudo de ventas con ese nombre.", values)
        return pid
    if kind == "account":
        acc = map_values(values, lambda v: lookups.accounts_by_name.get(fold(v)), pl.Int64)
        return acc.alias("account_id_by_name")
    if kind == "account_nif":
        norm, _err = check_nifs(values)
        acc = map_values(norm, lambda v: lookups.accounts_by_nif.get(v), pl.Int64)
        return acc.alias("account_id_by_nif")
    raise ValueError(f"tipo de campo desconocido: {kind}")


def _amount(name: str, values: pl.Series, errors: _Errors) -> pl.Series:
    canon = parse_amounts(values)
    errors.add(name, values.is_not_null() & canon.is_null(), AMOUNT_INVALID, values)
    errors.add(name, canon.str.starts_with("-"), AMOUNT_NEGATIVE, values)
    errors.add(name, canon.str.split(".").list.first().str.len_chars() > 12,
               AMOUNT_TOO_BIG, values)
    return canon


def _owner(name: str, values: pl.Series, errors: _Errors, lookups: Lookups) -> pl.Series:
    emails = values.str.strip_chars().str.to_lowercase()
    known = {e: u for e, u in lookups.users_by_email.items()}
    uid = map_values(emails, lambda e: known[e][0] if e in known and known[e][2] else None,
                     pl.Int64)
    exists = map_values(emails, lambda e: e in known, pl.Boolean)
    errors.add(name, values.is_not_null() & ~exists.fill_null(False),
               "No existe ningún usuario con ese correo.", values)
    errors.add(name, exists.fill_null(False) & uid.is_null(),
               "El usuario está inactivo: no puede ser propietario.", values)
    if lookups.owner_refused:
        refused = map_values(uid, lambda u: lookups.owner_refused.get(u), pl.String)
        errors.add(name, refused.is_not_null(), refused, values)
        uid = uid.zip_with(refused.is_null(), nulls(len(uid), pl.Int64))
    return uid.alias("owner_id")


def _stage(values: pl.Series, errors: _Errors, lookups: Lookups,
           present: dict[str, pl.Series]) -> pl.Series:
    """Stage id by name within the row's pipeline (the default one without a pipeline cell).
    "Ganada"/"Closed Won" and "Perdida"/"Closed Lost" find the pipeline's won/lost stage."""
    n = len(values)
    pipe_raw = present.get("pipeline")
    if pipe_raw is not None:
        pipe = map_values(pipe_raw, lambda v: lookups.pipelines.get(fold(v)), pl.Int64)
        default = pl.repeat(lookups.default_pipeline_id, n, dtype=pl.Int64, eager=True)
        pipe = default.zip_with(pipe_raw.is_null(), pipe)  # blank cell: the default pipeline
    else:
        pipe = pl.repeat(lookups.default_pipeline_id, n, dtype=pl.Int64, eager=True)
    if lookups.default_pipeline_id is None and pipe_raw is None:
        errors.add("stage", values.is_not_null(),
                   "No hay ningún embudo de ventas configurado: crea uno en Ajustes.")
        return nulls(n, pl.Int64, "stage_id")
    keys = pl.DataFrame({"p": pipe, "v": values}).rechunk().select(
        pl.format("{}|{}", pl.col("p").cast(pl.String), pl.col("v"))).to_series()
    table: dict[str, int | None] = {}
    for key in keys.drop_nulls().unique().to_list():
        pid_text, _, name = key.partition("|")
        table[key] = _find_stage(lookups.stages.get(int(pid_text), []), name) if pid_text \
            else None
    stage_id = keys.replace_strict(table, default=None, return_dtype=pl.Int64)
    bad = values.is_not_null() & stage_id.is_null() & (pipe.is_not_null())
    errors.add("stage", bad, "Etapa desconocida en el embudo de ventas.", values)
    return stage_id.alias("stage_id")


def _find_stage(stages: list[StageInfo], name: str) -> int | None:
    key = fold(name)
    for st in stages:
        if fold(st.name) == key:
            return st.id
    wanted = StageKind.WON if key in _WON_WORDS else StageKind.LOST if key in _LOST_WORDS \
        else None
    if wanted is not None:
        for st in stages:
            if st.kind == wanted:
                return st.id
    return None


def _custom(values: pl.Series, defn: CustomFieldDef, target: str, errors: _Errors) -> pl.Series:
    def coerce(v: str) -> tuple[Any, str | None]:
        try:
            return coerce_value(defn, v), None
        except ValueError as exc:
            return None, str(exc)

    uniq = values.drop_nulls().unique().to_list()
    table = {v: coerce(v) for v in uniq}
    msgs = values.replace_strict({k: v[1] for k, v in table.items()}, default=None,
                                 return_dtype=pl.String)
    errors.add(target, msgs.is_not_null(), msgs.fill_null(""), values)
    # The coerced values (str or bool) travel as JSON text until the row's ``custom`` dict.
    enc = values.replace_strict({k: (json.dumps(v[0], ensure_ascii=False)
                                     if v[0] is not None else None)
                                 for k, v in table.items()}, default=None,
                                return_dtype=pl.String)
    return enc.alias(target)


def _custom_size(out: dict[str, pl.Series], errors: _Errors) -> None:
    """The row's ``custom`` object within ``MAX_CUSTOM_BYTES``, as forms and API enforce:
    each value is already compact JSON text, so its UTF-8 length plus ``"key":`` and a comma
    is what it will weigh in the column."""
    cols = [name for name in out if name.startswith("custom.")]
    if not cols:
        return
    size = pl.repeat(2, len(out[cols[0]]), dtype=pl.Int64, eager=True)  # the braces
    for name in cols:
        size = size + (out[name].str.len_bytes().cast(pl.Int64) + len(name) - 7 + 4).fill_null(0)
    errors.add("custom", size > MAX_CUSTOM_BYTES,
               t("links.custom.too_big", kb=MAX_CUSTOM_BYTES // 1024))


def _opportunity_dates(out: dict[str, pl.Series], errors: _Errors, lookups: Lookups) -> None:
    """History as given: a won/lost opportunity is closed on its close date (its creation
    date when there is none); an open one has no close date, so a "Close Date" there is
    the expected close (as CRMs export it)."""
    stage_id = out.get("stage_id")
    if stage_id is None:
        return
    kinds = {st.id: st.kind for stages in lookups.stages.values() for st in stages}
    closing = stage_id.replace_strict({k: v != StageKind.OPEN for k, v in kinds.items()},
                                      default=None, return_dtype=pl.Boolean).fill_null(False)
    closed = out.get("closed_at")
    created = out.get("created_at")
    if closed is not None:
        if "expected_close" not in out:
            local = closed.dt.convert_time_zone(get_settings().timezone).dt.date()
            out["expected_close"] = local.zip_with(~closing, nulls(len(closed), pl.Date)).alias(
                "expected_close")
        out["closed_at"] = closed.zip_with(closing, nulls(len(closed), closed.dtype)).alias(
            "closed_at")
        closed = out["closed_at"]
        if created is not None:
            errors.add("closed_at", (closed < created).fill_null(False), CLOSED_BEFORE_CREATED)
    out["__closing"] = closing


def _bool(value: str) -> bool | None:
    key = fold(value)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


def _legal_basis(value: str) -> str | None:
    errors: dict[str, str] = {}
    basis = personal_data.clean_legal_basis(value, errors=errors)
    return basis or None


def _consent_column(columns: dict[str, pl.Series], n: int) -> pl.Series:
    """The consent object of each row (JSON text; null when the row gives no purpose): a
    purpose's yes/no column, with the shared date (default: the import), medium (default
    «importación») and text columns."""
    def values(name: str) -> list[Any]:
        series = columns.get(name)
        return series.to_list() if series is not None else [None] * n

    now = utcnow().isoformat().replace("+00:00", "Z")
    given = {p: values(f"consent_{p}") for p in personal_data.PURPOSES}
    when, method, text = values("consent_at"), values("consent_method"), values("consent_text")
    out: list[str | None] = []
    for i in range(n):
        row = {}
        for purpose, flags in given.items():
            if flags[i] is None:
                continue
            at = when[i].isoformat().replace("+00:00", "Z") if when[i] is not None else None
            row[purpose] = {"given": bool(flags[i]), "at": at or (now if flags[i] else None),
                            "method": method[i] or "importacion", "text": text[i] or ""}
        out.append(json.dumps(row, ensure_ascii=False) if row else None)
    return pl.Series("consent", out, dtype=pl.String)


def _country(value: str) -> str | None:
    key = fold(value)
    if key in _COUNTRIES:
        return _COUNTRIES[key]
    if len(key) == 2 and key.isalpha():
        return key.upper()
    return None


def _size_band(value: str) -> str:
    text = value.strip()
    digits = text.replace(".", "").replace(" ", "")
    if digits.isdigit():
        n = int(digits)
        return "1-9" if n < 10 else "10-49" if n < 50 else "50-249" if n < 250 else "250+"
    for band in SIZE_BANDS:
        if text.replace(" ", "") == band:
            return band
    return text


__all__ = ["OK", "Lookups", "Prepared", "StageInfo", "by_unique", "map_values", "prepare"]
