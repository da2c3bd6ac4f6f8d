"""``crm company``: the company's data (Ajustes → Empresa) for scripted installs.

``crm company set --legal-name … --nif … [more options]`` validates like the screen and the
API (``services.organisation``) and is audited as the system ("Sistema"); only the options
given change. ``crm company show`` prints the data (``--json`` for scripts); the SMTP password
is never printed, only whether one is stored.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from crm_app.cli.common import cli_session, fail, print_json
from crm_app.services import organisation as org_service
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import DomainError, ValidationFailed

app = typer.Typer(help="Datos de la empresa (Ajustes → Empresa).", no_args_is_help=True)

# Option name → service field, in the order ``show`` prints them, with their Spanish label.
LABELS: dict[str, str] = {
    "legal_name": "Razón social", "trade_name": "Nombre comercial", "nif": "NIF/CIF",
    "address": "Dirección", "postal_code": "Código postal", "city": "Población",
    "province": "Provincia", "country": "País", "phone": "Teléfono", "email": "Correo",
    "website": "Web", "fiscal_year_start_month": "Inicio del ejercicio (mes)",
    "default_tax_rate": "IVA por defecto", "payment_terms_days": "Plazo de pago (días)",
    "quote_validity_days": "Validez de presupuestos (días)",
    "quote_series": "Serie de presupuestos", "invoice_series": "Serie de facturas",
    "credit_note_series": "Serie de rectificativas",
    "simplified_series": "Serie de simplificadas", "iban": "IBAN",
    "sepa_creditor_id": "Acreedor SEPA", "brand_color": "Color de marca",
    "smtp_host": "SMTP servidor", "smtp_port": "SMTP puerto", "smtp_user": "SMTP usuario",
    "smtp_starttls": "SMTP STARTTLS", "smtp_from": "SMTP remitente",
}


def _show_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "sí" if value else "no"
    return "—" if value in ("", None) else str(value)


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Salida JSON.")) -> None:
    """Muestra los datos de la empresa (la contraseña SMTP nunca)."""
    with cli_session() as session:
        data = org_service.company(session=session, actor=SYSTEM)
    if as_json:
        print_json(data)
        return
    for key, label in LABELS.items():
        typer.echo(f"{label}: {_show_value(key, data[key])}")
    typer.echo("SMTP contraseña: " + ("(guardada)" if data["smtp_password_set"] else "—"))
    typer.echo("Logotipo: " + ("sí" if data["logo"] else "no"))


@app.command("set")
def set_company(  # noqa: PLR0913 - one option per field, as the screen has them
    legal_name: str | None = typer.Option(None, "--legal-name", help="Razón social."),
    trade_name: str | None = typer.Option(None, "--trade-name", help="Nombre comercial."),
    nif: str | None = typer.Option(None, "--nif", help="NIF/CIF/NIE (se valida)."),
    address: str | None = typer.Option(None, "--address"),
    postal_code: str | None = typer.Option(None, "--postal-code"),
    city: str | None = typer.Option(None, "--city"),
    province: str | None = typer.Option(None, "--province"),
    country: str | None = typer.Option(None, "--country", help="Código de dos letras: ES…"),
    phone: str | None = typer.Option(None, "--phone"),
    email: str | None = typer.Option(None, "--email"),
    website: str | None = typer.Option(None, "--website"),
    fiscal_year_start_month: int | None = typer.Option(
        None, "--fiscal-year-start-month", help="1 a 12."),
    default_tax_rate: str | None = typer.Option(None, "--default-tax-rate",
                                                help="21, 10, 4 o 0."),
    payment_terms_days: int | None = typer.Option(None, "--payment-terms-days",
                                                  help="0 a 365."),
    quote_validity_days: int | None = typer.Option(None, "--quote-validity-days",
                                                   help="1 a 365."),
    quote_series: str | None = typer.Option(None, "--quote-series", help="P por defecto."),
    invoice_series: str | None = typer.Option(None, "--invoice-series"),
    credit_note_series: str | None = typer.Option(None, "--credit-note-series"),
    simplified_series: str | None = typer.Option(None, "--simplified-series"),
    iban: str | None = typer.Option(None, "--iban"),
    sepa_creditor_id: str | None = typer.Option(None, "--sepa-creditor-id"),
    brand_color: str | None = typer.Option(None, "--brand-color", help="#RRGGBB."),
    smtp_host: str | None = typer.Option(None, "--smtp-host",
                                         help="Vacío: se usa CRM_SMTP_*."),
    smtp_port: int | None = typer.Option(None, "--smtp-port"),
    smtp_user: str | None = typer.Option(None, "--smtp-user"),
    smtp_password_stdin: bool = typer.Option(
        False, "--smtp-password-stdin", help="Lee la contraseña SMTP de la entrada estándar."),
    clear_smtp_password: bool = typer.Option(False, "--clear-smtp-password",
                                             help="Borra la contraseña SMTP guardada."),
    smtp_starttls: bool | None = typer.Option(None, "--smtp-starttls/--no-smtp-starttls"),
    smtp_from: str | None = typer.Option(None, "--smtp-from",
                                         help="«Nombre <correo@dominio>»."),
    logo: Path | None = typer.Option(None, "--logo", help="PNG o JPEG de hasta 1 MB."),
    remove_logo: bool = typer.Option(False, "--remove-logo"),
) -> None:
    """Cambia los datos de la empresa indicados (los demás se quedan como están)."""
    given = {k: v for k, v in locals().items() if k in LABELS and v is not None}
    if smtp_password_stdin and clear_smtp_password:
        fail("indica --smtp-password-stdin o --clear-smtp-password, no los dos")
    if smtp_password_stdin:
        given["smtp_password"] = sys.stdin.readline().rstrip("\r\n")
    elif clear_smtp_password:
        given["smtp_password"] = ""
    if logo is not None and remove_logo:
        fail("indica --logo o --remove-logo, no los dos")
    content = None
    if logo is not None:
        try:
            content = logo.read_bytes()
        except OSError as exc:
            fail(f"no se puede leer {logo}: {exc.strerror or exc}")
    if not given and content is None and not remove_logo:
        fail("no hay nada que cambiar: indica al menos una opción (crm company set --help)")
    with cli_session() as session:
        try:
            if given:
                org_service.update_company(session=session, actor=SYSTEM, data=given)
            if content is not None:
                org_service.set_logo(session=session, actor=SYSTEM, content=content)
            if remove_logo:
                org_service.remove_logo(session=session, actor=SYSTEM)
        except ValidationFailed as exc:
            fail("; ".join(f"{_option(k)}: {v}" for k, v in exc.errors.items()))
        except DomainError as exc:
            fail(exc.message)
        data = org_service.company(session=session, actor=SYSTEM)
    typer.echo(f"Empresa guardada: {data['legal_name']} ({data['nif'] or 'sin NIF'}).")


def _option(field: str) -> str:
    """``--legal-name`` for ``legal_name`` (the option the operator typed)."""
    if field == "smtp_password":
        return "--smtp-password-stdin"
    return "--" + field.replace("_", "-")


__all__ = ["app"]
