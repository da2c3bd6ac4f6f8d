"""/agenda on the kit: a toolbar (period, views, calendars), the week/day grid or the month on
desktops, the same period as a list on phones; dialogs for a new event, an event's card
(record, documents, "Mover") and the private ICS link."""

from __future__ import annotations

import reflex as rx

from components.account_picker import account_picker
from components.dialogs import form_dialog
from components.drag import drag_box
from components.forms import choice, field
from components.layout import shell
from crm_app.i18n import t
from pages.agenda.state import KINDS, SLOT_PX
from pages.agenda.state import AgendaState as S

GRID_HEIGHT = f"{SLOT_PX * 14}px"
DESKTOP = rx.breakpoints(initial="none", md="block")
PHONE = rx.breakpoints(initial="block", md="none")


# --- toolbar ------------------------------------------------------------------------------------


def _calendar_chip(c: rx.Var) -> rx.Component:
    return rx.button(
        rx.box(width="10px", height="10px", border_radius="50%", background=c["colour"],
               opacity=rx.cond(c["shown"] == "1", "1", "0.3")),
        c["name"],
        size="1", variant=rx.cond(c["shown"] == "1", "soft", "outline"), color_scheme="gray",
        on_click=S.toggle_calendar(c["key"]), aria_pressed=rx.cond(c["shown"] == "1",
                                                                     "true", "false"),
        data_testid="agenda-calendar", data_key=c["key"], data_shown=c["shown"],
        style={"whiteSpace": "nowrap"})


def _toolbar() -> rx.Component:
    views = rx.segmented_control.root(
        rx.segmented_control.item(t("agenda.view.day"), value="day"),
        rx.segmented_control.item(t("agenda.view.week"), value="week"),
        rx.segmented_control.item(t("agenda.view.month"), value="month"),
        value=S.view, on_change=S.set_view, size="1", id="agenda-views")
    return rx.vstack(
        rx.flex(
            rx.hstack(
                rx.icon_button(rx.icon("chevron-left", size=16), variant="soft", size="2",
                               on_click=S.go(-1), aria_label=t("agenda.prev"),
                               id="agenda-prev"),
                rx.button(t("agenda.today"), variant="soft", size="2", on_click=S.go(0),
                          id="agenda-today"),
                rx.icon_button(rx.icon("chevron-right", size=16), variant="soft", size="2",
                               on_click=S.go(1), aria_label=t("agenda.next"),
                               id="agenda-next"),
                rx.heading(S.title, size="4", id="agenda-title", white_space="nowrap"),
                align="center", spacing="2"),
            rx.spacer(),
            rx.hstack(views,
                      rx.button(rx.icon("link", size=14), t("agenda.feed.show"), size="1",
                                variant="ghost", on_click=S.show_feed, id="agenda-feed"),
                      align="center", spacing="3", wrap="wrap"),
            wrap="wrap", gap="var(--space-2)", width="100%", align="center"),
        rx.flex(rx.foreach(S.calendars, _calendar_chip), wrap="wrap", gap="var(--space-2)",
                id="agenda-calendars", aria_label=t("agenda.calendars")),
        rx.cond(S.truncated, rx.callout(t("agenda.truncated"), icon="info", size="1",
                                        color_scheme="amber", width="100%")),
        spacing="3", width="100%")


# --- an event ---------------------------------------------------------------------------------


def _event_block(e: rx.Var) -> rx.Component:
    return drag_box(
        rx.text(e["start"], " ", e["subject"], size="1", weight="medium",
                style={"overflow": "hidden", "textOverflow": "ellipsis",
                       "whiteSpace": "nowrap"}),
        rx.cond(e["record_name"] != "", rx.text(e["record_name"], size="1",
                                                style={"opacity": "0.85",
                                                       "whiteSpace": "nowrap",
                                                       "overflow": "hidden"})),
        draggable=rx.cond(e["editable"] == "1", True, False),
        on_drag_start=S.drag_start(e["id"]),
        on_drag_end=S.drag_end,
        on_click=S.open_card(e["id"]).stop_propagation,
        role="button", tab_index=0, data_testid="agenda-event", data_id=e["id"],
        data_day=e["day"], data_start=e["start"], title=e["subject"],
        style={"position": "absolute", "top": e["top"], "height": e["height"], "left": "2px",
               "right": "2px", "background": e["colour"], "color": "white",
               "borderRadius": "var(--radius-2)", "padding": "2px 6px", "overflow": "hidden",
               "cursor": "pointer", "zIndex": "2",
               "textDecoration": rx.cond(e["done"] == "1", "line-through", "none"),
               "boxShadow": "0 1px 2px rgba(0,0,0,.2)"},
    )


