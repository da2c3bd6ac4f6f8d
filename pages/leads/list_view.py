"""/leads: the leads list on the kit's ``record_list`` — search, filters (custom fields too)
with chips, saved views, sortable columns, bulk actions with undo, cards on phones."""

from __future__ import annotations

import reflex as rx

from components.badges import alert_mark, status_badge
from components.dialogs import confirm, form_dialog
from components.empty_state import empty_state
from components.forms import NONE, choice, field, with_all
from components.layout import shell
from components.record_header import link_button
from components.record_list import Column, Filter, record_list, row_card
from crm_app.i18n import t
from pages.leads.list_state import LeadsListState as S
from pages.leads.rows import province_choices, status_choices

ELLIPSIS = {"overflow": "hidden", "textOverflow": "ellipsis", "whiteSpace": "nowrap"}


def _secondary(value: rx.Var) -> rx.Component:
    return rx.cond(value != "", rx.text(value, size="1", color_scheme="gray"))


def _badge(r: rx.Var) -> rx.Component:
    return status_badge(r["status_key"], r["status"])


def _name_cell(r: rx.Var) -> rx.Component:
    return rx.hstack(rx.link(r["name"], href=r["href"], weight="medium",
                             data_testid="lead-link-" + r["id"].to(str)),
                     alert_mark(r["alert"]), spacing="1", align="center")


def _contact_cell(r: rx.Var) -> rx.Component:
    return rx.vstack(rx.text(r["email"], size="2", max_width="260px", title=r["email"],
                             style=ELLIPSIS),
                     _secondary(r["phone"]), spacing="0")


COLUMNS = [
    Column("first_name", t("col.name"), sortable=True, cell=_name_cell),
    Column("company", t("col.company"), sortable=True),
    Column("email", t("lead_ui.col.contact"), cell=_contact_cell),
    Column("status", t("col.status"), sortable=True, cell=_badge),
    Column("province", t("col.province"), sortable=True),
    Column("source", t("leads.field.source"), sortable=True),
    Column("owner", t("col.owner")),
    Column("created_at", t("col.created_at"), sortable=True, nowrap=True),
]


def _card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(rx.link(r["name"], href=r["href"], weight="medium", size="3",
                          data_testid="lead-card-link-" + r["id"].to(str)),
                  alert_mark(r["alert"]), rx.spacer(), _badge(r), width="100%", align="center"),
        rx.cond(r["company"] != "", rx.text(r["company"], size="2")),
        rx.cond(r["email"] != "", rx.text(r["email"], size="2", color_scheme="gray",
                                          word_break="break-all")),
        _secondary(r["phone"]),
        rx.text(r["meta"], size="1", color_scheme="gray"),
        test_id="lead-card-" + r["id"].to(str),
    )


# --- filters ----------------------------------------------------------------------------------

FILTERS = [
    Filter("status", t("lead_ui.filter.status"), options=status_choices(pickable=False)),
    Filter("source", t("lead_ui.filter.source"), options=S.source_options),
    Filter("owner_id", t("lead_ui.filter.owner"), options=S.owner_options,
           visible=S.user_scope != "own"),
    Filter("team_id", t("lead_ui.filter.team"), options=S.team_options,
           visible=S.user_scope == "company"),
    Filter("province", t("lead_ui.filter.province"), options=province_choices()),
    Filter("created_from", t("lead_ui.filter.from"), kind="date"),
    Filter("created_to", t("lead_ui.filter.to"), kind="date"),
]


def _typed_input(name: rx.Var, html_id: rx.Var, **props: object) -> rx.Component:
    """A custom filter typed as text; applied when the field is left."""
    current = S.filters.get(name, "")
    return rx.input(default_value=current, key=current, id=html_id, width="100%",
                    on_blur=lambda v: S.set_filter(name, v), **props)


def _custom_filter(item: rx.Var) -> rx.Component:
    """A custom field's filter: a select (choice, yes/no), a min–max pair (number) or text."""
    key = item["key"].to(str)
    name = "custom." + key
    html_id = "filter-custom-" + key
    current = S.filters.get(name, "")
    select = choice(with_all(S.custom_choices.get(key, []), t("lead_ui.filter.all")),
                    value=rx.cond(current == "", NONE, current),
                    on_change=lambda v: S.set_filter(name, v), id=html_id)  # type: ignore[arg-type]
    pair = rx.hstack(
        *[_typed_input(name + ":" + bound, html_id + "-" + bound, input_mode="decimal",
                       placeholder=t(f"lead_ui.filter.{bound}"),
                       aria_label=t(f"lead_ui.filter.{bound}")) for bound in ("min", "max")],
        spacing="2", width="100%")
    text = _typed_input(name, html_id, placeholder=rx.cond(item["type"] == "date",
                                                           t("common.date_placeholder"), ""))
    return field(item["label"],
                 rx.match(item["type"], ("choice", select), ("bool", select), ("number", pair),
                          text),
                 html_for=html_id, error=S.filter_errors.get(name, ""))


# --- saved views ------------------------------------------------------------------------------


