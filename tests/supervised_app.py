"""``serve()`` — the supervision loop of ``crm run`` — as a process of its own, for the tests.

``--python name=CODE ...`` supervises small ``python -c CODE`` children;
``--celery PORT`` supervises the real children of ``crm run`` (``worker_command()`` and
``beat_command()``) next to an API-only web process (``build_api``, no frontend build) on PORT,
all on the ``CRM_DATA_DIR`` of the environment. Ready when every child has started (python) or
when ``/api/health`` answers (celery). The supervisor logs to stderr as ``crm run`` does.

``crm_app/cli/__init__.py`` imports no command (they load when run), so importing the
supervisor module costs only what it imports itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm_app.cli import supervisor  # noqa: E402

Child, Supervisor, serve = supervisor.Child, supervisor.Supervisor, supervisor.serve


def main(argv: list[str]) -> int:
    supervisor.log_to_stderr()
    if argv[0] == "--python":
        children = [Child(name, [sys.executable, "-c", code])
                    for name, code in (arg.split("=", 1) for arg in argv[1:])]
        sup = Supervisor(children, grace=2.0, backoff_first=0.5)
        return serve(sup, ready=lambda: all(sup.pid(c.name) for c in children),
                     on_ready=lambda: print("listo", flush=True), on_timeout=lambda: None)
    if argv[0] == "--celery":
        from crm_app.cli.run import beat_command, healthy, worker_command

        port = argv[1]
        web = [sys.executable, "-m", "uvicorn", "--factory", "crm_app.api.app:build_api",
               "--host", "127.0.0.1", "--port", port, "--log-level", "warning"]
        sup = Supervisor([Child("web", web, cwd=ROOT),
                          Child("worker", worker_command(loglevel="INFO"), cwd=ROOT),
                          Child("beat", beat_command(loglevel="INFO"), cwd=ROOT)],
                         grace=10.0, backoff_first=0.5)
        url = f"http://127.0.0.1:{port}/api/health"
        return serve(sup, ready=lambda: healthy(url), on_ready=lambda: print("listo", flush=True),
                     on_timeout=lambda: None, ready_timeout=120)
    raise SystemExit(f"usage: {argv[0]} --python name=CODE ... | --celery PORT")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