def _slot(day: rx.Var, hour: rx.Var) -> rx.Component:
    return drag_box(
        on_click=S.new_at(day["date"], hour),
        on_drag_over=rx.prevent_default,
        on_drop=S.drop_on(day["date"], hour).prevent_default,
        data_testid="agenda-slot", data_day=day["date"], data_hour=hour,
        aria_label=day["long"] + " " + hour,
        style={"height": f"{SLOT_PX}px", "borderTop": f"1px solid {rx.color('gray', 4)}",
               "cursor": "pointer", "boxSizing": "border-box"},
    )


def _day_column(day: rx.Var) -> rx.Component:
    return rx.box(
        rx.center(rx.text(day["label"], size="2",
                          weight=rx.cond(day["today"] == "1", "bold", "regular"),
                          color=rx.cond(day["today"] == "1", rx.color("accent", 11), "inherit")),
                  height="32px", border_bottom=f"1px solid {rx.color('gray', 5)}"),
        rx.box(
            rx.foreach(S.hours, lambda h: _slot(day, h)),
            rx.foreach(S.events, lambda e: rx.cond(e["day"] == day["date"], _event_block(e))),
            position="relative", height=GRID_HEIGHT),
        flex="1", min_width="0", border_left=f"1px solid {rx.color('gray', 4)}",
        background=rx.cond(day["today"] == "1", rx.color("accent", 2), "transparent"),
        data_testid="agenda-day", data_day=day["date"],
    )


def _time_grid() -> rx.Component:
    hours = rx.box(
        rx.box(height="32px"),
        rx.foreach(S.hours, lambda h: rx.box(rx.text(h, size="1", color_scheme="gray"),
                                             height=f"{SLOT_PX}px")),
        width="48px", flex_shrink="0")
    return rx.box(
        rx.flex(hours, rx.foreach(S.days, _day_column), width="100%"),
        outline=rx.cond(S.dragging, f"2px dashed {rx.color('accent', 7)}", "none"),
        border=f"1px solid {rx.color('gray', 5)}", border_radius="var(--radius-3)",
        overflow="hidden", width="100%", id="agenda-grid")


def _month_event(e: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.box(width="8px", height="8px", border_radius="50%", background=e["colour"],
               flex_shrink="0"),
        rx.text(e["start"], " ", e["subject"], size="1",
                style={"overflow": "hidden", "textOverflow": "ellipsis", "whiteSpace": "nowrap"}),
        align="center", spacing="1", width="100%", cursor="pointer",
        on_click=S.open_card(e["id"]).stop_propagation, data_testid="agenda-event",
        data_id=e["id"], data_day=e["day"])


def _month_cell(day: rx.Var) -> rx.Component:
    return drag_box(
        rx.button(rx.text(day["label"], size="1",
                          weight=rx.cond(day["today"] == "1", "bold", "regular")),
                  variant="ghost", size="1", on_click=S.open_day(day["date"]).stop_propagation),
        rx.foreach(S.events, lambda e: rx.cond(e["day"] == day["date"], _month_event(e))),
        on_click=S.new_at(day["date"], "09"),
        on_drag_over=rx.prevent_default,
        on_drop=S.drop_on(day["date"], "09").prevent_default,
        data_testid="agenda-month-day", data_day=day["date"],
        style={"minHeight": "96px", "maxHeight": "140px", "overflow": "hidden",
               "padding": "4px", "borderTop": f"1px solid {rx.color('gray', 4)}",
               "borderLeft": f"1px solid {rx.color('gray', 4)}", "cursor": "pointer",
               "opacity": rx.cond(day["other_month"] == "1", "0.55", "1"),
               "background": rx.cond(day["today"] == "1", rx.color("accent", 2),
                                     "transparent")},
    )


