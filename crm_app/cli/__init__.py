"""The ``crm`` command. Each group lives in its own module, imported only when it runs.

Importing every group at start-up cost each ``crm …`` seconds before doing anything (the
models, the services, argon2, DuckDB…): ``COMMANDS`` names where each one lives instead, and
``LazyGroup`` imports that module when the command is called (``crm --help`` imports them all
to show their help).
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

# name -> (module, attribute): a ``typer.Typer`` group, or a function for a single command
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("crm_app.cli.run", "run"),
    "db": ("crm_app.cli.db", "app"),
    "seed": ("crm_app.cli.seed", "app"),
    "users": ("crm_app.cli.users", "app"),
    "company": ("crm_app.cli.company", "app"),
    "tokens": ("crm_app.cli.users", "tokens_app"),
    "import": ("crm_app.cli.importing", "app"),
    "bench": ("crm_app.cli.bench", "app"),
    "analytics": ("crm_app.cli.analytics", "app"),
    "report": ("crm_app.cli.analytics", "report_app"),
    "backup": ("crm_app.cli.backup", "app"),
    "export": ("crm_app.cli.export", "app"),
    "alerts": ("crm_app.cli.alerts", "app"),
    "automations": ("crm_app.cli.automations", "app"),
}


def load_command(name: str) -> Any:
    """The click command ``name`` stands for, its module imported now."""
    module, attr = COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    if isinstance(target, typer.Typer):  # a group, even of one command (``crm db upgrade``)
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """A Typer group whose subcommands are imported when used (see ``COMMANDS``)."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = load_command(cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(cls=LazyGroup, no_args_is_help=True)


@app.callback()
def main() -> None:
    """CRM: administración desde la línea de órdenes."""


__all__ = ["COMMANDS", "LazyGroup", "app", "load_command"]
