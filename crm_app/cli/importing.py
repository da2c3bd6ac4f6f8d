"""``crm import``: leads, accounts, contacts and opportunities from CSV/XLSX; undo a batch.

Exit codes: 0 when the file was processed (rejected rows included, they are listed); 1 when
the file cannot be read, the mapping is wrong, the user may not import, or the import failed
(nothing is imported in those cases).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from crm_app.cli.common import actor_by_email, cli_session, fail, print_json

app = typer.Typer(help="Importación de archivos CSV/XLSX (y deshacer una importación).",
                  no_args_is_help=True)

_POLICY_HELP = "Qué hacer con los duplicados: skip (omitir), update (actualizar) o create."


def _load_mapping(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        fail(f"no se puede leer el mapeo {path}: {exc.strerror}")
    except json.JSONDecodeError as exc:
        fail(f"el mapeo {path} no es JSON válido (línea {exc.lineno}): {exc.msg}")
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in data.items()):
        fail('el mapeo debe ser un objeto JSON {"Columna": "campo" | "ignore"}')
    return data


def _run(entity: str, path: Path, mapping: Path | None, on_duplicate: str, dry_run: bool,
         as_email: str, as_json: bool) -> None:
    from crm_app.services.errors import DomainError, PermissionDenied, ValidationFailed
    from crm_app.services.importing import FileUnreadable, ImportLimits, import_file
    from crm_app.services.importing.limits import check_size

    if on_duplicate not in ("skip", "update", "create"):
        fail("--on-duplicate debe ser skip, update o create")
    user_mapping = _load_mapping(mapping)
    try:
        # Over the size limit the file is not even read into memory.
        check_size(path.stat().st_size, ImportLimits.current())
        data = path.read_bytes()
    except FileUnreadable as exc:
        fail(f"{path.name}: {exc.message}")
    except OSError as exc:
        fail(f"no se puede leer {path}: {exc.strerror}")
    with cli_session() as session:
        actor = actor_by_email(session, as_email)
        try:
            result = import_file(session=session, actor=actor, entity=entity, data=data,
                                 filename=path.name, mapping=user_mapping,
                                 on_duplicate=on_duplicate, dry_run=dry_run)
        except FileUnreadable as exc:
            fail(f"{path.name}: {exc.message} No se ha importado nada.")
        except ValidationFailed as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
            fail(f"{exc.message} {detail} No se ha importado nada.")
        except (DomainError, PermissionDenied) as exc:
            fail(f"{exc.message} No se ha importado nada.")
        except Exception as exc:  # noqa: BLE001 - report, exit non-zero; the batch rolled back
            fail(f"la importación ha fallado y no se ha importado nada: {exc}")
    for warning in result.warnings:
        typer.echo(f"Aviso: {warning}", err=True)
    if as_json:
        print_json(result.summary())
        return
    mode = "Simulación (no se ha guardado nada)" if dry_run else f"Lote {result.batch_id}"
    typer.echo(f"{mode}: {result.rows} filas, {result.created} creadas, {result.updated} "
               f"actualizadas, {result.skipped} omitidas por duplicadas, {result.rejected} "
               f"rechazadas ({result.seconds:.2f} s).")
    for err in result.errors[:50]:
        typer.echo(f"  fila {err['row']}, {err['field']}: {err['message']}")
    if len(result.errors) > 50:
        typer.echo(f"  … y {len(result.errors) - 50} errores más (usa --json para verlos).")


def _command(entity: str, label: str) -> None:
    def command(
        path: Path = typer.Argument(..., help="Archivo CSV o XLSX."),
        mapping: Path | None = typer.Option(
            None, "--mapping", help='JSON {"Columna": "campo" | "ignore"}.'),
        on_duplicate: str = typer.Option("skip", "--on-duplicate", help=_POLICY_HELP),
        dry_run: bool = typer.Option(False, "--dry-run", help="Valida sin guardar nada."),
        as_email: str = typer.Option(..., "--as", help="Correo del usuario que importa."),
        as_json: bool = typer.Option(False, "--json", help="Imprime un objeto JSON."),
    ) -> None:
        _run(entity, path, mapping, on_duplicate, dry_run, as_email, as_json)

    command.__doc__ = f"Importa {label} desde un CSV o XLSX."
    app.command(entity)(command)


_command("leads", "leads")
_command("accounts", "clientes")
_command("contacts", "contactos")
_command("opportunities", "oportunidades (con su etapa, importe, propietario y fechas)")


@app.command("undo")
def undo(
    batch_id: int = typer.Argument(..., help="Número de lote (batch_id)."),
    as_email: str = typer.Option(..., "--as", help="Correo del usuario."),
) -> None:
    """Deshace una importación: borra lo creado y restaura lo actualizado."""
    from crm_app.services.errors import DomainError, PermissionDenied
    from crm_app.services.importing import undo_batch

    with cli_session() as session:
        actor = actor_by_email(session, as_email)
        try:
            batch = undo_batch(session=session, actor=actor, batch_id=batch_id)
        except (DomainError, PermissionDenied) as exc:
            fail(exc.message)
        typer.echo(f"Importación {batch.id} deshecha: {batch.created} registros borrados, "
                   f"{batch.updated} restaurados.")
