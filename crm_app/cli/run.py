"""``crm run``: everything `make run` starts, supervised as one unit.

Migrations, demo data on an empty database, the production frontend build (only when the UI
code changed since the last build), then the web app (frontend, websocket and API on one port)
and a Celery worker with beat on the embedded broker. Ctrl-C stops every process it started.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import typer

from crm_app.settings import PROJECT_ROOT, get_settings

DEMO_LOGINS = ["admin@demo.crm", "director@demo.crm", "manager1@demo.crm", "manager2@demo.crm",
               "comercial1@demo.crm … comercial6@demo.crm"]

# What the compiled frontend depends on: the pages, components, states and UI texts.
UI_SOURCES = ["pages", "components", "crm_app/state.py", "crm_app/list_state.py",
              "crm_app/crm_app.py", "crm_app/i18n", "rxconfig.py", "assets", "requirements.lock"]


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


def worker_command(*, beat: bool = True) -> list[str]:
    cmd = [sys.executable, "-m", "celery", "-A", "crm_app.worker.app:celery_app", "worker",
           "--pool=solo", "--loglevel=WARNING", "-n", "crm@%h"]
    return cmd + (["--beat", "--schedule", str(get_settings().data_dir / "celerybeat-schedule")]
                  if beat else [])


def wait_healthy(url: str, procs: list[subprocess.Popen], timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(p.poll() is None for p in procs):
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
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

        with session_scope() as session:
            if demo_service.database_is_empty(session=session):
                typer.echo("Base de datos vacía: cargando los datos de demostración…")
                demo_service.load_demo(session=session)
                refresh_statistics(session=session)
    build_frontend(force=rebuild)

    env = reflex_env()
    env["REFLEX_ENV_MODE"] = "prod"
    env["__REFLEX_SKIP_COMPILE"] = "true"  # Reflex reads its internal variables with "__"
    env["__REFLEX_MOUNT_FRONTEND_COMPILED_APP"] = "true"
    procs: list[subprocess.Popen] = []

    def stop(*_: object) -> None:
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    # Ctrl-C must stop everything even when a parent shell started us with SIGINT ignored
    # (background jobs of non-interactive shells inherit SIG_IGN).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        procs.append(subprocess.Popen(web_command(settings.host, settings.port), cwd=PROJECT_ROOT,
                                      env=env, start_new_session=True))
        if worker:
            procs.append(subprocess.Popen(worker_command(), cwd=PROJECT_ROOT, env=env,
                                          start_new_session=True))
        url = f"http://{settings.host}:{settings.port}"
        if not wait_healthy(f"{url}/api/health", procs):
            typer.echo("La aplicación no respondió a tiempo.", err=True)
            raise typer.Exit(1)
        typer.echo("")
        typer.echo(f"CRM listo en {url}  (arranque en {time.monotonic() - started:.1f} s)")
        typer.echo("Usuarios demo (contraseña demo1234): " + ", ".join(DEMO_LOGINS))
        typer.echo("Ctrl-C para parar.")
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        typer.echo("Un proceso terminó; parando el resto.", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("\nParando…")
    finally:
        stop()
