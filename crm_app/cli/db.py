"""``crm db``: migrations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine

app = typer.Typer(help="Base de datos.", no_args_is_help=True)


def _config(url: str | None = None) -> Any:
    from alembic.config import Config

    from crm_app.settings import PROJECT_ROOT

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if url:
        cfg.attributes["url"] = url
    return cfg


def upgrade_head(url: str | None = None) -> None:
    """Run Alembic's ``upgrade head`` in-process (same as the plain ``alembic`` CLI)."""
    from alembic import command
    from crm_app.settings import get_settings

    get_settings().ensure_dirs()
    command.upgrade(_config(url), "head")


def schema_problem(engine: Engine) -> str | None:
    """Why the database cannot serve the CLI yet, in Spanish, or None.

    A command against a database that was never migrated (or is behind the code) would die
    with a SQL traceback about a missing table or column; this says what to run instead. A
    schema made without Alembic (``create_all``: tests, tools) has no version to compare and
    passes as long as it has tables.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        if "alembic_version" not in tables:
            return None if "user" in tables else (
                "la base de datos está vacía: ejecuta antes `crm db upgrade` (o `make run`)")
        current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if current != head:
        return (f"la base de datos no está al día (versión {current or 'ninguna'}, el código "
                f"espera {head}): ejecuta antes `crm db upgrade`")
    return None


@app.command("upgrade")
def upgrade() -> None:
    """Aplica las migraciones pendientes (alembic upgrade head)."""
    upgrade_head()
    typer.echo("Base de datos al día.")
