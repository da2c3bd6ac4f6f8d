"""ListState: what every paginated list screen shares, declared instead of re-written.

A screen declares its sortable columns, its default order and its filters (``_sorts``,
``_default_sort``, ``_filter_labels``) and implements ``_fetch`` (one service call, scoped by
``restrict``); searching, sorting, filter chips, paging and the selection for bulk actions
come from here. Only the filters and the rows on screen live in the state (dicts of display
strings), so what reaches the browser stays page-sized.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.formatting import number
from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import alerts as alert_service
from crm_app.state import ClassPerm, Ctx, events, handler

PAGE_SIZES = (25, 50, 100)
VIEW = ClassPerm("_view_perm")  # each list's own read permission (``ListState._view_perm``)
NONE = "__none"  # Radix selects refuse "" as an item value: this stands for "no value"


def with_alert_levels(ctx: Ctx, entity: str, rows: list[dict[str, Any]],
                      key: str = "id") -> list[dict[str, Any]]:
    """``rows`` with "alert": the level of the user's open alerts on each record (one query)."""
    ids = [int(r[key]) for r in rows if str(r.get(key, "")).isdigit()]
    levels = alert_service.alert_levels_for(session=ctx.session, actor=ctx.user,
                                            entity=entity, ids=ids)
    return [{**r, "alert": levels.get(int(r[key]), "") if str(r.get(key, "")).isdigit()
             else ""} for r in rows]


