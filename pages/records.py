"""List screens for the commercial records, each scoped by restrict() through browse()."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session, select

from components.layout import shell
from components.table import data_table
from crm_app.formatting import date_es, datetime_es
from crm_app.i18n import t
from crm_app.list_state import ListMixin
from crm_app.models import (
    Activity,
    Document,
    User,
)
from crm_app.services.browse import browse
from crm_app.state import AppState


def _names(session: Session, model: Any, ids: set[int], attr: str = "name") -> dict[int, str]:
    """Look up display names for one page of foreign keys in a single query."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = session.exec(select(model.id, getattr(model, attr)).where(model.id.in_(ids))).all()
    return {i: n for i, n in rows}


class TasksState(ListMixin, AppState):
    sort: str = "due_at"
    desc: bool = False

    def _fetch(self, session: Session, user: User, offset: int, limit: int):  # noqa: ANN201
        rows, total = browse(session=session, actor=user, model=Activity, q=self.q,
                             search=("subject",), sort=self.sort, desc=self.desc,
                             filters=(Activity.done_at.is_(None),),  # type: ignore[union-attr]
                             offset=offset, limit=limit,
                             sortable=("due_at", "created_at", "kind"))
        owners = _names(session, User, {r.owner_id for r in rows})
        return [{
            "subject": r.subject, "kind": t(f"activity.kind.{r.kind}"),
            "due_at": datetime_es(r.due_at), "owner": owners.get(r.owner_id, ""),
            "href": "/tareas",
        } for r in rows], total


class DocumentsState(ListMixin, AppState):
    def _fetch(self, session: Session, user: User, offset: int, limit: int):  # noqa: ANN201
        rows, total = browse(session=session, actor=user, model=Document, q=self.q,
                             search=("filename",), sort=self.sort, desc=self.desc,
                             offset=offset, limit=limit, sortable=("created_at", "filename"))
        return [{
            "filename": r.filename, "size": f"{max(1, r.size // 1024)} KB",
            "created_at": date_es(r.created_at), "href": f"/documentos/{r.id}",
        } for r in rows], total


def tasks_page() -> rx.Component:
    return shell(
        data_table(TasksState, [("subject", t("col.subject")), ("kind", t("col.kind")),
                                ("due_at", t("col.due_at")), ("owner", t("col.owner"))],
                   count_label=t("count.tasks"), empty_icon="list-checks",
                   empty_message=t("empty.tasks"), test_id="tasks",
                   sortable=("due_at", "kind")),
        title=t("nav.tasks"), active="/tareas")


def documents_page() -> rx.Component:
    return shell(
        data_table(DocumentsState, [("filename", t("col.filename")), ("size", t("col.size")),
                                    ("created_at", t("col.created_at"))],
                   count_label=t("count.documents"), empty_icon="folder-open",
                   empty_message=t("empty.documents"), test_id="documents",
                   sortable=("created_at", "filename")),
        title=t("nav.documents"), active="/documentos")
