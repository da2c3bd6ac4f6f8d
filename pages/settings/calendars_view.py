"""/ajustes/calendarios: the shared calendars, one row each (name, colour, archive)."""

from __future__ import annotations

import reflex as rx

from components.forms import field, section
from components.layout import shell
from crm_app.i18n import t
from pages.settings.calendars_state import CalendarsAdminState as S


def _swatches(value: rx.Var, on_pick: object, name: str) -> rx.Component:
    return rx.hstack(
        rx.foreach(S.colours, lambda c: rx.box(
            width="22px", height="22px", border_radius="50%", background=c, cursor="pointer",
            on_click=on_pick(c),  # type: ignore[operator]
            outline=rx.cond(value == c, f"2px solid {rx.color('gray', 12)}", "none"),
            outline_offset="2px", role="button", aria_label=c,
            data_testid=f"{name}-colour")),
        spacing="2", wrap="wrap")


def _row(r: rx.Var) -> rx.Component:
    return rx.el.form(
        rx.input(type="hidden", name="id", value=r["id"]),
        rx.flex(
            rx.box(width="14px", height="14px", border_radius="50%", background=r["colour"],
                   flex_shrink="0"),
            rx.input(name="name", default_value=r["name"], key=r["id"] + r["name"],
                     aria_label=t("agenda.settings.name"), width="100%", max_length=80,
                     data_testid="calendar-name"),
            rx.select.root(
                rx.select.trigger(aria_label=t("agenda.settings.colour"), width="110px"),
                rx.select.content(rx.foreach(S.colours, lambda c: rx.select.item(
                    rx.hstack(rx.box(width="12px", height="12px", border_radius="50%",
                                     background=c), rx.text(c), align="center"),
                    value=c))),
                name="colour", default_value=r["colour"], key="c" + r["id"] + r["colour"]),
            rx.button(t("agenda.settings.rename"), type="submit", size="2", variant="soft",
                      data_testid="calendar-save"),
            rx.cond(r["active"] == "1",
                    rx.button(t("agenda.settings.archive"), type="button", size="2",
                              variant="ghost", color_scheme="red",
                              on_click=S.set_active(r["id"], False),
                              data_testid="calendar-archive"),
                    rx.hstack(rx.badge(t("agenda.settings.archived"), color_scheme="gray"),
                              rx.button(t("agenda.settings.restore"), type="button", size="2",
                                        variant="ghost", on_click=S.set_active(r["id"], True),
                                        data_testid="calendar-restore"), align="center")),
            align="center", gap="var(--space-2)", width="100%",
            direction=rx.breakpoints(initial="column", sm="row")),
        rx.cond(S.row_errors.contains(r["id"]),
                rx.text(S.row_errors[r["id"]], size="1", color=rx.color("red", 11),
                        role="alert")),
        on_submit=S.save_row, width="100%", data_testid="calendar-row",
        style={"paddingBottom": "var(--space-3)",
               "borderBottom": f"1px solid {rx.color('gray', 4)}"},
    )


def calendars_page() -> rx.Component:
    return shell(
        rx.vstack(
            rx.text(t("agenda.settings.intro"), size="2", color_scheme="gray"),
            section(
                t("agenda.settings.new"),
                field(t("agenda.settings.name"),
                      rx.input(value=S.new_name, on_change=S.set_new_name, max_length=80,
                               id="calendar-new-name", width="100%",
                               placeholder="Sala de reuniones"),
                      html_for="calendar-new-name", required=True,
                      error=S.new_errors.get("name", "")),
                field(t("agenda.settings.colour"),
                      _swatches(S.new_colour, S.set_new_colour, "calendar-new"),
                      error=S.new_errors.get("colour", "")),
                rx.button(rx.icon("plus", size=16), t("agenda.settings.new"),
                          on_click=S.create, id="calendar-create"),
                test_id="calendar-new"),
            section(
                t("agenda.settings.title"),
                rx.cond(S.rows.length() == 0,
                        rx.text(t("agenda.settings.empty"), size="2", color_scheme="gray")),
                rx.foreach(S.rows, _row),
                test_id="calendar-list"),
            spacing="4", width="100%", max_width="820px"),
        title=t("agenda.settings.title"), active="/ajustes")
