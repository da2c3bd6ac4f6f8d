"""API shapes of ``/api/v1/exports`` (Exportar todos los datos, issue 12): not tables."""

from __future__ import annotations

from pydantic import BaseModel

from crm_app.models.schema_config import public


class ExportPublic(BaseModel):
    """One export of everything: its state (``queued``, ``running``, ``done``, ``failed``),
    its progress and, once ``done``, where to download the ZIP (admins only)."""

    model_config = public()
    id: str
    state: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    table: str | None = ""
    tables_done: int | None = 0
    tables_total: int | None = 0
    rows: int | None = 0
    size: int | None = 0
    documents: int | None = 0
    error: str | None = ""
    file_name: str | None = ""
    requested_by_name: str | None = ""
    download_url: str = ""
