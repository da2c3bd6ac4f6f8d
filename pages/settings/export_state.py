"""/ajustes/exportar: "Exportar todos los datos" (issue 12), admins only.

The button queues the export (``services.export_all.start_export``; the Celery worker builds
the ZIP) and the screen follows it: a background event reads the job's state every
``POLL_SECONDS`` while it is queued or running (never blocking the tab), then offers the ZIP
through the authorised route ``/api/v1/exports/{id}/download`` (the session cookie goes with
the link; other roles get 403 there too).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import reflex as rx

from crm_app.formatting import datetime_es, number
from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import export_all as export_service
from crm_app.state import AppState, Ctx, handler

POLL_SECONDS = 1.0
MAX_POLLS = 4 * 3600  # a tab stops following after ~4 h; reopening the screen resumes it
ACTIVE = ("queued", "running")


def _when(iso: str | None) -> str:
    return datetime_es(datetime.fromisoformat(iso.replace("Z", "+00:00"))) if iso else ""


def _size(n: int) -> str:
    if n >= 1_048_576:
        return f"{number(n / 1_048_576, 1)} MB"
    return f"{number(n / 1024, 1)} KB"


def view_of(job: dict[str, Any] | None) -> dict[str, str]:
    """The job as the screen's strings (es-ES numbers, Madrid times)."""
    if not job:
        return {}
    total = int(job.get("tables_total") or 0)
    done = int(job.get("tables_done") or 0)
    return {
        "id": job["id"],
        "state": job["state"],
        "state_label": t(f"export_all.state.{job['state']}"),
        "requested": t("export_all.requested", name=job.get("requested_by_name") or "—",
                       when=_when(job.get("created_at"))),
        "progress_text": t("export_all.progress", done=done, total=total or "…",
                           rows=number(int(job.get("rows") or 0))),
        "percent": str(int(done * 100 / total) if total else 0),
        "finished": t("export_all.finished", when=_when(job.get("finished_at")),
                      size=_size(int(job.get("size") or 0)),
                      rows=number(int(job.get("rows") or 0)),
                      documents=number(int(job.get("documents") or 0)))
        if job["state"] == "done" else "",
        "error": job.get("error") or "",
        "download_url": job.get("download_url") or "",
        "file_name": job.get("file_name") or "",
    }


class ExportState(AppState):
    job: dict[str, str] = {}
    starting: bool = False
    following: bool = False

    def _show(self, job: dict[str, Any] | None) -> None:
        self.job = view_of(job)

    @rx.var
    def percent(self) -> int:
        return int(self.job.get("percent") or 0)

    @rx.var
    def active(self) -> bool:
        return self.job.get("state", "") in ACTIVE

    @handler(Perm.SETTINGS_CHANGE, guarded=True)
    def load(self, ctx: Ctx) -> Any:
        """on_load after ``check_admin``: the newest export, followed if it is not done."""
        self._show(export_service.latest_export(actor=ctx.user))
        if self.job.get("state") in ACTIVE:
            return ExportState.follow
        return None

    @handler(Perm.SETTINGS_CHANGE)
    def start(self, ctx: Ctx) -> Any:
        """"Exportar todos los datos": queue the job for the worker and follow it."""
        if self.starting or self.job.get("state") in ACTIVE:
            return None
        self.starting = True
        try:
            job = export_service.start_export(session=ctx.session, actor=ctx.user)
        finally:
            self.starting = False
        self._show(job)
        return [rx.toast.info(t("export_all.started"), id="export-started"),
                ExportState.follow]

    @handler(Perm.SETTINGS_CHANGE, background=True)
    async def follow(self, ctx: Ctx) -> Any:
        """Re-read the job's state until it is done or failed (one follower per tab)."""
        async with self:
            if self.following:
                return None
            self.following = True
            job_id = self.job.get("id", "")
        try:
            for _ in range(MAX_POLLS):
                await asyncio.sleep(POLL_SECONDS)
                job = await rx.run_in_thread(
                    lambda: export_service.get_export(actor=ctx.user, job_id=job_id))
                async with self:
                    if self.job.get("id") != job_id:
                        return None  # the tab moved on to another export
                    self._show(job)
                if job["state"] not in ACTIVE:
                    break
        finally:
            async with self:
                self.following = False
        if job["state"] == "done":
            return rx.toast.success(t("export_all.state.done"), id="export-done")
        if job["state"] == "failed":
            return rx.toast.error(job["error"], id="export-failed")
        return None


__all__ = ["ExportState", "view_of"]