class ListState(rx.State, mixin=True):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    page_size: int = 25
    q: str = ""
    sort: str = ""
    desc: bool = False
    filters: dict[str, str] = {}
    filter_errors: dict[str, str] = {}
    chips: list[dict[str, str]] = []
    selected: list[str] = []
    show_filters: bool = False
    view: str = ""  # the list's tab (e.g. active / inactive / bin), one of ``_views``
    loaded: bool = False  # a first page has arrived: until then "no records" would be a lie

    # --- what a screen declares ---------------------------------------------------------------
    _sorts: ClassVar[tuple[str, ...]] = ("created_at",)
    _default_sort: ClassVar[tuple[str, bool]] = ("created_at", True)
    _filter_labels: ClassVar[dict[str, str]] = {}  # filter name -> message key of its chip label
    _anchor: ClassVar[str] = "list-top"  # element scrolled to when the page changes
    _views: ClassVar[tuple[str, ...]] = ()  # the list's tabs; the first is the default
    _view_perm: ClassVar[Perm] = Perm.RECORDS_VIEW  # what its events need (quotes: FISCAL_VIEW)
    # the rows' record kind: each row gets "alert" (the level of the user's open alerts on
    # it, "" without) from one query per page (issue 13)
    _alert_entity: ClassVar[str] = ""

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        """Hook: one page of rows (display dicts) and the total, from a scoped service call."""
        raise NotImplementedError

    def _load_options(self, ctx: Ctx) -> None:
        """Hook: fill the filter selects' options when the screen opens."""

    def _filter_value(self, name: str, value: str) -> str:
        """Hook: normalise a filter value before it is kept (e.g. a province's spelling)."""
        return value

    def _chip_text(self, name: str, value: str) -> str:
        """Hook: how a filter value reads on its chip (an option's label rather than its id)."""
        return value

    def _accepts(self, name: str) -> bool:
        """Hook: whether ``name`` is one of this list's filters. Default: the declared
        ``_filter_labels``; a screen whose filters are known only at run time (custom fields)
        widens it."""
        return name in self._filter_labels

    def _chip_label(self, name: str) -> str:
        """Hook: the label of a filter's chip. Default: the text of its ``_filter_labels`` key."""
        return t(self._filter_labels[name])

    # --- computed -----------------------------------------------------------------------------

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // max(1, self.page_size)))

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

    @rx.var
    def has_filters(self) -> bool:
        return bool(self.chips) or bool(self.q.strip())

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def all_selected(self) -> bool:
        return bool(self.rows) and len(self.selected) == len(self.rows)

    @rx.var
    def sort_value(self) -> str:
        """``column:asc|desc``, the value of the phone's sort select."""
        return f"{self.sort}:{'desc' if self.desc else 'asc'}"

    # --- the one reload -----------------------------------------------------------------------

    def _reset_sort(self) -> None:
        if self.sort not in self._sorts:
            self.sort, self.desc = self._default_sort
        if self._views and self.view not in self._views:
            self.view = self._views[0]

    def _make_chips(self) -> None:
        self.chips = [{"key": name, "label": f"{self._chip_label(name)}: "
                                              f"{self._chip_text(name, value)}"}
                      for name, value in self.filters.items()
                      if value and self._accepts(name)]

    def _reload(self, ctx: Ctx) -> None:
        """Fetch the current page; a page past the end (after deletes) falls back to the last."""
        self._reset_sort()
        self._make_chips()
        self.selected = []
        self.page = max(1, self.page)
        offset = (self.page - 1) * self.page_size
        self.rows, self.total = self._fetch(ctx, offset=offset, limit=self.page_size)
        if not self.rows and self.total and self.page > self.pages:
            self.page = self.pages
            self.rows, self.total = self._fetch(ctx, offset=(self.page - 1) * self.page_size,
                                                limit=self.page_size)
        if self._alert_entity:
            self.rows = with_alert_levels(ctx, self._alert_entity, self.rows)
        self.loaded = True

    def _filtered(self, ctx: Ctx) -> None:
        """A filter changed: back to page 1, bad filter values shown next to their field."""
        self.page = 1
        self._reload(ctx)

    # --- events -------------------------------------------------------------------------------

    @handler(VIEW, errors="filter_errors")
    def open_list(self, ctx: Ctx) -> None:
        """on_load: the options, then the first page (filters survive a visit elsewhere)."""
        self._load_options(ctx)
        self.page = 1
        self._reload(ctx)

    @handler(VIEW, errors="filter_errors")
    def refresh(self, ctx: Ctx) -> None:
        self._reload(ctx)

    @handler(VIEW, errors="filter_errors")
    def search(self, ctx: Ctx, value: str) -> None:
        self.q = str(value or "")[:200]
        self._filtered(ctx)

    @handler(VIEW, errors="filter_errors")
    def sort_by(self, ctx: Ctx, column: str) -> None:
        """A header click: that column ascending, or the other way round if it already is."""
        if column not in self._sorts:
            return
        self.desc = (not self.desc) if self.sort == column else False
        self.sort = column
        self._filtered(ctx)

    @handler(VIEW, errors="filter_errors")
    def set_sort(self, ctx: Ctx, value: str) -> None:
        """The phone's sort select: ``column:asc|desc``."""
        column, _, direction = str(value).partition(":")
        if column not in self._sorts:
            return
        self.sort, self.desc = column, direction == "desc"
        self._filtered(ctx)

    @handler(VIEW, errors="filter_errors")
    def set_filter(self, ctx: Ctx, name: str, value: str) -> None:
        if not self._accepts(name):
            return
        value = "" if value == NONE else str(value or "").strip()[:200]
        if value:
            value = self._filter_value(name, value)
        self.filters = {**{k: v for k, v in self.filters.items() if k != name},
                        **({name: value} if value else {})}
        self._filtered(ctx)

    @handler(VIEW, errors="filter_errors")
    def remove_chip(self, ctx: Ctx, name: str) -> None:
        self.filters = {k: v for k, v in self.filters.items() if k != name}
        self._filtered(ctx)

    @handler(VIEW, errors="filter_errors")
    def clear_filters(self, ctx: Ctx) -> None:
        self.filters, self.q = {}, ""
        self._filtered(ctx)

    @handler(VIEW, errors="filter_errors")
    def set_view(self, ctx: Ctx, value: str | list[str]) -> None:
        if value in self._views:
            self.view = str(value)
            self._filtered(ctx)

    @rx.event
    def toggle_filters(self) -> None:
        self.show_filters = not self.show_filters

    @handler(VIEW, errors="filter_errors")
    def next_page(self, ctx: Ctx) -> Any:
        if self.page * self.page_size < self.total:
            self.page += 1
        self._reload(ctx)
        return rx.scroll_to(self._anchor)

    @handler(VIEW, errors="filter_errors")
    def prev_page(self, ctx: Ctx) -> Any:
        if self.page > 1:
            self.page -= 1
        self._reload(ctx)
        return rx.scroll_to(self._anchor)

    @handler(VIEW, errors="filter_errors")
    def set_page_size(self, ctx: Ctx, value: str) -> None:
        size = int(value) if str(value).isdigit() else 25
        self.page_size = size if size in PAGE_SIZES else 25
        self._filtered(ctx)

    @rx.event
    def toggle_row(self, row_id: str, checked: bool) -> None:
        ids = [i for i in self.selected if i != row_id]
        if checked and any(r.get("id") == row_id for r in self.rows):
            ids.append(row_id)
        self.selected = ids

    @rx.event
    def toggle_page(self, checked: bool) -> None:
        self.selected = [r["id"] for r in self.rows] if checked else []

    def _selected_ids(self) -> list[int]:
        return [int(i) for i in self.selected if str(i).isdigit()]

    def _done(self, ctx: Ctx, message: str, **toast: Any) -> list[Any]:
        """After a bulk or row action: reload and say what happened."""
        self._reload(ctx)
        return events(rx.toast.success(message, **toast))


__all__ = ["NONE", "PAGE_SIZES", "ListState"]
