"""``crm users`` and ``crm tokens``: the operator at the console acts as the system
(``actors.SYSTEM``, audited as "Sistema"), not as one of the users."""

from __future__ import annotations

import sys

import typer
from sqlmodel import select

from crm_app.cli.common import actor_by_email, cli_session, fail
from crm_app.i18n import t
from crm_app.models import ApiToken, Team
from crm_app.services import auth as auth_service
from crm_app.services import user_admin
from crm_app.services import users as users_service
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import Conflict, NotFound, ValidationFailed

app = typer.Typer(help="Usuarios.", no_args_is_help=True)
tokens_app = typer.Typer(help="Tokens personales de la API.", no_args_is_help=True)


@app.command("create")
def create(
    email: str = typer.Option(..., "--email"),
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option("comercial", "--role",
                             help="admin, director, manager, comercial o asesor"),
    team: str | None = typer.Option(None, "--team", help="Se crea si no existe."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Lee la contraseña de la entrada estándar."),
) -> None:
    """Crea un usuario local."""
    if not password_stdin:
        fail("indica --password-stdin y pasa la contraseña por la entrada estándar")
    password = sys.stdin.readline().rstrip("\r\n")
    with cli_session() as session:
        try:
            user = users_service.create_user(session=session, actor=SYSTEM, email=email, name=name,
                                             role=role, password=password, team_name=team)
        except ValidationFailed as exc:
            fail("; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
        except Conflict as exc:
            fail(exc.message)
        typer.echo(f"Usuario creado: {user.email} ({user.role}) id={user.id}")


@app.command("list")
def list_users() -> None:
    """Lista los usuarios."""
    with cli_session() as session:
        teams = {t.id: t.name for t in session.exec(select(Team)).all()}
        for u in users_service.list_users(session=session, actor=SYSTEM):
            state = "activo" if u.active else "inactivo"
            team = teams.get(u.team_id, "-")
            typer.echo(f"{u.id}\t{u.email}\t{u.name}\t{u.role}\t{team}\t{state}")


def _errors(exc: ValidationFailed) -> str:
    return "; ".join(f"{k}: {v}" for k, v in exc.errors.items())


@app.command("set-password")
def set_password(
    email: str = typer.Option(..., "--email"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Lee la contraseña de la entrada estándar."),
) -> None:
    """Cambia la contraseña de un usuario (cierra sus sesiones abiertas)."""
    if not password_stdin:
        fail(t("uadm.cli.need_stdin"))
    password = sys.stdin.readline().rstrip("\r\n")
    with cli_session() as session:
        try:
            user = user_admin.user_by_email(session=session, actor=SYSTEM, email=email)
            user_admin.set_password(session=session, actor=SYSTEM, user_id=user.id,
                                    password=password)
        except ValidationFailed as exc:
            fail(_errors(exc))
        except NotFound as exc:
            fail(exc.message)
        typer.echo(t("uadm.cli.password_set", email=user.email))


def _set_active(email: str, active: bool) -> None:
    with cli_session() as session:
        try:
            user = user_admin.user_by_email(session=session, actor=SYSTEM, email=email)
            user_admin.update_user(session=session, actor=SYSTEM, user_id=user.id,
                                   data={"active": active})
        except ValidationFailed as exc:
            fail(_errors(exc))
        except NotFound as exc:
            fail(exc.message)
        key = "uadm.cli.reactivated" if active else "uadm.cli.deactivated"
        typer.echo(t(key, email=user.email))


@app.command("deactivate")
def deactivate(email: str = typer.Option(..., "--email")) -> None:
    """Desactiva un usuario: revoca al momento sus sesiones y tokens de la API."""
    _set_active(email, False)


@app.command("reactivate")
def reactivate(email: str = typer.Option(..., "--email")) -> None:
    """Reactiva un usuario desactivado."""
    _set_active(email, True)


@tokens_app.command("create")
def token_create(user: str = typer.Option(..., "--user", help="Correo del usuario"),
                 name: str = typer.Option("", "--name")) -> None:
    """Crea un token y lo imprime una sola vez."""
    with cli_session() as session:
        owner = actor_by_email(session, user)
        raw = auth_service.create_api_token(session=session, actor=SYSTEM, user=owner, name=name)
        typer.echo(raw)


@tokens_app.command("list")
def token_list(user: str = typer.Option(..., "--user")) -> None:
    with cli_session() as session:
        owner = actor_by_email(session, user)
        rows = session.exec(select(ApiToken).where(ApiToken.user_id == owner.id)).all()
        for t in rows:
            state = "revocado" if t.revoked_at else "activo"
            typer.echo(f"{t.id}\t{t.prefix}…\t{t.name}\t{state}")


@tokens_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(..., help="id del token (crm tokens list)"),
) -> None:
    """Revoca un token."""
    with cli_session() as session:
        try:
            auth_service.revoke_api_token(session=session, actor=SYSTEM, token_id=token_id)
        except NotFound as exc:
            fail(exc.message)
        typer.echo(f"Token {token_id} revocado.")
