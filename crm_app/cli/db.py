"""``crm db``: migrations."""

from __future__ import annotations

import typer

app = typer.Typer(help="Base de datos.", no_args_is_help=True)


def upgrade_head(url: str | None = None) -> None:
    """Run Alembic's ``upgrade head`` in-process (same as the plain ``alembic`` CLI)."""
    from alembic.config import Config

    from alembic import command
    from crm_app.settings import PROJECT_ROOT, get_settings

    get_settings().ensure_dirs()
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if url:
        cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


@app.command("upgrade")
def upgrade() -> None:
    """Aplica las migraciones pendientes (alembic upgrade head)."""
    upgrade_head()
    typer.echo("Base de datos al día.")
