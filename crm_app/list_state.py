"""ListMixin: the state every paginated list screen shares (search, sort, pages, one page of rows).

Only the rows on screen live in the state, as plain dicts of display strings; the query runs in
the database through the page's ``fetch`` (a service call scoped by ``restrict``).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from crm_app.db import get_engine
from crm_app.formatting import number
from crm_app.models import User
from crm_app.permissions import PermissionDenied


class ListMixin(rx.State, mixin=True):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    page_size: int = 25
    q: str = ""
    sort: str = "created_at"
    desc: bool = True
    loading: bool = False

    def _fetch(self, session: Session, user: User, offset: int, limit: int
              ) -> tuple[list[dict[str, str]], int]:
        raise NotImplementedError

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @rx.var
    def total_text(self) -> str:
        """The count in es-ES grouping: ``1.234``."""
        return number(self.total)

    @rx.var
    def has_prev(self) -> bool:
        return self.page > 1

    @rx.var
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total

    def _reload(self) -> Any:
        with Session(get_engine()) as session:
            user = self._current_user(session)  # type: ignore[attr-defined]
            if user is None:
                return rx.redirect("/login")
            try:
                self.rows, self.total = self._fetch(session, user, (self.page - 1) * self.page_size,
                                                   self.page_size)
            except PermissionDenied as exc:
                self.rows, self.total = [], 0
                return rx.toast.error(exc.message)
        return None

    @rx.event
    def load(self) -> Any:
        return self._reload()

    @rx.event
    def search(self, value: str) -> Any:
        self.q = value
        self.page = 1
        return self._reload()

    @rx.event
    def sort_by(self, column: str) -> Any:
        if self.sort == column:
            self.desc = not self.desc
        else:
            self.sort, self.desc = column, False
        self.page = 1
        return self._reload()

    @rx.event
    def next_page(self) -> Any:
        if self.page * self.page_size < self.total:
            self.page += 1
        return self._reload()

    @rx.event
    def prev_page(self) -> Any:
        if self.page > 1:
            self.page -= 1
        return self._reload()