def _month() -> rx.Component:
    return rx.grid(rx.foreach(S.days, _month_cell), columns="7", width="100%",
                   border=f"1px solid {rx.color('gray', 5)}", border_radius="var(--radius-3)",
                   overflow="hidden", id="agenda-month")


# --- the phone's list -------------------------------------------------------------------------


def _list_event(e: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.box(width="4px", align_self="stretch", background=e["colour"],
               border_radius="2px", flex_shrink="0"),
        rx.vstack(
            rx.text(e["start"], rx.cond(e["end"] != "", "–" + e["end"], ""), size="1",
                    color_scheme="gray"),
            rx.text(e["subject"], size="2", weight="medium"),
            rx.text(e["kind"], " · ", e["calendar"], size="1", color_scheme="gray"),
            rx.cond(e["record_name"] != "", rx.link(e["record_name"], href=e["record_url"],
                                                    size="1")),
            spacing="0", min_width="0", align="start"),
        spacing="2", width="100%", padding="var(--space-2)", cursor="pointer",
        on_click=S.open_card(e["id"]), data_testid="agenda-list-event", data_id=e["id"],
        border_bottom=f"1px solid {rx.color('gray', 4)}")


def _list_day(day: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.text(day["long"], size="2", weight="bold"), rx.spacer(),
                  rx.icon_button(rx.icon("plus", size=14), size="1", variant="ghost",
                                 on_click=S.new_at(day["date"], "09"),
                                 aria_label=t("agenda.new")),
                  width="100%", align="center"),
        rx.foreach(S.events, lambda e: rx.cond(e["day"] == day["date"], _list_event(e))),
        spacing="1", width="100%", data_testid="agenda-list-day")


def _list() -> rx.Component:
    return rx.vstack(
        rx.cond(S.events.length() == 0,
                rx.text(t("agenda.empty_list"), size="2", color_scheme="gray",
                        id="agenda-list-empty")),
        rx.foreach(S.days, _list_day),
        spacing="3", width="100%", id="agenda-list")


# --- dialogs ----------------------------------------------------------------------------------


def _input(name: str, value: rx.Var, on_change: object, *, type_: str = "text",
           id_: str) -> rx.Component:
    return rx.input(value=value, on_change=on_change, type=type_, id=id_, name=name,
                    width="100%")


def _new_dialog() -> rx.Component:
    errors = S.new_errors
    kind_options = [(k, t(f"activity.kind.{k}")) for k in KINDS]
    return form_dialog(
        field(t("agenda.field.kind"),
              choice(kind_options, value=S.new_kind, id="agenda-new-kind",
                     on_change=lambda v: S.set_new_field("kind", v)),
              html_for="agenda-new-kind", error=errors.get("kind", "")),
        field(t("agenda.field.subject"),
              _input("subject", S.new_subject, lambda v: S.set_new_field("subject", v),
                     id_="agenda-new-subject"),
              html_for="agenda-new-subject", required=True, error=errors.get("subject", "")),
        rx.flex(
            field(t("agenda.field.start"),
                  _input("start", S.new_start, lambda v: S.set_new_field("start", v),
                         type_="datetime-local", id_="agenda-new-start"),
                  html_for="agenda-new-start", required=True, error=errors.get("start", "")),
            field(t("agenda.field.end"),
                  _input("end", S.new_end, lambda v: S.set_new_field("end", v),
                         type_="datetime-local", id_="agenda-new-end"),
                  html_for="agenda-new-end", error=errors.get("end", "")),
            direction=rx.breakpoints(initial="column", sm="row"), gap="var(--space-3)",
            width="100%"),
        field(t("agenda.field.location"),
              _input("location", S.new_location, lambda v: S.set_new_field("location", v),
                     id_="agenda-new-location"),
              html_for="agenda-new-location", error=errors.get("location", "")),
        field(t("agenda.field.calendar"),
              choice(S.shared_options, value=S.new_calendar, id="agenda-new-calendar",
                     on_change=lambda v: S.set_new_field("calendar", v)),
              html_for="agenda-new-calendar", error=errors.get("calendar_id", "")),
        account_picker(S, error=errors.get("account_id", ""), id_prefix="agenda-new",
                       required=False),
        title=t("agenda.dialog.new"), open_=S.new_open, on_open_change=S.set_new_open,
        submit_label=t("agenda.save"), on_submit=S.create, saving=S.saving,
        test_id="agenda-new")


