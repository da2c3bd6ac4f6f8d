"""Helpers shared by CLI commands: sessions, the acting user, clean error exits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from sqlmodel import Session, select

from crm_app.db import get_engine
from crm_app.models import User


@contextmanager
def cli_session() -> Iterator[Session]:
    """A session for one command, on a database whose schema is the code's (else a clear
    ``Error:`` and exit code 1, not a traceback about a missing table)."""
    from crm_app.cli.db import schema_problem

    engine = get_engine()
    if problem := schema_problem(engine):
        fail(problem)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def actor_by_email(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active:
        fail(f"no existe un usuario activo con el correo {email}")
    return user


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=str))
