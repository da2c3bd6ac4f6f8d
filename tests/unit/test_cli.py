"""The ``crm`` command, on a data dir of its own (``CRM_DATA_DIR``), run in this process with
Typer's ``CliRunner`` (``cli_runner``), as it parses its arguments and exits in a terminal.

One module-scoped data dir: ``crm db upgrade`` runs once, then users and tokens are created,
listed and revoked through the CLI; a token it prints is used against the HTTP API. One test
starts the real console script in a subprocess: what a process imports at start-up is its
point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from api_harness import Api, serve_api
from cli_runner import crm
from sqlmodel import Session, select

from crm_app.auth.passwords import verify_password
from crm_app.auth.tokens import token_hash
from crm_app.db import make_engine
from crm_app.models import ApiToken, Team, User

CRM = str(Path(sys.executable).parent / "crm")
T = TypeVar("T")


@dataclass
class Cli:
    data_dir: Path
    workdir: Path

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'crm.db'}"

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        cwd = Path.cwd()
        os.chdir(self.workdir)  # nothing may be written next to the caller
        try:
            return crm(*args, data_dir=self.data_dir, stdin=stdin)
        finally:
            os.chdir(cwd)

    def rows(self, model: type[T]) -> list[T]:
        """Every row of ``model``, read from the CLI's database independently of the CLI."""
        engine = make_engine(self.db_url)
        try:
            with Session(engine) as s:
                return list(s.exec(select(model)).all())
        finally:
            engine.dispose()

    def users(self) -> dict[str, User]:
        return {u.email: u for u in self.rows(User)}


def assert_clean_failure(result: subprocess.CompletedProcess, *needles: str) -> None:
    """A clear error: non-zero exit, an ``Error:`` line on stderr, no traceback."""
    assert result.returncode != 0, result.stdout
    assert result.stderr.startswith("Error:"), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    tmp = tmp_path_factory.mktemp("cli")
    (tmp / "cwd").mkdir()
    c = Cli(data_dir=tmp / "data", workdir=tmp / "cwd")
    result = c.run("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "Base de datos al día" in result.stdout
    return c


@pytest.fixture(scope="module")
def ana(cli: Cli) -> User:
    result = cli.run("users", "create", "--email", "Ana.Garcia@Empresa.crm", "--name",
                     "Ana García", "--role", "manager", "--team", "Levante", "--password-stdin",
                     stdin="una clave larga\n")
    assert result.returncode == 0, result.stderr
    assert "Usuario creado: ana.garcia@empresa.crm (manager)" in result.stdout
    return cli.users()["ana.garcia@empresa.crm"]


def test_db_upgrade_creates_the_database_in_the_data_dir(cli: Cli) -> None:
    db_file = cli.data_dir / "crm.db"
    assert db_file.exists()
    engine = sa.create_engine(cli.db_url)
    try:
        names = set(sa.inspect(engine).get_table_names())
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert {"user", "team", "lead", "opportunity", "alembic_version"} <= names
    assert version
    assert not (cli.workdir / "var").exists()  # nothing written next to the caller


def test_users_create_makes_the_team_and_hashes_the_password(cli: Cli, ana: User) -> None:
    assert ana.name == "Ana García" and ana.role == "manager" and ana.active
    assert ana.password_hash.startswith("$argon2id$")
    assert verify_password(ana.password_hash, "una clave larga")  # newline stripped, spaces kept
    teams = {t.name: t for t in cli.rows(Team)}
    assert ana.team_id == teams["Levante"].id
    assert teams["Levante"].manager_id == ana.id  # first manager of a new team manages it
    # a second user joins the existing team instead of creating another
    result = cli.run("users", "create", "--email", "pepe@empresa.crm", "--name", "Pepe",
                     "--role", "comercial", "--team", "Levante", "--password-stdin",
                     stdin="otra-clave-9\n")
    assert result.returncode == 0, result.stderr
    assert [t.name for t in cli.rows(Team)] == ["Levante"]
    assert cli.users()["pepe@empresa.crm"].team_id == teams["Levante"].id


def test_users_create_an_asesor(cli: Cli, ana: User) -> None:
    """The company's accountant: a role like the others, no team."""
    result = cli.run("users", "create", "--email", "gestoria@asesores.es", "--name",
                     "Gestoría Lucena", "--role", "asesor", "--password-stdin",
                     stdin="libros-contables-2026\n")
    assert result.returncode == 0, result.stderr
    assert "Usuario creado: gestoria@asesores.es (asesor)" in result.stdout
    asesor = cli.users()["gestoria@asesores.es"]
    assert asesor.role == "asesor" and asesor.team_id is None


@pytest.mark.parametrize(("args", "password", "needles"), [
    # both validation errors are reported at once (one run: each CLI start costs seconds)
    (["--email", "x@empresa.crm", "--name", "X", "--role", "jefe"], "corta",
     ["role: Rol desconocido: jefe", "password: La contraseña debe tener al menos 10"]),
    (["--email", "y@empresa.crm", "--name", "Y", "--role", "comercial"], "contraseña123",
     ["password: La contraseña es demasiado fácil de adivinar"]),
    (["--email", "ANA.GARCIA@empresa.crm", "--name", "Otra", "--role", "comercial"],
     "una clave larga", ["Ya existe un usuario con el correo ana.garcia@empresa.crm"]),
], ids=["bad-role-and-short-password", "common-password", "duplicate-email"])
def test_users_create_rejects_bad_input(cli: Cli, ana: User, args: list[str], password: str,
                                        needles: list[str]) -> None:
    before = set(cli.users())
    result = cli.run("users", "create", *args, "--team", "Nuevo", "--password-stdin",
                     stdin=password + "\n")
    assert_clean_failure(result, *needles)
    assert set(cli.users()) == before
    assert "Nuevo" not in {t.name for t in cli.rows(Team)}  # no half-done team either


def test_users_list(cli: Cli, ana: User) -> None:
    result = cli.run("users", "list")
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.strip().splitlines()]
    by_email = {r[1]: r for r in rows}
    assert by_email["ana.garcia@empresa.crm"] == [str(ana.id), "ana.garcia@empresa.crm",
                                                  "Ana García", "manager", "Levante", "activo"]
    assert set(by_email) == set(cli.users())
    assert "argon2" not in result.stdout


