"""The organisation using the CRM (one row): Ajustes → Empresa, ``/api/v1/company`` and
``crm company`` read and change it through this module (admins, or the system at the console).

- Every field is validated here, with Spanish messages per field: NIF/CIF/NIE (python-stdnum),
  IBAN (``stdnum.iban``), SEPA creditor identifier (``stdnum.eu.at_02``: ISO 7064 mod 97-10),
  e-mail, month 1–12, bounded numbers, series, brand colour.
- The SMTP password is write-only: stored encrypted (``secret_box``), never returned; views
  say only whether one is stored (``smtp_password_set``).
- The logo (PNG/JPEG, ≤ 1 MB) lives in the data dir (``company/logo.png``), served to signed-in
  users through ``/api/v1/company/logo``; quote PDFs embed it from the file.
- ``mail_settings`` is what the mailer sends through: the company's SMTP server when one is
  set, else ``None`` (the mailer's ``CRM_SMTP_*`` settings).
- Each change writes one audit event with the changed fields before/after (the password only
  as ``"***"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, select
from stdnum import iban as stdnum_iban
from stdnum.eu import at_02

from crm_app.i18n import t
from crm_app.models import Organisation, utcnow
from crm_app.permissions import Perm, PermissionDenied, require
from crm_app.services import audit, mailer, secret_box
from crm_app.services.actors import Actor, is_system, needs_actor
from crm_app.services.defaults import ensure_organisation
from crm_app.services.errors import DomainError, NotFound, ValidationFailed
from crm_app.services.normalize import (
    email_is_valid,
    normalize_email,
    normalize_nif,
    normalize_phone,
)
from crm_app.services.quote_maths import IVA_RATES
from crm_app.services.sales_common import unknown_fields
from crm_app.services.spain import canonical_province, province_from_postal_code
from crm_app.settings import get_settings

SMTP_PURPOSE = "company-smtp-password"
LOGO_KEY_STEM = "company/logo"
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": (".png", "image/png"), b"\xff\xd8\xff": (".jpg", "image/jpeg")}
MAX_LOGO_BYTES = 1024 * 1024
REDACTED = "***"

# Plain text fields: (name, max length, required)
TEXT_FIELDS: tuple[tuple[str, int, bool], ...] = (
    ("legal_name", 200, True), ("trade_name", 200, False), ("address", 300, False),
    ("city", 120, False),
)
# Whole numbers: (name, low, high)
INT_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("fiscal_year_start_month", 1, 12), ("payment_terms_days", 0, 365),
    ("quote_validity_days", 1, 365), ("smtp_port", 1, 65535),
)
SERIES_FIELDS = ("quote_series", "invoice_series", "credit_note_series", "simplified_series")
SMTP_FIELDS = ("smtp_host", "smtp_port", "smtp_user", "smtp_password", "smtp_starttls",
               "smtp_from")
FIELDS = ("legal_name", "trade_name", "nif", "address", "postal_code", "city", "province",
          "country", "phone", "email", "website", "fiscal_year_start_month",
          "default_tax_rate", "payment_terms_days", "quote_validity_days", *SERIES_FIELDS,
          "iban", "sepa_creditor_id", "brand_color", *SMTP_FIELDS)
SERIES_RE = re.compile(r"[A-Z0-9]{1,5}")
COLOR_RE = re.compile(r"#[0-9a-f]{6}")
HOST_RE = re.compile(r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}"
                     r"[a-z0-9])?)*")
MAX_SMTP_USER = 254
MAX_SMTP_PASSWORD = 256


# --- reading ----------------------------------------------------------------------------------


def _stored(session: Session) -> Organisation | None:
    return session.exec(select(Organisation).order_by(Organisation.id)).first()


@needs_actor
def organisation(*, session: Session, actor: Actor) -> Organisation:
    """The organisation's row, or the defaults (EUR, Europe/Madrid…) when none is stored yet;
    reading never creates it."""
    require(actor, Perm.SETTINGS_CHANGE)
    return _stored(session) or Organisation()


def _password_set(org: Organisation) -> bool:
    return bool(org.smtp_password_enc)


def values(org: Organisation) -> dict[str, Any]:
    """Every editable field of ``org`` (the screen's and the CLI's view): the password only as
    ``smtp_password_set``; the IBAN in groups of four."""
    out: dict[str, Any] = {k: getattr(org, k) for k in FIELDS if k != "smtp_password"}
    out["iban"] = stdnum_iban.format(org.iban) if org.iban else ""
    out["smtp_password_set"] = _password_set(org)
    out["logo"] = bool(org.logo_path)
    return out


def public(org: Organisation) -> dict[str, Any]:
    """What ``GET /api/v1/company`` answers: the issue's keys, ``smtp`` as an object without
    the password (``password_set`` says whether one is stored)."""
    keys = ("legal_name", "trade_name", "nif", "address", "postal_code", "city", "province",
            "country", "phone", "email", "website", "fiscal_year_start_month",
            "default_tax_rate", "payment_terms_days", "quote_validity_days", "iban",
            "sepa_creditor_id")
    out: dict[str, Any] = {k: getattr(org, k) for k in keys}
    out["smtp"] = {"host": org.smtp_host, "port": org.smtp_port, "user": org.smtp_user,
                   "starttls": org.smtp_starttls, "from": org.smtp_from,
                   "password_set": _password_set(org)}
    return out


@needs_actor
def company(*, session: Session, actor: Actor) -> dict[str, Any]:
    """``values`` of the organisation (admins)."""
    return values(organisation(session=session, actor=actor))


@needs_actor
def company_public(*, session: Session, actor: Actor) -> dict[str, Any]:
    """``public`` of the organisation (admins)."""
    return public(organisation(session=session, actor=actor))


# --- validation -------------------------------------------------------------------------------


def _int(value: Any, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    if isinstance(value, bool):
        errors[name] = t("company.err.integer")
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        errors[name] = t("company.err.month") if name == "fiscal_year_start_month" \
            else t("company.err.integer")
        return None
    if not low <= number <= high:
        errors[name] = t("company.err.month") if name == "fiscal_year_start_month" \
            else t("company.err.range", low=low, high=high)
        return None
    return number


def _bool(value: Any, name: str, errors: dict[str, str]) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "sí", "si", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    errors[name] = t("company.err.bool")
    return None


def _str(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _website(value: str, errors: dict[str, str]) -> str:
    if not value:
        return ""
    url = value if "://" in value else f"https://{value}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if (len(url) > 255 or parts.scheme not in ("http", "https") or "." not in host
            or not HOST_RE.fullmatch(host)):
        errors["website"] = t("company.err.website")
        return value
    return url


def _sender_ok(value: str) -> bool:
    if any(ch in value for ch in "\r\n"):
        return False
    _name, address = parseaddr(value)
    return bool(address) and email_is_valid(address) and len(value) <= 320


def clean(data: Mapping[str, Any], current: Organisation) -> tuple[dict[str, Any], str | None]:
    """The new values of the fields given in ``data`` (validated together with the current
    ones: a postal code against the province, the series against each other) and the new SMTP
    password (``None``: unchanged; ``""``: removed). ``ValidationFailed`` lists every bad
    field at once."""
    errors = unknown_fields(data=data, allowed=FIELDS)
    merged = {k: getattr(current, k) for k in FIELDS if k != "smtp_password"}
    merged.update({k: v for k, v in data.items() if k in FIELDS and k != "smtp_password"})
    out: dict[str, Any] = {}

    for name, max_len, required in TEXT_FIELDS:
        value = _str(merged.get(name))
        if required and not value:
            errors[name] = t("company.err.required")
        elif len(value) > max_len:
            errors[name] = t("company.err.too_long", max=max_len)
        out[name] = value

    country = _str(merged.get("country")).upper() or "ES"
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        errors["country"] = t("company.err.country")
    out["country"] = country
    spanish = country == "ES"

    raw_nif = _str(merged.get("nif"))
    try:
        out["nif"] = normalize_nif(raw_nif) if spanish else raw_nif.upper()[:20]
    except ValueError as exc:
        errors["nif"] = str(exc) or t("company.err.nif")
        out["nif"] = raw_nif

    postal = _str(merged.get("postal_code"))
    if len(postal) > 10 or (spanish and postal and (len(postal) != 5 or not postal.isdigit())):
        errors["postal_code"] = t("company.err.postal_code")
    out["postal_code"] = postal
    raw_province = _str(merged.get("province"))
    if spanish:
        province = canonical_province(raw_province) if raw_province else ""
        if raw_province and not province:
            errors["province"] = t("company.err.province")
            province = raw_province
        elif not province and postal and "postal_code" not in errors:
            province = province_from_postal_code(postal)
        out["province"] = province
    else:
        if len(raw_province) > 120:
            errors["province"] = t("company.err.too_long", max=120)
        out["province"] = raw_province

    try:
        out["phone"] = normalize_phone(_str(merged.get("phone")))
    except ValueError as exc:
        errors["phone"] = str(exc)
        out["phone"] = _str(merged.get("phone"))
    email = normalize_email(_str(merged.get("email")))
    if email and not email_is_valid(email):
        errors["email"] = t("company.err.email")
    out["email"] = email
    out["website"] = _website(_str(merged.get("website")), errors)

    for name, low, high in INT_FIELDS:
        number = _int(merged.get(name), name, low, high, errors)
        out[name] = number if number is not None else getattr(current, name)

    rate = merged.get("default_tax_rate")
    try:
        number = Decimal(str(rate).strip().replace(",", ".").rstrip("%").strip())
    except (ArithmeticError, ValueError):
        number = None
    if number is None or not number.is_finite() or number not in IVA_RATES:
        errors["default_tax_rate"] = t("company.err.tax_rate")
        out["default_tax_rate"] = current.default_tax_rate
    else:
        out["default_tax_rate"] = number.quantize(Decimal("0.01"))

    for name in SERIES_FIELDS:
        series = _str(merged.get(name)).upper()
        if not SERIES_RE.fullmatch(series):
            errors[name] = t("company.err.series")
        out[name] = series
    invoicing = [out[n] for n in SERIES_FIELDS[1:]]
    if len(set(invoicing)) < len(invoicing):
        for name in SERIES_FIELDS[1:]:
            if invoicing.count(out[name]) > 1 and name in data:
                errors.setdefault(name, t("company.err.series_repeated"))
        if not any(n in errors for n in SERIES_FIELDS[1:]):
            errors["invoice_series"] = t("company.err.series_repeated")

    raw_iban = _str(merged.get("iban"))
    compact = stdnum_iban.compact(raw_iban) if raw_iban else ""
    if compact and not stdnum_iban.is_valid(compact):
        errors["iban"] = t("company.err.iban")
    out["iban"] = compact
    raw_creditor = _str(merged.get("sepa_creditor_id"))
    creditor = at_02.compact(raw_creditor) if raw_creditor else ""
    if creditor and not at_02.is_valid(creditor):
        errors["sepa_creditor_id"] = t("company.err.creditor")
    out["sepa_creditor_id"] = creditor

    color = _str(merged.get("brand_color")).lower()
    if color and not color.startswith("#"):
        color = "#" + color
    if color and not COLOR_RE.fullmatch(color):
        errors["brand_color"] = t("company.err.color")
    out["brand_color"] = color

    host = _str(merged.get("smtp_host")).lower()
    if host and not HOST_RE.fullmatch(host):
        errors["smtp_host"] = t("company.err.smtp_host")
    out["smtp_host"] = host
    user = _str(merged.get("smtp_user"))
    if len(user) > MAX_SMTP_USER or any(ch in user for ch in "\r\n"):
        errors["smtp_user"] = t("company.err.too_long", max=MAX_SMTP_USER)
    out["smtp_user"] = user
    starttls = _bool(merged.get("smtp_starttls"), "smtp_starttls", errors)
    out["smtp_starttls"] = current.smtp_starttls if starttls is None else starttls
    sender = _str(merged.get("smtp_from"))
    if sender and not _sender_ok(sender):
        errors["smtp_from"] = t("company.err.smtp_from")
    elif host and not sender:
        errors["smtp_from"] = t("company.err.smtp_from_required")
    out["smtp_from"] = sender

    password: str | None = None
    if "smtp_password" in data and data["smtp_password"] is not None:
        password = str(data["smtp_password"])
        if len(password) > MAX_SMTP_PASSWORD:
            errors["smtp_password"] = t("company.err.too_long", max=MAX_SMTP_PASSWORD)
    if errors:
        raise ValidationFailed(errors)
    return out, password


# --- changing ---------------------------------------------------------------------------------


def _audit_view(org: Organisation) -> dict[str, Any]:
    """The audited picture: every field, the password only as ``***`` when one is stored."""
    snap = audit.snapshot(org) or {}
    snap.pop("smtp_password_enc", None)
    snap["smtp_password"] = REDACTED if org.smtp_password_enc else ""
    return snap


@needs_actor
def update_company(*, session: Session, actor: Actor, data: Mapping[str, Any]) -> Organisation:
    """Change the fields given in ``data`` (``FIELDS``; the rest stay). ``smtp_password``:
    ``None`` or absent keeps the stored one, ``""`` removes it, text replaces it. Creates the
    row on a new install. One audit event with what changed (password redacted)."""
    require(actor, Perm.SETTINGS_CHANGE)
    org = ensure_organisation(session=session)
    before = _audit_view(org)
    new, password = clean(data, org)
    for key, value in new.items():
        setattr(org, key, value)
    password_changed = False
    if password is not None:
        token = secret_box.encrypt(password, purpose=SMTP_PURPOSE)
        password_changed = bool(password) or bool(org.smtp_password_enc)
        org.smtp_password_enc = token
    after = _audit_view(org)
    old, changed = audit.diff(before, after)
    if password_changed and "smtp_password" not in changed:
        old["smtp_password"], changed["smtp_password"] = before["smtp_password"], \
            f"{REDACTED} (cambiada)"
    if changed:
        org.updated_at = utcnow()
        session.add(org)
        session.flush()
        audit.record(session=session, actor=actor, entity="organisation", entity_id=org.id,
                     action="update", before=old, after=changed, note="Empresa")
    session.commit()
    session.refresh(org)
    return org


# --- logo -------------------------------------------------------------------------------------


def _logo_kind(content: bytes) -> tuple[str, str] | None:
    return next((kind for magic, kind in LOGO_TYPES.items() if content.startswith(magic)), None)


def logo_file(org: Organisation) -> Path | None:
    """The stored logo: only a file of the data dir's ``company`` folder counts."""
    if not org.logo_path:
        return None
    data_dir = get_settings().data_dir
    path = (data_dir / org.logo_path).resolve()
    if path.parent != (data_dir / "company").resolve() or not path.is_file():
        return None
    return path


