"""The ``crm`` command. Each group lives in its own module and is registered here."""

from __future__ import annotations

import typer

from crm_app.cli import analytics as analytics_cmd
from crm_app.cli import backup as backup_cmd
from crm_app.cli import bench as bench_cmd
from crm_app.cli import db as db_cmd
from crm_app.cli import importing as import_cmd
from crm_app.cli import run as run_cmd
from crm_app.cli import seed as seed_cmd
from crm_app.cli import users as users_cmd

app = typer.Typer(help="CRM: administración desde la línea de órdenes.", no_args_is_help=True)
app.add_typer(db_cmd.app, name="db")
app.add_typer(seed_cmd.app, name="seed")
app.add_typer(users_cmd.app, name="users")
app.add_typer(users_cmd.tokens_app, name="tokens")
app.add_typer(import_cmd.app, name="import")
app.add_typer(bench_cmd.app, name="bench")
app.add_typer(analytics_cmd.app, name="analytics")
app.add_typer(analytics_cmd.report_app, name="report")
app.add_typer(backup_cmd.app, name="backup")
app.command("run")(run_cmd.run)