@pytest.fixture
def api(cli: Cli, ana: User) -> Iterator[Api]:
    with serve_api(cli.db_url, cli.data_dir) as served:
        yield served


def test_tokens_create_use_list_revoke(cli: Cli, ana: User, api: Api) -> None:
    result = cli.run("tokens", "create", "--user", "ana.garcia@empresa.crm", "--name", "ERP")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crm_")
    raw = lines[0]
    (row,) = cli.rows(ApiToken)
    assert row.token_hash == token_hash(raw) and raw not in (row.token_hash, row.prefix)
    assert row.user_id == ana.id and row.name == "ERP"

    bearer = {"Authorization": f"Bearer {raw}"}
    me = api.request(None, "GET", "/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.json()["email"] == "ana.garcia@empresa.crm"

    listing = cli.run("tokens", "list", "--user", "ana.garcia@empresa.crm")
    assert listing.returncode == 0, listing.stderr
    assert raw not in listing.stdout  # shown once, never again
    assert listing.stdout.startswith(f"{row.id}\t{row.prefix}") and "activo" in listing.stdout

    revoked = cli.run("tokens", "revoke", str(row.id))
    assert revoked.returncode == 0, revoked.stderr
    assert f"Token {row.id} revocado" in revoked.stdout
    assert cli.rows(ApiToken)[0].revoked_at is not None
    assert api.request(None, "GET", "/api/v1/me", headers=bearer).status_code == 401

    assert_clean_failure(cli.run("tokens", "revoke", "999"), "no encontrado")


def test_the_console_script_starts_without_importing_the_app(tmp_path: Path) -> None:
    """The ``crm`` console script, in a process of its own: it runs a command, and its start-up
    imports only what the command needs (``crm_app.cli`` alone pulls in neither the models
    nor argon2: each ``crm`` call used to import every command first, seconds of CPU)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env["CRM_DATA_DIR"] = str(tmp_path / "data")
    probe = ("import sys, crm_app.cli; "
             "print(sorted(m for m in ('sqlmodel', 'argon2', 'duckdb', 'polars', 'alembic') "
             "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout
    result = subprocess.run([CRM, "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "Base de datos al día" in result.stdout
    assert (tmp_path / "data" / "crm.db").exists()


def test_a_command_on_a_database_not_migrated_says_what_to_run(tmp_path: Path) -> None:
    """Before: ``crm export all`` on a fresh data dir died with a traceback about a missing
    ``custom_field_def`` table. Now every command that opens a session says what to run."""
    empty = crm("users", "list", data_dir=tmp_path / "nueva")
    assert empty.returncode == 1 and "Traceback" not in empty.stderr
    assert "la base de datos está vacía: ejecuta antes `crm db upgrade`" in empty.stderr

    behind = tmp_path / "atrasada"
    assert crm("db", "upgrade", data_dir=behind).returncode == 0
    engine = sa.create_engine(f"sqlite:///{behind / 'crm.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE alembic_version SET version_num = '0004_company_settings'"))
    finally:
        engine.dispose()
    old = crm("export", "all", "--out", str(tmp_path / "todo.zip"), data_dir=behind)
    assert old.returncode == 1 and "Traceback" not in old.stderr
    assert "no está al día (versión 0004_company_settings" in old.stderr
    assert not (tmp_path / "todo.zip").exists()


def test_alerts_sweep_json(cli: Cli, ana: User) -> None:
    """``crm alerts sweep --json``: one pass of the built-in alerts; the second finds nothing
    new (issue 13)."""
    import json  # noqa: PLC0415
    from datetime import timedelta  # noqa: PLC0415

    from sqlmodel import Session  # noqa: PLC0415

    from crm_app.models import Activity, utcnow  # noqa: PLC0415

    engine = sa.create_engine(cli.db_url)
    try:
        with Session(engine) as session:
            session.add(Activity(kind="task", subject="Llamar", owner_id=ana.id,
                                 due_at=utcnow() - timedelta(days=1), created_at=utcnow()))
            session.commit()
    finally:
        engine.dispose()
    first = cli.run("alerts", "sweep", "--json", "--no-deliver")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["created"]["task_overdue"] == 1 and result["alerts"] == 1
    again = json.loads(cli.run("alerts", "sweep", "--json", "--no-deliver").stdout)
    assert again["alerts"] == 0 and set(again) == {"created", "alerts", "resolved", "seconds"}