def logo_url(*, session: Session) -> str:
    """The logo's authorised route (``v`` changes with each new logo); ``""`` without one."""
    org = _stored(session)
    if org is None or logo_file(org) is None:
        return ""
    stamp = int(org.updated_at.timestamp()) if org.updated_at else 0
    return f"/api/v1/company/logo?v={stamp}"


@needs_actor
def company_logo(*, session: Session, actor: Actor) -> tuple[bytes, str]:
    """``(bytes, content type)`` of the logo, for any signed-in user (the app's header)."""
    if not is_system(actor) and not actor.active:
        raise PermissionDenied()
    org = _stored(session)
    path = logo_file(org) if org is not None else None
    content = path.read_bytes() if path is not None else b""
    kind = _logo_kind(content)
    if kind is None:
        raise NotFound(t("company.err.no_logo"))
    return content, kind[1]


def _remove_logo_files(keep: str = "") -> None:
    folder = get_settings().data_dir / "company"
    for ext, _ in LOGO_TYPES.values():
        path = folder / f"logo{ext}"
        if path.name != keep:
            path.unlink(missing_ok=True)


@needs_actor
def set_logo(*, session: Session, actor: Actor, content: bytes) -> Organisation:
    """Store a PNG or JPEG logo (≤ 1 MB, checked by its bytes) in the data dir."""
    require(actor, Perm.SETTINGS_CHANGE)
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationFailed({"logo": t("company.err.logo_size", mb=MAX_LOGO_BYTES // 2**20)})
    kind = _logo_kind(content)
    if kind is None:
        raise ValidationFailed({"logo": t("company.err.logo_type")})
    org = ensure_organisation(session=session)
    key = f"{LOGO_KEY_STEM}{kind[0]}"
    target = get_settings().data_dir / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    _remove_logo_files(keep=target.name)
    before = org.logo_path
    org.logo_path = key
    org.updated_at = utcnow()
    session.add(org)
    session.flush()
    audit.record(session=session, actor=actor, entity="organisation", entity_id=org.id,
                 action="update", before={"logo_path": before}, after={"logo_path": key},
                 note="Logotipo")
    session.commit()
    return org


@needs_actor
def remove_logo(*, session: Session, actor: Actor) -> Organisation:
    require(actor, Perm.SETTINGS_CHANGE)
    org = ensure_organisation(session=session)
    before = org.logo_path
    _remove_logo_files()
    if before:
        org.logo_path = ""
        org.updated_at = utcnow()
        session.add(org)
        session.flush()
        audit.record(session=session, actor=actor, entity="organisation", entity_id=org.id,
                     action="update", before={"logo_path": before}, after={"logo_path": ""},
                     note="Logotipo")
    session.commit()
    return org


# --- outgoing mail ----------------------------------------------------------------------------


def mail_settings(*, session: Session) -> Any | None:
    """The SMTP settings to hand the mailer: the company's server when Ajustes → Empresa has
    one (host set); ``None`` without one, so the mailer uses its ``CRM_SMTP_*`` settings.
    ``DomainError`` when the stored password cannot be decrypted (the secret key changed)."""
    org = _stored(session)
    if org is None or not org.smtp_host:
        return None
    settings = get_settings()
    try:
        password = secret_box.decrypt(org.smtp_password_enc, purpose=SMTP_PURPOSE)
    except secret_box.SecretUnreadable:
        raise DomainError(t("company.err.password_unreadable")) from None
    return settings.model_copy(update={
        "smtp_host": org.smtp_host, "smtp_port": org.smtp_port, "smtp_user": org.smtp_user,
        "smtp_password": password, "smtp_starttls": org.smtp_starttls,
        "smtp_from": org.smtp_from})


@needs_actor
def send_test_email(*, session: Session, actor: Actor, to: str | None = None,
                    settings: Any = None) -> str:
    """Send "Correo de prueba del CRM" through ``mail_settings`` (or ``settings``) to ``to``
    (default: the admin's own address); returns the address. Mail errors → ``DomainError``
    with the server's reason."""
    require(actor, Perm.SETTINGS_CHANGE)
    address = normalize_email(to) or normalize_email(getattr(actor, "email", "") or "")
    if not email_is_valid(address):
        raise ValidationFailed({"to": t("company.err.test_to")})
    settings = settings or mail_settings(session=session)
    org = _stored(session) or Organisation()
    server = settings or get_settings()
    body = t("company.test_mail.body", company=org.trade_name or org.legal_name or "tu empresa",
             host=server.smtp_host, port=server.smtp_port)
    try:
        mailer.send_email(to=[address], subject=t("company.test_mail.subject"), body=body,
                          settings=settings)
    except mailer.MailError as exc:
        raise DomainError(str(exc)) from exc
    return address


__all__ = ["FIELDS", "MAX_LOGO_BYTES", "clean", "company", "company_logo", "company_public",
           "logo_file", "logo_url", "mail_settings", "organisation", "public", "remove_logo",
           "send_test_email", "set_logo", "update_company", "values"]
