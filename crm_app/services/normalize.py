"""Cheap, pure normalisers shared by the lead form, the API and the file importer.

- ``normalize_email``: trimmed, lowercase; ``""`` when blank (validity is a separate question:
  ``email_is_valid``).
- ``normalize_phone``: E.164 through ``phonenumbers`` with region ES (``600 12 34 56`` ->
  ``+34600123456``); ``""`` when blank; ``ValueError`` with a Spanish message when invalid.
- ``normalize_nif``: compact, upper-case DNI/NIE/CIF validated by ``python-stdnum``;
  ``""`` when blank; ``ValueError`` with a Spanish message when invalid.

The expensive ones are memoised: an import file repeats the same values often, and the
importer may call them once per row.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.es import nif as es_nif
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength

DEFAULT_REGION = "ES"

# A quick structural pattern (usable vectorised, e.g. in polars ``str.contains``); the full
# check is ``email_is_valid``.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_EMAIL_RE = re.compile(EMAIL_PATTERN)

PHONE_INVALID = "Teléfono no válido: usa un número español de 9 cifras o el prefijo internacional."
NIF_INVALID = "NIF/CIF/NIE no válido."
NIF_BAD_LETTER = "NIF/CIF/NIE no válido: la letra o el dígito de control no cuadra."
NIF_BAD_LENGTH = "NIF/CIF/NIE no válido: debe tener 9 caracteres (p. ej. 12345678Z o B12345674)."
EMAIL_INVALID = "Correo electrónico no válido."

_NIF_STRIP = re.compile(r"[\s.\-_/]")


def normalize_email(s: str | None) -> str:
    """Trim and lowercase; ``""`` for blank or ``None``."""
    if s is None:
        return ""
    return str(s).strip().lower()


@lru_cache(maxsize=65536)
def _email_ok(value: str) -> bool:
    if not _EMAIL_RE.match(value):
        return False
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def email_is_valid(s: str | None) -> bool:
    """Syntax check (no DNS). Blank is *not* valid: callers decide whether blank is allowed."""
    value = normalize_email(s)
    return bool(value) and _email_ok(value)


@lru_cache(maxsize=65536)
def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError(PHONE_INVALID) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(PHONE_INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(s: str | int | None) -> str:
    """E.164 (``+34600123456``); ``""`` when blank; ``ValueError`` (Spanish) when invalid.

    Accepts ``600 123 456``, ``+34 600-12-34-56``, ``0034600123456``, ``(+34) 912345678``
    and foreign numbers with their prefix. A number read from a spreadsheet as a float
    (``600123456.0``) is accepted too.
    """
    if s is None:
        return ""
    value = str(s).strip()
    if not value:
        return ""
    if value.endswith(".0") and value[:-2].isdigit():
        value = value[:-2]
    if value.startswith("00"):
        value = "+" + value[2:]
    return _phone(value)


@lru_cache(maxsize=65536)
def _nif(value: str) -> str:
    try:
        return es_nif.validate(value)
    except InvalidChecksum:
        raise ValueError(NIF_BAD_LETTER) from None
    except InvalidLength:
        raise ValueError(NIF_BAD_LENGTH) from None
    except (InvalidComponent, ValueError):
        raise ValueError(NIF_INVALID) from None


def nif_compact(s: str | None) -> str:
    """Upper-case without blanks, dots, hyphens or an ``ES`` VAT prefix (no validation)."""
    if s is None:
        return ""
    value = _NIF_STRIP.sub("", str(s)).upper()
    if value.startswith("ES") and len(value) == 11:
        value = value[2:]
    return value


def normalize_nif(s: str | None) -> str:
    """Validated compact DNI/NIE/CIF (``B12345674``); ``""`` when blank; ``ValueError`` else."""
    value = nif_compact(s)
    if not value:
        return ""
    return _nif(value)


def nif_is_valid(s: str | None) -> bool:
    try:
        return bool(normalize_nif(s))
    except ValueError:
        return False


def phone_is_valid(s: str | None) -> bool:
    try:
        return bool(normalize_phone(s))
    except ValueError:
        return False


def email_domain(s: str | None) -> str:
    """The domain part of an email, lowercase; ``""`` if there is none."""
    value = normalize_email(s)
    return value.rsplit("@", 1)[1] if "@" in value else ""


__all__ = ["EMAIL_INVALID", "EMAIL_PATTERN", "NIF_INVALID", "PHONE_INVALID", "email_domain",
           "email_is_valid", "nif_compact", "nif_is_valid", "normalize_email", "normalize_nif",
           "normalize_phone", "phone_is_valid"]