def _views_control() -> rx.Component:
    save = form_dialog(
        field(t("lead_ui.views.name"),
              rx.input(value=S.view_name, on_change=S.set_view_name, id="view-name",
                       width="100%", max_length=120),
              html_for="view-name", required=True, error=S.view_errors.get("name", "")),
        title=t("lead_ui.views.save_title"),
        description=t("lead_ui.views.save_help"),
        open_=S.view_open,
        on_open_change=S.set_view_open,
        submit_label=t("common.save"),
        on_submit=S.save_view,
        test_id="view",
        trigger=rx.button(rx.icon("bookmark-plus", size=16),
                          rx.text(t("lead_ui.views.save"),
                                  display=rx.breakpoints(initial="none", sm="inline")),
                          variant="soft", id="leads-view-save",
                          aria_label=t("lead_ui.views.save")),
        max_width="420px",
    )
    views = with_all(S.views, t("lead_ui.views.none"))
    return rx.hstack(
        choice(views, value=rx.cond(S.view_id == "", NONE, S.view_id), on_change=S.apply_view,
               id="leads-view-select", aria_label=t("lead_ui.views.title"),
               placeholder=t("lead_ui.views.pick"), width="auto"),
        save,
        rx.cond(S.view_id != "",
                rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red",
                               on_click=S.delete_view, aria_label=t("lead_ui.views.delete"),
                               id="leads-view-delete")),
        spacing="2", align="center",
    )


# --- bulk actions -----------------------------------------------------------------------------


def _selected_text() -> rx.Component:
    return rx.text(S.selected_count, " ", rx.cond(S.selected_count == 1,
                                                  t("lead_ui.bulk.selected_one"),
                                                  t("lead_ui.bulk.selected")),
                   weight="medium", size="2")


def _bulk_actions() -> list[rx.Component]:
    assign = form_dialog(
        field(t("col.owner"),
              choice(S.assign_options, value=S.bulk_owner, on_change=S.set_bulk_owner,
                     id="bulk-owner", placeholder=t("lead_ui.pick")),
              html_for="bulk-owner", required=True, error=S.bulk_errors.get("owner_id", "")),
        title=t("lead_ui.bulk.assign_title"), open_=S.assign_open,
        on_open_change=S.set_assign_open, submit_label=t("lead_ui.bulk.assign"),
        on_submit=S.bulk_assign, test_id="bulk-assign", max_width="420px",
        trigger=rx.button(rx.icon("user-round-cog", size=16), t("lead_ui.bulk.assign"),
                          variant="soft", on_click=S.open_assign, id="bulk-assign"),
    )
    status = form_dialog(
        field(t("col.status"),
              choice(status_choices(), value=S.bulk_status, on_change=S.set_bulk_status,
                     id="bulk-status-select", placeholder=t("lead_ui.pick")),
              html_for="bulk-status-select", required=True,
              error=S.bulk_errors.get("status", "")),
        rx.cond(S.bulk_status == "descartado",
                field(t("leads.field.discard_reason"),
                      rx.input(value=S.bulk_reason, on_change=S.set_bulk_reason,
                               id="bulk-reason", width="100%"),
                      html_for="bulk-reason", required=True,
                      error=S.bulk_errors.get("discard_reason", ""))),
        title=t("lead_ui.bulk.status_title"), open_=S.status_open,
        on_open_change=S.set_status_open, submit_label=t("lead_ui.bulk.apply"),
        on_submit=S.bulk_change_status, test_id="bulk-status", max_width="420px",
        trigger=rx.button(rx.icon("tag", size=16), t("lead_ui.bulk.status"), variant="soft",
                          on_click=S.open_status, id="bulk-status"),
    )
    delete = confirm(
        rx.button(rx.icon("trash-2", size=16), t("lead_ui.bulk.delete"), variant="soft",
                  color_scheme="red", id="bulk-delete"),
        title=t("lead_ui.bulk.delete_title"), description=t("lead_ui.bulk.delete_help"),
        confirm_label=t("lead_ui.bulk.delete"), on_confirm=S.bulk_delete,
        test_id="bulk-delete", body=_selected_text(),
    )
    return [rx.cond(S.can_assign, assign), status, delete]


def leads_page() -> rx.Component:
    return shell(
        record_list(
            S,
            test_id="leads",
            columns=COLUMNS,
            card=_card,
            row_test_id=lambda r: "lead-row-" + r["id"].to(str),
            count_label=S.count_label,
            search_placeholder=t("lead_ui.search_placeholder"),
            filters=FILTERS,
            extra_filters=[rx.foreach(S.custom_filters, _custom_filter)],
            toolbar=[_views_control()],
            actions=[
                link_button(t("lead_ui.import"), "/leads/importar", icon="upload",
                            id="leads-import", variant="soft"),
                link_button(t("lead_ui.new"), "/leads/nuevo", icon="plus", id="leads-new"),
            ],
            bulk=_bulk_actions(),
            empty=empty_state(
                "user-plus", t("empty.leads"),
                link_button(t("lead_ui.new"), "/leads/nuevo", icon="plus",
                            id="leads-empty-new"),
                link_button(t("lead_ui.import"), "/leads/importar", icon="upload",
                            id="leads-empty-import", variant="soft"),
                test_id="leads-empty"),
            empty_filtered=empty_state(
                "search-x", t("lead_ui.empty_filtered"),
                rx.button(t("lead_ui.filter.clear"), variant="soft", on_click=S.clear_filters,
                          id="leads-empty-clear"),
                test_id="leads-empty-filtered"),
        ),
        title=t("nav.leads"),
        active="/leads",
    )
