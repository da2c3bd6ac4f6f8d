"""``crm run``: everything `make run` starts, supervised as one unit.

Migrations, demo data on an empty database, the production frontend build (only when the UI
code changed since the last build), then three supervised children (``cli/supervisor.py``): the
web app (frontend, websocket and API on one port), a Celery worker and Celery beat, each in a
process group of its own. A child that dies is restarted with backoff while the others keep
serving; Ctrl-C, SIGTERM or SIGHUP stops every process it started.

Beat is its own child rather than ``worker --beat``: the embedded beat is a child process of
the worker that outlives a killed worker, and the next worker would start a second one. Beat
also holds the single-beat lock (``worker/beat.py``) for its whole life.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import typer

from crm_app.cli.supervisor import Child, Supervisor, log_to_stderr, serve
from crm_app.settings import PROJECT_ROOT, get_settings

DEMO_LOGINS = ["admin@demo.crm", "director@demo.crm", "manager1@demo.crm", "manager2@demo.crm",
               "comercial1@demo.crm … comercial6@demo.crm"]

# What the compiled frontend depends on: the pages, components, states and UI texts.
UI_SOURCES = ["pages", "components", "crm_app/state.py", "crm_app/list_state.py",
              "crm_app/state_mixins", "crm_app/crm_app.py", "crm_app/i18n", "rxconfig.py",
              "assets", "requirements.lock"]


def ui_fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256(get_settings().browser_url.encode())  # baked into the build
    for rel in UI_SOURCES:
        path = root / rel
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def reflex_env() -> dict[str, str]:
    """Environment for Reflex: system bun from the npm registry, .web in the data dir."""
    settings = get_settings()
    env = dict(os.environ)
    tools_bin = settings.tools_dir / "node_modules" / ".bin"
    env["PATH"] = f"{tools_bin}{os.pathsep}{PROJECT_ROOT / '.venv' / 'bin'}{os.pathsep}" + \
        env.get("PATH", "")
    env.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    env.setdefault("REFLEX_WEB_WORKDIR", str(settings.web_dir))
    env.setdefault("REFLEX_STATES_WORKDIR", str(settings.data_dir / "states"))
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env["CRM_DATA_DIR"] = str(settings.data_dir)
    return env


def build_frontend(*, force: bool = False) -> bool:
    """Build the production frontend if the UI changed; return whether it was built."""
    env = reflex_env()
    web_dir = Path(env["REFLEX_WEB_WORKDIR"])
    stamp = web_dir / ".crm-ui-fingerprint"
    built = web_dir / "build" / "client" / "index.html"
    fingerprint = ui_fingerprint()
    if not force and built.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return False
    typer.echo("Compilando la interfaz (solo cuando cambia el código de la UI)…")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "reflex", "export", "--frontend-only",
                             "--no-zip", "--env", "prod", "--loglevel", "warning"],
                            cwd=PROJECT_ROOT, env=env, check=False)
    if result.returncode != 0:
        typer.echo("Error: no se pudo compilar la interfaz (mira los mensajes de arriba).",
                   err=True)
        raise typer.Exit(1)
    stamp.write_text(fingerprint)
    typer.echo(f"Interfaz compilada en {time.monotonic() - started:.0f} s.")
    return True


def web_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "--factory", "crm_app.crm_app:app",
            "--host", host, "--port", str(port), "--log-level", "warning",
            "--proxy-headers"]


CELERY_APP = "crm_app.worker.app:celery_app"


def worker_command(*, loglevel: str = "WARNING") -> list[str]:
    """The Celery worker, without an embedded beat (beat is a supervised child of its own)."""
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, "worker", "--pool=solo",
            f"--loglevel={loglevel}", "-n", "crm@%h"]


def beat_command(*, loglevel: str = "WARNING") -> list[str]:
    """Celery beat; its scheduler (``worker/beat.py``) waits for the single-beat lock."""
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, "beat", f"--loglevel={loglevel}",
            "--schedule", str(get_settings().data_dir / "celerybeat-schedule")]


def app_children(env: dict[str, str], *, worker: bool) -> list[Child]:
    settings = get_settings()
    children = [Child("web", web_command(settings.host, settings.port), env=env,
                      cwd=PROJECT_ROOT)]
    if worker:
        children += [Child("worker", worker_command(), env=env, cwd=PROJECT_ROOT),
                     Child("beat", beat_command(), env=env, cwd=PROJECT_ROOT)]
    return children


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def run(
    seed_demo: bool = typer.Option(True, "--seed/--no-seed",
                                   help="Cargar los datos demo si la base de datos está vacía."),
    worker: bool = typer.Option(True, "--worker/--no-worker", help="Arrancar Celery y beat."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Recompilar la interfaz siempre."),
) -> None:
    """Arranca la aplicación completa en modo producción."""
    from crm_app.cli.db import upgrade_head
    from crm_app.db import session_scope
    from crm_app.services.maintenance import refresh_statistics

    started = time.monotonic()
    settings = get_settings()
    settings.ensure_dirs()
    settings.resolved_secret_key()
    upgrade_head()
    if seed_demo:
        from crm_app.services import demo as demo_service
        from crm_app.services.actors import SYSTEM

        with session_scope() as session:
            if demo_service.database_is_empty(session=session):
                typer.echo("Base de datos vacía: cargando los datos de demostración…")
                demo_service.load_demo(session=session, actor=SYSTEM)
                refresh_statistics(session=session)
                # the demo's overdue tasks, idle deals…: the bell is not empty, and beat's
                # next sweeps find nothing new (no burst of pop-ups minutes after start)
                from crm_app.services import alerts as alert_service

                alert_service.sweep(session=session)
    build_frontend(force=rebuild)

    env = reflex_env()
    env["REFLEX_ENV_MODE"] = "prod"
    env["__REFLEX_SKIP_COMPILE"] = "true"  # Reflex reads its internal variables with "__"
    env["__REFLEX_MOUNT_FRONTEND_COMPILED_APP"] = "true"
    url = f"http://{settings.host}:{settings.port}"

    def ready() -> None:
        typer.echo("")
        typer.echo(f"CRM listo en {url}  (arranque en {time.monotonic() - started:.1f} s)")
        typer.echo("Usuarios demo (contraseña demo1234): " + ", ".join(DEMO_LOGINS))
        typer.echo("Ctrl-C para parar.")

    def timed_out() -> None:
        typer.echo("La aplicación no respondió a tiempo.", err=True)

    log_to_stderr()
    supervisor = Supervisor(app_children(env, worker=worker))
    code = serve(supervisor, ready=lambda: healthy(f"{url}/api/health"), on_ready=ready,
                 on_timeout=timed_out, ready_timeout=120)
    if code:
        raise typer.Exit(code)
    typer.echo("Parado.")
