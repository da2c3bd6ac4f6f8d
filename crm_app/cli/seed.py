"""``crm seed``: demo data."""

from __future__ import annotations

import typer

from crm_app.cli.common import cli_session, fail
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import DomainError
from crm_app.services.maintenance import refresh_statistics

app = typer.Typer(help="Datos de demostración.", no_args_is_help=True)


@app.command("demo")
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="Solo si la base de datos está vacía."),
    seed: int = typer.Option(2026, help="Semilla fija: los mismos datos en cada máquina."),
) -> None:
    """Carga la empresa, los usuarios demo y ~3 años de actividad comercial."""
    from crm_app.services import demo as demo_service

    with cli_session() as session:
        if if_empty and not demo_service.database_is_empty(session=session):
            typer.echo("La base de datos ya tiene datos: no se cargan los de demostración.")
            return
        try:
            summary = demo_service.load_demo(session=session, actor=SYSTEM, seed=seed)
        except DomainError as exc:
            fail(exc.message)
        refresh_statistics(session=session)
    typer.echo("Datos de demostración cargados: " +
               ", ".join(f"{k}={v}" for k, v in summary.items()))
