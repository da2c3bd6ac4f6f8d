"""/ (Inicio): the user's day in numbers, all in their own scope."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from components.layout import shell
from crm_app.db import get_engine
from crm_app.formatting import money, number
from crm_app.i18n import t
from crm_app.services.overview import overview
from crm_app.state import AppState


class HomeState(AppState):
    cards: list[dict[str, str]] = []

    @rx.event
    def load(self):  # noqa: ANN201
        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                return rx.redirect("/login")
            o = overview(session=session, actor=user)
        self.cards = [
            {"label": t("home.open_leads"), "value": number(o["open_leads"]), "href": "/leads",
             "icon": "user-plus", "id": "kpi-open-leads"},
            {"label": t("home.open_opportunities"), "value": number(o["open_opportunities"]),
             "href": "/oportunidades", "icon": "kanban", "id": "kpi-open-opps"},
            {"label": t("home.open_amount"), "value": money(o["open_amount"]),
             "href": "/oportunidades", "icon": "euro", "id": "kpi-open-amount"},
            {"label": t("home.tasks_due"), "value": number(o["tasks_due"]), "href": "/tareas",
             "icon": "list-checks", "id": "kpi-tasks-due"},
            {"label": t("home.tasks_overdue"), "value": number(o["tasks_overdue"]),
             "href": "/tareas", "icon": "alarm-clock", "id": "kpi-tasks-overdue"},
            {"label": t("home.open_quotes"), "value": number(o["open_quotes"]),
             "href": "/presupuestos", "icon": "file-text", "id": "kpi-open-quotes"},
        ]
        return None


def _card(item: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.vstack(
                    rx.text(item["label"], size="2", color_scheme="gray"),
                    rx.heading(item["value"], size="7"),
                    spacing="1",
                ),
                rx.spacer(),
                rx.icon(item["icon"], size=22, color=rx.color("accent", 9)),
                align="start",
                width="100%",
            ),
            width="100%",
            data_testid=item["id"],
        ),
        href=item["href"],
        underline="none",
    )


def home_page() -> rx.Component:
    return shell(
        rx.text(t("home.greeting"), " ", AppState.user_name, size="4", weight="medium",
                id="greeting"),
        rx.grid(rx.foreach(HomeState.cards, _card), columns=rx.breakpoints(initial="1", sm="2",
                                                                             lg="3"),
                spacing="3", width="100%"),
        title=t("nav.home"),
        active="/",
    )
