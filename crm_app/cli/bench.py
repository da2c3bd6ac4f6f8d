"""``crm bench``: reproducible benchmarks that print JSON lines."""

from __future__ import annotations

from pathlib import Path

import typer

from crm_app.cli.common import print_json

app = typer.Typer(help="Pruebas de rendimiento (imprimen JSON).", no_args_is_help=True)


@app.command("import")
def bench_import(
    rows: int = typer.Option(100_000, "--rows", min=1, help="Filas del CSV generado."),
    baseline_rows: int | None = typer.Option(
        None, "--baseline-rows", min=1,
        help="Filas para el importador ingenuo (por defecto, todas; se escala por fila)."),
    seed: int = typer.Option(2026, "--seed"),
    encoding: str = typer.Option("cp1252", "--encoding", help="cp1252 o utf-8-sig."),
    workdir: Path | None = typer.Option(None, "--workdir", help="Dónde dejar CSV y bases."),
    repeat: int = typer.Option(3, "--repeat", min=1,
                               help="Importaciones propias; cuenta la mediana."),
    as_json: bool = typer.Option(False, "--json", help="Una línea JSON por métrica."),
) -> None:
    """Importa un CSV español generado (validación, duplicados, reglas de asignación) y lo
    compara con un importador ingenuo (csv + un objeto ORM por fila)."""
    from crm_app.services.importing.bench import run

    if encoding not in ("cp1252", "utf-8-sig"):
        raise typer.BadParameter("usa cp1252 o utf-8-sig", param_hint="--encoding")
    result = run(rows, seed=seed, baseline_rows=baseline_rows, workdir=workdir,
                 encoding=encoding, repeat=repeat)
    lines = result.lines()
    if as_json:
        for line in lines:
            print_json(line)
        return
    ours, rate = lines[:2]
    typer.echo(f"{result.n} filas ({result.file_bytes / 1e6:.1f} MB, lectura {result.method}): "
               f"{ours['value']} s ({rate['value']} filas/s); ingenuo {ours['baseline']} s "
               f"({rate['baseline']} filas/s): {rate['ratio']}× más rápido. "
               f"Creados {result.created}, omitidos {result.skipped}, rechazados "
               f"{result.rejected}. Memoria máxima {result.peak_rss_mb} MB.")

from crm_app.cli.bench_kpis import kpis as _kpis  # noqa: E402

app.command("kpis")(_kpis)


@app.command("leads")
def bench_leads(
    rows: int = typer.Option(200_000, "--rows", min=100, help="Leads importados."),
    seed: int = typer.Option(2026, "--seed"),
    repeat: int = typer.Option(5, "--repeat", min=1, help="Mediciones por consulta (mediana)."),
    workdir: Path | None = typer.Option(None, "--workdir", help="Dónde dejar la base."),
    as_json: bool = typer.Option(False, "--json", help="Una línea JSON por métrica."),
) -> None:
    """Mide la lista de leads (recuento + una página de 25) con 200.000 leads: vistas por
    rol, filtros, búsquedas y orden, frente a cargar todos los leads."""
    from crm_app.services.leads_bench import run

    rows_out = run(rows, seed=seed, workdir=workdir, repeat=repeat,
                   log=lambda m: typer.echo(m, err=True))
    for row in rows_out:
        if as_json:
            print_json(row)
        else:
            typer.echo(f"{row['metric']}: {row['value']} ms (cargar todo {row['baseline']} ms)")


from crm_app.cli.bench_automations import automations as _automations  # noqa: E402

app.command("automations")(_automations)
