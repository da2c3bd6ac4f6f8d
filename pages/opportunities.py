"""Oportunidades: the kanban per pipeline (drag and drop, "Mover a…"), the list, the form and
the detail page with the stage history.

Routes: /oportunidades, /oportunidades/nueva, /oportunidades/[id], /oportunidades/[id]/editar.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.vars.function import FunctionStringVar, FunctionVar
from reflex_base.vars.object import ObjectVar
from sqlmodel import Session

from components.layout import shell
from components.sales_ui import (
    PHONE_FULL,
    big_empty,
    choice,
    confirm,
    drag_box,
    empty_note,
    form_actions,
    form_field,
    info,
    link_button,
    paged_table,
    row_card,
    section,
    status_badge,
    text_input,
)
from crm_app.formatting import date_es, datetime_es, money, number
from crm_app.i18n import t
from crm_app.list_state import ListMixin
from crm_app.models import Account, StageKind, User
from crm_app.services import opportunities as opp_service
from crm_app.services import pipelines as pipeline_service
from crm_app.services import products as product_service
from crm_app.services import quotes as quote_service
from crm_app.services.errors import ValidationFailed
from crm_app.state import AppState
from pages.sales_shared import (
    NONE,
    AccountPickerMixin,
    StageMoveMixin,
    channel_options,
    dec_text,
    failure,
    move_dialog,
    owner_options,
    path_id,
    sid,
    to_id,
    user_session,
)

CLOSED_DAYS = 90
LIST_FILTERS = ("owner_id", "channel", "stage_id", "status", "stale")
SORTS = ("name", "amount", "expected_close", "created_at", "stage_entered_at")


def _opt(value: str) -> str:
    return "" if value in ("", NONE) else value


def _card(row: dict[str, Any]) -> dict[str, str]:
    return {
        "id": str(row["id"]), "name": row["name"], "account": row["account_name"] or "",
        "amount": money(row["amount"]), "owner": row["owner"] or "",
        "stage_id": str(row["stage_id"]), "stage": row["stage_name"], "kind": str(row["kind"]),
        "stale": "1" if row["stale"] else "",
        "stale_text": t("sui.opp.stale_days", days=row["days_idle"] or 0),
        "expected_close": date_es(row["expected_close"]),
        "closed_at": date_es(row["closed_at"]), "weighted": money(row["weighted"]),
        "href": f"/oportunidades/{row['id']}",
    }


class OpportunitiesState(StageMoveMixin, ListMixin, AppState):
    view: str = "kanban"
    pipelines: list[dict[str, str]] = []
    pipeline_id: str = ""
    columns: list[dict[str, str]] = []
    stage_options: list[dict[str, str]] = []
    cards: list[dict[str, str]] = []
    totals: dict[str, str] = {}
    owners: list[dict[str, str]] = []
    owner_id: str = NONE
    channel: str = NONE
    stage_id: str = NONE
    status: str = NONE
    stale: str = NONE
    dragging: bool = False
    board_loading: bool = False

    _drag_id: int | None = None

    # --- loading ------------------------------------------------------------------------------

    def _fetch(self, session: Session, user: User, offset: int, limit: int
               ) -> tuple[list[dict[str, str]], int]:
        stale = {"yes": True, "no": False}.get(self.stale)
        page = opp_service.list_opportunities(
            session=session, actor=user, q=self.q, pipeline_id=to_id(self.pipeline_id),
            stage_id=to_id(self.stage_id), status=_opt(self.status),
            owner_id=to_id(self.owner_id), channel=_opt(self.channel), stale=stale,
            sort=("-" if self.desc else "") + self.sort, offset=offset, limit=limit)
        return [_card(r) for r in opp_service.opportunity_rows(session, page.items)], page.total

    def _load_board(self, session: Session, user: User) -> None:
        board = opp_service.kanban(session=session, actor=user,
                                   pipeline_id=to_id(self.pipeline_id), q=self.q,
                                   owner_id=to_id(self.owner_id), channel=_opt(self.channel),
                                   closed_days=CLOSED_DAYS)
        self.pipeline_id = str(board["pipeline"]["id"])
        self.columns = [{
            "stage_id": str(c["stage_id"]), "name": c["name"], "kind": str(c["kind"]),
            "probability": f"{c['probability']} %", "count": number(c["count"]),
            "amount": money(c["amount"]), "weighted": money(c["weighted"]),
            "more": "1" if c["has_more"] else "",
            "required": ", ".join(t(f"sui.required.{k}") if not k.startswith("custom.") else k
                                  for k in c["required_fields"]),
        } for c in board["columns"]]
        self.stage_options = [{"value": c["stage_id"], "label": c["name"]} for c in self.columns]
        self.cards = [_card(r) for c in board["columns"] for r in c["cards"]]
        tot = board["totals"]
        self.totals = {"count": number(tot["open_count"]), "amount": money(tot["open_amount"]),
                       "weighted": money(tot["open_weighted"])}

    def _reload(self) -> Any:
        if self.view != "kanban":
            return ListMixin._reload(self)  # type: ignore[arg-type]
        try:
            with user_session(self) as (session, user):
                self._load_board(session, user)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return None

    def _after_move(self, session: Session, user: User) -> None:
        if self.view == "kanban":
            self._load_board(session, user)
        else:
            self.rows, self.total = self._fetch(session, user,
                                                (self.page - 1) * self.page_size,
                                                self.page_size)

    @rx.event
    def load(self) -> Any:
        self.dragging = False
        self.move_open = False
        try:
            with user_session(self) as (session, user):
                self.owners = owner_options(session, user)
                pipelines = pipeline_service.list_pipelines(session=session, actor=user)
                self.pipelines = [{"value": str(p.id), "label": p.name} for p in pipelines]
                if self.pipeline_id not in {p["value"] for p in self.pipelines}:
                    default = next((p for p in pipelines if p.is_default), None)
                    self.pipeline_id = sid(default.id if default else None)
                params = self.router.url.query_parameters
                if params.get("vista") in ("lista", "tablero"):
                    self.view = "list" if params["vista"] == "lista" else "kanban"
                self._load_board(session, user)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return None if self.view == "kanban" else ListMixin._reload(self)  # type: ignore[arg-type]

    # --- toolbar ------------------------------------------------------------------------------

    @rx.event
    def set_pipeline(self, value: str) -> Any:
        self.pipeline_id = value
        self.stage_id = NONE
        self.page = 1
        try:
            with user_session(self) as (session, user):
                self._load_board(session, user)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return None if self.view == "kanban" else ListMixin._reload(self)  # type: ignore[arg-type]

    @rx.event
    def set_view(self, value: str | list[str]) -> Any:
        self.view = "list" if value == "list" else "kanban"
        self.page = 1
        return self._reload()

    @rx.event
    def set_filter(self, name: str, value: str) -> Any:
        if name not in LIST_FILTERS:
            return None
        setattr(self, name, value or NONE)
        self.page = 1
        return self._reload()

    @rx.event
    def clear_filters(self) -> Any:
        for name in LIST_FILTERS:
            setattr(self, name, NONE)
        self.q = ""
        self.page = 1
        return self._reload()

    @rx.event
    def show_stage(self, stage_id: str) -> Any:
        """"Ver todas": the list view filtered to one column."""
        self.view = "list"
        self.stage_id = stage_id
        self.page = 1
        return self._reload()

    @rx.event
    def sort_by(self, column: str) -> Any:
        if column not in SORTS:
            return None
        if self.sort == column:
            self.desc = not self.desc
        else:
            self.sort, self.desc = column, column in ("amount", "created_at")
        self.page = 1
        return self._reload()

    @rx.var
    def filtered(self) -> bool:
        return self.q != "" or any(getattr(self, f) != NONE for f in LIST_FILTERS)

    # --- drag and drop ------------------------------------------------------------------------

    @rx.event
    def drag_start(self, opp_id: str) -> None:
        self._drag_id = to_id(opp_id)
        self.dragging = self._drag_id is not None

    @rx.event
    def drag_end(self) -> None:
        self.dragging = False

    @rx.event
    def drop_on(self, stage_id: str):  # noqa: ANN201
        self.dragging = False
        opp_id, self._drag_id = self._drag_id, None
        if opp_id is None:
            return
        current = next((c for c in self.cards if c["id"] == str(opp_id)), None)
        if current is not None and current["stage_id"] == stage_id:
            return
        self.moving_id = str(opp_id)
        yield
        result = self._request_move(str(opp_id), stage_id)
        self.moving_id = ""
        yield result


# --- kanban UI --------------------------------------------------------------------------------


def _move_menu(card: rx.Var, id_prefix: str = "move-") -> rx.Component:
    s = OpportunitiesState
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(rx.icon("arrow-right-left", size=14), t("sui.opp.move_to"), size="1",
                      variant="ghost", color_scheme="gray", id=id_prefix + card["id"],
                      loading=s.moving_id == card["id"]),
        ),
        rx.dropdown_menu.content(
            rx.foreach(s.columns, lambda c: rx.cond(
                c["stage_id"] != card["stage_id"],
                rx.dropdown_menu.item(c["name"],
                                      on_select=s.request_move(card["id"], c["stage_id"]),
                                      data_testid="move-option"))),
        ),
    )


def _kanban_card(card: rx.Var) -> rx.Component:
    s = OpportunitiesState
    return drag_box(
        rx.vstack(
            rx.link(card["name"], href=card["href"], weight="medium", size="2",
                    draggable=False, style={"overflowWrap": "anywhere"}),
            rx.cond(card["account"], rx.text(card["account"], size="1", color_scheme="gray")),
            rx.hstack(
                rx.text(card["amount"], size="2", weight="bold", white_space="nowrap"),
                rx.spacer(),
                rx.cond(card["stale"], rx.tooltip(
                    rx.badge(rx.icon("clock", size=12), t("sui.opp.stale"),
                             color_scheme="orange", variant="soft", data_testid="stale-badge"),
                    content=card["stale_text"])),
                width="100%", align="center"),
            rx.hstack(
                rx.text(card["owner"], size="1", color_scheme="gray"),
                rx.spacer(),
                rx.text(rx.cond(card["kind"] == "open", card["expected_close"],
                                card["closed_at"]), size="1", color_scheme="gray"),
                width="100%"),
            rx.box(_move_menu(card), align_self="end"),
            spacing="1",
            width="100%",
        ),
        draggable=True,
        on_drag_start=s.drag_start(card["id"]),
        on_drag_end=s.drag_end,
        id="card-" + card["id"],
        data_testid="kanban-card",
        style={"background": "var(--color-panel-solid)", "borderRadius": "var(--radius-3)",
               "padding": "var(--space-3)", "border": f"1px solid {rx.color('gray', 5)}",
               "cursor": "grab", "boxShadow": "var(--shadow-1)"},
    )


def _kanban_column(col: rx.Var) -> rx.Component:
    s = OpportunitiesState
    accent = rx.match(col["kind"], ("won", "green"), ("lost", "red"), "indigo")
    return drag_box(
        rx.vstack(
            rx.vstack(
                rx.hstack(
                    rx.box(width="8px", height="8px", border_radius="9999px",
                           background=rx.color(accent, 9), flex_shrink="0"),
                    rx.text(col["name"], weight="bold", size="2"),
                    rx.badge(col["count"], variant="soft", color_scheme="gray", radius="full",
                             data_testid="column-count"),
                    rx.spacer(),
                    rx.text(col["probability"], size="1", color_scheme="gray"),
                    align="center", width="100%", spacing="2"),
                rx.hstack(
                    rx.text(col["amount"], size="1", weight="medium",
                            data_testid="column-amount"),
                    rx.text("·", size="1", color_scheme="gray"),
                    rx.text(t("sui.opp.weighted"), " ", col["weighted"], size="1",
                            color_scheme="gray", data_testid="column-weighted"),
                    spacing="1", wrap="wrap"),
                rx.cond(col["required"], rx.text(t("sui.opp.asks"), " ", col["required"],
                                                 size="1", color_scheme="gray")),
                spacing="1",
                width="100%",
                padding_bottom="var(--space-2)",
                border_bottom=f"2px solid {rx.color(accent, 8)}",
            ),
            rx.foreach(s.cards, lambda card: rx.cond(card["stage_id"] == col["stage_id"],
                                                      _kanban_card(card))),
            rx.cond(col["count"] == "0",
                    rx.text(t("sui.opp.column_empty"), size="1", color_scheme="gray",
                            padding_y="var(--space-3)", text_align="center", width="100%")),
            rx.cond(col["more"], rx.button(t("sui.opp.see_all"), size="1", variant="ghost",
                                           on_click=s.show_stage(col["stage_id"]),
                                           id="column-more-" + col["stage_id"])),
            spacing="2",
            width="100%",
        ),
        on_drag_over=rx.prevent_default,
        on_drop=s.drop_on(col["stage_id"]).prevent_default,
        id="kanban-col-" + col["stage_id"],
        data_testid="kanban-column",
        data_stage=col["name"],
        data_kind=col["kind"],
        width=rx.breakpoints(initial="84vw", sm="280px"),
        style={
            "flex": "0 0 auto",
            "maxWidth": "320px",
            "scrollSnapAlign": "start",
            "background": rx.color("gray", 2),
            "borderRadius": "var(--radius-4)",
            "padding": "var(--space-3)",
            "outline": rx.cond(s.dragging, f"2px dashed {rx.color('accent', 7)}", "none"),
            "outlineOffset": "-2px",
            "minHeight": "200px",
        },
    )


def _scroll_to_column(stage_id: rx.Var) -> Any:
    """Bring a column into view inside the board (phones: the stage chips)."""
    element = FunctionStringVar.create("document.getElementById").call(
        "kanban-col-" + stage_id).to(ObjectVar)
    return rx.run_script(element.scrollIntoView.to(FunctionVar).call(
        {"behavior": "smooth", "block": "nearest", "inline": "start"}))


def _stage_chips() -> rx.Component:
    """Phones see one column at a time: a chip per stage (with its count) jumps to it."""
    s = OpportunitiesState
    return rx.mobile_and_tablet(rx.box(
        rx.hstack(rx.foreach(s.columns, lambda c: rx.button(
            c["name"], rx.badge(c["count"], variant="solid", radius="full", size="1",
                                color_scheme=rx.match(c["kind"], ("won", "green"),
                                                      ("lost", "red"), "indigo")),
            size="1", variant="soft", color_scheme="gray", white_space="nowrap",
            on_click=_scroll_to_column(c["stage_id"]), id="chip-" + c["stage_id"],
            data_testid="stage-chip")), spacing="1", width="max-content"),
        overflow_x="auto", width="100%", padding_bottom="var(--space-1)"), width="100%")


def _kanban() -> rx.Component:
    s = OpportunitiesState
    return rx.vstack(
        _stage_chips(),
        rx.flex(
            rx.text(t("sui.opp.open_total"), " ", s.totals["count"], size="2", weight="medium"),
            rx.text(t("sui.opp.amount"), " ", s.totals["amount"], size="2",
                    color_scheme="gray"),
            rx.text(t("sui.opp.weighted"), " ", s.totals["weighted"], size="2",
                    color_scheme="gray"),
            spacing="3", wrap="wrap", data_testid="kanban-totals"),
        rx.box(
            rx.hstack(rx.foreach(s.columns, _kanban_column), spacing="3", align="start",
                      width="max-content"),
            overflow_x="auto",
            width="100%",
            padding_bottom="var(--space-3)",
            style={"scrollSnapType": "x proximity", "WebkitOverflowScrolling": "touch"},
            data_testid="kanban",
        ),
        rx.text(t("sui.opp.closed_window", days=CLOSED_DAYS), size="1", color_scheme="gray"),
        rx.text(t("sui.opp.drag_help"), size="1", color_scheme="gray"),
        spacing="3",
        width="100%",
    )


def _list_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.link(r["name"], href=r["href"], weight="medium"),
                                rx.cond(r["stale"], rx.badge(t("sui.opp.stale"),
                                                             color_scheme="orange",
                                                             variant="soft")),
                                spacing="1")),
        rx.table.cell(r["account"]),
        rx.table.cell(status_badge(r["kind"], r["stage"])),
        rx.table.cell(r["amount"], white_space="nowrap", text_align="right"),
        rx.table.cell(r["weighted"], white_space="nowrap", text_align="right"),
        rx.table.cell(rx.cond(r["kind"] == "open", r["expected_close"], r["closed_at"]),
                      white_space="nowrap"),
        rx.table.cell(r["owner"]),
        rx.table.cell(_move_menu(r, "move-row-")),
        data_testid="opportunity-row",
    )


def _list_card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(rx.link(r["name"], href=r["href"], weight="medium"), rx.spacer(),
                  rx.text(r["amount"], weight="bold", size="2", white_space="nowrap"),
                  width="100%", align="start"),
        rx.cond(r["account"], rx.text(r["account"], size="1", color_scheme="gray")),
        rx.hstack(status_badge(r["kind"], r["stage"]),
                  rx.cond(r["stale"], rx.badge(t("sui.opp.stale"), color_scheme="orange",
                                               variant="soft")),
                  rx.text(rx.cond(r["kind"] == "open", r["expected_close"], r["closed_at"]),
                          size="1", color_scheme="gray"),
                  spacing="2", align="center", wrap="wrap"),
        rx.hstack(rx.text(r["owner"], size="1", color_scheme="gray"), rx.spacer(),
                  _move_menu(r, "move-card-"), width="100%", align="center"),
        test_id="opportunity-card",
    )


def _filter(name: str, all_label: str, options: Any) -> rx.Component:
    s = OpportunitiesState
    if isinstance(options, rx.Var):
        opts: Any = rx.Var.create([{"value": NONE, "label": all_label}]) + options
    else:
        opts = [(NONE, all_label), *options]
    return choice(opts, value=getattr(s, name), on_change=lambda v: s.set_filter(name, v),
                  id=f"opps-filter-{name}", aria_label=all_label)


def opportunities_page() -> rx.Component:
    s = OpportunitiesState
    toolbar = rx.flex(
        rx.box(choice(s.pipelines, value=s.pipeline_id, on_change=s.set_pipeline,
                      id="pipeline-select", aria_label=t("sui.opp.pipeline")),
               min_width="180px", width=PHONE_FULL),
        rx.segmented_control.root(
            rx.segmented_control.item(rx.hstack(rx.icon("kanban", size=14),
                                                t("sui.opp.kanban"), spacing="1",
                                                align="center"), value="kanban"),
            rx.segmented_control.item(rx.hstack(rx.icon("list", size=14), t("sui.opp.list"),
                                                spacing="1", align="center"), value="list"),
            value=s.view, on_change=s.set_view, id="opps-view",
        ),
        rx.spacer(display=rx.breakpoints(initial="none", sm="block")),
        link_button(t("sui.opps.new"), "/oportunidades/nueva", icon="plus", id="opp-new",
                    width=PHONE_FULL),
        spacing="2",
        width="100%",
        align=rx.breakpoints(initial="stretch", sm="center"),
        direction=rx.breakpoints(initial="column", sm="row"),
    )
    common_filters = [
        rx.cond(AppState.user_scope != "own",
                _filter("owner_id", t("sui.filter.all_owners"), s.owners)),
        _filter("channel", t("sui.filter.all_channels"), channel_options()),
    ]
    list_view = paged_table(
        s,
        [("name", t("col.name"), True), ("account", t("col.account"), False),
         ("stage", t("col.stage"), False), ("amount", t("col.amount"), True),
         ("weighted", t("sui.opp.weighted"), False),
         ("expected_close", t("col.expected_close"), True), ("owner", t("col.owner"), False),
         ("move", "", False)],
        _list_row,
        card=_list_card,
        count_label=t("count.opportunities"),
        test_id="opportunities",
        search_placeholder=t("sui.opp.search"),
        filters=[rx.grid(
            _filter("stage_id", t("sui.filter.all_stages"), s.stage_options),
            _filter("status", t("sui.filter.all_status"),
                    [("open", t("sui.stage.kind.open")), ("won", t("sui.stage.kind.won")),
                     ("lost", t("sui.stage.kind.lost"))]),
            *common_filters,
            _filter("stale", t("sui.filter.stale_any"),
                    [("yes", t("sui.filter.stale_yes")), ("no", t("sui.filter.stale_no"))]),
            rx.cond(s.filtered, rx.button(rx.icon("x", size=14), t("sui.filter.clear"),
                                          variant="ghost", on_click=s.clear_filters,
                                          id="opps-clear-filters")),
            columns=rx.breakpoints(initial="2", md="3", lg="6"), spacing="2", width="100%")],
        empty=rx.cond(s.filtered,
                      big_empty("search-x", t("sui.common.no_matches"),
                                rx.button(t("sui.filter.clear"), variant="soft",
                                          on_click=s.clear_filters),
                                test_id="opportunities-empty"),
                      big_empty("kanban", t("sui.opps.empty"),
                                link_button(t("sui.opps.new"), "/oportunidades/nueva",
                                            icon="plus", id="opp-new-empty"),
                                test_id="opportunities-empty")),
    )
    kanban_view = rx.vstack(
        rx.grid(
            rx.box(rx.debounce_input(rx.input(
                rx.input.slot(rx.icon("search", size=16)), placeholder=t("sui.opp.search"),
                value=s.q, on_change=s.search, width="100%", id="kanban-search",
                aria_label=t("common.search")), debounce_timeout=300),
                grid_column=rx.breakpoints(initial="1 / -1", md="auto")),
            *common_filters,
            rx.cond(s.filtered, rx.button(rx.icon("x", size=14), t("sui.filter.clear"),
                                          variant="ghost", on_click=s.clear_filters)),
            columns=rx.breakpoints(initial="2", md="4"), spacing="2", width="100%"),
        _kanban(),
        spacing="3",
        width="100%",
    )
    return shell(
        toolbar,
        rx.cond(s.view == "kanban", kanban_view, list_view),
        move_dialog(s),
        title=t("nav.opportunities"),
        active="/oportunidades",
    )


# --- the form ---------------------------------------------------------------------------------

FORM_FIELDS = ("name", "amount", "expected_close", "channel", "description", "product_id",
               "owner_id")


class OpportunityFormState(AccountPickerMixin, AppState):
    opp_id: int = 0
    form: dict[str, str] = {}
    errors: dict[str, str] = {}
    saving: bool = False
    form_key: int = 0
    owners: list[dict[str, str]] = []
    pipelines: list[dict[str, str]] = []
    stages: list[dict[str, str]] = []
    products: list[dict[str, str]] = []
    pipeline_id: str = ""
    stage_id: str = ""
    contact_id: str = NONE

    def _load_stages(self, session: Session) -> None:
        pid = to_id(self.pipeline_id)
        stages = pipeline_service.stages_of(session=session, pipeline_id=pid) if pid else []
        self.stages = [{"value": str(st.id), "label": st.name} for st in stages
                       if st.kind == StageKind.OPEN]
        if self.stage_id not in {x["value"] for x in self.stages}:
            self.stage_id = self.stages[0]["value"] if self.stages else ""

    def _account_picked(self, session: Session, user: User, account: Account | None) -> None:
        self.contact_id = NONE

    @rx.event
    def load(self) -> Any:
        self.errors, self.saving = {}, False
        self.account_q, self.account_options = "", []
        opp_id = path_id(self.router.url.path, "oportunidades")
        try:
            with user_session(self) as (session, user):
                self.owners = owner_options(session, user)
                self.pipelines = [{"value": str(p.id), "label": p.name} for p in
                                  pipeline_service.list_pipelines(session=session, actor=user)]
                self.products = [{"value": NONE, "label": t("sui.common.unspecified")}] + [
                    {"value": str(p.id), "label": f"{p.name} · {p.sku}"} for p in
                    product_service.list_products(session=session, actor=user,
                                                  limit=200).items]
                if opp_id is None:
                    self.opp_id = 0
                    self.form = {k: "" for k in FORM_FIELDS} | {
                        "channel": NONE, "product_id": NONE, "owner_id": str(user.id)}
                    default = pipeline_service.default_pipeline(session=session)
                    session.commit()
                    self.pipeline_id, self.stage_id = str(default.id), ""
                    self.account_id = self.account_name = ""
                    self.contact_id = NONE
                    self.contact_options = []
                    account_id = to_id(self.router.url.query_parameters.get("cliente"))
                    if account_id:
                        from crm_app.services.accounts import get_account

                        account = get_account(session=session, actor=user,
                                              account_id=account_id)
                        self.account_id, self.account_name = str(account.id), account.name
                        self._load_contacts(session, user, account.id)
                else:
                    o = opp_service.get_opportunity(session=session, actor=user,
                                                    opportunity_id=opp_id)
                    self.opp_id = o.id
                    self.form = {
                        "name": o.name, "amount": dec_text(o.amount),
                        "expected_close": o.expected_close.isoformat() if o.expected_close
                        else "", "channel": o.channel or NONE,
                        "description": o.description or "",
                        "product_id": sid(o.product_id) or NONE, "owner_id": sid(o.owner_id)}
                    self.pipeline_id, self.stage_id = str(o.pipeline_id), str(o.stage_id)
                    account = session.get(Account, o.account_id) if o.account_id else None
                    self.account_id = sid(o.account_id)
                    self.account_name = account.name if account else ""
                    self._load_contacts(session, user, o.account_id)
                    self.contact_id = sid(o.contact_id) or NONE
                self._load_stages(session)
        except Exception as exc:  # noqa: BLE001
            return [failure(exc), rx.redirect("/oportunidades")]
        finally:
            self.form_key += 1
        return None

    @rx.event
    def set_pipeline(self, value: str) -> Any:
        self.pipeline_id = value
        try:
            with user_session(self) as (session, _user):
                self._load_stages(session)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return None

    @rx.event
    def set_stage(self, value: str) -> None:
        self.stage_id = value

    @rx.event
    def set_contact(self, value: str) -> None:
        self.contact_id = value

    @rx.event
    def save(self, form_data: dict[str, Any]):  # noqa: ANN201
        data: dict[str, Any] = {
            "name": str(form_data.get("name") or "").strip(),
            "amount": str(form_data.get("amount") or "").strip() or "0",
            "expected_close": str(form_data.get("expected_close") or "").strip() or None,
            "description": str(form_data.get("description") or ""),
            "product_id": to_id(form_data.get("product_id")),
            "account_id": to_id(self.account_id),
            "contact_id": to_id(self.contact_id),
        }
        channel = _opt(str(form_data.get("channel") or ""))
        if channel or self.opp_id:
            data["channel"] = channel
        owner = to_id(form_data.get("owner_id"))
        if owner is not None:
            data["owner_id"] = owner
        self.saving = True
        yield
        try:
            with user_session(self) as (session, user):
                if self.opp_id:
                    opp = opp_service.update_opportunity(session=session, actor=user,
                                                         opportunity_id=self.opp_id, data=data)
                    message = t("sui.opps.saved")
                else:
                    data["pipeline_id"] = to_id(self.pipeline_id)
                    data["stage_id"] = to_id(self.stage_id)
                    opp = opp_service.create_opportunity(session=session, actor=user,
                                                         data=data)
                    message = t("sui.opps.created")
                new_id = opp.id
        except ValidationFailed as exc:
            self.saving = False
            self.errors = dict(exc.errors)
            yield failure(exc)
            return
        except Exception as exc:  # noqa: BLE001
            self.saving = False
            yield failure(exc)
            return
        self.saving = False
        self.errors = {}
        yield [rx.toast.success(message), rx.redirect(f"/oportunidades/{new_id}")]


def account_picker(state: Any, *, error: Any, id_prefix: str, required: bool = True
                   ) -> rx.Component:
    """Search and pick the customer (any state with ``AccountPickerMixin``)."""
    return form_field(
        t("col.account"),
        rx.cond(
            state.account_id != "",
            rx.hstack(
                rx.badge(rx.icon("building-2", size=14), state.account_name, size="2",
                         variant="surface", id=f"{id_prefix}-account-name",
                         style={"whiteSpace": "normal"}),
                rx.button(t("sui.common.change"), size="1", variant="ghost", type="button",
                          on_click=state.clear_account, id=f"{id_prefix}-account-clear"),
                align="center", wrap="wrap"),
            rx.vstack(
                rx.debounce_input(rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    value=state.account_q, on_change=state.search_accounts,
                    name=f"{id_prefix}_account_search",
                    placeholder=t("sui.accounts.search_pick"), width="100%",
                    id=f"{id_prefix}-account-search"), debounce_timeout=250),
                rx.cond(state.account_options.length() > 0, rx.vstack(
                    rx.foreach(state.account_options, lambda o: rx.button(
                        rx.vstack(rx.text(o["label"], size="2", weight="medium"),
                                  rx.text(o["detail"], size="1", color_scheme="gray"),
                                  spacing="0", align="start"),
                        variant="ghost", type="button", width="100%", height="auto",
                        justify="start", padding_y="var(--space-1)",
                        on_click=state.pick_account(o["value"]),
                        data_testid="account-option")),
                    spacing="1", width="100%", border=f"1px solid {rx.color('gray', 5)}",
                    border_radius="var(--radius-3)", padding="var(--space-1)")),
                spacing="1", width="100%"),
        ),
        html_for=f"{id_prefix}-account-search", required=required, error=error)


def _opportunity_form() -> rx.Component:
    s = OpportunityFormState
    f, e = s.form, s.errors
    grid = {"columns": rx.breakpoints(initial="1", sm="2"), "spacing": "3", "width": "100%"}
    return rx.el.form(
        rx.vstack(
            rx.card(rx.vstack(
                form_field(t("col.name"), text_input("name", default=f["name"],
                                                     auto_focus=True),
                           html_for="name", required=True, error=e["name"]),
                rx.grid(
                    account_picker(s, error=e["account_id"], id_prefix="opp", required=False),
                    form_field(t("sui.opp.contact"),
                               choice(rx.Var.create([{"value": NONE,
                                                      "label": t("sui.common.unspecified")}])
                                      + s.contact_options, value=s.contact_id,
                                      on_change=s.set_contact, id="contact_id",
                                      disabled=s.account_id == ""),
                               html_for="contact_id", error=e["contact_id"]),
                    rx.cond(s.opp_id == 0, form_field(
                        t("sui.opp.pipeline"), choice(s.pipelines, value=s.pipeline_id,
                                                      on_change=s.set_pipeline,
                                                      id="pipeline_id"),
                        html_for="pipeline_id", error=e["pipeline_id"])),
                    rx.cond(s.opp_id == 0, form_field(
                        t("col.stage"), choice(s.stages, value=s.stage_id,
                                               on_change=s.set_stage, id="stage_id"),
                        html_for="stage_id", error=e["stage_id"])),
                    form_field(t("col.amount"), text_input("amount", default=f["amount"],
                                                           input_mode="decimal",
                                                           placeholder="0,00"),
                               html_for="amount", error=e["amount"],
                               hint=t("sui.opp.amount_hint")),
                    form_field(t("col.expected_close"),
                               text_input("expected_close", default=f["expected_close"],
                                          type_="date"),
                               html_for="expected_close", error=e["expected_close"]),
                    form_field(t("col.channel"),
                               choice([(NONE, t("sui.common.unspecified"))] +
                                      [(x["value"], x["label"]) for x in channel_options()],
                                      default_value=f["channel"], name="channel",
                                      id="channel"),
                               html_for="channel", error=e["channel"]),
                    form_field(t("sui.opp.product"),
                               choice(s.products, default_value=f["product_id"],
                                      name="product_id", id="product_id"),
                               html_for="product_id", error=e["product_id"]),
                    rx.cond(AppState.can_assign, form_field(
                        t("col.owner"), choice(s.owners, default_value=f["owner_id"],
                                               name="owner_id", id="owner_id"),
                        html_for="owner_id", error=e["owner_id"])),
                    **grid),
                form_field(t("sui.opp.description"),
                           rx.text_area(name="description", id="description",
                                        default_value=f["description"], rows="3",
                                        width="100%"),
                           html_for="description", error=e["description"]),
                spacing="3", width="100%"), width="100%"),
            rx.text(t("sui.common.required_note"), size="1", color_scheme="gray"),
            form_actions(
                rx.button(rx.icon("check", size=16), t("common.save"), type="submit",
                          loading=s.saving, width=PHONE_FULL, id="opp-save"),
                link_button(t("common.cancel"),
                            rx.cond(s.opp_id > 0, "/oportunidades/" + s.opp_id.to_string(),
                                    "/oportunidades"),
                            id="opp-cancel", variant="soft", color_scheme="gray",
                            width=PHONE_FULL),
            ),
            spacing="3",
            width="100%",
            max_width="880px",
        ),
        on_submit=s.save,
        key=s.form_key,
        id="opportunity-form",
        style={"width": "100%"},
    )


def opportunity_form_page() -> rx.Component:
    return shell(_opportunity_form(), title=t("sui.opps.form_title"),
                 active="/oportunidades")


# --- the detail page --------------------------------------------------------------------------


class OpportunityDetailState(StageMoveMixin, AppState):
    opp_id: int = 0
    opp: dict[str, str] = {}
    stages: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    quotes: list[dict[str, str]] = []
    loaded: bool = False
    deleting: bool = False

    def _load(self, session: Session, user: User) -> None:
        o = opp_service.get_opportunity(session=session, actor=user,
                                        opportunity_id=self.opp_id)
        row = opp_service.opportunity_rows(session, [o])[0]
        contact = ""
        if o.contact_id:
            from crm_app.models import Contact

            c = session.get(Contact, o.contact_id)
            contact = f"{c.first_name} {c.last_name}".strip() if c else ""
        product = ""
        if o.product_id:
            from crm_app.models import Product

            p = session.get(Product, o.product_id)
            product = p.name if p else ""
        self.opp = {**_card(row), "account_id": sid(o.account_id),
                    "account_href": f"/clientes/{o.account_id}" if o.account_id else "",
                    "contact": contact, "product": product, "channel": o.channel,
                    "description": o.description or "", "lost_reason": o.lost_reason or "",
                    "probability": f"{row['probability']} %",
                    "created_at": date_es(o.created_at),
                    "days_in_stage": t("sui.opp.days", n=row["days_in_stage"] or 0)}
        pipeline = pipeline_service.pipeline_view(session=session, actor=user,
                                                  pipeline_id=o.pipeline_id)
        self.opp["pipeline"] = pipeline["name"]
        self.stages = [{"stage_id": str(st["id"]), "name": st["name"], "kind": str(st["kind"]),
                        "current": "1" if st["id"] == o.stage_id else ""}
                       for st in pipeline["stages"]]
        self.history = [{
            "when": datetime_es(h["changed_at"]), "from": h["from_stage"] or "",
            "to": h["to_stage"], "user": h["changed_by"],
        } for h in reversed(opp_service.stage_history(session=session, actor=user,
                                                      opportunity_id=o.id))]
        page = quote_service.list_quotes(session=session, actor=user, opportunity_id=o.id,
                                         limit=50)
        self.quotes = [{"id": str(q.id), "label": f"{q.number} v{q.version}",
                        "status": str(q.status),
                        "status_label": quote_service.STATUS_LABELS.get(q.status, q.status),
                        "total": money(q.total), "issue_date": date_es(q.issue_date),
                        "href": f"/presupuestos/{q.id}"} for q in page.items]
        self.loaded = True

    def _after_move(self, session: Session, user: User) -> None:
        self._load(session, user)

    @rx.event
    def load(self) -> Any:
        self.loaded = False
        self.move_open = False
        opp_id = path_id(self.router.url.path, "oportunidades")
        if opp_id is None:
            return rx.redirect("/oportunidades")
        self.opp_id = opp_id
        try:
            with user_session(self) as (session, user):
                self._load(session, user)
        except Exception as exc:  # noqa: BLE001
            return [failure(exc), rx.redirect("/oportunidades")]
        return None

    @rx.event
    def delete(self):  # noqa: ANN201
        self.deleting = True
        yield
        try:
            with user_session(self) as (session, user):
                opp_service.delete_opportunity(session=session, actor=user,
                                               opportunity_id=self.opp_id)
        except Exception as exc:  # noqa: BLE001
            self.deleting = False
            yield failure(exc)
            return
        self.deleting = False
        yield [rx.toast.success(t("sui.opps.deleted")), rx.redirect("/oportunidades")]


def _stage_step(st: rx.Var) -> rx.Component:
    s = OpportunityDetailState
    return rx.button(
        st["name"],
        size="1",
        variant=rx.cond(st["current"], "solid", "soft"),
        color_scheme=rx.match(st["kind"], ("won", "green"), ("lost", "red"), "indigo"),
        on_click=s.request_move(s.opp["id"], st["stage_id"]),
        disabled=st["current"] == "1",
        data_testid="stage-step",
        aria_current=rx.cond(st["current"], "step", None),
    )


def opportunity_detail_page() -> rx.Component:
    s = OpportunityDetailState
    o = s.opp
    header = rx.card(rx.vstack(
        rx.flex(
            rx.vstack(
                rx.heading(o["name"], size="6", id="opp-name",
                           style={"overflowWrap": "anywhere"}),
                rx.hstack(
                    status_badge(o["kind"], o["stage"]),
                    rx.cond(o["stale"], rx.badge(t("sui.opp.stale"), color_scheme="orange",
                                                 variant="soft")),
                    rx.cond(o["account_href"], rx.link(rx.hstack(rx.icon("building-2", size=14),
                                                                 o["account"], spacing="1",
                                                                 align="center"),
                                                       href=o["account_href"], size="2",
                                                       id="opp-account-link")),
                    spacing="2", wrap="wrap", align="center", data_testid="opp-stage"),
                spacing="2", min_width="0"),
            rx.spacer(),
            rx.flex(
                confirm(rx.button(rx.icon("trash-2", size=16), t("common.delete"),
                                  variant="soft", color_scheme="red", loading=s.deleting,
                                  width=PHONE_FULL, id="opp-delete"),
                        title=t("sui.opps.delete_q_title"), description=t("sui.opps.delete_q"),
                        confirm_label=t("common.delete"), on_confirm=s.delete,
                        test_id="opp-delete"),
                link_button(t("common.edit"), "/oportunidades/" + o["id"] + "/editar",
                            icon="pencil", id="opp-edit", variant="soft", width=PHONE_FULL),
                link_button(t("sui.quotes.new"), "/presupuestos/nuevo?oportunidad=" + o["id"],
                            icon="file-plus", id="opp-new-quote", width=PHONE_FULL),
                spacing="2", wrap="wrap", direction=rx.breakpoints(initial="column", sm="row"),
                width=PHONE_FULL),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="3", width="100%"),
        rx.box(rx.hstack(rx.foreach(s.stages, _stage_step), spacing="1", wrap="wrap"),
               width="100%", data_testid="stage-path"),
        spacing="3", width="100%"), width="100%")
    data = section(
        t("sui.360.data"),
        rx.grid(
            info(t("col.amount"), o["amount"], "opp-amount"),
            info(t("sui.opp.weighted"), o["weighted"]),
            info(t("sui.opp.probability"), o["probability"]),
            info(t("col.expected_close"), o["expected_close"]),
            info(t("sui.opp.pipeline"), o["pipeline"]),
            info(t("sui.opp.in_stage"), o["days_in_stage"]),
            info(t("sui.opp.contact"), o["contact"]), info(t("sui.opp.product"), o["product"]),
            info(t("col.channel"), o["channel"]), info(t("col.owner"), o["owner"]),
            info(t("col.created_at"), o["created_at"]),
            info(t("sui.opp.closed_at"), o["closed_at"]),
            columns=rx.breakpoints(initial="2", md="3"), spacing="3", width="100%"),
        rx.cond(o["lost_reason"], info(t("sui.required.lost_reason"), o["lost_reason"])),
        rx.cond(o["description"], info(t("sui.opp.description"), o["description"])),
        test_id="opp-data", icon="info")
    history = section(
        t("sui.opp.history"),
        rx.cond(s.history.length() > 0, rx.vstack(rx.foreach(s.history, lambda h: rx.hstack(
            rx.box(rx.icon("arrow-right", size=14, color=rx.color("accent", 10)),
                   background=rx.color("accent", 3), padding="6px", border_radius="9999px",
                   display="flex", flex_shrink="0"),
            rx.vstack(
                rx.text(rx.cond(h["from"], h["from"] + " → " + h["to"],
                                t("sui.opp.created_in") + " " + h["to"]),
                        size="2", weight="medium"),
                rx.text(h["when"], " · ", h["user"], size="1", color_scheme="gray"),
                spacing="0"),
            align="start", spacing="3", data_testid="history-item")),
            spacing="3", width="100%"),
            empty_note("history", t("sui.opp.history_empty"), "history-empty")),
        test_id="opp-history", icon="history")
    quotes = section(
        t("sui.360.quotes"),
        rx.cond(s.quotes.length() > 0, rx.vstack(rx.foreach(s.quotes, lambda q: rx.hstack(
            rx.vstack(rx.link(q["label"], href=q["href"], weight="medium", size="2"),
                      rx.hstack(status_badge(q["status"], q["status_label"]),
                                rx.text(q["issue_date"], size="1", color_scheme="gray"),
                                spacing="2"), spacing="1"),
            rx.spacer(),
            rx.text(q["total"], size="2", weight="medium", white_space="nowrap"),
            width="100%", data_testid="opp-quote")), spacing="3", width="100%"),
            empty_note("file-text", t("sui.opp.quotes_empty"), "opp-quotes-empty")),
        actions=[link_button(t("sui.quotes.new"), "/presupuestos/nuevo?oportunidad=" + o["id"],
                             icon="plus", id="opp-new-quote-2", size="1", variant="soft")],
        test_id="opp-quotes", icon="file-text")
    return shell(
        rx.cond(
            s.loaded,
            rx.vstack(
                rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("sui.opps.back"),
                                  align="center", spacing="1"),
                        href="/oportunidades", size="2"),
                header,
                rx.grid(
                    rx.vstack(data, quotes, spacing="4", width="100%", min_width="0",
                              grid_column=rx.breakpoints(initial="auto", lg="span 2")),
                    history,
                    columns=rx.breakpoints(initial="1", lg="3"), spacing="4", width="100%"),
                move_dialog(s),
                spacing="4",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="var(--space-8)"),
        ),
        title=t("sui.opps.detail_title"),
        active="/oportunidades",
    )
