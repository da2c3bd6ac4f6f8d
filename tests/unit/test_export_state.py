"""/ajustes/exportar's state (issue 12) driven in process like an admin's tab: no export yet,
"Exportar todos los datos" queues it, the tab follows it to the download link; a forged start
from another role is refused and queues nothing. The job runs in process when queued (eager):
the real worker runs it in tests/unit/test_worker.py, the browser in tests/ui/test_export_ui.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crm_env import crm_environment
from sqlmodel import Session
from state_harness import run, run_bg, tab

from crm_app import db
from crm_app.i18n import t
from crm_app.services import export_all as export_service
from pages.settings import ExportState
from pages.settings import export_state as export_state_module


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "data"
    monkeypatch.setattr(export_state_module, "POLL_SECONDS", 0.01)
    with crm_environment({"CRM_DATA_DIR": str(folder), "CRM_ENV": "test"}):
        yield folder
    export_service.set_queue(None)


def _eager() -> list[str]:
    ran: list[str] = []

    def run_now(job_id: str) -> None:
        ran.append(job_id)
        with Session(db.get_engine(), expire_on_commit=False) as session:
            export_service.run_export(job_id, session=session)

    export_service.set_queue(run_now)
    return ran


def toasts(events: list[Any]) -> list[str]:
    return [str(e) for e in events if "toast" in str(e).lower()]


def test_admin_starts_follows_and_gets_the_link(session, people, data_dir: Path) -> None:
    ran = _eager()
    s = tab(ExportState, people.admin, path="/ajustes/exportar")
    assert run(s.check_admin()) == [] and run(s.load()) == []
    assert s.job == {} and not s.active
    out = run(s.start())
    assert t("export_all.started") in toasts(out)[0]
    assert len(ran) == 1 and s.job["id"] == ran[0]
    run_bg(s, "follow")
    assert s.job["state"] == "done" and not s.active and not s.following
    assert s.job["download_url"] == f"/api/v1/exports/{ran[0]}/download"
    assert "filas" in s.job["finished"] and s.job["file_name"].endswith(".zip")
    assert (data_dir / "exports" / f"{ran[0]}.zip").is_file()
    again = tab(ExportState, people.admin, path="/ajustes/exportar")
    run(again.load())
    assert again.job["state"] == "done" and again.job["id"] == ran[0]


def test_a_running_export_disables_another_start(session, people, data_dir: Path) -> None:
    queued: list[str] = []
    export_service.set_queue(queued.append)
    s = tab(ExportState, people.admin, path="/ajustes/exportar")
    run(s.start())
    assert s.active and s.job["state_label"] == "En cola"
    other = tab(ExportState, people.admin, path="/ajustes/exportar")
    out = run(other.start())
    assert "Ya hay una exportación en curso" in toasts(out)[0]
    assert len(queued) == 1
    assert run(other.load()) != []  # it resumes following the queued one


@pytest.mark.parametrize("role", ["director", "manager1", "comercial1"])
def test_forged_start_from_other_roles_queues_nothing(session, people, data_dir: Path,
                                                      role: str) -> None:
    ran = _eager()
    s = tab(ExportState, getattr(people, role), path="/ajustes/exportar")
    out = run(s.start())
    assert t("common.denied") in toasts(out)[0]
    assert ran == [] and s.job == {}
    root = data_dir / "exports"
    assert (list(root.glob("*.json")) if root.is_dir() else []) == []
