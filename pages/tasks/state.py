"""The tasks list: tabs Pendientes / Hoy / Vencidas / Próximas over ``services.tasks``.

``/tareas?vence=hoy|vencidas`` (the "Tu día" cards) opens the matching tab.
"""

from __future__ import annotations

from typing import ClassVar

from crm_app.formatting import datetime_es
from crm_app.i18n import t
from crm_app.list_state import ListState
from crm_app.services import tasks as task_service
from crm_app.state import AppState, Ctx


class TasksState(ListState, AppState):
    _sorts: ClassVar = task_service.SORTS
    _default_sort: ClassVar = ("due_at", False)
    _views: ClassVar = task_service.WINDOWS

    def _load_options(self, ctx: Ctx) -> None:
        wanted = str(self.router.url.query_parameters.get("vence", "") or "")
        self.view = wanted if wanted in self._views else self._views[0]

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        rows, total = task_service.list_tasks(
            session=ctx.session, actor=ctx.user, window=self.view, q=self.q, sort=self.sort,
            desc=self.desc, offset=offset, limit=limit)
        return [{"id": str(r["id"]), "subject": r["subject"],
                 "kind": t(f"activity.kind.{r['kind']}"), "due_at": datetime_es(r["due_at"]),
                 "overdue": "1" if r["overdue"] else "", "owner": r["owner"]}
                for r in rows], total
