"""The Reflex side of a chart: ``chart_card`` renders a figure built by ``analytics.charts``
(the one chart builder) under its Spanish title, or says there is nothing to show."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import reflex as rx

CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False,
          "doubleClick": False, "showTips": False}


def chart_card(title: rx.Var | str, figure: rx.Var, *, test_id: str,
               on_click: Any = None, has_data: rx.Var | bool = True,
               empty_text: str = "", hint: str = "", extra: rx.Component | None = None
               ) -> rx.Component:
    """A card with the chart's title (what and when), the chart, and an empty message.

    ``figure`` is a state var holding an ``analytics.charts`` figure; ``on_click`` receives
    plotly's points (the state maps them to the bar it built, never trusting their values).
    """
    plot = rx.plotly(data=figure.to(go.Figure) if isinstance(figure, rx.Var) else figure,
                     config=CONFIG, on_click=on_click, width="100%",
                     id=f"{test_id}-plot")
    return rx.card(
        rx.vstack(
            rx.heading(title, size="3", weight="medium", as_="h3"),
            rx.cond(has_data,
                    rx.box(plot, width="100%", min_width="0"),
                    rx.center(rx.text(empty_text, size="2", color_scheme="gray"),
                              height="120px", width="100%")),
            rx.cond(has_data, rx.text(hint, size="1", color_scheme="gray")) if hint else
            rx.fragment(),
            *([extra] if extra is not None else []),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",
        data_testid=test_id,
    )


__all__ = ["CONFIG", "chart_card"]
