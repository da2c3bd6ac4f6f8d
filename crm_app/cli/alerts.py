"""``crm alerts``: the built-in alerts' time checks, run once (what beat runs every 5 min).

``crm alerts sweep [--json]`` raises the alerts of the switched-on checks (idle deal, overdue
task, quote about to expire, lead not contacted) that have not fired in the current episode,
resolves those whose condition ended, and hands the new ones' e-mail/push to the worker.
"""

from __future__ import annotations

import typer

from crm_app.cli.common import cli_session, print_json
from crm_app.services import alerts as alert_service
from crm_app.worker.queue import alert_sender, install_alert_delivery

app = typer.Typer(help="Alertas automáticas.", no_args_is_help=True)


@app.command("sweep")
def sweep(as_json: bool = typer.Option(False, "--json", help="Salida JSON."),
          deliver: bool = typer.Option(True, "--deliver/--no-deliver",
                                       help="Enviar correo/push de las nuevas (worker).")
          ) -> None:
    """Comprueba ahora las alertas automáticas (una pasada, idempotente)."""
    if deliver:
        install_alert_delivery()
    with cli_session() as session:
        result = alert_service.sweep(session=session)
    if deliver:
        alert_sender.flush()
    if as_json:
        print_json(result)
        return
    per_check = ", ".join(f"{k}: {v}" for k, v in result["created"].items())
    typer.echo(f"Alertas nuevas: {result['alerts']} ({per_check}); resueltas: "
               f"{result['resolved']}; {result['seconds']} s")


@app.callback()
def main() -> None:
    """Alertas automáticas (``sweep``)."""
