"""``crm bench kpis``: the analytics benchmark (see ``analytics.bench``), registered in the
``crm bench`` group."""

from __future__ import annotations

from pathlib import Path

import typer

from crm_app.cli.common import print_json


def kpis(
    opportunities: int = typer.Option(1_000_000, "--opportunities", min=100,
                                      help="Oportunidades generadas (con su historial)."),
    seed: int = typer.Option(2026, "--seed"),
    workdir: Path | None = typer.Option(None, "--workdir",
                                        help="Dónde dejar la base y la instantánea."),
    as_json: bool = typer.Option(False, "--json", help="Una línea JSON por métrica."),
) -> None:
    """Genera datos (1M oportunidades, 200.000 clientes, 2M actividades, 20 equipos, 1.000
    usuarios), crea la instantánea y mide los cuadros de mando de empresa y de equipo frente a
    las mismas consultas GROUP BY sobre la base transaccional, y el PDF mensual."""
    from analytics import bench
    from crm_app.models import Role, User
    from crm_app.reports.monthly import render_monthly_report

    director = User(id=2, email="u2@bench.crm", name="Usuario 2", role=Role.DIRECTOR,
                    active=True)

    def pdf(con, month):  # noqa: ANN001, ANN202
        return render_monthly_report(user=director, month=month, con=con)

    def log(message: str) -> None:
        typer.echo(message, err=True)

    rows = bench.run(opportunities, seed=seed, workdir=workdir, pdf=pdf, log=log)
    for row in rows:
        if as_json:
            print_json(row)
        else:
            extra = f" (SQL {row['baseline']}, ratio {row['ratio']})" if row["baseline"] else ""
            typer.echo(f"{row['metric']}: {row['value']} {row['unit']}{extra}")
