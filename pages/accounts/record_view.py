"""/clientes/[cliente_id]: the customer file (360°) — the kit's record header and action bar,
its data and contacts, opportunities, quotes, purchase history, timeline, alerts and documents,
and the contact dialog."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx

from components.activity_log import activity_buttons, activity_dialog, record_activities
from components.badges import alert_mark, status_badge
from components.dialogs import confirm, form_dialog
from components.empty_state import empty_note, listing
from components.forms import field, grid, info, long_text, section
from components.layout import shell
from components.personal_data import consent_fields, person_actions
from components.record_header import link_button, record_header, record_page
from crm_app.i18n import t
from pages.accounts.record_state import AccountRecordState as R

A = R.acc
NOWRAP = {"white_space": "nowrap"}


def _list_section(title_key: str, items: rx.Var, render: Any, *, icon: str, empty_key: str,
                  empty_id: str, test_id: str, below: Sequence[rx.Component] = (),
                  actions: Sequence[rx.Component] = ()) -> rx.Component:
    """A section of the file that lists one kind of thing, or says there is none yet."""
    return section(t(title_key),
                   listing(items, render, empty_note(icon, t(empty_key), test_id=empty_id)),
                   *below, actions=actions, test_id=test_id, icon=icon)


def _header() -> rx.Component:
    delete = confirm(
        rx.button(rx.icon("trash-2", size=16), t("common.delete"), variant="soft",
                  color_scheme="red", loading=R.deleting, id="account-delete"),
        title=t("sui.accounts.delete_q_title"), description=t("sui.accounts.delete_q"),
        confirm_label=t("common.delete"), on_confirm=R.delete_account,
        test_id="account-delete")
    return record_header(
        A["name"],
        back=(t("sui.accounts.back"), "/clientes"),
        subtitle=rx.cond(A["trade_name"] != "", rx.text(A["trade_name"], size="2",
                                                        color_scheme="gray")),
        badges=[
            alert_mark(R.record_alert, R.record_alert_text, test_id="record-alert"),
            rx.cond(A["nif"] != "", rx.badge(A["nif"], variant="surface",
                                             data_testid="account-nif")),
            rx.cond(A["place"] != "", rx.badge(rx.icon("map-pin", size=12), A["place"],
                                               variant="soft", color_scheme="gray")),
            rx.cond(A["recargo_flag"] != "", rx.badge(t("sui.account.recargo"),
                                                      color_scheme="amber")),
        ],
        actions=[
            *activity_buttons(R, "account"),
            link_button(t("common.edit"), R.edit_href, icon="pencil", id="account-edit",
                        variant="soft"),
            delete,
            link_button(t("sui.opps.new"), R.new_opportunity_href, icon="kanban",
                        id="account-new-opportunity", variant="soft"),
            link_button(t("sui.quotes.new"), R.new_quote_href, icon="file-plus",
                        id="account-new-quote"),
        ],
        test_id="account-header",
        title_id="account-name",
    )


def _data() -> rx.Component:
    phone = rx.cond(A["phone"] != "", rx.link(A["phone_display"], href="tel:" + A["phone"],
                                              size="2"), rx.text("—", size="2"))
    email = rx.cond(A["email"] != "", rx.link(A["email"], href="mailto:" + A["email"],
                                              size="2", style={"overflowWrap": "anywhere"}),
                    rx.text("—", size="2"))
    return section(
        t("sui.360.data"),
        rx.grid(
            info(t("col.nif"), A["nif"]), info(t("col.owner"), A["owner"]),
            rx.vstack(rx.text(t("col.email"), size="1", color_scheme="gray"), email,
                      spacing="0", min_width="0"),
            rx.vstack(rx.text(t("col.phone"), size="1", color_scheme="gray"), phone,
                      spacing="0", min_width="0"),
            info(t("sui.account.address"), A["address"]),
            info(t("sui.account.postal_code"), A["postal_code"]),
            info(t("sui.account.city"), A["city"]), info(t("col.province"), A["province"]),
            info(t("col.sector"), A["sector"]), info(t("sui.account.size_band"), A["size_band"]),
            info(t("col.channel"), A["channel"]), info(t("sui.account.recargo"), A["recargo"]),
            info(t("sui.account.website"), A["website"]),
            info(t("sui.account.created_at"), A["created_at"]),
            columns="2", spacing="3", width="100%",
        ),
        long_text(t("sui.account.notes"), A["notes"]),
        test_id="account-data", icon="building-2")


# --- contacts -----------------------------------------------------------------------------------


def _contact(c: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.avatar(fallback=c["initial"], size="2", radius="full"),
        rx.vstack(
            rx.text(c["name"], weight="medium", size="2"),
            rx.cond(c["position"] != "", rx.text(c["position"], size="1", color_scheme="gray")),
            rx.cond(c["email"] != "", rx.link(c["email"], href="mailto:" + c["email"],
                                              size="1")),
            rx.cond(c["phone"] != "", rx.link(c["phone_display"], href="tel:" + c["phone"],
                                              size="1")),
            spacing="0", min_width="0", flex="1", style={"overflowWrap": "anywhere"}),
        rx.icon_button(rx.icon("phone", size=14), variant="ghost", size="1",
                       aria_label=t("act.log.title"), on_click=R.open_contact_log(c["id"]),
                       id="contact-log-" + c["id"]),
        rx.icon_button(rx.icon("pencil", size=14), variant="ghost", size="1",
                       aria_label=t("sui.contacts.edit"), on_click=R.edit_contact(c["id"]),
                       id="contact-edit-" + c["id"]),
        confirm(rx.icon_button(rx.icon("trash-2", size=14), variant="ghost", size="1",
                               color_scheme="red", aria_label=t("sui.contacts.delete"),
                               id="contact-delete-" + c["id"]),
                title=t("sui.contacts.delete"), description=t("sui.contacts.delete_q"),
                confirm_label=t("common.delete"), on_confirm=R.delete_contact(c["id"]),
                test_id="contact-delete"),
        width="100%", align="start", spacing="3",
        data_testid="contact-item",
    )


def _contact_input(key: str, label_key: str, **props: object) -> rx.Component:
    html_id = "contact-" + key
    return field(t(label_key),
                 rx.input(value=R.contact_form.get(key, ""), id=html_id, width="100%",
                          on_change=lambda v: R.set_contact_value(key, v), **props),
                 html_for=html_id, error=R.contact_errors.get(key, ""))


def _contact_dialog() -> rx.Component:
    return form_dialog(
        grid(_contact_input("first_name", "sui.contact.first_name", auto_focus=True),
             _contact_input("last_name", "sui.contact.last_name")),
        rx.text(t("sui.contacts.name_rule"), size="1", color_scheme="gray"),
        _contact_input("position", "sui.contact.position"),
        _contact_input("email", "col.email", type="email"),
        _contact_input("phone", "col.phone", type="tel", input_mode="tel"),
        rx.heading(t("pd.section"), size="3", padding_top="var(--space-2)"),
        consent_fields(R, prefix="contact-pd", errors=R.contact_errors),
        rx.cond(R.contact_id > 0,
                person_actions(R, prefix="contact-pd", on_export=R.export_contact,
                               on_anonymise=R.anonymise_contact)),
        title=rx.cond(R.contact_id > 0, t("sui.contacts.edit"), t("sui.contacts.new")),
        open_=R.contact_open, on_open_change=R.set_contact_open,
        submit_label=t("common.save"), on_submit=R.save_contact, saving=R.contact_saving,
        test_id="contact", max_width="520px",
    )


def _contacts() -> rx.Component:
    return _list_section(
        "sui.360.contacts", R.contacts, _contact, icon="users",
        empty_key="sui.360.empty.contacts", empty_id="contacts-empty",
        actions=[rx.button(rx.icon("plus", size=14), t("sui.contacts.add"), size="1",
                           variant="soft", on_click=R.new_contact, id="contact-new")],
        test_id="account-contacts")


# --- sales --------------------------------------------------------------------------------------


def _opportunity(o: rx.Var, closed: bool = False) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(o["name"], href=o["href"], weight="medium", size="2"),
            rx.hstack(
                status_badge(o["kind"], o["stage"]),
                rx.cond(o["stale"] != "", rx.badge(t("sui.opp.stale"), color_scheme="orange",
                                                   variant="soft")),
                rx.text(o["closed_at"] if closed else o["expected_close"], size="1",
                        color_scheme="gray"),
                spacing="2", align="center", wrap="wrap"),
            rx.cond(o["lost_reason"] != "", rx.text(o["lost_reason"], size="1",
                                                    color_scheme="gray")),
            spacing="1", min_width="0", flex="1"),
        rx.text(o["amount"], size="2", weight="medium", **NOWRAP),
        width="100%", align="start",
        data_testid="account-opportunity",
    )


def _opportunities() -> rx.Component:
    def heading(key: str) -> rx.Component:
        return rx.text(t(key), size="2", weight="bold", color_scheme="gray")

    return section(
        t("sui.360.opportunities"),
        heading("sui.360.open"),
        listing(R.opps_open, lambda o: _opportunity(o),
                 empty_note("kanban", t("sui.360.empty.opportunities"),
                            test_id="opps-open-empty")),
        heading("sui.360.closed"),
        listing(R.opps_closed, lambda o: _opportunity(o, closed=True),
                 empty_note("archive", t("sui.360.empty.closed"), test_id="opps-closed-empty")),
        test_id="account-opportunities", icon="kanban")


def _quote(q: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(q["label"], href=q["href"], weight="medium", size="2"),
            rx.hstack(status_badge(q["status"], q["status_label"]),
                      rx.text(q["issue_date"], size="1", color_scheme="gray"),
                      spacing="2", align="center"),
            spacing="1", min_width="0", flex="1"),
        rx.text(q["total"], size="2", weight="medium", **NOWRAP),
        width="100%", align="start",
        data_testid="account-quote",
    )


def _quotes() -> rx.Component:
    return _list_section("sui.360.quotes", R.quotes, _quote, icon="file-text",
                         empty_key="sui.360.empty.quotes", empty_id="quotes-empty",
                         test_id="account-quotes")


def _purchase_year(y: rx.Var) -> rx.Component:
    return rx.card(rx.vstack(
        rx.text(y["year"], size="1", color_scheme="gray"),
        rx.text(y["total"], size="4", weight="bold", style={"overflowWrap": "anywhere"}),
        rx.text(y["count"], size="1", color_scheme="gray"), spacing="0", min_width="0"),
        size="1", min_width="0", data_testid="purchase-year")


def _purchase(p: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(p["date"], size="1", color_scheme="gray", **NOWRAP),
        rx.link(p["title"], href=p["href"], size="2", flex="1", min_width="0",
                style={"overflowWrap": "anywhere"}),
        rx.text(p["amount"], size="2", **NOWRAP),
        width="100%", align="center", spacing="2")


def _purchases() -> rx.Component:
    return section(
        t("sui.360.purchases"),
        rx.cond(
            R.purchase_years.length() > 0,
            rx.vstack(
                rx.grid(rx.foreach(R.purchase_years, _purchase_year),
                        columns=rx.breakpoints(initial="2", sm="3"), spacing="2", width="100%"),
                rx.foreach(R.purchases, _purchase),
                rx.hstack(rx.text(t("sui.360.purchases_total"), size="2", weight="bold"),
                          rx.spacer(),
                          rx.text(R.purchase_total, size="2", weight="bold",
                                  data_testid="purchase-total"),
                          width="100%"),
                rx.text(t("sui.360.purchases_note"), size="1", color_scheme="gray"),
                spacing="2", width="100%",
            ),
            empty_note("shopping-bag", t("sui.360.empty.purchases"), test_id="purchases-empty")),
        test_id="account-purchases", icon="shopping-bag")


# --- timeline, alerts, documents ----------------------------------------------------------------


def _timeline_item(e: rx.Var) -> rx.Component:
    title = rx.cond(e["href"] != "",
                    rx.link(e["title"], href=e["href"], weight="medium", size="2"),
                    rx.text(e["title"], weight="medium", size="2"))
    return rx.hstack(
        rx.box(rx.icon(e["icon"], size=14, color=rx.color("accent", 10)),
               background=rx.color("accent", 3), padding="6px", border_radius="9999px",
               display="flex", flex_shrink="0"),
        rx.vstack(
            title,
            rx.cond(e["detail"] != "", rx.text(e["detail"], size="1", color_scheme="gray",
                                               style={"whiteSpace": "pre-line",
                                                      "overflowWrap": "anywhere"})),
            rx.text(e["when"], " · ", e["user"], size="1", color_scheme="gray",
                    title=e["ago"]),
            spacing="0", min_width="0"),
        align="start", spacing="3", width="100%",
        data_testid="timeline-item",
    )


def _timeline() -> rx.Component:
    return _list_section(
        "sui.360.timeline", R.timeline, _timeline_item, icon="history",
        empty_key="sui.360.empty.timeline", empty_id="timeline-empty",
        below=[rx.cond(R.timeline_more, rx.button(t("sui.common.more"), variant="ghost",
                                                  on_click=R.more_timeline,
                                                  id="timeline-more"))],
        test_id="account-timeline")


def _alert(x: rx.Var) -> rx.Component:
    return rx.callout(x["message"], icon="triangle-alert", size="1", width="100%",
                      color_scheme=rx.match(x["severity"], ("critical", "red"),
                                            ("warning", "amber"), "blue"))


def _alerts() -> rx.Component:
    return _list_section("sui.360.alerts", R.account_alerts, _alert, icon="bell",
                         empty_key="sui.360.empty.alerts", empty_id="alerts-empty",
                         test_id="account-alerts")


def _document(d: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("file", size=14, flex_shrink="0"),
        rx.text(d["filename"], size="2", flex="1", min_width="0",
                style={"overflowWrap": "anywhere"}),
        rx.text(d["when"], size="1", color_scheme="gray", **NOWRAP),
        width="100%", align="center")


def _documents() -> rx.Component:
    # ``id="documentos"``: the agenda links an event's documents as ``/clientes/<id>#documentos``
    return rx.box(
        _list_section("sui.360.documents", R.documents, _document, icon="folder-open",
                      empty_key="sui.360.empty.documents", empty_id="documents-empty",
                      test_id="account-documents"),
        id="documentos", width="100%", style={"scrollMarginTop": "72px"})


# --- the page -----------------------------------------------------------------------------------


def _column(cards: list[tuple[int, rx.Component]], flex: str) -> rx.Component:
    """A desktop column; on phones it dissolves (``display: contents``) and ``order`` puts
    every card in one reading order (data and contacts first)."""
    return rx.flex(*[rx.box(c, order=str(n), width="100%", min_width="0") for n, c in cards],
                   direction="column", spacing="4", min_width="0", width="100%", flex=flex,
                   display=rx.breakpoints(initial="contents", lg="flex"))


def account_record_page() -> rx.Component:
    body = rx.vstack(
        _header(),
        rx.flex(
            _column([(3, _opportunities()), (4, _quotes()), (5, _purchases()),
                     (6, _timeline())], "2"),
            _column([(1, _data()), (2, _contacts()),
                     (3, record_activities(R, "account")), (7, _alerts()),
                     (8, _documents())], "1"),
            direction=rx.breakpoints(initial="column", lg="row"),
            spacing="4", width="100%", align="start",
        ),
        _contact_dialog(),
        activity_dialog(R),
        spacing="4", width="100%",
    )
    return shell(record_page(body, loaded=R.loaded, found=R.found,
                             not_found_text=t("acc_ui.not_found"),
                             not_found_id="account-not-found"),
                 title=t("sui.accounts.file"), active="/clientes")


__all__ = ["account_record_page"]
