"""/api/v1/exports (issue 12, "Exportar todos los datos"): admins start the export, follow it and
download the ZIP privately; every other role gets 403; one export at a time; audited.

The Celery worker is replaced here by running the job in process when it is queued (eager):
the real worker runs ``crm.ops.export_all`` in tests/unit/test_worker.py."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest
from api_harness import Api, serve_with_people
from sqlmodel import Session, select

from crm_app.models import AuditEvent
from crm_app.services import export_all as export_service
from crm_app.settings import get_settings


@pytest.fixture
def api(tmp_path) -> Iterator[Api]:  # noqa: ANN001
    with serve_with_people(tmp_path) as served:
        yield served
    export_service.set_queue(None)


def _eager(api: Api) -> None:
    def run(job_id: str) -> None:
        with Session(api.engine, expire_on_commit=False) as session:
            export_service.run_export(job_id, session=session)

    export_service.set_queue(run)


def test_admin_exports_follows_and_downloads_the_zip(api: Api) -> None:
    _eager(api)
    r = api.request("admin", "POST", "/api/v1/exports")
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    r = api.request("admin", "GET", f"/api/v1/exports/{job_id}")
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["state"] == "done" and job["rows"] >= 7 and job["size"] > 0
    assert job["requested_by_name"] == "Admin"
    assert job["download_url"] == f"/api/v1/exports/{job_id}/download"
    assert job["file_name"].startswith("crm-exportacion-") and job["file_name"].endswith(".zip")

    r = api.request("admin", "GET", job["download_url"])
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["cache-control"] == "private, no-store"
    assert job["file_name"] in r.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert "csv/user.csv" in zf.namelist()
        users = zf.read("csv/user.csv").decode("utf-8-sig")
        manifest = json.loads(zf.read("manifest.json"))
    assert "admin@test.crm" in users and "password_hash" not in users
    assert manifest["tables"]["user"]["rows"] == 7

    admin_id = api.people.admin.id
    with Session(api.engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "export")
                        .order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("export.requested", admin_id), ("export.done", admin_id),
        ("export.downloaded", admin_id)]


@pytest.mark.parametrize("who", ["director", "manager1", "comercial1"])
def test_every_other_role_is_refused(api: Api, who: str) -> None:
    _eager(api)
    assert api.request(who, "POST", "/api/v1/exports").status_code == 403
    job_id = api.request("admin", "POST", "/api/v1/exports").json()["id"]
    assert api.request(who, "GET", f"/api/v1/exports/{job_id}").status_code == 403
    assert api.request(who, "GET", f"/api/v1/exports/{job_id}/download").status_code == 403
    assert api.request(None, "GET", f"/api/v1/exports/{job_id}/download").status_code == 401


def test_one_export_at_a_time_and_a_dead_job_does_not_block(api: Api) -> None:
    queued: list[str] = []
    export_service.set_queue(queued.append)  # a worker that has not taken it yet
    first = api.request("admin", "POST", "/api/v1/exports")
    assert first.status_code == 202 and first.json()["state"] == "queued"
    again = api.request("admin", "POST", "/api/v1/exports")
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "Ya hay una exportación en curso: espera a que termine para empezar otra.")
    assert queued == [first.json()["id"]]
    r = api.request("admin", "GET", f"/api/v1/exports/{first.json()['id']}/download")
    assert r.status_code == 404

    # a worker that died while running it (it no longer holds the run lock)
    root = get_settings().data_dir / "exports"
    status = root / f"{queued[0]}.json"
    job = json.loads(status.read_text())
    status.write_text(json.dumps({**job, "state": "running"}))
    r = api.request("admin", "GET", f"/api/v1/exports/{queued[0]}")
    assert r.json()["state"] == "failed" and "interrumpió" in r.json()["error"]
    assert api.request("admin", "POST", "/api/v1/exports").status_code == 202


def test_unknown_or_malformed_ids_are_404(api: Api) -> None:
    for job_id in ("0" * 32, "..%2F..%2Fsecret_key", "abc"):
        assert api.request("admin", "GET", f"/api/v1/exports/{job_id}").status_code == 404
        assert api.request("admin", "GET",
                           f"/api/v1/exports/{job_id}/download").status_code == 404


def test_a_queue_that_is_down_says_so(api: Api) -> None:
    def down(_job_id: str) -> None:
        raise ConnectionError("broker")

    export_service.set_queue(down)
    r = api.request("admin", "POST", "/api/v1/exports")
    assert r.status_code == 400
    assert "Celery" in r.json()["detail"]
    job = export_service.latest_export(actor=api.people.admin)
    assert job is not None and job["state"] == "failed"
