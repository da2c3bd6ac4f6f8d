"""One 422 shape for every bad request: ``{"detail", "errors": {"field.path": "mensaje"}}``.

Services raise ``ValidationFailed`` with Spanish field errors (mapped in ``app.py``); the app's
``RequestValidationError`` handler gives the body/query-parsing errors of FastAPI/pydantic the
same shape and language through ``field_errors``, so a client (or the UI) handles one format
on every router. This module holds the one Spanish message table for those errors.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlmodel import SQLModel

from crm_app.i18n import t
from crm_app.models.bounds import ERROR_KINDS, MAX_DIGITS

MESSAGES = {
    "missing": "Obligatorio.",
    "extra_forbidden": "Campo desconocido.",
    "decimal_parsing": "Debe ser un número (usa el punto decimal: 1234.50).",
    "decimal_type": "Debe ser un número.",
    "float_parsing": "Debe ser un número.",
    "int_parsing": "Debe ser un número entero.",
    "int_type": "Debe ser un número entero.",
    "int_from_float": "Debe ser un número entero.",
    "bool_parsing": "Debe ser sí o no (true/false).",
    "bool_type": "Debe ser sí o no (true/false).",
    "string_type": "Debe ser un texto.",
    "date_parsing": "Fecha no válida (usa aaaa-mm-dd).",
    "date_from_datetime_parsing": "Fecha no válida (usa aaaa-mm-dd).",
    "date_type": "Fecha no válida (usa aaaa-mm-dd).",
    "datetime_parsing": "Fecha y hora no válidas (ISO 8601).",
    "datetime_from_date_parsing": "Fecha y hora no válidas (ISO 8601).",
    "datetime_type": "Fecha y hora no válidas (ISO 8601).",
    "list_type": "Debe ser una lista.",
    "dict_type": "Debe ser un objeto.",
    "model_type": "Debe ser un objeto.",
    "literal_error": "Valor no permitido.",
    "json_invalid": "JSON no válido.",
    # Out of range or malformed (issue 10): see crm_app.models.bounds.
    "string_unicode": t("bounds.text_chars"),
    "finite_number": t("bounds.number_finite"),
    "decimal_max_digits": t("bounds.decimal_digits", digits=MAX_DIGITS),
    "decimal_whole_digits": t("bounds.decimal_digits", digits=MAX_DIGITS),
    "decimal_max_places": t("bounds.decimal_digits", digits=MAX_DIGITS),
    "int_parsing_size": t("bounds.int_size"),
    "string_pattern_mismatch": t("bounds.pattern"),
}
DEFAULT_MESSAGE = "Valor no válido."


class FieldErrorsPublic(BaseModel):
    """The body of every 422, declared in the OpenAPI document for every operation."""

    detail: str
    errors: dict[str, str] = {}


# ``responses`` of ``FastAPI(...)``: replaces FastAPI's default 422 schema (a list of pydantic
# errors), which is not what the handlers in ``app.py`` send.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": FieldErrorsPublic,
          "description": "Datos no válidos: un mensaje en español por campo."},
}


def _message(err: dict[str, Any]) -> str:
    """The Spanish text for one pydantic error; limits (lengths, bounds, choices) are named."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "string_too_long":
        return f"Máximo {ctx.get('max_length')} caracteres."
    if kind in ("less_than_equal", "less_than"):
        return f"Debe ser como máximo {ctx.get('le', ctx.get('lt'))}."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Debe ser como mínimo {ctx.get('ge', ctx.get('gt'))}."
    if kind == "too_short":
        return "No puede estar vacío."
    if kind == "too_long":
        return f"Como máximo {ctx.get('max_length')} elementos."
    if kind == "literal_error" and ctx.get("expected"):
        return f"Valor no permitido: usa {ctx['expected']}."
    if kind in ERROR_KINDS:  # the bounded types' own Spanish message
        return str(err.get("msg") or DEFAULT_MESSAGE)
    return MESSAGES.get(kind, DEFAULT_MESSAGE)


def field_errors(errors: list[dict[str, Any]]) -> dict[str, str]:
    """``{"field.path": "mensaje"}`` from pydantic errors (location prefix dropped)."""
    out: dict[str, str] = {}
    for err in errors:
        loc = list(err.get("loc", ()))
        where = loc[0] if loc else "body"
        path = [str(p) for p in loc[1:]]
        # Union members add their type to the path ("tax_rate.decimal"): drop it.
        path = [p for p in path if not p.startswith(("decimal", "literal[", "function-"))]
        key = ".".join(path) or (where if where != "body" else "body")
        if where in ("query", "path") and path:
            key = path[0]  # the parameter, not a list index (?owner_id=1&owner_id=0)
        out.setdefault(key, _message(err))
    return out


def plain(value: Any) -> Any:
    """JSON-safe data with decimals as strings (``jsonable_encoder`` would make them floats)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel | SQLModel):
        return {k: plain(v) for k, v in value.model_dump().items() if k != "password_hash"}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


__all__ = ["ERROR_RESPONSES", "FieldErrorsPublic", "field_errors", "plain"]
