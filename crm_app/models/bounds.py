"""Bounded input types: every number, date and string the API takes has a range (issue 10).

Why: input past what the database or the standard library can hold used to travel down to
SQLite, PostgreSQL, ``timedelta`` or ``Decimal.quantize`` and come back as a 500 — an id above
2^63 (SQLite INTEGER and PostgreSQL BIGINT stop there), an offset of 10^19, a date whose
arithmetic leaves year 1..9999, a Decimal of 400 digits, a lone UTF-16 surrogate that cannot
be encoded as UTF-8 on the way out. These aliases refuse such input at the edge with a 422
naming the field (Spanish texts in ``crm_app.i18n.bounds``) and publish the numeric limits in
the OpenAPI document (``minimum``/``maximum``), so clients and fuzzers see them.

Routers (path and query parameters) and request schemas (bodies) use the same aliases, so a
new route is bounded by declaring ``thing_id: Id``, ``offset: Offset``, ``name: Line``…

The limits are storage and arithmetic limits, not business rules: a probability of 150 or a
price of 10^12 is still refused by its service with the service's own message. The plain
helpers (``id_in_range``, ``day_in_range``, ``clean_text``) give services the same rules for
values that arrive by other doors (filters as text, imports, the UI).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from crm_app.i18n import t

# --- limits --------------------------------------------------------------------------------

MAX_INT32 = 2**31 - 1  # PostgreSQL INTEGER columns (positions, probabilities, days)
MAX_INT64 = 2**63 - 1  # free-form JSON integers
# Ids are INTEGER columns (alembic 0001): 32 bits on PostgreSQL, so a larger id cannot exist
# and asking for one fails in the driver ("integer out of range"). One bound for both
# backends keeps them answering alike: a path id above it is a 422, a link a field error.
MAX_ID = MAX_INT32
MAX_PAGE_SIZE = 200  # the services' page cap (``sales_common``, ``leads``)
MAX_OFFSET = 1_000_000_000  # rows skipped by a list: far past any real table
MAX_PAGE = MAX_OFFSET // MAX_PAGE_SIZE
MAX_POSITION = 100_000  # order of rules, fields, pipelines, stages
MAX_DAYS = 36_600  # "the last N days": a century, so ``now - N days`` stays in range
MAX_IDS = 5_000  # ids in one bulk request
MAX_DIGITS = 20  # significant digits of a decimal (money ≤ 10^12 with 4 decimals fits)
MAX_LINE = 2_000  # one-line text
MAX_TEXT = 100_000  # multi-line text (notes, descriptions, conditions)
MAX_JSON_DEPTH = 16  # nesting of free-form JSON (custom fields, filters, rule config)
# Dates: wide enough for any history load and planning, narrow enough that the date
# arithmetic of services and analytics (± a few years, + validity days) stays in 1..9999.
DAY_MIN = date(1900, 1, 1)
DAY_MAX = date(2999, 12, 31)
YEAR_MIN, YEAR_MAX = DAY_MIN.year, DAY_MAX.year

# Lone surrogates cannot be encoded as UTF-8 (the response, PostgreSQL); control characters
# (NUL above all: PostgreSQL refuses it in text) have no place in a CRM field.
_LINE_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # \t \n \r allowed
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
DECIMAL_PATTERN = r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$"  # "1234.50"; no comma
MAX_NUMBER = 10**MAX_DIGITS  # what MAX_DIGITS digits can reach, published in the OpenAPI

# pydantic error kinds raised here: the API shows their own (Spanish) message.
ERROR_KINDS = frozenset({"text_chars", "day_range", "month_invalid", "json_depth",
                         "json_number"})


# --- plain checks (services use them too) --------------------------------------------------


def id_in_range(value: int) -> bool:
    return 1 <= value <= MAX_ID


def day_in_range(value: date) -> bool:
    """``value`` (a date, or a datetime's date as given) lies in ``DAY_MIN..DAY_MAX``."""
    day = value.date() if isinstance(value, datetime) else value
    return DAY_MIN <= day <= DAY_MAX


def clean_text(value: str, *, multiline: bool = False) -> bool:
    """No control characters (tab and line breaks allowed when ``multiline``), no lone
    surrogates."""
    return (_TEXT_BAD if multiline else _LINE_BAD).search(value) is None


def day_range_message() -> str:
    return t("bounds.day_range", low=DAY_MIN.strftime("%d/%m/%Y"),
             high=DAY_MAX.strftime("%d/%m/%Y"))


# --- validators ----------------------------------------------------------------------------


def _line(value: str) -> str:
    if not clean_text(value):
        raise PydanticCustomError("text_chars", t("bounds.text_chars"))
    return value


def _text(value: str) -> str:
    if not clean_text(value, multiline=True):
        raise PydanticCustomError("text_chars", t("bounds.text_chars"))
    return value


def _day(value: date) -> date:
    if not day_in_range(value):
        raise PydanticCustomError("day_range", day_range_message())
    return value


def _moment(value: datetime) -> datetime:
    # The date as written, before any time-zone shift: 0001-01-01T00:00+01:00 is refused
    # here instead of overflowing when converted to UTC.
    if not day_in_range(value):
        raise PydanticCustomError("day_range", day_range_message())
    return value


def _month(value: str) -> str:
    if not re.fullmatch(MONTH_PATTERN, value) or not YEAR_MIN <= int(value[:4]) <= YEAR_MAX:
        raise PydanticCustomError("month_invalid",
                                  t("bounds.month", low=YEAR_MIN, high=YEAR_MAX))
    return value


def _json(value: Any, depth: int = 0) -> Any:
    """Free-form JSON: bounded nesting, clean strings (keys too), finite bounded numbers."""
    if depth > MAX_JSON_DEPTH:
        raise PydanticCustomError("json_depth", t("bounds.json_depth", depth=MAX_JSON_DEPTH))
    if isinstance(value, str):
        _text(value)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if abs(value) > MAX_INT64:
            raise PydanticCustomError("json_number", t("bounds.json_number"))
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PydanticCustomError("json_number", t("bounds.json_number"))
    elif isinstance(value, dict):
        for key, item in value.items():
            _line(str(key))
            _json(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _json(item, depth + 1)
    return value


# --- the types -----------------------------------------------------------------------------

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdList = Annotated[list[Id], Field(max_length=MAX_IDS)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
Limit = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]
Position = Annotated[int, Field(ge=0, le=MAX_POSITION)]
SmallInt = Annotated[int, Field(ge=-MAX_INT32 - 1, le=MAX_INT32)]  # a service checks its rule
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
Number = Annotated[Decimal, Field(max_digits=MAX_DIGITS, allow_inf_nan=False),
                   WithJsonSchema({"anyOf": [
                       {"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER},
                       {"type": "string", "pattern": DECIMAL_PATTERN, "maxLength": 64}]})]
Day = Annotated[date, AfterValidator(_day)]
Moment = Annotated[datetime, AfterValidator(_moment)]
Month = Annotated[str, AfterValidator(_month),
                  WithJsonSchema({"type": "string", "pattern": MONTH_PATTERN})]
Line = Annotated[str, Field(max_length=MAX_LINE), AfterValidator(_line)]
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_text)]
JsonValue = Annotated[Any, AfterValidator(_json)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_json)]

__all__ = ["DAY_MAX", "DAY_MIN", "ERROR_KINDS", "MAX_DAYS", "MAX_ID", "MAX_PAGE_SIZE", "Day",
           "Days", "Id", "IdList", "JsonObject", "JsonValue", "Limit", "Line", "Moment",
           "Month", "Number", "Offset", "PageNumber", "Position", "SmallInt", "Text", "Year",
           "clean_text", "day_in_range", "day_range_message", "id_in_range"]