def _card_dialog() -> rx.Component:
    c = S.card
    errors = S.move_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(c["subject"]),
            rx.vstack(
                rx.hstack(rx.box(width="10px", height="10px", border_radius="50%",
                                 background=c["colour"]),
                          rx.text(c["kind"], " · ", c["calendar"], size="2"),
                          align="center", spacing="2"),
                rx.text(c["when"], size="2", id="agenda-card-when"),
                rx.cond(c["location"] != "", rx.text(rx.icon("map-pin", size=12), " ",
                                                     c["location"], size="2")),
                rx.cond(c["owner"] != "", rx.text(t("agenda.owner"), ": ", c["owner"],
                                                  size="1", color_scheme="gray")),
                rx.cond(c["record_url"] != "", rx.hstack(
                    rx.link(rx.icon("external-link", size=14), " ", c["record_name"],
                            href=c["record_url"], id="agenda-card-record"),
                    rx.cond(c["documents_url"] != "",
                            rx.link(rx.icon("folder-open", size=14), " ",
                                    t("agenda.open_documents"), href=c["documents_url"],
                                    id="agenda-card-documents")),
                    spacing="4", wrap="wrap")),
                rx.cond(c["editable"] == "1", rx.vstack(
                    rx.text(t("agenda.dialog.move"), size="2", weight="bold"),
                    rx.flex(
                        field(t("agenda.field.start"),
                              _input("move_start", S.move_start,
                                     lambda v: S.set_move_field("start", v),
                                     type_="datetime-local", id_="agenda-move-start"),
                              html_for="agenda-move-start", error=errors.get("start", "")),
                        field(t("agenda.field.end"),
                              _input("move_end", S.move_end,
                                     lambda v: S.set_move_field("end", v),
                                     type_="datetime-local", id_="agenda-move-end"),
                              html_for="agenda-move-end", error=errors.get("end", "")),
                        direction=rx.breakpoints(initial="column", sm="row"),
                        gap="var(--space-3)", width="100%"),
                    rx.flex(
                        rx.dialog.close(rx.button(t("agenda.cancel"), variant="soft",
                                                  color_scheme="gray")),
                        rx.button(t("agenda.save"), on_click=S.move, loading=S.saving,
                                  id="agenda-move-submit"),
                        justify="end", gap="var(--space-2)", width="100%"),
                    spacing="2", width="100%", padding_top="var(--space-2)",
                    border_top=f"1px solid {rx.color('gray', 5)}")),
                spacing="2", width="100%"),
            max_width="min(480px, calc(100vw - 2 * var(--space-4)))",
            data_testid="agenda-card-dialog"),
        open=S.card_open, on_open_change=S.set_card_open)


def _feed_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("agenda.feed.title")),
            rx.dialog.description(t("agenda.feed.help"), size="2"),
            rx.vstack(
                rx.input(value=S.feed_url, read_only=True, width="100%", id="agenda-feed-url",
                         on_focus=rx.call_script("document.getElementById("
                                                 "'agenda-feed-url').select()")),
                rx.flex(
                    rx.button(t("agenda.feed.regenerate"), variant="soft", color_scheme="red",
                              on_click=S.regenerate_feed, id="agenda-feed-regenerate"),
                    rx.dialog.close(rx.button(t("agenda.cancel"), variant="soft",
                                              color_scheme="gray")),
                    justify="end", gap="var(--space-2)", wrap="wrap", width="100%"),
                spacing="3", width="100%", padding_top="var(--space-3)"),
            max_width="min(560px, calc(100vw - 2 * var(--space-4)))",
            data_testid="agenda-feed-dialog"),
        open=S.feed_open, on_open_change=S.set_feed_open)


def agenda_page() -> rx.Component:
    return shell(
        rx.vstack(
            _toolbar(),
            rx.box(
                rx.cond(S.view == "month", _month(), _time_grid()),
                rx.text(t("agenda.drag_help"), size="1", color_scheme="gray",
                        margin_top="var(--space-2)"),
                display=DESKTOP, width="100%"),
            rx.box(_list(), display=PHONE, width="100%"),
            _new_dialog(), _card_dialog(), _feed_dialog(),
            spacing="4", width="100%", id="agenda"),
        title=t("agenda.title"), active="/agenda")
