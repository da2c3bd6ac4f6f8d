"""``crm analytics`` (the snapshot) and ``crm report`` (the monthly PDF)."""

from __future__ import annotations

from pathlib import Path

import typer

from crm_app.cli.common import actor_by_email, cli_session, fail
from crm_app.services.actors import SYSTEM

app = typer.Typer(help="Analítica: instantánea de datos para cuadros de mando e informes.",
                  no_args_is_help=True)
report_app = typer.Typer(help="Informes en PDF.", no_args_is_help=True)


@app.command("snapshot")
def snapshot() -> None:
    """Reconstruye la instantánea de análisis (DuckDB + Parquet) desde la base de datos."""
    from analytics.snapshot import build_status as snapshot_status
    from crm_app.formatting import datetime_es
    from crm_app.services import analytics as analytics_service

    try:
        info = analytics_service.rebuild_snapshot(actor=SYSTEM)
    except analytics_service.SnapshotFailed as exc:
        status = snapshot_status()
        fail(f"{exc.message}\n{status.error}" if status and not status.ok else exc.message)
    rows = ", ".join(f"{k}={v}" for k, v in info.row_counts.items())
    typer.echo(f"Instantánea {info.version} creada en {info.duration_s:.1f} s "
               f"({datetime_es(info.built_at)}): {rows}")


@report_app.command("monthly")
def monthly(
    month: str = typer.Option(..., "--month", help="Mes del informe, AAAA-MM."),
    as_email: str = typer.Option(..., "--as", help="Correo del usuario: su ámbito de datos."),
    out: Path = typer.Option(..., "--out", help="Fichero PDF de salida."),
    scope: str | None = typer.Option(None, "--scope",
                                     help="me, team o company (por defecto, el del rol)."),
) -> None:
    """Genera el informe comercial mensual en PDF con el ámbito del usuario indicado."""
    from analytics import periods
    from crm_app.permissions import PermissionDenied
    from crm_app.reports.monthly import render_monthly_report
    from crm_app.services import analytics as analytics_service

    try:
        period = periods.parse_month(month)
    except ValueError as exc:
        fail(str(exc))
    with cli_session() as session:
        user = actor_by_email(session, as_email)
        try:
            chosen = analytics_service.scope_for(user, scope) if scope else None
            pdf = render_monthly_report(user=user, month=period.start, scope=chosen)
        except PermissionDenied as exc:
            fail(exc.message)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    typer.echo(f"Informe de {period.label} para {user.email} guardado en {out} "
               f"({len(pdf) / 1024:.0f} KB).")


__all__ = ["app", "report_app"]
