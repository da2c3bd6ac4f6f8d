"""``crm automations``: the automation rules' time sweep and event queue from the shell."""

from __future__ import annotations

import typer

from crm_app.cli.common import cli_session, print_json

app = typer.Typer(help="Automatizaciones: reglas por tiempo y cola de eventos.",
                  no_args_is_help=True)


def _queues() -> None:
    """Emails and chained events leave as Celery tasks, as from the web process."""
    from crm_app.worker.queue import install_automation_queues

    install_automation_queues(background=False)


@app.command("run-due")
def run_due(as_json: bool = typer.Option(False, "--json", help="Una línea JSON.")) -> None:
    """Ejecuta una vez el barrido de las reglas por tiempo (sin actividad, sin contactar,
    presupuesto que caduca, fecha de cierre superada, tarea vencida)."""
    from crm_app.services.automation import engine

    _queues()
    with cli_session() as session:
        out = engine.run_due(session=session)
    if as_json:
        print_json(out)
        return
    typer.echo(f"{out['rules']} reglas, {out['fired']} disparos: {out['tasks']} tareas, "
               f"{out['alerts']} alertas, {out['emails']} correos en {out['seconds']} s.")


@app.command("process-events")
def process_events(as_json: bool = typer.Option(False, "--json", help="Una línea JSON."),
                   ) -> None:
    """Procesa ahora los eventos pendientes (lo hace el worker; útil sin él)."""
    from crm_app.services.automation import engine

    _queues()
    total = {"events": 0, "fired": 0}
    with cli_session() as session:
        while True:
            out = engine.process_outbox(session=session)
            total["events"] += out["events"]
            total["fired"] += out["fired"]
            if out["events"] < engine.OUTBOX_BATCH:
                break
    if as_json:
        print_json(total)
    else:
        typer.echo(f"{total['events']} eventos, {total['fired']} disparos.")
