"""List screens for the commercial records, each scoped by restrict() through browse()."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session, select

from components.layout import shell
from components.table import data_table
from crm_app.formatting import date_es, datetime_es, money
from crm_app.i18n import t
from crm_app.list_state import ListMixin
from crm_app.models import (
    Account,
    Activity,
    Document,
    Opportunity,
    Quote,
    Stage,
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


class AccountsState(ListMixin, AppState):
    sort: str = "name"
    desc: bool = False

    def _fetch(self, session: Session, user: User, offset: int, limit: int):  # noqa: ANN201
        rows, total = browse(session=session, actor=user, model=Account, q=self.q,
                             search=("name", "trade_name", "nif", "email", "city"),
                             sort=self.sort, desc=self.desc, offset=offset, limit=limit,
                             sortable=("name", "province", "created_at"))
        owners = _names(session, User, {r.owner_id for r in rows})
        return [{
            "name": r.name, "nif": r.nif, "province": r.province, "sector": r.sector,
            "channel": r.channel, "owner": owners.get(r.owner_id, ""),
            "created_at": date_es(r.created_at), "href": f"/clientes/{r.id}",
        } for r in rows], total


class OpportunitiesState(ListMixin, AppState):
    def _fetch(self, session: Session, user: User, offset: int, limit: int):  # noqa: ANN201
        rows, total = browse(session=session, actor=user, model=Opportunity, q=self.q,
                             search=("name", "channel"), sort=self.sort, desc=self.desc,
                             offset=offset, limit=limit,
                             sortable=("created_at", "amount", "expected_close", "name"))
        accounts = _names(session, Account, {r.account_id for r in rows})
        stages = _names(session, Stage, {r.stage_id for r in rows})
        owners = _names(session, User, {r.owner_id for r in rows})
        return [{
            "name": r.name, "account": accounts.get(r.account_id, ""),
            "stage": stages.get(r.stage_id, ""), "amount": money(r.amount),
            "expected_close": date_es(r.expected_close), "owner": owners.get(r.owner_id, ""),
            "created_at": date_es(r.created_at), "href": f"/oportunidades/{r.id}",
        } for r in rows], total


class QuotesState(ListMixin, AppState):
    def _fetch(self, session: Session, user: User, offset: int, limit: int):  # noqa: ANN201
        rows, total = browse(session=session, actor=user, model=Quote, q=self.q,
                             search=("number", "status"), sort=self.sort, desc=self.desc,
                             offset=offset, limit=limit,
                             sortable=("created_at", "total", "number", "valid_until"))
        accounts = _names(session, Account, {r.account_id for r in rows})
        return [{
            "number": f"{r.number} v{r.version}", "account": accounts.get(r.account_id, ""),
            "status": t(f"quote.status.{r.status}"), "total": money(r.total),
            "issue_date": date_es(r.issue_date), "valid_until": date_es(r.valid_until),
            "href": f"/presupuestos/{r.id}",
        } for r in rows], total


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


def accounts_page() -> rx.Component:
    return shell(
        data_table(AccountsState, [("name", t("col.legal_name")), ("nif", t("col.nif")),
                                   ("province", t("col.province")), ("sector", t("col.sector")),
                                   ("channel", t("col.channel")), ("owner", t("col.owner"))],
                   count_label=t("count.accounts"), empty_icon="building-2",
                   empty_message=t("empty.accounts"), row_href_key="href", test_id="accounts",
                   sortable=("name", "province")),
        title=t("nav.accounts"), active="/clientes")


def opportunities_page() -> rx.Component:
    return shell(
        data_table(OpportunitiesState,
                   [("name", t("col.name")), ("account", t("col.account")),
                    ("stage", t("col.stage")), ("amount", t("col.amount")),
                    ("expected_close", t("col.expected_close")), ("owner", t("col.owner"))],
                   count_label=t("count.opportunities"), empty_icon="kanban",
                   empty_message=t("empty.opportunities"), test_id="opportunities",
                   sortable=("name", "amount", "expected_close")),
        title=t("nav.opportunities"), active="/oportunidades")


def quotes_page() -> rx.Component:
    return shell(
        data_table(QuotesState,
                   [("number", t("col.number")), ("account", t("col.account")),
                    ("status", t("col.status")), ("total", t("col.total")),
                    ("issue_date", t("col.issue_date")), ("valid_until", t("col.valid_until"))],
                   count_label=t("count.quotes"), empty_icon="file-text",
                   empty_message=t("empty.quotes"), test_id="quotes",
                   sortable=("number", "total", "valid_until")),
        title=t("nav.quotes"), active="/presupuestos")


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
