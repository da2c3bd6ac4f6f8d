"""``crm backup``: create, verify and restore backups (thin over ``services/backup``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from crm_app.cli.common import fail

T = TypeVar("T")

app = typer.Typer(help="Copias de seguridad: base de datos, documentos y clave secreta.",
                  no_args_is_help=True)


def _run(action: Callable[[], T]) -> T:
    """The service's verb; any failure becomes one Spanish ``Error:`` line, no traceback."""
    from crm_app.i18n import t
    from crm_app.services.backup import BackupError

    try:
        return action()
    except BackupError as exc:
        fail(exc.message)
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        fail(t("ops.backup.failed", error=exc))


def _size(n: int) -> str:
    from crm_app.formatting import number

    return f"{number(n / 1_048_576, 1)} MB" if n >= 1_048_576 else f"{number(n / 1024, 0)} KB"


def _when(iso_utc: str) -> str:
    """The manifest's UTC time, shown in Madrid time like every time in the app."""
    from datetime import datetime

    from crm_app.formatting import datetime_es

    return datetime_es(datetime.fromisoformat(iso_utc.replace("Z", "+00:00")))


@app.command("create")
def create(
    out: Path | None = typer.Option(
        None, "--out", help="Fichero de la copia (.tar.gz). Por defecto, "
        "$CRM_DATA_DIR/backups/crm-<fecha UTC>.tar.gz."),
) -> None:
    """Copia en caliente, coherente, de la base de datos, los ficheros y la clave secreta."""
    from crm_app.i18n import t
    from crm_app.services import backup

    summary = _run(lambda: backup.create_backup(out=out or backup.default_backup_path()))
    typer.echo(t("ops.backup.created", path=summary.path, size=_size(summary.size),
                 tables=summary.tables, rows=summary.rows, files=summary.files))


@app.command("verify")
def verify(archive: Path = typer.Argument(..., help="Fichero de la copia.")) -> None:
    """Comprueba que la copia está completa y sin daños, sin restaurar nada."""
    from crm_app.i18n import t
    from crm_app.services import backup

    summary = _run(lambda: backup.verify_backup(archive))
    m = summary.manifest
    typer.echo(t("ops.backup.verified", tables=summary.tables, rows=summary.rows,
                 files=summary.files, created_at=_when(m["created_at"]), version=m["app_version"],
                 revision=m["alembic_revision"]))


@app.command("restore")
def restore(
    archive: Path = typer.Argument(..., help="Fichero de la copia."),
    force: bool = typer.Option(False, "--force",
                               help="Sobrescribir una base de datos o ficheros existentes."),
) -> None:
    """Restaura una copia en un directorio de datos y una base de datos vacíos (o --force)."""
    from crm_app.i18n import t
    from crm_app.services import backup

    summary = _run(lambda: backup.restore_backup(archive=archive, force=force))
    m = summary.manifest
    typer.echo(t("ops.backup.restored", created_at=_when(m["created_at"]), tables=summary.tables,
                 rows=summary.rows, files=summary.files, revision=m["alembic_revision"]))
